//! The DataCatalog gRPC API on the test kit's port, over the store executions memoize in:
//! what runs cached is listed and read there, what a client writes there is hit by runs, and
//! errors, filters, pagination and reservations are DataCatalog's.

mod common;

use std::time::Duration;

use common::*;
use flyte_catalog::pb::{
    get_artifact_request::QueryHandle, pagination_options::SortOrder,
    single_property_filter::PropertyFilter, tag_property_filter, AddTagRequest, Artifact,
    ArtifactData, CreateArtifactRequest, CreateDatasetRequest, Dataset, DatasetId,
    DatasetPropertyFilter, FilterExpression, GetArtifactRequest, GetDatasetRequest,
    GetOrExtendReservationRequest, ListArtifactsRequest, ListDatasetsRequest, PaginationOptions,
    Partition, ReleaseReservationRequest, ReservationId, SinglePropertyFilter, Tag,
    TagPropertyFilter,
};
use flyte_catalog::{artifact_tag, dataset_id, DataCatalogGrpcClient};
use flyte_testkit::flyteidl::flyteidl::admin::{self, node_execution_closure::TargetMetadata};
use flyte_testkit::flyteidl::flyteidl::core::{self, ResourceType, SimpleType};
use flyte_testkit::{Executors, TestAdmin};
use tonic::transport::Channel;
use tonic::Code;

type Catalog = DataCatalogGrpcClient<Channel>;

async fn setup(
    executor: Executors,
) -> Result<(TestAdmin, Client, Catalog), Box<dyn std::error::Error>> {
    let admin = TestAdmin::builder().executor(executor).start().await?;
    let c = connect(&admin).await?;
    let channel = Channel::from_shared(admin.endpoint())?.connect().await?;
    Ok((admin, c, DataCatalogGrpcClient::new(channel)))
}

fn sq_interface() -> core::TypedInterface {
    iface(&[("x", SimpleType::Integer)], &[("y", SimpleType::Integer)])
}

/// Registers task `sq` (x: int -> y: int), cached at cache version "1" (serializable if asked).
async fn register_sq(c: &mut Client, serializable: bool) -> Result<(), Box<dyn std::error::Error>> {
    let mut req = task_request("sq", "v1", sq_interface());
    if let Some(t) = req.spec.as_mut().and_then(|s| s.template.as_mut()) {
        t.metadata = Some(core::TaskMetadata {
            discoverable: true,
            discovery_version: "1".into(),
            cache_serializable: serializable,
            ..core::TaskMetadata::default()
        });
    }
    c.create_task(req).await?;
    Ok(())
}

/// The dataset and tag propeller uses for `sq` with `x`, from flyte-catalog's keys.
fn sq_key(x: i64) -> Result<(DatasetId, String), Box<dyn std::error::Error>> {
    let task = id(ResourceType::Task, "sq", "v1");
    let dataset = dataset_id(&task, "1", Some(&sq_interface()))?;
    let tag = artifact_tag(Some(&lits(&[("x", int(x))])), &[])?;
    Ok((dataset, tag))
}

async fn run_sq(
    admin: &TestAdmin,
    c: &mut Client,
    x: i64,
) -> Result<core::WorkflowExecutionIdentifier, Box<dyn std::error::Error>> {
    let task = id(ResourceType::Task, "sq", "v1");
    let id = c
        .create_execution(exec_request(task, "", lits(&[("x", int(x))])))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    admin.wait_for_terminal(&id).await.ok_or("gone")?;
    Ok(id)
}

async fn node_cache(
    c: &mut Client,
    id: &core::WorkflowExecutionIdentifier,
) -> Result<admin::TaskNodeMetadata, Box<dyn std::error::Error>> {
    let nodes = c
        .list_node_executions(admin::NodeExecutionListRequest {
            workflow_execution_id: Some(id.clone()),
            limit: 100,
            ..Default::default()
        })
        .await?
        .into_inner()
        .node_executions;
    nodes
        .into_iter()
        .filter_map(|n| match n.closure?.target_metadata? {
            TargetMetadata::TaskNodeMetadata(m) => Some(m),
            TargetMetadata::WorkflowNodeMetadata(_) => None,
        })
        .next()
        .ok_or_else(|| "no task node metadata".into())
}

