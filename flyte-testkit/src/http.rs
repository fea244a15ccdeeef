//! The test kit's HTTP listener on 127.0.0.1: signed-URL uploads and downloads, (with auth on)
//! FlyteAdmin's OAuth2 HTTP endpoints, and `GET /testkit/calls`: the gRPC calls received per
//! method since start, as a JSON object, so that a client in any language can be measured.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine as _;
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Method, Request, Response, StatusCode};
use md5::{Digest as _, Md5};
use object_store::path::Path as StorePath;
use object_store::ObjectStoreExt as _;
use tokio::sync::oneshot;

use crate::executions::Shared;

fn text(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    let mut r = Response::new(Body::from(body.into()));
    *r.status_mut() = status;
    r
}

fn query_param(query: &str, key: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// A request body, or `None` when it is longer than `limit` bytes (whether or not it says its
/// length up front): what a handler holds in memory stays bounded. A body cut short is returned
/// as far as it came; the parse that follows says what is wrong with it.
pub(crate) async fn read_limited(body: Body, limit: usize) -> Option<Vec<u8>> {
    use hyper::body::HttpBody as _;
    if body.size_hint().lower() > limit as u64 {
        return None;
    }
    let mut body = body;
    let mut out = Vec::new();
    while let Some(Ok(chunk)) = body.data().await {
        if out.len() + chunk.len() > limit {
            return None;
        }
        out.extend_from_slice(&chunk);
    }
    Some(out)
}

/// Serves HTTP on an already bound listener until `shutdown` fires.
pub(crate) fn serve(
    shared: Arc<Shared>,
    listener: crate::listeners::Accepted,
    shutdown: oneshot::Receiver<()>,
) -> tokio::task::JoinHandle<()> {
    let make = make_service_fn(move |_| {
        let shared = Arc::clone(&shared);
        async move {
            Ok::<_, Infallible>(service_fn(move |req| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(route(shared, req).await) }
            }))
        }
    });
    let server = hyper::Server::builder(listener)
        .serve(make)
        .with_graceful_shutdown(async {
            let _ = shutdown.await;
        });
    tokio::spawn(async move {
        let _ = server.await;
    })
}

async fn route(shared: Arc<Shared>, req: Request<Body>) -> Response<Body> {
    let path = req.uri().path().to_owned();
    if path == "/testkit/calls" && req.method() == Method::GET {
        return calls(&shared);
    }
    if let Some(object) = path.strip_prefix("/blobs/") {
        let object = object.to_owned();
        return blob(&shared, req, &object).await;
    }
    match crate::auth::http_route(&shared, req).await {
        Some(response) => response,
        None => text(StatusCode::NOT_FOUND, format!("no route for {path}")),
    }
}

/// `{"GetExecution": 12, "ListExecutions": 3}`: every call counted, faults included, keys in
/// order.
fn calls(shared: &Shared) -> Response<Body> {
    let counts: std::collections::BTreeMap<String, u64> =
        shared.faults.all_calls().into_iter().collect();
    let mut response = Response::new(Body::from(
        serde_json::to_string(&counts).unwrap_or_else(|_| "{}".to_owned()),
    ));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// A signed-URL transfer: the signature must be one the data proxy issued, for this path and
/// method, not expired; an upload's `Content-MD5` must match what was signed.
async fn blob(shared: &Shared, req: Request<Body>, object: &str) -> Response<Body> {
    let query = req.uri().query().unwrap_or_default().to_owned();
    let Some(signature) = query_param(&query, "signature") else {
        return text(StatusCode::FORBIDDEN, "missing signature");
    };
    let grant = shared
        .grants
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&signature)
        .cloned();
    let Some(grant) = grant else {
        return text(StatusCode::FORBIDDEN, "signature does not match");
    };
    if grant.path != object {
        return text(StatusCode::FORBIDDEN, "signature is for another object");
    }
    if grant.expires_at < shared.clock.unix_now() {
        return text(StatusCode::FORBIDDEN, "request has expired");
    }
    let path = StorePath::from(object);
    match (req.method(), grant.method) {
        (&Method::PUT, "PUT") => {
            let header_md5 = req
                .headers()
                .get("content-md5")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = match hyper::body::to_bytes(req.into_body()).await {
                Ok(b) => b,
                Err(e) => {
                    return text(
                        StatusCode::BAD_REQUEST,
                        format!("reading the body failed: {e}"),
                    )
                }
            };
            let actual = Md5::digest(&body).to_vec();
            if let Some(expected) = &grant.md5 {
                let given = header_md5
                    .as_deref()
                    .and_then(|h| base64::engine::general_purpose::STANDARD.decode(h).ok());
                if given.as_deref() != Some(expected.as_slice()) {
                    return text(
                        StatusCode::FORBIDDEN,
                        "the signature requires a Content-MD5 header matching the signed hash",
                    );
                }
            }
            if let Some(h) = header_md5 {
                let given = base64::engine::general_purpose::STANDARD
                    .decode(&h)
                    .unwrap_or_default();
                if given != actual {
                    return text(
                        StatusCode::BAD_REQUEST,
                        "BadDigest: the Content-MD5 you specified did not match what was received",
                    );
                }
            }
            if let Err(e) = shared.store.put(&path, body.into()).await {
                return text(StatusCode::INTERNAL_SERVER_ERROR, format!("store: {e}"));
            }
            shared
                .md5s
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(object.to_owned(), actual);
            text(StatusCode::OK, "")
        }
        (&Method::GET, "GET") => match shared.store.get(&path).await {
            Ok(result) => match result.bytes().await {
                Ok(bytes) => Response::new(Body::from(bytes)),
                Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("store: {e}")),
            },
            Err(object_store::Error::NotFound { .. }) => text(StatusCode::NOT_FOUND, "NoSuchKey"),
            Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("store: {e}")),
        },
        _ => text(
            StatusCode::METHOD_NOT_ALLOWED,
            "the signature is for another method",
        ),
    }
}

/// The address to print for the HTTP listener.
pub(crate) fn base_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}
