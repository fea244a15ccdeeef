//! Starter values for both charts on AWS, GCP, Azure and MinIO, as commented YAML that lints
//! clean and reads back to the same model.

use std::fmt;
use std::str::FromStr;

use flyte_config::{Secret, Value};

use crate::lint::{
    azure_account_problem, azure_container_problem, gcs_bucket_problem, has_placeholder,
    s3_bucket_problem,
};
use crate::model::CoreConfigmap;
use crate::model::{
    AzureProviderConfig, BinaryConfiguration, BinaryDatabase, BinaryStorage, ChartValues,
    CoreDatabases, CoreDbEntry, CoreGcs, CoreS3, CoreService, CoreStorage, FlyteBinaryValues,
    FlyteConfig, FlyteCoreValues, GcsProviderConfig, Postgres, ProviderConfig, S3ProviderConfig,
    ServiceAccount, StorageConfig, Stow,
};
use crate::Chart;

/// Where Flyte runs: decides the storage provider and how pods get cloud credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cloud {
    /// S3, with an IAM role for the service account (IRSA, annotation
    /// `eks.amazonaws.com/role-arn`).
    Aws,
    /// Google Cloud Storage, with Workload Identity (annotation
    /// `iam.gke.io/gcp-service-account`).
    Gcp,
    /// Azure Blob Storage, with Azure workload identity (annotation
    /// `azure.workload.identity/client-id` and the pod label `azure.workload.identity/use`).
    Azure,
    /// MinIO or another S3-compatible store on premises, with an access key.
    Minio,
}

impl Cloud {
    /// The name as `deploy init --cloud` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Aws => "aws",
            Cloud::Gcp => "gcp",
            Cloud::Azure => "azure",
            Cloud::Minio => "minio",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A cloud name that is not `aws`, `gcp`, `azure` or `minio`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown cloud {0:?}: expected aws, gcp, azure or minio")]
pub struct UnknownCloud(pub String);

impl FromStr for Cloud {
    type Err = UnknownCloud;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "aws" => Ok(Cloud::Aws),
            "gcp" => Ok(Cloud::Gcp),
            "azure" => Ok(Cloud::Azure),
            "minio" => Ok(Cloud::Minio),
            other => Err(UnknownCloud(other.to_owned())),
        }
    }
}

/// Why starter values could not be built from the inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StarterError {
    /// An input the chart and cloud need was not given.
    #[error("{input} is required for {chart} on {cloud}")]
    Missing {
        /// The input, named as its [`Starter`] setter.
        input: &'static str,
        /// The chart.
        chart: Chart,
        /// The cloud.
        cloud: Cloud,
    },
    /// An input that is not valid where it goes (secret inputs are not repeated).
    #[error("{input} {value:?} is not valid: {reason}")]
    Invalid {
        /// The input, named as its [`Starter`] setter.
        input: &'static str,
        /// The value given (`[redacted]` for secrets).
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An input that means nothing on this cloud (a GCP project for AWS).
    #[error("{input} does not apply to {cloud}")]
    NotForCloud {
        /// The input, named as its [`Starter`] setter.
        input: &'static str,
        /// The cloud.
        cloud: Cloud,
    },
    /// Both a database password and a password file: Flyte would ignore the password.
    #[error("give the database password or the path of a file holding it, not both")]
    PasswordAndPath,
}

