//! Caching as a client sees it: forced re-runs (`overwrite_cache`) on launch and relaunch, and
//! each node's cache status and catalog key in the execution tree.

mod common;

use common::{client, TestResult, D, P};
use flyte_admin_client::build::{types, ContainerTask, LaunchPlan, Node, Source, Workflow};
use flyte_admin_client::cache::{CacheReason, CatalogCacheStatus, ExplainOptions};
use flyte_admin_client::catalog::DataCatalogClient;
use flyte_admin_client::register::{Package, RegisterOptions};
use flyte_admin_client::{
    AdminClient, ExecutionId, ExecutionOptions, LaunchItem, LaunchPlanId, NodeTree, TaskId,
};
use flyte_testkit::TestAdmin;
use futures::StreamExt as _;
use serde_json::json;

const VERSION: &str = "v1";

/// `rs.add` (cached under `cache_version`, `note` left out of the key) and `rs.echo` (not
/// cached) in workflow `rs.adder` (nodes `add` and `echo`) with its launch plan.
fn package(cache_version: &str) -> Result<Package, Box<dyn std::error::Error>> {
    let add = common::adder("rs.add")
        .cache(cache_version)
        .cache_ignore_inputs(["note"]);
    let echo = ContainerTask::new("rs.echo", "alpine:3.20")
        .command(["sh", "-c", "cat /var/inputs/a > /var/outputs/a"])
        .input("a", types::integer())
        .output("a", types::integer());
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
        .node(Node::task("echo", &echo).bind("a", Source::input("a")))
        .output("c", Source::output("add", "c"));
    let lp = LaunchPlan::new("rs.adder", &wf);
    let mut package = Package::default();
    package
        .add_task(&add)?
        .add_task(&echo)?
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

    // A batch item from a file keeps the file's setting; one given options keeps those.
    let items = vec![
        LaunchItem::from_spec(&file("overwriteCache: true\n")?, P, D),
        LaunchItem::from_spec(&file("")?, P, D),
        LaunchItem::from_spec(&file("")?, P, D).options(overwrite.clone()),
    ];
    let mut launched: Vec<_> = c.execute_many(items).stream().collect().await;
    launched.sort_by_key(|l| l.index);
    let mut seen = Vec::new();
    for l in launched {
        let id = l.result?;
        seen.push(overwrites(&c, &id).await?);
    }
    assert_eq!(seen, [true, false, true], "overwrite_cache per batch item");

    // A relaunch overwrites when asked.
    let again = c.relaunch_execution(&plain, None, false).await?;
    assert!(!overwrites(&c, &again).await?);
    let again_forced = c.relaunch_execution(&plain, None, true).await?;
    assert!(overwrites(&c, &again_forced).await?);
    // FlyteAdmin takes a relaunch's setting from the request, not from the source.
    let calm_again = c.relaunch_execution(&again_forced, None, false).await?;
    assert!(
        !overwrites(&c, &calm_again).await?,
        "relaunch without overwrite"
    );
    Ok(())
}

/// Launches `rs.adder` at [`VERSION`] with these inputs and waits for its end.
async fn run_adder(
    admin: &TestAdmin,
    c: &AdminClient,
    args: &serde_json::Map<String, serde_json::Value>,
    options: &ExecutionOptions,
) -> Result<ExecutionId, Box<dyn std::error::Error>> {
    run_version(admin, c, VERSION, args, options).await
}

/// Launches `rs.adder` at `version` with these inputs and waits for its end.
async fn run_version(
    admin: &TestAdmin,
    c: &AdminClient,
    version: &str,
    args: &serde_json::Map<String, serde_json::Value>,
    options: &ExecutionOptions,
) -> Result<ExecutionId, Box<dyn std::error::Error>> {
    let lp = LaunchPlanId::new(P, D, "rs.adder", version);
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

/// Why node `add` of `id` was (not) a hit.
async fn explain(
    c: &AdminClient,
    id: &ExecutionId,
    node: &str,
) -> Result<flyte_admin_client::cache::CacheExplanation, Box<dyn std::error::Error>> {
    let catalog = DataCatalogClient::new(c);
    Ok(c.explain_cache(&catalog, id, node, &ExplainOptions::new())
        .await?)
}

#[tokio::test]
async fn a_hit_is_explained_by_the_run_it_reused() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = registered(&admin, VERSION, "1").await?;
    let plain = ExecutionOptions::new();
    let first = run_adder(&admin, &c, &inputs(1, 2, "x"), &plain).await?;
    let second = run_adder(&admin, &c, &inputs(1, 2, "y"), &plain).await?;
    let why = explain(&c, &second, "add").await?;
    assert_eq!(why.reason, CacheReason::Hit, "{why}");
    assert_eq!(why.status, Some(CatalogCacheStatus::CacheHit));
    assert_eq!(why.task.as_ref().map(|t| t.name.as_str()), Some("rs.add"));
    // The key computed here is the one propeller (the test kit) looked up and reports.
    let expected = why.expected.clone().ok_or("no key looked for")?;
    let reported = why.reported.clone().ok_or("no key reported")?;
    assert_eq!(
        (
            &expected.dataset.name,
            &expected.dataset.version,
            &expected.tag
        ),
        (
            &reported.dataset.name,
            &reported.dataset.version,
            &reported.tag
        ),
        "{why}"
    );
    assert_eq!(expected.ignored_inputs, ["note"]);
    assert!(why.nearest.is_empty(), "{why}");
    let text = why.to_string();
    assert!(text.contains(": CACHE_HIT\n"), "{text}");
    assert!(text.contains("why: a hit"), "{text}");
    assert!(
        text.contains(&format!("from {P}:{D}:{} node add", first.name)),
        "{text}"
    );
    assert!(text.contains("(ignoring note)"), "{text}");
    Ok(())
}

