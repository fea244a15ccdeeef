//! `deploy check` as a user runs it, against the mock Kubernetes API holding a flyte-core
//! release as the chart renders it (flyte-deploy's test fixture), through a kubeconfig.

use std::path::Path;

mod common;

use flyte_testkit::MockKube;
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A mock cluster holding flyte-deploy's flyte-core fixture, minus the objects `drop` names
/// (`Kind/name`), and a kubeconfig for it in `dir`.
async fn cluster(
    dir: &Path,
    drop: &[&str],
) -> Result<(MockKube, String), Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../flyte-deploy/tests/cluster/flyte-core.yaml"
    );
    let kube = MockKube::start().await?;
    for doc in std::fs::read_to_string(path)?.split("\n---\n") {
        let object: Value = flyte_config::Value::from_yaml_str(doc)?.to_json();
        let id = format!(
            "{}/{}",
            object["kind"].as_str().unwrap_or_default(),
            object["metadata"]["name"].as_str().unwrap_or_default()
        );
        if !drop.contains(&id.as_str()) {
            kube.insert(object);
        }
    }
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, kube.kubeconfig_yaml())?;
    Ok((kube, kubeconfig.to_string_lossy().into_owned()))
}

async fn run(args: &[&str]) -> Result<std::process::Output, Box<dyn std::error::Error>> {
    let mut all = vec!["check".to_owned()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    common::run_example("deploy", all).await
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn check_of_a_healthy_release_says_what_runs_and_exits_0() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_kube, kc) = cluster(dir.path(), &[]).await?;
    let out = run(&["--kubeconfig", &kc]).await?;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("release flyte in namespace flyte: flyte-core v1.16.8, Flyte v1.16.8"),
        "{stdout}"
    );
    assert!(
        stdout.contains("flytepropeller: deployment flytepropeller, image cr.flyte.org/flyteorg/flytepropeller:v1.16.8, service account flytepropeller"),
        "{stdout}"
    );
    assert!(stdout.contains("no findings"), "{stdout}");
    Ok(())
}

#[tokio::test]
async fn check_prints_each_finding_at_its_configmap_file_and_line_and_exits_1() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_kube, kc) = cluster(
        dir.path(),
        &["CustomResourceDefinition/sparkapplications.sparkoperator.k8s.io"],
    )
    .await?;
    let out = run(&[
        "--kubeconfig",
        &kc,
        "--namespace",
        "flyte",
        "--release",
        "flyte",
    ])
    .await?;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "configmap/flyte-propeller-config[enabled_plugins.yaml]:8:5: error[check-crd-missing] \
             flytepropeller tasks.task-plugins.enabled-plugins: plugin spark is enabled but CRD \
             sparkapplications.sparkoperator.k8s.io is not installed"
        ),
        "{stdout}"
    );

    let out = run(&["--kubeconfig", &kc, "-o", "json"]).await?;
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(json["chart"], "flyte-core");
    assert_eq!(json["flyte_version"], "v1.16.8");
    assert_eq!(json["findings"][0]["rule"], "check-crd-missing");
    assert_eq!(
        json["findings"][0]["source"]["config_map"],
        "flyte-propeller-config"
    );
    assert_eq!(json["findings"][0]["source"]["line"], 8);
    Ok(())
}

#[tokio::test]
async fn check_of_a_missing_release_is_one_error_line_naming_it() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_kube, kc) = cluster(dir.path(), &[]).await?;
    let out = run(&["--kubeconfig", &kc, "--release", "prod"]).await?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains("\"prod\"") && stderr.contains("namespace \"flyte\""),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(out.stdout.is_empty());
    Ok(())
}

#[tokio::test]
async fn check_never_prints_the_database_password() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_kube, kc) = cluster(dir.path(), &["ServiceAccount/datacatalog"]).await?;
    for format in ["text", "json"] {
        let out = run(&["--kubeconfig", &kc, "-o", format]).await?;
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(all.contains("check-storage-identity-missing"), "{all}");
        assert!(
            !all.contains("hunter2") && !all.contains("aHVudGVyMg"),
            "{all}"
        );
    }
    Ok(())
}