/// Builds starter values for one chart on one cloud.
///
/// Required inputs: every cloud needs [`bucket`](Starter::bucket) and
/// [`db_host`](Starter::db_host); AWS needs [`region`](Starter::region) and
/// [`role_arn`](Starter::role_arn); GCP needs [`project`](Starter::project) and
/// [`gcp_service_account`](Starter::gcp_service_account); Azure needs
/// [`storage_account`](Starter::storage_account) and
/// [`azure_client_id`](Starter::azure_client_id); MinIO needs
/// [`endpoint`](Starter::endpoint), [`access_key`](Starter::access_key) and
/// [`secret_key`](Starter::secret_key).
///
/// ```
/// use flyte_deploy::{Chart, Cloud, Linter, Starter};
///
/// let yaml = Starter::new(Chart::FlyteBinary, Cloud::Aws)
///     .bucket("acme-flyte")
///     .region("us-east-1")
///     .role_arn("arn:aws:iam::123456789012:role/flyte")
///     .db_host("flyte.abc.us-east-1.rds.amazonaws.com")
///     .render()?;
/// assert!(Linter::new().chart(Chart::FlyteBinary).lint(&yaml)?.findings.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Starter {
    chart: Chart,
    cloud: Cloud,
    bucket: Option<String>,
    user_data_bucket: Option<String>,
    region: Option<String>,
    role_arn: Option<String>,
    project: Option<String>,
    gcp_service_account: Option<String>,
    storage_account: Option<String>,
    azure_client_id: Option<String>,
    endpoint: Option<String>,
    access_key: Option<String>,
    secret_key: Option<Secret>,
    db_host: Option<String>,
    db_port: Option<u16>,
    db_name: Option<String>,
    db_user: Option<String>,
    db_password: Option<Secret>,
    db_password_path: Option<String>,
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $t:ty => $wrap:expr;)*) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $name(mut self, value: impl Into<$t>) -> Starter {
                self.$name = Some($wrap(value.into()));
                self
            }
        )*
    };
}

impl Starter {
    /// Starter values for `chart` on `cloud`; set the inputs, then [`Starter::render`].
    pub fn new(chart: Chart, cloud: Cloud) -> Starter {
        Starter {
            chart,
            cloud,
            bucket: None,
            user_data_bucket: None,
            region: None,
            role_arn: None,
            project: None,
            gcp_service_account: None,
            storage_account: None,
            azure_client_id: None,
            endpoint: None,
            access_key: None,
            secret_key: None,
            db_host: None,
            db_port: None,
            db_name: None,
            db_user: None,
            db_password: None,
            db_password_path: None,
        }
    }

    setters! {
        /// The bucket (Azure: container) for Flyte's metadata, and for task data unless
        /// [`Starter::user_data_bucket`] is set.
        bucket: String => std::convert::identity;
        /// A separate bucket (Azure: container) for task inputs and outputs.
        user_data_bucket: String => std::convert::identity;
        /// AWS (or MinIO) region, `us-east-1`; MinIO defaults to `us-east-1`.
        region: String => std::convert::identity;
        /// AWS: the IAM role the pods assume (IRSA), `arn:aws:iam::ACCOUNT:role/NAME`.
        role_arn: String => std::convert::identity;
        /// GCP: the project of the bucket.
        project: String => std::convert::identity;
        /// GCP: the Google service account the pods act as (Workload Identity),
        /// `NAME@PROJECT.iam.gserviceaccount.com`.
        gcp_service_account: String => std::convert::identity;
        /// Azure: the storage account.
        storage_account: String => std::convert::identity;
        /// Azure: the client id of the managed identity the pods use (workload identity).
        azure_client_id: String => std::convert::identity;
        /// MinIO: the S3 endpoint, `http://minio.flyte.svc:9000`.
        endpoint: String => std::convert::identity;
        /// MinIO: the access key.
        access_key: String => std::convert::identity;
        /// MinIO: the secret key (written into the values, never printed).
        secret_key: Secret => std::convert::identity;
        /// The Postgres host.
        db_host: String => std::convert::identity;
        /// The Postgres port (default 5432).
        db_port: u16 => std::convert::identity;
        /// The database name (flyte-binary default `flyte`; flyte-core defaults to
        /// `flyteadmin` and `datacatalog`, and this names flyteadmin's).
        db_name: String => std::convert::identity;
        /// The database user (default `postgres`).
        db_user: String => std::convert::identity;
        /// The database password (written into the values, never printed).
        db_password: Secret => std::convert::identity;
        /// A file in the pod holding the database password, instead of the password.
        db_password_path: String => std::convert::identity;
    }

