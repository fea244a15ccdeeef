//! [`StorageBuilder`]: a [`FlyteStorage`] described in code rather than in a config file. It
//! fills in the same `storage` section a config file would, so both paths behave alike.

use std::path::Path;

use flyte_config::{Secret, StorageAuthType, StorageConfig, StorageType};

use crate::error::Result;
use crate::options::CloudOptions;
use crate::store::FlyteStorage;

/// Builds a [`FlyteStorage`]. Start from the backend ([`StorageBuilder::s3`],
/// [`StorageBuilder::minio`], [`StorageBuilder::gcs`], [`StorageBuilder::azure`],
/// [`StorageBuilder::local`], [`StorageBuilder::memory`]), then set what it needs.
///
/// ```
/// # fn main() -> Result<(), flyte_storage::Error> {
/// use flyte_storage::StorageBuilder;
/// let storage = StorageBuilder::minio("http://127.0.0.1:9000")
///     .access_keys("minio", "miniostorage")
///     .container("my-s3-bucket")
///     .build();
/// # let _ = storage; Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct StorageBuilder {
    config: StorageConfig,
    options: CloudOptions,
    multipart: Option<(u64, usize, usize)>,
}

impl StorageBuilder {
    fn of(kind: StorageType) -> Self {
        let mut config = StorageConfig::default();
        config.kind = kind;
        config.enable_multicontainer = true;
        StorageBuilder {
            config,
            options: CloudOptions::default(),
            multipart: None,
        }
    }

    fn stow(kind: &str) -> Self {
        let mut b = StorageBuilder::of(StorageType::Stow);
        b.config.stow.kind = kind.to_owned();
        b
    }

    fn stow_set(mut self, key: &str, value: impl Into<String>) -> Self {
        self.config
            .stow
            .config
            .0
            .insert(key.to_owned(), value.into());
        self
    }

    /// AWS S3 in `region`, with the ambient credentials unless [`Self::access_keys`] is set
    /// (needs the `aws` feature).
    pub fn s3(region: impl Into<String>) -> Self {
        let mut b = StorageBuilder::of(StorageType::S3);
        b.config.connection.region = region.into();
        b
    }

    /// MinIO or another S3-compatible store at `endpoint` (`http://` for plain HTTP), with
    /// path-style requests (needs the `aws` feature).
    pub fn minio(endpoint: impl Into<String>) -> Self {
        let endpoint = endpoint.into();
        let mut b = StorageBuilder::of(StorageType::Minio);
        b.config.connection.disable_ssl = endpoint.starts_with("http://");
        b.config.connection.endpoint = endpoint;
        b
    }

    /// Google Cloud Storage, with the ambient credentials unless
    /// [`Self::service_account_json`] is set (needs the `gcp` feature).
    pub fn gcs() -> Self {
        StorageBuilder::stow("google")
    }

    /// Azure Blob Storage in `account`, with the ambient credentials unless [`Self::azure_key`]
    /// is set (needs the `azure` feature).
    pub fn azure(account: impl Into<String>) -> Self {
        StorageBuilder::stow("azure").stow_set("account", account)
    }

    /// Buckets as directories under `root`.
    pub fn local(root: impl AsRef<Path>) -> Self {
        StorageBuilder::stow("local").stow_set("path", root.as_ref().to_string_lossy())
    }

    /// Everything in memory.
    pub fn memory() -> Self {
        StorageBuilder::of(StorageType::Mem)
    }

    /// S3 or MinIO access keys (instead of the environment or an instance role).
    pub fn access_keys(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.config.connection.auth_type = StorageAuthType::AccessKey;
        self.config.connection.access_key = id.into();
        self.config.connection.secret_key = Secret::new(secret.into());
        self
    }

    /// The S3 region (MinIO ignores it).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.config.connection.region = region.into();
        self
    }

    /// A GCS service account key: its JSON, or a path to the file.
    pub fn service_account_json(self, json_or_path: impl Into<String>) -> Self {
        self.stow_set("json", json_or_path)
    }

    /// The Azure storage account's shared key.
    pub fn azure_key(self, key: impl Into<String>) -> Self {
        self.stow_set("key", key)
    }

    /// Let URIs name Azure accounts other than [`Self::azure`]'s (stow config
    /// `allow_other_accounts`): the ambient credentials then go to whichever account a URI
    /// names. Off by default, because URIs are often written by others (offloaded literals by
    /// task code). A shared key ([`Self::azure_key`]) signs for its own account only either way.
    pub fn azure_allow_other_accounts(self, yes: bool) -> Self {
        self.stow_set("allow_other_accounts", yes.to_string())
    }

    /// The domain suffix of an Azure cloud other than the public one.
    pub fn azure_domain_suffix(self, suffix: impl Into<String>) -> Self {
        self.stow_set("domain_suffix", suffix)
    }

    /// An emulator's URL: for GCS its base URL, for Azure the account URL (Azurite:
    /// `http://127.0.0.1:10000/devstoreaccount1`). For S3-compatible stores use
    /// [`Self::minio`].
    pub fn emulator_endpoint(self, url: impl Into<String>) -> Self {
        self.stow_set("endpoint", url)
    }

    /// The bucket or container that URIs must use, unless [`Self::multicontainer`] allows
    /// others.
    pub fn container(mut self, container: impl Into<String>) -> Self {
        self.config.container = container.into();
        self.config.enable_multicontainer = false;
        self
    }

    /// Allow buckets other than [`Self::container`].
    pub fn multicontainer(mut self, yes: bool) -> Self {
        self.config.enable_multicontainer = yes;
        self
    }

    /// Retries and timeouts of the cloud stores.
    pub fn cloud_options(mut self, options: CloudOptions) -> Self {
        self.options = options;
        self
    }

    /// Multipart settings for file uploads (see [`FlyteStorage::multipart`]).
    pub fn multipart(mut self, threshold: u64, part_size: usize, concurrency: usize) -> Self {
        self.multipart = Some((threshold, part_size, concurrency));
        self
    }

    /// The `storage` section this builder describes, as a config file would hold it.
    pub fn config(&self) -> &StorageConfig {
        &self.config
    }

    /// The store.
    ///
    /// # Errors
    /// As [`FlyteStorage::from_config`].
    pub fn build(self) -> Result<FlyteStorage> {
        let mut storage = FlyteStorage::from_config(&self.config)?.cloud_options(self.options);
        if let Some((threshold, part, concurrency)) = self.multipart {
            storage = storage.multipart(threshold, part, concurrency);
        }
        Ok(storage)
    }
}
