//! The client and server glue against each other over a real HTTP/2 connection on 127.0.0.1:
//! every method, an error status, and a method the service does not have.

use std::collections::HashMap;
use std::error::Error;
use std::sync::Mutex;

use flyte_catalog::pb::*;
use flyte_catalog::{DataCatalog, DataCatalogGrpcClient, DataCatalogServer};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::codegen::InterceptedService;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request, Response, Status};

/// Just enough of a catalog: datasets, artifacts by id, tags, one reservation owner per tag.
#[derive(Default)]
struct Memory {
    datasets: Mutex<Vec<Dataset>>,
    artifacts: Mutex<Vec<Artifact>>,
    tags: Mutex<HashMap<String, String>>,
    reservations: Mutex<HashMap<String, String>>,
}

fn id_of(d: &Option<DatasetId>) -> DatasetId {
    d.clone().unwrap_or_default()
}

#[tonic::async_trait]
impl DataCatalog for Memory {
    async fn create_dataset(
        &self,
        request: Request<CreateDatasetRequest>,
    ) -> Result<Response<CreateDatasetResponse>, Status> {
        let dataset = request.into_inner().dataset.unwrap_or_default();
        let mut datasets = self
            .datasets
            .lock()
            .map_err(|_| Status::internal("poisoned"))?;
        if datasets.iter().any(|d| d.id == dataset.id) {
            return Err(Status::already_exists("dataset exists"));
        }
        datasets.push(dataset);
        Ok(Response::new(CreateDatasetResponse {}))
    }

    async fn get_dataset(
        &self,
        request: Request<GetDatasetRequest>,
    ) -> Result<Response<GetDatasetResponse>, Status> {
        let id = request.into_inner().dataset;
        let datasets = self
            .datasets
            .lock()
            .map_err(|_| Status::internal("poisoned"))?;
        let dataset = datasets
            .iter()
            .find(|d| d.id == id)
            .cloned()
            .ok_or_else(|| Status::not_found("no such dataset"))?;
        Ok(Response::new(GetDatasetResponse {
            dataset: Some(dataset),
        }))
    }

    async fn create_artifact(
        &self,
        request: Request<CreateArtifactRequest>,
    ) -> Result<Response<CreateArtifactResponse>, Status> {
        let artifact = request.into_inner().artifact.unwrap_or_default();
        self.artifacts
            .lock()
            .map_err(|_| Status::internal("poisoned"))?
            .push(artifact);
        Ok(Response::new(CreateArtifactResponse {}))
    }

    async fn get_artifact(
        &self,
        request: Request<GetArtifactRequest>,
    ) -> Result<Response<GetArtifactResponse>, Status> {
        let request = request.into_inner();
        let id = match request.query_handle {
            Some(get_artifact_request::QueryHandle::ArtifactId(id)) => id,
            Some(get_artifact_request::QueryHandle::TagName(tag)) => self
                .tags
                .lock()
                .map_err(|_| Status::internal("poisoned"))?
                .get(&tag)
                .cloned()
                .ok_or_else(|| Status::not_found(format!("no tag {tag}")))?,
            None => return Err(Status::invalid_argument("no query handle")),
        };
        let artifacts = self
            .artifacts
            .lock()
            .map_err(|_| Status::internal("poisoned"))?;
        let artifact = artifacts
            .iter()
            .find(|a| a.id == id)
            .cloned()
            .ok_or_else(|| Status::not_found("no such artifact"))?;
        Ok(Response::new(GetArtifactResponse {
            artifact: Some(artifact),
        }))
    }

    async fn add_tag(
        &self,
        request: Request<AddTagRequest>,
    ) -> Result<Response<AddTagResponse>, Status> {
        let tag = request.into_inner().tag.unwrap_or_default();
        self.tags
            .lock()
            .map_err(|_| Status::internal("poisoned"))?
            .insert(tag.name, tag.artifact_id);
        Ok(Response::new(AddTagResponse {}))
    }

    async fn list_artifacts(
        &self,
        request: Request<ListArtifactsRequest>,
    ) -> Result<Response<ListArtifactsResponse>, Status> {
        let dataset = id_of(&request.into_inner().dataset);
        let artifacts = self
            .artifacts
            .lock()
            .map_err(|_| Status::internal("poisoned"))?;
        Ok(Response::new(ListArtifactsResponse {
            artifacts: artifacts
                .iter()
                .filter(|a| id_of(&a.dataset) == dataset)
                .cloned()
                .collect(),
            next_token: String::new(),
        }))
    }

