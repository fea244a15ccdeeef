//! The flyte-binary chart's values (v1.16.8): the keys its templates read.

use super::flyte::{ConnectorService, FlyteConfig};
use super::section;

section! {
    /// A flyte-binary values file. Keys not named here (`deployment`, `service`, `rbac`,
    /// ...) stay in `extra`.
    pub struct FlyteBinaryValues {
        /// `flyte-core-components`: which services run in the one pod.
        flyte_core_components: section(CoreComponents) = "flyte-core-components",
        /// `configuration`: the chart's own settings and Flyte's config.
        configuration: section(BinaryConfiguration) = "configuration",
        /// `ingress`.
        ingress: section(BinaryIngress) = "ingress",
        /// `serviceAccount`: the pod's service account (IRSA and Workload Identity go in
        /// its annotations).
        service_account: section(ServiceAccount) = "serviceAccount",
        /// `enabled_plugins`: a Flyte config fragment with `tasks.task-plugins`.
        enabled_plugins: section(FlyteConfig) = "enabled_plugins",
    }
}

section! {
    /// `flyte-core-components`.
    pub struct CoreComponents {
        /// `dataCatalog`.
        data_catalog: section(DataCatalogComponent) = "dataCatalog",
    }
}

section! {
    /// `flyte-core-components.dataCatalog`.
    pub struct DataCatalogComponent {
        /// `disabled`: no DataCatalog, so no task caching.
        disabled: bool = "disabled",
    }
}

section! {
    /// `configuration`.
    pub struct BinaryConfiguration {
        /// `database`: the chart's database keys (not Flyte's `database.postgres` layout).
        database: section(BinaryDatabase) = "database",
        /// `storage`: the chart's storage keys.
        storage: section(BinaryStorage) = "storage",
        /// `auth`.
        auth: section(BinaryAuth) = "auth",
        /// `connectorService`: rendered as `plugins.connector-service`.
        connector_service: section(ConnectorService) = "connectorService",
        /// `inline`: Flyte's own config, merged last.
        inline: section(FlyteConfig) = "inline",
        /// `inlineConfigMap`: a ConfigMap holding more Flyte config.
        inline_config_map: string = "inlineConfigMap",
        /// `inlineSecretRef`: a Secret holding more Flyte config.
        inline_secret_ref: string = "inlineSecretRef",
    }
}

section! {
    /// `configuration.database`.
    pub struct BinaryDatabase {
        /// `username`.
        username: string = "username",
        /// `password` (never printed).
        password: secret = "password",
        /// `passwordPath`: a file holding the password, read instead of `password`.
        password_path: string = "passwordPath",
        /// `host`.
        host: string = "host",
        /// `port`.
        port: int = "port",
        /// `dbname`.
        dbname: string = "dbname",
        /// `options`: libpq options (`sslmode=require`).
        options: string = "options",
    }
}

section! {
    /// `configuration.storage`.
    pub struct BinaryStorage {
        /// `metadataContainer`: the bucket for Flyte's metadata.
        metadata_container: string = "metadataContainer",
        /// `userDataContainer`: the bucket for task inputs and outputs.
        user_data_container: string = "userDataContainer",
        /// `provider`: `s3`, `gcs` or `azure`.
        provider: string = "provider",
        /// `providerConfig`.
        provider_config: section(ProviderConfig) = "providerConfig",
    }
}

section! {
    /// `configuration.storage.providerConfig`.
    pub struct ProviderConfig {
        /// `s3` (also MinIO and other S3-compatible stores).
        s3: section(S3ProviderConfig) = "s3",
        /// `gcs`.
        gcs: section(GcsProviderConfig) = "gcs",
        /// `azure`.
        azure: section(AzureProviderConfig) = "azure",
    }
}

section! {
    /// `configuration.storage.providerConfig.s3`.
    pub struct S3ProviderConfig {
        /// `region`.
        region: string = "region",
        /// `disableSSL`: plain http to `endpoint`.
        disable_ssl: bool = "disableSSL",
        /// `v2Signing`.
        v2_signing: bool = "v2Signing",
        /// `endpoint`: an S3-compatible store (MinIO).
        endpoint: string = "endpoint",
        /// `authType`: `iam` or `accesskey`.
        auth_type: string = "authType",
        /// `accessKey`.
        access_key: string = "accessKey",
        /// `secretKey` (never printed).
        secret_key: secret = "secretKey",
    }
}

section! {
    /// `configuration.storage.providerConfig.gcs`.
    pub struct GcsProviderConfig {
        /// `project`.
        project: string = "project",
    }
}

section! {
    /// `configuration.storage.providerConfig.azure`.
    pub struct AzureProviderConfig {
        /// `account`: the storage account.
        account: string = "account",
        /// `key`: the account key (never printed); unset for workload identity.
        key: secret = "key",
        /// `configDomainSuffix`.
        config_domain_suffix: string = "configDomainSuffix",
        /// `configUploadConcurrency`.
        config_upload_concurrency: int = "configUploadConcurrency",
    }
}

section! {
    /// `configuration.auth`.
    pub struct BinaryAuth {
        /// `enabled`.
        enabled: bool = "enabled",
        /// `enableAuthServer`: flyteadmin's own authorization server.
        enable_auth_server: bool = "enableAuthServer",
        /// `oidc`: the identity provider.
        oidc: section(Oidc) = "oidc",
        /// `internal`: the client propeller uses.
        internal: section(InternalClient) = "internal",
        /// `authorizedUris`.
        authorized_uris: strings = "authorizedUris",
        /// `clientSecretsExternalSecretRef`.
        client_secrets_external_secret_ref: string = "clientSecretsExternalSecretRef",
    }
}

section! {
    /// `configuration.auth.oidc`.
    pub struct Oidc {
        /// `baseUrl`.
        base_url: string = "baseUrl",
        /// `clientId`.
        client_id: string = "clientId",
        /// `clientSecret` (never printed).
        client_secret: secret = "clientSecret",
    }
}

section! {
    /// `configuration.auth.internal`.
    pub struct InternalClient {
        /// `clientId`.
        client_id: string = "clientId",
        /// `clientSecret` (never printed).
        client_secret: secret = "clientSecret",
        /// `clientSecretHash` (never printed).
        client_secret_hash: secret = "clientSecretHash",
    }
}

section! {
    /// flyte-binary's `ingress`.
    pub struct BinaryIngress {
        /// `create`.
        create: bool = "create",
        /// `host`.
        host: string = "host",
        /// `separateGrpcIngress`.
        separate_grpc_ingress: bool = "separateGrpcIngress",
        /// `ingressClassName`.
        ingress_class_name: string = "ingressClassName",
        /// `commonAnnotations`.
        common_annotations: string_map = "commonAnnotations",
        /// `httpAnnotations`.
        http_annotations: string_map = "httpAnnotations",
        /// `grpcAnnotations`.
        grpc_annotations: string_map = "grpcAnnotations",
    }
}

section! {
    /// A chart's service account settings.
    pub struct ServiceAccount {
        /// `create`.
        create: bool = "create",
        /// `name` (flyte-binary).
        name: string = "name",
        /// `annotations`: `eks.amazonaws.com/role-arn` (IRSA),
        /// `iam.gke.io/gcp-service-account` (Workload Identity),
        /// `azure.workload.identity/client-id`.
        annotations: string_map = "annotations",
        /// `labels`.
        labels: string_map = "labels",
    }
}
