//! The messages of DataCatalog's gRPC API (protobuf package `datacatalog`, Flyte 1.16), written
//! by hand with prost's derive: the `flyteidl` crate carries them in its `gen/` directory but does
//! not export them. Field numbers, types and names are those of
//! `flyteidl/protos/flyteidl/datacatalog/datacatalog.proto` at tag v1.16.8; literals are
//! `flyteidl`'s own [`Literal`].
//!
//! The oneofs are Rust enums in the module named after their message (`get_artifact_request::
//! QueryHandle`), and enums are `i32` fields with a Rust enum beside them, as prost generates.

use flyteidl::flyteidl::core::Literal;

/// Creates a dataset (`CreateDataset`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct CreateDatasetRequest {
    /// The dataset, with its id.
    #[prost(message, optional, tag = "1")]
    pub dataset: Option<Dataset>,
}

/// The answer to `CreateDataset` (empty).
#[derive(Clone, PartialEq, prost::Message)]
pub struct CreateDatasetResponse {}

/// Reads a dataset by id (`GetDataset`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetDatasetRequest {
    /// The dataset's id.
    #[prost(message, optional, tag = "1")]
    pub dataset: Option<DatasetId>,
}

/// The answer to `GetDataset`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetDatasetResponse {
    /// The dataset, with its metadata.
    #[prost(message, optional, tag = "1")]
    pub dataset: Option<Dataset>,
}

/// Reads an artifact by id or by tag (`GetArtifact`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetArtifactRequest {
    /// The dataset the artifact belongs to.
    #[prost(message, optional, tag = "1")]
    pub dataset: Option<DatasetId>,
    /// Which artifact: its id or one of its tags.
    #[prost(oneof = "get_artifact_request::QueryHandle", tags = "2, 3")]
    pub query_handle: Option<get_artifact_request::QueryHandle>,
}

/// The oneof of [`GetArtifactRequest`].
pub mod get_artifact_request {
    /// Which artifact to read.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum QueryHandle {
        /// By the artifact's id.
        #[prost(string, tag = "2")]
        ArtifactId(String),
        /// By a tag's name.
        #[prost(string, tag = "3")]
        TagName(String),
    }
}

/// The answer to `GetArtifact`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetArtifactResponse {
    /// The artifact, with its data, metadata, partitions and tags.
    #[prost(message, optional, tag = "1")]
    pub artifact: Option<Artifact>,
}

/// Creates an artifact and its data (`CreateArtifact`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct CreateArtifactRequest {
    /// The artifact.
    #[prost(message, optional, tag = "1")]
    pub artifact: Option<Artifact>,
}

/// The answer to `CreateArtifact` (empty).
#[derive(Clone, PartialEq, prost::Message)]
pub struct CreateArtifactResponse {}

/// Tags an artifact (`AddTag`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct AddTagRequest {
    /// The tag, naming its artifact and dataset.
    #[prost(message, optional, tag = "1")]
    pub tag: Option<Tag>,
}

/// The answer to `AddTag` (empty).
#[derive(Clone, PartialEq, prost::Message)]
pub struct AddTagResponse {}

/// Lists a dataset's artifacts (`ListArtifacts`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListArtifactsRequest {
    /// The dataset.
    #[prost(message, optional, tag = "1")]
    pub dataset: Option<DatasetId>,
    /// Which artifacts (all filters must match).
    #[prost(message, optional, tag = "2")]
    pub filter: Option<FilterExpression>,
    /// The page to read.
    #[prost(message, optional, tag = "3")]
    pub pagination: Option<PaginationOptions>,
}

/// One page of `ListArtifacts`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListArtifactsResponse {
    /// The artifacts of this page.
    #[prost(message, repeated, tag = "1")]
    pub artifacts: Vec<Artifact>,
    /// The token of the next page; empty on the last.
    #[prost(string, tag = "2")]
    pub next_token: String,
}

