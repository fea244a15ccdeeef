//! The tower layer a gRPC channel wears: it attaches the token, and when the server answers
//! UNAUTHENTICATED it invalidates that token, gets another and sends the call once more.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Body as _;
use tonic::body::BoxBody;
use tonic::codegen::http;
use tower::{Layer, Service};

use crate::credentials::Credentials;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Adds [`Credentials`] to the calls of a tonic channel, lazily as flytectl does: calls go
/// without a token until the server first answers UNAUTHENTICATED; from then on every call
/// carries one, and a refused call gets a new token and one retry.
///
/// Give the credentials an unlayered channel (or an HTTP base) for discovery; discovering
/// through the layered channel would wait on itself.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    credentials: Option<Credentials>,
    needed: Arc<AtomicBool>,
}

impl AuthLayer {
    /// A layer that authenticates with `credentials`.
    pub fn new(credentials: Credentials) -> Self {
        AuthLayer {
            credentials: Some(credentials),
            needed: Arc::default(),
        }
    }

    /// A layer that sends calls as they are (a server with auth off, or a config without a
    /// usable login); UNAUTHENTICATED answers pass through.
    pub fn none() -> Self {
        AuthLayer {
            credentials: None,
            needed: Arc::default(),
        }
    }

    /// Sends a token from the first call on, instead of waiting for UNAUTHENTICATED.
    pub fn eager(self) -> Self {
        self.needed.store(true, Ordering::SeqCst);
        self
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            credentials: self.credentials.clone(),
            needed: Arc::clone(&self.needed),
        }
    }
}

/// The service [`AuthLayer`] wraps a channel in.
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    credentials: Option<Credentials>,
    needed: Arc<AtomicBool>,
}

const UNAUTHENTICATED: &str = "16";

fn unauthenticated<B>(resp: &http::Response<B>) -> bool {
    // A refused call is answered trailers-only, so the status is in the headers.
    resp.headers()
        .get("grpc-status")
        .is_some_and(|v| v.as_bytes() == UNAUTHENTICATED.as_bytes())
}

fn body(bytes: Bytes) -> BoxBody {
    http_body::Full::new(bytes)
        .map_err(|e: std::convert::Infallible| match e {})
        .boxed_unsync()
}

fn request(
    parts: &http::request::Parts,
    bytes: &Bytes,
    header: Option<(&str, String)>,
    proxy: Option<&str>,
) -> Result<http::Request<BoxBody>, BoxError> {
    let mut builder = http::Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.clone())
        .version(parts.version);
    for (k, v) in &parts.headers {
        builder = builder.header(k, v);
    }
    if let Some((name, value)) = header {
        builder = builder.header(name, value);
    }
    if let Some(p) = proxy {
        builder = builder.header("proxy-authorization", p);
    }
    Ok(builder.body(body(bytes.clone()))?)
}

impl<S, B> Service<http::Request<BoxBody>> for AuthService<S>
where
    S: Service<http::Request<BoxBody>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    type Response = http::Response<B>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: http::Request<BoxBody>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let credentials = self.credentials.clone();
        let needed = Arc::clone(&self.needed);
        Box::pin(async move {
            let Some(credentials) = credentials else {
                return inner.call(req).await.map_err(Into::into);
            };
            let (parts, body) = req.into_parts();
            // Kept so the call can be sent again after UNAUTHENTICATED.
            let bytes = hyper::body::to_bytes(body)
                .await
                .map_err(|s| Box::new(s) as BoxError)?;
            let proxy = credentials.proxy_authorization().map(str::to_owned);
            let token = if needed.load(Ordering::SeqCst) {
                match credentials.token().await {
                    Ok(t) => Some(t),
                    Err(e) if e.is_disabled() => None,
                    Err(e) => return Err(Box::new(e) as BoxError),
                }
            } else {
                None
            };
            let header = match &token {
                Some(t) => Some((credentials.header_name().await, t.header_value())),
                None => None,
            };
            let first = request(
                &parts,
                &bytes,
                header.as_ref().map(|(n, v)| (n.as_str(), v.clone())),
                proxy.as_deref(),
            )?;
            let resp = inner.call(first).await.map_err(Into::into)?;
            if !unauthenticated(&resp) {
                return Ok(resp);
            }
            needed.store(true, Ordering::SeqCst);
            if let Some(t) = &token {
                credentials.invalidate(t);
            }
            let fresh = match credentials.token().await {
                Ok(t) => t,
                // Auth is off after all: the refusal is the server's answer.
                Err(e) if e.is_disabled() => return Ok(resp),
                Err(e) => return Err(Box::new(e) as BoxError),
            };
            let name = credentials.header_name().await;
            let retry = request(
                &parts,
                &bytes,
                Some((name.as_str(), fresh.header_value())),
                proxy.as_deref(),
            )?;
            let mut ready = inner.clone();
            futures_ready(&mut ready).await?;
            ready.call(retry).await.map_err(Into::into)
        })
    }
}

async fn futures_ready<S, R>(svc: &mut S) -> Result<(), BoxError>
where
    S: Service<R>,
    S::Error: Into<BoxError>,
{
    std::future::poll_fn(|cx| svc.poll_ready(cx))
        .await
        .map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Credentials;
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn attaches_the_token_and_the_proxy_header() -> Result<(), BoxError> {
        let config = flyte_config::Config::from_yaml_str(
            "admin:\n  endpoint: dns:///x:1\n  authType: ExternalCommand\n  command: [sh, -c, echo tok]\n  proxyCommand: [sh, -c, echo Bearer proxy-tok]\n  authorizationHeader: flyte-authorization\n",
        )?;
        let creds = Credentials::from_config(&config)?;
        let seen: Arc<Mutex<Vec<http::HeaderMap>>> = Arc::default();
        let record = Arc::clone(&seen);
        let inner = tower::service_fn(move |req: http::Request<BoxBody>| {
            let record = Arc::clone(&record);
            async move {
                record
                    .lock()
                    .map_err(|_| "poisoned")?
                    .push(req.headers().clone());
                Ok::<_, BoxError>(http::Response::new(()))
            }
        });
        let mut svc = AuthLayer::new(creds).eager().layer(inner);
        let req = http::Request::builder()
            .uri("http://x/flyteidl.service.AdminService/ListProjects")
            .body(body(Bytes::from_static(b"abc")))?;
        svc.call(req).await?;
        let headers = seen
            .lock()
            .map_err(|_| "poisoned")?
            .pop()
            .ok_or("no call")?;
        assert_eq!(
            headers.get("flyte-authorization").map(|v| v.as_bytes()),
            Some(&b"Bearer tok"[..])
        );
        assert_eq!(
            headers.get("proxy-authorization").map(|v| v.as_bytes()),
            Some(&b"Bearer proxy-tok"[..])
        );
        Ok(())
    }
}