    /// The starter values as the model.
    ///
    /// # Errors
    /// [`StarterError`] naming the missing, invalid or misplaced input.
    pub fn values(&self) -> Result<ChartValues, StarterError> {
        let inputs = self.validate()?;
        Ok(match self.chart {
            Chart::FlyteBinary => ChartValues::FlyteBinary(Box::new(self.binary(&inputs))),
            Chart::FlyteCore => ChartValues::FlyteCore(Box::new(self.core(&inputs))),
        })
    }

    /// The starter values as commented YAML: a header naming the chart, the cloud and the
    /// inputs (secrets left out), and a comment above each block on what it is for.
    ///
    /// # Errors
    /// As [`Starter::values`].
    pub fn render(&self) -> Result<String, StarterError> {
        let values = self.values()?;
        let inputs = self.validate()?;
        let mut text = self.header(&inputs);
        text.push_str(&values.to_yaml_with_comments(&self.comments(&inputs)));
        Ok(text)
    }
}

/// The validated inputs, with defaults filled in.
struct Inputs {
    bucket: String,
    user_data_bucket: String,
    db: Postgres,
}

fn invalid(input: &'static str, value: &str, reason: impl Into<String>) -> StarterError {
    StarterError::Invalid {
        input,
        value: value.to_owned(),
        reason: reason.into(),
    }
}

impl Starter {
    fn require<'s>(
        &self,
        input: &'static str,
        value: &'s Option<String>,
    ) -> Result<&'s str, StarterError> {
        let value = value.as_deref().ok_or(StarterError::Missing {
            input,
            chart: self.chart,
            cloud: self.cloud,
        })?;
        check_text(input, value)?;
        Ok(value)
    }

    fn validate(&self) -> Result<Inputs, StarterError> {
        let cloud = self.cloud;
        let given: [(&'static str, bool, &[Cloud]); 8] = [
            ("role_arn", self.role_arn.is_some(), &[Cloud::Aws]),
            ("region", self.region.is_some(), &[Cloud::Aws, Cloud::Minio]),
            ("project", self.project.is_some(), &[Cloud::Gcp]),
            (
                "gcp_service_account",
                self.gcp_service_account.is_some(),
                &[Cloud::Gcp],
            ),
            (
                "storage_account",
                self.storage_account.is_some(),
                &[Cloud::Azure],
            ),
            (
                "azure_client_id",
                self.azure_client_id.is_some(),
                &[Cloud::Azure],
            ),
            ("endpoint", self.endpoint.is_some(), &[Cloud::Minio]),
            (
                "access_key",
                self.access_key.is_some() || self.secret_key.is_some(),
                &[Cloud::Minio],
            ),
        ];
        if let Some((input, ..)) = given
            .iter()
            .find(|(_, set, clouds)| *set && !clouds.contains(&cloud))
        {
            return Err(StarterError::NotForCloud { input, cloud });
        }
        let bucket = self.require("bucket", &self.bucket)?.to_owned();
        let user_data_bucket = match &self.user_data_bucket {
            Some(b) => self
                .require("user_data_bucket", &Some(b.clone()))?
                .to_owned(),
            None => bucket.clone(),
        };
        for (input, name) in [("bucket", &bucket), ("user_data_bucket", &user_data_bucket)] {
            let problem = match cloud {
                Cloud::Aws | Cloud::Minio => s3_bucket_problem(name),
                Cloud::Gcp => gcs_bucket_problem(name),
                Cloud::Azure => azure_container_problem(name),
            };
            if let Some(problem) = problem {
                return Err(invalid(input, name, problem));
            }
        }
        match cloud {
            Cloud::Aws => {
                check_region(self.require("region", &self.region)?)?;
                check_role_arn(self.require("role_arn", &self.role_arn)?)?;
            }
            Cloud::Gcp => {
                check_project(self.require("project", &self.project)?)?;
                check_gsa(self.require("gcp_service_account", &self.gcp_service_account)?)?;
            }
            Cloud::Azure => {
                let account = self.require("storage_account", &self.storage_account)?;
                if let Some(problem) = azure_account_problem(account) {
                    return Err(invalid("storage_account", account, problem));
                }
                check_uuid(self.require("azure_client_id", &self.azure_client_id)?)?;
            }
            Cloud::Minio => {
                if let Some(region) = &self.region {
                    check_region(region)?;
                }
                let endpoint = self.require("endpoint", &self.endpoint)?;
                if !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
                    || endpoint
                        .split_once("://")
                        .is_some_and(|(_, h)| h.is_empty())
                {
                    return Err(invalid(
                        "endpoint",
                        endpoint,
                        "expected an http:// or https:// URL",
                    ));
                }
                self.require("access_key", &self.access_key)?;
                match &self.secret_key {
                    Some(s) if !s.is_empty() => {
                        check_text("secret_key", s.expose()).map_err(|_| {
                            invalid("secret_key", "[redacted]", "has spaces or a placeholder")
                        })?
                    }
                    _ => {
                        return Err(StarterError::Missing {
                            input: "secret_key",
                            chart: self.chart,
                            cloud,
                        })
                    }
                }
            }
        }
        let host = self.require("db_host", &self.db_host)?;
        if self.db_port == Some(0) {
            return Err(invalid("db_port", "0", "a port is 1 to 65535"));
        }
        if self.db_password.is_some() && self.db_password_path.is_some() {
            return Err(StarterError::PasswordAndPath);
        }
        if let Some(path) = &self.db_password_path {
            check_text("db_password_path", path)?;
            if !path.starts_with('/') {
                return Err(invalid(
                    "db_password_path",
                    path,
                    "expected an absolute path in the pod",
                ));
            }
        }
        for (input, value) in [("db_name", &self.db_name), ("db_user", &self.db_user)] {
            if let Some(v) = value {
                check_text(input, v)?;
            }
        }
        let db = Postgres {
            host: Some(host.to_owned()),
            port: Some(i64::from(self.db_port.unwrap_or(5432))),
            username: Some(
                self.db_user
                    .clone()
                    .unwrap_or_else(|| "postgres".to_owned()),
            ),
            password: self.db_password.clone().filter(|p| !p.is_empty()),
            password_path: self.db_password_path.clone(),
            ..Postgres::default()
        };
        Ok(Inputs {
            bucket,
            user_data_bucket,
            db,
        })
    }
}

