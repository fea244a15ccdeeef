//! Every example ends quietly when its reader goes away (`| head -1`): status 0, nothing on
//! stderr, no panic. The outputs here are larger than a pipe's buffer (64 KiB on Linux), so
//! the example is still writing when the pipe closes.

use std::io::BufRead as _;
use std::process::{Command, Stdio};

mod common;

use flyte_admin_client::{AdminClient, LaunchPlanId};
use flyte_testkit::TestAdmin;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Runs example `name` against the test kit with stdout a pipe, reads one line, closes the
/// pipe, and returns that line with the example's status and stderr.
async fn first_line_then_close(
    admin: &TestAdmin,
    name: &str,
    args: &[&str],
) -> Result<(String, std::process::ExitStatus, String), Box<dyn std::error::Error>> {
    let mut cmd = Command::new(common::example(name)?);
    cmd.args(["--endpoint", &admin.addr().to_string(), "--insecure"])
        .args(args)
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Blocking reads on a worker thread: the test kit serves on this test's runtime.
    Ok(tokio::task::spawn_blocking(
        move || -> std::io::Result<(String, std::process::ExitStatus, String)> {
            let mut child = cmd.spawn()?;
            let stdout = child.stdout.take().ok_or(std::io::ErrorKind::NotFound)?;
            let mut line = String::new();
            std::io::BufReader::new(stdout).read_line(&mut line)?;
            // The reader (and so the pipe's only read end) is dropped here, as `head -1` exits.
            let out = child.wait_with_output()?;
            Ok((
                line,
                out.status,
                String::from_utf8_lossy(&out.stderr).into(),
            ))
        },
    )
    .await??)
}

#[tokio::test]
async fn a_listing_ends_quietly_when_its_pipe_closes() -> TestResult {
    let ids: Vec<String> = (0..2000).map(|i| format!("team-{i:05}")).collect();
    let admin = TestAdmin::builder().projects(ids).start().await?;
    let (first, status, stderr) = first_line_then_close(&admin, "projects", &["list"]).await?;
    assert!(first.starts_with("ID "), "{first}");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");
    Ok(())
}

#[tokio::test]
async fn a_stream_ends_quietly_when_its_pipe_closes() -> TestResult {
    let admin = TestAdmin::start().await?;
    common::register_wf(&admin).await?;
    let client = AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .build()?;
    let lp = LaunchPlanId::new("flytesnacks", "development", "wf", "v1");
    let inputs = serde_json::json!({"x": 1});
    let inputs = inputs.as_object().ok_or("object")?;
    for _ in 0..1000 {
        client.execute_launch_plan(&lp, None, inputs).await?;
    }
    let args = [
        "list",
        "-p",
        "flytesnacks",
        "-d",
        "development",
        "-o",
        "json",
    ];
    let (first, status, stderr) = first_line_then_close(&admin, "executions", &args).await?;
    let row: serde_json::Value = serde_json::from_str(&first)?;
    assert_eq!(row["launch_plan"], "wf:v1", "{first}");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");
    Ok(())
}

/// The examples write stdout only through `outln!`/`out!`, which end quietly on a closed pipe.
#[test]
fn no_example_prints_with_println() -> TestResult {
    let dir = env!("CARGO_MANIFEST_DIR");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path)?;
            for (n, line) in text.lines().enumerate() {
                let stdout_macro = ["println!(", "print!("]
                    .iter()
                    .any(|m| line.contains(m) && !line.contains(&format!("e{m}")));
                assert!(!stdout_macro, "{}:{}: {line}", path.display(), n + 1);
            }
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} examples found in {dir}");
    Ok(())
}
