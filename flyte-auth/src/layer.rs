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
///
/// A login that fails ends the call with UNAUTHENTICATED, its message saying why (discovery
/// naming each place it asked, the identity provider's refusal, a login's timeout); the
/// [`Error`](crate::Error) is the status's source.
///
/// Put it outside layers that bound each attempt (a retry layer's per-attempt timeout): a
/// person logging in is bounded by the login's own timeout, not by the RPC's.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    credentials: Option<Credentials>,
    needed: Arc<AtomicBool>,
    carried: Carried,
}

/// Copies one type of request extension onto the repeat after UNAUTHENTICATED.
type Carry = fn(&http::Extensions, &mut http::Extensions);

/// The extension types copied onto a repeated request (`http` 0.2's extensions cannot be
/// cloned whole).
#[derive(Clone, Default)]
struct Carried(Vec<Carry>);

impl std::fmt::Debug for Carried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} extension types", self.0.len())
    }
}

impl Carried {
    fn copy(&self, from: &http::Extensions) -> http::Extensions {
        let mut to = http::Extensions::new();
        for carry in &self.0 {
            carry(from, &mut to);
        }
        to
    }
}

fn carry<T: Clone + Send + Sync + 'static>(from: &http::Extensions, to: &mut http::Extensions) {
    if let Some(value) = from.get::<T>() {
        to.insert(value.clone());
    }
}

impl AuthLayer {
    /// A layer that authenticates with `credentials`.
    pub fn new(credentials: Credentials) -> Self {
        AuthLayer {
            credentials: Some(credentials),
            needed: Arc::default(),
            carried: Carried::default(),
        }
    }

    /// A layer that sends calls as they are (a server with auth off, or a config without a
    /// usable login); UNAUTHENTICATED answers pass through.
    pub fn none() -> Self {
        AuthLayer {
            credentials: None,
            needed: Arc::default(),
            carried: Carried::default(),
        }
    }

    /// Sends a token from the first call on, instead of waiting for UNAUTHENTICATED.
    pub fn eager(self) -> Self {
        self.needed.store(true, Ordering::SeqCst);
        self
    }

    /// Keeps request extensions of type `T` on the repeat after UNAUTHENTICATED, for layers
    /// below this one that read them (a retry layer's "safe to repeat" marker). The first
    /// sending always carries every extension.
    #[must_use]
    pub fn carry<T: Clone + Send + Sync + 'static>(mut self) -> Self {
        self.carried.0.push(carry::<T>);
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
            carried: self.carried.clone(),
        }
    }
}

/// The service [`AuthLayer`] wraps a channel in.
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    credentials: Option<Credentials>,
    needed: Arc<AtomicBool>,
    carried: Carried,
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

/// The call ended by a failed login: UNAUTHENTICATED, saying why, with the error as its source.
fn login_failed(e: crate::Error) -> BoxError {
    let mut status = tonic::Status::unauthenticated(format!("cannot log in: {e}"));
    status.set_source(Arc::new(e));
    Box::new(status)
}

fn request(
    parts: &http::request::Parts,
    extensions: http::Extensions,
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
    let mut req = builder.body(body(bytes.clone()))?;
    *req.extensions_mut() = extensions;
    Ok(req)
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
        let carried = self.carried.clone();
        Box::pin(async move {
            let Some(credentials) = credentials else {
                return inner.call(req).await.map_err(Into::into);
            };
            let (mut parts, body) = req.into_parts();
            // Kept so the call can be sent again after UNAUTHENTICATED.
            let bytes = hyper::body::to_bytes(body)
                .await
                .map_err(|s| Box::new(s) as BoxError)?;
            let extensions = std::mem::take(&mut parts.extensions);
            let again = carried.copy(&extensions);
            let proxy = credentials
                .proxy_authorization()
                .await
                .map_err(login_failed)?
                .map(|p| p.expose().to_owned());
            let token = if needed.load(Ordering::SeqCst) {
                match credentials.token().await {
                    Ok(t) => Some(t),
                    Err(e) if e.is_disabled() => None,
                    Err(e) => return Err(login_failed(e)),
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
                extensions,
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
                Err(e) => return Err(login_failed(e)),
            };
            let name = credentials.header_name().await;
            let retry = request(
                &parts,
                again,
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

    #[tokio::test]
    async fn carried_extensions_reach_the_repeat_after_unauthenticated() -> Result<(), BoxError> {
        #[derive(Clone, Debug, PartialEq)]
        struct Marker(u8);
        #[derive(Clone, Debug)]
        struct NotCarried;
        let config = flyte_config::Config::from_yaml_str(
            "admin:\n  endpoint: dns:///x:1\n  authType: ExternalCommand\n  command: [sh, -c, echo tok]\n  authorizationHeader: authorization\n",
        )?;
        let creds = Credentials::from_config(&config)?;
        // Per sending: the carried marker, and whether the other extension came along.
        type Seen = Vec<(Option<Marker>, bool)>;
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let record = Arc::clone(&seen);
        let inner = tower::service_fn(move |req: http::Request<BoxBody>| {
            let record = Arc::clone(&record);
            async move {
                let mut seen = record.lock().map_err(|_| "poisoned")?;
                seen.push((
                    req.extensions().get::<Marker>().cloned(),
                    req.extensions().get::<NotCarried>().is_some(),
                ));
                // Refuse the first sending, as a server wanting a login does.
                let mut resp = http::Response::new(());
                if seen.len() == 1 {
                    resp.headers_mut()
                        .insert("grpc-status", http::HeaderValue::from_static("16"));
                }
                Ok::<_, BoxError>(resp)
            }
        });
        let mut svc = AuthLayer::new(creds).carry::<Marker>().layer(inner);
        let mut req = http::Request::builder()
            .uri("http://x/flyteidl.service.AdminService/ListProjects")
            .body(body(Bytes::from_static(b"abc")))?;
        req.extensions_mut().insert(Marker(7));
        req.extensions_mut().insert(NotCarried);
        svc.call(req).await?;
        let seen = seen.lock().map_err(|_| "poisoned")?.clone();
        assert_eq!(
            seen,
            vec![(Some(Marker(7)), true), (Some(Marker(7)), false)],
            "the first sending keeps every extension, the repeat the carried ones"
        );
        Ok(())
    }
}
