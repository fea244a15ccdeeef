//! What the lint reports: findings with a rule, a severity and a position.

use std::fmt;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// Probably harmless or deliberate; worth a look.
    Warning,
    /// Flyte will not work as written, or will silently do something else.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// The rules of [`Linter`](crate::Linter); the crate docs give the Flyte fact behind each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// `unknown-key`: a key the chart does not read.
    UnknownKey,
    /// `misplaced-key`: a key the chart ignores where it is, with the place it is read from.
    MisplacedKey,
    /// `secrets-prefix-not-a-path`: `secrets-prefix` set to something other than a path.
    SecretsPrefixNotAPath,
    /// `placeholder`: a `<PLACEHOLDER>` left from a starter file.
    Placeholder,
    /// `database-password-and-path`: both `password` and `passwordPath`.
    DatabasePasswordAndPath,
    /// `database-empty-host`: an empty database host.
    DatabaseEmptyHost,
    /// `database-port-range`: a database port outside 1..=65535.
    DatabasePortRange,
    /// `storage-provider-config-missing`: a storage provider without its settings.
    StorageProviderConfigMissing,
    /// `storage-accesskey-without-keys`: S3 `authType: accesskey` without both keys.
    StorageAccessKeyWithoutKeys,
    /// `storage-endpoint-scheme`: an endpoint scheme that disagrees with `disableSSL`.
    StorageEndpointScheme,
    /// `storage-bucket-name`: a bucket, container or account name the provider refuses.
    StorageBucketName,
    /// `plugin-default-not-enabled`: a default plugin for a task type that is not enabled.
    PluginDefaultNotEnabled,
    /// `plugin-container-not-enabled`: `container` missing from the enabled plugins.
    PluginContainerNotEnabled,
    /// `plugin-connector-without-endpoint`: the connector plugin with no connector endpoint.
    PluginConnectorWithoutEndpoint,
    /// `plugin-operator-off`: a plugin enabled while the chart's operator for it is off.
    PluginOperatorOff,
    /// `auth-incomplete`: auth enabled without an OIDC base URL, a client id or authorized URIs.
    AuthIncomplete,
    /// `auth-ingress-host-not-authorized`: the ingress host missing from `authorizedUris`.
    AuthIngressHostNotAuthorized,
    /// `cluster-duplicate-name`: two `clusterConfigs` with one name.
    ClusterDuplicateName,
    /// `cluster-endpoint-not-https`: a remote cluster endpoint that is not an https URL.
    ClusterEndpointNotHttps,
    /// `cluster-auth-incomplete`: cluster auth without both `tokenPath` and `certPath`.
    ClusterAuthIncomplete,
    /// `cluster-label-unknown`: `labelClusterMap` naming a cluster not in `clusterConfigs`.
    ClusterLabelUnknown,
    /// `cluster-weight-not-positive`: a `labelClusterMap` weight of zero or less.
    ClusterWeightNotPositive,
    /// `notifications-incomplete`: notifications or events of a type without its settings.
    NotificationsIncomplete,
    /// `catalog-datacatalog-disabled`: `catalog-cache` of type `datacatalog` with DataCatalog off.
    CatalogDatacatalogDisabled,
}

impl Rule {
    /// The rule's id, as printed and as matched by users who silence it.
    pub fn id(self) -> &'static str {
        match self {
            Rule::UnknownKey => "unknown-key",
            Rule::MisplacedKey => "misplaced-key",
            Rule::SecretsPrefixNotAPath => "secrets-prefix-not-a-path",
            Rule::Placeholder => "placeholder",
            Rule::DatabasePasswordAndPath => "database-password-and-path",
            Rule::DatabaseEmptyHost => "database-empty-host",
            Rule::DatabasePortRange => "database-port-range",
            Rule::StorageProviderConfigMissing => "storage-provider-config-missing",
            Rule::StorageAccessKeyWithoutKeys => "storage-accesskey-without-keys",
            Rule::StorageEndpointScheme => "storage-endpoint-scheme",
            Rule::StorageBucketName => "storage-bucket-name",
            Rule::PluginDefaultNotEnabled => "plugin-default-not-enabled",
            Rule::PluginContainerNotEnabled => "plugin-container-not-enabled",
            Rule::PluginConnectorWithoutEndpoint => "plugin-connector-without-endpoint",
            Rule::PluginOperatorOff => "plugin-operator-off",
            Rule::AuthIncomplete => "auth-incomplete",
            Rule::AuthIngressHostNotAuthorized => "auth-ingress-host-not-authorized",
            Rule::ClusterDuplicateName => "cluster-duplicate-name",
            Rule::ClusterEndpointNotHttps => "cluster-endpoint-not-https",
            Rule::ClusterAuthIncomplete => "cluster-auth-incomplete",
            Rule::ClusterLabelUnknown => "cluster-label-unknown",
            Rule::ClusterWeightNotPositive => "cluster-weight-not-positive",
            Rule::NotificationsIncomplete => "notifications-incomplete",
            Rule::CatalogDatacatalogDisabled => "catalog-datacatalog-disabled",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One problem in a values file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// Which rule found it.
    pub rule: Rule,
    /// How bad it is.
    pub severity: Severity,
    /// The dotted key path it is about (`configuration.database.host`).
    pub path: String,
    /// What is wrong and what to write instead.
    pub message: String,
    /// 1-based line of the key or value it is about.
    pub line: usize,
    /// 1-based column of the key or value it is about.
    pub column: usize,
}

impl fmt::Display for Finding {
    /// `LINE:COLUMN: SEVERITY[RULE] PATH: MESSAGE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}[{}] {}: {}",
            self.line, self.column, self.severity, self.rule, self.path, self.message
        )
    }
}

/// The result of linting one values file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The chart the file was linted against.
    pub chart: crate::Chart,
    /// True when the chart was guessed from the keys rather than given.
    pub chart_guessed: bool,
    /// Every finding, in file order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// True when any finding is an [`Severity::Error`].
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The findings of one rule.
    pub fn of(&self, rule: Rule) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.rule == rule)
    }
}
