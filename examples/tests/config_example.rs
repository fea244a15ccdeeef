//! The `config` example as a user runs it: exit codes, output lines, files written.

use std::path::Path;
use std::process::{Command, Output};

mod common;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn run(args: &[&str], home: &Path) -> Result<Output, Box<dyn std::error::Error>> {
    let out = Command::new(common::example("config")?)
        .args(args)
        .env_clear()
        .env("HOME", home)
        .current_dir(home)
        .output()?;
    Ok(out)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn validate_prints_positions_and_exits_1_on_errors() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "admin:\n  endpoint: localhost:1\n  insecure: true\n  maxRetries: -3\n  retries: 2\n",
    )?;
    let out = run(
        &["validate", "--config", &path.to_string_lossy()],
        dir.path(),
    )?;
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let p = path.display();
    assert!(
        stdout.contains(&format!("{p}:4:15: admin.maxRetries: must be 0 or more")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{p}:5:3: warning: admin.retries: unknown key")),
        "{stdout}"
    );

    std::fs::write(&path, "admin:\n  endpoint: localhost:1\n  insecure: true\n")?;
    let out = run(
        &["validate", "--config", &path.to_string_lossy()],
        dir.path(),
    )?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(out.stdout.is_empty());
    Ok(())
}

#[test]
fn validate_reports_syntax_errors_with_their_position() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("broken.yaml");
    std::fs::write(&path, "admin:\n  endpoint: [x\n")?;
    let out = run(
        &["validate", "--config", &path.to_string_lossy()],
        dir.path(),
    )?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).starts_with(&format!("{}:", path.display())),
        "{}",
        text(&out.stdout)
    );
    Ok(())
}

#[test]
fn show_redacts_secrets_and_names_the_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let flyte = dir.path().join(".flyte");
    std::fs::create_dir_all(&flyte)?;
    std::fs::write(
        flyte.join("config.yaml"),
        "admin:\n  endpoint: dns:///flyte.example.com\nstorage:\n  connection:\n    secret-key: very-secret\n",
    )?;
    let out = run(&["show"], dir.path())?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("# source: "), "{stdout}");
    assert!(stdout.contains(".flyte/config.yaml"), "{stdout}");
    assert!(
        stdout.contains("endpoint: dns:///flyte.example.com"),
        "{stdout}"
    );
    assert!(!stdout.contains("very-secret"), "{stdout}");
    assert!(
        stdout.contains("maxRetries: 4"),
        "defaults are shown: {stdout}"
    );

    let out = run(&["show", "-o", "json"], dir.path())?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        json["config"]["storage"]["connection"]["secret-key"],
        "[redacted]"
    );
    assert_eq!(json["config"]["admin"]["perRetryTimeout"], "15s");
    Ok(())
}

#[test]
fn init_writes_once_and_needs_force_to_overwrite() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = run(
        &[
            "init",
            "--host",
            "flyte.example.com:443",
            "--console",
            "https://console.example.com",
        ],
        dir.path(),
    )?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = dir.path().join(".flyte/config.yaml");
    let config = flyte_config::Config::from_path(&written)?;
    assert_eq!(config.admin.endpoint, "dns:///flyte.example.com:443");
    assert_eq!(config.console.endpoint, "https://console.example.com");

    let out = run(&["init", "--host", "other.example.com"], dir.path())?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");

    let out = run(
        &[
            "init",
            "--host",
            "other.example.com",
            "--insecure",
            "--force",
        ],
        dir.path(),
    )?;
    assert_eq!(out.status.code(), Some(0));
    let config = flyte_config::Config::from_path(&written)?;
    assert_eq!(config.admin.endpoint, "dns:///other.example.com");
    assert!(config.admin.insecure);
    Ok(())
}

#[test]
fn help_and_env_listing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = run(&["--help"], dir.path())?;
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("validate"));
    let out = run(&["env"], dir.path())?;
    let stdout = text(&out.stdout);
    assert!(
        stdout.lines().any(|l| l.starts_with("admin.endpoint")
            && l.contains("FLYTE_ADMIN_ENDPOINT")
            && l.contains("FLYTE_PLATFORM_URL")),
        "{stdout}"
    );
    Ok(())
}
