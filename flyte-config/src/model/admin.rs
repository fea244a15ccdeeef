//! The `admin` section: how to reach and log in to FlyteAdmin.

use std::time::Duration;

use crate::fields::{enum_field, ConfigEnum, Section, ShownAs, Visitor};
use crate::secret::Secret;

/// How the client logs in to FlyteAdmin (`admin.authType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AuthType {
    /// OAuth2 client credentials with `clientId` and a secret. flytectl's default.
    #[default]
    ClientSecret,
    /// Authorization code with PKCE in a browser.
    Pkce,
    /// A command prints the token.
    ExternalCommand,
    /// RFC 8628 device authorization.
    DeviceFlow,
}

impl ConfigEnum for AuthType {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("ClientSecret", AuthType::ClientSecret),
        ("Pkce", AuthType::Pkce),
        ("ExternalCommand", AuthType::ExternalCommand),
        ("DeviceFlow", AuthType::DeviceFlow),
    ];
    const ALIASES: &'static [(&'static str, Self, &'static str)] = &[
        (
            "standard",
            AuthType::Pkce,
            "\"standard\" is pyflyte's name; flytectl only accepts \"Pkce\"",
        ),
        (
            "basic",
            AuthType::ClientSecret,
            "\"basic\" is pyflyte's name; flytectl only accepts \"ClientSecret\"",
        ),
        (
            "client_credentials",
            AuthType::ClientSecret,
            "\"client_credentials\" is pyflyte's name; flytectl only accepts \"ClientSecret\"",
        ),
        (
            "external_process",
            AuthType::ExternalCommand,
            "\"external_process\" is pyflyte's name; flytectl only accepts \"ExternalCommand\"",
        ),
    ];
}
enum_field!(AuthType);

impl AuthType {
    /// flytectl's spelling.
    pub fn as_str(self) -> &'static str {
        self.name()
    }
}

/// The `admin` section (the Go admin client's `Config`). `Debug` and `config show` print
/// `command` and `proxyCommand` as their program and `[redacted]` for each argument, and the
/// client secret as `[redacted]`.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct AdminConfig {
    /// `endpoint`: the gRPC target, e.g. `dns:///flyte.example.com`. Empty: none configured.
    /// See [`crate::Endpoint`] and [`crate::Config::endpoint`].
    pub endpoint: String,
    /// `insecure`: plaintext gRPC.
    pub insecure: bool,
    /// `insecureSkipVerify`: TLS without verifying the server's certificate.
    pub insecure_skip_verify: bool,
    /// `caCertFilePath`: a PEM bundle that replaces the system roots.
    pub ca_cert_file_path: String,
    /// `maxBackoffDelay`: longest wait between reconnects (default 8s).
    pub max_backoff_delay: Duration,
    /// `perRetryTimeout`: deadline of each RPC attempt (default 15s).
    pub per_retry_timeout: Duration,
    /// `maxRetries`: attempts per RPC in the Go client (default 4). Negative is invalid.
    pub max_retries: i64,
    /// `maxMessageSizeBytes`: largest message received; 0 means the client's default.
    pub max_message_size_bytes: i64,
    /// `authType`: how to log in.
    pub auth_type: AuthType,
    /// `tokenRefreshWindow`: defined by the Go client but unused there.
    pub token_refresh_window: Duration,
    /// `useAuth`: deprecated and ignored; auth is decided by the server.
    pub use_auth: bool,
    /// `clientId`: the OAuth2 client for ClientSecret auth (default `flytepropeller`).
    pub client_id: String,
    /// `clientSecretLocation`: file holding the client secret (default `/etc/secrets/client_secret`).
    pub client_secret_location: String,
    /// `clientSecretEnvVar`: name of an environment variable holding the client secret; wins over the file.
    pub client_secret_env_var: String,
    /// `clientSecret`: the secret itself. A flyte-rs extension that flytectl ignores; set from
    /// `FLYTE_CREDENTIALS_CLIENT_SECRET` as pyflyte does. Prefer the env var or file keys.
    pub client_secret: Secret,
    /// `scopes`: scopes for ClientSecret auth; empty means the server's.
    pub scopes: Vec<String>,
    /// `useAudienceFromAdmin`: send the audience FlyteAdmin advertises.
    pub use_audience_from_admin: bool,
    /// `audience`: the `audience` parameter sent to the token endpoint.
    pub audience: String,
    /// `authorizationServerUrl`: deprecated and ignored.
    pub authorization_server_url: String,
    /// `tokenUrl`: the token endpoint; skips discovery for ClientSecret auth.
    pub token_url: String,
    /// `authorizationHeader`: metadata key for the token; empty means the server's choice.
    pub authorization_header: String,
    /// `pkceConfig`: the browser login.
    pub pkce_config: PkceConfig,
    /// `deviceFlowConfig`: the device login.
    pub device_flow_config: DeviceFlowConfig,
    /// `command`: argv printing a token, for ExternalCommand auth.
    pub command: Vec<String>,
    /// `proxyCommand`: argv printing a `proxy-authorization` token (e.g. for GCP IAP).
    pub proxy_command: Vec<String>,
    /// `defaultServiceConfig`: a gRPC service config in JSON.
    pub default_service_config: String,
    /// `httpProxyURL`: proxy for the OAuth HTTP calls.
    pub http_proxy_url: String,
}