/// Lists datasets (`ListDatasets`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListDatasetsRequest {
    /// Which datasets (all filters must match).
    #[prost(message, optional, tag = "1")]
    pub filter: Option<FilterExpression>,
    /// The page to read.
    #[prost(message, optional, tag = "2")]
    pub pagination: Option<PaginationOptions>,
}

/// One page of `ListDatasets`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListDatasetsResponse {
    /// The datasets of this page.
    #[prost(message, repeated, tag = "1")]
    pub datasets: Vec<Dataset>,
    /// The token of the next page; empty on the last.
    #[prost(string, tag = "2")]
    pub next_token: String,
}

/// Replaces an artifact's data and metadata (`UpdateArtifact`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct UpdateArtifactRequest {
    /// The dataset the artifact belongs to.
    #[prost(message, optional, tag = "1")]
    pub dataset: Option<DatasetId>,
    /// Which artifact: its id or one of its tags.
    #[prost(oneof = "update_artifact_request::QueryHandle", tags = "2, 3")]
    pub query_handle: Option<update_artifact_request::QueryHandle>,
    /// The new data.
    #[prost(message, repeated, tag = "4")]
    pub data: Vec<ArtifactData>,
    /// The new metadata.
    #[prost(message, optional, tag = "5")]
    pub metadata: Option<Metadata>,
}

/// The oneof of [`UpdateArtifactRequest`].
pub mod update_artifact_request {
    /// Which artifact to update.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum QueryHandle {
        /// By the artifact's id.
        #[prost(string, tag = "2")]
        ArtifactId(String),
        /// By a tag's name.
        #[prost(string, tag = "3")]
        TagName(String),
    }
}

/// The answer to `UpdateArtifact`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UpdateArtifactResponse {
    /// The id of the updated artifact.
    #[prost(string, tag = "1")]
    pub artifact_id: String,
}

/// What a reservation is for: one tag of one dataset (for propeller, one input hash of one task).
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct ReservationId {
    /// The dataset.
    #[prost(message, optional, tag = "1")]
    pub dataset_id: Option<DatasetId>,
    /// The tag.
    #[prost(string, tag = "2")]
    pub tag_name: String,
}

/// Takes or extends a reservation (`GetOrExtendReservation`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetOrExtendReservationRequest {
    /// What to reserve.
    #[prost(message, optional, tag = "1")]
    pub reservation_id: Option<ReservationId>,
    /// Who asks.
    #[prost(string, tag = "2")]
    pub owner_id: String,
    /// How often the owner promises to extend it.
    #[prost(message, optional, tag = "3")]
    pub heartbeat_interval: Option<prost_types::Duration>,
}

/// A reservation: who holds it and until when.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Reservation {
    /// What is reserved.
    #[prost(message, optional, tag = "1")]
    pub reservation_id: Option<ReservationId>,
    /// Who holds it (not necessarily the caller).
    #[prost(string, tag = "2")]
    pub owner_id: String,
    /// The holder's heartbeat interval.
    #[prost(message, optional, tag = "3")]
    pub heartbeat_interval: Option<prost_types::Duration>,
    /// When it lapses unless extended.
    #[prost(message, optional, tag = "4")]
    pub expires_at: Option<prost_types::Timestamp>,
    /// Free-form metadata.
    #[prost(message, optional, tag = "6")]
    pub metadata: Option<Metadata>,
}

/// The answer to `GetOrExtendReservation`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetOrExtendReservationResponse {
    /// The reservation as it now stands.
    #[prost(message, optional, tag = "1")]
    pub reservation: Option<Reservation>,
}

/// Releases a reservation (`ReleaseReservation`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReleaseReservationRequest {
    /// What to release.
    #[prost(message, optional, tag = "1")]
    pub reservation_id: Option<ReservationId>,
    /// Who releases it.
    #[prost(string, tag = "2")]
    pub owner_id: String,
}

/// The answer to `ReleaseReservation` (empty).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReleaseReservationResponse {}

