//! S3 and MinIO configs against a mock S3 endpoint: path-style requests to the configured
//! endpoint, signed with the configured keys, and errors without the secret.
#![cfg(feature = "aws")]

mod raw_server;

use flyte_storage::FlyteStorage;
use raw_server::serve_raw;
use wiremock::matchers::{header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn minio(endpoint: &str) -> Result<FlyteStorage, Box<dyn std::error::Error>> {
    let config = flyte_config::Config::from_yaml_str(&format!(
        "storage:\n  type: minio\n  container: flytedata\n  connection:\n    endpoint: {endpoint}\n    auth-type: accesskey\n    access-key: minio\n    secret-key: miniostorage\n    disable-ssl: true\n"
    ))?;
    Ok(FlyteStorage::from_config(&config.storage)?)
}

#[tokio::test]
async fn minio_configs_send_signed_path_style_requests_to_the_endpoint() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/flytedata/runs/a.txt"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200).insert_header("ETag", "\"abc\""))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/flytedata/runs/a.txt"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"from s3".to_vec()))
        .mount(&server)
        .await;
    let s = minio(&server.uri())?;
    s.put("s3://flytedata/runs/a.txt", "hello").await?;
    assert_eq!(s.get("s3://flytedata/runs/a.txt").await?, "from s3");
    let auth = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            r.headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .next()
        .ok_or("no authorization header")?;
    assert!(
        auth.contains("Credential=minio/"),
        "signed with the access key: {auth}"
    );
    Ok(())
}

#[tokio::test]
async fn s3_failures_name_the_uri_and_never_the_secret() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_string(
            "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
        ))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let s = minio(&server.uri())?;
    let err = s.get("s3://flytedata/missing").await.expect_err("404");
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.to_string(), "s3://flytedata/missing: not found");
    let err = s
        .head("s3://flytedata/secret-place")
        .await
        .expect_err("403");
    let text = format!("{err} {err:?} {s:?}");
    assert!(!text.contains("miniostorage"), "{text}");
    let err = s.get("gs://flytedata/x").await.expect_err("wrong scheme");
    assert!(
        err.to_string()
            .contains("a gs:// URI, but the configured store takes s3://"),
        "{err}"
    );
    Ok(())
}

#[tokio::test]
async fn the_builder_makes_the_same_minio_store_as_a_config() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/flytedata/b/c.txt"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200).insert_header("ETag", "\"e\""))
        .expect(1)
        .mount(&server)
        .await;
    let s = flyte_storage::StorageBuilder::minio(server.uri())
        .access_keys("minio", "miniostorage")
        .container("flytedata")
        .build()?;
    s.put("s3://flytedata/b/c.txt", "x").await?;
    let e = s.get("s3://elsewhere/x").await.expect_err("container");
    assert!(e.to_string().contains("enable-multicontainer"), "{e}");
    assert!(!format!("{s:?}").contains("miniostorage"));
    Ok(())
}

#[tokio::test]
async fn a_download_cut_mid_stream_leaves_the_old_file_whole() -> TestResult {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    let head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nLast-Modified: Fri, 27 Nov 2026 10:00:00 GMT\r\nETag: \"e1\"\r\nConnection: close\r\n\r\n";
    serve_raw(listener, [head.as_bytes(), &[b'n'; 50_000]].concat())?;
    let s = minio(&endpoint)?.cloud_options(
        flyte_storage::CloudOptions::new().retry(flyte_storage::RetryPolicy::none()),
    );
    let dir = tempfile::tempdir()?;
    let dest = dir.path().join("outputs.pb");
    std::fs::write(&dest, b"the old file")?;
    let e = s
        .get_file("s3://flytedata/runs/outputs.pb", &dest)
        .await
        .err()
        .ok_or("half a body was taken for a download")?;
    assert!(
        e.to_string().contains("s3://flytedata/runs/outputs.pb"),
        "{e}"
    );
    assert_eq!(std::fs::read(&dest)?, b"the old file");
    let names: Vec<_> = std::fs::read_dir(dir.path())?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names, ["outputs.pb"], "no temporary file left");
    Ok(())
}

#[tokio::test]
async fn store_errors_keep_the_status_and_code_but_not_the_answer() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403).set_body_string(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match.</Message><AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 20261201T000000Z</StringToSign></Error>",
        ))
        .mount(&server)
        .await;
    let s = minio(&server.uri())?.cloud_options(
        flyte_storage::CloudOptions::new().retry(flyte_storage::RetryPolicy::none()),
    );
    let e = s
        .get("s3://flytedata/runs/a.txt")
        .await
        .err()
        .ok_or("a denied read succeeded")?;
    let mut shown = format!("{e} {e:?}");
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        shown.push_str(&format!(" / {c} {c:?}"));
        cause = c.source();
    }
    assert!(
        shown.contains("403") && shown.contains("SignatureDoesNotMatch"),
        "{shown}"
    );
    for leak in [
        "AKIAIOSFODNN7EXAMPLE",
        "StringToSign",
        "AWS4-HMAC",
        "miniostorage",
    ] {
        assert!(!shown.contains(leak), "{leak} in {shown}");
    }
    Ok(())
}