impl std::fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminConfig")
            .field("endpoint", &self.endpoint)
            .field("insecure", &self.insecure)
            .field("insecure_skip_verify", &self.insecure_skip_verify)
            .field("ca_cert_file_path", &self.ca_cert_file_path)
            .field("max_backoff_delay", &self.max_backoff_delay)
            .field("per_retry_timeout", &self.per_retry_timeout)
            .field("max_retries", &self.max_retries)
            .field("max_message_size_bytes", &self.max_message_size_bytes)
            .field("auth_type", &self.auth_type)
            .field("token_refresh_window", &self.token_refresh_window)
            .field("use_auth", &self.use_auth)
            .field("client_id", &self.client_id)
            .field("client_secret_location", &self.client_secret_location)
            .field("client_secret_env_var", &self.client_secret_env_var)
            .field("client_secret", &self.client_secret)
            .field("scopes", &self.scopes)
            .field("use_audience_from_admin", &self.use_audience_from_admin)
            .field("audience", &self.audience)
            .field("authorization_server_url", &self.authorization_server_url)
            .field("token_url", &self.token_url)
            .field("authorization_header", &self.authorization_header)
            .field("pkce_config", &self.pkce_config)
            .field("device_flow_config", &self.device_flow_config)
            .field("command", &crate::secret::redact_args(&self.command))
            .field(
                "proxy_command",
                &crate::secret::redact_args(&self.proxy_command),
            )
            .field("default_service_config", &self.default_service_config)
            .field(
                "http_proxy_url",
                &crate::secret::redact_userinfo(&self.http_proxy_url),
            )
            .finish()
    }
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            endpoint: String::new(),
            insecure: false,
            insecure_skip_verify: false,
            ca_cert_file_path: String::new(),
            max_backoff_delay: Duration::from_secs(8),
            per_retry_timeout: Duration::from_secs(15),
            max_retries: 4,
            max_message_size_bytes: 0,
            auth_type: AuthType::ClientSecret,
            token_refresh_window: Duration::ZERO,
            use_auth: false,
            client_id: "flytepropeller".to_owned(),
            client_secret_location: "/etc/secrets/client_secret".to_owned(),
            client_secret_env_var: String::new(),
            client_secret: Secret::default(),
            scopes: Vec::new(),
            use_audience_from_admin: false,
            audience: String::new(),
            authorization_server_url: String::new(),
            token_url: String::new(),
            authorization_header: String::new(),
            pkce_config: PkceConfig::default(),
            device_flow_config: DeviceFlowConfig::default(),
            command: Vec::new(),
            proxy_command: Vec::new(),
            default_service_config: String::new(),
            http_proxy_url: String::new(),
        }
    }
}