/// A dataset: for propeller, one task's cache at one cache version and interface.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Dataset {
    /// Its id.
    #[prost(message, optional, tag = "1")]
    pub id: Option<DatasetId>,
    /// Free-form metadata (propeller writes `task-version`).
    #[prost(message, optional, tag = "2")]
    pub metadata: Option<Metadata>,
    /// The partition keys its artifacts carry.
    #[prost(string, repeated, tag = "3")]
    pub partition_keys: Vec<String>,
}

/// One partition of an artifact.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct Partition {
    /// The partition key.
    #[prost(string, tag = "1")]
    pub key: String,
    /// Its value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// A dataset's id. Propeller's: `flyte_task-<task name>`, version `<cache version>-<interface
/// hash>` (see [`crate::keys`]).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Message)]
pub struct DatasetId {
    /// The project.
    #[prost(string, tag = "1")]
    pub project: String,
    /// The dataset's name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// The domain.
    #[prost(string, tag = "3")]
    pub domain: String,
    /// The version.
    #[prost(string, tag = "4")]
    pub version: String,
    /// DataCatalog's UUID for the dataset (when set, the other fields may be empty).
    #[prost(string, tag = "5")]
    pub uuid: String,
    /// The organization (empty outside multi-tenant deployments).
    #[prost(string, tag = "6")]
    pub org: String,
}

/// An artifact: for propeller, the outputs of one successful run of a cached task.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Artifact {
    /// Its id (propeller uses a UUID).
    #[prost(string, tag = "1")]
    pub id: String,
    /// The dataset it belongs to.
    #[prost(message, optional, tag = "2")]
    pub dataset: Option<DatasetId>,
    /// Its data: for propeller, one entry per task output.
    #[prost(message, repeated, tag = "3")]
    pub data: Vec<ArtifactData>,
    /// Free-form metadata (propeller writes the source execution).
    #[prost(message, optional, tag = "4")]
    pub metadata: Option<Metadata>,
    /// Its partitions.
    #[prost(message, repeated, tag = "5")]
    pub partitions: Vec<Partition>,
    /// The tags pointing at it.
    #[prost(message, repeated, tag = "6")]
    pub tags: Vec<Tag>,
    /// When DataCatalog created it.
    #[prost(message, optional, tag = "7")]
    pub created_at: Option<prost_types::Timestamp>,
}

/// One named value of an artifact.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ArtifactData {
    /// The name (for propeller, the output's name).
    #[prost(string, tag = "1")]
    pub name: String,
    /// The value.
    #[prost(message, optional, tag = "2")]
    pub value: Option<Literal>,
}

/// A tag: a name, unique in its dataset, pointing at one artifact.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct Tag {
    /// The tag's name (for propeller, `flyte_cached-<input hash>`).
    #[prost(string, tag = "1")]
    pub name: String,
    /// The tagged artifact.
    #[prost(string, tag = "2")]
    pub artifact_id: String,
    /// The dataset the tag belongs to.
    #[prost(message, optional, tag = "3")]
    pub dataset: Option<DatasetId>,
}

/// Free-form string metadata of a dataset, artifact or reservation.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metadata {
    /// The key/value pairs.
    #[prost(map = "string, string", tag = "1")]
    pub key_map: std::collections::HashMap<String, String>,
}

/// A list filter: every one of its filters must match.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FilterExpression {
    /// The filters.
    #[prost(message, repeated, tag = "1")]
    pub filters: Vec<SinglePropertyFilter>,
}

/// One filter on one property.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SinglePropertyFilter {
    /// The property.
    #[prost(oneof = "single_property_filter::PropertyFilter", tags = "1, 2, 3, 4")]
    pub property_filter: Option<single_property_filter::PropertyFilter>,
    /// How to compare ([`single_property_filter::ComparisonOperator`]).
    #[prost(enumeration = "single_property_filter::ComparisonOperator", tag = "10")]
    pub operator: i32,
}

