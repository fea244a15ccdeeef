//! The DataCatalog client against a small DataCatalog served in the test with flyte-catalog's
//! server glue: reads, lists across pages with filters, errors, retries, and a lookup by the tag
//! computed locally as propeller computes it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flyte_admin_client::catalog::grpc::{DataCatalog, DataCatalogServer};
use flyte_admin_client::catalog::pb::*;
use flyte_admin_client::catalog::{artifact_tag, dataset_id, CatalogQuery, DataCatalogClient};
use flyte_admin_client::pb::core::{self as core, Identifier, LiteralMap, ResourceType};
use flyte_admin_client::{AdminClient, RetryPolicy};
use futures::TryStreamExt;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Datasets and artifacts in creation order; lists page with DataCatalog's offset tokens
/// (`offset + page length`, even after the last page) and apply equality filters.
#[derive(Default)]
struct Catalog {
    datasets: Mutex<Vec<Dataset>>,
    artifacts: Mutex<Vec<Artifact>>,
    /// UNAVAILABLE answers still to give to GetDataset.
    fail_gets: AtomicU32,
    list_calls: AtomicU32,
}

fn page<T: Clone>(
    all: &[T],
    pagination: Option<PaginationOptions>,
) -> Result<(Vec<T>, String), String> {
    let pagination = pagination.unwrap_or_default();
    let offset: usize = if pagination.token.is_empty() {
        0
    } else {
        pagination
            .token
            .parse()
            .map_err(|_| format!("bad token {:?}", pagination.token))?
    };
    let limit = if pagination.limit == 0 {
        50
    } else {
        pagination.limit as usize
    };
    let mut ordered: Vec<T> = all.to_vec();
    if pagination.sort_order == pagination_options::SortOrder::Descending as i32 {
        ordered.reverse();
    }
    let items: Vec<T> = ordered.into_iter().skip(offset).take(limit).collect();
    let token = (offset + items.len()).to_string();
    Ok((items, token))
}

fn dataset_matches(id: &DatasetId, filter: &Option<FilterExpression>) -> bool {
    use dataset_property_filter::Property;
    filter
        .iter()
        .flat_map(|f| &f.filters)
        .all(|f| match &f.property_filter {
            Some(single_property_filter::PropertyFilter::DatasetFilter(d)) => match &d.property {
                Some(Property::Project(p)) => &id.project == p,
                Some(Property::Domain(p)) => &id.domain == p,
                Some(Property::Name(p)) => &id.name == p,
                Some(Property::Version(p)) => &id.version == p,
                Some(Property::Org(p)) => &id.org == p,
                None => true,
            },
            _ => true,
        })
}

#[tonic::async_trait]
impl DataCatalog for Catalog {
    async fn create_dataset(
        &self,
        _: Request<CreateDatasetRequest>,
    ) -> Result<Response<CreateDatasetResponse>, Status> {
        Err(Status::unimplemented("read-only"))
    }

