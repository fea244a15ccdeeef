//! Caching as a client sees it: forced re-runs (`overwrite_cache`) on launch and relaunch, and
//! each node's cache status and catalog key in the execution tree.

mod common;

use common::{client, TestResult, D, P};
use flyte_admin_client::build::{types, ContainerTask, LaunchPlan, Node, Source, Workflow};
use flyte_admin_client::cache::CatalogCacheStatus;
use flyte_admin_client::register::{Package, RegisterOptions};
use flyte_admin_client::{
    AdminClient, ExecutionId, ExecutionOptions, LaunchPlanId, NodeTree, TaskId,
};
use flyte_testkit::TestAdmin;
use serde_json::json;

const VERSION: &str = "v1";

/// `rs.add` (cached under `cache_version`, `note` left out of the key) in workflow `rs.adder`
/// (node `add`) with its launch plan.
fn package(cache_version: &str) -> Result<Package, Box<dyn std::error::Error>> {
    let add = ContainerTask::new("rs.add", "alpine:3.20")
        .command([
            "sh",
            "-c",
            "echo $(( $(cat /var/inputs/a) + $(cat /var/inputs/b) )) > /var/outputs/c",
        ])
        .input("a", types::integer())
        .input("b", types::integer())
        .input("note", types::string())
        .output("c", types::integer())
        .cache(cache_version)
        .cache_ignore_inputs(["note"]);
    let wf = Workflow::new("rs.adder")
        .input("a", types::integer())
        .input("b", types::integer())
        .input("note", types::string())
        .node(
            Node::task("add", &add)
                .bind("a", Source::input("a"))
                .bind("b", Source::input("b"))
                .bind("note", Source::input("note")),
        )
        .output("c", Source::output("add", "c"));
    let lp = LaunchPlan::new("rs.adder", &wf);
    let mut package = Package::default();
    package
        .add_task(&add)?
        .add_workflow(&wf)?
        .add_launch_plan(&lp)?;
    Ok(package)
}

async fn registered(
    admin: &TestAdmin,
    version: &str,
    cache_version: &str,
) -> Result<AdminClient, Box<dyn std::error::Error>> {
    let c = client(admin)?;
    let report = c
        .register(
            package(cache_version)?,
            &RegisterOptions::new(P, D).version(version),
        )
        .await?;
    assert!(report.is_success(), "{report:#?}");
    Ok(c)
}

fn inputs(a: i64, b: i64, note: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.insert("a".into(), json!(a));
    m.insert("b".into(), json!(b));
    m.insert("note".into(), json!(note));
    m
}

async fn overwrites(c: &AdminClient, id: &ExecutionId) -> Result<bool, Box<dyn std::error::Error>> {
    let spec = c.get_execution(id).await?.spec.ok_or("no spec")?;
    Ok(spec.overwrite_cache)
}

#[tokio::test]
async fn overwrite_cache_reaches_the_execution_spec() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = registered(&admin, VERSION, "1").await?;
    let lp = LaunchPlanId::new(P, D, "rs.adder", VERSION);
    let task = TaskId::new(P, D, "rs.add", VERSION);
    let args = inputs(1, 2, "x");
    let overwrite = ExecutionOptions::new().overwrite_cache(true);

    let plain = c.execute_launch_plan(&lp, None, &args).await?;
    assert!(!overwrites(&c, &plain).await?);
    let forced = c
        .execute_launch_plan_with(&lp, None, &args, &overwrite)
        .await?;
    assert!(overwrites(&c, &forced).await?);
    let forced_task = c.execute_task_with(&task, None, &args, &overwrite).await?;
    assert!(overwrites(&c, &forced_task).await?);

    // flytectl's exec file says it itself; the option turns it on for a file that does not.
    let file = |extra: &str| {
        flyte_config::ExecSpec::from_yaml_str(&format!(
            "workflow: rs.adder\nversion: {VERSION}\ninputs:\n  a: 1\n  b: 2\n  note: x\n{extra}"
        ))
    };
    let from_file = c
        .execute_spec(&file("overwriteCache: true\n")?, P, D, None)
        .await?;
    assert!(
        overwrites(&c, &from_file).await?,
        "the file's overwriteCache"
    );
    let from_plain_file = c.execute_spec(&file("")?, P, D, None).await?;
    assert!(!overwrites(&c, &from_plain_file).await?);
    let from_option = c
        .execute_spec_with(&file("")?, P, D, None, &overwrite)
        .await?;
    assert!(overwrites(&c, &from_option).await?);

    // A relaunch overwrites when asked.
    let again = c.relaunch_execution(&plain, None, false).await?;
    assert!(!overwrites(&c, &again).await?);
    let again_forced = c.relaunch_execution(&plain, None, true).await?;
    assert!(overwrites(&c, &again_forced).await?);
    Ok(())
}

