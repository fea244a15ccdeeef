//! The `storage` section (flytestdlib's `storage.Config`): the blob store and its credentials.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::fields::{enum_field, ConfigEnum, Field, Section, ShownAs, Visitor};
use crate::secret::Secret;
use crate::value::Value;

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

/// `storage.defaultHttpClient`. `Debug` and `config show` print the header names, their values
/// `[redacted]`.
#[derive(Clone, PartialEq, Default)]
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
        let value = &mut self.headers;
        v.field(
            "headers",
            &mut ShownAs {
                value,
                redact: crate::secret::redact_values,
            },
        );
    }
}

impl std::fmt::Debug for HttpClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClientConfig")
            .field("timeout", &self.timeout)
            .field("headers", &crate::secret::redact_values(&self.headers))
            .finish()
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
