//! Turning validated inputs into the chart's values, and the comments that explain them.

use flyte_config::Value;

use crate::model::{
    AzureProviderConfig, BinaryConfiguration, BinaryDatabase, BinaryStorage, CoreConfigmap,
    CoreDatabases, CoreDbEntry, CoreGcs, CoreS3, CoreService, CoreStorage, Extra,
    FlyteBinaryValues, FlyteConfig, FlyteCoreValues, GcsProviderConfig, Postgres, ProviderConfig,
    S3ProviderConfig, ServiceAccount, StorageConfig, Stow,
};
use crate::Chart;

use super::validate::Inputs;
use super::{Cloud, Starter};

/// Service account annotations, and a pod label, as (key, value) pairs.
type Identity = (Vec<(String, String)>, Option<(String, String)>);

/// The Kubernetes service account annotation (and pod label) that hands pods cloud
/// credentials.
fn identity(starter: &Starter) -> Identity {
    let pair = |k: &str, v: &Option<String>| vec![(k.to_owned(), v.clone().unwrap_or_default())];
    match starter.cloud {
        Cloud::Aws => (pair("eks.amazonaws.com/role-arn", &starter.role_arn), None),
        Cloud::Gcp => (
            pair(
                "iam.gke.io/gcp-service-account",
                &starter.gcp_service_account,
            ),
            None,
        ),
        Cloud::Azure => (
            pair(
                "azure.workload.identity/client-id",
                &starter.azure_client_id,
            ),
            Some(("azure.workload.identity/use".to_owned(), "true".to_owned())),
        ),
        Cloud::Minio => (Vec::new(), None),
    }
}

fn pod_labels(label: &Option<(String, String)>) -> Option<Value> {
    label.as_ref().map(|(k, v)| {
        Value::Map(vec![(
            "podLabels".to_owned(),
            Value::Map(vec![(k.clone(), Value::String(v.clone()))]),
        )])
    })
}

impl Starter {
    pub(super) fn binary(&self, inputs: &Inputs) -> FlyteBinaryValues {
        let db = &inputs.db;
        let database = BinaryDatabase {
            username: db.username.clone(),
            password: db.password.clone(),
            password_path: db.password_path.clone(),
            host: db.host.clone(),
            port: db.port,
            dbname: Some(self.db_name.clone().unwrap_or_else(|| "flyte".to_owned())),
            ..BinaryDatabase::default()
        };
        let mut provider_config = ProviderConfig::default();
        let provider = match self.cloud {
            Cloud::Aws => {
                provider_config.s3 = Some(S3ProviderConfig {
                    region: self.region.clone(),
                    auth_type: Some("iam".to_owned()),
                    ..S3ProviderConfig::default()
                });
                "s3"
            }
            Cloud::Minio => {
                let endpoint = self.endpoint.clone().unwrap_or_default();
                provider_config.s3 = Some(S3ProviderConfig {
                    region: Some(self.minio_region()),
                    disable_ssl: Some(endpoint.starts_with("http://")),
                    endpoint: Some(endpoint),
                    auth_type: Some("accesskey".to_owned()),
                    access_key: self.access_key.clone(),
                    secret_key: self.secret_key.clone(),
                    ..S3ProviderConfig::default()
                });
                "s3"
            }
            Cloud::Gcp => {
                provider_config.gcs = Some(GcsProviderConfig {
                    project: self.project.clone(),
                    ..GcsProviderConfig::default()
                });
                "gcs"
            }
            Cloud::Azure => {
                provider_config.azure = Some(AzureProviderConfig {
                    account: self.storage_account.clone(),
                    ..AzureProviderConfig::default()
                });
                "azure"
            }
        };
        let storage = BinaryStorage {
            metadata_container: Some(inputs.bucket.clone()),
            user_data_container: Some(inputs.user_data_bucket.clone()),
            provider: Some(provider.to_owned()),
            provider_config: Some(provider_config),
            ..BinaryStorage::default()
        };
        let (annotations, label) = identity(self);
        let mut values = FlyteBinaryValues {
            configuration: Some(BinaryConfiguration {
                database: Some(database),
                storage: Some(storage),
                ..BinaryConfiguration::default()
            }),
            service_account: (!annotations.is_empty()).then(|| ServiceAccount {
                create: Some(true),
                annotations: Some(annotations),
                ..ServiceAccount::default()
            }),
            ..FlyteBinaryValues::default()
        };
        if let Some(deployment) = pod_labels(&label) {
            values.extra.insert("deployment", deployment);
        }
        values
    }