/// Launches `rs.adder` with these inputs and waits for its end.
async fn run_adder(
    admin: &TestAdmin,
    c: &AdminClient,
    args: &serde_json::Map<String, serde_json::Value>,
    options: &ExecutionOptions,
) -> Result<ExecutionId, Box<dyn std::error::Error>> {
    let lp = LaunchPlanId::new(P, D, "rs.adder", VERSION);
    let id = c.execute_launch_plan_with(&lp, None, args, options).await?;
    admin
        .wait_for_terminal(&id.to_pb())
        .await
        .ok_or("no execution")?;
    Ok(id)
}

/// Node `add` of the execution's tree.
async fn add_node(
    c: &AdminClient,
    id: &ExecutionId,
) -> Result<NodeTree, Box<dyn std::error::Error>> {
    let tree = c.execution_tree(id).await?;
    Ok(tree
        .into_iter()
        .find(|t| t.node.id.as_ref().is_some_and(|n| n.node_id == "add"))
        .ok_or("no node add")?)
}

#[tokio::test]
async fn the_tree_shows_each_nodes_cache_status_and_key() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = registered(&admin, VERSION, "1").await?;
    let plain = ExecutionOptions::new();
    let first = run_adder(&admin, &c, &inputs(1, 2, "x"), &plain).await?;
    let second = run_adder(&admin, &c, &inputs(1, 2, "y"), &plain).await?;

    let populated = add_node(&c, &first).await?;
    assert_eq!(
        populated.cache_status(),
        Some(CatalogCacheStatus::CachePopulated)
    );
    let key = populated
        .catalog_key()
        .ok_or("no key on the populating node")?;
    assert_eq!(
        (
            key.dataset.project.as_str(),
            key.dataset.domain.as_str(),
            key.dataset.name.as_str()
        ),
        (P, D, "flyte_task-rs.add")
    );
    assert!(key.dataset.version.starts_with("1-"), "{key}");
    assert!(key.tag.starts_with("flyte_cached-"), "{key}");
    // Propeller names no source for a new artifact: the node itself made it.
    assert_eq!(key.source, None, "{key}");

    // Only the ignored `note` differs: a hit on the first run's artifact, which names the run.
    let hit = add_node(&c, &second).await?;
    assert_eq!(hit.cache_status(), Some(CatalogCacheStatus::CacheHit));
    let hit_key = hit.catalog_key().ok_or("no key on the hit")?;
    assert_eq!(
        (&hit_key.dataset, &hit_key.tag, &hit_key.artifact_id),
        (&key.dataset, &key.tag, &key.artifact_id)
    );
    let source = hit_key.source_text().ok_or("no source on the hit")?;
    assert_eq!(source, format!("{P}:{D}:{} node add attempt 0", first.name));

    // The start and end nodes run no task.
    let tree = c.execution_tree(&second).await?;
    for t in tree
        .iter()
        .filter(|t| t.node.id.as_ref().is_some_and(|n| n.node_id != "add"))
    {
        assert_eq!(t.catalog_key(), None, "{:?}", t.node.id);
    }
    Ok(())
}
