//! `launch --batch FILE`: a list of exec specs launched concurrently, each failure naming its
//! item, `--wait` watching the set with a few list calls, and the exit code saying whether all
//! succeeded.

use std::process::Output;
use std::time::Duration;

mod common;

use flyte_testkit::{Executors, TestAdmin};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `launch -p flytesnacks -d development --batch FILE ARGS...`, the file holding `specs`.
async fn batch(
    admin: &TestAdmin,
    file: &str,
    specs: &str,
    args: &[&str],
) -> Result<Output, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(file);
    std::fs::write(&path, specs)?;
    let path = path.to_string_lossy().into_owned();
    let mut full = vec!["-p", "flytesnacks", "-d", "development", "--batch", &path];
    full.extend(args);
    common::run_against(admin, "launch", &full).await
}

/// The item indexes of `item I: ...` lines.
fn items(stdout: &str) -> Vec<usize> {
    let mut out: Vec<usize> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("item ")?.split(':').next()?.parse().ok())
        .collect();
    out.sort_unstable();
    out
}

const YAML: &str = "\
- workflow: wf
  version: v1
  inputs:
    x: 1
- workflow: wf
  version: v1
  inputs:
    x: 2
- task: t
  version: v1
  inputs:
    x: 3
- workflow: wf
  version: v1
  targetProject: flytesnacks
  targetDomain: development
  inputs:
    x: 4
";

#[tokio::test]
async fn a_yaml_batch_launches_every_item() -> TestResult {
    let admin = TestAdmin::start().await?;
    common::register_wf(&admin).await?;
    let out = batch(&admin, "specs.yaml", YAML, &["--concurrency", "2"]).await?;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(items(&stdout), [0, 1, 2, 3], "{stdout}");
    assert!(
        stdout
            .lines()
            .all(|l| l.contains(": execution flytesnacks:development:")),
        "{stdout}"
    );
    assert!(stderr.contains("launched 4 of 4; 0 failed"), "{stderr}");
    // Not a terminal: no progress bar drawn.
    assert!(
        !stderr.contains('\r') && !stderr.contains("launched 0/"),
        "{stderr}"
    );
    assert_eq!(admin.calls("CreateExecution"), 4);
    Ok(())
}

#[tokio::test]
async fn a_bad_item_fails_alone_and_the_exit_code_says_so() -> TestResult {
    let admin = TestAdmin::start().await?;
    common::register_wf(&admin).await?;
    let json = r#"[
        {"workflow": "wf", "version": "v1", "inputs": {"x": 1}},
        {"workflow": "wf", "version": "v1", "inputs": {"x": "five"}},
        {"workflow": "wf", "version": "v1", "inputs": {"x": 3}}
    ]"#;
    let out = batch(&admin, "specs.json", json, &[]).await?;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(items(&stdout), [0, 2], "{stdout}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("item 1 ("))
        .ok_or(stderr.clone())?;
    assert!(
        line.contains("inputs.x: expected an integer, found \"five\""),
        "{line}"
    );
    assert!(stderr.contains("launched 2 of 3; 1 failed"), "{stderr}");
    Ok(())
}

#[tokio::test]
async fn a_bad_file_names_the_item_and_field_and_launches_nothing() -> TestResult {
    let admin = TestAdmin::start().await?;
    common::register_wf(&admin).await?;
    for (specs, expected) in [
        (
            "[{workflow: wf, version: v1}, {workflow: wf, task: t, version: v1}]",
            "specs.yaml: item 1: either task or workflow must be set",
        ),
        (
            "- workflow: wf\n  version: v1\n  inputs: [1, 2]\n",
            "specs.yaml: item 0: inputs: expected a mapping",
        ),
        (
            "workflow: wf\n",
            "specs.yaml: expected a list of exec specs",
        ),
        ("- wf\n", "specs.yaml: item 0: expected an exec spec"),
    ] {
        let out = batch(&admin, "specs.yaml", specs, &[]).await?;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(expected), "{specs}: {stderr}");
    }
    assert_eq!(admin.calls("CreateExecution"), 0);
    Ok(())
}

#[tokio::test]
async fn wait_watches_the_set_with_list_calls_and_reports_each_end() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::succeed_after(Duration::from_millis(300)))
        .start()
        .await?;
    common::register_wf(&admin).await?;
    let out = batch(&admin, "specs.yaml", YAML, &["--wait", "--timeout", "60"]).await?;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let ended: Vec<&str> = stdout
        .lines()
        .filter(|l| l.ends_with(" SUCCEEDED"))
        .collect();
    assert_eq!(ended.len(), 4, "{stdout}");
    assert!(stderr.contains("4 of 4 succeeded"), "{stderr}");
    assert_eq!(
        admin.calls("GetExecution"),
        0,
        "watched with ListExecutions only"
    );
    assert!(admin.calls("ListExecutions") >= 1);
    Ok(())
}

#[tokio::test]
async fn wait_exits_1_when_an_execution_fails() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::fail(
            Duration::from_millis(100),
            "USER:Boom",
            "it broke",
        ))
        .start()
        .await?;
    common::register_wf(&admin).await?;
    let out = batch(&admin, "specs.yaml", YAML, &["--wait"]).await?;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(
        stdout.lines().filter(|l| l.ends_with(" FAILED")).count(),
        4,
        "{stdout}"
    );
    assert!(stderr.contains("0 of 4 succeeded"), "{stderr}");
    Ok(())
}
