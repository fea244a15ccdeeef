//! Building the client: endpoint, TLS, message sizes, retries and flyte-auth's layer, from
//! flytectl's config or by hand.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use flyte_auth::{AuthLayer, AuthService, Credentials, CredentialsBuilder, HttpSettings};
use flyte_config::{Config, Endpoint};
use flyte_storage::{FlyteStorage, SignedUrls};
use flyteidl::flyteidl::service::admin_service_client::AdminServiceClient;
use flyteidl::flyteidl::service::agent_metadata_service_client::AgentMetadataServiceClient;
use flyteidl::flyteidl::service::data_proxy_service_client::DataProxyServiceClient;
use flyteidl::flyteidl::service::identity_service_client::IdentityServiceClient;
use flyteidl::flyteidl::service::signal_service_client::SignalServiceClient;
use tonic::body::BoxBody;
use tonic::codegen::http;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use tower::Layer as _;

use crate::error::{Code, Error, Result};
use crate::retry::{Retry, RetryLayer};
use crate::{Idempotent, RetryPolicy};

/// The transport every service client uses: the channel to FlyteAdmin wearing flyte-auth's
/// login layer (outside) and the retry layer (inside). A login, which may wait for a person, is
/// bounded by its own timeout (`pkceConfig.timeout`, `deviceFlowConfig.timeout`), not by
/// `perRetryTimeout`; the call's attempts then carry the token.
///
/// Opaque on purpose: the channel and the layers are implementation details. It is a
/// `tower::Service` over `http` requests because that is what tonic's generated clients
/// ([`pb::service`](crate::pb::service)) take.
#[derive(Clone)]
pub struct Transport(AuthService<Retry<Channel>>);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Transport")
    }
}

impl tower::Service<http::Request<BoxBody>> for Transport {
    type Response = http::Response<BoxBody>;
    type Error = BoxError;
    type Future =
        Pin<Box<dyn Future<Output = std::result::Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), BoxError>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<BoxBody>) -> Self::Future {
        self.0.call(req)
    }
}

/// How many connections registration uses by default: one, whose HTTP/2 streams carry every
/// call in flight (measured in BENCHMARKS.md: more connections did not make registration faster).
pub const DEFAULT_CONNECTIONS: usize = 1;

/// flytekit's default: FlyteAdmin answers can be large (closures, execution data).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 20 * 1024 * 1024;

/// Configures an [`AdminClient`].
#[must_use]
pub struct AdminClientBuilder {
    endpoint: Option<String>,
    insecure: bool,
    insecure_skip_verify: bool,
    ca_cert_file: Option<PathBuf>,
    max_message_size: usize,
    user_agent: String,
    connect_timeout: Duration,
    retry: RetryPolicy,
    credentials: Option<Credentials>,
    login: Option<CredentialsBuilder>,
    auth_problem: Option<Arc<flyte_auth::Error>>,
    http: HttpSettings,
    console: Option<String>,
    storage: StorageSource,
    connections: usize,
}

/// Where the blob store behind execution data comes from.
#[derive(Debug, Clone)]
pub(crate) enum StorageSource {
    /// None configured.
    None,
    /// Given to the builder.
    Given(FlyteStorage),
    /// The config's `storage` section, made into a store on first use.
    Config(Box<flyte_config::StorageConfig>),
}

