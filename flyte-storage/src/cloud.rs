//! The cloud stores: S3 and MinIO (`aws`), Google Cloud Storage (`gcp`) and Azure Blob Storage
//! (`azure`). One client per bucket, made on first use with the [`CloudOptions`] in force.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use flyte_config::{StorageConfig, StorageType};
use object_store::ObjectStore;

use crate::error::{Error, Result, UriProblem};
use crate::options::CloudOptions;
use crate::uri::{FlyteUri, Scheme};

/// The provider's settings, from flytectl's `storage` section.
#[derive(Debug, Clone)]
pub(crate) enum Provider {
    #[cfg(feature = "aws")]
    S3(crate::s3::S3Settings),
    #[cfg(feature = "gcp")]
    Gcs(crate::gcs::GcsSettings),
    #[cfg(feature = "azure")]
    Azure(crate::azure::AzureSettings),
}

impl Provider {
    /// The provider `storage` names, `None` when it is not a cloud store this build knows.
    pub(crate) fn from_config(config: &StorageConfig, stow_kind: &str) -> Result<Option<Provider>> {
        #[cfg(feature = "aws")]
        if matches!(config.kind, StorageType::S3 | StorageType::Minio)
            || (config.kind == StorageType::Stow && stow_kind == "s3")
        {
            return crate::s3::S3Settings::from_config(config).map(|s| Some(Provider::S3(s)));
        }
        #[cfg(feature = "gcp")]
        if config.kind == StorageType::Stow && stow_kind == "google" {
            return crate::gcs::GcsSettings::from_stow(&config.stow.config)
                .map(|s| Some(Provider::Gcs(s)));
        }
        #[cfg(feature = "azure")]
        if config.kind == StorageType::Stow && stow_kind == "azure" {
            return crate::azure::AzureSettings::from_stow(&config.stow.config)
                .map(|s| Some(Provider::Azure(s)));
        }
        Ok(None)
    }

    fn schemes(&self) -> &'static [Scheme] {
        match *self {
            #[cfg(feature = "aws")]
            Provider::S3(_) => &[Scheme::S3],
            #[cfg(feature = "gcp")]
            Provider::Gcs(_) => &[Scheme::Gs],
            #[cfg(feature = "azure")]
            Provider::Azure(_) => &[Scheme::Abfs, Scheme::Abfss, Scheme::Az],
        }
    }

    fn build(&self, uri: &FlyteUri, options: &CloudOptions) -> Result<Arc<dyn ObjectStore>> {
        install_crypto_provider();
        match *self {
            #[cfg(feature = "aws")]
            Provider::S3(ref s) => s.build(uri.bucket(), options),
            #[cfg(feature = "gcp")]
            Provider::Gcs(ref s) => s.build(uri.bucket(), options),
            #[cfg(feature = "azure")]
            Provider::Azure(ref s) => s.build(uri, options),
        }
    }
}

/// A provider, its options and the clients made so far.
pub(crate) struct CloudStores {
    provider: Provider,
    options: CloudOptions,
    buckets: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
}

impl fmt::Debug for CloudStores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudStores")
            .field("provider", &self.provider)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl CloudStores {
    pub(crate) fn new(provider: Provider, options: CloudOptions) -> CloudStores {
        CloudStores {
            provider,
            options,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The same provider with other options (clients are made anew).
    pub(crate) fn with_options(&self, options: CloudOptions) -> CloudStores {
        CloudStores::new(self.provider.clone(), options)
    }

    /// The scheme of the URIs this store takes (the first, for Azure: `abfs`).
    pub(crate) fn scheme(&self) -> Scheme {
        self.provider.schemes()[0]
    }

    /// The client for the URI's bucket.
    pub(crate) fn store(&self, uri: &str, parsed: &FlyteUri) -> Result<Arc<dyn ObjectStore>> {
        let schemes = self.provider.schemes();
        if !schemes.contains(&parsed.scheme()) {
            let expected: Vec<_> = schemes
                .iter()
                .map(|s| format!("{}://", s.as_str()))
                .collect();
            return Err(Error::invalid_uri(
                uri,
                UriProblem::WrongStore,
                format!(
                    "a {}:// URI, but the configured store takes {}",
                    parsed.scheme().as_str(),
                    expected.join(" or ")
                ),
            ));
        }
        let cache_key = match parsed.account() {
            Some(account) => format!("{}@{account}", parsed.bucket()),
            None => parsed.bucket().to_owned(),
        };
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(store) = buckets.get(&cache_key) {
            return Ok(Arc::clone(store));
        }
        let store = self.provider.build(parsed, &self.options)?;
        buckets.insert(cache_key, Arc::clone(&store));
        Ok(store)
    }
}

/// Makes ring the process's rustls crypto provider unless one is installed already.
///
/// object_store's HTTP client is reqwest with rustls but without rustls's built-in provider
/// (aws-lc-rs, C code built with cmake, beside the ring the rest of the workspace uses), so it
/// takes the process's default provider and would panic without one. An application that
/// installs its own (before its first cloud request) keeps it.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // An error means another thread installed one in between, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Whether a stow setting reads as true.
pub(crate) fn truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes")
}

/// The error for a client the builder refused.
pub(crate) fn build_error(what: &str, e: object_store::Error) -> Error {
    Error::config(format!("{what}: {e}")).with_source(e)
}
