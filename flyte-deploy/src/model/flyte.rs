//! The sections of Flyte's own config that the charts carry (`configuration.inline` in
//! flyte-binary, each `configmap.<file>` in flyte-core), with the key names flyteadmin,
//! flytepropeller and flyteplugins declare.

use flyte_config::{NodeRef, Value};

use super::{section, Error, Field};

section! {
    /// A Flyte config file, or the part of one a chart holds. Sections not named here
    /// (`logger`, `propeller`, `admin`, ...) stay in `extra`.
    pub struct FlyteConfig {
        /// `tasks`: flytepropeller's task config.
        tasks: section(Tasks) = "tasks",
        /// `plugins`: per-plugin configs.
        plugins: section(Plugins) = "plugins",
        /// `catalog-cache`: where propeller looks up cached outputs.
        catalog_cache: section(CatalogCache) = "catalog-cache",
        /// `storage`: Flyte's blob store.
        storage: section(StorageConfig) = "storage",
        /// `database`: flyteadmin's and datacatalog's database.
        database: section(DatabaseConfig) = "database",
        /// `secrets`: propeller's secret injection.
        secrets: section(SecretsConfig) = "secrets",
        /// `notifications`: flyteadmin's workflow notifications.
        notifications: section(Notifications) = "notifications",
        /// `cluster_resources`: the cluster resource manager.
        cluster_resources: section(ClusterResources) = "cluster_resources",
        /// `clusters`: flyteadmin's remote execution clusters.
        clusters: section(Clusters) = "clusters",
        /// `server`: flyteadmin's server (ports, `security.useAuth`).
        server: section(ServerConfig) = "server",
        /// `auth`: flyteadmin's authentication.
        auth: section(AdminAuth) = "auth",
    }
}

section! {
    /// `tasks` of flytepropeller's config.
    pub struct Tasks {
        /// `task-plugins`: which plugins run and which handles each task type.
        task_plugins: section(TaskPluginsConfig) = "task-plugins",
    }
}

section! {
    /// `tasks.task-plugins`.
    pub struct TaskPluginsConfig {
        /// `enabled-plugins`; propeller trims and lowercases them, and an empty list enables
        /// every plugin.
        enabled_plugins: strings = "enabled-plugins",
        /// `default-for-task-types`, in the form it was written.
        default_for_task_types: field(TaskTypeDefaults) = "default-for-task-types",
    }
}

/// How `default-for-task-types` is written: propeller reads both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskTypeDefaultsForm {
    /// `container: container` (the charts' defaults).
    #[default]
    Map,
    /// `- container: container` (the EKS starter file).
    List,
}

/// `default-for-task-types`: task type to plugin id, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskTypeDefaults {
    /// The form to write it in.
    pub form: TaskTypeDefaultsForm,
    /// (task type, plugin id) pairs.
    pub entries: Vec<(String, String)>,
}