/// `Ok` when `ok`, else [`StarterError::Invalid`].
fn ensure(ok: bool, input: &'static str, value: &str, reason: &str) -> Result<(), StarterError> {
    if ok {
        Ok(())
    } else {
        Err(invalid(input, value, reason))
    }
}

/// Non-empty, no spaces, no starter-file placeholder.
fn check_text(input: &'static str, value: &str) -> Result<(), StarterError> {
    if value.is_empty() {
        Err(invalid(input, value, "it is empty"))
    } else if value.chars().any(char::is_whitespace) {
        Err(invalid(input, value, "it has spaces"))
    } else if has_placeholder(value) {
        Err(invalid(
            input,
            value,
            "it is a placeholder; give the real value",
        ))
    } else {
        Ok(())
    }
}

fn check_region(region: &str) -> Result<(), StarterError> {
    let ok = region.split('-').count() >= 3
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && region.starts_with(|c: char| c.is_ascii_lowercase())
        && region.ends_with(|c: char| c.is_ascii_digit());
    ensure(
        ok,
        "region",
        region,
        "expected a region code such as us-east-1",
    )
}

fn check_role_arn(arn: &str) -> Result<(), StarterError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = matches!(parts.as_slice(), [arn, partition, "iam", "", account, resource]
        if *arn == "arn"
            && partition.starts_with("aws")
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|r| !r.is_empty()));
    ensure(
        ok,
        "role_arn",
        arn,
        "expected arn:aws:iam::ACCOUNT:role/NAME with a 12-digit account",
    )
}

