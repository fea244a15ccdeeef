//! The executions example's `list --limit` and `watch NAME...` against the test kit.

use std::collections::HashMap;
use std::time::Duration;

use flyte_admin_client::pb::core;
use flyte_admin_client::{AdminClient, LaunchPlanId};
use flyte_testkit::{ExecutionRun, Executors, Plan, TestAdmin};

mod common;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const PD: [&str; 4] = ["-p", "flytesnacks", "-d", "development"];

fn with<'a>(args: &[&'a str]) -> Vec<&'a str> {
    args.iter().chain(PD.iter()).copied().collect()
}

/// Launches `names` of the registered `wf`, each with `x` = 1.
async fn launch(admin: &TestAdmin, names: &[String]) -> TestResult {
    let c = AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .build()?;
    let lp = LaunchPlanId::new("flytesnacks", "development", "wf", "v1");
    let one = core::Literal {
        value: Some(core::literal::Value::Scalar(Box::new(core::Scalar {
            value: Some(core::scalar::Value::Primitive(core::Primitive {
                value: Some(core::primitive::Value::Integer(1)),
            })),
        }))),
        ..Default::default()
    };
    for name in names {
        c.launch(
            &lp,
            Some(name),
            HashMap::from([("x".to_owned(), one.clone())]),
        )
        .await?;
    }
    Ok(())
}

#[tokio::test]
async fn list_stops_reading_pages_once_the_limit_is_out() -> TestResult {
    let admin = TestAdmin::start().await?;
    common::register_wf(&admin).await?;
    let names: Vec<String> = (0..101).map(|i| format!("e{i:03}")).collect();
    launch(&admin, &names).await?;
    for (limit, rows) in [("100", 100), ("3", 3)] {
        let before = admin.calls("ListExecutions");
        let out = common::run_against(
            &admin,
            "executions",
            &with(&["list", "--limit", limit, "-o", "json"]),
        )
        .await?;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout).lines().count(), rows);
        // One page holds them all; the page after it is never asked for.
        assert_eq!(admin.calls("ListExecutions") - before, 1, "--limit {limit}");
    }
    Ok(())
}

#[tokio::test]
async fn watch_follows_several_executions_with_one_watch() -> TestResult {
    // `bad` fails, the others succeed, each after 300 ms.
    let admin = TestAdmin::builder()
        .executor(Executors::custom(|run: &ExecutionRun| {
            if run.id.name == "bad" {
                Plan::fail(Duration::from_millis(300), "USER:Boom", "it broke")
            } else {
                Plan::succeed(Duration::from_millis(300), run.echo_outputs())
            }
        }))
        .start()
        .await?;
    common::register_wf(&admin).await?;
    let names = ["one", "two", "three", "bad"].map(str::to_owned);
    launch(&admin, &names).await?;

    let out = common::run_against(
        &admin,
        "executions",
        &with(&["watch", "one", "two", "three"]),
    )
    .await?;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut lines: Vec<&str> = stdout.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "flytesnacks:development:one: SUCCEEDED",
            "flytesnacks:development:three: SUCCEEDED",
            "flytesnacks:development:two: SUCCEEDED",
        ]
    );
    assert_eq!(admin.calls("GetExecution"), 0, "one list call a poll");

    let out = common::run_against(&admin, "executions", &with(&["watch", "one", "bad"])).await?;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("flytesnacks:development:bad: FAILED\n"),
        "{}",
        text(&out.stdout)
    );

    let out = common::run_against(&admin, "executions", &with(&["watch", "one", "nosuch"])).await?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("NOT_FOUND") && stderr.contains("flytesnacks:development:nosuch"),
        "{stderr}"
    );
    Ok(())
}
