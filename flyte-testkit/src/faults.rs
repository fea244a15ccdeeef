//! Fault injection for client tests and benchmarks: scripted faults per RPC, random faults at a
//! seeded rate, added latency, and a count of calls per RPC.
//!
//! Most faults answer before the call is handled, so nothing changed on the server. Three come
//! after it was handled and what it creates is stored ([`Fault::LoseResponse`],
//! [`Fault::DropConnectionAfterCommit`], [`Fault::LateResponse`]): a client then sees a failure
//! (or gives up) although the call took effect, as when FlyteAdmin's answer is lost on the way
//! back, and a repeat of the call meets what the first one made.

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
    /// The call is handled (what it creates or changes is stored), then its answer is lost: the
    /// client gets `UNAVAILABLE`, as from a proxy whose upstream went away after the work was
    /// done, and may try again.
    LoseResponse,
    /// The call is handled, then the connection is dropped instead of the answer.
    DropConnectionAfterCommit,
    /// The call is handled, then its answer is held this long: a client whose per-attempt
    /// deadline passes first gives up on a call that took effect.
    LateResponse(Duration),
}

/// Faults drawn at random for gRPC calls (after any scripted ones), reproducibly from a seed:
/// a fraction answered `UNAVAILABLE` before being handled, and a fraction handled and then
/// answered `UNAVAILABLE` ([`Fault::LoseResponse`]). Give it to
/// [`TestAdminBuilder::random_fault_mix`](crate::TestAdminBuilder::random_fault_mix) or
/// [`TestAdmin::set_random_faults`](crate::TestAdmin::set_random_faults).
///
/// ```
/// use flyte_testkit::RandomFaults;
///
/// // One call in ten fails before it is handled, three in ten lose their answer after.
/// let faults = RandomFaults::new(7).unavailable(0.1).lose_answers(0.3);
/// assert_eq!(faults.lost_answer_rate(), 0.3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RandomFaults {
    unavailable: f64,
    lost_answers: f64,
    seed: u64,
}

impl RandomFaults {
    /// No faults yet, drawn from a generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        RandomFaults {
            unavailable: 0.0,
            lost_answers: 0.0,
            seed,
        }
    }

    /// Answers this fraction of calls with `UNAVAILABLE` before they are handled (clamped to
    /// 0..=1).
    #[must_use]
    pub fn unavailable(mut self, rate: f64) -> Self {
        self.unavailable = clamp(rate);
        self
    }

    /// Handles this fraction of calls and then loses their answer ([`Fault::LoseResponse`]);
    /// together with [`RandomFaults::unavailable`], at most every call.
    #[must_use]
    pub fn lose_answers(mut self, rate: f64) -> Self {
        self.lost_answers = clamp(rate);
        self
    }

    /// The fraction of calls answered `UNAVAILABLE` before being handled.
    pub fn unavailable_rate(&self) -> f64 {
        self.unavailable
    }

    /// The fraction of calls handled whose answer is lost.
    pub fn lost_answer_rate(&self) -> f64 {
        self.lost_answers
    }

    /// The generator's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// A rate as a probability: NaN and negatives are 0, more than 1 is 1.
fn clamp(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
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
            Fault::LoseResponse => Status::unavailable(
                "flyte-testkit: injected UNAVAILABLE after the call was handled (its answer was lost)",
            ),
            Fault::DropConnection | Fault::DropConnectionAfterCommit | Fault::LateResponse(_) => {
                return None
            }
        })
    }

    /// Whether the call is handled before this fault answers it.
    fn after_commit(&self) -> bool {
        matches!(
            self,
            Fault::LoseResponse | Fault::DropConnectionAfterCommit | Fault::LateResponse(_)
        )
    }
}

/// The fault plan and the call counters.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    scripted: Mutex<HashMap<String, VecDeque<Fault>>>,
    counts: Mutex<HashMap<String, u64>>,
    /// The random faults, and the generator's state.
    random: Mutex<Option<(RandomFaults, u64)>>,
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

    pub(crate) fn set_random(&self, faults: RandomFaults) {
        let any = faults.unavailable > 0.0 || faults.lost_answers > 0.0;
        *self
            .random
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            any.then_some((faults, faults.seed | 1));
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
        let (faults, state) = random.as_mut()?;
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let draw = (*state >> 11) as f64 / (1u64 << 53) as f64;
        if draw < faults.unavailable {
            Some(Fault::Unavailable)
        } else if draw < faults.unavailable + faults.lost_answers {
            Some(Fault::LoseResponse)
        } else {
            None
        }
    }
}

/// Hands a call to the service (its request message recorded when [`RECORDED`] names it) and
/// its answer back as FlyteAdmin would give it.
async fn handle<S>(
    inner: &mut S,
    faults: &Faults,
    rpc: &str,
    req: http::Request<hyper::Body>,
) -> Result<http::Response<BoxBody>, BoxError>
where
    S: Service<http::Request<hyper::Body>, Response = http::Response<BoxBody>>,
    S::Error: Into<BoxError>,
{
    let req = if RECORDED.contains(&rpc) {
        let (parts, body) = req.into_parts();
        let body = match crate::message_size::read_unary(body).await? {
            Ok(body) => body,
            Err(too_large) => return Ok(too_large.to_http()),
        };
        faults.record(rpc, &body);
        http::Request::from_parts(parts, hyper::Body::from(body))
    } else {
        req
    };
    let response = inner.call(req).await.map_err(Into::into)?;
    Ok(crate::message_size::as_grpc_go(response))
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
            let fault = faults.on_call(&rpc);
            match fault {
                None => handle(&mut inner, &faults, &rpc, req).await,
                Some(after) if after.after_commit() => {
                    // A unary handler has run to its end (stored what it makes) once its
                    // response is here; only the answer is lost.
                    let answer = handle(&mut inner, &faults, &rpc, req).await?;
                    if let Fault::LateResponse(wait) = after {
                        crate::clock::sleep(wait).await;
                        return Ok(answer);
                    }
                    drop(answer);
                    match after.status() {
                        Some(status) => Ok(status.to_http()),
                        None => Err(format!(
                            "flyte-testkit: dropped the connection after handling {rpc}"
                        )
                        .into()),
                    }
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
