//! DataCatalog, where Flyte keeps the outputs of cached tasks: a client for its gRPC API
//! ([`DataCatalogClient`]) over the same endpoint, TLS, login and retry stack as
//! [`AdminClient`](crate::AdminClient), or over an explicit endpoint (a tool inside the cluster,
//! or a port-forward); and the cache keys flytepropeller computes, locally ([`dataset_id`],
//! [`artifact_tag`], ...; the `flyte-catalog` crate's, re-exported).
//!
//! ```no_run
//! use flyte_admin_client::catalog::{CatalogQuery, DataCatalogClient};
//! use futures::TryStreamExt;
//! # async fn run() -> Result<(), flyte_admin_client::Error> {
//! let catalog = DataCatalogClient::try_default()?;
//! let query = CatalogQuery::new().project("flytesnacks").domain("development").task("wf.square");
//! let mut datasets = catalog.list_datasets(query);
//! while let Some(dataset) = datasets.try_next().await? {
//!     println!("{:?}", dataset.id.map(|id| id.version));
//! }
//! # Ok(()) }
//! ```

mod client;
mod query;
mod task;

pub use client::DataCatalogClient;
pub use query::CatalogQuery;
pub use task::task_dataset_id;

/// DataCatalog's wire types (`flyte-catalog`'s, written from the v1.16.8 `.proto`).
pub use flyte_catalog::pb;

/// The gRPC glue under [`DataCatalogClient`]: the raw client over any transport, and the
/// server trait and service for serving DataCatalog (as the test kit does).
pub use flyte_catalog::grpc;

/// flytepropeller's cache keys and catalog metadata, computed locally.
pub use flyte_catalog::keys;

pub use flyte_catalog::{
    artifact_metadata, artifact_tag, artifact_tag_encoded, cache_ignore_input_vars,
    catalog_metadata, dataset_id, dataset_id_encoded, dataset_id_for_task, dataset_identifier,
    dataset_metadata, input_hash, input_hash_encoded, interface_hash, interface_hash_encoded,
    outputs_from_artifact, source_from_metadata, KeyError,
};
