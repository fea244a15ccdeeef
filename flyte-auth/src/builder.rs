//! Building the credentials handle: by hand, or from flytectl's `admin` section.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use flyte_config::{AuthType, Config, RetryPolicy, Secret};
use tokio::sync::OnceCell;
use tonic::transport::Channel;

use crate::cache::{FileCache, MemoryCache, TokenCache};
use crate::credentials::{Credentials, Inner};
use crate::discovery::Source;
use crate::error::{Error, Kind, Result};
use crate::flows::{self, ClientSecret, DeviceFlow, ExternalCommand, Flow, Pkce};
use crate::interaction::{Interaction, Terminal};
use crate::oauth::{self, Http};
use crate::token::Clock;

/// Builds [`Credentials`] from a config or by hand.
#[derive(Debug)]
#[must_use]
pub struct CredentialsBuilder {
    flow: Flow,
    endpoint: String,
    grpc: Option<Channel>,
    http_base: Option<String>,
    cache: Option<Arc<dyn TokenCache>>,
    interaction: Arc<dyn Interaction>,
    refresh_window: Duration,
    header: Option<String>,
    retry: RetryPolicy,
    clock: Clock,
    http_proxy: Option<String>,
    ca_cert_file: Option<String>,
    insecure_skip_verify: bool,
    proxy_command: Vec<String>,
}

impl CredentialsBuilder {
    /// Credentials for `flow` against the FlyteAdmin at `endpoint` (used to key the cache).
    pub fn new(flow: impl Into<Flow>, endpoint: impl Into<String>) -> Self {
        let flow = flow.into();
        let refresh_window = match &flow {
            Flow::Pkce(_) | Flow::DeviceFlow(_) => Duration::from_secs(300),
            _ => Duration::from_secs(60),
        };
        CredentialsBuilder {
            flow,
            endpoint: endpoint.into(),
            grpc: None,
            http_base: None,
            cache: None,
            interaction: Arc::new(Terminal::new()),
            refresh_window,
            header: None,
            retry: oauth::default_retry(),
            clock: Clock::system(),
            http_proxy: None,
            ca_cert_file: None,
            insecure_skip_verify: false,
            proxy_command: Vec::new(),
        }
    }

    /// Everything from flytectl's `admin` section: the flow by `authType`, the client secret from
    /// `clientSecretEnvVar` or `clientSecretLocation`, scopes, audience, token URL, header,
    /// timeouts, proxy and TLS settings. Discovery goes over HTTP to the admin endpoint unless a
    /// gRPC channel or another base URL is given.
    ///
    /// # Errors
    /// A config that cannot log in: ClientSecret without a readable secret, ExternalCommand
    /// without a command, a malformed endpoint.
    pub fn from_config(config: &Config) -> Result<Self> {
        let a = &config.admin;
        let flow: Flow = match a.auth_type {
            AuthType::ClientSecret => {
                let secret = config
                    .client_secret()
                    .map_err(|e| {
                        Error::new(Kind::Config, "client credentials", e.to_string())
                            .with_source(e)
                    })?
                    .ok_or_else(|| {
                        Error::new(
                            Kind::Config,
                            "client credentials",
                            if a.client_secret_env_var.is_empty() {
                                "no client secret: set admin.clientSecretEnvVar or admin.clientSecretLocation".to_owned()
                            } else {
                                format!("admin.clientSecretEnvVar names ${}, which is not set", a.client_secret_env_var)
                            },
                        )
                    })?;
                let mut flow = ClientSecret::new(a.client_id.clone(), secret)
                    .scopes(a.scopes.clone())
                    .use_audience_from_admin(a.use_audience_from_admin);
                if !a.audience.is_empty() {
                    flow = flow.audience(a.audience.clone());
                }
                if !a.token_url.is_empty() {
                    flow = flow.token_url(a.token_url.clone());
                }
                flow.into()
            }
            AuthType::Pkce => Pkce::new(a.pkce_config.timeout).into(),
            AuthType::DeviceFlow => DeviceFlow::new(a.device_flow_config.timeout)
                .poll_interval(a.device_flow_config.poll_interval)
                .into(),
            AuthType::ExternalCommand => {
                if a.command.is_empty() {
                    return Err(Error::new(
                        Kind::Config,
                        "external command",
                        "admin.command is empty",
                    ));
                }
                ExternalCommand::new(a.command.clone()).into()
            }
            _ => {
                return Err(Error::new(
                    Kind::Config,
                    "auth",
                    "unsupported admin.authType",
                ))
            }
        };
        let mut b = CredentialsBuilder::new(flow, a.endpoint.clone());
        b.refresh_window = match a.auth_type {
            AuthType::Pkce => a.pkce_config.refresh_time,
            AuthType::DeviceFlow => a.device_flow_config.refresh_time,
            _ => b.refresh_window,
        };
        if let Ok(Some(endpoint)) = config.endpoint() {
            b.http_base = Some(endpoint.uri());
        }
        b.header = (!a.authorization_header.is_empty()).then(|| a.authorization_header.clone());
        if !a.per_retry_timeout.is_zero() {
            b.retry.per_attempt_timeout = a.per_retry_timeout;
        }
        // Read as the admin client reads it (retries after the first attempt), and as
        // flytectl's own token fetch does (maxRetries + 1 steps).
        b.retry.max_retries = u32::try_from(a.max_retries.max(0)).unwrap_or(b.retry.max_retries);
        b.http_proxy = (!a.http_proxy_url.is_empty()).then(|| a.http_proxy_url.clone());
        b.ca_cert_file = (!a.ca_cert_file_path.is_empty()).then(|| a.ca_cert_file_path.clone());
        b.insecure_skip_verify = a.insecure_skip_verify;
        b.proxy_command = a.proxy_command.clone();
        Ok(b)
    }

