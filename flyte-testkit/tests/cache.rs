//! Memoization of cached tasks as propeller does it: hits reuse the first run's outputs without
//! running, misses on other inputs or cache versions, `overwrite_cache` repopulates, ignored
//! inputs do not count, and the node executions show it where FlyteAdmin does.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use flyte_testkit::flyteidl::flyteidl::admin::{
    self, node_execution_closure::TargetMetadata, NodeExecution, WorkflowExecutionGetDataRequest,
};
use flyte_testkit::flyteidl::flyteidl::core::{
    self, catalog_metadata::SourceExecution, CatalogCacheStatus, Identifier, LiteralMap,
    ResourceType, SimpleType, WorkflowExecutionIdentifier,
};
use flyte_testkit::{ExecutionRun, Executors, Plan, TestAdmin};

/// An executor that counts the runs it plans and answers `y` = 100 + that count, so each run
/// that really runs has outputs of its own.
fn counting() -> (Executors, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&runs);
    let executor = Executors::custom(move |_: &ExecutionRun| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        Plan::succeed(Duration::ZERO, lits(&[("y", int(100 + n as i64))]))
    });
    (executor, runs)
}

/// A task `name` (x: int, salt: str -> y: int) at `version` with this task metadata.
fn cached_task(
    name: &str,
    version: &str,
    metadata: core::TaskMetadata,
) -> admin::TaskCreateRequest {
    let mut req = task_request(
        name,
        version,
        iface(
            &[("x", SimpleType::Integer), ("salt", SimpleType::String)],
            &[("y", SimpleType::Integer)],
        ),
    );
    if let Some(t) = req.spec.as_mut().and_then(|s| s.template.as_mut()) {
        t.metadata = Some(metadata);
    }
    req
}

fn cache(version: &str) -> core::TaskMetadata {
    core::TaskMetadata {
        discoverable: true,
        discovery_version: version.into(),
        ..core::TaskMetadata::default()
    }
}

async fn setup() -> Result<(TestAdmin, Client, Arc<AtomicUsize>), Box<dyn std::error::Error>> {
    let (executor, runs) = counting();
    let admin = TestAdmin::builder().executor(executor).start().await?;
    let mut c = connect(&admin).await?;
    c.create_task(cached_task("sq", "v1", cache("1"))).await?;
    Ok((admin, c, runs))
}

fn task(name: &str, version: &str) -> Identifier {
    id(ResourceType::Task, name, version)
}

/// Runs `task` alone with `x` and `salt` (overwriting the cache when asked) to its end; the
/// execution's id.
async fn run(
    admin: &TestAdmin,
    c: &mut Client,
    task: Identifier,
    x: i64,
    salt: &str,
    overwrite: bool,
) -> Result<WorkflowExecutionIdentifier, Box<dyn std::error::Error>> {
    let mut req = exec_request(task, "", lits(&[("x", int(x)), ("salt", string(salt))]));
    if let Some(spec) = req.spec.as_mut() {
        spec.overwrite_cache = overwrite;
    }
    let id = c.create_execution(req).await?.into_inner().id.ok_or("id")?;
    let done = admin.wait_for_terminal(&id).await.ok_or("gone")?;
    assert_eq!(
        done.closure.ok_or("closure")?.phase,
        core::workflow_execution::Phase::Succeeded as i32
    );
    Ok(id)
}

/// The execution's task node (the one that is neither start nor end).
async fn task_node(
    c: &mut Client,
    id: &WorkflowExecutionIdentifier,
) -> Result<NodeExecution, Box<dyn std::error::Error>> {
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
        .find(|n| {
            n.id.as_ref()
                .is_some_and(|i| i.node_id != "start-node" && i.node_id != "end-node")
        })
        .ok_or_else(|| "no task node".into())
}

/// The cache status and catalog key FlyteAdmin shows on a node.
fn cache_of(node: &NodeExecution) -> (i32, Option<core::CatalogMetadata>) {
    match node
        .closure
        .as_ref()
        .and_then(|c| c.target_metadata.clone())
    {
        Some(TargetMetadata::TaskNodeMetadata(m)) => (m.cache_status, m.catalog_key),
        _ => (-1, None),
    }
}

async fn outputs(
    c: &mut Client,
    id: &WorkflowExecutionIdentifier,
) -> Result<LiteralMap, Box<dyn std::error::Error>> {
    Ok(c.get_execution_data(WorkflowExecutionGetDataRequest {
        id: Some(id.clone()),
    })
    .await?
    .into_inner()
    .full_outputs
    .ok_or("no outputs")?)
}