    async fn get_dataset(
        &self,
        request: Request<GetDatasetRequest>,
    ) -> Result<Response<GetDatasetResponse>, Status> {
        if self
            .fail_gets
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(Status::unavailable("try again"));
        }
        let id = request.into_inner().dataset;
        let datasets = self
            .datasets
            .lock()
            .map_err(|_| Status::internal("poisoned"))?;
        let found = datasets.iter().find(|d| d.id == id).cloned();
        let dataset = found.ok_or_else(|| Status::not_found("entry not found"))?;
        Ok(Response::new(GetDatasetResponse {
            dataset: Some(dataset),
        }))
    }

    async fn create_artifact(
        &self,
        _: Request<CreateArtifactRequest>,
    ) -> Result<Response<CreateArtifactResponse>, Status> {
        Err(Status::unimplemented("read-only"))
    }

    async fn get_artifact(
        &self,
        request: Request<GetArtifactRequest>,
    ) -> Result<Response<GetArtifactResponse>, Status> {
        let request = request.into_inner();
        let artifacts = self
            .artifacts
            .lock()
            .map_err(|_| Status::internal("poisoned"))?;
        let found = artifacts.iter().find(|a| {
            a.dataset == request.dataset
                && match &request.query_handle {
                    Some(get_artifact_request::QueryHandle::TagName(t)) => {
                        a.tags.iter().any(|tag| &tag.name == t)
                    }
                    Some(get_artifact_request::QueryHandle::ArtifactId(id)) => &a.id == id,
                    None => false,
                }
        });
        let artifact = found
            .cloned()
            .ok_or_else(|| Status::not_found("entry not found"))?;
        Ok(Response::new(GetArtifactResponse {
            artifact: Some(artifact),
        }))
    }

    async fn add_tag(&self, _: Request<AddTagRequest>) -> Result<Response<AddTagResponse>, Status> {
        Err(Status::unimplemented("read-only"))
    }

    async fn list_artifacts(
        &self,
        request: Request<ListArtifactsRequest>,
    ) -> Result<Response<ListArtifactsResponse>, Status> {
        self.list_calls.fetch_add(1, Ordering::SeqCst);
        let request = request.into_inner();
        let artifacts = self
            .artifacts
            .lock()
            .map_err(|_| Status::internal("poisoned"))?;
        let of_dataset: Vec<Artifact> = artifacts
            .iter()
            .filter(|a| a.dataset == request.dataset)
            .cloned()
            .collect();
        let (artifacts, next_token) =
            page(&of_dataset, request.pagination).map_err(Status::invalid_argument)?;
        Ok(Response::new(ListArtifactsResponse {
            artifacts,
            next_token,
        }))
    }

    async fn list_datasets(
        &self,
        request: Request<ListDatasetsRequest>,
    ) -> Result<Response<ListDatasetsResponse>, Status> {
        self.list_calls.fetch_add(1, Ordering::SeqCst);
        let request = request.into_inner();
        let datasets = self
            .datasets
            .lock()
            .map_err(|_| Status::internal("poisoned"))?;
        let matching: Vec<Dataset> = datasets
            .iter()
            .filter(|d| dataset_matches(&d.id.clone().unwrap_or_default(), &request.filter))
            .cloned()
            .collect();
        let (datasets, next_token) =
            page(&matching, request.pagination).map_err(Status::invalid_argument)?;
        Ok(Response::new(ListDatasetsResponse {
            datasets,
            next_token,
        }))
    }

    async fn update_artifact(
        &self,
        _: Request<UpdateArtifactRequest>,
    ) -> Result<Response<UpdateArtifactResponse>, Status> {
        Err(Status::unimplemented("read-only"))
    }

    async fn get_or_extend_reservation(
        &self,
        _: Request<GetOrExtendReservationRequest>,
    ) -> Result<Response<GetOrExtendReservationResponse>, Status> {
        Err(Status::unimplemented("read-only"))
    }

    async fn release_reservation(
        &self,
        _: Request<ReleaseReservationRequest>,
    ) -> Result<Response<ReleaseReservationResponse>, Status> {
        Err(Status::unimplemented("read-only"))
    }
}

/// Serves `catalog` on 127.0.0.1 and returns a client for it, with fast retries.
async fn serve(catalog: Arc<Catalog>) -> Result<DataCatalogClient, Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let incoming = TcpIncoming::from_listener(listener, true, None).map_err(|e| e.to_string())?;
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(DataCatalogServer::from_arc(catalog))
            .serve_with_incoming(incoming),
    );
    let builder = AdminClient::builder()
        .endpoint(addr.to_string())
        .insecure(true)
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)));
    Ok(DataCatalogClient::from_builder(builder)?)
}

fn task(name: &str) -> Identifier {
    Identifier {
        resource_type: ResourceType::Task as i32,
        project: "flytesnacks".into(),
        domain: "development".into(),
        name: name.into(),
        version: "v1".into(),
        ..Identifier::default()
    }
}

