//! Flyte's blob storage: inputs, outputs, code bundles and decks, addressed by the URIs Flyte
//! writes, over [`object_store`].
//!
//! # Feature flags
//! Memory and local stores are always there; each cloud is a feature:
//! - `aws`: S3 and S3-compatible stores such as MinIO (`storage.type: s3|minio`, or stow kind
//!   `s3`), with access keys from the config or the usual `AWS_*` variables and instance roles.
//! - `gcp`: Google Cloud Storage (stow kind `google`: `json` service account key, else the
//!   `GOOGLE_*` variables, application default credentials or workload identity).
//! - `azure`: Azure Blob Storage (stow kind `azure`: `account`, `key`, `domain_suffix`, else
//!   the `AZURE_*` variables, workload or managed identity). A URI naming an account other
//!   than the configured one is refused unless `allow_other_accounts: true` is set.
//!
//! URIs are checked before any request ([`FlyteUri::parse`]): no port, user info, query or
//! fragment; bucket, container and account names by their cloud's rules; an Azure host only
//! in the configured cloud. A refused URI is an [`Error::InvalidUri`] with a [`UriProblem`].
//!
//! Cloud requests are retried and bounded as [`CloudOptions`] says; its documentation gives the
//! defaults and why they differ from object_store's.
//!
//! The cloud stores speak HTTPS with rustls on ring, the crypto library the rest of flyte-rs
//! uses (object_store's own `aws`/`gcp`/`azure` features would add aws-lc-rs, C code built with
//! cmake). Unless the application has installed a rustls default `CryptoProvider`, the first
//! cloud store installs ring's.
//!
//! # Main types
//! - [`FlyteStorage`] (from a config's `storage` section, or [`StorageBuilder`]): get (whole, a range, into a file), put (whole, from a file in parts),
//!   head, exists, list (a stream), delete, copy; protobuf messages such as `outputs.pb`.
//! - [`FlyteUri`]: `s3://`, `gs://`, `abfs://container/...` (and `abfs(s)://container@account...`,
//!   `az://`), `file://`, paths.
//! - [`SignedUrls`]: uploads to and downloads from signed URLs (FlyteAdmin's data proxy); no
//!   store needed.
//! - [`Error`]: what failed and at which URI; signed URLs are shown without their query.
//!
//! # Example
//! ```
//! # async fn run() -> Result<(), flyte_storage::Error> {
//! use flyte_storage::FlyteStorage;
//! let storage = FlyteStorage::memory();
//! storage.put("s3://my-bucket/data/a.txt", "hello").await?;
//! assert_eq!(storage.get("s3://my-bucket/data/a.txt").await?, "hello");
//! # Ok(()) }
//! ```

#[cfg(feature = "azure")]
mod azure;
mod builder;
#[cfg(any(feature = "aws", feature = "gcp", feature = "azure"))]
mod cloud;
mod error;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "gcp")]
mod gcs;
mod hosts;
pub mod layout;
mod literals;
mod options;
#[cfg(feature = "aws")]
mod s3;
mod signed;
mod store;
mod uri;

pub use builder::StorageBuilder;
pub use error::{redact_url, Error, Result, UriProblem};
/// The retry settings of [`CloudOptions`]: flyte-config's type, re-exported so that setting
/// them needs no other import, and because every flyte-rs crate speaks of retries in its words.
pub use flyte_config::RetryPolicy;
pub use literals::{offloaded_literal, offloaded_uris};
pub use options::CloudOptions;
pub use signed::{
    content_md5, SignedUrls, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_GET_BYTES, DEFAULT_READ_TIMEOUT,
};
pub use store::{
    FlyteStorage, ObjectInfo, DEFAULT_MAX_DOWNLOAD_BYTES, DEFAULT_MAX_LITERAL_BYTES,
    DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_CONCURRENCY, DEFAULT_PART_SIZE,
};
pub use uri::{FlyteUri, Scheme};
