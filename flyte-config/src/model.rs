//! The typed model of flytectl's client config file (`~/.flyte/config.yaml`).
//!
//! Field names are Rust's; each field's doc names the YAML key in flytectl's spelling.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::fields::{enum_field, ConfigEnum, Field, Section, Visitor};
use crate::secret::Secret;
use crate::value::Value;

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

/// The storage backend (`storage.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StorageType {
    /// Amazon S3 (flytestdlib's default).
    #[default]
    S3,
    /// MinIO, S3-compatible.
    Minio,
    /// The local file system.
    Local,
    /// In memory (tests).
    Mem,
    /// The generic backend named by `storage.stow.kind`.
    Stow,
}

impl ConfigEnum for StorageType {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("s3", StorageType::S3),
        ("minio", StorageType::Minio),
        ("local", StorageType::Local),
        ("mem", StorageType::Mem),
        ("stow", StorageType::Stow),
    ];
}
enum_field!(StorageType);

impl StorageType {
    /// flytestdlib's spelling.
    pub fn as_str(self) -> &'static str {
        self.name()
    }
}

/// How storage credentials are found (`storage.connection.auth-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StorageAuthType {
    /// The cloud's ambient identity (instance role, environment).
    #[default]
    Iam,
    /// `access-key` and `secret-key` from the config.
    AccessKey,
}

impl ConfigEnum for StorageAuthType {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("iam", StorageAuthType::Iam),
        ("accesskey", StorageAuthType::AccessKey),
    ];
}
enum_field!(StorageAuthType);

/// The whole client config: every section flytectl reads, plus where it came from.
///
/// Build one with [`Config::load`] (flytectl's search order and the environment),
/// [`Config::from_path`], [`Config::from_yaml_str`], [`crate::ConfigLoader`], or
/// `Config::default()` and field assignments.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// `admin`: how to reach and log in to FlyteAdmin.
    pub admin: AdminConfig,
    /// `storage` (flytestdlib's `Storage`): blob storage.
    pub storage: StorageConfig,
    /// `console`: the web console.
    pub console: ConsoleConfig,
    /// `logger`: flytestdlib's logger.
    pub logger: LoggerConfig,
    /// `files`: the `register files` flags.
    pub files: FilesConfig,
    /// `root`: project, domain and output defaults (`-p`, `-d`, `-o`).
    pub root: RootConfig,
    /// `task`: fallback project and domain (pyflyte's defaults).
    pub task: TaskConfig,
    /// `otel`: tracing settings, kept as written (flyte-rs does not use them).
    pub otel: Value,
    pub(crate) meta: crate::load::Meta,
}

impl Section for Config {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.section("admin", &mut self.admin);
        v.section("storage", &mut self.storage);
        v.section("console", &mut self.console);
        v.section("logger", &mut self.logger);
        v.section("files", &mut self.files);
        v.section("root", &mut self.root);
        v.section("task", &mut self.task);
        v.field("otel", &mut self.otel);
    }
}

/// The `admin` section (the Go admin client's `Config`).
#[derive(Debug, Clone, PartialEq)]
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
        v.field("command", &mut self.command);
        v.field("proxyCommand", &mut self.proxy_command);
        v.field("defaultServiceConfig", &mut self.default_service_config);
        v.field("httpProxyURL", &mut self.http_proxy_url);
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

/// The `storage` section (flytestdlib's `storage.Config`).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct StorageConfig {
    /// `type`: the backend.
    pub kind: StorageType,
    /// `container`: the bucket or container.
    pub container: String,
    /// `enable-multicontainer`: allow references to other buckets.
    pub enable_multicontainer: bool,
    /// `connection`: the S3/MinIO connection (deprecated in favour of `stow`, still common).
    pub connection: ConnectionConfig,
    /// `stow`: the generic backend.
    pub stow: StowConfig,
    /// `cache`: flytestdlib's in-memory cache.
    pub cache: CacheConfig,
    /// `limits`: transfer limits.
    pub limits: LimitsConfig,
    /// `defaultHttpClient`: the HTTP client for signed URLs.
    pub default_http_client: HttpClientConfig,
    /// `signedUrl`: signed-URL settings.
    pub signed_url: SignedUrlConfig,
}

impl Section for StorageConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("type", &mut self.kind);
        v.field("container", &mut self.container);
        v.field("enable-multicontainer", &mut self.enable_multicontainer);
        v.section("connection", &mut self.connection);
        v.section("stow", &mut self.stow);
        v.section("cache", &mut self.cache);
        v.section("limits", &mut self.limits);
        v.section("defaultHttpClient", &mut self.default_http_client);
        v.section("signedUrl", &mut self.signed_url);
    }
}

