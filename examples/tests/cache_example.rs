//! The cache example, and the cache parts of the launch and executions examples, against the
//! test kit as a user runs them.

mod common;

use flyte_admin_client::build::{types, ContainerTask, LaunchPlan, Node, Source, Workflow};
use flyte_admin_client::register::{Package, RegisterOptions};
use flyte_admin_client::{AdminClient, ExecutionId};
use flyte_testkit::TestAdmin;
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const P: &str = "flytesnacks";
const D: &str = "development";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs an example against the test kit; its stdout when it exits 0.
async fn ok(
    admin: &TestAdmin,
    name: &str,
    args: &[&str],
) -> Result<String, Box<dyn std::error::Error>> {
    let out = common::run_against(admin, name, args).await?;
    if out.status.code() != Some(0) {
        return Err(format!(
            "{name} {args:?}: {:?}\n{}{}",
            out.status,
            text(&out.stdout),
            text(&out.stderr)
        )
        .into());
    }
    Ok(text(&out.stdout))
}

/// Task `rs.add` (a, b, note -> c), cached under `cache_version` with `note` left out of the
/// key, in workflow and launch plan `rs.adder` (node `add`), registered at `version`.
async fn register(
    admin: &TestAdmin,
    version: &str,
    cache_version: &str,
) -> Result<AdminClient, Box<dyn std::error::Error>> {
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
    let c = AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .build()?;
    let report = c
        .register(package, &RegisterOptions::new(P, D).version(version))
        .await?;
    if !report.is_success() {
        return Err(format!("{report:#?}").into());
    }
    Ok(c)
}

/// `launch` of `rs.adder` (version v1) with these inputs and extra flags, to its end: the
/// execution.
async fn launch(
    admin: &TestAdmin,
    a: i64,
    b: i64,
    note: &str,
    extra: &[&str],
) -> Result<ExecutionId, Box<dyn std::error::Error>> {
    launch_version(admin, "v1", a, b, note, extra).await
}

/// [`launch`] of `rs.adder` at `version`.
async fn launch_version(
    admin: &TestAdmin,
    version: &str,
    a: i64,
    b: i64,
    note: &str,
    extra: &[&str],
) -> Result<ExecutionId, Box<dyn std::error::Error>> {
    let (a, b, note) = (format!("a={a}"), format!("b={b}"), format!("note={note}"));
    let mut args = vec![
        "-p",
        P,
        "-d",
        D,
        "--launch-plan",
        "rs.adder",
        "--version",
        version,
        "--input",
        &a,
        "--input",
        &b,
        "--input",
        &note,
    ];
    args.extend_from_slice(extra);
    let stdout = ok(admin, "launch", &args).await?;
    let name = stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("execution {P}:{D}:")))
        .ok_or(stdout.clone())?;
    let id = ExecutionId::new(P, D, name);
    admin
        .wait_for_terminal(&id.to_pb())
        .await
        .ok_or("no execution")?;
    Ok(id)
}

/// `executions get NAME --nodes -o json`: node `add`.
async fn add_node_json(
    admin: &TestAdmin,
    id: &ExecutionId,
) -> Result<Value, Box<dyn std::error::Error>> {
    let got: Value = serde_json::from_str(
        &ok(
            admin,
            "executions",
            &["-p", P, "-d", D, "get", &id.name, "--nodes", "-o", "json"],
        )
        .await?,
    )?;
    let nodes = got["nodes"].as_array().ok_or("no nodes")?;
    Ok(nodes
        .iter()
        .find(|n| n["node_id"] == "add")
        .cloned()
        .ok_or("no node add")?)
}

