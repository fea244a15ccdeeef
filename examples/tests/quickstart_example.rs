//! The newcomer's first command, with no cluster, and against a FlyteAdmin named on the command line.

use std::process::Command;

mod common;

use flyte_admin_client::{AdminClient, ListOptions};
use futures::TryStreamExt;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[tokio::test]
async fn runs_on_the_embedded_test_kit_without_any_config() -> TestResult {
    let bin = common::example("quickstart")?;
    let home = tempfile::tempdir()?;
    let home_path = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .args(["--name", "rustacean"])
            .env_clear()
            .env("HOME", home_path)
            .output()
    })
    .await??;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("using the embedded test kit"), "{stdout}");
    assert!(stdout.contains("  SUCCEEDED"), "{stdout}");
    assert!(
        stdout.contains(r#"Outputs: {"loud":"HELLO RUSTACEAN"}"#),
        "{stdout}"
    );
    assert!(
        stdout.contains("/console/projects/flytesnacks/domains/development/executions/"),
        "{stdout}"
    );
    Ok(())
}

#[tokio::test]
async fn runs_against_the_flyteadmin_it_is_given_and_says_so() -> TestResult {
    let admin = flyte_testkit::TestAdmin::start().await?;
    let bin = common::example("quickstart")?;
    let endpoint = admin.addr().to_string();
    let home = tempfile::tempdir()?;
    for _ in 0..2 {
        // Twice: the second run finds everything registered already.
        let (bin, endpoint, home_path) = (bin.clone(), endpoint.clone(), home.path().to_path_buf());
        let out = tokio::task::spawn_blocking(move || {
            Command::new(bin)
                .args(["--endpoint", &endpoint, "--insecure"])
                .env_clear()
                .env("HOME", home_path)
                .output()
        })
        .await??;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("Using FlyteAdmin at {}", admin.addr())),
            "{stdout}"
        );
        assert!(!stdout.contains("embedded"), "{stdout}");
    }
    let client = AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .build()?;
    let tasks: Vec<_> = client
        .list_tasks("flytesnacks", "development", None, &ListOptions::new())
        .try_collect()
        .await?;
    assert_eq!(tasks.len(), 2, "greet and shout, registered once");
    let runs: Vec<_> = client
        .list_executions("flytesnacks", "development", &ListOptions::new())
        .try_collect()
        .await?;
    assert_eq!(runs.len(), 2);
    Ok(())
}