    async fn list_datasets(
        &self,
        _request: Request<ListDatasetsRequest>,
    ) -> Result<Response<ListDatasetsResponse>, Status> {
        let datasets = self
            .datasets
            .lock()
            .map_err(|_| Status::internal("poisoned"))?;
        Ok(Response::new(ListDatasetsResponse {
            datasets: datasets.clone(),
            next_token: String::new(),
        }))
    }

    async fn update_artifact(
        &self,
        request: Request<UpdateArtifactRequest>,
    ) -> Result<Response<UpdateArtifactResponse>, Status> {
        let request = request.into_inner();
        let Some(update_artifact_request::QueryHandle::ArtifactId(id)) = request.query_handle
        else {
            return Err(Status::unimplemented("by id only"));
        };
        let mut artifacts = self
            .artifacts
            .lock()
            .map_err(|_| Status::internal("poisoned"))?;
        let artifact = artifacts
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| Status::not_found("no such artifact"))?;
        artifact.data = request.data;
        Ok(Response::new(UpdateArtifactResponse { artifact_id: id }))
    }

    async fn get_or_extend_reservation(
        &self,
        request: Request<GetOrExtendReservationRequest>,
    ) -> Result<Response<GetOrExtendReservationResponse>, Status> {
        let request = request.into_inner();
        let id = request.reservation_id.clone().unwrap_or_default();
        let owner = self
            .reservations
            .lock()
            .map_err(|_| Status::internal("poisoned"))?
            .entry(id.tag_name.clone())
            .or_insert(request.owner_id)
            .clone();
        Ok(Response::new(GetOrExtendReservationResponse {
            reservation: Some(Reservation {
                reservation_id: Some(id),
                owner_id: owner,
                heartbeat_interval: request.heartbeat_interval,
                expires_at: None,
                metadata: None,
            }),
        }))
    }

    async fn release_reservation(
        &self,
        request: Request<ReleaseReservationRequest>,
    ) -> Result<Response<ReleaseReservationResponse>, Status> {
        let id = request.into_inner().reservation_id.unwrap_or_default();
        self.reservations
            .lock()
            .map_err(|_| Status::internal("poisoned"))?
            .remove(&id.tag_name);
        Ok(Response::new(ReleaseReservationResponse {}))
    }
}

async fn serve() -> Result<Channel, Box<dyn Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    // Wrapped in an interceptor, as the test kit serves its services.
    let catalog = InterceptedService::new(DataCatalogServer::new(Memory::default()), Ok);
    tokio::spawn(
        Server::builder()
            .add_service(catalog)
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    Ok(Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?)
}

fn dataset_id() -> DatasetId {
    DatasetId {
        project: "flytesnacks".into(),
        domain: "development".into(),
        name: "flyte_task-wf.square".into(),
        version: "1.0-UxVtPm0k-GKw-c0Pw".into(),
        ..DatasetId::default()
    }
}

