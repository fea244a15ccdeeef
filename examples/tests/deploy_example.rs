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

/// The flags `init` needs for each cloud, with values a user would pass.
fn cloud_flags(cloud: &str) -> Vec<&'static str> {
    let mut flags = vec!["--db-host", "flyte-db.internal"];
    flags.extend(match cloud {
        "aws" => vec![
            "--bucket",
            "acme-flyte",
            "--region",
            "us-east-1",
            "--role-arn",
            "arn:aws:iam::123456789012:role/flyte",
        ],
        "gcp" => vec![
            "--bucket",
            "acme-flyte",
            "--project",
            "acme-prod",
            "--gcp-service-account",
            "flyte@acme-prod.iam.gserviceaccount.com",
        ],
        "azure" => vec![
            "--bucket",
            "flyte-data",
            "--storage-account",
            "acmeflyte",
            "--azure-client-id",
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        ],
        _ => vec![
            "--bucket",
            "flyte",
            "--endpoint",
            "http://minio.flyte.svc:9000",
            "--access-key",
            "flyte",
            "--secret-key-env",
            "MINIO_SECRET",
        ],
    });
    flags
}

#[test]
fn init_writes_starter_values_that_lint_clean_for_every_chart_and_cloud() -> TestResult {
    let dir = tempfile::tempdir()?;
    for chart in ["flyte-binary", "flyte-core"] {
        for cloud in ["aws", "gcp", "azure", "minio"] {
            let mut args = vec!["init", "--chart", chart, "--cloud", cloud];
            args.extend(cloud_flags(cloud));
            let out = Command::new(common::example("deploy")?)
                .args(&args)
                .env_clear()
                .env("MINIO_SECRET", "hunter2-minio")
                .output()?;
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{chart} {cloud}: {stderr}");
            let yaml = String::from_utf8(out.stdout)?;
            assert!(yaml.starts_with(&format!("# Values for Flyte's {chart} chart")));
            let report = flyte_deploy::Linter::new().lint(&yaml)?;
            assert_eq!(report.chart.name(), chart);
            assert!(
                report.findings.is_empty(),
                "{chart} {cloud}: {:#?}",
                report.findings
            );
            assert!(!stderr.contains("hunter2"), "{stderr}");

            // The same file through `deploy lint`, as a user would check it.
            let path = dir.path().join(format!("{chart}-{cloud}.yaml"));
            std::fs::write(&path, &yaml)?;
            let out = run(&["lint", &path.to_string_lossy()])?;
            assert_eq!(out.status.code(), Some(0), "{chart} {cloud}");
            assert!(
                out.stdout.is_empty(),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
    Ok(())
}

#[test]
fn init_refuses_to_replace_a_file_without_force() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("values.yaml");
    let file = path.to_string_lossy().into_owned();
    let mut args = vec![
        "init",
        "--chart",
        "flyte-core",
        "--cloud",
        "aws",
        "--out",
        &file,
    ];
    args.extend(cloud_flags("aws"));
    let out = run(&args)?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let first = std::fs::read_to_string(&path)?;
    assert!(first.contains("eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/flyte"));
    // The values may carry a database password: owner only.
    #[cfg(unix)]
    assert_eq!(mode(&path)?, 0o600);

    std::fs::write(&path, "mine: true\n")?;
    #[cfg(unix)]
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
    let out = run(&args)?;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("error: {file} exists; pass --force to replace it\n")
    );
    assert_eq!(
        std::fs::read_to_string(&path)?,
        "mine: true\n",
        "left untouched"
    );

    args.push("--force");
    let out = run(&args)?;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&path)?, first);
    #[cfg(unix)]
    assert_eq!(mode(&path)?, 0o600, "a replaced file is narrowed too");
    Ok(())
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> std::io::Result<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
}

#[test]
fn init_names_missing_and_invalid_inputs() -> TestResult {
    let out = run(&[
        "init",
        "--chart",
        "flyte-binary",
        "--cloud",
        "aws",
        "--bucket",
        "acme-flyte",
    ])?;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: region is required for flyte-binary on aws\n"
    );
    let mut args = vec!["init", "--chart", "flyte-binary", "--cloud", "gcp"];
    args.extend(
        cloud_flags("gcp")
            .into_iter()
            .map(|f| if f == "acme-prod" { "Acme" } else { f }),
    );
    let out = run(&args)?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("error: project \"Acme\" is not valid: "),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut args = vec!["init", "--chart", "flyte-core", "--cloud", "minio"];
    args.extend(cloud_flags("minio"));
    let out = run(&args)?;
    assert_eq!(
        out.status.code(),
        Some(1),
        "MINIO_SECRET is not set in a clear environment"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: the environment variable MINIO_SECRET is not set\n"
    );
    let out = run(&["init", "--chart", "flyte-core", "--cloud", "aws-gov"])?;
    assert_eq!(out.status.code(), Some(2), "clap refuses an unknown cloud");
    Ok(())
}
