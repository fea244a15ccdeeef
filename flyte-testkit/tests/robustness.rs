//! Hostile requests through the real servers: list filters with any text, malformed page and
//! auth tokens, oversized messages and MockKube bodies. Each gets a typed error naming what was
//! wrong, and the server answers the next request as usual.

mod common;

use common::*;
use flyte_testkit::flyteidl::flyteidl::admin::{
    NamedEntityIdentifier, ProjectListRequest, ResourceListRequest,
};
use flyte_testkit::flyteidl::flyteidl::core::{ResourceType, SimpleType};
use flyte_testkit::{AuthSettings, MockKube, TestAdmin};
use hyper::{Body, Method, Request, StatusCode};
use tonic::Code;

fn scope() -> Option<NamedEntityIdentifier> {
    Some(NamedEntityIdentifier {
        project: P.into(),
        domain: D.into(),
        ..Default::default()
    })
}

fn list(filters: &str, token: &str) -> ResourceListRequest {
    ResourceListRequest {
        id: scope(),
        limit: 10,
        filters: filters.into(),
        token: token.into(),
        ..Default::default()
    }
}

/// A test kit with the basic entities registered and one execution, finished.
async fn one_execution() -> Result<(TestAdmin, Client), Box<dyn std::error::Error>> {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    register_basic(&mut c, "v1").await?;
    let lp = id(ResourceType::LaunchPlan, "wf", "v1");
    c.create_execution(exec_request(lp, "e1", lits(&[("x", int(1))])))
        .await?;
    admin
        .wait_for_terminal(&exec_id("e1"))
        .await
        .ok_or("gone")?;
    Ok((admin, c))
}

/// The server still answers: an execution list with a plain filter finds the one execution.
async fn still_answers(c: &mut Client) -> TestResult {
    let page = c
        .list_executions(list("eq(phase,SUCCEEDED)", ""))
        .await?
        .into_inner();
    assert_eq!(page.executions.len(), 1, "the server keeps answering");
    Ok(())
}

#[tokio::test]
async fn list_filters_with_any_text_are_answered_or_refused_as_invalid_arguments() -> TestResult {
    let (_admin, mut c) = one_execution().await?;

    // Refused, with FlyteAdmin's message naming the bad part.
    for (filters, message) in [
        ("ü(phase,1)", "unrecognized filter function: ü"),
        ("eq(名前,値)", "'execution.名前' is invalid filter"),
        ("eq(phase,\u{0}", "invalid value for filters"),
        ("gt(duration,1é)", "Failed to parse duration [1é]"),
        ("gt(duration,1e400)", "Failed to parse duration [1e400]"),
        ("gt(duration,NaN)", "Failed to parse duration [NaN]"),
        (
            "lt(duration,99999999999h)",
            "Failed to parse duration [99999999999h]",
        ),
        ("value_in(duration,1s;;2s)", "Failed to parse duration []"),
    ] {
        let err = c
            .list_executions(list(filters, ""))
            .await
            .expect_err(filters);
        assert_eq!(
            (err.code(), err.message()),
            (Code::InvalidArgument, message),
            "{filters}"
        );
    }
    // Values a column cannot hold match nothing (FlyteAdmin leaves them to the database).
    for filters in [
        "eq(phase,99999999999999999999999)",
        "eq(phase,-9223372036854775808)",
        "gt(started_at,2024-01-0)",
        "gt(started_at,2024-01-01T00:00:00)",
        "gt(started_at,2024-01-01T00:00:00.ééééZ)",
        "gt(started_at,99999-01-01T00:00:00Z)",
        "eq(execution_name,🦀\u{feff}\u{202e})",
        "contains(execution_name,\u{0})",
    ] {
        let page = c.list_executions(list(filters, "")).await?.into_inner();
        assert!(page.executions.is_empty(), "{filters}");
    }
    // A filter of 1 MiB of multi-byte characters is read, and matches nothing.
    let long = format!("eq(execution_name,{})", "é".repeat(1 << 19));
    let page = c.list_executions(list(&long, "")).await?.into_inner();
    assert!(page.executions.is_empty());
    still_answers(&mut c).await
}

