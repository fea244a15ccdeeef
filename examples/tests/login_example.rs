//! The `login` example against the test kit with client credentials.

use std::process::Command;

mod common;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[tokio::test]
async fn logs_in_with_client_credentials_and_never_prints_the_token() -> TestResult {
    let admin = flyte_testkit::TestAdmin::builder()
        .auth(flyte_testkit::AuthSettings::default().client("robot", "s3cret"))
        .start()
        .await?;
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "admin:\n  endpoint: dns:///{}\n  insecure: true\n  authType: ClientSecret\n  clientId: robot\n  clientSecretEnvVar: ROBOT_SECRET\n",
            admin.addr()
        ),
    )?;
    let bin = common::example("login")?;
    let config_arg = config.to_string_lossy().into_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .args(["--config", &config_arg])
            .env_clear()
            .env("HOME", dir.path())
            .env("ROBOT_SECRET", "s3cret")
            .output()
    })
    .await??;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("subject: robot"), "{stdout}");
    assert!(stdout.contains("token expires in"), "{stdout}");
    assert!(
        !stdout.contains("eyJ") && !stderr.contains("eyJ"),
        "the token is never printed"
    );
    assert!(!stdout.contains("s3cret") && !stderr.contains("s3cret"));
    Ok(())
}

#[tokio::test]
async fn a_wrong_secret_exits_1_with_one_line() -> TestResult {
    let admin = flyte_testkit::TestAdmin::builder()
        .auth(flyte_testkit::AuthSettings::default().client("robot", "s3cret"))
        .start()
        .await?;
    let bin = common::example("login")?;
    let endpoint = admin.addr().to_string();
    let home = tempfile::tempdir()?;
    let home_path = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .args(["--endpoint", &endpoint, "--insecure"])
            .env_clear()
            .env("HOME", home_path)
            .env("FLYTE_ADMIN_AUTH_TYPE", "ClientSecret")
            .env("FLYTE_ADMIN_CLIENT_ID", "robot")
            .env("FLYTE_CREDENTIALS_CLIENT_SECRET", "nope")
            .output()
    })
    .await??;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("error: client credentials:"), "{stderr}");
    assert!(last.contains("invalid_client"), "{stderr}");
    assert!(!stderr.contains("nope"));
    Ok(())
}