    fn minio_region(&self) -> String {
        self.region
            .clone()
            .unwrap_or_else(|| "us-east-1".to_owned())
    }

    pub(super) fn core(&self, inputs: &Inputs) -> FlyteCoreValues {
        let mut storage = CoreStorage {
            bucket_name: Some(inputs.bucket.clone()),
            ..CoreStorage::default()
        };
        match self.cloud {
            Cloud::Aws => {
                storage.kind = Some("s3".to_owned());
                storage.s3 = Some(CoreS3 {
                    region: self.region.clone(),
                    auth_type: Some("iam".to_owned()),
                    ..CoreS3::default()
                });
            }
            Cloud::Minio => {
                storage.kind = Some("s3".to_owned());
                storage.s3 = Some(CoreS3 {
                    endpoint: self.endpoint.clone(),
                    region: Some(self.minio_region()),
                    auth_type: Some("accesskey".to_owned()),
                    access_key: self.access_key.clone(),
                    secret_key: self.secret_key.clone(),
                    ..CoreS3::default()
                });
            }
            Cloud::Gcp => {
                storage.kind = Some("gcs".to_owned());
                storage.gcs = Some(CoreGcs {
                    project_id: self.project.clone(),
                    ..CoreGcs::default()
                });
            }
            Cloud::Azure => {
                storage.kind = Some("custom".to_owned());
                let mut config = Extra::new();
                config.insert("account", self.storage_account.clone().unwrap_or_default());
                storage.custom = Some(StorageConfig {
                    kind: Some("stow".to_owned()),
                    container: Some(inputs.bucket.clone()),
                    stow: Some(Stow {
                        kind: Some("azure".to_owned()),
                        config: Some(config),
                        ..Stow::default()
                    }),
                    ..StorageConfig::default()
                });
            }
        }
        let database = |name: String| CoreDbEntry {
            database: Some(Postgres {
                dbname: Some(name),
                ..inputs.db.clone()
            }),
            ..CoreDbEntry::default()
        };
        let db = CoreDatabases {
            admin: Some(database(
                self.db_name
                    .clone()
                    .unwrap_or_else(|| "flyteadmin".to_owned()),
            )),
            datacatalog: Some(database("datacatalog".to_owned())),
            ..CoreDatabases::default()
        };
        let (annotations, label) = identity(self);
        let service = || {
            let mut service = CoreService {
                service_account: (!annotations.is_empty()).then(|| ServiceAccount {
                    create: Some(true),
                    annotations: Some(annotations.clone()),
                    ..ServiceAccount::default()
                }),
                ..CoreService::default()
            };
            if let Some(Value::Map(labels)) = pod_labels(&label) {
                for (k, v) in labels {
                    service.extra.insert(k, v);
                }
            }
            (service != CoreService::default()).then_some(service)
        };
        let configmap = self.raw_output_prefix(inputs).map(|prefix| {
            let mut core = FlyteConfig::default();
            core.extra.insert(
                "propeller",
                Value::Map(vec![("rawoutput-prefix".to_owned(), Value::String(prefix))]),
            );
            CoreConfigmap {
                core: Some(core),
                ..CoreConfigmap::default()
            }
        });
        FlyteCoreValues {
            flyteadmin: service(),
            datacatalog: service(),
            flytepropeller: service(),
            storage: Some(storage),
            db: Some(db),
            configmap,
            ..FlyteCoreValues::default()
        }
    }

    /// flyte-core's propeller writes task data under `s3://{storage.bucketName}/` unless told
    /// otherwise, which is wrong off S3 and when task data has its own bucket.
    fn raw_output_prefix(&self, inputs: &Inputs) -> Option<String> {
        let bucket = &inputs.user_data_bucket;
        match self.cloud {
            Cloud::Gcp => Some(format!("gs://{bucket}/")),
            Cloud::Azure => Some(format!("abfs://{bucket}/")),
            Cloud::Aws | Cloud::Minio => {
                (inputs.user_data_bucket != inputs.bucket).then(|| format!("s3://{bucket}/"))
            }
        }
    }

