//! Flyte's Helm values, typed and linted: the keys of the flyte-binary and flyte-core charts of
//! Flyte 1.16, and rules that catch what Helm installs without a word.
//!
//! Helm accepts any key in a values file, and both charts hide Flyte's own config under a key
//! (`configuration.inline` in flyte-binary, `configmap.<section>` in flyte-core), so a typo or a
//! block in the wrong place installs cleanly and is ignored. [`Linter`] reads a values file with
//! flyte-config's positioned YAML and reports each problem with the line and column.
//!
//! # Main types
//! - [`Linter`]: lint one values file ([`Linter::lint`]) into a [`Report`] of [`Finding`]s.
//! - [`Chart`]: flyte-binary or flyte-core, given or guessed from the keys ([`Chart::guess`]).
//! - [`Rule`] and [`Severity`]: what each finding is.
//! - [`TaskPlugins`]: propeller's `tasks.task-plugins`, in both of its forms, as positioned
//!   nodes for the lint.
//! - [`model`]: owned, typed models of both charts' values ([`model::FlyteBinaryValues`],
//!   [`model::FlyteCoreValues`], either as [`ChartValues`]) and of the Flyte config sections
//!   they carry ([`model::FlyteConfig`]). Read from YAML with [`ModelError`]s that give the
//!   line and column; written back with every unknown key kept.
//! - [`Starter`]: starter values for either chart on [`Cloud::Aws`] (IRSA), [`Cloud::Gcp`]
//!   (Workload Identity), [`Cloud::Azure`] (workload identity) or [`Cloud::Minio`], from
//!   validated inputs, as commented YAML that lints with no finding and reads back to the
//!   same model.
//! - [`MergedConfig`]: Flyte's config files merged as Flyte merges them, linted with
//!   [`Linter::lint_flyte_config`].
//! - [`check()`]: a running release checked against its cluster, into a [`CheckReport`] of
//!   [`CheckFinding`]s.
//!
//! # The key trees
//! Each chart's known keys are a table of paths read from its `values.yaml` at tag v1.16.8 of
//! flyteorg/flyte (names and nesting only). Below Kubernetes objects (labels, annotations,
//! resources, probes, security contexts), Flyte's own config (`configuration.inline`, each
//! `configmap.<section>`) and plugin configs, any key is accepted: the charts copy those
//! through, except the Flyte config sections listed under `unknown-key` below. Nothing is
//! dropped: an unknown key is reported, and the file is never rewritten.
//!
//! # Rules
//! Every finding has a [`Rule`], a [`Severity`], a dotted path, a message and a line and column.
//!
//! | id | severity | what and why |
//! |----|----------|--------------|
//! | `unknown-key` | warning | A key the chart does not read, with the closest known key (a sibling within a small edit distance, else the same name elsewhere). Helm passes unknown keys to templates that never look at them. Inside Flyte's config, the sections known key by key (`tasks`, `secrets`, `clusters`, as flytepropeller and flyteadmin declare them) are checked too, case-insensitively as viper matches them; Flyte ignores keys it does not declare. |
//! | `misplaced-key` | error | flyte-binary: `configuration.database.postgres` (Flyte's own config layout; the chart reads `configuration.database.{host, port, dbname, username, password, passwordPath, options}` and ignores the block, so Flyte connects to its default database), and `configuration.storage.{type, container, connection, stow}` (Flyte's layout; the chart reads `provider`, `metadataContainer`, `userDataContainer`, `providerConfig`). flyte-core: `flyteadmin.clusters` (the chart reads `configmap.clusters.clusterConfigs` with `labelClusterMap`), `storage.{container, connection}` (the chart reads `storage.bucketName`, `storage.s3`, `storage.gcs`, `storage.custom`). |
//! | `secrets-prefix-not-a-path` | error | `secrets.secrets-prefix` in Flyte's config that does not start with `/`. In flytepropeller's secret manager config it is the path prefix where secret files are mounted (default `/etc/secrets`), not a prefix of Kubernetes secret names. |
//! | `placeholder` | error | A `<UPPER_CASE>` placeholder from the starter files (`<BUCKET_NAME>`, `<RDS_HOST_DNS>`) left in any key or value. |
//! | `database-password-and-path` | error | Both `password` and `passwordPath`: flyteadmin reads the file at `passwordPath` and the password is ignored. |
//! | `database-empty-host` | error | `host: ""`. |
//! | `database-port-range` | error | A port outside 1..=65535 or not a number. |
//! | `storage-provider-config-missing` | error | flyte-binary: `provider: gcs` without `providerConfig.gcs.project`, `provider: azure` without `providerConfig.azure.account` (the chart's defaults are example values, so the install silently uses them). flyte-core: `type: gcs` without `storage.gcs.projectId`. |
//! | `storage-accesskey-without-keys` | error | S3 `authType: accesskey` without both `accessKey` and `secretKey`. |
//! | `storage-endpoint-scheme` | warning | flyte-binary's S3 `endpoint` is `http://` while `disableSSL` is false, or `https://` while it is true. |
//! | `storage-bucket-name` | error | A bucket, container or account name the provider refuses (S3: 3 to 63 of `a-z0-9.-`, letter or digit at both ends, no `..`, not an IP; GCS: also `_`, up to 222 with dots, not `goog…`; Azure containers: `a-z0-9-`, no `--`; Azure accounts: 3 to 24 of `a-z0-9`). |
//! | `plugin-default-not-enabled` | error | A `default-for-task-types` plugin (map or list form) not in `enabled-plugins`, compared trimmed and case-insensitively as propeller does; propeller refuses to start. In the chart's own place (flyte-binary `enabled_plugins`, flyte-core `configmap.enabled_plugins`) the block is merged over the chart's default as Helm does ([`model::TaskPluginsConfig::merged_over`]): both charts ship `container: container`, `sidecar: sidecar`, `container_array: k8s-array`, which stay in force unless remapped or replaced by the list form, and `enabled-plugins` of `container`, `sidecar`, `k8s-array`, `connector-service`, `echo`, which stays in force when the file writes no list, so a default the file adds is checked against it. An empty `enabled-plugins` enables every plugin, so then no plugin rule applies. |
//! | `plugin-container-not-enabled` | error | `container` missing from `enabled-plugins`. |
//! | `plugin-connector-without-endpoint` | warning | `connector-service` (or its older name `agent-service`) enabled with no connector endpoint: flyte-binary's `configuration.connectorService.defaultConnector.endpoint` emptied and none in `configuration.inline`; flyte-core's `flyteconnector.enabled` off (the chart renders the connector config only then) and none in a `configmap` section. The plugin's own default endpoint is empty. |
//! | `plugin-operator-off` | error | flyte-core: `spark`, `dask` or `databricks` enabled while `sparkoperator.enabled`, `daskoperator.enabled` or `databricks.enabled` is not true. flyte-core has no toggles for Ray or MPI, so those are not checked. |
//! | `auth-incomplete` | error | flyte-binary: `configuration.auth.enabled: true` without `oidc.baseUrl`, `oidc.clientId` or `authorizedUris` (flyteadmin cannot discover the IdP, or accepts no audience). flyte-core: `configmap.adminServer.server.security.useAuth: true` without `configmap.adminServer.auth.userAuth.openId.baseUrl` or `clientId` (Helm merges the chart's example IdP, `https://accounts.google.com` with the chart's example client id, into what the file leaves out), or with `auth.authorizedUris: []`. |
//! | `auth-ingress-host-not-authorized` | error | Auth on and the ingress host (flyte-binary `ingress.host`, flyte-core `common.ingress.host`) not the host of any `authorizedUris` entry: flyteadmin accepts tokens only for its authorized URIs. flyte-core without its own `configmap.adminServer.auth.authorizedUris` keeps the chart's default list (`https://localhost:30081`, `http://flyteadmin:80`, `http://flyteadmin.flyte.svc.cluster.local:80`; Helm replaces lists, never merges them), which no public host is in. A `{{ ... }}` host is rendered by Helm and not checked. |
//! | `cluster-duplicate-name` | error | Two `clusterConfigs` with one `name` (flyteadmin's `clusters` config; flyte-core `configmap.clusters`, flyte-binary `configuration.inline.clusters`). |
//! | `cluster-endpoint-not-https` | error | A `clusterConfigs` `endpoint` that is not an `https://` URL of the API server (unless `inCluster: true`). |
//! | `cluster-auth-incomplete` | error | A cluster `auth` block without both `tokenPath` and `certPath`, the two files flyteadmin reads to reach a remote cluster. |
//! | `cluster-label-unknown` | error | A `labelClusterMap` entry whose `id` is no `clusterConfigs` name. |
//! | `cluster-weight-not-positive` | error | A `labelClusterMap` weight of zero or less. |
//! | `notifications-incomplete` | error | Notifications of type `aws` without a region, `publisher.topicName` or `processor.queueName`, or `gcp` without `gcp.projectId`, topic or queue; external and cloud events (when enabled) of type `aws` without `aws.region` or `eventsPublisher.topicName`, `gcp` without `gcp.projectId` or topic. flyte-core: `workflow_notifications.config.notifications`, `external_events`, `cloud_events`; flyte-binary: `notifications`, `externalEvents`, `cloudEvents` in `configuration.inline`. Flyte 1.16's notifications config has no webhook type, so none is checked. |
//! | `catalog-datacatalog-disabled` | error | DataCatalog off (flyte-binary `flyte-core-components.dataCatalog.disabled: true`, flyte-core `datacatalog.enabled: false`) while `catalog-cache` is of type `datacatalog`, which both charts configure unless Flyte's config overrides it. |
//!
//! The lint reads one file as written; Helm merges it over the chart's defaults, so rules that
//! depend on a default say so above.
//!
//! # Checking a running deployment
//! [`check()`] reads, through flyte-k8s, what a release runs with: the ConfigMaps the chart
//! rendered (found by the labels `app.kubernetes.io/instance: RELEASE` and `helm.sh/chart:
//! flyte-binary-VERSION` or `flyte-core-VERSION`; flyte-binary's `FULLNAME-config` with
//! `000-core.yaml` to `100-inline-config.yaml`, flyte-core's `flyte-admin-base-config` and
//! `flyte-admin-clusters-config` for flyteadmin, `flyte-propeller-config`, `datacatalog-config`),
//! or what each service's Deployment projects into its `--config` directory. It merges each
//! service's files as Flyte's loader does ([`MergedConfig`]: sorted by name, merged one over the
//! other with viper's rules), lints the result with the rules above that apply to Flyte's own
//! config ([`Linter::lint_flyte_config`]), each finding pointing at the ConfigMap, the file and
//! the line and column in it, and checks it against the cluster:
//!
//! | id | severity | what and why |
//! |----|----------|--------------|
//! | `check-config-unreadable` | error | A config file that is not a YAML mapping: the service refuses to start. |
//! | `check-config-missing` | error | A ConfigMap or Secret (not `optional`) projected into the config directory is missing: the pods cannot start. flyte-binary's `FULLNAME-config-secret` holds `012-database-secrets.yaml` (the database password) and `013-storage-secrets.yaml`. |
//! | `check-deployment-missing` | warning | The service's Deployment (`FULLNAME` for flyte-binary; `flyteadmin`, `flytepropeller`, `datacatalog` for flyte-core) is missing; its mounts and service account are not checked. |
//! | `check-crd-missing` | error | An enabled plugin whose CRD is not installed (each plugin's `ResourceToWatch` in flyteplugins: `spark` `sparkapplications.sparkoperator.k8s.io`, `ray` `rayjobs.ray.io`, `dask` `daskjobs.kubernetes.dask.org`, `pytorch` `pytorchjobs.kubeflow.org`, `tensorflow` `tfjobs.kubeflow.org`, `mpi` `mpijobs.kubeflow.org`), or `flyteworkflows.flyte.lyft.com` missing while `propeller.create-flyteworkflow-crd` (default false) is not true. |
//! | `check-connector-service-missing` | error | `connector-service` (or `agent-service`) enabled and an endpoint (`defaultConnector`, each of `connectors`; `defaultAgent`, `agents`) naming a Service that does not exist. Forms: `dns:///NAME.NS.svc.cluster.local:PORT`, `k8s://NAME.NS:PORT`, `NAME:PORT` (the release's namespace), `NAME.NS[.svc...]:PORT`; other hosts are not checked. |
//! | `check-database-secret-missing` | error | `database.passwordPath` (or `database.postgres.passwordPath`) on no volume of the service's container, or its Secret missing, or no key for the file in it. flyte-core mounts `common.databaseSecret.name` at `/etc/db` (its values suggest `/etc/db/pass.txt`); flyte-binary mounts what `deployment.extraVolumes` adds, and a `configuration.database.password` travels in the config Secret (`check-config-missing`). |
//! | `check-storage-identity-missing` | warning | Storage that uses the pods' cloud identity (S3 with `auth-type: iam` / stow `auth_type: iam`; stow `kind: google` without `json`) and a service account without `eks.amazonaws.com/role-arn` (IRSA) or `iam.gke.io/gcp-service-account` (Workload Identity). A warning: node credentials and EKS Pod Identity also work. An error when the service account does not exist. |
//! | `check-version-mismatch` | warning | The services' images carry different tags; flyteadmin, flytepropeller and datacatalog are released together. |
//!
//! The report also says which chart and chart version (the `helm.sh/chart` label) and which
//! Flyte version (the images' tag) are running. Secrets are read for their names and keys only;
//! files that come from Secrets are listed, not merged.
//!
//! # Example
//! ```no_run
//! use flyte_deploy::{Linter, Severity};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let text = std::fs::read_to_string("values.yaml")?;
//! let report = Linter::new().lint(&text)?;
//! for finding in &report.findings {
//!     println!("values.yaml:{finding}");
//! }
//! std::process::exit(i32::from(report.has_errors()));
//! # }
//! ```
//!
//! # Feature flags
//! None.

mod chart;
mod check;
mod finding;
mod keys;
mod lint;
pub mod model;
mod starter;
mod values;

pub use chart::{Chart, UnknownChart};
pub use check::{
    check, CheckError, CheckFinding, CheckReport, CheckRule, Component, ConfigFinding,
    ConfigSource, MergedConfig,
};
pub use finding::{Finding, Report, Rule, Severity};
pub use lint::{Error as LintError, Linter};
pub use model::{ChartValues, Error as ModelError};
pub use starter::{Cloud, Starter, StarterError, UnknownCloud};
pub use values::{TaskPlugins, TaskTypeDefault};
