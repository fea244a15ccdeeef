//! Signed-URL transfers against a mock server: the headers, the accepted statuses, and errors
//! that never show the signature.

use std::collections::HashMap;

use flyte_storage::{content_md5, Error, SignedUrls};
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
