//! What [`check`](crate::check()) reports: the release it found and its findings, serializable
//! to JSON.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::{Chart, Rule, Severity};

/// The rule behind a [`CheckFinding`]: a lint rule on the effective config, or a check
/// against the cluster (the crate docs give the fact behind each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CheckRule {
    /// A [`Rule`] of the lint, on the effective config of one service.
    Lint(Rule),
    /// `check-config-unreadable`: a config file that is not a YAML mapping.
    ConfigUnreadable,
    /// `check-config-missing`: a ConfigMap or Secret the config volume projects is missing.
    ConfigMissing,
    /// `check-deployment-missing`: a service's Deployment is missing.
    DeploymentMissing,
    /// `check-crd-missing`: an enabled plugin's CRD (or FlyteWorkflow's) is not installed.
    CrdMissing,
    /// `check-connector-service-missing`: a connector endpoint names a Service that is missing.
    ConnectorServiceMissing,
    /// `check-database-secret-missing`: the database password file's Secret (or mount) is
    /// missing.
    DatabaseSecretMissing,
    /// `check-storage-identity-missing`: storage with `iam` auth and no cloud identity on the
    /// service account.
    StorageIdentityMissing,
    /// `check-version-mismatch`: the services run different Flyte versions.
    VersionMismatch,
}

impl CheckRule {
    /// The rule's id (`check-crd-missing`, or the lint rule's id).
    pub fn id(self) -> &'static str {
        match self {
            CheckRule::Lint(rule) => rule.id(),
            CheckRule::ConfigUnreadable => "check-config-unreadable",
            CheckRule::ConfigMissing => "check-config-missing",
            CheckRule::DeploymentMissing => "check-deployment-missing",
            CheckRule::CrdMissing => "check-crd-missing",
            CheckRule::ConnectorServiceMissing => "check-connector-service-missing",
            CheckRule::DatabaseSecretMissing => "check-database-secret-missing",
            CheckRule::StorageIdentityMissing => "check-storage-identity-missing",
            CheckRule::VersionMismatch => "check-version-mismatch",
        }
    }
}

impl fmt::Display for CheckRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for CheckRule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

fn severity_str<S: Serializer>(severity: &Severity, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(severity)
}

fn chart_str<S: Serializer>(chart: &Chart, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(chart.name())
}

/// A place in a rendered config file: the ConfigMap, its data key (the file's name) and the
/// line and column inside that file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ConfigSource {
    /// The ConfigMap (`flyte-propeller-config`).
    pub config_map: String,
    /// Its data key, the file's name (`enabled_plugins.yaml`).
    pub key: String,
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column in the file.
    pub column: usize,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "configmap/{}[{}]:{}:{}",
            self.config_map, self.key, self.line, self.column
        )
    }
}

/// One problem with a running deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CheckFinding {
    /// Which rule found it.
    pub rule: CheckRule,
    /// How bad it is.
    #[serde(serialize_with = "severity_str")]
    pub severity: Severity,
    /// The Flyte service it is about (`flyte-binary`, `flyteadmin`, `flytepropeller`,
    /// `datacatalog`), empty for the release as a whole.
    pub component: String,
    /// The dotted path in Flyte's config it is about, empty when none.
    pub path: String,
    /// What is wrong and what to do.
    pub message: String,
    /// Where in the rendered config, when the finding is about a config value.
    pub source: Option<ConfigSource>,
}

impl fmt::Display for CheckFinding {
    /// `SOURCE: SEVERITY[RULE] COMPONENT PATH: MESSAGE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(source) = &self.source {
            write!(f, "{source}: ")?;
        }
        write!(f, "{}[{}]", self.severity, self.rule)?;
        if !self.component.is_empty() {
            write!(f, " {}", self.component)?;
        }
        if !self.path.is_empty() {
            write!(f, " {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// One Flyte service of the release as it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Component {
    /// `flyte-binary`, `flyteadmin`, `flytepropeller` or `datacatalog`.
    pub name: String,
    /// Its Deployment, when there is one.
    pub deployment: Option<String>,
    /// The image of its Flyte container.
    pub image: Option<String>,
    /// The service account its pods run as.
    pub service_account: Option<String>,
    /// The config files merged, in the order the service reads them, as `CONFIGMAP/KEY`.
    pub config_files: Vec<String>,
    /// Files of its config directory that come from Secrets, as `SECRET/KEY`: not read, their
    /// values are secret.
    pub secret_files: Vec<String>,
}

/// The result of [`check`](crate::check()).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CheckReport {
    /// The namespace checked.
    pub namespace: String,
    /// The Helm release found.
    pub release: String,
    /// Its chart.
    #[serde(serialize_with = "chart_str")]
    pub chart: Chart,
    /// The chart version from the `helm.sh/chart` label (`v1.16.8`).
    pub chart_version: Option<String>,
    /// The Flyte version the services run: their images' tag, when they agree.
    pub flyte_version: Option<String>,
    /// The services found.
    pub components: Vec<Component>,
    /// Every finding, by component and then file order.
    pub findings: Vec<CheckFinding>,
}

impl CheckReport {
    /// True when any finding is an [`Severity::Error`].
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The findings of one rule.
    pub fn of(&self, rule: CheckRule) -> impl Iterator<Item = &CheckFinding> {
        self.findings.iter().filter(move |f| f.rule == rule)
    }
}

/// Why a deployment could not be checked at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// No ConfigMap of a flyte-binary or flyte-core release (labelled
    /// `app.kubernetes.io/instance` and `helm.sh/chart`) in the namespace.
    #[error("{}", not_found(.namespace, .release.as_deref()))]
    ReleaseNotFound {
        /// The namespace searched.
        namespace: String,
        /// The release asked for, if one was.
        release: Option<String>,
    },
    /// No release was asked for and the namespace holds more than one.
    #[error("namespace {namespace:?} holds several Flyte releases ({}); name one", .releases.join(", "))]
    AmbiguousRelease {
        /// The namespace searched.
        namespace: String,
        /// The releases found.
        releases: Vec<String>,
    },
    /// A read from the API server failed (access denied, unreachable).
    #[error("reading Flyte's objects in namespace {namespace:?} failed")]
    Kubernetes {
        /// The namespace read.
        namespace: String,
        /// flyte-k8s's error, naming the object.
        #[source]
        source: flyte_k8s::Error,
    },
}

fn not_found(namespace: &str, release: Option<&str>) -> String {
    match release {
        Some(r) => format!(
            "no config of a flyte-binary or flyte-core release {r:?} in namespace {namespace:?} \
             (no ConfigMap labelled app.kubernetes.io/instance={r} by either chart)"
        ),
        None => format!(
            "no flyte-binary or flyte-core release in namespace {namespace:?} (no ConfigMap \
             labelled helm.sh/chart by either chart)"
        ),
    }
}
