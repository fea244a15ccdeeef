//! DataCatalog's gRPC API over the test kit's catalog store, on the test kit's gRPC port: what
//! propeller memoized is what a DataCatalog client lists and reads, and what a client writes is
//! what executions hit. Validation, error codes and messages, filters and pagination are
//! DataCatalog's (`datacatalog/pkg/manager/impl` at v1.16.8).

use std::sync::Arc;
use std::time::Duration;

use flyte_catalog::pb::{
    self, get_artifact_request, single_property_filter::PropertyFilter, update_artifact_request,
    AddTagRequest, AddTagResponse, Artifact, CreateArtifactRequest, CreateArtifactResponse,
    CreateDatasetRequest, CreateDatasetResponse, Dataset, GetArtifactRequest, GetArtifactResponse,
    GetDatasetRequest, GetDatasetResponse, GetOrExtendReservationRequest,
    GetOrExtendReservationResponse, ListArtifactsRequest, ListArtifactsResponse,
    ListDatasetsRequest, ListDatasetsResponse, PaginationOptions, ReleaseReservationRequest,
    ReleaseReservationResponse, UpdateArtifactRequest, UpdateArtifactResponse,
};
use tonic::{Code, Request, Response, Status};

use super::memo::HEARTBEAT_GRACE_MULTIPLIER;
use super::store::{validate_dataset_id, ArtifactHandle, CatalogError};
use crate::executions::Shared;

/// DataCatalog's `max-reservation-heartbeat` default: the longest heartbeat it grants.
const MAX_RESERVATION_HEARTBEAT: Duration = Duration::from_secs(10);
/// DataCatalog's page size when a list call sends no pagination.
const MAX_PAGE_LIMIT: usize = 50;

/// The `datacatalog.DataCatalog` service of one test kit.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    pub(crate) shared: Arc<Shared>,
}

type Reply<T> = Result<Response<T>, Status>;

fn invalid(message: impl Into<String>) -> CatalogError {
    CatalogError::new(Code::InvalidArgument, message)
}

/// DataCatalog's `ValidatePagination` and `ApplyPagination`: the offset, the limit and whether
/// the newest come first.
fn page(options: Option<&PaginationOptions>) -> Result<(usize, usize, bool), CatalogError> {
    let Some(options) = options else {
        return Ok((0, MAX_PAGE_LIMIT, true));
    };
    let token = options.token.trim_matches(' ');
    let offset = if token.is_empty() {
        0
    } else {
        token
            .parse::<u32>()
            .map_err(|_| invalid(format!("Invalid token value: {}", options.token)))?
    };
    if options.sort_key != pb::pagination_options::SortKey::CreationTime as i32 {
        return Err(invalid(format!("Invalid sort key {}", options.sort_key)));
    }
    let descending = match pb::pagination_options::SortOrder::try_from(options.sort_order) {
        Ok(pb::pagination_options::SortOrder::Descending) => true,
        Ok(pb::pagination_options::SortOrder::Ascending) => false,
        Err(_) => {
            return Err(invalid(format!(
                "Invalid sort order {}",
                options.sort_order
            )))
        }
    };
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(options.limit).unwrap_or(usize::MAX);
    Ok((offset, limit, descending))
}

/// One page of `items` (oldest first) and DataCatalog's next token: the offset after it, given
/// even when nothing follows.
fn paginate<T>(
    mut items: Vec<T>,
    (offset, limit, descending): (usize, usize, bool),
) -> (Vec<T>, String) {
    if descending {
        items.reverse();
    }
    let taken: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
    let token = (offset + taken.len()).to_string();
    (taken, token)
}

fn required(value: &str, field: &str) -> Result<(), CatalogError> {
    if value.is_empty() {
        Err(CatalogError::missing_field(field))
    } else {
        Ok(())
    }
}

/// Whether `artifact` passes one of ListArtifacts' filters.
fn artifact_matches(artifact: &Artifact, filter: &PropertyFilter) -> Result<bool, CatalogError> {
    use pb::{artifact_property_filter, partition_property_filter, tag_property_filter};
    Ok(match filter {
        PropertyFilter::TagFilter(t) => match &t.property {
            Some(tag_property_filter::Property::TagName(name)) => {
                required(name, "tagName")?;
                artifact.tags.iter().any(|t| t.name == *name)
            }
            None => true,
        },
        PropertyFilter::PartitionFilter(p) => match &p.property {
            Some(partition_property_filter::Property::KeyVal(kv)) => {
                required(&kv.key, "PartitionKey")?;
                required(&kv.value, "PartitionValue")?;
                artifact
                    .partitions
                    .iter()
                    .any(|p| p.key == kv.key && p.value == kv.value)
            }
            None => true,
        },
        PropertyFilter::ArtifactFilter(a) => match &a.property {
            Some(artifact_property_filter::Property::ArtifactId(id)) => artifact.id == *id,
            None => true,
        },
        PropertyFilter::DatasetFilter(_) => {
            return Err(invalid("Artifact cannot be filtered by Dataset properties"))
        }
    })
}