async fn task_executions(
    c: &mut Client,
    node: &NodeExecution,
) -> Result<usize, Box<dyn std::error::Error>> {
    Ok(c.list_task_executions(admin::TaskExecutionListRequest {
        node_execution_id: node.id.clone(),
        limit: 10,
        ..Default::default()
    })
    .await?
    .into_inner()
    .task_executions
    .len())
}

#[tokio::test]
async fn a_second_run_with_the_same_inputs_hits_and_reuses_the_first_outputs() -> TestResult {
    let (admin, mut c, runs) = setup().await?;
    let first = run(&admin, &mut c, task("sq", "v1"), 3, "a", false).await?;
    let node = task_node(&mut c, &first).await?;
    let (status, key) = cache_of(&node);
    assert_eq!(status, CatalogCacheStatus::CachePopulated as i32);
    let key = key.ok_or("no catalog key")?;
    let dataset = key.dataset_id.clone().ok_or("no dataset")?;
    assert_eq!(dataset.resource_type, ResourceType::Dataset as i32);
    assert_eq!((&*dataset.project, &*dataset.domain), (P, D));
    assert_eq!(dataset.name, "flyte_task-sq");
    assert!(dataset.version.starts_with("1-"), "{}", dataset.version);
    let tag = key.artifact_tag.clone().ok_or("no tag")?;
    assert!(tag.name.starts_with("flyte_cached-"), "{}", tag.name);
    assert!(!tag.artifact_id.is_empty());
    assert_eq!(key.source_execution, None, "a put names no source");
    assert_eq!(task_executions(&mut c, &node).await?, 1);

    let second = run(&admin, &mut c, task("sq", "v1"), 3, "a", false).await?;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "the hit did not run the task"
    );
    assert_eq!(
        outputs(&mut c, &second).await?,
        outputs(&mut c, &first).await?
    );
    assert_eq!(outputs(&mut c, &second).await?.literals["y"], int(100));
    let hit = task_node(&mut c, &second).await?;
    let (status, hit_key) = cache_of(&hit);
    assert_eq!(status, CatalogCacheStatus::CacheHit as i32);
    let hit_key = hit_key.ok_or("no catalog key")?;
    assert_eq!(hit_key.dataset_id, key.dataset_id);
    assert_eq!(hit_key.artifact_tag, key.artifact_tag);
    let Some(SourceExecution::SourceTaskExecution(source)) = hit_key.source_execution else {
        return Err("a hit names its source".into());
    };
    let source_node = source.node_execution_id.ok_or("source node")?;
    assert_eq!(source_node.execution_id, Some(first.clone()));
    assert_eq!(Some(source_node.node_id), node.id.map(|i| i.node_id));
    assert_eq!(source.task_id.ok_or("source task")?.version, "v1");
    assert_eq!(
        task_executions(&mut c, &hit).await?,
        0,
        "a hit has no task execution"
    );
    let closure = hit.closure.ok_or("closure")?;
    assert_eq!(closure.phase, core::node_execution::Phase::Succeeded as i32);
    assert!(closure.started_at.is_none(), "a hit never ran");
    Ok(())
}

#[tokio::test]
async fn other_inputs_miss() -> TestResult {
    let (admin, mut c, runs) = setup().await?;
    let first = run(&admin, &mut c, task("sq", "v1"), 3, "a", false).await?;
    let second = run(&admin, &mut c, task("sq", "v1"), 4, "a", false).await?;
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    let (status, key) = cache_of(&task_node(&mut c, &second).await?);
    assert_eq!(status, CatalogCacheStatus::CachePopulated as i32);
    let (_, first_key) = cache_of(&task_node(&mut c, &first).await?);
    let tag = |k: Option<core::CatalogMetadata>| k.and_then(|k| k.artifact_tag).map(|t| t.name);
    assert_ne!(tag(key), tag(first_key));
    assert_eq!(outputs(&mut c, &second).await?.literals["y"], int(101));
    Ok(())
}