impl TaskTypeDefaults {
    /// The map form with these entries.
    pub fn map<K: Into<String>, V: Into<String>>(
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> TaskTypeDefaults {
        TaskTypeDefaults {
            form: TaskTypeDefaultsForm::Map,
            entries: entries
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The plugin for `task_type`, when mapped.
    pub fn get(&self, task_type: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(t, _)| t == task_type)
            .map(|(_, p)| p.as_str())
    }
}

impl Field for TaskTypeDefaults {
    fn read(node: NodeRef<'_>, path: &str) -> Result<Self, Error> {
        let pair = |k: NodeRef<'_>, v: NodeRef<'_>| {
            v.as_scalar()
                .map(|p| (k.key_text(), p.to_owned()))
                .ok_or_else(|| {
                    Error::wrong_type(&format!("{path}.{}", k.key_text()), "a plugin id", v)
                })
        };
        if node.is_map() {
            let entries = node
                .entries()
                .map(|(k, v)| pair(k, v))
                .collect::<Result<_, _>>()?;
            return Ok(TaskTypeDefaults {
                form: TaskTypeDefaultsForm::Map,
                entries,
            });
        }
        if node.as_scalar().is_some() {
            return Err(Error::wrong_type(
                path,
                "a mapping or a list of mappings",
                node,
            ));
        }
        let mut entries = Vec::new();
        for item in node.items() {
            if !item.is_map() {
                return Err(Error::wrong_type(
                    path,
                    "a list of `task type: plugin` mappings",
                    item,
                ));
            }
            for (k, v) in item.entries() {
                entries.push(pair(k, v)?);
            }
        }
        Ok(TaskTypeDefaults {
            form: TaskTypeDefaultsForm::List,
            entries,
        })
    }

    fn to_value(&self) -> Value {
        let pair = |(k, v): &(String, String)| (k.clone(), Value::String(v.clone()));
        match self.form {
            TaskTypeDefaultsForm::Map => Value::Map(self.entries.iter().map(pair).collect()),
            TaskTypeDefaultsForm::List => Value::List(
                self.entries
                    .iter()
                    .map(|e| Value::Map(vec![pair(e)]))
                    .collect(),
            ),
        }
    }
}

section! {
    /// `plugins` of flytepropeller's config.
    pub struct Plugins {
        /// `k8s`: defaults for every Kubernetes plugin.
        k8s: section(K8sPlugin) = "k8s",
        /// `connector-service`: the connector plugin (Flyte 1.14 on).
        connector_service: section(ConnectorService) = "connector-service",
        /// `agent-service`: the connector plugin's name before Flyte 1.14.
        agent_service: section(AgentService) = "agent-service",
    }
}

section! {
    /// `plugins.k8s` (flyteplugins' `K8sPluginConfig`).
    pub struct K8sPlugin {
        /// `inject-finalizer`.
        inject_finalizer: bool = "inject-finalizer",
        /// `default-cpus`: the CPU request of containers that set none.
        default_cpus: string = "default-cpus",
        /// `default-memory`: the memory request of containers that set none.
        default_memory: string = "default-memory",
        /// `default-env-vars`: environment variables of every task pod (printed with
        /// secret-named keys redacted; the flyte-core chart writes `[]`, read as empty).
        default_env_vars: field(super::Extra) = "default-env-vars",
        /// `default-annotations`.
        default_annotations: string_map = "default-annotations",
        /// `default-labels`.
        default_labels: string_map = "default-labels",
        /// `scheduler-name`.
        scheduler_name: string = "scheduler-name",
        /// `default-pod-template-name`.
        default_pod_template_name: string = "default-pod-template-name",
    }
}

section! {
    /// `plugins.connector-service` (also flyte-binary's `configuration.connectorService`).
    pub struct ConnectorService {
        /// `defaultConnector`: where task types not mapped elsewhere go.
        default_connector: section(ConnectorDeployment) = "defaultConnector",
        /// `connectors`: named connector deployments.
        connectors: named(ConnectorDeployment) = "connectors",
        /// `connectorForTaskTypes`: task type to connector name.
        connector_for_task_types: string_map = "connectorForTaskTypes",
        /// `supportedTaskTypes`.
        supported_task_types: strings = "supportedTaskTypes",
    }
}

section! {
    /// `plugins.agent-service`: the connector plugin's config before Flyte 1.14.
    pub struct AgentService {
        /// `defaultAgent`.
        default_agent: section(ConnectorDeployment) = "defaultAgent",
        /// `agents`.
        agents: named(ConnectorDeployment) = "agents",
        /// `agentForTaskTypes`.
        agent_for_task_types: string_map = "agentForTaskTypes",
        /// `supportedTaskTypes`.
        supported_task_types: strings = "supportedTaskTypes",
    }
}

section! {
    /// One connector deployment.
    pub struct ConnectorDeployment {
        /// `endpoint` (`k8s://flyteconnector.flyte:8000`, `dns:///host:port`).
        endpoint: string = "endpoint",
        /// `insecure`: plaintext gRPC.
        insecure: bool = "insecure",
        /// `defaultServiceConfig`: gRPC service config JSON.
        default_service_config: string = "defaultServiceConfig",
        /// `timeouts`: per-method timeouts.
        timeouts: string_map = "timeouts",
        /// `defaultTimeout`.
        default_timeout: string = "defaultTimeout",
    }
}

section! {
    /// `catalog-cache` of flytepropeller's config.
    pub struct CatalogCache {
        /// `type`: `datacatalog`, `fake` or `noop`.
        kind: string = "type",
        /// `endpoint` of DataCatalog.
        endpoint: string = "endpoint",
        /// `insecure`.
        insecure: bool = "insecure",
        /// `max-cache-age`.
        max_cache_age: string = "max-cache-age",
        /// `use-admin-auth`.
        use_admin_auth: bool = "use-admin-auth",
    }
}

section! {
    /// `storage` of Flyte's config (flyte-core's `storage.custom` has this shape too).
    pub struct StorageConfig {
        /// `type`: `s3`, `minio`, `stow`, `local`, `mem`.
        kind: string = "type",
        /// `container`: the bucket.
        container: string = "container",
        /// `connection`: S3 and MinIO settings.
        connection: section(StorageConnection) = "connection",
        /// `stow`: any other store.
        stow: section(Stow) = "stow",
        /// `enable-multicontainer`.
        enable_multicontainer: bool = "enable-multicontainer",
        /// `limits`.
        limits: value = "limits",
        /// `cache`.
        cache: value = "cache",
    }
}

section! {
    /// `storage.connection`.
    pub struct StorageConnection {
        /// `endpoint`.
        endpoint: string = "endpoint",
        /// `auth-type`: `iam` or `accesskey`.
        auth_type: string = "auth-type",
        /// `region`.
        region: string = "region",
        /// `access-key`.
        access_key: string = "access-key",
        /// `secret-key` (never printed).
        secret_key: secret = "secret-key",
        /// `disable-ssl`.
        disable_ssl: bool = "disable-ssl",
    }
}

section! {
    /// `storage.stow`.
    pub struct Stow {
        /// `kind`: `s3`, `google`, `azure`, ...
        kind: string = "kind",
        /// `config`: the kind's settings (printed with secret-named keys redacted).
        config: field(super::Extra) = "config",
    }
}

impl Field for super::Extra {
    fn read(node: NodeRef<'_>, path: &str) -> Result<Self, Error> {
        // An empty list stands for an empty map (flyte-core writes `default-env-vars: []`).
        let empty_list =
            node.as_scalar().is_none() && !node.is_map() && node.items().next().is_none();
        if empty_list {
            return Ok(super::Extra::new());
        }
        if !node.is_map() {
            return Err(Error::wrong_type(path, "a mapping", node));
        }
        Ok(node
            .entries()
            .map(|(k, v)| (k.key_text(), v.to_value()))
            .collect())
    }

    fn to_value(&self) -> Value {
        Value::Map(
            self.iter()
                .map(|(k, v)| (k.to_owned(), v.clone()))
                .collect(),
        )
    }
}

section! {
    /// `database` of Flyte's config.
    pub struct DatabaseConfig {
        /// `postgres`.
        postgres: section(Postgres) = "postgres",
    }
}

section! {
    /// A Postgres connection (Flyte's `database.postgres`, flyte-core's `db.*.database`).
    pub struct Postgres {
        /// `host`.
        host: string = "host",
        /// `port`.
        port: int = "port",
        /// `dbname`.
        dbname: string = "dbname",
        /// `username`.
        username: string = "username",
        /// `password` (never printed).
        password: secret = "password",
        /// `passwordPath`: a file holding the password, read instead of `password`.
        password_path: string = "passwordPath",
        /// `options`: libpq options (`sslmode=require`).
        options: string = "options",
        /// `debug`.
        debug: bool = "debug",
    }
}

section! {
    /// `secrets` of flytepropeller's config (its secret manager).
    pub struct SecretsConfig {
        /// `secrets-prefix`: the path where secret files are mounted (default
        /// `/etc/secrets`), not a prefix of Kubernetes secret names.
        secrets_prefix: string = "secrets-prefix",
        /// `env-prefix`: the prefix of secret environment variables (default `_FSEC_`).
        env_prefix: string = "env-prefix",
    }
}

section! {
    /// `notifications` of flyteadmin's config.
    pub struct Notifications {
        /// `type`: `aws`, `gcp` or `sandbox`.
        kind: string = "type",
        /// `region` (aws).
        region: string = "region",
        /// `aws`.
        aws: section(AwsSettings) = "aws",
        /// `gcp`.
        gcp: section(GcpSettings) = "gcp",
        /// `publisher`.
        publisher: section(NotificationsPublisher) = "publisher",
        /// `processor`.
        processor: section(NotificationsProcessor) = "processor",
        /// `emailer`.
        emailer: value = "emailer",
    }
}

section! {
    /// `aws` settings of notifications and events.
    pub struct AwsSettings {
        /// `region`.
        region: string = "region",
    }
}

section! {
    /// `gcp` settings of notifications and events.
    pub struct GcpSettings {
        /// `projectId`.
        project_id: string = "projectId",
    }
}

section! {
    /// `notifications.publisher`.
    pub struct NotificationsPublisher {
        /// `topicName`.
        topic_name: string = "topicName",
    }
}

section! {
    /// `notifications.processor`.
    pub struct NotificationsProcessor {
        /// `queueName`.
        queue_name: string = "queueName",
        /// `accountId`.
        account_id: string = "accountId",
    }
}

section! {
    /// `cluster_resources` of flyteadmin's config.
    pub struct ClusterResources {
        /// `templatePath`.
        template_path: string = "templatePath",
        /// `customData`: per-domain template values.
        custom_data: value = "customData",
        /// `refreshInterval`.
        refresh_interval: string = "refreshInterval",
        /// `standaloneDeployment`.
        standalone_deployment: bool = "standaloneDeployment",
    }
}

section! {
    /// `clusters` of flyteadmin's config (flyte-core's `configmap.clusters`).
    pub struct Clusters {
        /// `clusterConfigs`.
        cluster_configs: list(ClusterConfig) = "clusterConfigs",
        /// `labelClusterMap`: execution label to weighted clusters.
        label_cluster_map: field(LabelClusterMap) = "labelClusterMap",
        /// `defaultExecutionLabel`.
        default_execution_label: string = "defaultExecutionLabel",
    }
}

section! {
    /// One `clusterConfigs` entry.
    pub struct ClusterConfig {
        /// `name`.
        name: string = "name",
        /// `endpoint`: the API server's https URL.
        endpoint: string = "endpoint",
        /// `enabled`.
        enabled: bool = "enabled",
        /// `inCluster`.
        in_cluster: bool = "inCluster",
        /// `auth`.
        auth: section(ClusterAuth) = "auth",
    }
}

section! {
    /// A remote cluster's `auth`.
    pub struct ClusterAuth {
        /// `type`: `file_path`.
        kind: string = "type",
        /// `tokenPath`.
        token_path: string = "tokenPath",
        /// `certPath`.
        cert_path: string = "certPath",
    }
}

section! {
    /// One weighted cluster of a `labelClusterMap` label.
    pub struct ClusterWeight {
        /// `id`: a `clusterConfigs` name.
        id: string = "id",
        /// `weight`.
        weight: value = "weight",
    }
}

/// `labelClusterMap`: label to weighted clusters, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct LabelClusterMap(pub Vec<(String, Vec<ClusterWeight>)>);

impl Field for LabelClusterMap {
    fn read(node: NodeRef<'_>, path: &str) -> Result<Self, Error> {
        use super::node::{Reader, Section};
        if !node.is_map() {
            return Err(Error::wrong_type(path, "a mapping", node));
        }
        let mut labels = Vec::new();
        for (k, v) in node.entries() {
            let label = k.key_text();
            if v.as_scalar().is_some() && !v.is_null() {
                return Err(Error::wrong_type(&format!("{path}.{label}"), "a list", v));
            }
            let weights = v
                .items()
                .enumerate()
                .map(|(i, item)| {
                    ClusterWeight::read(&mut Reader::new(item, &format!("{path}.{label}[{i}]"))?)
                })
                .collect::<Result<_, _>>()?;
            labels.push((label, weights));
        }
        Ok(LabelClusterMap(labels))
    }

    fn to_value(&self) -> Value {
        use super::node::{Out, Section};
        Value::Map(
            self.0
                .iter()
                .map(|(label, weights)| {
                    let items = weights.iter().map(|w| {
                        let mut out = Out::default();
                        w.write(&mut out);
                        out.to_value()
                    });
                    (label.clone(), Value::List(items.collect()))
                })
                .collect(),
        )
    }
}

section! {
    /// `server` of flyteadmin's config.
    pub struct ServerConfig {
        /// `httpPort`.
        http_port: int = "httpPort",
        /// `security`.
        security: section(ServerSecurity) = "security",
    }
}

section! {
    /// `server.security`.
    pub struct ServerSecurity {
        /// `secure`: serve TLS.
        secure: bool = "secure",
        /// `useAuth`: require authentication.
        use_auth: bool = "useAuth",
        /// `allowCors`.
        allow_cors: bool = "allowCors",
        /// `allowedOrigins`.
        allowed_origins: strings = "allowedOrigins",
        /// `allowedHeaders`.
        allowed_headers: strings = "allowedHeaders",
    }
}

section! {
    /// `auth` of flyteadmin's config.
    pub struct AdminAuth {
        /// `authorizedUris`: the URIs clients reach flyteadmin on (token audiences).
        authorized_uris: strings = "authorizedUris",
        /// `userAuth`.
        user_auth: section(UserAuth) = "userAuth",
        /// `appAuth`.
        app_auth: section(AppAuth) = "appAuth",
    }
}

section! {
    /// `auth.userAuth`.
    pub struct UserAuth {
        /// `openId`: the identity provider.
        open_id: section(OpenId) = "openId",
        /// `redirectUrl`.
        redirect_url: string = "redirectUrl",
    }
}

section! {
    /// `auth.userAuth.openId`.
    pub struct OpenId {
        /// `baseUrl`: the IdP's issuer URL.
        base_url: string = "baseUrl",
        /// `clientId`.
        client_id: string = "clientId",
        /// `scopes`.
        scopes: strings = "scopes",
    }
}

section! {
    /// `auth.appAuth`.
    pub struct AppAuth {
        /// `authServerType`: `Self` (default) or `External`.
        auth_server_type: string = "authServerType",
        /// `externalAuthServer`.
        external_auth_server: section(ExternalAuthServer) = "externalAuthServer",
        /// `thirdPartyConfig`: what flytectl and pyflyte are told to use.
        third_party_config: value = "thirdPartyConfig",
    }
}

section! {
    /// `auth.appAuth.externalAuthServer`.
    pub struct ExternalAuthServer {
        /// `baseUrl`.
        base_url: string = "baseUrl",
        /// `allowedAudience`.
        allowed_audience: strings = "allowedAudience",
    }
}

impl TaskPluginsConfig {
    /// The `tasks.task-plugins` both charts ship in their values at v1.16.8 (flyte-binary's
    /// `enabled_plugins`, flyte-core's `configmap.enabled_plugins`).
    pub fn chart_default() -> TaskPluginsConfig {
        TaskPluginsConfig {
            enabled_plugins: Some(
                [
                    "container",
                    "sidecar",
                    "k8s-array",
                    "connector-service",
                    "echo",
                ]
                .map(str::to_owned)
                .to_vec(),
            ),
            default_for_task_types: Some(TaskTypeDefaults::map([
                ("container", "container"),
                ("sidecar", "sidecar"),
                ("container_array", "k8s-array"),
            ])),
            extra: super::Extra::new(),
        }
    }

    /// What propeller reads when Helm merges these values over `base` (the chart's default,
    /// [`TaskPluginsConfig::chart_default`]): a list (`enabled-plugins`, the list form of
    /// `default-for-task-types`) replaces the default; a map merges key by key, so the
    /// chart's task types stay mapped unless remapped here.
    pub fn merged_over(&self, base: &TaskPluginsConfig) -> TaskPluginsConfig {
        let defaults = match (&self.default_for_task_types, &base.default_for_task_types) {
            (Some(mine), Some(theirs))
                if mine.form == TaskTypeDefaultsForm::Map
                    && theirs.form == TaskTypeDefaultsForm::Map =>
            {
                let mut merged = theirs.clone();
                for (task_type, plugin) in &mine.entries {
                    match merged.entries.iter_mut().find(|(t, _)| t == task_type) {
                        Some(entry) => entry.1.clone_from(plugin),
                        None => merged.entries.push((task_type.clone(), plugin.clone())),
                    }
                }
                Some(merged)
            }
            (Some(mine), _) => Some(mine.clone()),
            (None, theirs) => theirs.clone(),
        };
        let mut extra = base.extra.clone();
        for (k, v) in self.extra.iter() {
            extra.insert(k, v.clone());
        }
        TaskPluginsConfig {
            enabled_plugins: self
                .enabled_plugins
                .clone()
                .or_else(|| base.enabled_plugins.clone()),
            default_for_task_types: defaults,
            extra,
        }
    }

    /// Whether propeller runs `plugin`: trimmed and case-insensitively in `enabled-plugins`,
    /// or any plugin when the list is empty or unset.
    pub fn is_enabled(&self, plugin: &str) -> bool {
        let wanted = plugin.trim().to_lowercase();
        match self.enabled_plugins.as_deref() {
            None | Some([]) => true,
            Some(list) => list.iter().any(|p| p.trim().to_lowercase() == wanted),
        }
    }

    /// The (task type, plugin) defaults whose plugin is not enabled: propeller refuses to
    /// start with any of them.
    pub fn defaults_not_enabled(&self) -> impl Iterator<Item = (&str, &str)> {
        self.default_for_task_types
            .iter()
            .flat_map(|d| d.entries.iter())
            .filter(|(_, plugin)| !self.is_enabled(plugin))
            .map(|(t, p)| (t.as_str(), p.as_str()))
    }
}
