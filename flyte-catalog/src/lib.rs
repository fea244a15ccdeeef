//! DataCatalog for flyte-rs: the wire types and gRPC glue of Flyte's `datacatalog.DataCatalog`
//! service, and the cache keys flytepropeller 1.16 derives from a task and its inputs.
//!
//! This crate exists because two crates that must not depend on each other need both: the test
//! kit serves DataCatalog and memoizes tasks as propeller does, and flyte-admin-client talks to
//! a real DataCatalog and explains cache misses. The `flyteidl` crate carries DataCatalog's
//! generated code without exporting it, so the messages here are written by hand from the
//! v1.16.8 `.proto`, and the keys are computed from a reading of propeller's Go code.
//!
//! # Main items
//! - [`pb`]: every message of the service (datasets, artifacts, tags, partitions, filters,
//!   pagination, reservations).
//! - [`grpc`]: [`DataCatalogGrpcClient`] over any tonic transport, and the [`DataCatalog`] trait with
//!   [`DataCatalogServer`], a tower service to add beside other tonic services.
//! - [`keys`]: [`dataset_id`], [`artifact_tag`] and the metadata propeller writes and reads.
//!
//! # Example
//! ```no_run
//! use flyte_catalog::pb::{get_artifact_request::QueryHandle, GetArtifactRequest};
//! use flyte_catalog::{artifact_tag, dataset_id_for_task, DataCatalogGrpcClient};
//! # async fn run(
//! #     template: flyteidl::flyteidl::core::TaskTemplate,
//! #     inputs: flyteidl::flyteidl::core::LiteralMap,
//! # ) -> Result<(), Box<dyn std::error::Error>> {
//! let dataset = dataset_id_for_task(&template)?;
//! let tag = artifact_tag(Some(&inputs), flyte_catalog::cache_ignore_input_vars(&template))?;
//! let channel = tonic::transport::Endpoint::from_static("http://127.0.0.1:8089").connect().await?;
//! let mut catalog = DataCatalogGrpcClient::new(channel);
//! let artifact = catalog
//!     .get_artifact(GetArtifactRequest {
//!         dataset: Some(dataset),
//!         query_handle: Some(QueryHandle::TagName(tag)),
//!     })
//!     .await?
//!     .into_inner();
//! println!("{:?}", artifact.artifact.map(|a| a.id));
//! # Ok(()) }
//! ```
//!
//! # Feature flags
//! None.

pub mod grpc;
pub mod keys;
pub mod pb;

pub use grpc::{DataCatalog, DataCatalogGrpcClient, DataCatalogServer};
pub use keys::{
    artifact_metadata, artifact_tag, artifact_tag_encoded, cache_ignore_input_vars,
    catalog_metadata, dataset_id, dataset_id_encoded, dataset_id_for_task, dataset_identifier,
    dataset_metadata, input_hash, input_hash_encoded, interface_hash, interface_hash_encoded,
    outputs_from_artifact, source_from_metadata, KeyError,
};