    pub(super) fn header(&self, inputs: &Inputs) -> String {
        let cloud = match self.cloud {
            Cloud::Aws => "AWS (S3, IAM roles for service accounts)",
            Cloud::Gcp => "GCP (GCS, Workload Identity)",
            Cloud::Azure => "Azure (Blob Storage, Azure workload identity)",
            Cloud::Minio => "MinIO or another S3-compatible store (access key)",
        };
        let mut given = vec![format!("bucket {}", inputs.bucket)];
        if inputs.user_data_bucket != inputs.bucket {
            given.push(format!("task data bucket {}", inputs.user_data_bucket));
        }
        let named = [
            ("region", &self.region),
            ("role", &self.role_arn),
            ("project", &self.project),
            ("service account", &self.gcp_service_account),
            ("storage account", &self.storage_account),
            ("client id", &self.azure_client_id),
            ("endpoint", &self.endpoint),
            ("access key", &self.access_key),
            ("database host", &self.db_host),
        ];
        given.extend(
            named
                .iter()
                .filter_map(|(what, v)| v.as_ref().map(|v| format!("{what} {v}"))),
        );
        let secrets: Vec<&str> = [
            ("the database password", self.db_password.is_some()),
            ("the storage secret key", self.secret_key.is_some()),
        ]
        .iter()
        .filter_map(|(what, set)| set.then_some(*what))
        .collect();
        let secrets = if secrets.is_empty() {
            String::new()
        } else {
            format!(
                "# {} in this file, not repeated here: keep it private.\n",
                secrets.join(" and ")
            )
        };
        format!(
            "# Values for Flyte's {chart} chart (Flyte 1.16) on {cloud}, written by flyte-deploy.\n\
             # Given: {given}.\n\
             {secrets}\
             # Install: helm install flyte flyteorg/{chart} --namespace flyte --values THIS_FILE\n\n",
            chart = self.chart,
            given = given.join(", "),
        )
    }

    pub(super) fn comments(&self, inputs: &Inputs) -> Vec<(String, Vec<String>)> {
        let db = &inputs.db;
        let db_line = format!(
            "Postgres at {}:{} as {}; {}.",
            db.host.as_deref().unwrap_or_default(),
            db.port.unwrap_or(5432),
            db.username.as_deref().unwrap_or_default(),
            match (&db.password, &db.password_path) {
                (Some(_), _) => "password given (in this file)".to_owned(),
                (None, Some(p)) => format!("password read from {p} in the pod"),
                (None, None) => "no password".to_owned(),
            }
        );
        let storage_line = format!(
            "Blob storage: metadata in {}, task data in {}.",
            inputs.bucket, inputs.user_data_bucket
        );
        let identity_line = match self.cloud {
            Cloud::Aws => Some("IRSA: pods of this service account assume the IAM role to reach S3."),
            Cloud::Gcp => Some("Workload Identity: pods of this service account act as the Google service account to reach GCS."),
            Cloud::Azure => Some("Azure workload identity: pods of this service account use the managed identity (they also need the azure.workload.identity/use label)."),
            Cloud::Minio => None,
        };
        let l = |s: &str| vec![s.to_owned()];
        let mut out = Vec::new();
        match self.chart {
            Chart::FlyteBinary => {
                out.push((
                    "configuration".to_owned(),
                    l("The chart's own settings; Flyte's config goes under configuration.inline."),
                ));
                out.push((
                    "configuration.database".to_owned(),
                    vec![
                        format!(
                            "{db_line} Database {}.",
                            self.db_name.as_deref().unwrap_or("flyte")
                        ),
                        "The chart's keys: Flyte's own database.postgres layout is ignored here."
                            .to_owned(),
                    ],
                ));
                out.push(("configuration.storage".to_owned(), l(&storage_line)));
                if let Some(line) = identity_line {
                    out.push(("serviceAccount".to_owned(), l(line)));
                }
                out.push((
                    "deployment".to_owned(),
                    l("Azure workload identity injects tokens only into pods with this label."),
                ));
            }
            Chart::FlyteCore => {
                out.push(("storage".to_owned(), l(&storage_line)));
                out.push((
                    "db".to_owned(),
                    vec![
                        db_line,
                        "flyteadmin and DataCatalog each have their own database.".to_owned(),
                    ],
                ));
                if let Some(line) = identity_line {
                    for service in ["flyteadmin", "datacatalog", "flytepropeller"] {
                        out.push((format!("{service}.serviceAccount"), l(line)));
                    }
                }
                out.push((
                    "configmap.core".to_owned(),
                    l("Where propeller writes task data; the chart's default is s3://{storage.bucketName}/."),
                ));
            }
        }
        out
    }
}
