//! The exact requests flyte-k8s sends, checked on kube's tower-test pair: server-side apply with
//! field manager `flyte-rs`, the apply-patch content type, dry runs, and no write when the
//! object already says what we want.

use flyte_k8s::{Action, K8s, Tenant};
use http::{Method, Request, Response};
use http_body_util::BodyExt as _;
use kube::client::Body;
use serde_json::{json, Value};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn respond(code: u16, body: &Value) -> Result<Response<Body>, http::Error> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string().into_bytes()))
}

fn not_found(name: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
           "code": 404, "message": format!("namespaces \"{name}\" not found")})
}

fn namespace(labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace",
           "metadata": {"name": "ml-team-development", "labels": labels, "resourceVersion": "7"}})
}

type SendError = Box<dyn std::error::Error + Send + Sync>;

async fn body(req: Request<Body>) -> Result<(http::request::Parts, Value), SendError> {
    let (parts, body) = req.into_parts();
    let bytes = body.collect().await?.to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)?
    };
    Ok((parts, value))
}

#[tokio::test]
async fn a_new_namespace_is_one_get_and_one_server_side_apply() -> TestResult {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let k8s = K8s::new(kube::Client::new(service, "default")).dry_run(true);
    let server = tokio::spawn(async move {
        let (req, send) = handle.next_request().await.ok_or("no GET")?;
        let (parts, _) = body(req).await?;
        assert_eq!(parts.method, Method::GET);
        assert_eq!(parts.uri.path(), "/api/v1/namespaces/ml-team-development");
        send.send_response(respond(404, &not_found("ml-team-development"))?);

        let (req, send) = handle.next_request().await.ok_or("no PATCH")?;
        let (parts, sent) = body(req).await?;
        assert_eq!(parts.method, Method::PATCH);
        assert_eq!(parts.uri.path(), "/api/v1/namespaces/ml-team-development");
        let query = parts.uri.query().unwrap_or_default();
        assert!(
            query.contains("fieldManager=flyte-rs") && query.contains("dryRun=All"),
            "{query}"
        );
        assert_eq!(
            parts
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/apply-patch+yaml")
        );
        assert_eq!(sent["kind"], "Namespace");
        assert_eq!(sent["metadata"]["labels"]["flyte.org/project"], "ml-team");
        assert_eq!(
            sent["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "flyte-rs"
        );
        send.send_response(respond(200, &sent)?);
        Ok::<_, SendError>(())
    });
    let changes = k8s
        .ensure_tenant(&Tenant::new("ml-team", ["development"]))
        .await?;
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].action, changes[0].dry_run),
        (Action::Created, true)
    );
    server.await?.map_err(|e| e.to_string())?;
    Ok(())
}

#[tokio::test]
async fn a_namespace_that_already_says_so_is_not_written() -> TestResult {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let k8s = K8s::new(kube::Client::new(service, "default"));
    let server = tokio::spawn(async move {
        let (req, send) = handle.next_request().await.ok_or("no GET")?;
        assert_eq!(req.method(), Method::GET);
        let labels = json!({"flyte.org/project": "ml-team", "flyte.org/domain": "development",
                            "app.kubernetes.io/managed-by": "flyte-rs", "extra": "kept"});
        send.send_response(respond(200, &namespace(labels))?);
        // Nothing else may come: the next request would be a write.
        Ok::<_, SendError>(handle)
    });
    let changes = k8s
        .ensure_tenant(&Tenant::new("ml-team", ["development"]))
        .await?;
    assert_eq!(changes[0].action, Action::Unchanged);
    let mut handle = server.await?.map_err(|e| e.to_string())?;
    drop(k8s);
    assert!(handle.next_request().await.is_none(), "no write was sent");
    Ok(())
}

fn secret_list(names: &[&str], continue_token: Option<&str>) -> Value {
    let items: Vec<Value> = names
        .iter()
        .map(|n| {
            json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                        "metadata": {"name": n, "namespace": "ns"}, "data": {"k": "eA=="}})
        })
        .collect();
    let mut metadata = json!({"resourceVersion": "10"});
    if let Some(t) = continue_token {
        metadata["continue"] = json!(t);
    }
    json!({"apiVersion": "v1", "kind": "SecretList", "metadata": metadata, "items": items})
}

#[tokio::test]
async fn an_expired_continue_token_restarts_the_list_whole() -> TestResult {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let k8s = K8s::new(kube::Client::new(service, "default")).page_size(2);
    let server = tokio::spawn(async move {
        let mut queries = Vec::new();
        let (req, send) = handle.next_request().await.ok_or("no first page")?;
        queries.push(req.uri().query().unwrap_or_default().to_owned());
        send.send_response(respond(200, &secret_list(&["a", "b"], Some("tok-1")))?);

        let (req, send) = handle.next_request().await.ok_or("no second page")?;
        queries.push(req.uri().query().unwrap_or_default().to_owned());
        let gone = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                          "reason": "Expired", "code": 410,
                          "message": "The provided continue parameter is too old"});
        send.send_response(respond(410, &gone)?);

        let (req, send) = handle.next_request().await.ok_or("no whole list")?;
        queries.push(req.uri().query().unwrap_or_default().to_owned());
        send.send_response(respond(200, &secret_list(&["a", "b", "c"], None))?);
        Ok::<_, SendError>(queries)
    });
    let names: Vec<String> = k8s
        .list_secrets("ns")
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["a", "b", "c"], "each once, from the whole list");
    let queries = server.await?.map_err(|e| e.to_string())?;
    assert!(queries[0].contains("limit=2"), "{queries:?}");
    assert!(
        queries[1].contains("limit=2") && queries[1].contains("continue=tok-1"),
        "{queries:?}"
    );
    assert!(
        !queries[2].contains("limit=") && !queries[2].contains("continue="),
        "{queries:?}"
    );
    Ok(())
}