fn int_inputs(x: i64) -> LiteralMap {
    use core::{literal, primitive, scalar, Literal, Primitive, Scalar};
    let value = Literal {
        value: Some(literal::Value::Scalar(Box::new(Scalar {
            value: Some(scalar::Value::Primitive(Primitive {
                value: Some(primitive::Value::Integer(x)),
            })),
        }))),
        ..Literal::default()
    };
    LiteralMap {
        literals: HashMap::from([("x".to_owned(), value)]),
    }
}

#[tokio::test]
async fn a_tag_computed_locally_finds_propellers_artifact() -> TestResult {
    let catalog = Arc::new(Catalog::default());
    let dataset = dataset_id(&task("wf.square"), "1.0", None)?;
    let tag = artifact_tag(Some(&int_inputs(3)), &[])?;
    catalog
        .datasets
        .lock()
        .map_err(|e| e.to_string())?
        .push(Dataset {
            id: Some(dataset.clone()),
            ..Dataset::default()
        });
    catalog
        .artifacts
        .lock()
        .map_err(|e| e.to_string())?
        .push(Artifact {
            id: "art-3".into(),
            dataset: Some(dataset.clone()),
            tags: vec![Tag {
                name: tag.clone(),
                artifact_id: "art-3".into(),
                dataset: Some(dataset.clone()),
            }],
            ..Artifact::default()
        });
    let client = serve(catalog).await?;

    assert_eq!(
        client.get_dataset(&dataset).await?.id.as_ref(),
        Some(&dataset)
    );
    let hit = client.get_artifact_by_tag(&dataset, &tag).await?;
    assert_eq!(hit.id, "art-3");
    assert_eq!(
        client.get_artifact_by_id(&dataset, "art-3").await?.tags[0].name,
        tag
    );

    // Other inputs: another tag, a miss DataCatalog reports as NOT_FOUND.
    let other = artifact_tag(Some(&int_inputs(4)), &[])?;
    let miss = client
        .get_artifact_by_tag(&dataset, &other)
        .await
        .err()
        .ok_or("a different input hash must miss")?;
    assert!(miss.is_not_found(), "{miss}");
    assert!(miss.to_string().contains("GetArtifact"), "{miss}");
    Ok(())
}

#[tokio::test]
async fn datasets_list_across_pages_with_filters() -> TestResult {
    let catalog = Arc::new(Catalog::default());
    {
        let mut datasets = catalog.datasets.lock().map_err(|e| e.to_string())?;
        for i in 0..230 {
            let name = if i % 2 == 0 { "wf.square" } else { "wf.cube" };
            datasets.push(Dataset {
                id: Some(dataset_id(&task(name), &format!("{i}"), None)?),
                ..Dataset::default()
            });
        }
    }
    let client = serve(Arc::clone(&catalog)).await?;
    let all: Vec<Dataset> = client
        .list_datasets(CatalogQuery::new().page_size(100))
        .try_collect()
        .await?;
    assert_eq!(all.len(), 230);
    // Newest first by default; DataCatalog's token keeps coming until an empty page.
    assert_eq!(
        all[0].id.as_ref().map(|d| d.version.as_str()),
        Some("229-GKw-c0Pw-GKw-c0Pw")
    );
    assert_eq!(catalog.list_calls.load(Ordering::SeqCst), 4);

    let squares: Vec<Dataset> = client
        .list_datasets(
            CatalogQuery::new()
                .project("flytesnacks")
                .domain("development")
                .task("wf.square")
                .page_size(7)
                .oldest_first(),
        )
        .try_collect()
        .await?;
    assert_eq!(squares.len(), 115);
    assert!(squares.iter().all(|d| d
        .id
        .as_ref()
        .is_some_and(|id| id.name == "flyte_task-wf.square")));
    assert_eq!(
        squares[0].id.as_ref().map(|d| d.version.as_str()),
        Some("0-GKw-c0Pw-GKw-c0Pw")
    );
    Ok(())
}