#[tokio::test]
async fn malformed_page_tokens_are_invalid_arguments() -> TestResult {
    let (_admin, mut c) = one_execution().await?;
    for token in [
        "x",
        "-1",
        "1e3",
        " 1",
        "9223372036854775808",
        "18446744073709551616",
        "é",
        "\u{0}",
    ] {
        let err = c.list_tasks(list("", token)).await.expect_err(token);
        assert_eq!(
            (err.code(), err.message()),
            (
                Code::InvalidArgument,
                format!("invalid pagination token {token} for ListTasks").as_str()
            )
        );
    }
    // The largest offset FlyteAdmin reads is an empty page, not an overflow.
    let page = c
        .list_tasks(list("", "9223372036854775807"))
        .await?
        .into_inner();
    assert_eq!((page.tasks.len(), page.token.as_str()), (0, ""));
    still_answers(&mut c).await
}

#[tokio::test]
async fn a_message_over_four_mib_is_resource_exhausted() -> TestResult {
    // FlyteAdmin's `server.grpc.maxMessageSizeBytes` is 0 by default: grpc-go's 4 MiB limit on
    // what it receives, which is tonic's default too.
    let (_admin, mut c) = one_execution().await?;
    let huge = task_request(
        &"t".repeat(5 << 20),
        "v1",
        iface(&[("x", SimpleType::Integer)], &[]),
    );
    let err = c.create_task(huge).await.expect_err("over the limit");
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    // Under the limit, a 3 MiB filter is read and refused for what it is, in a message cut to
    // FlyteAdmin's 32,000 bytes.
    let column = "c".repeat(3 << 20);
    let err = c
        .list_tasks(list(&format!("eq({column},1)"), ""))
        .await
        .expect_err("an unknown column");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().starts_with("'task.ccc"),
        "{}",
        &err.message()[..40]
    );
    assert_eq!(err.message().len(), 32_000);
    still_answers(&mut c).await
}

#[tokio::test]
async fn malformed_auth_tokens_are_unauthenticated() -> TestResult {
    let admin = TestAdmin::builder()
        .auth(AuthSettings::default().client("robot", "s3cret"))
        .start()
        .await?;
    let mut c = connect(&admin).await?;
    let long = "a".repeat(16 << 10);
    let values: Vec<&[u8]> = vec![
        b"",
        b"Bearer",
        b"Bearer ",
        b"Bearer a.b.c",
        b"Bearer ....",
        b"Basic cm9ib3Q6czNjcmV0",
        b"Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
        b"Bearer \xc3\xa9\xff",
        long.as_bytes(),
    ];
    for value in values {
        let mut req = tonic::Request::new(ProjectListRequest::default());
        req.metadata_mut().insert(
            "flyte-authorization",
            tonic::metadata::MetadataValue::try_from(value)?,
        );
        let err = c.list_projects(req).await.expect_err("refused");
        assert_eq!(
            err.code(),
            Code::Unauthenticated,
            "{:?}",
            String::from_utf8_lossy(&value[..value.len().min(40)])
        );
    }
    // The server still answers a well-formed request (unauthenticated, as before).
    let err = c
        .list_projects(ProjectListRequest::default())
        .await
        .expect_err("no token");
    assert_eq!(err.code(), Code::Unauthenticated);

    // The OAuth2 endpoints read forms of any bytes, and refuse one over Go's 10 MiB form limit.
    let token_url = format!("{}/oauth2/token", admin.http_endpoint());
    for body in [
        &b"grant_type=client_credentials&scope=%ZZ%"[..],
        b"\xff\xfe\x00=&&&==",
        b"grant_type=password",
    ] {
        let (status, text) = http(Method::POST, &token_url, "", body.to_vec()).await?;
        assert!(status.is_client_error(), "{status}: {text}");
        assert!(text.contains("\"error\""), "{text}");
    }
    let (status, text) = http(Method::POST, &token_url, "", vec![b'a'; 11 << 20]).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("POST too large"), "{text}");
    Ok(())
}