/// `storage.connection`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConnectionConfig {
    /// `endpoint`: e.g. `http://localhost:30002` for MinIO.
    pub endpoint: String,
    /// `auth-type`: `iam` or `accesskey`.
    pub auth_type: StorageAuthType,
    /// `access-key`.
    pub access_key: String,
    /// `secret-key`.
    pub secret_key: Secret,
    /// `region` (default `us-east-1`).
    pub region: String,
    /// `disable-ssl`: plain HTTP to the endpoint.
    pub disable_ssl: bool,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            endpoint: String::new(),
            auth_type: StorageAuthType::Iam,
            access_key: String::new(),
            secret_key: Secret::default(),
            region: "us-east-1".to_owned(),
            disable_ssl: false,
        }
    }
}

impl Section for ConnectionConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("endpoint", &mut self.endpoint);
        v.field("auth-type", &mut self.auth_type);
        v.field("access-key", &mut self.access_key);
        v.field("secret-key", &mut self.secret_key);
        v.field("region", &mut self.region);
        v.field("disable-ssl", &mut self.disable_ssl);
    }
}

/// `storage.stow`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct StowConfig {
    /// `kind`: `s3`, `google`, `azure`, `local`, ...
    pub kind: String,
    /// `config`: backend settings as strings (keys, region, account, ...).
    pub config: StowSettings,
}

impl Section for StowConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("kind", &mut self.kind);
        v.field("config", &mut self.config);
    }
}

/// `storage.stow.config`: a string map whose secret-looking entries are redacted when shown.
///
/// Build one with [`StowSettings::new`] and [`StowSettings::with`], or collect it from
/// key and value pairs.
#[derive(Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct StowSettings(pub BTreeMap<String, String>);

impl StowSettings {
    /// No settings.
    pub fn new() -> Self {
        StowSettings::default()
    }

    /// These settings with `key` set to `value`.
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// Sets `key` to `value`, returning the value it replaces.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        self.0.insert(key.into(), value.into())
    }

    /// Every entry, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// True when there are no settings.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether an entry holds a credential, judged by its key.
    pub fn is_secret_key(key: &str) -> bool {
        let k = key.to_ascii_lowercase();
        [
            "secret",
            "password",
            "token",
            "key",
            "credential",
            "sas",
            "json",
        ]
        .iter()
        .any(|s| k.contains(s))
            && !k.ends_with("_id")
            && !k.ends_with("key_id")
            && k != "access_key_id"
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

impl From<BTreeMap<String, String>> for StowSettings {
    fn from(map: BTreeMap<String, String>) -> Self {
        StowSettings(map)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for StowSettings {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        StowSettings(
            entries
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl std::fmt::Debug for StowSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| {
                let shown: &dyn std::fmt::Debug = if StowSettings::is_secret_key(k) && !v.is_empty()
                {
                    &crate::secret::Redacted
                } else {
                    v
                };
                (k, shown)
            }))
            .finish()
    }
}

impl Field for StowSettings {
    fn decode(&mut self, node: &crate::yaml::Node, w: &mut Vec<String>) -> Result<(), String> {
        self.0.decode(node, w)
    }
    fn parse_text(&mut self, text: &str) -> Result<(), String> {
        self.0.parse_text(text)
    }
    fn encode(&self) -> Value {
        self.0.encode()
    }
    /// The settings with secret-looking values replaced by `[redacted]`.
    fn encode_redacted(&self) -> Value {
        Value::Map(
            self.0
                .iter()
                .map(|(k, v)| {
                    let v = if Self::is_secret_key(k) && !v.is_empty() {
                        crate::secret::REDACTED.to_owned()
                    } else {
                        v.clone()
                    };
                    (k.clone(), Value::String(v))
                })
                .collect(),
        )
    }
}

/// `storage.cache`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct CacheConfig {
    /// `max_size_mbs`.
    pub max_size_mbs: i64,
    /// `target_gc_percent`.
    pub target_gc_percent: i64,
}

impl Section for CacheConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("max_size_mbs", &mut self.max_size_mbs);
        v.field("target_gc_percent", &mut self.target_gc_percent);
    }
}

/// `storage.limits`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LimitsConfig {
    /// `maxDownloadMBs`: largest object read whole (default 2).
    pub max_download_mbs: i64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_download_mbs: 2,
        }
    }
}

impl Section for LimitsConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("maxDownloadMBs", &mut self.max_download_mbs);
    }
}

/// `storage.defaultHttpClient`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct HttpClientConfig {
    /// `timeout`: 0 means none.
    pub timeout: Duration,
    /// `headers`: extra headers, each with one or more values.
    pub headers: BTreeMap<String, Vec<String>>,
}

