//! The credentials handle: discovery once, one token request at a time, refresh before expiry,
//! invalidation after UNAUTHENTICATED, and the cache.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flyte_config::{AuthType, Config, Secret};
use tokio::sync::OnceCell;
use tonic::transport::Channel;

use crate::cache::{CacheKey, FileCache, MemoryCache, TokenCache};
use crate::discovery::{self, AuthMetadata, Source};
use crate::error::{Error, Kind, Result};
use crate::interaction::{Interaction, Terminal};
use flyte_config::RetryPolicy;

use crate::oauth::{self, Http};
use crate::pkce::{self, Pkce};
use crate::token::AccessToken;

/// The header FlyteAdmin reads the token from when neither the config nor the server names one.
pub const DEFAULT_HEADER: &str = "authorization";

/// How a token is obtained.
#[derive(Clone)]
#[non_exhaustive]
pub enum Flow {
    /// OAuth2 client credentials.
    ClientSecret {
        /// The client id.
        client_id: String,
        /// The client secret.
        secret: Secret,
        /// Scopes; empty means the server's public-client scopes.
        scopes: Vec<String>,
        /// The `audience` parameter, when set.
        audience: Option<String>,
        /// Send the audience FlyteAdmin advertises when `audience` is unset.
        use_audience_from_admin: bool,
        /// The token endpoint; `None` means the discovered one.
        token_url: Option<String>,
    },
    /// Authorization code with PKCE, in a browser.
    Pkce {
        /// How long to wait for the login.
        timeout: Duration,
    },
    /// RFC 8628 device authorization.
    DeviceFlow {
        /// How long the whole login may take.
        timeout: Duration,
        /// Poll interval when the provider names none.
        poll_interval: Duration,
    },
    /// A command that prints a token.
    ExternalCommand {
        /// The argv.
        command: Vec<String>,
    },
}

impl fmt::Debug for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Flow::ClientSecret {
                client_id,
                scopes,
                audience,
                token_url,
                ..
            } => f
                .debug_struct("ClientSecret")
                .field("client_id", client_id)
                .field("secret", &"[redacted]")
                .field("scopes", scopes)
                .field("audience", audience)
                .field("token_url", token_url)
                .finish_non_exhaustive(),
            Flow::Pkce { timeout } => f.debug_struct("Pkce").field("timeout", timeout).finish(),
            Flow::DeviceFlow {
                timeout,
                poll_interval,
            } => f
                .debug_struct("DeviceFlow")
                .field("timeout", timeout)
                .field("poll_interval", poll_interval)
                .finish(),
            Flow::ExternalCommand { command } => f
                .debug_struct("ExternalCommand")
                .field("program", &command.first())
                .finish_non_exhaustive(),
        }
    }
}

impl Flow {
    fn name(&self) -> &'static str {
        match self {
            Flow::ClientSecret { .. } => "client credentials",
            Flow::Pkce { .. } => "PKCE",
            Flow::DeviceFlow { .. } => "device flow",
            Flow::ExternalCommand { .. } => "external command",
        }
    }
}

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
    http_proxy: Option<String>,
    ca_cert_file: Option<String>,
    insecure_skip_verify: bool,
    proxy_command: Vec<String>,
}