impl Section for AdminConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("endpoint", &mut self.endpoint);
        v.field("insecure", &mut self.insecure);
        v.field("insecureSkipVerify", &mut self.insecure_skip_verify);
        v.field("caCertFilePath", &mut self.ca_cert_file_path);
        v.field("maxBackoffDelay", &mut self.max_backoff_delay);
        v.field("perRetryTimeout", &mut self.per_retry_timeout);
        v.field("maxRetries", &mut self.max_retries);
        v.field("maxMessageSizeBytes", &mut self.max_message_size_bytes);
        v.field("authType", &mut self.auth_type);
        v.field("tokenRefreshWindow", &mut self.token_refresh_window);
        v.field("useAuth", &mut self.use_auth);
        v.field("clientId", &mut self.client_id);
        v.field("clientSecretLocation", &mut self.client_secret_location);
        v.field("clientSecretEnvVar", &mut self.client_secret_env_var);
        v.field("clientSecret", &mut self.client_secret);
        v.field("scopes", &mut self.scopes);
        v.field("useAudienceFromAdmin", &mut self.use_audience_from_admin);
        v.field("audience", &mut self.audience);
        v.field("authorizationServerUrl", &mut self.authorization_server_url);
        v.field("tokenUrl", &mut self.token_url);
        v.field("authorizationHeader", &mut self.authorization_header);
        v.section("pkceConfig", &mut self.pkce_config);
        v.section("deviceFlowConfig", &mut self.device_flow_config);
        // Arguments may hold tokens: `config show` prints the program only.
        let redact = |argv: &Vec<String>| crate::secret::redact_args(argv);
        let value = &mut self.command;
        v.field("command", &mut ShownAs { value, redact });
        let value = &mut self.proxy_command;
        v.field("proxyCommand", &mut ShownAs { value, redact });
        v.field("defaultServiceConfig", &mut self.default_service_config);
        // A proxy URL may carry `user:password@`: `config show` prints it without.
        let value = &mut self.http_proxy_url;
        let redact = |url: &String| crate::secret::redact_userinfo(url);
        v.field("httpProxyURL", &mut ShownAs { value, redact });
    }
}

/// `admin.pkceConfig`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PkceConfig {
    /// `timeout`: how long to wait for the browser login (default 2m).
    pub timeout: Duration,
    /// `refreshTime`: refresh this long before the token expires (default 5m).
    pub refresh_time: Duration,
}

impl Default for PkceConfig {
    fn default() -> Self {
        PkceConfig {
            timeout: Duration::from_secs(120),
            refresh_time: Duration::from_secs(300),
        }
    }
}

impl Section for PkceConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("timeout", &mut self.timeout);
        v.field("refreshTime", &mut self.refresh_time);
    }
}

/// `admin.deviceFlowConfig`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DeviceFlowConfig {
    /// `refreshTime`: refresh this long before the token expires (default 5m).
    pub refresh_time: Duration,
    /// `timeout`: how long the whole device login may take (default 10m).
    pub timeout: Duration,
    /// `pollInterval`: poll interval when the identity provider names none (default 5s).
    pub poll_interval: Duration,
}

impl Default for DeviceFlowConfig {
    fn default() -> Self {
        DeviceFlowConfig {
            refresh_time: Duration::from_secs(300),
            timeout: Duration::from_secs(600),
            poll_interval: Duration::from_secs(5),
        }
    }
}

impl Section for DeviceFlowConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("refreshTime", &mut self.refresh_time);
        v.field("timeout", &mut self.timeout);
        v.field("pollInterval", &mut self.poll_interval);
    }
}
