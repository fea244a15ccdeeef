//! Starter values for both charts on AWS, GCP, Azure and MinIO, as commented YAML that lints
//! clean and reads back to the same model.

use std::fmt;
use std::str::FromStr;

use flyte_config::Secret;

use crate::model::ChartValues;
use crate::Chart;

mod build;
mod validate;

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