fn data(name: &str, value: i64) -> ArtifactData {
    ArtifactData {
        name: name.into(),
        value: Some(int(value)),
    }
}

#[tokio::test]
async fn what_a_run_cached_is_what_the_api_lists_and_reads() -> TestResult {
    let (admin, mut c, mut catalog) = setup(Executors::default()).await?;
    register_sq(&mut c, false).await?;
    let exec = run_sq(&admin, &mut c, 6).await?;
    let (dataset, tag) = sq_key(6)?;
    let key = node_cache(&mut c, &exec).await?.catalog_key.ok_or("key")?;
    let reported = key.dataset_id.ok_or("dataset")?;
    assert_eq!(
        (reported.name, reported.version),
        (dataset.name.clone(), dataset.version.clone()),
        "the run used propeller's dataset id"
    );
    let reported_tag = key.artifact_tag.ok_or("tag")?;
    assert_eq!(reported_tag.name, tag, "and propeller's tag of its inputs");

    let listed = catalog
        .list_datasets(ListDatasetsRequest::default())
        .await?
        .into_inner()
        .datasets;
    assert_eq!(listed.len(), 1);
    let stored = listed[0].id.clone().ok_or("id")?;
    assert_eq!(stored.name, "flyte_task-sq");
    assert!(!stored.uuid.is_empty(), "DataCatalog gives datasets a uuid");
    let metadata = listed[0].metadata.clone().ok_or("metadata")?;
    assert_eq!(metadata.key_map["task-version"], "v1");

    let artifact = catalog
        .get_artifact(GetArtifactRequest {
            dataset: Some(dataset.clone()),
            query_handle: Some(QueryHandle::TagName(tag.clone())),
        })
        .await?
        .into_inner()
        .artifact
        .ok_or("artifact")?;
    assert_eq!(artifact.id, reported_tag.artifact_id);
    assert_eq!(artifact.data, vec![data("y", 0)]);
    assert_eq!(artifact.tags.len(), 1);
    assert_eq!(artifact.tags[0].name, tag);
    let md = artifact.metadata.ok_or("metadata")?.key_map;
    assert_eq!(md["execution-name"], exec.name);
    assert_eq!(md["exec-attempt"], "0");
    assert!(artifact.created_at.is_some());

    let by_tag = catalog
        .list_artifacts(ListArtifactsRequest {
            dataset: Some(dataset),
            filter: Some(FilterExpression {
                filters: vec![SinglePropertyFilter {
                    property_filter: Some(PropertyFilter::TagFilter(TagPropertyFilter {
                        property: Some(tag_property_filter::Property::TagName(tag)),
                    })),
                    operator: 0,
                }],
            }),
            pagination: None,
        })
        .await?
        .into_inner();
    assert_eq!(by_tag.artifacts.len(), 1);
    assert_eq!(by_tag.next_token, "1");
    Ok(())
}