#[tokio::test]
async fn every_method_round_trips_through_a_served_catalog() -> Result<(), Box<dyn Error>> {
    let mut client = DataCatalogGrpcClient::new(serve().await?);
    let dataset = Dataset {
        id: Some(dataset_id()),
        metadata: Some(Metadata {
            key_map: HashMap::from([("task-version".to_owned(), "v1".to_owned())]),
        }),
        partition_keys: vec![],
    };
    client
        .create_dataset(CreateDatasetRequest {
            dataset: Some(dataset.clone()),
        })
        .await?;
    let again = client
        .create_dataset(CreateDatasetRequest {
            dataset: Some(dataset.clone()),
        })
        .await;
    assert_eq!(
        again.map(|_| ()).map_err(|s| s.code()),
        Err(Code::AlreadyExists)
    );
    let got = client
        .get_dataset(GetDatasetRequest {
            dataset: Some(dataset_id()),
        })
        .await?
        .into_inner();
    assert_eq!(got.dataset.as_ref(), Some(&dataset));

    let artifact = Artifact {
        id: "a-1".into(),
        dataset: Some(dataset_id()),
        data: vec![ArtifactData {
            name: "o0".into(),
            value: Some(Default::default()),
        }],
        partitions: vec![Partition {
            key: "region".into(),
            value: "eu".into(),
        }],
        ..Artifact::default()
    };
    client
        .create_artifact(CreateArtifactRequest {
            artifact: Some(artifact.clone()),
        })
        .await?;
    client
        .add_tag(AddTagRequest {
            tag: Some(Tag {
                name: "flyte_cached-abc".into(),
                artifact_id: "a-1".into(),
                dataset: Some(dataset_id()),
            }),
        })
        .await?;
    let by_tag = client
        .get_artifact(GetArtifactRequest {
            dataset: Some(dataset_id()),
            query_handle: Some(get_artifact_request::QueryHandle::TagName(
                "flyte_cached-abc".into(),
            )),
        })
        .await?
        .into_inner();
    assert_eq!(by_tag.artifact.as_ref(), Some(&artifact));
    let missing = client
        .get_artifact(GetArtifactRequest {
            dataset: Some(dataset_id()),
            query_handle: Some(get_artifact_request::QueryHandle::TagName("nope".into())),
        })
        .await
        .err()
        .map(|s| (s.code(), s.message().to_owned()));
    assert_eq!(missing, Some((Code::NotFound, "no tag nope".to_owned())));

    let updated = client
        .update_artifact(UpdateArtifactRequest {
            dataset: Some(dataset_id()),
            query_handle: Some(update_artifact_request::QueryHandle::ArtifactId(
                "a-1".into(),
            )),
            data: vec![],
            metadata: None,
        })
        .await?
        .into_inner();
    assert_eq!(updated.artifact_id, "a-1");

    let listed = client
        .list_artifacts(ListArtifactsRequest {
            dataset: Some(dataset_id()),
            filter: None,
            pagination: Some(PaginationOptions {
                limit: 10,
                ..PaginationOptions::default()
            }),
        })
        .await?
        .into_inner();
    assert_eq!(listed.artifacts.len(), 1);
    assert!(
        listed.artifacts[0].data.is_empty(),
        "the update replaced the data"
    );
    let datasets = client
        .list_datasets(ListDatasetsRequest::default())
        .await?
        .into_inner();
    assert_eq!(datasets.datasets, vec![dataset]);

    let reservation_id = ReservationId {
        dataset_id: Some(dataset_id()),
        tag_name: "flyte_cached-abc".into(),
    };
    let reserve = |owner: &str| GetOrExtendReservationRequest {
        reservation_id: Some(reservation_id.clone()),
        owner_id: owner.into(),
        heartbeat_interval: Some(prost_types::Duration {
            seconds: 10,
            nanos: 0,
        }),
    };
    let first = client.get_or_extend_reservation(reserve("owner-1")).await?;
    let second = client.get_or_extend_reservation(reserve("owner-2")).await?;
    let owner = |r: Response<GetOrExtendReservationResponse>| {
        r.into_inner().reservation.map(|r| r.owner_id)
    };
    assert_eq!(owner(first).as_deref(), Some("owner-1"));
    assert_eq!(owner(second).as_deref(), Some("owner-1"));
    client
        .release_reservation(ReleaseReservationRequest {
            reservation_id: Some(reservation_id.clone()),
            owner_id: "owner-1".into(),
        })
        .await?;
    let third = client.get_or_extend_reservation(reserve("owner-2")).await?;
    assert_eq!(owner(third).as_deref(), Some("owner-2"));
    Ok(())
}

#[tokio::test]
async fn a_method_the_service_lacks_is_unimplemented() -> Result<(), Box<dyn Error>> {
    let channel = serve().await?;
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await?;
    let answer: Result<Response<CreateDatasetResponse>, Status> = grpc
        .unary(
            Request::new(CreateDatasetRequest::default()),
            tonic::codegen::http::uri::PathAndQuery::from_static(
                "/datacatalog.DataCatalog/DeleteDataset",
            ),
            tonic::codec::ProstCodec::default(),
        )
        .await;
    assert_eq!(answer.err().map(|s| s.code()), Some(Code::Unimplemented));
    Ok(())
}