#[tokio::test]
async fn a_miss_names_the_inputs_that_differ_from_the_nearest_artifact() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = registered(&admin, VERSION, "1").await?;
    let plain = ExecutionOptions::new();
    let first = run_adder(&admin, &c, &inputs(1, 2, "x"), &plain).await?;
    let second = run_adder(&admin, &c, &inputs(1, 3, "y"), &plain).await?;
    let why = explain(&c, &second, "add").await?;
    assert_eq!(why.reason, CacheReason::Miss, "{why}");
    let expected = why.expected.clone().ok_or("no key looked for")?;
    let reported = why.reported.clone().ok_or("no key reported")?;
    assert_eq!(expected.tag, reported.tag, "{why}");
    // The only other artifact is the first run's: same cache version, `b` differs (`note`
    // is ignored); the node's own artifact is not listed.
    assert_eq!(why.nearest.len(), 1, "{why}");
    let near = &why.nearest[0];
    assert!(near.same_dataset, "{why}");
    assert_eq!(near.differing_inputs, Some(vec!["b".to_owned()]), "{why}");
    let source = near
        .source
        .as_ref()
        .and_then(|s| s.node_execution_id.as_ref());
    assert_eq!(
        source
            .and_then(|n| n.execution_id.as_ref())
            .map(|e| e.name.as_str()),
        Some(first.name.as_str())
    );
    let text = why.to_string();
    assert!(
        text.contains("why: a miss: no artifact of dataset flyte_task-rs.add"),
        "{text}"
    );
    assert!(
        text.contains(": same cache version, inputs differ: b"),
        "{text}"
    );
    Ok(())
}

#[tokio::test]
async fn a_new_cache_version_misses_and_points_at_the_old_one() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = registered(&admin, VERSION, "1").await?;
    registered(&admin, "v2", "2").await?;
    let plain = ExecutionOptions::new();
    run_adder(&admin, &c, &inputs(1, 2, "x"), &plain).await?;
    let bumped = run_version(&admin, &c, "v2", &inputs(1, 2, "x"), &plain).await?;
    let node = add_node(&c, &bumped).await?;
    assert_eq!(
        node.cache_status(),
        Some(CatalogCacheStatus::CachePopulated)
    );
    let why = explain(&c, &bumped, "add").await?;
    assert_eq!(why.reason, CacheReason::Miss, "{why}");
    let expected = why.expected.clone().ok_or("no key looked for")?;
    assert!(expected.dataset.version.starts_with("2-"), "{why}");
    assert_eq!(why.nearest.len(), 1, "{why}");
    let near = &why.nearest[0];
    assert_eq!(
        (
            near.same_dataset,
            near.same_interface,
            near.cache_version.as_str()
        ),
        (false, true, "1"),
        "{why}"
    );
    assert_eq!(near.differing_inputs, Some(Vec::new()), "{why}");
    let text = why.to_string();
    assert!(
        text.contains(": cache version \"1\", same inputs"),
        "{text}"
    );
    Ok(())
}

#[tokio::test]
async fn an_uncached_task_and_a_forced_run_say_why() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = registered(&admin, VERSION, "1").await?;
    let first = run_adder(&admin, &c, &inputs(1, 2, "x"), &ExecutionOptions::new()).await?;
    let why = explain(&c, &first, "echo").await?;
    assert_eq!(why.reason, CacheReason::Disabled, "{why}");
    assert_eq!(why.status, Some(CatalogCacheStatus::CacheDisabled));
    assert_eq!((why.expected, why.reported), (None, None));
    let text = explain(&c, &first, "echo").await?.to_string();
    assert!(
        text.contains("task rs.echo version v1): CACHE_DISABLED"),
        "{text}"
    );
    assert!(text.contains("why: the task is not cached"), "{text}");

    let forced = run_adder(
        &admin,
        &c,
        &inputs(1, 2, "x"),
        &ExecutionOptions::new().overwrite_cache(true),
    )
    .await?;
    let why = explain(&c, &forced, "add").await?;
    assert_eq!(why.reason, CacheReason::Overwritten, "{why}");
    assert!(why.to_string().contains("overwrite the cache"), "{why}");

    let e = explain(&c, &first, "nope")
        .await
        .err()
        .ok_or("explained a missing node")?;
    assert!(e.to_string().contains("nope"), "{e}");
    Ok(())
}

#[tokio::test]
async fn a_cached_node_that_failed_is_explained_as_a_miss() -> TestResult {
    // FlyteAdmin records no status for a miss (propeller's miss event has no key): a failed
    // cached node shows none, and is still a miss.
    let admin = TestAdmin::builder()
        .executor(flyte_testkit::Executors::fail(
            std::time::Duration::ZERO,
            "USER:Boom",
            "boom",
        ))
        .start()
        .await?;
    let c = registered(&admin, VERSION, "1").await?;
    let failed = run_adder(&admin, &c, &inputs(1, 2, "x"), &ExecutionOptions::new()).await?;
    let why = explain(&c, &failed, "add").await?;
    assert_eq!(why.reason, CacheReason::Miss, "{why}");
    assert!(why.expected.is_some(), "the key looked for: {why}");
    Ok(())
}