impl CredentialsBuilder {
    /// Credentials for `flow` against the FlyteAdmin at `endpoint` (used to key the cache).
    pub fn new(flow: Flow, endpoint: impl Into<String>) -> Self {
        let refresh_window = match &flow {
            Flow::Pkce { .. } | Flow::DeviceFlow { .. } => Duration::from_secs(300),
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
        let flow = match a.auth_type {
            AuthType::ClientSecret => {
                let secret = config
                    .client_secret()
                    .map_err(|e| Error::new(Kind::Config, "client credentials", e.to_string()))?
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
                Flow::ClientSecret {
                    client_id: a.client_id.clone(),
                    secret,
                    scopes: a.scopes.clone(),
                    audience: (!a.audience.is_empty()).then(|| a.audience.clone()),
                    use_audience_from_admin: a.use_audience_from_admin,
                    token_url: (!a.token_url.is_empty()).then(|| a.token_url.clone()),
                }
            }
            AuthType::Pkce => Flow::Pkce {
                timeout: a.pkce_config.timeout,
            },
            AuthType::DeviceFlow => Flow::DeviceFlow {
                timeout: a.device_flow_config.timeout,
                poll_interval: a.device_flow_config.poll_interval,
            },
            AuthType::ExternalCommand => {
                if a.command.is_empty() {
                    return Err(Error::new(
                        Kind::Config,
                        "external command",
                        "admin.command is empty",
                    ));
                }
                Flow::ExternalCommand {
                    command: a.command.clone(),
                }
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
        // flyte-auth has always read maxRetries as attempts in all (at least one): the same
        // number of attempts is `maxRetries - 1` retries.
        b.retry.max_retries = u32::try_from(a.max_retries.max(1) - 1).unwrap_or(3);
        b.http_proxy = (!a.http_proxy_url.is_empty()).then(|| a.http_proxy_url.clone());
        b.ca_cert_file = (!a.ca_cert_file_path.is_empty()).then(|| a.ca_cert_file_path.clone());
        b.insecure_skip_verify = a.insecure_skip_verify;
        b.proxy_command = a.proxy_command.clone();
        Ok(b)
    }

    /// Discover over this gRPC channel to FlyteAdmin (tried before HTTP).
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

    /// How token-endpoint requests are retried (default: five attempts, 250 ms first backoff
    /// up to 8 s, 15 s an attempt, no overall bound). The per-attempt timeout also bounds each
    /// discovery request.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
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
            })?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| {
                Error::new(
                    Kind::Config,
                    "auth",
                    format!("{path} is not a PEM certificate: {e}"),
                )
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
        })?;
        let proxy_authorization = if self.proxy_command.is_empty() {
            None
        } else {
            Some(Secret::new(run_command_blocking(
                &self.proxy_command,
                "proxy command",
            )?))
        };
        let cache = match (self.cache, &self.flow) {
            (Some(c), _) => Some(c),
            (None, Flow::ExternalCommand { .. }) => None,
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

fn run_command_blocking(argv: &[String], what: &'static str) -> Result<String> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Error::new(Kind::Config, what, "the command is empty"))?;
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .map_err(|e| Error::new(Kind::Command, what, format!("cannot run {program}: {e}")))?;
    command_output(program, what, out)
}

fn command_output(program: &str, what: &'static str, out: std::process::Output) -> Result<String> {
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(Error::new(
            Kind::Command,
            what,
            format!("{program} exited with {}: {}", out.status, stderr.trim()),
        ));
    }
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if token.is_empty() {
        return Err(Error::new(
            Kind::Command,
            what,
            format!("{program} printed nothing"),
        ));
    }
    Ok(token)
}

struct Inner {
    flow: Flow,
    endpoint: String,
    source: Source,
    http: Http,
    metadata: OnceCell<Option<AuthMetadata>>,
    current: Mutex<Option<AccessToken>>,
    /// Held while a token is acquired, so concurrent callers wait for one request.
    gate: tokio::sync::Mutex<()>,
    cache: Option<Arc<dyn TokenCache>>,
    interaction: Arc<dyn Interaction>,
    refresh_window: Duration,
    header: Option<String>,
    acquired: AtomicU64,
    /// The cache key of the current token, once known.
    key: Mutex<Option<CacheKey>>,
}

/// A cheap, cloneable handle that hands out current access tokens.
///
/// Discovery happens once, on first need. Concurrent callers share one token request. Tokens
/// are refreshed (with the refresh token when there is one) before they expire, and
/// [`Credentials::invalidate`] drops a token the server refused.
#[derive(Clone)]
pub struct Credentials {
    inner: Arc<Inner>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("flow", &self.inner.flow)
            .field("endpoint", &self.inner.endpoint)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// A builder for `flow` against `endpoint`.
    pub fn builder(flow: Flow, endpoint: impl Into<String>) -> CredentialsBuilder {
        CredentialsBuilder::new(flow, endpoint)
    }

    /// Credentials from flytectl's config; see [`CredentialsBuilder::from_config`].
    ///
    /// # Errors
    /// As [`CredentialsBuilder::from_config`] and [`CredentialsBuilder::build`].
    pub fn from_config(config: &Config) -> Result<Credentials> {
        CredentialsBuilder::from_config(config)?.build()
    }