/// The oneof and enum of [`SinglePropertyFilter`].
pub mod single_property_filter {
    /// Which property a filter is on.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum PropertyFilter {
        /// A tag's name.
        #[prost(message, tag = "1")]
        TagFilter(super::TagPropertyFilter),
        /// A partition's key and value.
        #[prost(message, tag = "2")]
        PartitionFilter(super::PartitionPropertyFilter),
        /// An artifact's id.
        #[prost(message, tag = "3")]
        ArtifactFilter(super::ArtifactPropertyFilter),
        /// A dataset's id fields.
        #[prost(message, tag = "4")]
        DatasetFilter(super::DatasetPropertyFilter),
    }

    /// How a filter compares.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    pub enum ComparisonOperator {
        /// Equality, the only operator DataCatalog has.
        Equals = 0,
    }
}

/// A filter on an artifact's properties.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ArtifactPropertyFilter {
    /// The property.
    #[prost(oneof = "artifact_property_filter::Property", tags = "1")]
    pub property: Option<artifact_property_filter::Property>,
}

/// The oneof of [`ArtifactPropertyFilter`].
pub mod artifact_property_filter {
    /// An artifact property.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Property {
        /// The artifact's id.
        #[prost(string, tag = "1")]
        ArtifactId(String),
    }
}

/// A filter on a tag's properties.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TagPropertyFilter {
    /// The property.
    #[prost(oneof = "tag_property_filter::Property", tags = "1")]
    pub property: Option<tag_property_filter::Property>,
}

/// The oneof of [`TagPropertyFilter`].
pub mod tag_property_filter {
    /// A tag property.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Property {
        /// The tag's name.
        #[prost(string, tag = "1")]
        TagName(String),
    }
}

/// A filter on a partition.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PartitionPropertyFilter {
    /// The property.
    #[prost(oneof = "partition_property_filter::Property", tags = "1")]
    pub property: Option<partition_property_filter::Property>,
}

/// The oneof of [`PartitionPropertyFilter`].
pub mod partition_property_filter {
    /// A partition property.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Property {
        /// A partition's key and value.
        #[prost(message, tag = "1")]
        KeyVal(super::KeyValuePair),
    }
}

/// A key and a value.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct KeyValuePair {
    /// The key.
    #[prost(string, tag = "1")]
    pub key: String,
    /// The value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// A filter on a dataset's id fields.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DatasetPropertyFilter {
    /// The property.
    #[prost(oneof = "dataset_property_filter::Property", tags = "1, 2, 3, 4, 5")]
    pub property: Option<dataset_property_filter::Property>,
}

/// The oneof of [`DatasetPropertyFilter`].
pub mod dataset_property_filter {
    /// A dataset property.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Property {
        /// The project.
        #[prost(string, tag = "1")]
        Project(String),
        /// The dataset's name.
        #[prost(string, tag = "2")]
        Name(String),
        /// The domain.
        #[prost(string, tag = "3")]
        Domain(String),
        /// The version.
        #[prost(string, tag = "4")]
        Version(String),
        /// The organization.
        #[prost(string, tag = "5")]
        Org(String),
    }
}

/// Which page of a list to read, and in which order.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PaginationOptions {
    /// The page size (0: the server's default).
    #[prost(uint32, tag = "1")]
    pub limit: u32,
    /// The token a previous page returned; empty for the first page.
    #[prost(string, tag = "2")]
    pub token: String,
    /// The sort key ([`pagination_options::SortKey`]).
    #[prost(enumeration = "pagination_options::SortKey", tag = "3")]
    pub sort_key: i32,
    /// The sort order ([`pagination_options::SortOrder`]).
    #[prost(enumeration = "pagination_options::SortOrder", tag = "4")]
    pub sort_order: i32,
}

/// The enums of [`PaginationOptions`].
pub mod pagination_options {
    /// The sort order.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    pub enum SortOrder {
        /// Newest first (the default).
        Descending = 0,
        /// Oldest first.
        Ascending = 1,
    }

    /// The sort key.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    pub enum SortKey {
        /// Creation time, the only key DataCatalog has.
        CreationTime = 0,
    }
}