#[tokio::test]
async fn get_nodes_shows_cache_status_and_catalog_key() -> TestResult {
    let admin = TestAdmin::start().await?;
    register(&admin, "v1", "1").await?;
    let first = launch(&admin, 1, 2, "x", &[]).await?;
    let second = launch(&admin, 1, 2, "y", &[]).await?;

    let populated = add_node_json(&admin, &first).await?;
    assert_eq!(populated["cache_status"], "CACHE_POPULATED", "{populated}");
    let dataset = &populated["catalog_key"]["dataset"];
    assert_eq!(dataset["name"], "flyte_task-rs.add", "{populated}");
    assert!(
        dataset["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("1-")),
        "{populated}"
    );
    let tag = populated["catalog_key"]["tag"].as_str().ok_or("no tag")?;
    assert!(tag.starts_with("flyte_cached-"), "{populated}");

    let hit = add_node_json(&admin, &second).await?;
    assert_eq!(hit["cache_status"], "CACHE_HIT", "{hit}");
    assert_eq!(hit["catalog_key"]["tag"], tag, "{hit}");
    assert_eq!(
        hit["catalog_key"]["source"]["execution"],
        first.to_string(),
        "{hit}"
    );
    assert_eq!(hit["catalog_key"]["source"]["node_id"], "add", "{hit}");

    let table = ok(
        &admin,
        "executions",
        &["-p", P, "-d", D, "get", &second.name, "--nodes"],
    )
    .await?;
    let node_line = table
        .lines()
        .find(|l| l.starts_with("add "))
        .ok_or(table.clone())?;
    assert!(node_line.ends_with(" HIT"), "{table}");
    assert!(table.contains(&format!("\n  tag: {tag}\n")), "{table}");
    assert!(
        table.contains(&format!("\n  from: {first} node add\n")),
        "{table}"
    );
    assert!(table.lines().all(|l| l.len() <= 80), "{table}");
    Ok(())
}

#[tokio::test]
async fn launch_and_relaunch_overwrite_the_cache_when_asked() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = register(&admin, "v1", "1").await?;
    let first = launch(&admin, 1, 2, "x", &[]).await?;
    let forced = launch(&admin, 1, 2, "x", &["--overwrite-cache"]).await?;
    let spec = c.get_execution(&forced).await?.spec.ok_or("no spec")?;
    assert!(spec.overwrite_cache);
    // The same inputs ran again instead of hitting, and replaced the artifact.
    assert_eq!(
        add_node_json(&admin, &forced).await?["cache_status"],
        "CACHE_POPULATED"
    );

    let stdout = ok(
        &admin,
        "executions",
        &[
            "-p",
            P,
            "-d",
            D,
            "relaunch",
            &first.name,
            "--name",
            "again",
            "--overwrite-cache",
            "--wait",
        ],
    )
    .await?;
    assert!(
        stdout.starts_with(&format!("execution {P}:{D}:again\n")),
        "{stdout}"
    );
    let again = ExecutionId::new(P, D, "again");
    assert!(
        c.get_execution(&again)
            .await?
            .spec
            .ok_or("no spec")?
            .overwrite_cache
    );
    assert_eq!(
        add_node_json(&admin, &again).await?["cache_status"],
        "CACHE_POPULATED"
    );
    // Without the flag, the relaunch hits.
    ok(
        &admin,
        "executions",
        &[
            "-p",
            P,
            "-d",
            D,
            "relaunch",
            &first.name,
            "--name",
            "plain",
            "--wait",
        ],
    )
    .await?;
    let plain = ExecutionId::new(P, D, "plain");
    assert_eq!(
        add_node_json(&admin, &plain).await?["cache_status"],
        "CACHE_HIT"
    );
    Ok(())
}

