//! Fault injection for client tests and benchmarks: scripted faults per RPC, random faults at a
//! seeded rate, added latency, and a count of calls per RPC.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tonic::body::BoxBody;
use tonic::codegen::http;
use tonic::{Code, Status};
use tower::{Layer, Service};

/// A fault the test kit can answer a call with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// `UNAVAILABLE`, the transient error clients retry.
    Unavailable,
    /// `RESOURCE_EXHAUSTED`.
    ResourceExhausted,
    /// `DEADLINE_EXCEEDED`, after waiting this long.
    DeadlineExceeded(Duration),
    /// `UNAUTHENTICATED`.
    Unauthenticated,
    /// The connection is dropped mid-call.
    DropConnection,
    /// Any status.
    Status(Code, String),
}

impl Fault {
    fn status(&self) -> Option<Status> {
        Some(match self {
            Fault::Unavailable => Status::unavailable("flyte-testkit: injected UNAVAILABLE"),
            Fault::ResourceExhausted => {
                Status::resource_exhausted("flyte-testkit: injected RESOURCE_EXHAUSTED")
            }
            Fault::DeadlineExceeded(_) => {
                Status::deadline_exceeded("flyte-testkit: injected DEADLINE_EXCEEDED")
            }
            Fault::Unauthenticated => {
                Status::unauthenticated("flyte-testkit: injected UNAUTHENTICATED")
            }
            Fault::Status(code, message) => Status::new(*code, message.clone()),
            Fault::DropConnection => return None,
        })
    }
}

/// The fault plan and the call counters.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    scripted: Mutex<HashMap<String, VecDeque<Fault>>>,
    counts: Mutex<HashMap<String, u64>>,
    /// Probability of an injected UNAVAILABLE per call, and the generator's state.
    random: Mutex<Option<(f64, u64)>>,
    pub(crate) latency: Mutex<Duration>,
    /// Connections accepted on the gRPC listener.
    pub(crate) connections: std::sync::atomic::AtomicU64,
    /// The request messages of the create calls, as they arrived.
    received: Mutex<HashMap<String, Vec<Vec<u8>>>>,
}

/// The calls whose request messages are kept as they arrived: registration's, where fields the
/// `flyteidl` crate does not know travel (the test kit's own decoding drops them).
const RECORDED: [&str; 3] = ["CreateTask", "CreateWorkflow", "CreateLaunchPlan"];

impl Faults {
    pub(crate) fn script(&self, rpc: &str, fault: Fault, times: usize) {
        let mut s = self
            .scripted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let queue = s.entry(rpc.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    pub(crate) fn set_random(&self, rate: f64, seed: u64) {
        *self
            .random
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            (rate > 0.0).then_some((rate.min(1.0), seed | 1));
    }

    pub(crate) fn calls(&self, rpc: &str) -> u64 {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(rpc)
            .copied()
            .unwrap_or(0)
    }

    pub(crate) fn received(&self, rpc: &str) -> Vec<Vec<u8>> {
        self.received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(rpc)
            .cloned()
            .unwrap_or_default()
    }

    /// Keeps the message of a gRPC request body (uncompressed frames; others are not kept).
    fn record(&self, rpc: &str, body: &[u8]) {
        let mut at = body;
        let mut messages = Vec::new();
        while let [0, a, b, c, d, rest @ ..] = at {
            let len = u32::from_be_bytes([*a, *b, *c, *d]) as usize;
            let Some(message) = rest.get(..len) else {
                break;
            };
            messages.push(message.to_vec());
            at = &rest[len..];
        }
        self.received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(rpc.to_owned())
            .or_default()
            .extend(messages);
    }

    pub(crate) fn all_calls(&self) -> HashMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Counts the call and decides its fault, if any.
    fn on_call(&self, rpc: &str) -> Option<Fault> {
        *self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(rpc.to_owned())
            .or_default() += 1;
        let scripted = self
            .scripted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_mut(rpc)
            .and_then(VecDeque::pop_front);
        if scripted.is_some() {
            return scripted;
        }
        let mut random = self
            .random
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (rate, state) = random.as_mut()?;
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let draw = (*state >> 11) as f64 / (1u64 << 53) as f64;
        (draw < *rate).then_some(Fault::Unavailable)
    }
}

/// The tower layer that applies [`Faults`] to every gRPC call.
#[derive(Debug, Clone)]
pub(crate) struct FaultLayer(pub(crate) Arc<Faults>);

impl<S> Layer<S> for FaultLayer {
    type Service = FaultService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FaultService {
            inner,
            faults: Arc::clone(&self.0),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct FaultService<S> {
    inner: S,
    faults: Arc<Faults>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S> Service<http::Request<hyper::Body>> for FaultService<S>
where
    S: Service<http::Request<hyper::Body>, Response = http::Response<BoxBody>>
        + Clone
        + Send
        + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = http::Response<BoxBody>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: http::Request<hyper::Body>) -> Self::Future {
        // The ready service handles this call; a fresh clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let faults = Arc::clone(&self.faults);
        let rpc = req
            .uri()
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        Box::pin(async move {
            let latency = *faults
                .latency
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !latency.is_zero() {
                crate::clock::sleep(latency).await;
            }
            match faults.on_call(&rpc) {
                None if RECORDED.contains(&rpc.as_str()) => {
                    let (parts, body) = req.into_parts();
                    let body = match crate::message_size::read_unary(body).await? {
                        Ok(body) => body,
                        Err(too_large) => return Ok(too_large.to_http()),
                    };
                    faults.record(&rpc, &body);
                    let req = http::Request::from_parts(parts, hyper::Body::from(body));
                    let response = inner.call(req).await.map_err(Into::into)?;
                    Ok(crate::message_size::as_grpc_go(response))
                }
                None => {
                    let response = inner.call(req).await.map_err(Into::into)?;
                    Ok(crate::message_size::as_grpc_go(response))
                }
                Some(Fault::DropConnection) => {
                    Err(format!("flyte-testkit: dropped the connection during {rpc}").into())
                }
                Some(fault) => {
                    if let Fault::DeadlineExceeded(wait) = &fault {
                        crate::clock::sleep(*wait).await;
                    }
                    let status = fault
                        .status()
                        .unwrap_or_else(|| Status::unavailable("flyte-testkit"));
                    Ok(status.to_http())
                }
            }
        })
    }
}