#[tokio::test]
async fn a_new_cache_version_misses() -> TestResult {
    let (admin, mut c, runs) = setup().await?;
    let first = run(&admin, &mut c, task("sq", "v1"), 3, "a", false).await?;
    // A new task version with the same cache version still hits...
    c.create_task(cached_task("sq", "v2", cache("1"))).await?;
    run(&admin, &mut c, task("sq", "v2"), 3, "a", false).await?;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // ...a new cache version does not.
    c.create_task(cached_task("sq", "v3", cache("2"))).await?;
    let third = run(&admin, &mut c, task("sq", "v3"), 3, "a", false).await?;
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    let dataset = |n: &NodeExecution| cache_of(n).1.and_then(|k| k.dataset_id);
    let (old, new) = (
        dataset(&task_node(&mut c, &first).await?).ok_or("dataset")?,
        dataset(&task_node(&mut c, &third).await?).ok_or("dataset")?,
    );
    assert_eq!(old.name, new.name);
    assert!(new.version.starts_with("2-"), "{}", new.version);
    assert_eq!(
        old.version.split_once('-').map(|v| v.1),
        new.version.split_once('-').map(|v| v.1),
        "same interface, same signature hash"
    );
    Ok(())
}

#[tokio::test]
async fn overwrite_cache_runs_again_and_replaces_the_artifact() -> TestResult {
    let (admin, mut c, runs) = setup().await?;
    let first = run(&admin, &mut c, task("sq", "v1"), 3, "a", false).await?;
    let forced = run(&admin, &mut c, task("sq", "v1"), 3, "a", true).await?;
    assert_eq!(runs.load(Ordering::SeqCst), 2, "overwrite runs the task");
    let node = task_node(&mut c, &forced).await?;
    let (status, key) = cache_of(&node);
    assert_eq!(status, CatalogCacheStatus::CachePopulated as i32);
    let key = key.ok_or("key")?;
    let (_, first_key) = cache_of(&task_node(&mut c, &first).await?);
    assert_eq!(
        key.artifact_tag,
        first_key.ok_or("key")?.artifact_tag,
        "the tagged artifact is updated in place"
    );
    let Some(SourceExecution::SourceTaskExecution(source)) = key.source_execution else {
        return Err("an update names the run that wrote it".into());
    };
    assert_eq!(
        source.node_execution_id.and_then(|n| n.execution_id),
        Some(forced.clone())
    );
    // The next run hits the replaced outputs.
    let after = run(&admin, &mut c, task("sq", "v1"), 3, "a", false).await?;
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(outputs(&mut c, &after).await?.literals["y"], int(101));
    Ok(())
}

#[tokio::test]
async fn ignored_inputs_do_not_change_the_key() -> TestResult {
    let (admin, mut c, runs) = setup().await?;
    let metadata = core::TaskMetadata {
        cache_ignore_input_vars: vec!["salt".into()],
        ..cache("1")
    };
    c.create_task(cached_task("salted", "v1", metadata)).await?;
    run(&admin, &mut c, task("salted", "v1"), 3, "a", false).await?;
    let second = run(&admin, &mut c, task("salted", "v1"), 3, "b", false).await?;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let (status, _) = cache_of(&task_node(&mut c, &second).await?);
    assert_eq!(status, CatalogCacheStatus::CacheHit as i32);
    // Without the ignore list the salt counts.
    run(&admin, &mut c, task("sq", "v1"), 3, "a", false).await?;
    run(&admin, &mut c, task("sq", "v1"), 3, "b", false).await?;
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    Ok(())
}

#[tokio::test]
async fn a_task_that_is_not_cached_runs_every_time_and_says_so() -> TestResult {
    let (admin, mut c, runs) = setup().await?;
    c.create_task(cached_task("plain", "v1", core::TaskMetadata::default()))
        .await?;
    run(&admin, &mut c, task("plain", "v1"), 3, "a", false).await?;
    let second = run(&admin, &mut c, task("plain", "v1"), 3, "a", false).await?;
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    let node = task_node(&mut c, &second).await?;
    assert_eq!(
        cache_of(&node),
        (CatalogCacheStatus::CacheDisabled as i32, None),
        "task_node_metadata without a catalog key"
    );
    Ok(())
}