/// Whether `dataset` passes one of ListDatasets' filters.
fn dataset_matches(dataset: &Dataset, filter: &PropertyFilter) -> Result<bool, CatalogError> {
    use pb::dataset_property_filter::Property;
    let id = dataset.id.clone().unwrap_or_default();
    let (entity, field) = match filter {
        PropertyFilter::DatasetFilter(d) => match &d.property {
            Some(Property::Project(v)) => return Ok(nonempty(v, "project")? && id.project == *v),
            Some(Property::Domain(v)) => return Ok(nonempty(v, "domain")? && id.domain == *v),
            Some(Property::Name(v)) => return Ok(nonempty(v, "name")? && id.name == *v),
            Some(Property::Version(v)) => return Ok(nonempty(v, "version")? && id.version == *v),
            Some(Property::Org(v)) => return Ok(id.org == *v),
            None => return Ok(true),
        },
        PropertyFilter::TagFilter(_) => ("Dataset", "Tag"),
        PropertyFilter::PartitionFilter(_) => ("Dataset", "Partition"),
        PropertyFilter::ArtifactFilter(_) => ("Dataset", "Artifact"),
    };
    Err(invalid(format!(
        "{entity} cannot be filtered by {field} properties"
    )))
}

fn nonempty(value: &str, field: &str) -> Result<bool, CatalogError> {
    required(value, field).map(|()| true)
}

/// Keeps the items every filter of `filter` lets through.
fn filtered<T>(
    items: Vec<T>,
    filter: Option<&pb::FilterExpression>,
    matches: impl Fn(&T, &PropertyFilter) -> Result<bool, CatalogError>,
) -> Result<Vec<T>, CatalogError> {
    let filters: Vec<&PropertyFilter> = filter
        .iter()
        .flat_map(|f| &f.filters)
        .filter_map(|f| f.property_filter.as_ref())
        .collect();
    let mut kept = Vec::new();
    for item in items {
        let mut keep = true;
        for f in &filters {
            keep &= matches(&item, f)?;
        }
        if keep {
            kept.push(item);
        }
    }
    Ok(kept)
}

#[tonic::async_trait]
impl flyte_catalog::DataCatalog for Catalog {
    async fn create_dataset(
        &self,
        request: Request<CreateDatasetRequest>,
    ) -> Reply<CreateDatasetResponse> {
        let dataset = request.into_inner().dataset.unwrap_or_default();
        validate_dataset_id(dataset.id.as_ref())?;
        self.shared.catalog().create_dataset(dataset)?;
        Ok(Response::new(CreateDatasetResponse {}))
    }

    async fn get_dataset(&self, request: Request<GetDatasetRequest>) -> Reply<GetDatasetResponse> {
        let req = request.into_inner();
        let id = validate_dataset_id(req.dataset.as_ref())?;
        let dataset = self.shared.catalog().dataset(id)?.clone();
        Ok(Response::new(GetDatasetResponse {
            dataset: Some(dataset),
        }))
    }

    async fn create_artifact(
        &self,
        request: Request<CreateArtifactRequest>,
    ) -> Reply<CreateArtifactResponse> {
        let artifact = request
            .into_inner()
            .artifact
            .ok_or_else(|| CatalogError::missing_field("artifact"))?;
        self.shared
            .catalog()
            .create_artifact(artifact, crate::db::now())?;
        Ok(Response::new(CreateArtifactResponse {}))
    }

    async fn get_artifact(
        &self,
        request: Request<GetArtifactRequest>,
    ) -> Reply<GetArtifactResponse> {
        let req = request.into_inner();
        let catalog = self.shared.catalog();
        let artifact = match &req.query_handle {
            None => return Err(CatalogError::missing_field("one of artifactID/tagName").into()),
            Some(get_artifact_request::QueryHandle::ArtifactId(id)) => {
                if req.dataset.is_some() {
                    validate_dataset_id(req.dataset.as_ref())?;
                }
                required(id, "artifactID")?;
                catalog.artifact(req.dataset.as_ref(), id)?
            }
            Some(get_artifact_request::QueryHandle::TagName(tag)) => {
                let id = validate_dataset_id(req.dataset.as_ref())?;
                required(tag, "tagName")?;
                catalog.artifact_by_tag(id, tag)?
            }
        };
        Ok(Response::new(GetArtifactResponse {
            artifact: Some(artifact),
        }))
    }