impl fmt::Debug for AdminClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("insecure", &self.insecure)
            .field("retry", &self.retry)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl Default for AdminClientBuilder {
    fn default() -> Self {
        AdminClientBuilder {
            endpoint: None,
            insecure: false,
            insecure_skip_verify: false,
            ca_cert_file: None,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            user_agent: concat!("flyte-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            credentials: None,
            login: None,
            auth_problem: None,
            http: HttpSettings::default(),
            console: None,
            storage: StorageSource::None,
            connections: DEFAULT_CONNECTIONS,
        }
    }
}

impl AdminClientBuilder {
    /// The endpoint as flytectl writes it: `dns:///host:port`, `host:port`, `https://...`.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Plaintext gRPC (`admin.insecure`).
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// A PEM bundle that replaces the system roots (`admin.caCertFilePath`).
    pub fn ca_cert_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_cert_file = Some(path.into());
        self
    }

    /// Accepts any server certificate (flytectl's `insecureSkipVerify`); logs a warning when the
    /// client is built. For first contact with a self-signed cluster only: prefer
    /// [`AdminClientBuilder::ca_cert_file`].
    pub fn insecure_skip_verify(mut self, skip: bool) -> Self {
        self.insecure_skip_verify = skip;
        self
    }

    /// Largest message received (default 20 MiB).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// The `user-agent` sent.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// How long to wait for a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The retry policy of every call: how often and how long a call the retry layer may repeat
    /// ([`is_idempotent`](crate::is_idempotent), or marked [`Idempotent`](crate::Idempotent)) is
    /// tried; any other call is sent once, within the same deadlines.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How to log in when the server asks (calls go without a token until then), with
    /// credentials built already: they discover the authorization server where they were told
    /// to. Prefer [`AdminClientBuilder::login`], which discovers over this client's channel.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self.login = None;
        self
    }

    /// How to log in when the server asks, as a credentials builder the client completes: it
    /// discovers the authorization server as flytectl does, over this client's own gRPC channel
    /// (beneath the login layer) and then over HTTP at the endpoint, and shares this client's
    /// HTTP client. [`AdminClientBuilder::config`] sets one from the config; pass your own to
    /// change part of it (a scripted [`Interaction`](flyte_auth::Interaction), a token cache).
    pub fn login(mut self, login: CredentialsBuilder) -> Self {
        self.login = Some(login);
        self.credentials = None;
        self.auth_problem = None;
        self
    }

    /// How the HTTP client for signed URLs, downloads and OAuth2 connects (default:
    /// [`HttpSettings::default`]; [`AdminClientBuilder::config`] takes the config's CA bundle,
    /// proxy and `insecureSkipVerify`).
    pub fn http(mut self, settings: HttpSettings) -> Self {
        self.http = settings;
        self
    }

    /// The console's base URL, for [`AdminClient::console_url`].
    pub fn console(mut self, url: impl Into<String>) -> Self {
        self.console = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// Everything from flytectl's config: endpoint, TLS, retries (`maxRetries`,
    /// `perRetryTimeout`), message size, console, the HTTP client's settings and the login flow.
    /// A config whose login cannot work (e.g. no client secret, or a command in a
    /// `./config.yaml` of the working directory) still builds: auth is only needed if the
    /// server asks, and then the reason is in the error.
    pub fn config(mut self, config: &Config) -> Self {
        let a = &config.admin;
        self.endpoint = (!a.endpoint.is_empty()).then(|| a.endpoint.clone());
        self.insecure = a.insecure;
        self.insecure_skip_verify = a.insecure_skip_verify;
        self.ca_cert_file =
            (!a.ca_cert_file_path.is_empty()).then(|| PathBuf::from(&a.ca_cert_file_path));
        if a.max_message_size_bytes > 0 {
            self.max_message_size =
                usize::try_from(a.max_message_size_bytes).unwrap_or(self.max_message_size);
        }
        self.retry.max_retries =
            u32::try_from(a.max_retries.max(0)).unwrap_or(self.retry.max_retries);
        self.retry.per_attempt_timeout = a.per_retry_timeout;
        self.console = (!config.console.endpoint.is_empty())
            .then(|| config.console.endpoint.trim_end_matches('/').to_owned());
        // Only needed when FlyteAdmin returns data neither inline nor as a signed URL: the
        // store is made (and a section this build cannot use reported) then, not now.
        self.storage = StorageSource::Config(Box::new(config.storage.clone()));
        self.http = HttpSettings::from_config(config);
        self.credentials = None;
        match CredentialsBuilder::from_config(config) {
            Ok(b) => {
                self.login = Some(b);
                self.auth_problem = None;
            }
            Err(e) => {
                self.login = None;
                self.auth_problem = Some(Arc::new(e));
            }
        }
        self
    }

    /// How many HTTP/2 connections registration spreads its calls over, round-robin (default
    /// [`DEFAULT_CONNECTIONS`]; the extra ones open on first use). Every other call uses one.
    /// More than one spreads registration over FlyteAdmin replicas behind a layer-4 load
    /// balancer, which balances connections, not calls.
    pub fn connections(mut self, n: usize) -> Self {
        self.connections = n.max(1);
        self
    }

    /// The blob store to read execution data from when FlyteAdmin returns it neither inline
    /// nor as a signed URL (large data with `remoteData.signedUrls` off). [`Self::config`]
    /// takes it from the config's `storage` section; cloud stores need flyte-storage's `aws`,
    /// `gcp` or `azure` feature.
    pub fn storage(mut self, storage: FlyteStorage) -> Self {
        self.storage = StorageSource::Given(storage);
        self
    }

    /// Builds the client. No connection is made until the first call.
    ///
    /// # Errors
    /// No or a malformed endpoint, an unreadable CA bundle, or a malformed HTTP proxy URL.
    pub fn build(mut self) -> Result<AdminClient> {
        let raw = self.endpoint.clone().ok_or_else(|| {
            Error::new(
                Code::InvalidArgument,
                "connect",
                "",
                "no FlyteAdmin endpoint: set admin.endpoint",
            )
        })?;
        let endpoint = Endpoint::parse(&raw, self.insecure).map_err(|e| {
            Error::new(Code::InvalidArgument, "connect", &raw, e.to_string()).with_source(e)
        })?;
        let shown = endpoint.authority();
        let config_error = |m: String, e: Box<dyn std::error::Error + Send + Sync>| {
            Error::new(Code::InvalidArgument, "connect", &shown, m).with_boxed_source(e)
        };
        // With insecureSkipVerify our own connector speaks TLS, so tonic must see plain HTTP.
        let skip_verify = endpoint.tls && self.insecure_skip_verify;
        let uri = if skip_verify {
            format!("http://{}", endpoint.authority())
        } else {
            endpoint.uri()
        };
        let mut ep = Channel::from_shared(uri)
            .map_err(|e| config_error(format!("invalid endpoint: {e}"), e.into()))?
            .user_agent(self.user_agent.clone())
            .map_err(|e| config_error(format!("invalid user agent: {e}"), e.into()))?
            .connect_timeout(self.connect_timeout)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_while_idle(true);
        let connector = if skip_verify {
            tracing::warn!(
                endpoint = %shown,
                "admin.insecureSkipVerify is set: the server's certificate is not checked, so \
                 anyone on the network path can impersonate FlyteAdmin; use caCertFilePath instead"
            );
            Some(
                crate::tls::SkipVerifyConnector::new(&endpoint.host)
                    .map_err(|e| config_error(format!("TLS: {e}"), e.into()))?,
            )
        } else {
            if endpoint.tls {
                let pem = match &self.ca_cert_file {
                    Some(path) => flyte_auth::read_ca_bundle(path)
                        .map_err(|e| config_error(e.to_string(), e.into()))?,
                    None => native_roots_pem(),
                };
                let tls = ClientTlsConfig::new()
                    .domain_name(endpoint.host.clone())
                    .ca_certificate(Certificate::from_pem(pem));
                ep = ep
                    .tls_config(tls)
                    .map_err(|e| config_error(format!("TLS: {e}"), e.into()))?;
            }
            None
        };
        // Each call makes one more HTTP/2 connection, opened on first use.
        let connect = || match &connector {
            Some(c) => ep.clone().connect_with_connector_lazy(c.clone()),
            None => ep.clone().connect_lazy(),
        };
        let channel = connect();
        // One HTTP client for OAuth2, signed URLs and downloads, trusting what gRPC trusts.
        let http = self
            .http
            .build()
            .map_err(|e| config_error(e.to_string(), e.into()))?;
        if let Some(login) = self.login.take() {
            // Discovery goes over the bare channel: through the login layer it would wait on
            // its own login.
            match login
                .grpc_channel(channel.clone())
                .http_client(http.clone())
                .build()
            {
                Ok(c) => self.credentials = Some(c),
                Err(e) => self.auth_problem = Some(Arc::new(e)),
            }
        }
        let auth = match &self.credentials {
            Some(c) => AuthLayer::new(c.clone()),
            None => AuthLayer::none(),
        }
        // The repeat after UNAUTHENTICATED may be retried like the first sending. It does not
        // count as an attempt of the call: the refused sending changed nothing on the server.
        .carry::<Idempotent>();
        let retry = RetryLayer::new(self.retry);
        let wear = |channel| Transport(auth.layer(retry.layer(channel)));
        let transport = wear(channel);
        // Registration may spread its calls over more connections (see `connections`).
        let mut spread = vec![transport.clone()];
        spread.extend((1..self.connections).map(|_| wear(connect())));
        let size = self.max_message_size;
        Ok(AdminClient {
            inner: Arc::new(Inner {
                spread,
                next: std::sync::atomic::AtomicUsize::new(0),
                max_message_size: size,
                admin: AdminServiceClient::new(transport.clone())
                    .max_decoding_message_size(size)
                    .max_encoding_message_size(size),
                data_proxy: DataProxyServiceClient::new(transport.clone())
                    .max_decoding_message_size(size),
                signals: SignalServiceClient::new(transport.clone())
                    .max_decoding_message_size(size),
                agents: AgentMetadataServiceClient::new(transport.clone()),
                identity: IdentityServiceClient::new(transport),
                endpoint: shown,
                retry: self.retry,
                console: self.console,
                auth_problem: self.auth_problem,
                credentials: self.credentials,
                storage_source: self.storage,
                storage: std::sync::OnceLock::new(),
                signed: SignedUrls::with_client(http),
            }),
        })
    }
}

