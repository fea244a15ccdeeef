//! The `deploy` example as a user runs it: findings with positions, JSON, exit codes.

use std::process::{Command, Output};

mod common;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn run(args: &[&str]) -> Result<Output, Box<dyn std::error::Error>> {
    Ok(Command::new(common::example("deploy")?)
        .args(args)
        .env_clear()
        .output()?)
}

#[test]
fn lint_prints_positions_and_exits_1_on_errors() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("values.yaml");
    std::fs::write(
        &path,
        "configuration:\n  database:\n    postgres:\n      host: db\n  storage:\n    metadataContainer: <BUCKET_NAME>\n",
    )?;
    let file = path.to_string_lossy();
    let out = run(&["lint", &file])?;
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "{file}:3:5: error[misplaced-key] configuration.database.postgres: "
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{file}:6:24: error[placeholder] ")),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("as flyte-binary (guessed"));

    let out = run(&["lint", &file, "--chart", "flyte-binary", "-o", "json"])?;
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(json["chart"], "flyte-binary");
    assert_eq!(json["chartGuessed"], false);
    assert_eq!(json["findings"][0]["rule"], "misplaced-key");
    assert_eq!(json["findings"][0]["line"], 3);
    assert_eq!(json["findings"][0]["column"], 5);
    Ok(())
}

#[test]
fn lint_exits_0_on_warnings_only_and_1_on_files_that_are_not_yaml() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("values.yaml");
    std::fs::write(&path, "flyteadmin:\n  replicaCont: 2\n")?;
    let file = path.to_string_lossy();
    let out = run(&["lint", &file, "--chart", "flyte-core"])?;
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("did you mean `flyteadmin.replicaCount`?"),
        "{stdout}"
    );

    std::fs::write(&path, "a: [1,\n")?;
    let out = run(&["lint", &file])?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!("error: {file}: the values file is not valid YAML")),
        "{stderr}"
    );
    let out = run(&["lint", &file, "--chart", "flyte"])?;
    assert_eq!(out.status.code(), Some(2), "clap refuses an unknown chart");
    Ok(())
}