    async fn add_tag(&self, request: Request<AddTagRequest>) -> Reply<AddTagResponse> {
        let tag = request
            .into_inner()
            .tag
            .ok_or_else(|| CatalogError::missing_field("tag"))?;
        self.shared.catalog().add_tag(&tag)?;
        Ok(Response::new(AddTagResponse {}))
    }

    async fn list_artifacts(
        &self,
        request: Request<ListArtifactsRequest>,
    ) -> Reply<ListArtifactsResponse> {
        let req = request.into_inner();
        let id = validate_dataset_id(req.dataset.as_ref())?;
        let dataset_filter = req
            .filter
            .iter()
            .flat_map(|f| &f.filters)
            .any(|f| matches!(f.property_filter, Some(PropertyFilter::DatasetFilter(_))));
        if dataset_filter {
            return Err(invalid("Artifact cannot be filtered by Dataset properties").into());
        }
        let page_options = page(req.pagination.as_ref())?;
        let artifacts = self.shared.catalog().artifacts(id)?;
        let kept = filtered(artifacts, req.filter.as_ref(), artifact_matches)?;
        let (artifacts, next_token) = paginate(kept, page_options);
        Ok(Response::new(ListArtifactsResponse {
            artifacts,
            next_token,
        }))
    }

    async fn list_datasets(
        &self,
        request: Request<ListDatasetsRequest>,
    ) -> Reply<ListDatasetsResponse> {
        let req = request.into_inner();
        let page_options = page(req.pagination.as_ref())?;
        let datasets = self.shared.catalog().datasets().to_vec();
        let kept = filtered(datasets, req.filter.as_ref(), dataset_matches)?;
        let (datasets, next_token) = paginate(kept, page_options);
        Ok(Response::new(ListDatasetsResponse {
            datasets,
            next_token,
        }))
    }

    async fn update_artifact(
        &self,
        request: Request<UpdateArtifactRequest>,
    ) -> Reply<UpdateArtifactResponse> {
        let req = request.into_inner();
        let handle = match &req.query_handle {
            None => return Err(CatalogError::missing_field("one of artifactID/tagName").into()),
            Some(update_artifact_request::QueryHandle::ArtifactId(id)) => {
                if req.dataset.is_some() {
                    validate_dataset_id(req.dataset.as_ref())?;
                }
                required(id, "artifactID")?;
                ArtifactHandle::Id(id)
            }
            Some(update_artifact_request::QueryHandle::TagName(tag)) => {
                validate_dataset_id(req.dataset.as_ref())?;
                required(tag, "tagName")?;
                ArtifactHandle::Tag(tag)
            }
        };
        if req.data.is_empty() {
            return Err(CatalogError::missing_field("artifactData").into());
        }
        let artifact_id = self.shared.catalog().update_artifact(
            req.dataset.as_ref(),
            handle,
            req.data.clone(),
            req.metadata.clone(),
        )?;
        Ok(Response::new(UpdateArtifactResponse { artifact_id }))
    }

    async fn get_or_extend_reservation(
        &self,
        request: Request<GetOrExtendReservationRequest>,
    ) -> Reply<GetOrExtendReservationResponse> {
        let req = request.into_inner();
        let asked = req
            .heartbeat_interval
            .and_then(|d| Duration::try_from(d).ok())
            .unwrap_or(MAX_RESERVATION_HEARTBEAT);
        let reservation = self.shared.catalog().get_or_extend_reservation(
            &req.reservation_id.unwrap_or_default(),
            &req.owner_id,
            asked.min(MAX_RESERVATION_HEARTBEAT),
            self.shared.clock.unix_now(),
            HEARTBEAT_GRACE_MULTIPLIER,
        );
        Ok(Response::new(GetOrExtendReservationResponse {
            reservation: Some(reservation),
        }))
    }

    async fn release_reservation(
        &self,
        request: Request<ReleaseReservationRequest>,
    ) -> Reply<ReleaseReservationResponse> {
        let req = request.into_inner();
        self.shared
            .catalog()
            .release_reservation(&req.reservation_id.unwrap_or_default(), &req.owner_id);
        Ok(Response::new(ReleaseReservationResponse {}))
    }
}