#[tokio::test]
async fn an_artifact_written_through_the_api_is_hit_by_a_run() -> TestResult {
    let (admin, mut c, mut catalog) =
        setup(Executors::fail(Duration::ZERO, "USER:NoRun", "ran")).await?;
    register_sq(&mut c, false).await?;
    let (dataset, tag) = sq_key(3)?;
    catalog
        .create_dataset(CreateDatasetRequest {
            dataset: Some(Dataset {
                id: Some(dataset.clone()),
                ..Dataset::default()
            }),
        })
        .await?;
    catalog
        .create_artifact(CreateArtifactRequest {
            artifact: Some(Artifact {
                id: "seeded".into(),
                dataset: Some(dataset.clone()),
                data: vec![data("y", 999)],
                ..Artifact::default()
            }),
        })
        .await?;
    catalog
        .add_tag(AddTagRequest {
            tag: Some(Tag {
                name: tag,
                artifact_id: "seeded".into(),
                dataset: Some(dataset),
            }),
        })
        .await?;
    let exec = run_sq(&admin, &mut c, 3).await?;
    let done = c
        .get_execution(admin::WorkflowExecutionGetRequest {
            id: Some(exec.clone()),
        })
        .await?
        .into_inner();
    assert_eq!(
        done.closure.ok_or("closure")?.phase,
        core::workflow_execution::Phase::Succeeded as i32,
        "the failing executor never ran"
    );
    let outputs = c
        .get_execution_data(admin::WorkflowExecutionGetDataRequest {
            id: Some(exec.clone()),
        })
        .await?
        .into_inner()
        .full_outputs
        .ok_or("outputs")?;
    assert_eq!(outputs.literals["y"], int(999));
    let meta = node_cache(&mut c, &exec).await?;
    assert_eq!(meta.cache_status, core::CatalogCacheStatus::CacheHit as i32);
    // No metadata on the seeded artifact: propeller's defaults name the source.
    let Some(core::catalog_metadata::SourceExecution::SourceTaskExecution(source)) =
        meta.catalog_key.and_then(|k| k.source_execution)
    else {
        return Err("no source".into());
    };
    assert_eq!(source.task_id.ok_or("task")?.version, "unknown");
    let node = source.node_execution_id.ok_or("node")?;
    assert_eq!(node.node_id, "unknown");
    assert_eq!(node.execution_id.ok_or("exec")?.project, P);
    Ok(())
}

