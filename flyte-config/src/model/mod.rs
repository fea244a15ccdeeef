//! The typed model of flytectl's client config file (`~/.flyte/config.yaml`).
//!
//! Field names are Rust's; each field's doc names the YAML key in flytectl's spelling.
//!
//! The `admin` and `storage` sections, the large ones, have their own modules.

mod admin;
mod storage;

pub use admin::{AdminConfig, AuthType, DeviceFlowConfig, PkceConfig};
pub use storage::{
    CacheConfig, ConnectionConfig, HttpClientConfig, LimitsConfig, SignedUrlConfig,
    StorageAuthType, StorageConfig, StorageType, StowConfig, StowSettings,
};

use crate::fields::{Section, Visitor};
use crate::value::Value;

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
