//! The projects, launch and executions examples against the test kit, as a user runs them.

use std::process::Output;
use std::time::Duration;

mod common;

use flyte_testkit::{Executors, TestAdmin};

type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn run(
    admin: &TestAdmin,
    name: &str,
    args: &[&str],
) -> Result<Output, Box<dyn std::error::Error>> {
    common::run_against(admin, name, args).await
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn projects_create_and_list() -> TestResult {
    let admin = TestAdmin::start().await?;
    let out = run(
        &admin,
        "projects",
        &[
            "create",
            "--id",
            "ml",
            "--name",
            "Machine Learning",
            "--label",
            "team=ml",
        ],
    )
    .await?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&admin, "projects", &["list", "-o", "json"]).await?;
    let list: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let ids: Vec<&str> = list.iter().filter_map(|p| p["id"].as_str()).collect();
    assert_eq!(ids, ["flytesnacks", "ml"]);
    let out = run(
        &admin,
        "projects",
        &["create", "--id", "Bad_Id", "--name", "x"],
    )
    .await?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("invalid project id [Bad_Id]"), "{stderr}");
    Ok(())
}

#[tokio::test]
async fn launch_waits_and_prints_outputs_last() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::succeed_after(Duration::from_millis(200)))
        .start()
        .await?;
    common::register_wf(&admin).await?;
    let out = run(
        &admin,
        "launch",
        &[
            "-p",
            "flytesnacks",
            "-d",
            "development",
            "--launch-plan",
            "wf",
            "--input",
            "x=5",
            "--wait",
        ],
    )
    .await?;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.starts_with("execution flytesnacks:development:"),
        "{stdout}"
    );
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().ok_or("no lines")?)?;
    assert_eq!(last, serde_json::json!({"x": 5}));
    assert!(text(&out.stderr).contains("SUCCEEDED"));

    let out = run(
        &admin,
        "launch",
        &[
            "-p",
            "flytesnacks",
            "-d",
            "development",
            "--launch-plan",
            "wf",
            "--input",
            "x=five",
        ],
    )
    .await?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("inputs.x: expected an integer, found \"five\""),
        "{}",
        text(&out.stderr)
    );

    let out = run(
        &admin,
        "executions",
        &[
            "list",
            "-p",
            "flytesnacks",
            "-d",
            "development",
            "--filter",
            "eq(phase,SUCCEEDED)",
            "-o",
            "json",
        ],
    )
    .await?;
    let rows: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["phase"], "SUCCEEDED");
    Ok(())
}

#[tokio::test]
async fn launch_takes_the_longest_timeout_without_panicking() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::succeed_after(Duration::from_millis(100)))
        .start()
        .await?;
    common::register_wf(&admin).await?;
    let out = run(
        &admin,
        "launch",
        &[
            "-p",
            "flytesnacks",
            "-d",
            "development",
            "--launch-plan",
            "wf",
            "--input",
            "x=3",
            "--wait",
            "--timeout",
            "18446744073709551615",
        ],
    )
    .await?;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("SUCCEEDED"), "{stderr}");
    Ok(())
}

#[tokio::test]
async fn launch_exits_1_when_the_execution_fails() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::fail(Duration::ZERO, "USER:Boom", "it broke"))
        .start()
        .await?;
    common::register_wf(&admin).await?;
    let out = run(
        &admin,
        "launch",
        &[
            "-p",
            "flytesnacks",
            "-d",
            "development",
            "--launch-plan",
            "wf",
            "--version",
            "v1",
            "--input",
            "x=1",
            "--wait",
        ],
    )
    .await?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("USER:Boom: it broke"),
        "{}",
        text(&out.stderr)
    );
    Ok(())
}

#[tokio::test]
async fn attributes_apply_get_and_delete_a_flytectl_file() -> TestResult {
    let admin = TestAdmin::start().await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("tra.yaml");
    std::fs::write(
        &file,
        "domain: development\nproject: flytesnacks\ndefaults:\n  cpu: \"1\"\n  memory: 150Mi\nlimits:\n  cpu: \"2\"\n  memory: 450Mi\n",
    )?;
    let f = file.to_str().ok_or("path")?;
    let out = run(
        &admin,
        "attributes",
        &["update", "task-resource-attribute", "--attr-file", f],
    )
    .await?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("flytesnacks/development"));

    let scope = ["--project", "flytesnacks", "--domain", "development"];
    let mut get = vec!["get", "task-resource-attribute"];
    get.extend(scope);
    let out = run(&admin, "attributes", &get).await?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(printed.contains("memory: 450Mi"), "{printed}");
    assert!(printed.contains("project: flytesnacks"), "{printed}");
    let mut get_json = get.clone();
    get_json.extend(["-o", "json"]);
    let out = run(&admin, "attributes", &get_json).await?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(json["limits"]["memory"], "450Mi", "{json}");
    assert_eq!(json["domain"], "development", "{json}");

    let mut delete = vec!["delete", "task-resource-attribute"];
    delete.extend(scope);
    let out = run(&admin, "attributes", &delete).await?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&admin, "attributes", &get).await?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("NOT_FOUND"),
        "{}",
        text(&out.stderr)
    );

    std::fs::write(&file, "project: flytesnacks\ndefualts:\n  cpu: \"1\"\n")?;
    let out = run(
        &admin,
        "attributes",
        &["update", "task-resource-attribute", "--attr-file", f],
    )
    .await?;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("tra.yaml") && err.contains("2:1: defualts"),
        "{err}"
    );

    let out = run(&admin, "attributes", &["list", "task-queue"]).await?;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("unknown attribute \"task-queue\""));
    Ok(())
}