/// The system's root certificates as one PEM bundle.
fn native_roots_pem() -> Vec<u8> {
    let mut pem = String::new();
    if let Ok(certs) = rustls_native_certs::load_native_certs() {
        for cert in certs {
            let b64 = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
            pem.push_str("-----BEGIN CERTIFICATE-----\n");
            for chunk in b64.as_bytes().chunks(64) {
                pem.push_str(&String::from_utf8_lossy(chunk));
                pem.push('\n');
            }
            pem.push_str("-----END CERTIFICATE-----\n");
        }
    }
    pem.into_bytes()
}

pub(crate) struct Inner {
    /// The channel with the login layer (first) and more connections to the same server, for
    /// registration's many calls made without generated stubs.
    pub(crate) spread: Vec<Transport>,
    pub(crate) next: std::sync::atomic::AtomicUsize,
    /// The largest message sent or received.
    pub(crate) max_message_size: usize,
    pub(crate) admin: AdminServiceClient<Transport>,
    pub(crate) data_proxy: DataProxyServiceClient<Transport>,
    pub(crate) signals: SignalServiceClient<Transport>,
    pub(crate) identity: IdentityServiceClient<Transport>,
    pub(crate) agents: AgentMetadataServiceClient<Transport>,
    pub(crate) endpoint: String,
    pub(crate) retry: RetryPolicy,
    pub(crate) console: Option<String>,
    /// Why the config cannot log in, kept to explain an UNAUTHENTICATED answer.
    pub(crate) auth_problem: Option<Arc<flyte_auth::Error>>,
    /// How the client logs in, when it can.
    pub(crate) credentials: Option<Credentials>,
    /// Where the blob store behind execution data comes from ...
    pub(crate) storage_source: StorageSource,
    /// ... and the store, or why there is none, once first needed.
    pub(crate) storage: std::sync::OnceLock<std::result::Result<FlyteStorage, String>>,
    /// Transfers through the signed URLs FlyteAdmin hands out, and any other download
    /// (archives by URL): the shared HTTP client, with the config's CA bundle, proxy and timeouts.
    pub(crate) signed: SignedUrls,
}

