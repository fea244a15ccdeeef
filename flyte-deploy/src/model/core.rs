//! The flyte-core chart's values (v1.16.8): the keys its templates read.

use super::binary::ServiceAccount;
use super::flyte::{Clusters, FlyteConfig, Postgres, StorageConfig};
use super::section;

section! {
    /// A flyte-core values file. Keys not named here (`flyteconsole`, `webhook`, `secrets`,
    /// ...) stay in `extra`.
    pub struct FlyteCoreValues {
        /// `flyteadmin`.
        flyteadmin: section(CoreService) = "flyteadmin",
        /// `datacatalog`: off means no task caching.
        datacatalog: section(CoreService) = "datacatalog",
        /// `flytepropeller`.
        flytepropeller: section(CoreService) = "flytepropeller",
        /// `flytescheduler`.
        flytescheduler: section(CoreService) = "flytescheduler",
        /// `flyteconnector`: the connector deployment and its plugin config.
        flyteconnector: section(ChartToggle) = "flyteconnector",
        /// `sparkoperator`: the Spark plugin's config (the operator itself is installed apart).
        sparkoperator: section(ChartToggle) = "sparkoperator",
        /// `daskoperator`.
        daskoperator: section(ChartToggle) = "daskoperator",
        /// `databricks`.
        databricks: section(ChartToggle) = "databricks",
        /// `common`: ingress and the database secret.
        common: section(CoreCommon) = "common",
        /// `storage`.
        storage: section(CoreStorage) = "storage",
        /// `db`.
        db: section(CoreDatabases) = "db",
        /// `configmap`: Flyte's config, one file per key.
        configmap: section(CoreConfigmap) = "configmap",
        /// `workflow_notifications`.
        workflow_notifications: section(ChartToggle) = "workflow_notifications",
        /// `cluster_resource_manager`.
        cluster_resource_manager: section(ChartToggle) = "cluster_resource_manager",
    }
}

section! {
    /// One flyte-core service (`flyteadmin`, `datacatalog`, `flytepropeller`, ...).
    pub struct CoreService {
        /// `enabled`.
        enabled: bool = "enabled",
        /// `replicaCount`.
        replica_count: int = "replicaCount",
        /// `serviceAccount`.
        service_account: section(ServiceAccount) = "serviceAccount",
    }
}

section! {
    /// A chart component that is on or off and carries Flyte config (`flyteconnector`,
    /// `sparkoperator`, `workflow_notifications`, ...).
    pub struct ChartToggle {
        /// `enabled`.
        enabled: bool = "enabled",
        /// `plugin_config`: Flyte config rendered when enabled.
        plugin_config: section(FlyteConfig) = "plugin_config",
        /// `config`: Flyte config rendered when enabled (`workflow_notifications`,
        /// `cluster_resource_manager`).
        config: section(FlyteConfig) = "config",
    }
}

section! {
    /// `common`.
    pub struct CoreCommon {
        /// `ingress`.
        ingress: section(CoreIngress) = "ingress",
    }
}

section! {
    /// `common.ingress`.
    pub struct CoreIngress {
        /// `enabled`.
        enabled: bool = "enabled",
        /// `host`.
        host: string = "host",
        /// `ingressClassName`.
        ingress_class_name: string = "ingressClassName",
        /// `separateGrpcIngress`.
        separate_grpc_ingress: bool = "separateGrpcIngress",
        /// `annotations`.
        annotations: string_map = "annotations",
        /// `albSSLRedirect`.
        alb_ssl_redirect: bool = "albSSLRedirect",
    }
}

section! {
    /// flyte-core's `storage`.
    pub struct CoreStorage {
        /// `type`: `sandbox`, `s3`, `gcs` or `custom`.
        kind: string = "type",
        /// `bucketName`.
        bucket_name: string = "bucketName",
        /// `secretName`.
        secret_name: string = "secretName",
        /// `s3`.
        s3: section(CoreS3) = "s3",
        /// `gcs`.
        gcs: section(CoreGcs) = "gcs",
        /// `custom`: a whole Flyte `storage` block, used with `type: custom` (Azure).
        custom: section(StorageConfig) = "custom",
        /// `enableMultiContainer`.
        enable_multi_container: bool = "enableMultiContainer",
    }
}

section! {
    /// flyte-core's `storage.s3`.
    pub struct CoreS3 {
        /// `endpoint`: an S3-compatible store (MinIO).
        endpoint: string = "endpoint",
        /// `region`.
        region: string = "region",
        /// `authType`: `iam` or `accesskey`.
        auth_type: string = "authType",
        /// `accessKey`.
        access_key: string = "accessKey",
        /// `secretKey` (never printed).
        secret_key: secret = "secretKey",
    }
}

section! {
    /// flyte-core's `storage.gcs`.
    pub struct CoreGcs {
        /// `projectId`.
        project_id: string = "projectId",
    }
}

section! {
    /// flyte-core's `db`.
    pub struct CoreDatabases {
        /// `admin`: flyteadmin's database.
        admin: section(CoreDbEntry) = "admin",
        /// `datacatalog`: DataCatalog's database.
        datacatalog: section(CoreDbEntry) = "datacatalog",
    }
}

section! {
    /// One of flyte-core's `db` entries.
    pub struct CoreDbEntry {
        /// `database`.
        database: section(Postgres) = "database",
    }
}

section! {
    /// flyte-core's `configmap`: each key becomes a file of Flyte config. Files not named
    /// here (`domain`, `otel`, `console`, ...) stay in `extra`.
    pub struct CoreConfigmap {
        /// `clusters`: flyteadmin's `clusters` (rendered under that key).
        clusters: section(Clusters) = "clusters",
        /// `adminServer`: flyteadmin's `server`, `flyteadmin` and `auth`.
        admin_server: section(FlyteConfig) = "adminServer",
        /// `admin`: how propeller reaches flyteadmin.
        admin: section(FlyteConfig) = "admin",
        /// `catalog`: `catalog-cache`.
        catalog: section(FlyteConfig) = "catalog",
        /// `core`: propeller.
        core: section(FlyteConfig) = "core",
        /// `enabled_plugins`: `tasks.task-plugins`.
        enabled_plugins: section(FlyteConfig) = "enabled_plugins",
        /// `k8s`: `plugins.k8s`.
        k8s: section(FlyteConfig) = "k8s",
        /// `copilot`.
        copilot: section(FlyteConfig) = "copilot",
        /// `task_logs`.
        task_logs: section(FlyteConfig) = "task_logs",
        /// `remoteData`.
        remote_data: section(FlyteConfig) = "remoteData",
        /// `resource_manager`.
        resource_manager: section(FlyteConfig) = "resource_manager",
        /// `datacatalogServer`.
        datacatalog_server: section(FlyteConfig) = "datacatalogServer",
    }
}