fn check_project(project: &str) -> Result<(), StarterError> {
    let ok = (6..=30).contains(&project.len())
        && project.starts_with(|c: char| c.is_ascii_lowercase())
        && !project.ends_with('-')
        && project
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    ensure(
        ok,
        "project",
        project,
        "a GCP project id is 6 to 30 of a-z, 0-9 and -, starting with a letter",
    )
}

fn check_gsa(email: &str) -> Result<(), StarterError> {
    let ok = email
        .split_once('@')
        .is_some_and(|(name, domain)| !name.is_empty() && domain.ends_with(".gserviceaccount.com"));
    ensure(
        ok,
        "gcp_service_account",
        email,
        "expected a Google service account email, NAME@PROJECT.iam.gserviceaccount.com",
    )
}

fn check_uuid(id: &str) -> Result<(), StarterError> {
    let groups: Vec<&str> = id.split('-').collect();
    let ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()));
    ensure(ok, "azure_client_id", id, "expected a client id (a UUID)")
}

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
    fn binary(&self, inputs: &Inputs) -> FlyteBinaryValues {
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

    fn core(&self, inputs: &Inputs) -> FlyteCoreValues {
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
                let mut config = crate::model::Extra::new();
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

    fn header(&self, inputs: &Inputs) -> String {
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
        format!(
            "# Values for Flyte's {chart} chart (Flyte 1.16) on {cloud}, written by flyte-deploy.\n\
             # Given: {given}.\n\
             # Secrets given (database password, secret key) are in the file but not repeated here.\n\
             # Install: helm install flyte flyteorg/{chart} --namespace flyte --values THIS_FILE\n\n",
            chart = self.chart,
            given = given.join(", "),
        )
    }

    fn comments(&self, inputs: &Inputs) -> Vec<(String, Vec<String>)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_checked_with_clear_errors() {
        let aws = || {
            Starter::new(Chart::FlyteBinary, Cloud::Aws)
                .bucket("acme-flyte")
                .region("us-east-1")
                .role_arn("arn:aws:iam::123456789012:role/flyte")
                .db_host("db.internal")
        };
        assert!(aws().values().is_ok());
        let err = |s: Starter| s.values().err().map(|e| e.to_string());
        assert_eq!(
            err(Starter::new(Chart::FlyteCore, Cloud::Gcp)),
            Some("bucket is required for flyte-core on gcp".to_owned())
        );
        assert!(err(aws().bucket("Acme_Flyte"))
            .is_some_and(|e| e.starts_with("bucket \"Acme_Flyte\" is not valid: ")));
        assert!(err(aws().bucket("<BUCKET_NAME>")).is_some_and(|e| e.contains("placeholder")));
        assert!(err(aws().region("US East")).is_some_and(|e| e.starts_with("region \"US East\"")));
        assert!(err(aws().role_arn("arn:aws:iam::1234:role/flyte"))
            .is_some_and(|e| e.contains("12-digit account")));
        assert_eq!(
            err(aws().project("my-project")),
            Some("project does not apply to aws".to_owned())
        );
        assert_eq!(
            aws()
                .db_password("p")
                .db_password_path("/etc/db/pass")
                .values()
                .err(),
            Some(StarterError::PasswordAndPath)
        );
        let minio = Starter::new(Chart::FlyteCore, Cloud::Minio)
            .bucket("flyte")
            .endpoint("minio:9000")
            .access_key("minio")
            .secret_key("hunter2")
            .db_host("postgres");
        assert!(err(minio).is_some_and(|e| e.contains("http:// or https://")));
        let gcp = Starter::new(Chart::FlyteCore, Cloud::Gcp)
            .bucket("acme-flyte")
            .project("acme-prod")
            .gcp_service_account("flyte@acme-prod.iam.example.com")
            .db_host("10.0.0.3");
        assert!(err(gcp).is_some_and(|e| e.contains("gserviceaccount.com")));
    }
}
