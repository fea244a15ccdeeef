//! Signed-URL transfers against a mock server: the headers, the accepted statuses, and errors
//! that never show the signature.

use std::collections::HashMap;

mod raw_server;

use flyte_storage::{content_md5, Error, SignedUrls};
use raw_server::serve_raw;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[tokio::test]
async fn put_sends_the_servers_headers_and_the_md5() -> TestResult {
    let server = MockServer::start().await;
    let body = b"fast-register bundle".to_vec();
    Mock::given(method("PUT"))
        .and(path("/bucket/fast/abc.tar.gz"))
        .and(header("Content-MD5", content_md5(&body).as_str()))
        .and(header("x-amz-meta-owner", "ci"))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    let s = SignedUrls::new();
    let url = format!(
        "{}/bucket/fast/abc.tar.gz?X-Amz-Signature=s3cr3t",
        server.uri()
    );
    let headers = HashMap::from([("x-amz-meta-owner".to_owned(), "ci".to_owned())]);
    s.put(&url, &headers, body).await?;
    Ok(())
}

/// S3's answer to a PUT whose signature does not match: it names the access key id and the
/// string the server signed.
const S3_SIGNATURE_MISMATCH: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message><AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n20261201T000000Z</StringToSign></Error>";

#[tokio::test]
async fn get_downloads_and_failures_hide_the_signature() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/bucket/outputs.pb"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"data".to_vec()))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(403).set_body_string(S3_SIGNATURE_MISMATCH))
        .mount(&server)
        .await;
    let s = SignedUrls::new();
    let got = s
        .get(&format!("{}/bucket/outputs.pb?sig=s3cr3t", server.uri()))
        .await?;
    assert_eq!(got, "data");

    let err = s
        .get(&format!("{}/bucket/missing?sig=s3cr3t", server.uri()))
        .await
        .expect_err("404");
    let text = err.to_string();
    assert!(text.contains("/bucket/missing: HTTP 404"), "{text}");
    assert!(
        !text.contains("s3cr3t") && !format!("{err:?}").contains("s3cr3t"),
        "{text}"
    );

    let err = s
        .put(
            &format!("{}/bucket/x?sig=s3cr3t", server.uri()),
            &HashMap::new(),
            "x",
        )
        .await
        .expect_err("403");
    assert!(matches!(err, Error::Transfer { .. }));
    let text = err.to_string();
    assert!(
        text.contains("HTTP 403") && text.contains("SignatureDoesNotMatch"),
        "{text}"
    );
    assert!(!text.contains("s3cr3t"), "{text}");
    for leak in ["AKIAIOSFODNN7EXAMPLE", "StringToSign", "AWS4-HMAC"] {
        assert!(
            !text.contains(leak) && !format!("{err:?}").contains(leak),
            "{leak} in {err:?}"
        );
    }

    // Nothing listening: a transport error, still without the signature.
    let err = s
        .get("http://127.0.0.1:9/x?sig=s3cr3t")
        .await
        .expect_err("refused");
    assert!(!err.to_string().contains("s3cr3t"), "{err}");
    let mut chain = format!("{err:?}");
    let mut cause = std::error::Error::source(&err);
    assert!(cause.is_some(), "the HTTP client's error is the source");
    while let Some(c) = cause {
        chain.push_str(&format!(" / {c} {c:?}"));
        cause = c.source();
    }
    assert!(!chain.contains("s3cr3t"), "{chain}");
    Ok(())
}

#[tokio::test]
async fn gets_stop_at_the_size_limit() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![7u8; 1000]))
        .mount(&server)
        .await;
    let url = format!("{}/bucket/archive.tgz?sig=s3cr3t", server.uri());
    let s = SignedUrls::new();
    assert_eq!(s.get_limited(&url, 1000).await?.len(), 1000);
    let e = s
        .get_limited(&url, 999)
        .await
        .err()
        .ok_or("over the limit")?;
    assert!(
        matches!(
            e,
            Error::TooLarge {
                size: Some(1000),
                limit: 999,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("/bucket/archive.tgz") && !e.to_string().contains("s3cr3t"));
    let e = s
        .clone()
        .max_get_bytes(10)
        .get(&url)
        .await
        .err()
        .ok_or("over")?;
    assert!(e.is_too_large(), "{e:?}");

    // Without a Content-Length (chunked), the body is cut off at the limit while reading.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/bucket/archive.tgz", listener.local_addr()?);
    let chunk = format!("{:x}\r\n{}\r\n", 4096, "z".repeat(4096));
    let mut response =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..64 {
        response.extend_from_slice(chunk.as_bytes());
    }
    response.extend_from_slice(b"0\r\n\r\n");
    serve_raw(listener, response)?;
    let e = s
        .get_limited(&url, 10_000)
        .await
        .err()
        .ok_or("over the limit")?;
    assert!(
        matches!(
            e,
            Error::TooLarge {
                size: None,
                limit: 10_000,
                ..
            }
        ),
        "{e:?}"
    );
    Ok(())
}

#[tokio::test]
async fn the_client_handed_over_is_the_one_used() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("x-configured", "yes"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"ok".to_vec()))
        .expect(1)
        .mount(&server)
        .await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-configured",
        reqwest::header::HeaderValue::from_static("yes"),
    );
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()?;
    let s = SignedUrls::with_client(http);
    assert_eq!(s.get(&format!("{}/b/k", server.uri())).await?, "ok");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_times_out() -> TestResult {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/bucket/k?sig=s3cr3t", listener.local_addr()?);
    // Accepted by the kernel, never answered.
    let e = SignedUrls::new()
        .get(&url)
        .await
        .err()
        .ok_or("an answer from nowhere")?;
    assert!(matches!(e, Error::Transfer { .. }), "{e:?}");
    let mut chain = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        chain.push_str(&format!(" / {c}"));
        cause = c.source();
    }
    assert!(chain.contains("timed out"), "{chain}");
    assert!(!chain.contains("s3cr3t"), "{chain}");
    drop(listener);
    Ok(())
}

#[tokio::test]
async fn only_azure_blob_hosts_get_the_blob_type_header() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    // The Azure name in the path, not in the host.
    let url = format!("{}/x.blob.core.windows.net/k?sig=s3cr3t", server.uri());
    SignedUrls::new().put(&url, &HashMap::new(), "x").await?;
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].headers.get("x-ms-blob-type").is_none(),
        "{:?}",
        requests[0].headers
    );
    Ok(())
}

#[tokio::test]
async fn user_and_password_in_a_url_never_reach_an_error() -> TestResult {
    assert_eq!(
        flyte_storage::redact_url("https://user:hunter2@host.example/p/k?sig=s3cr3t#f"),
        "https://host.example/p/k"
    );
    assert_eq!(
        flyte_storage::redact_url("https://a@b:hunter2@host.example"),
        "https://host.example"
    );
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let url = server.uri().replacen("http://", "http://user:hunter2@", 1) + "/b/k";
    let e = SignedUrls::new().get(&url).await.err().ok_or("404")?;
    let shown = format!("{e} {e:?}");
    assert!(
        shown.contains("HTTP 404") && !shown.contains("hunter2"),
        "{shown}"
    );
    Ok(())
}