async fn http(
    method: Method,
    url: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<(StatusCode, String), Box<dyn std::error::Error>> {
    let req = Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", content_type)
        .body(Body::from(body))?;
    let resp = hyper::Client::new().request(req).await?;
    let status = resp.status();
    let bytes = hyper::body::to_bytes(resp.into_body()).await?;
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

/// MockKube's `Status` answer to `method` on the secret `ns/s` with `body`: code, reason, message
/// and the first cause.
async fn kube(
    kube: &MockKube,
    method: Method,
    content_type: &str,
    body: Vec<u8>,
) -> Result<(StatusCode, serde_json::Value), Box<dyn std::error::Error>> {
    let url = format!(
        "{}/api/v1/namespaces/ns/secrets/s?fieldManager=test",
        kube.url()
    );
    let (status, text) = http(method, &url, content_type, body).await?;
    Ok((status, serde_json::from_str(&text)?))
}

#[tokio::test]
async fn mock_kube_refuses_bad_bodies_with_the_api_servers_status() -> TestResult {
    let mock = MockKube::start().await?;
    mock.insert(serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "ns"}}));
    mock.insert(serde_json::json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "s", "namespace": "ns", "finalizers": ["a"]}}));
    let json_patch = "application/json-patch+json";
    let ops = |v: serde_json::Value| v.to_string().into_bytes();
    let cases: Vec<(Method, &str, Vec<u8>, u16, &str)> = vec![
        (
            Method::PATCH,
            json_patch,
            ops(
                serde_json::json!([{"op": "test", "path": "/metadata/finalizers/0", "value": "b"}]),
            ),
            422,
            "Invalid",
        ),
        (
            Method::PATCH,
            json_patch,
            ops(serde_json::json!([{"op": "remove", "path": "/metadata/labels"}])),
            422,
            "Invalid",
        ),
        (
            Method::PATCH,
            json_patch,
            b"{\"op\": \"add\"}".to_vec(),
            400,
            "BadRequest",
        ),
        (
            Method::PATCH,
            json_patch,
            vec![b'['; 100_000],
            400,
            "BadRequest",
        ),
        (
            Method::PATCH,
            "application/merge-patch+json",
            b"null".to_vec(),
            400,
            "BadRequest",
        ),
        (
            Method::PATCH,
            "application/apply-patch+yaml",
            b"kind: Secret".to_vec(),
            400,
            "BadRequest",
        ),
        (
            Method::PATCH,
            "text/plain",
            b"{}".to_vec(),
            415,
            "UnsupportedMediaType",
        ),
        (
            Method::PUT,
            "application/json",
            b"[1, 2]".to_vec(),
            400,
            "BadRequest",
        ),
        (
            Method::PUT,
            "application/json",
            format!("{{\"n\": 1{}}}", "0".repeat(400)).into_bytes(),
            400,
            "BadRequest",
        ),
        (
            Method::PATCH,
            "application/merge-patch+json",
            vec![b' '; 4 << 20],
            413,
            "RequestEntityTooLarge",
        ),
    ];
    for (method, content_type, body, code, reason) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(60)]).into_owned();
        let (status, answer) = kube(&mock, method, content_type, body).await?;
        assert_eq!(
            (
                status.as_u16(),
                answer["kind"].as_str(),
                answer["reason"].as_str()
            ),
            (code, Some("Status"), Some(reason)),
            "{content_type} {shown}: {answer}"
        );
        assert_eq!(answer["code"], code);
    }
    // A JSON patch that does not apply: the API server's words, and the mock's reason why.
    let (_, answer) = kube(
        &mock,
        Method::PATCH,
        json_patch,
        ops(serde_json::json!([{"op": "replace", "path": "/metadata/labels/x", "value": "1"}])),
    )
    .await?;
    assert_eq!(
        answer["message"],
        "the server rejected our request due to an error in our request"
    );
    assert_eq!(
        answer["details"]["causes"][0]["message"],
        "operation 0 (replace) failed at path '/metadata/labels/x': path is invalid"
    );

    // A body streamed without a length is refused past the limit too.
    let (mut tx, body) = Body::channel();
    tokio::spawn(async move {
        for _ in 0..64 {
            if tx
                .send_data(bytes::Bytes::from(vec![b' '; 64 << 10]))
                .await
                .is_err()
            {
                break;
            }
        }
    });
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("{}/api/v1/namespaces/ns/secrets/s", mock.url()))
        .body(body)?;
    let resp = hyper::Client::new().request(req).await?;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Nothing changed, and the server still answers.
    let secret = mock
        .object("Secret", "ns", "s")
        .ok_or("the secret is gone")?;
    assert_eq!(secret["metadata"]["finalizers"], serde_json::json!(["a"]));
    let (status, answer) = kube(
        &mock,
        Method::PATCH,
        json_patch,
        ops(serde_json::json!([
            {"op": "copy", "from": "/metadata/finalizers/0", "path": "/metadata/finalizers/-"},
            {"op": "test", "path": "/metadata/finalizers", "value": ["a", "a"]},
        ])),
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["metadata"]["finalizers"],
        serde_json::json!(["a", "a"])
    );
    Ok(())
}
