//! flytectl's client config, `~/.flyte/config.yaml`, as typed Rust: found in flytectl's order,
//! layered with `FLYTE_*` environment variables, checked with errors that name the key, the
//! file, the line and the column.
//!
//! It also reads and writes flytectl's other YAML files: execution specs (`--execFile`), project
//! files and the six matchable-attribute files (`--attrFile`). No network dependencies.
//!
//! # Main types
//! - [`Config`]: the whole config ([`AdminConfig`], [`StorageConfig`], [`ConsoleConfig`],
//!   [`LoggerConfig`], [`FilesConfig`], [`RootConfig`], [`TaskConfig`]); [`Config::load`],
//!   [`Config::from_path`], [`Config::from_yaml_str`], [`Config::validate`].
//! - [`ConfigLoader`]: the search order, environment and overrides, each replaceable.
//! - [`Endpoint`]: `dns:///host:port`, `host:port`, `http(s)://…` parsed into host, port and TLS.
//! - [`Diagnostic`] and [`Error`]: every problem with its key path and position.
//! - [`InitOptions`]: `flytectl config init`.
//! - [`files`]: [`ExecSpec`], [`ProjectFile`] and the [`AttributeFile`]s.
//! - [`Document`] and [`NodeRef`]: any YAML file with the line and column of every node.
//! - [`Value`]: untyped YAML (execution inputs, values carried as written), with
//!   [`Value::to_json`] for APIs that take JSON.
//! - [`Secret`]: values that never print.
//! - [`RetryPolicy`]: how every flyte-rs crate retries, in one vocabulary.
//!
//! # Finding the file
//! As flytectl: an explicit path, else `$FLYTECTL_CONFIG`, else `~/.flyte/config.yaml`; when
//! that is missing, `./config.yaml`, then `/etc/flyte/config/config.yaml`; else defaults.
//! [`Config::source`] says which. An explicit path or `$FLYTECTL_CONFIG` that names a missing
//! file is an error here (flytectl silently falls back to another file).
//!
//! # Keys and the environment
//! Keys match case-insensitively, as viper does in flytectl. Unknown keys are kept as
//! [`Config::warnings`], not errors. Durations use Go's syntax (`15s`, `5m0s`, `1h30m`). Every
//! key can be set by a variable named `FLYTE_` plus its path in upper snake case
//! (`admin.endpoint` is `FLYTE_ADMIN_ENDPOINT`, `admin.pkceConfig.timeout` is
//! `FLYTE_ADMIN_PKCE_CONFIG_TIMEOUT`, `storage.connection.access-key` is
//! `FLYTE_STORAGE_CONNECTION_ACCESS_KEY`); [`Config::keys`] lists them all. pyflyte's names work
//! too: `FLYTE_PLATFORM_URL`, `FLYTE_PLATFORM_INSECURE`, `FLYTE_CREDENTIALS_CLIENT_ID`,
//! `FLYTE_CREDENTIALS_CLIENT_SECRET`, `FLYTE_CREDENTIALS_AUTH_MODE`, `FLYTE_CREDENTIALS_SCOPES`,
//! `FLYTE_AWS_ENDPOINT`, `FLYTE_AWS_ACCESS_KEY_ID`, `FLYTE_AWS_SECRET_ACCESS_KEY` and the rest of
//! flytekit's list. Precedence: explicit overrides, then the environment, then the file, then
//! defaults.
//!
//! # Why yaml-rust2
//! `serde_yaml` is deprecated and unmaintained. We use `yaml-rust2`, a maintained pure-Rust
//! YAML 1.2 parser, through its event API: that gives us the line and column of every key and
//! value, and lets us refuse deep nesting and exploding aliases ("billion laughs") ourselves,
//! before they cost memory or stack. flytectl's loose typing (viper, case-insensitive keys,
//! weakly typed values) is implemented on top rather than fought through serde.
//!
//! # Example
//! ```no_run
//! use flyte_config::{Config, ConfigLoader};
//!
//! # fn main() -> Result<(), flyte_config::Error> {
//! let config = ConfigLoader::new().maybe_path(std::env::args().nth(1)).load()?;
//! println!("using {}", config.source());
//! for warning in config.warnings() {
//!     eprintln!("{warning}");
//! }
//! for problem in config.validate() {
//!     eprintln!("{problem}");
//! }
//! if let Some(endpoint) = config.endpoint()? {
//!     println!("FlyteAdmin at {endpoint} (auth: {:?})", config.admin.auth_type);
//! }
//! # Ok(()) }
//! ```
//!
//! # Feature flags
//! None: the crate is small and always complete.

mod document;
mod duration;
mod endpoint;
mod env;
mod error;
mod fields;
pub mod files;
mod load;
mod model;
mod quantity;
mod retry;
mod secret;
mod time;
mod validate;
mod value;
mod write;
mod yaml;

pub use document::{Document, NodeRef};
pub use duration::{format as format_duration, parse as parse_duration};
pub use endpoint::{Endpoint, DEFAULT_PORT};
pub use env::{env_var_name, ConfigKey};
pub use error::{Diagnostic, Error, Location, Result, Severity};
pub use files::{AttributeFile, ExecSpec, ProjectFile};
pub use load::{
    ConfigLoader, ConfigSource, FoundBy, CONFIG_PATH_ENV, MAX_CONFIG_FILE_BYTES,
    MAX_SECRET_FILE_BYTES, SYSTEM_CONFIG_PATH,
};
pub use model::{
    AdminConfig, AuthType, CacheConfig, Config, ConnectionConfig, ConsoleConfig, DeviceFlowConfig,
    FilesConfig, HttpClientConfig, LimitsConfig, LoggerConfig, PkceConfig, RootConfig,
    SignedUrlConfig, StorageAuthType, StorageConfig, StorageType, StowConfig, StowSettings,
    TaskConfig,
};
pub use quantity::is_quantity;
pub use retry::RetryPolicy;
pub use secret::{redact_userinfo, Secret};
pub use time::{format_rfc3339, parse_rfc3339};
pub use validate::{ValidateOptions, DEFAULT_PKCE_REDIRECT_URI};
pub use value::Value;
pub use write::{InitOptions, DEMO_ENDPOINT};