    /// Discover over this gRPC channel to FlyteAdmin (tried before HTTP).
    ///
    /// tonic's `Channel` is in this signature on purpose: it is the connection the caller
    /// already has to FlyteAdmin (without the login layer), and discovery reuses it.
    pub fn grpc_channel(mut self, channel: Channel) -> Self {
        self.grpc = Some(channel);
        self
    }

    /// Discover over HTTP at this base URL (FlyteAdmin's HTTP address).
    pub fn http_base(mut self, url: impl Into<String>) -> Self {
        self.http_base = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// Where tokens are kept between runs (default: files under `~/.flyte/tokens`).
    pub fn cache(mut self, cache: Arc<dyn TokenCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Keep tokens in memory only.
    pub fn memory_cache(self) -> Self {
        self.cache(Arc::new(MemoryCache::new()))
    }

    /// How PKCE URLs and device codes reach the user (default: printed to stderr, browser opened).
    pub fn interaction(mut self, interaction: Arc<dyn Interaction>) -> Self {
        self.interaction = interaction;
        self
    }

    /// Refresh tokens that expire within this window.
    pub fn refresh_window(mut self, window: Duration) -> Self {
        self.refresh_window = window;
        self
    }

    /// The metadata key to send the token in, overriding the server's choice.
    pub fn header(mut self, name: impl Into<String>) -> Self {
        self.header = Some(name.into());
        self
    }

    /// flyte-auth's retry defaults: five attempts (`max_retries: 4`), 250 ms first backoff up
    /// to 8 s, 15 s an attempt, no overall bound (a device-flow login bounds itself). Start from
    /// here to change one setting: `CredentialsBuilder::default_retry().max_retries(2)`.
    pub fn default_retry() -> RetryPolicy {
        oauth::default_retry()
    }

    /// How token-endpoint requests are retried (default: [`CredentialsBuilder::default_retry`]).
    /// The per-attempt timeout also bounds each discovery request.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The wall clock token expiry is read against (default: [`SystemTime::now`]): tests pass
    /// one they move, to check refresh before expiry without waiting for it.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Clock::new(now);
        self
    }

    /// Builds the handle. Nothing is contacted until a token is needed.
    ///
    /// # Errors
    /// An unreadable CA bundle, a bad proxy URL, or a failing `proxyCommand`.
    pub fn build(self) -> Result<Credentials> {
        let mut client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(5));
        if !self.retry.per_attempt_timeout.is_zero() {
            client = client.timeout(self.retry.per_attempt_timeout);
        }
        if let Some(proxy) = &self.http_proxy {
            let p = reqwest::Proxy::all(proxy).map_err(|e| {
                Error::new(
                    Kind::Config,
                    "auth",
                    format!("admin.httpProxyURL {proxy:?}: {e}"),
                )
                .with_source(e)
            })?;
            client = client.proxy(p);
        }
        if let Some(path) = &self.ca_cert_file {
            let pem = std::fs::read(path).map_err(|e| {
                Error::new(
                    Kind::Config,
                    "auth",
                    format!("cannot read the CA bundle {path}: {e}"),
                )
                .with_source(e)
            })?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| {
                Error::new(
                    Kind::Config,
                    "auth",
                    format!("{path} is not a PEM certificate: {e}"),
                )
                .with_source(e)
            })?;
            client = client
                .tls_built_in_root_certs(false)
                .add_root_certificate(cert);
        }
        if self.insecure_skip_verify {
            tracing::warn!("admin.insecureSkipVerify is set: the identity provider's certificate is not checked");
            client = client.danger_accept_invalid_certs(true);
        }
        let client = client.build().map_err(|e| {
            Error::new(
                Kind::Config,
                "auth",
                format!("cannot build the HTTP client: {e}"),
            )
            .with_source(e)
        })?;
        let proxy_authorization = if self.proxy_command.is_empty() {
            None
        } else {
            Some(Secret::new(flows::run_blocking(
                &self.proxy_command,
                "proxy command",
            )?))
        };
        let cache = match (self.cache, &self.flow) {
            (Some(c), _) => Some(c),
            (None, Flow::ExternalCommand(_)) => None,
            (None, _) => FileCache::default_location().map(|c| Arc::new(c) as Arc<dyn TokenCache>),
        };
        Ok(Credentials {
            inner: Arc::new(Inner {
                flow: self.flow,
                endpoint: self.endpoint,
                source: Source {
                    grpc: self.grpc,
                    http_base: self.http_base,
                },
                http: Http {
                    client,
                    retry: self.retry,
                    proxy_authorization,
                    clock: self.clock,
                    allow_plain_http: false,
                },
                metadata: OnceCell::new(),
                current: Mutex::new(None),
                gate: tokio::sync::Mutex::new(()),
                cache,
                interaction: self.interaction,
                refresh_window: self.refresh_window,
                header: self.header,
                acquired: AtomicU64::new(0),
                key: Mutex::new(None),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_retries_and_per_retry_timeout_mean_what_they_mean_to_the_admin_client(
    ) -> std::result::Result<(), Box<dyn std::error::Error>> {
        let config = flyte_config::Config::from_yaml_str(
            "admin:\n  endpoint: dns:///flyte.example.com\n  authType: ExternalCommand\n  command: [echo, tok]\n  maxRetries: 2\n  perRetryTimeout: 3s\n",
        )?;
        let b = CredentialsBuilder::from_config(&config)?;
        assert_eq!(b.retry.max_retries, 2, "two retries: three attempts");
        assert_eq!(b.retry.max_attempts(), 3);
        assert_eq!(b.retry.per_attempt_timeout, Duration::from_secs(3));
        Ok(())
    }
}