/// The FlyteAdmin client. Cheap to clone (`Arc` inside), `Send + Sync`; clones share the
/// connection, the token and the retry policy.
#[derive(Clone)]
pub struct AdminClient {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminClient")
            .field("endpoint", &self.inner.endpoint)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

impl AdminClient {
    /// A builder.
    pub fn builder() -> AdminClientBuilder {
        AdminClientBuilder::default()
    }

    /// A client from flytectl's config; see [`AdminClientBuilder::config`].
    ///
    /// # Errors
    /// As [`AdminClientBuilder::build`].
    pub fn from_config(config: &Config) -> Result<AdminClient> {
        AdminClient::builder().config(config).build()
    }

    /// A client from the config flytectl would find (explicit path aside) and `FLYTE_*` variables.
    ///
    /// # Errors
    /// A config that cannot be read, and as [`AdminClientBuilder::build`].
    pub fn try_default() -> Result<AdminClient> {
        let config = Config::load().map_err(|e| {
            Error::new(Code::InvalidArgument, "config", "", e.to_string()).with_source(e)
        })?;
        AdminClient::from_config(&config)
    }

    /// `host:port` of FlyteAdmin.
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The credentials the client logs in with (`None` without a usable login): to log in
    /// ahead of the first call, see the token's expiry, or call other services with Flyte's
    /// tokens. They discover over this client's channel and share its token.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.inner.credentials.as_ref()
    }