#[tokio::test]
async fn a_workflow_node_hits_and_feeds_the_cached_outputs_downstream() -> TestResult {
    let (admin, mut c, runs) = setup().await?;
    let sq = task("sq", "v1");
    let wf = workflow_request(
        "cached_wf",
        "v1",
        iface(
            &[("x", SimpleType::Integer), ("salt", SimpleType::String)],
            &[("y", SimpleType::Integer)],
        ),
        vec![from_inputs(common::task_node("n0", &sq), &["x", "salt"])],
    );
    let wid = wf.id.clone().ok_or("id")?;
    c.create_workflow(wf).await?;
    c.create_launch_plan(launch_plan_request("cached_wf", "v1", &wid, &[], &[]))
        .await?;
    let lp = id(ResourceType::LaunchPlan, "cached_wf", "v1");
    // The single-task run fills the cache; the workflow's node hits it.
    run(&admin, &mut c, sq, 5, "z", false).await?;
    let exec = run(&admin, &mut c, lp, 5, "z", false).await?;
    let node = task_node(&mut c, &exec).await?;
    assert_eq!(cache_of(&node).0, CatalogCacheStatus::CacheHit as i32);
    assert_eq!(task_executions(&mut c, &node).await?, 0);
    let data = c
        .get_node_execution_data(admin::NodeExecutionGetDataRequest {
            id: node.id.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(data.full_outputs.ok_or("outputs")?.literals["y"], int(100));
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "the workflow itself still runs once"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_serializable_task_waits_for_the_run_holding_its_reservation_then_hits() -> TestResult {
    let runs = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&runs);
    let executor = Executors::custom(move |_: &ExecutionRun| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        Plan::succeed(Duration::from_secs(60), lits(&[("y", int(100 + n as i64))]))
    });
    let admin = TestAdmin::builder().executor(executor).start().await?;
    let mut c = connect(&admin).await?;
    let metadata = core::TaskMetadata {
        cache_serializable: true,
        ..cache("1")
    };
    c.create_task(cached_task("serial", "v1", metadata)).await?;
    let launch = |c: &mut Client| {
        let req = exec_request(
            task("serial", "v1"),
            "",
            lits(&[("x", int(1)), ("salt", string("s"))]),
        );
        let mut c = c.clone();
        async move { c.create_execution(req).await.map(|r| r.into_inner().id) }
    };
    let first = launch(&mut c).await?.ok_or("id")?;
    admin
        .wait_for_phase(&first, core::workflow_execution::Phase::Running)
        .await
        .ok_or("gone")?;
    let second = launch(&mut c).await?.ok_or("id")?;
    let done = admin.wait_for_terminal(&second).await.ok_or("gone")?;
    assert_eq!(
        done.closure.ok_or("closure")?.phase,
        core::workflow_execution::Phase::Succeeded as i32
    );
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "the second run waited, then hit"
    );
    let (status, key) = cache_of(&task_node(&mut c, &second).await?);
    assert_eq!(status, CatalogCacheStatus::CacheHit as i32);
    let Some(SourceExecution::SourceTaskExecution(source)) = key.and_then(|k| k.source_execution)
    else {
        return Err("no source".into());
    };
    assert_eq!(
        source.node_execution_id.and_then(|n| n.execution_id),
        Some(first)
    );
    assert_eq!(outputs(&mut c, &second).await?.literals["y"], int(100));
    Ok(())
}

#[tokio::test]
async fn a_failed_run_caches_nothing() -> TestResult {
    let runs = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&runs);
    let executor = Executors::custom(move |_: &ExecutionRun| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            Plan::fail(Duration::ZERO, "USER:Boom", "first run fails")
        } else {
            Plan::succeed(Duration::ZERO, lits(&[("y", int(7))]))
        }
    });
    let admin = TestAdmin::builder().executor(executor).start().await?;
    let mut c = connect(&admin).await?;
    c.create_task(cached_task("sq", "v1", cache("1"))).await?;
    let req = || {
        exec_request(
            task("sq", "v1"),
            "",
            lits(&[("x", int(1)), ("salt", string("a"))]),
        )
    };
    let failed = c
        .create_execution(req())
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    admin.wait_for_terminal(&failed).await.ok_or("gone")?;
    assert_eq!(
        cache_of(&task_node(&mut c, &failed).await?),
        (CatalogCacheStatus::CacheDisabled as i32, None),
        "a failed node shows no catalog key"
    );
    let second = run(&admin, &mut c, task("sq", "v1"), 1, "a", false).await?;
    assert_eq!(runs.load(Ordering::SeqCst), 2, "nothing was cached to hit");
    assert_eq!(
        cache_of(&task_node(&mut c, &second).await?).0,
        CatalogCacheStatus::CachePopulated as i32
    );
    Ok(())
}