#[tokio::test]
async fn artifacts_list_across_pages() -> TestResult {
    let catalog = Arc::new(Catalog::default());
    let dataset = dataset_id(&task("wf.square"), "1.0", None)?;
    {
        let mut artifacts = catalog.artifacts.lock().map_err(|e| e.to_string())?;
        for i in 0..25 {
            artifacts.push(Artifact {
                id: format!("art-{i}"),
                dataset: Some(dataset.clone()),
                ..Artifact::default()
            });
        }
        artifacts.push(Artifact {
            id: "elsewhere".into(),
            dataset: Some(dataset_id(&task("wf.cube"), "1.0", None)?),
            ..Artifact::default()
        });
    }
    let client = serve(catalog).await?;
    let ids: Vec<String> = client
        .list_artifacts(&dataset, CatalogQuery::new().page_size(10).oldest_first())
        .map_ok(|a| a.id)
        .try_collect()
        .await?;
    assert_eq!(ids, (0..25).map(|i| format!("art-{i}")).collect::<Vec<_>>());
    Ok(())
}

#[tokio::test]
async fn reads_are_retried_through_the_admin_clients_retry_layer() -> TestResult {
    let catalog = Arc::new(Catalog::default());
    let dataset = dataset_id(&task("wf.square"), "1.0", None)?;
    catalog
        .datasets
        .lock()
        .map_err(|e| e.to_string())?
        .push(Dataset {
            id: Some(dataset.clone()),
            ..Dataset::default()
        });
    catalog.fail_gets.store(2, Ordering::SeqCst);
    let client = serve(Arc::clone(&catalog)).await?;
    assert_eq!(client.get_dataset(&dataset).await?.id, Some(dataset));
    assert_eq!(
        catalog.fail_gets.load(Ordering::SeqCst),
        0,
        "both failures were answered"
    );
    Ok(())
}

#[tokio::test]
async fn a_catalog_client_shares_an_admin_clients_endpoint() -> TestResult {
    let admin = AdminClient::builder()
        .endpoint("dns:///flyte.example.com:443")
        .build()?;
    let catalog = DataCatalogClient::new(&admin);
    assert_eq!(catalog.endpoint(), admin.endpoint());
    assert!(format!("{catalog:?}").contains("flyte.example.com"));
    Ok(())
}

#[tokio::test]
async fn a_registered_tasks_dataset_is_computed_from_its_stored_template() -> TestResult {
    use flyte_admin_client::build::{types, ContainerTask};
    use flyte_admin_client::catalog::task_dataset_id;
    use flyte_admin_client::TaskId;
    let kit = flyte_testkit::TestAdmin::start().await?;
    let admin = AdminClient::builder()
        .endpoint(kit.addr().to_string())
        .insecure(true)
        .build()?;
    let task = |name: &str| {
        ContainerTask::new(name, "alpine:3.20")
            .command(["sh", "-c", "cp /var/inputs/x /var/outputs/y"])
            .input("x", types::integer())
            .output("y", types::integer())
    };
    let cached = TaskId::new("flytesnacks", "development", "rs.cached", "v1");
    admin
        .create_task(&cached, task("rs.cached").cache("1.0").spec()?)
        .await?;
    let plain = TaskId::new("flytesnacks", "development", "rs.plain", "v1");
    admin.create_task(&plain, task("rs.plain").spec()?).await?;

    let dataset = task_dataset_id(&admin, &cached)
        .await?
        .ok_or("a cached task has a dataset")?;
    assert_eq!(dataset.name, "flyte_task-rs.cached");
    assert_eq!(
        (dataset.project.as_str(), dataset.domain.as_str()),
        ("flytesnacks", "development")
    );
    // {"x": INTEGER} and {"y": INTEGER}, hashed as in the flyte-catalog tests.
    assert_eq!(dataset.version, "1.0-BgPQX4Pd-kTyVMVWL");
    assert_eq!(task_dataset_id(&admin, &plain).await?, None);
    Ok(())
}