impl Section for HttpClientConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("timeout", &mut self.timeout);
        v.field("headers", &mut self.headers);
    }
}

/// `storage.signedUrl`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct SignedUrlConfig {
    /// `stowConfigOverride`: stow settings used only for signing.
    pub stow_config_override: StowSettings,
}

impl Section for SignedUrlConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("stowConfigOverride", &mut self.stow_config_override);
    }
}

/// The `console` section.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ConsoleConfig {
    /// `endpoint`: the console's base URL, when it differs from the admin endpoint.
    pub endpoint: String,
}

impl Section for ConsoleConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("endpoint", &mut self.endpoint);
    }
}

/// The `logger` section (flytestdlib's logger).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LoggerConfig {
    /// `level`: 0 (panic) to 5 (debug); default 3 (warning).
    pub level: i64,
    /// `show-source`: include the source location.
    pub show_source: bool,
    /// `mute`: no logs at all.
    pub mute: bool,
    /// `formatter.type`: `json` (default), `text` or `gcp`.
    pub formatter_type: String,
}

impl Default for LoggerConfig {
    fn default() -> Self {
        LoggerConfig {
            level: 3,
            show_source: false,
            mute: false,
            formatter_type: "json".to_owned(),
        }
    }
}

struct Formatter<'a>(&'a mut String);

impl Section for Formatter<'_> {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("type", self.0);
    }
}

impl Section for LoggerConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("level", &mut self.level);
        v.field("show-source", &mut self.show_source);
        v.field("mute", &mut self.mute);
        v.section("formatter", &mut Formatter(&mut self.formatter_type));
    }
}

/// The `files` section: `flytectl register files` flags.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct FilesConfig {
    /// `version`: version given to entities without one. flytectl's default is empty.
    pub version: String,
    /// `force`: replace the version of every entity, templated or not.
    pub force: bool,
    /// `continueOnError`: keep registering after a failure.
    pub continue_on_error: bool,
    /// `archive`: the arguments are archives.
    pub archive: bool,
    /// `dryRun`: do everything but the create calls.
    pub dry_run: bool,
    /// `enableSchedule`: activate launch plans with schedules.
    pub enable_schedule: bool,
    /// `assumableIamRole`: IAM role set on launch plans.
    pub assumable_iam_role: String,
    /// `k8sServiceAccount`: service account set on launch plans.
    pub k8s_service_account: String,
    /// `k8ServiceAccount`: deprecated spelling of `k8sServiceAccount`.
    pub k8_service_account: String,
    /// `outputLocationPrefix`: raw output prefix set on launch plans.
    pub output_location_prefix: String,
    /// `sourceUploadPath`: where fast-register code goes when the server has no data proxy.
    pub source_upload_path: String,
    /// `destinationDirectory`: replaces `{{ .dest_dir }}` in fast-registered tasks.
    pub destination_directory: String,
}

impl Section for FilesConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("version", &mut self.version);
        v.field("force", &mut self.force);
        v.field("continueOnError", &mut self.continue_on_error);
        v.field("archive", &mut self.archive);
        v.field("dryRun", &mut self.dry_run);
        v.field("enableSchedule", &mut self.enable_schedule);
        v.field("assumableIamRole", &mut self.assumable_iam_role);
        v.field("k8sServiceAccount", &mut self.k8s_service_account);
        v.field("k8ServiceAccount", &mut self.k8_service_account);
        v.field("outputLocationPrefix", &mut self.output_location_prefix);
        v.field("sourceUploadPath", &mut self.source_upload_path);
        v.field("destinationDirectory", &mut self.destination_directory);
    }
}

/// The `root` section: flytectl's global `-p`, `-d` and `-o`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RootConfig {
    /// `project`.
    pub project: String,
    /// `domain`.
    pub domain: String,
    /// `output`: `TABLE` (default), `JSON`, `YAML`, `DOT` or `DOTURL`.
    pub output: String,
    /// `interactive`.
    pub interactive: bool,
}

impl Default for RootConfig {
    fn default() -> Self {
        RootConfig {
            project: String::new(),
            domain: String::new(),
            output: "TABLE".to_owned(),
            interactive: false,
        }
    }
}

impl Section for RootConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("project", &mut self.project);
        v.field("domain", &mut self.domain);
        v.field("output", &mut self.output);
        v.field("interactive", &mut self.interactive);
    }
}

/// The `task` section: project, domain and org used when `root` names none.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct TaskConfig {
    /// `project`.
    pub project: String,
    /// `domain`.
    pub domain: String,
    /// `org`.
    pub org: String,
}

impl Section for TaskConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("project", &mut self.project);
        v.field("domain", &mut self.domain);
        v.field("org", &mut self.org);
    }
}