#[tokio::test]
async fn errors_are_datacatalogs() -> TestResult {
    let (_admin, _c, mut catalog) = setup(Executors::default()).await?;
    let id = DatasetId {
        project: "p".into(),
        domain: "d".into(),
        name: "n".into(),
        version: "v".into(),
        ..DatasetId::default()
    };
    let missing = catalog
        .get_dataset(GetDatasetRequest {
            dataset: Some(id.clone()),
        })
        .await
        .expect_err("no dataset yet");
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(
        missing.message(),
        r#"missing entity of type Dataset with identifier project:"p" name:"n" domain:"d" version:"v""#
    );
    let no_version = catalog
        .get_dataset(GetDatasetRequest {
            dataset: Some(DatasetId {
                version: String::new(),
                ..id.clone()
            }),
        })
        .await
        .expect_err("no version");
    assert_eq!(
        (no_version.code(), no_version.message()),
        (Code::InvalidArgument, "missing version")
    );
    let create = || CreateDatasetRequest {
        dataset: Some(Dataset {
            id: Some(id.clone()),
            partition_keys: vec!["region".into()],
            ..Dataset::default()
        }),
    };
    catalog.create_dataset(create()).await?;
    let twice = catalog.create_dataset(create()).await.expect_err("exists");
    assert_eq!(
        (twice.code(), twice.message()),
        (Code::AlreadyExists, "entity already exists")
    );
    let artifact =
        |id_: &str, partitions: Vec<Partition>, data: Vec<ArtifactData>| CreateArtifactRequest {
            artifact: Some(Artifact {
                id: id_.into(),
                dataset: Some(id.clone()),
                data,
                partitions,
                ..Artifact::default()
            }),
        };
    let region = |v: &str| Partition {
        key: "region".into(),
        value: v.into(),
    };
    let no_data = catalog
        .create_artifact(artifact("a", vec![region("eu")], vec![]))
        .await
        .expect_err("no data");
    assert_eq!(
        (no_data.code(), no_data.message()),
        (Code::InvalidArgument, "missing artifactData")
    );
    let unpartitioned = catalog
        .create_artifact(artifact("a", vec![], vec![data("o", 1)]))
        .await
        .expect_err("partition missing");
    assert_eq!(unpartitioned.code(), Code::InvalidArgument);
    assert!(
        unpartitioned
            .message()
            .starts_with("Partition key mismatch"),
        "{}",
        unpartitioned.message()
    );
    catalog
        .create_artifact(artifact("a", vec![region("eu")], vec![data("o", 1)]))
        .await?;
    let tag = || AddTagRequest {
        tag: Some(Tag {
            name: "latest".into(),
            artifact_id: "a".into(),
            dataset: Some(id.clone()),
        }),
    };
    catalog.add_tag(tag()).await?;
    let retag = catalog.add_tag(tag()).await.expect_err("tag taken");
    assert_eq!(retag.code(), Code::AlreadyExists);
    let no_tag = catalog
        .get_artifact(GetArtifactRequest {
            dataset: Some(id.clone()),
            query_handle: Some(QueryHandle::TagName("nope".into())),
        })
        .await
        .expect_err("no such tag");
    assert_eq!(no_tag.code(), Code::NotFound);
    let bad_token = catalog
        .list_artifacts(ListArtifactsRequest {
            dataset: Some(id.clone()),
            filter: None,
            pagination: Some(PaginationOptions {
                limit: 10,
                token: "x".into(),
                ..PaginationOptions::default()
            }),
        })
        .await
        .expect_err("bad token");
    assert_eq!(
        (bad_token.code(), bad_token.message()),
        (Code::InvalidArgument, "Invalid token value: x")
    );
    let tag_filter = catalog
        .list_datasets(ListDatasetsRequest {
            filter: Some(FilterExpression {
                filters: vec![SinglePropertyFilter {
                    property_filter: Some(PropertyFilter::TagFilter(TagPropertyFilter {
                        property: Some(tag_property_filter::Property::TagName("t".into())),
                    })),
                    operator: 0,
                }],
            }),
            pagination: None,
        })
        .await
        .expect_err("datasets have no tags");
    assert_eq!(
        (tag_filter.code(), tag_filter.message()),
        (
            Code::InvalidArgument,
            "Dataset cannot be filtered by Tag properties"
        )
    );
    Ok(())
}