    /// AdminService, for any RPC without a typed helper. Its calls go through the same layers as
    /// the typed helpers: retried by the [`RetryPolicy`] when [`is_idempotent`](crate::is_idempotent)
    /// says the method is safe to repeat (or the request carries [`Idempotent`](crate::Idempotent)),
    /// and logged in when the server asks.
    pub fn admin_service(&self) -> AdminServiceClient<Transport> {
        self.inner.admin.clone()
    }

    /// DataProxyService, retried and logged in as [`AdminClient::admin_service`].
    pub fn data_proxy_service(&self) -> DataProxyServiceClient<Transport> {
        self.inner.data_proxy.clone()
    }

    /// SignalService, retried and logged in as [`AdminClient::admin_service`].
    pub fn signal_service(&self) -> SignalServiceClient<Transport> {
        self.inner.signals.clone()
    }

    /// AgentMetadataService, retried and logged in as [`AdminClient::admin_service`].
    pub fn agent_metadata_service(&self) -> AgentMetadataServiceClient<Transport> {
        self.inner.agents.clone()
    }

    /// IdentityService, retried and logged in as [`AdminClient::admin_service`].
    pub fn identity_service(&self) -> IdentityServiceClient<Transport> {
        self.inner.identity.clone()
    }

    /// AdminService, for the typed helpers.
    pub(crate) fn admin(&self) -> AdminServiceClient<Transport> {
        self.inner.admin.clone()
    }

    /// Awaits one call made on a service client (retried by the transport) and turns its
    /// failure into an [`Error`] naming `rpc`, with the config's login problem when the server
    /// asked for a login the config cannot give.
    pub(crate) async fn unary<T>(
        &self,
        rpc: &'static str,
        call: impl Future<Output = std::result::Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T> {
        let e = match call.await {
            Ok(resp) => return Ok(resp.into_inner()),
            Err(status) => Error::from_status(status, rpc, &self.inner.endpoint),
        };
        match &self.inner.auth_problem {
            Some(problem) if e.is_unauthenticated() => Err(Error::new(
                Code::Unauthenticated,
                rpc,
                &self.inner.endpoint,
                format!("{}; the config cannot log in: {problem}", e.message()),
            )
            .with_source(Arc::clone(problem))),
            _ => Err(e),
        }
    }

    pub(crate) fn invalid(&self, rpc: &'static str, message: impl Into<String>) -> Error {
        Error::invalid_input(rpc, &self.inner.endpoint, message)
    }
}