    /// What FlyteAdmin advertises; `None` when authentication is off. Asked once.
    ///
    /// # Errors
    /// When discovery fails (other than "auth is off").
    pub async fn metadata(&self) -> Result<Option<AuthMetadata>> {
        self.inner
            .metadata
            .get_or_try_init(|| discovery::discover(&self.inner.source, &self.inner.http.client))
            .await
            .cloned()
    }

    async fn require_metadata(&self, flow: &'static str) -> Result<AuthMetadata> {
        self.metadata().await?.ok_or_else(|| {
            Error::new(
                Kind::Disabled,
                flow,
                "FlyteAdmin has authentication turned off; no token is needed",
            )
        })
    }

    /// The metadata key the token goes in: the configured header, else the server's, else
    /// `authorization`.
    pub async fn header_name(&self) -> String {
        if let Some(h) = &self.inner.header {
            return h.to_ascii_lowercase();
        }
        match self.metadata().await {
            Ok(Some(m)) if !m.authorization_metadata_key.is_empty() => {
                m.authorization_metadata_key.to_ascii_lowercase()
            }
            _ => DEFAULT_HEADER.to_owned(),
        }
    }

    /// The header name and value (`Bearer ...`) to send.
    ///
    /// # Errors
    /// As [`Credentials::token`].
    pub async fn header(&self) -> Result<(String, String)> {
        let token = self.token().await?;
        Ok((self.header_name().await, token.header_value()))
    }

    /// The `proxy-authorization` value from `admin.proxyCommand`, for gRPC calls as well as OAuth.
    pub fn proxy_authorization(&self) -> Option<&str> {
        self.inner
            .http
            .proxy_authorization
            .as_ref()
            .map(Secret::expose)
    }

    /// How many times a token was obtained from the identity provider or the command (not from
    /// memory or the cache).
    pub fn acquisitions(&self) -> u64 {
        self.inner.acquired.load(Ordering::SeqCst)
    }

    fn current(&self) -> Option<AccessToken> {
        self.inner
            .current
            .lock()
            .ok()?
            .clone()
            .filter(|t| t.is_fresh(self.inner.refresh_window))
    }

    /// Forgets `token` after the server refused it, so the next call gets a new one. A token
    /// that was already replaced is left alone.
    pub fn invalidate(&self, token: &AccessToken) {
        // Keep the refresh token: it may still buy a new access token without a login.
        let expire = |mut t: AccessToken| {
            t.expires_at = Some(std::time::UNIX_EPOCH);
            t
        };
        if let Ok(mut current) = self.inner.current.lock() {
            if current.as_ref().is_some_and(|c| c.value == token.value) {
                *current = current.take().map(expire);
            }
        }
        let key = self.inner.key.lock().ok().and_then(|k| k.clone());
        if let (Some(key), Some(cache)) = (key, &self.inner.cache) {
            if let Some(cached) = cache.load(&key).filter(|c| c.value == token.value) {
                cache.store(&key, &expire(cached));
            }
        }
    }

    /// A current access token: from memory, the cache, a refresh, or a new login.
    ///
    /// # Errors
    /// The flow's failure, with what the identity provider answered.
    pub async fn token(&self) -> Result<AccessToken> {
        if let Some(t) = self.current() {
            return Ok(t);
        }
        let _gate = self.inner.gate.lock().await;
        if let Some(t) = self.current() {
            return Ok(t);
        }
        let key = self.cache_key().await?;
        let stale = self.inner.current.lock().ok().and_then(|c| c.clone());
        let cached = match (&key, &self.inner.cache) {
            (Some(k), Some(cache)) => cache.load(k),
            _ => None,
        };
        if let Some(fresh) = cached
            .as_ref()
            .filter(|t| t.is_fresh(self.inner.refresh_window))
        {
            return Ok(self.keep(fresh.clone(), key.as_ref(), false));
        }
        let refresh = [stale.as_ref(), cached.as_ref()]
            .into_iter()
            .flatten()
            .find_map(|t| t.refresh_token.clone());
        if let Some(refresh) = refresh {
            match self.refresh(&refresh).await {
                Ok(t) => return Ok(self.keep(t, key.as_ref(), true)),
                Err(e) => tracing::info!("refresh failed, logging in again: {e}"),
            }
        }
        let token = self.acquire().await?;
        Ok(self.keep(token, key.as_ref(), true))
    }