#[tokio::test]
async fn lists_page_by_offset_tokens_newest_first_by_default() -> TestResult {
    let (_admin, _c, mut catalog) = setup(Executors::default()).await?;
    for name in ["a", "b", "c"] {
        let id = DatasetId {
            project: "p".into(),
            domain: "d".into(),
            name: name.into(),
            version: "1".into(),
            ..DatasetId::default()
        };
        catalog
            .create_dataset(CreateDatasetRequest {
                dataset: Some(Dataset {
                    id: Some(id),
                    ..Dataset::default()
                }),
            })
            .await?;
    }
    let names = |ds: &[Dataset]| {
        ds.iter()
            .map(|d| d.id.clone().unwrap_or_default().name)
            .collect::<Vec<_>>()
    };
    let all = catalog
        .list_datasets(ListDatasetsRequest::default())
        .await?
        .into_inner();
    assert_eq!(names(&all.datasets), ["c", "b", "a"]);
    let page = |token: &str| ListDatasetsRequest {
        filter: None,
        pagination: Some(PaginationOptions {
            limit: 2,
            token: token.into(),
            sort_key: 0,
            sort_order: SortOrder::Ascending as i32,
        }),
    };
    let first = catalog.list_datasets(page("")).await?.into_inner();
    assert_eq!(
        (names(&first.datasets), &*first.next_token),
        (vec!["a".to_owned(), "b".to_owned()], "2")
    );
    let second = catalog
        .list_datasets(page(&first.next_token))
        .await?
        .into_inner();
    assert_eq!(
        (names(&second.datasets), &*second.next_token),
        (vec!["c".to_owned()], "3")
    );
    let by_name = catalog
        .list_datasets(ListDatasetsRequest {
            filter: Some(FilterExpression {
                filters: vec![SinglePropertyFilter {
                    property_filter: Some(PropertyFilter::DatasetFilter(DatasetPropertyFilter {
                        property: Some(flyte_catalog::pb::dataset_property_filter::Property::Name(
                            "b".into(),
                        )),
                    })),
                    operator: 0,
                }],
            }),
            pagination: None,
        })
        .await?
        .into_inner();
    assert_eq!(names(&by_name.datasets), ["b"]);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn reservations_are_held_extended_released_and_expire() -> TestResult {
    let (_admin, _c, mut catalog) = setup(Executors::default()).await?;
    let id = ReservationId {
        dataset_id: Some(DatasetId {
            project: "p".into(),
            domain: "d".into(),
            name: "n".into(),
            version: "1".into(),
            ..DatasetId::default()
        }),
        tag_name: "t".into(),
    };
    let ask = |owner: &str| GetOrExtendReservationRequest {
        reservation_id: Some(id.clone()),
        owner_id: owner.into(),
        heartbeat_interval: Some(prost_types::Duration {
            seconds: 60,
            nanos: 0,
        }),
    };
    let a = catalog
        .get_or_extend_reservation(ask("a"))
        .await?
        .into_inner();
    let a = a.reservation.ok_or("reservation")?;
    assert_eq!(a.owner_id, "a");
    assert_eq!(
        a.heartbeat_interval.map(|d| d.seconds),
        Some(10),
        "DataCatalog caps the heartbeat at 10s"
    );
    let b = catalog
        .get_or_extend_reservation(ask("b"))
        .await?
        .into_inner();
    assert_eq!(
        b.reservation.ok_or("reservation")?.owner_id,
        "a",
        "a holds it"
    );
    // Releasing what one does not hold is no error, and changes nothing.
    catalog
        .release_reservation(ReleaseReservationRequest {
            reservation_id: Some(id.clone()),
            owner_id: "b".into(),
        })
        .await?;
    let b = catalog
        .get_or_extend_reservation(ask("b"))
        .await?
        .into_inner();
    assert_eq!(b.reservation.ok_or("reservation")?.owner_id, "a");
    // Three missed heartbeats expire it.
    tokio::time::advance(Duration::from_secs(31)).await;
    let b = catalog
        .get_or_extend_reservation(ask("b"))
        .await?
        .into_inner();
    assert_eq!(b.reservation.ok_or("reservation")?.owner_id, "b");
    catalog
        .release_reservation(ReleaseReservationRequest {
            reservation_id: Some(id.clone()),
            owner_id: "b".into(),
        })
        .await?;
    let a = catalog
        .get_or_extend_reservation(ask("a"))
        .await?
        .into_inner();
    assert_eq!(a.reservation.ok_or("reservation")?.owner_id, "a");
    Ok(())
}

#[tokio::test]
async fn a_running_serializable_task_holds_its_reservation() -> TestResult {
    let (admin, mut c, mut catalog) = setup(Executors::hang()).await?;
    register_sq(&mut c, true).await?;
    let task = id(ResourceType::Task, "sq", "v1");
    let exec = c
        .create_execution(exec_request(task, "", lits(&[("x", int(2))])))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    admin
        .wait_for_phase(&exec, core::workflow_execution::Phase::Running)
        .await
        .ok_or("gone")?;
    let (dataset, tag) = sq_key(2)?;
    let held = catalog
        .get_or_extend_reservation(GetOrExtendReservationRequest {
            reservation_id: Some(ReservationId {
                dataset_id: Some(dataset),
                tag_name: tag,
            }),
            owner_id: "someone-else".into(),
            heartbeat_interval: None,
        })
        .await?
        .into_inner()
        .reservation
        .ok_or("reservation")?;
    assert!(
        held.owner_id.starts_with(&exec.name),
        "held by the run: {}",
        held.owner_id
    );
    Ok(())
}
