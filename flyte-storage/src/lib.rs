//! Flyte's blob storage: inputs, outputs, code bundles and decks, addressed by the URIs Flyte
//! writes, over [`object_store`].
//!
//! **Status:** memory and local stores, S3 and MinIO (feature `aws`), every operation, protobuf
//! files and signed-URL transfers work; GCS and Azure are not built yet and
//! [`FlyteStorage::from_config`] says so.
//!
//! # Feature flags
//! - `aws`: S3 and S3-compatible stores such as MinIO (`storage.type: s3|minio`, or stow kind
//!   `s3`), with access keys from the config or the usual `AWS_*` variables and instance roles.
//!
//! # Main types
//! - [`FlyteStorage`]: get (whole, a range, into a file), put (whole, from a file in parts),
//!   head, exists, list (a stream), delete, copy; protobuf messages such as `outputs.pb`.
//! - [`FlyteUri`]: `s3://`, `gs://`, `az://`, `abfs(s)://container@account...`, `file://`, paths.
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

mod error;
#[cfg(feature = "aws")]
mod s3;
mod signed;
mod store;
mod uri;

pub use error::{redact_url, Error, Result};
pub use signed::content_md5;
pub use store::{
    FlyteStorage, ObjectInfo, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_CONCURRENCY,
    DEFAULT_PART_SIZE,
};
pub use uri::{FlyteUri, Scheme};