    fn keep(&self, token: AccessToken, key: Option<&CacheKey>, new: bool) -> AccessToken {
        if let (Some(k), Ok(mut slot)) = (key, self.inner.key.lock()) {
            *slot = Some(k.clone());
        }
        if new {
            self.inner.acquired.fetch_add(1, Ordering::SeqCst);
            if let (Some(k), Some(cache)) = (key, &self.inner.cache) {
                cache.store(k, &token);
            }
        }
        if let Ok(mut c) = self.inner.current.lock() {
            *c = Some(token.clone());
        }
        token
    }

    async fn cache_key(&self) -> Result<Option<CacheKey>> {
        if self.inner.cache.is_none() {
            return Ok(None);
        }
        Ok(Some(match &self.inner.flow {
            Flow::ClientSecret { client_id, .. } => CacheKey::new(&self.inner.endpoint, client_id),
            Flow::Pkce { .. } | Flow::DeviceFlow { .. } => {
                let m = self.require_metadata(self.inner.flow.name()).await?;
                CacheKey::new(&self.inner.endpoint, m.client_id)
            }
            Flow::ExternalCommand { .. } => return Ok(None),
        }))
    }

    async fn refresh(&self, refresh: &Secret) -> Result<AccessToken> {
        let flow = self.inner.flow.name();
        let m = self.require_metadata(flow).await?;
        let client_id = match &self.inner.flow {
            Flow::ClientSecret { client_id, .. } => client_id.clone(),
            _ => m.client_id.clone(),
        };
        let mut token = self
            .inner
            .http
            .token(
                flow,
                &m.token_endpoint,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.expose()),
                    ("client_id", &client_id),
                ],
                None,
            )
            .await?;
        if token.refresh_token.is_none() {
            token.refresh_token = Some(refresh.clone());
        }
        Ok(token)
    }

    async fn acquire(&self) -> Result<AccessToken> {
        match &self.inner.flow {
            Flow::ClientSecret {
                client_id,
                secret,
                scopes,
                audience,
                use_audience_from_admin,
                token_url,
            } => {
                let flow = "client credentials";
                let metadata = match token_url {
                    Some(_) if !*use_audience_from_admin && !scopes.is_empty() => None,
                    _ => Some(self.require_metadata(flow).await?),
                };
                let url = token_url
                    .clone()
                    .or_else(|| metadata.as_ref().map(|m| m.token_endpoint.clone()))
                    .unwrap_or_default();
                let scopes = if scopes.is_empty() {
                    metadata
                        .as_ref()
                        .map(|m| m.scopes.join(" "))
                        .unwrap_or_default()
                } else {
                    scopes.join(" ")
                };
                let audience = audience.clone().or_else(|| {
                    (*use_audience_from_admin)
                        .then(|| metadata.as_ref().map(|m| m.audience.clone()))
                        .flatten()
                        .filter(|a| !a.is_empty())
                });
                let mut form = vec![
                    ("grant_type", "client_credentials"),
                    ("scope", scopes.as_str()),
                ];
                if let Some(a) = &audience {
                    form.push(("audience", a.as_str()));
                }
                self.inner
                    .http
                    .token(flow, &url, &form, Some((client_id, secret)))
                    .await
            }
            Flow::Pkce { timeout } => self.pkce(*timeout).await,
            Flow::DeviceFlow {
                timeout,
                poll_interval,
            } => self.device(*timeout, *poll_interval).await,
            Flow::ExternalCommand { command } => {
                let (program, args) = command.split_first().ok_or_else(|| {
                    Error::new(Kind::Config, "external command", "admin.command is empty")
                })?;
                let out = tokio::process::Command::new(program)
                    .args(args)
                    .output()
                    .await
                    .map_err(|e| {
                        Error::new(
                            Kind::Command,
                            "external command",
                            format!("cannot run {program}: {e}"),
                        )
                    })?;
                Ok(AccessToken::new(
                    command_output(program, "external command", out)?,
                    None,
                ))
            }
        }
    }

    async fn pkce(&self, timeout: Duration) -> Result<AccessToken> {
        let flow = "PKCE";
        let m = self.require_metadata(flow).await?;
        let redirect = pkce::parse_redirect(&m.redirect_uri)?;
        // Listen before showing the URL, so a busy port fails before the user acts.
        let listener = pkce::bind(&redirect).await?;
        let p = Pkce::new()?;
        let state = pkce::random_string(32)?;
        let nonce = pkce::random_string(32)?;
        let sep = if m.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        let query: Vec<String> = [
            ("response_type", "code"),
            ("client_id", m.client_id.as_str()),
            ("redirect_uri", m.redirect_uri.as_str()),
            ("scope", &m.scopes.join(" ")),
            ("state", &state),
            ("nonce", &nonce),
            ("code_challenge", &p.challenge),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", oauth::query_encode(v)))
        .collect();
        let url = format!("{}{sep}{}", m.authorization_endpoint, query.join("&"));
        self.inner.interaction.authorize(&url);
        let code = pkce::wait_for_code(listener, &redirect, &state, timeout).await?;
        self.inner
            .http
            .token(
                flow,
                &m.token_endpoint,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("code_verifier", &p.verifier),
                    ("redirect_uri", &m.redirect_uri),
                    ("client_id", &m.client_id),
                ],
                None,
            )
            .await
    }

    async fn device(&self, timeout: Duration, poll_interval: Duration) -> Result<AccessToken> {
        let flow = "device flow";
        let m = self.require_metadata(flow).await?;
        if m.device_authorization_endpoint.is_empty() {
            return Err(Error::new(
                Kind::Config,
                flow,
                "the authorization server advertises no device_authorization_endpoint",
            ));
        }
        let scopes = m.scopes.join(" ");
        let mut form = vec![
            ("client_id", m.client_id.as_str()),
            ("scope", scopes.as_str()),
        ];
        if !m.audience.is_empty() {
            form.push(("audience", m.audience.as_str()));
        }
        let start = self
            .inner
            .http
            .post_form(flow, &m.device_authorization_endpoint, &form, None)
            .await?
            .map_err(|e| e.into_error(flow, &m.device_authorization_endpoint))?;
        let field = |k: &str| start[k].as_str().map(str::to_owned);
        let device_code = field("device_code").ok_or_else(|| {
            Error::new(
                Kind::Protocol,
                flow,
                "the device authorization answer has no device_code",
            )
        })?;
        let user_code = field("user_code").unwrap_or_default();
        let verification = field("verification_uri")
            .or_else(|| field("verification_url"))
            .unwrap_or_default();
        self.inner.interaction.device_code(
            &verification,
            &user_code,
            field("verification_uri_complete").as_deref(),
        );
        let mut interval = start["interval"]
            .as_u64()
            .map_or(poll_interval, Duration::from_secs);
        let device = secrecy_device(&device_code);
        let poll = async {
            loop {
                tokio::time::sleep(interval).await;
                let answer = self
                    .inner
                    .http
                    .post_form(
                        flow,
                        &m.token_endpoint,
                        &[
                            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                            ("device_code", device.expose()),
                            ("client_id", &m.client_id),
                        ],
                        None,
                    )
                    .await?;
                match answer {
                    Ok(json) => {
                        return AccessToken::from_response(&json).ok_or_else(|| {
                            Error::new(Kind::Protocol, flow, "the token answer has no access_token")
                        })
                    }
                    Err(e) if e.error == "authorization_pending" => {}
                    Err(e) if e.error == "slow_down" => interval += Duration::from_secs(5),
                    Err(e) => return Err(e.into_error(flow, &m.token_endpoint)),
                }
            }
        };
        tokio::time::timeout(timeout, poll).await.map_err(|_| {
            Error::new(
                Kind::Timeout,
                flow,
                format!(
                    "not approved within {}s (admin.deviceFlowConfig.timeout)",
                    timeout.as_secs()
                ),
            )
        })?
    }
}

/// The device code is a credential until it is used: keep it out of `Debug`.
fn secrecy_device(code: &str) -> Secret {
    Secret::new(code)
}