#[tokio::test]
async fn explain_tells_why_each_task_node_was_or_was_not_a_hit() -> TestResult {
    let admin = TestAdmin::start().await?;
    register(&admin, "v1", "1").await?;
    let first = launch(&admin, 1, 2, "x", &[]).await?;
    let hit = launch(&admin, 1, 2, "y", &[]).await?;
    let miss = launch(&admin, 1, 3, "x", &[]).await?;

    let out = ok(&admin, "cache", &["-p", P, "-d", D, "explain", &hit.name]).await?;
    assert!(
        out.starts_with(&format!(
            "node add of {hit} (task rs.add version v1): CACHE_HIT\n"
        )),
        "{out}"
    );
    assert!(out.contains("\nwhy: a hit"), "{out}");
    assert!(
        out.contains(&format!("(from {first} node add attempt 0)")),
        "{out}"
    );

    let out = ok(
        &admin,
        "cache",
        &["-p", P, "-d", D, "explain", &miss.name, "--node", "add"],
    )
    .await?;
    assert!(out.contains(": CACHE_POPULATED\n"), "{out}");
    assert!(
        out.contains("\nwhy: a miss: no artifact of dataset flyte_task-rs.add"),
        "{out}"
    );
    assert!(
        out.contains(
            "\nkey looked for: dataset flytesnacks/development/flyte_task-rs.add version 1-"
        ),
        "{out}"
    );
    // The first run's artifact (the hit made none) is the nearest: `b` differs.
    assert!(
        out.contains(&format!(
            " from {first} node add: same cache version, inputs differ: b\n"
        )),
        "{out}"
    );

    let out = common::run_against(
        &admin,
        "cache",
        &["-p", P, "-d", D, "explain", &miss.name, "--node", "nope"],
    )
    .await?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("error: "),
        "{}",
        text(&out.stderr)
    );
    Ok(())
}

#[tokio::test]
async fn list_shows_the_artifacts_of_every_cache_version() -> TestResult {
    let admin = TestAdmin::start().await?;
    register(&admin, "v1", "1").await?;
    register(&admin, "v2", "2").await?;
    let first = launch(&admin, 1, 2, "x", &[]).await?;
    launch(&admin, 1, 2, "y", &[]).await?;
    let bumped = launch_version(&admin, "v2", 1, 2, "x", &[]).await?;

    let out = ok(
        &admin,
        "cache",
        &["-p", P, "-d", D, "list", "--task", "rs.add", "-o", "json"],
    )
    .await?;
    let rows: Vec<Value> = out
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    // One artifact per cache version: the hit wrote none.
    assert_eq!(rows.len(), 2, "{out}");
    let mut versions: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["dataset"]["version"].as_str())
        .collect();
    versions.sort_unstable();
    assert!(
        versions[0].starts_with("1-") && versions[1].starts_with("2-"),
        "{out}"
    );
    for r in &rows {
        assert_eq!(r["dataset"]["name"], "flyte_task-rs.add", "{out}");
        let tags = r["tags"].as_array().ok_or("no tags")?;
        assert!(
            tags.len() == 1
                && tags[0]
                    .as_str()
                    .is_some_and(|t| t.starts_with("flyte_cached-")),
            "{out}"
        );
    }
    let sources: Vec<&str> = rows.iter().filter_map(|r| r["source"].as_str()).collect();
    assert!(
        sources.contains(&format!("{}/add", first.name).as_str()),
        "{out}"
    );
    assert!(
        sources.contains(&format!("{}/add", bumped.name).as_str()),
        "{out}"
    );

    let table = ok(
        &admin,
        "cache",
        &["-p", P, "-d", D, "list", "--task", "rs.add"],
    )
    .await?;
    assert!(table.starts_with("VERSION "), "{table}");
    assert!(table.lines().all(|l| l.len() <= 80), "{table}");
    assert_eq!(
        table
            .lines()
            .filter(|l| l.starts_with("  artifact: "))
            .count(),
        2,
        "{table}"
    );
    // DataCatalog named on its own (the test kit serves it on FlyteAdmin's port) lists the same.
    let addr = admin.addr().to_string();
    let direct = ok(
        &admin,
        "cache",
        &[
            "-p",
            P,
            "-d",
            D,
            "--catalog-endpoint",
            &addr,
            "--catalog-insecure",
            "list",
            "--task",
            "rs.add",
        ],
    )
    .await?;
    assert_eq!(direct, table);
    assert_eq!(
        table
            .lines()
            .filter(|l| l.starts_with("  tag: flyte_cached-"))
            .count(),
        2,
        "{table}"
    );
    Ok(())
}
