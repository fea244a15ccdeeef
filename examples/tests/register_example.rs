//! The register example against the test kit, with flytekit's own packages
//! (flyte-admin-client's fixtures), as a user runs it.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

use flyte_testkit::TestAdmin;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../flyte-admin-client/tests/fixtures/pyflyte")
        .join(name)
}

async fn run(admin: &TestAdmin, args: &[&str]) -> Result<Output, Box<dyn std::error::Error>> {
    common::run_against(admin, "register", args).await
}

/// Where the tests register: project, domain and version.
const TARGET: [&str; 6] = ["-p", "flytesnacks", "-d", "development", "--version", "v1"];

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn registers_a_fast_package_then_finds_it_registered() -> TestResult {
    let admin = TestAdmin::start().await?;
    let package = fixture("demo-fast.tgz");
    let package = package.to_str().ok_or("path")?;
    let args = [&[package][..], &TARGET].concat();
    let out = run(&admin, &args).await?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("code bundle: s3://flyte-testkit/"),
        "{stdout}"
    );
    let row = [
        "task",
        "flytesnacks:development:demo.hello.say_hello:v1",
        "registered",
    ];
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == row),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("11 registered, 0 already registered, 0 failed, 0 not registered"),
        "{stdout}"
    );

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let out = run(&admin, &json_args).await?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["counts"]["already_registered"], 11, "{report}");
    assert_eq!(
        report["entities"][0]["file"],
        "00_demo.hello.say_hello_1.pb"
    );
    Ok(())
}

#[tokio::test]
async fn exits_1_with_a_one_line_reason() -> TestResult {
    let admin = TestAdmin::start().await?;
    let package = fixture("demo.tgz");
    let package = package.to_str().ok_or("path")?;
    // No version anywhere: refused before anything is sent.
    let out = run(&admin, &[package, "-p", "flytesnacks", "-d", "development"]).await?;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("--version"),
        "{err}"
    );

    // A missing file.
    let out = run(
        &admin,
        &["nope.tgz", "-p", "x", "-d", "y", "--version", "v"],
    )
    .await?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("nope.tgz"),
        "{}",
        text(&out.stderr)
    );
    Ok(())
}

#[tokio::test]
async fn registers_archives_from_a_url_beside_local_ones() -> TestResult {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let admin = TestAdmin::start().await?;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/artifacts/podtemplate.tgz"))
        .respond_with(
            ResponseTemplate::new(200).set_body_bytes(std::fs::read(fixture("podtemplate.tgz"))?),
        )
        .mount(&server)
        .await;
    let url = format!("{}/artifacts/podtemplate.tgz", server.uri());
    let local = fixture("demo.tgz");
    let local = local.to_str().ok_or("path")?;
    let args = [&[url.as_str(), local][..], &TARGET, &["--json"]].concat();
    let out = run(&admin, &args).await?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["counts"]["registered"], 13, "11 + 2: {report}");

    // A URL that answers 404: exit 1, the URL named.
    let gone = format!("{}/artifacts/gone.tgz", server.uri());
    let out = run(
        &admin,
        &[gone.as_str(), "-p", "x", "-d", "y", "--version", "v"],
    )
    .await?;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("/artifacts/gone.tgz") && err.contains("404"),
        "{err}"
    );
    Ok(())
}
