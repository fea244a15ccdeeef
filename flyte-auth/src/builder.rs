//! Building the credentials handle: by hand, or from flytectl's `admin` section.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use flyte_config::{AuthType, Config, ConfigSource, FoundBy, RetryPolicy};
use tokio::sync::OnceCell;
use tonic::transport::Channel;

use crate::cache::{FileCache, MemoryCache, TokenCache};
use crate::credentials::{Credentials, Inner};
use crate::discovery::Source;
use crate::error::{Error, Kind, Result};
use crate::flows::{ClientSecret, DeviceFlow, ExternalCommand, Flow, Pkce};
use crate::http::HttpSettings;
use crate::interaction::{Interaction, Terminal};
use crate::oauth::{self, Http};
use crate::token::Clock;

/// Builds [`Credentials`] from a config or by hand.
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
    http: HttpSettings,
    client: Option<reqwest::Client>,
    proxy_command: Vec<String>,
    allow_plain_http: bool,
}

impl std::fmt::Debug for CredentialsBuilder {
    /// `proxyCommand` as its program only: its arguments may hold secrets, as the HTTP
    /// settings' proxy URL may (shown without its user info).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsBuilder")
            .field("flow", &self.flow)
            .field("endpoint", &self.endpoint)
            .field("http_base", &self.http_base)
            .field("refresh_window", &self.refresh_window)
            .field("header", &self.header)
            .field("retry", &self.retry)
            .field("http", &self.http)
            .field("proxy_program", &self.proxy_command.first())
            .field("allow_plain_http", &self.allow_plain_http)
            .finish_non_exhaustive()
    }
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
            http: HttpSettings::default(),
            client: None,
            allow_plain_http: false,
            proxy_command: Vec::new(),
        }
    }

    /// Everything from flytectl's `admin` section: the flow by `authType`, the client secret from
    /// `clientSecretEnvVar` or `clientSecretLocation`, scopes, audience, token URL, header,
    /// timeouts, proxy and TLS settings. Discovery goes over HTTP to the admin endpoint unless a
    /// gRPC channel (tried first) or another base URL is given; `flyte_admin_client`'s
    /// `AdminClientBuilder::login` gives its own channel, as flytectl discovers.
    ///
    /// `admin.command` and `admin.proxyCommand` are refused when the config is
    /// `./config.yaml` found in the working directory (the search's fallback): a checkout of
    /// someone else's repository must not run commands. Pass such a file explicitly
    /// (`--config`, [`flyte_config::ConfigLoader::path`]) or name it in `$FLYTECTL_CONFIG` to use
    /// its commands.
    ///
    /// # Errors
    /// A config that cannot log in: ClientSecret without a readable secret, ExternalCommand
    /// without a command, a malformed endpoint, a command from a working-directory config.
    pub fn from_config(config: &Config) -> Result<Self> {
        let a = &config.admin;
        for (key, command) in [
            ("admin.command", &a.command),
            ("admin.proxyCommand", &a.proxy_command),
        ] {
            refuse_untrusted_command(config, key, command)?;
        }
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
        b.http = HttpSettings::from_config(config);
        b.proxy_command = a.proxy_command.clone();
        // A plaintext FlyteAdmin (`admin.insecure`) is a cluster reached without TLS on purpose;
        // its identity provider may be too.
        b.allow_plain_http = a.insecure;
        Ok(b)
    }

    /// The HTTP client for the identity provider (default: one built from the config's
    /// settings, see [`HttpSettings`]): pass the one the rest of the program uses, so that
    /// connections and settings are shared.
    ///
    /// reqwest's `Client` is in this signature on purpose: it is the shared client itself.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
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

    /// Serves a PKCE login's callback on this listener instead of binding the redirect URI's
    /// address (see [`Pkce::listener`]); other flows ignore it. For a flow from a config.
    pub fn callback_listener(mut self, listener: std::net::TcpListener) -> Self {
        self.flow = match self.flow {
            Flow::Pkce(p) => Flow::Pkce(p.listener(listener)),
            other => other,
        };
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

    /// Whether token and device endpoints may be plain `http://` on another host than this one
    /// (default: no, only `https://` and loopback `http://`; [`Self::from_config`] allows it
    /// when `admin.insecure` is set). Off, such an endpoint is refused before a secret is sent.
    pub fn allow_plain_http(mut self, allow: bool) -> Self {
        self.allow_plain_http = allow;
        self
    }

    /// The wall clock token expiry is read against (default: [`SystemTime::now`]): tests pass
    /// one they move, to check refresh before expiry without waiting for it.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Clock::new(now);
        self
    }

    /// Builds the handle. Nothing is contacted, and no command run, until a token is needed.
    ///
    /// # Errors
    /// An unreadable CA bundle or a bad proxy URL (see [`HttpSettings::build`]).
    pub fn build(self) -> Result<Credentials> {
        let client = match self.client {
            Some(c) => c,
            None => self.http.build()?,
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
                plain: Http {
                    client,
                    retry: self.retry,
                    proxy_authorization: None,
                    clock: self.clock,
                    allow_plain_http: self.allow_plain_http,
                },
                http: OnceCell::new(),
                proxy_command: self.proxy_command,
                metadata: OnceCell::new(),
                current: Mutex::new(None),
                gate: Arc::default(),
                ended: Mutex::new((0, None)),
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

/// Refuses `command` (the value of `key`) when it was written in a `./config.yaml` the search
/// found in the working directory.
fn refuse_untrusted_command(config: &Config, key: &str, command: &[String]) -> Result<()> {
    let ConfigSource::File {
        path,
        found_by: FoundBy::WorkingDir,
    } = config.source()
    else {
        return Ok(());
    };
    if command.is_empty() || config.location(key).is_none() {
        return Ok(());
    }
    let path = path.display();
    Err(Error::new(
        Kind::Config,
        "auth",
        format!(
            "{key} is not run: it comes from {path}, found in the working directory, and a \
             checkout of someone else's repository could plant one there. To trust this file, \
             pass it explicitly (--config {path}) or set $FLYTECTL_CONFIG={path}"
        ),
    ))
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

    /// A `config.yaml` in a working directory (with an empty home), loaded by the search.
    fn found_in(
        dir: &std::path::Path,
        yaml: &str,
    ) -> std::result::Result<Config, Box<dyn std::error::Error>> {
        std::fs::write(dir.join("config.yaml"), yaml)?;
        let home = tempfile::tempdir()?;
        Ok(flyte_config::ConfigLoader::new()
            .without_env()
            .home_dir(home.path())
            .working_dir(dir)
            .system_path(dir.join("no-system-config.yaml"))
            .load()?)
    }

    #[test]
    fn debug_never_shows_the_proxy_password() -> std::result::Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("config.yaml");
        std::fs::write(
            &path,
            "admin:\n  endpoint: dns:///x:1\n  authType: Pkce\n  httpProxyURL: http://me:hunter2@proxy.example:3128\n  proxyCommand: [iap-token, --secret, hunter2]\n",
        )?;
        let config = flyte_config::Config::from_path(&path)?;
        let builder = CredentialsBuilder::from_config(&config)?;
        let shown = format!("{builder:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("proxy.example"), "{shown}");
        assert!(shown.contains("iap-token"), "{shown}");
        Ok(())
    }

    #[test]
    fn commands_from_a_working_directory_config_are_refused_with_the_way_to_opt_in(
    ) -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        for (key, yaml) in [
            (
                "admin.command",
                "admin:\n  endpoint: dns:///x:1\n  authType: ExternalCommand\n  command: [sh, -c, echo planted]\n",
            ),
            (
                "admin.proxyCommand",
                "admin:\n  endpoint: dns:///x:1\n  authType: Pkce\n  proxyCommand: [sh, -c, echo planted]\n",
            ),
        ] {
            let config = found_in(dir.path(), yaml)?;
            assert!(matches!(
                config.source(),
                ConfigSource::File {
                    found_by: FoundBy::WorkingDir,
                    ..
                }
            ));
            let err = CredentialsBuilder::from_config(&config).expect_err("refused");
            let text = err.to_string();
            assert!(err.is_config(), "{text}");
            assert!(text.contains(key), "names the key: {text}");
            assert!(text.contains("working directory"), "says why: {text}");
            assert!(
                text.contains("--config") && text.contains("$FLYTECTL_CONFIG"),
                "says how to opt in: {text}"
            );
            // The same file given explicitly is trusted.
            let explicit = flyte_config::Config::from_path(dir.path().join("config.yaml"))?;
            CredentialsBuilder::from_config(&explicit)?.build()?;
        }
        Ok(())
    }

    #[tokio::test]
    async fn the_proxy_command_runs_once_and_only_when_needed(
    ) -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let count = dir.path().join("runs");
        let config = flyte_config::Config::from_yaml_str(&format!(
            "admin:\n  endpoint: dns:///x:1\n  authType: ExternalCommand\n  command: [sh, -c, echo tok]\n  proxyCommand: [sh, -c, 'echo run >> {}; echo Bearer p']\n",
            count.display()
        ))?;
        let creds = CredentialsBuilder::from_config(&config)?.build()?;
        assert!(!count.exists(), "building the handle runs nothing");
        for _ in 0..3 {
            let p = creds.proxy_authorization().await?.ok_or("a proxy header")?;
            assert_eq!(p.expose(), "Bearer p");
        }
        assert_eq!(std::fs::read_to_string(&count)?.lines().count(), 1);
        Ok(())
    }
}
