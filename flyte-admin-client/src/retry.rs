//! The retry layer: one tower layer on the client's channel, beside flyte-auth's, so that every
//! RPC (typed helpers, registration's raw calls and the `*_service()` clients alike) is retried
//! by the same rules: which calls are safe to repeat (a table by gRPC path), which failures are
//! transient, the backoff with jitter, the deadline of each attempt and of the whole call.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use flyte_config::RetryPolicy;
use http_body::Body as _;
use tonic::body::BoxBody;
use tonic::codegen::http;
use tower::{Layer, Service};
use tracing::Instrument as _;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Marks a request as safe to send again, for a call the retry table does not already retry
/// ([`is_idempotent`]): put it in the request's extensions.
///
/// The client's own `CreateExecution`, `RelaunchExecution` and `RecoverExecution` always name
/// the execution (making a name when none is given) and are marked this way: a repeat then
/// meets ALREADY_EXISTS instead of starting a second execution. With a raw service client:
///
/// ```no_run
/// # async fn run(client: flyte_admin_client::AdminClient) -> Result<(), tonic::Status> {
/// use flyte_admin_client::{generate_execution_name, pb::admin, Idempotent};
///
/// let mut request = tonic::Request::new(admin::ExecutionCreateRequest {
///     project: "flytesnacks".into(),
///     domain: "development".into(),
///     // Named, so a repeat cannot start a second one.
///     name: generate_execution_name().unwrap_or_else(|| "nightly-7".into()),
///     ..Default::default()
/// });
/// request.extensions_mut().insert(Idempotent);
/// client.admin_service().create_execution(request).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Idempotent;

/// Counts the attempts of one call (crate-private: the creates need to know whether an
/// ALREADY_EXISTS answered a repeat of their own call).
#[derive(Debug, Clone, Default)]
pub(crate) struct Attempts(pub(crate) Arc<AtomicU32>);

impl Attempts {
    pub(crate) fn get(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The methods whose repeat changes nothing, by gRPC method name. Reads; creates of tasks,
/// workflows, launch plans and projects (when the first attempt's answer was lost, a repeat
/// answers ALREADY_EXISTS: registration, `register_project` and `set_signal` compare what is
/// stored and succeed when it is what they sent; a caller of `create_task` sees the error),
/// `SetSignal` (FlyteAdmin overwrites); updates and deletes that set a state; signed-URL
/// requests. Not here, so never repeated unless marked [`Idempotent`]: `CreateExecution`,
/// `RelaunchExecution`, `RecoverExecution` (a repeat of an unnamed one starts a second
/// execution; the client's own name them and are marked), propeller's `Create*Event` calls,
/// and every method this table does not know.
const IDEMPOTENT: &[(&str, &[&str])] = &[
    (
        "flyteidl.service.AdminService",
        &[
            "CreateTask",
            "CreateWorkflow",
            "CreateLaunchPlan",
            "RegisterProject",
            "UpdateProject",
            "UpdateLaunchPlan",
            "UpdateNamedEntity",
            "UpdateExecution",
            "TerminateExecution",
            "UpdateProjectAttributes",
            "UpdateProjectDomainAttributes",
            "UpdateWorkflowAttributes",
            "DeleteProjectAttributes",
            "DeleteProjectDomainAttributes",
            "DeleteWorkflowAttributes",
            "GetActiveLaunchPlan",
            "GetDescriptionEntity",
            "GetDynamicNodeWorkflow",
            "GetExecution",
            "GetExecutionData",
            "GetExecutionMetrics",
            "GetLaunchPlan",
            "GetNamedEntity",
            "GetNodeExecution",
            "GetNodeExecutionData",
            "GetProject",
            "GetProjectAttributes",
            "GetProjectDomainAttributes",
            "GetTask",
            "GetTaskExecution",
            "GetTaskExecutionData",
            "GetVersion",
            "GetWorkflow",
            "GetWorkflowAttributes",
            "ListActiveLaunchPlans",
            "ListDescriptionEntities",
            "ListExecutions",
            "ListLaunchPlanIds",
            "ListLaunchPlans",
            "ListMatchableAttributes",
            "ListNamedEntities",
            "ListNodeExecutions",
            "ListNodeExecutionsForTask",
            "ListProjects",
            "ListTaskExecutions",
            "ListTaskIds",
            "ListTasks",
            "ListWorkflowIds",
            "ListWorkflows",
        ],
    ),
    (
        "flyteidl.service.DataProxyService",
        &[
            "CreateUploadLocation",
            "CreateDownloadLocation",
            "CreateDownloadLink",
            "GetData",
        ],
    ),
    (
        "flyteidl.service.SignalService",
        &["GetOrCreateSignal", "ListSignals", "SetSignal"],
    ),
    ("flyteidl.service.IdentityService", &["UserInfo"]),
    (
        "flyteidl.service.AgentMetadataService",
        &["GetAgent", "ListAgents"],
    ),
    (
        "flyteidl.service.AuthMetadataService",
        &["GetOAuth2Metadata", "GetPublicClientConfig"],
    ),
    // DataCatalog's reads. Its creates answer ALREADY_EXISTS when repeated, and a reservation
    // repeated after its answer was lost could extend another owner's hold: both are sent once.
    (
        "datacatalog.DataCatalog",
        &["GetDataset", "GetArtifact", "ListArtifacts", "ListDatasets"],
    ),
];

/// Whether the retry layer repeats calls to `path` (`/flyteidl.service.AdminService/GetTask`)
/// after a transient failure without being asked: reads, and writes whose repeat changes
/// nothing. Any other call is sent once unless its request carries [`Idempotent`].
pub fn is_idempotent(path: &str) -> bool {
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let (Some(service), Some(method)) = (parts.next(), parts.next()) else {
        return false;
    };
    IDEMPOTENT
        .iter()
        .any(|(s, methods)| *s == service && methods.contains(&method))
}

/// Whether a failed attempt is worth repeating: a transient code ([`crate::Error::is_transient`]:
/// RESOURCE_EXHAUSTED only when it does not say a message is too large), and not a TLS refusal.
fn transient(outcome: &Outcome, code: tonic::Code) -> bool {
    let message = match outcome {
        Outcome::Answer(resp) => tonic::Status::from_header_map(resp.headers())
            .map(|s| s.message().to_owned())
            .unwrap_or_default(),
        Outcome::Failed(status) if tls_rejected(status) => return false,
        Outcome::Failed(status) => status.message().to_owned(),
    };
    crate::error::transient(code.into(), &message)
}

/// Whether the call failed because TLS refused the server (an unknown CA, a wrong name): tonic
/// reports that as UNAVAILABLE, but no retry can change the certificate.
pub(crate) fn tls_rejected(status: &tonic::Status) -> bool {
    use tokio_rustls::rustls;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(status);
    while let Some(e) = cur {
        let inner_is_tls = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
        if inner_is_tls || e.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        cur = e.source();
    }
    false
}

/// The gRPC code of an answer whose status came with its headers (a "trailers-only" answer:
/// every refusal of a unary call), or of an HTTP error from a proxy, as tonic reads them.
/// `None` for an answer that carries a message: its status comes after it and is not retried.
fn answered_code<B>(resp: &http::Response<B>) -> Option<tonic::Code> {
    if let Some(code) = resp.headers().get("grpc-status") {
        return Some(tonic::Code::from_bytes(code.as_bytes()));
    }
    match resp.status() {
        http::StatusCode::OK => None,
        http::StatusCode::TOO_MANY_REQUESTS
        | http::StatusCode::BAD_GATEWAY
        | http::StatusCode::SERVICE_UNAVAILABLE
        | http::StatusCode::GATEWAY_TIMEOUT => Some(tonic::Code::Unavailable),
        _ => Some(tonic::Code::Unknown),
    }
}

/// Applies a [`RetryPolicy`] to every call of a channel.
#[derive(Debug, Clone)]
pub(crate) struct RetryLayer {
    policy: RetryPolicy,
}

impl RetryLayer {
    pub(crate) fn new(policy: RetryPolicy) -> Self {
        RetryLayer { policy }
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = Retry<S>;

    fn layer(&self, inner: S) -> Retry<S> {
        Retry {
            inner,
            policy: self.policy,
        }
    }
}

/// The service [`RetryLayer`] wraps a channel in.
#[derive(Debug, Clone)]
pub(crate) struct Retry<S> {
    inner: S,
    policy: RetryPolicy,
}

impl<S, B> Service<http::Request<BoxBody>> for Retry<S>
where
    S: Service<http::Request<BoxBody>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Unpin + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<BoxBody>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: http::Request<BoxBody>) -> Self::Future {
        // The first attempt goes to the service made ready by `poll_ready` (it holds the
        // channel's slot for this call); retries go to clones made ready anew.
        let clone = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, clone);
        Box::pin(attempts(ready, self.policy, req))
    }
}

/// One outcome of an attempt: an answer, or a failure with the status tonic would make of it.
enum Outcome {
    Answer(http::Response<BoxBody>),
    Failed(tonic::Status),
}

async fn attempts<S, B>(
    ready: S,
    policy: RetryPolicy,
    req: http::Request<BoxBody>,
) -> Result<http::Response<BoxBody>, BoxError>
where
    S: Service<http::Request<BoxBody>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Unpin + Send + 'static,
    B::Error: Into<BoxError>,
{
    let path = req.uri().path().to_owned();
    let rpc = path.rsplit('/').next().unwrap_or_default().to_owned();
    let repeatable = is_idempotent(&path) || req.extensions().get::<Idempotent>().is_some();
    let counter = req.extensions().get::<Attempts>().cloned();
    let max_attempts = if repeatable { policy.max_attempts() } else { 1 };
    // A call sent once goes as it came; one that may be sent again is kept whole for that
    // (unary requests are whole messages, already in memory).
    let (mut once, kept) = if max_attempts > 1 {
        let (parts, body) = req.into_parts();
        let bytes = hyper::body::to_bytes(body)
            .await
            .map_err(|s| Box::new(s) as BoxError)?;
        (None, Some((parts, bytes)))
    } else {
        (Some(req), None)
    };
    let started = tokio::time::Instant::now();
    let base = ready.clone();
    let mut first = Some(ready);
    let mut attempt = 0;
    loop {
        attempt += 1;
        if let Some(c) = &counter {
            c.0.fetch_add(1, Ordering::SeqCst);
        }
        let span = tracing::debug_span!("flyteadmin", rpc = rpc.as_str(), attempt);
        let (service, is_ready) = match first.take() {
            Some(ready) => (ready, true),
            None => (base.clone(), false),
        };
        let request = match (once.take(), &kept) {
            (Some(req), _) => Ok(req),
            (None, Some((parts, bytes))) => request(parts, bytes),
            // A call sent once never comes back here.
            (None, None) => Err(BoxError::from("no request left to send")),
        };
        let outcome = send(service, is_ready, request, &policy, started)
            .instrument(span)
            .await;
        let code = match &outcome {
            Outcome::Answer(resp) => answered_code(resp).filter(|c| *c != tonic::Code::Ok),
            Outcome::Failed(status) => Some(status.code()),
        };
        let Some(code) = code else {
            tracing::debug!(rpc = rpc.as_str(), attempt, "ok");
            return into_result(outcome);
        };
        tracing::debug!(rpc = rpc.as_str(), attempt, code = ?code, "failed");
        let worth_it = transient(&outcome, code) && attempt < max_attempts;
        let wait = policy.backoff(attempt);
        if !worth_it || !policy.within_overall(started.elapsed(), wait) {
            return into_result(outcome);
        }
        tokio::time::sleep(wait).await;
    }
}

fn into_result(outcome: Outcome) -> Result<http::Response<BoxBody>, BoxError> {
    match outcome {
        Outcome::Answer(resp) => Ok(resp),
        // tonic finds its own status again in the box, unchanged.
        Outcome::Failed(status) => Err(Box::new(status)),
    }
}

/// Which deadline ends an attempt, and how long it has.
#[derive(Debug, Clone, Copy)]
struct Limit {
    left: std::time::Duration,
    /// The call's overall deadline comes first.
    overall: bool,
    policy: RetryPolicy,
}

impl Limit {
    /// The attempt ends at its own deadline or the call's, whichever comes first.
    fn of(policy: &RetryPolicy, started: tokio::time::Instant) -> Option<Limit> {
        let left = (!policy.overall_timeout.is_zero())
            .then(|| policy.overall_timeout.saturating_sub(started.elapsed()));
        let own = (!policy.per_attempt_timeout.is_zero()).then_some(policy.per_attempt_timeout);
        let (left, overall) = match (own, left) {
            (Some(a), Some(b)) if b < a => (b, true),
            (Some(a), _) => (a, false),
            (None, Some(b)) => (b, true),
            (None, None) => return None,
        };
        Some(Limit {
            left,
            overall,
            policy: *policy,
        })
    }

    fn exceeded(&self) -> tonic::Status {
        let left = self.left;
        tonic::Status::deadline_exceeded(if self.overall {
            format!(
                "no answer within {left:?}: the call's overall deadline of {:?} came before \
                 the attempt's perRetryTimeout ({:?})",
                self.policy.overall_timeout, self.policy.per_attempt_timeout
            )
        } else {
            format!("no answer within {left:?} (perRetryTimeout)")
        })
    }
}

/// Sends one attempt on `service` (ready already, or a clone of the channel to make ready),
/// within the per-attempt deadline and what is left of the call's. The deadline covers the
/// whole answer: its headers here, its message and trailers in [`DeadlineBody`].
async fn send<S, B>(
    mut service: S,
    is_ready: bool,
    request: Result<http::Request<BoxBody>, BoxError>,
    policy: &RetryPolicy,
    started: tokio::time::Instant,
) -> Outcome
where
    S: Service<http::Request<BoxBody>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Unpin + Send + 'static,
    B::Error: Into<BoxError>,
{
    let attempt = async {
        if !is_ready {
            std::future::poll_fn(|cx| service.poll_ready(cx))
                .await
                .map_err(Into::into)?;
        }
        service.call(request?).await.map_err(Into::into)
    };
    // A deadline beyond what the clock can hold (`Duration::MAX`) is no deadline.
    let now = tokio::time::Instant::now();
    let limit = Limit::of(policy, started).and_then(|l| Some((l, now.checked_add(l.left)?)));
    let result = match limit {
        Some((limit, deadline)) => match tokio::time::timeout_at(deadline, attempt).await {
            Ok(r) => r,
            Err(_) => return Outcome::Failed(limit.exceeded()),
        },
        None => attempt.await,
    };
    match result {
        Ok(resp) => Outcome::Answer(resp.map(|body| {
            DeadlineBody {
                inner: body,
                deadline: limit.map(|(l, at)| (l, Box::pin(tokio::time::sleep_until(at)))),
            }
            .boxed_unsync()
        })),
        Err(e) => Outcome::Failed(failure(e)),
    }
}

/// The status of an attempt that got no answer. tonic calls a connection that broke before the
/// answer (the server restarted, a proxy dropped it) UNKNOWN "transport error"; grpc-go, and
/// this client, call it UNAVAILABLE, transient, with what broke in the message: the retry
/// table then decides whether the call may be sent again on a new connection.
fn failure(e: BoxError) -> tonic::Status {
    let mut broken = false;
    let mut what = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(&*e);
    while let Some(err) = cur {
        broken |= err.downcast_ref::<hyper::Error>().is_some();
        what.push(err.to_string());
        cur = err.source();
    }
    let status = tonic::Status::from_error(e);
    if status.code() != tonic::Code::Unknown || !broken {
        return status;
    }
    what.dedup();
    let mut lost = tonic::Status::unavailable(format!("connection lost: {}", what.join(": ")));
    lost.set_source(Arc::new(status));
    lost
}

/// An answer's body that ends with DEADLINE_EXCEEDED when its attempt's deadline passes before
/// the message and trailers have arrived. (Not retried: the answer has been handed on.)
struct DeadlineBody<B> {
    inner: B,
    deadline: Option<(Limit, Pin<Box<tokio::time::Sleep>>)>,
}

impl<B> DeadlineBody<B> {
    fn expired(&mut self, cx: &mut Context<'_>) -> Option<tonic::Status> {
        let (limit, sleep) = self.deadline.as_mut()?;
        sleep.as_mut().poll(cx).is_ready().then(|| limit.exceeded())
    }
}

// The error type is tonic's `Status` because tonic's `BoxBody`, what the generated clients
// read, carries that; clippy's size advice does not apply to a type we do not choose.
#[allow(clippy::result_large_err)]
impl<B> http_body::Body for DeadlineBody<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_data(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, tonic::Status>>> {
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_data(cx) {
            return Poll::Ready(item.map(|r| r.map_err(|e| tonic::Status::from_error(e.into()))));
        }
        match self.expired(cx) {
            Some(status) => Poll::Ready(Some(Err(status))),
            None => Poll::Pending,
        }
    }

    fn poll_trailers(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<http::HeaderMap>, tonic::Status>> {
        if let Poll::Ready(r) = Pin::new(&mut self.inner).poll_trailers(cx) {
            return Poll::Ready(r.map_err(|e| tonic::Status::from_error(e.into())));
        }
        match self.expired(cx) {
            Some(status) => Poll::Ready(Err(status)),
            None => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

fn request(
    parts: &http::request::Parts,
    bytes: &Bytes,
) -> Result<http::Request<BoxBody>, BoxError> {
    let mut builder = http::Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.clone())
        .version(parts.version);
    for (k, v) in &parts.headers {
        builder = builder.header(k, v);
    }
    let body = http_body::Full::new(bytes.clone())
        .map_err(|e: std::convert::Infallible| match e {})
        .boxed_unsync();
    Ok(builder.body(body)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_repeatable_writes_are_retried_launches_are_not() {
        for safe in [
            "/flyteidl.service.AdminService/GetTask",
            "/flyteidl.service.AdminService/ListExecutions",
            "/flyteidl.service.AdminService/CreateTask",
            "/flyteidl.service.AdminService/UpdateLaunchPlan",
            "/flyteidl.service.SignalService/ListSignals",
            "/flyteidl.service.DataProxyService/CreateUploadLocation",
            "/datacatalog.DataCatalog/GetArtifact",
            "/datacatalog.DataCatalog/ListDatasets",
        ] {
            assert!(is_idempotent(safe), "{safe}");
        }
        for unsafe_ in [
            "/flyteidl.service.AdminService/CreateExecution",
            "/flyteidl.service.AdminService/RelaunchExecution",
            "/flyteidl.service.AdminService/RecoverExecution",
            "/flyteidl.service.AdminService/CreateNodeEvent",
            "/flyteidl.service.AdminService/SomethingNewer",
            "/datacatalog.DataCatalog/CreateArtifact",
            "/datacatalog.DataCatalog/GetOrExtendReservation",
            "/flyteidl.service.OtherService/GetTask",
            "GetTask",
            "",
        ] {
            assert!(!is_idempotent(unsafe_), "{unsafe_}");
        }
    }

    #[test]
    fn every_admin_get_and_list_is_in_the_table() {
        let (_, admin) = IDEMPOTENT[0];
        for m in admin {
            assert!(
                is_idempotent(&format!("/flyteidl.service.AdminService/{m}")),
                "{m}"
            );
        }
        assert!(admin
            .iter()
            .all(|m| !m.ends_with("Execution") || !m.starts_with("Create")));
    }

    #[test]
    fn a_proxys_http_errors_read_as_tonic_reads_them() {
        let resp = |status: u16| {
            http::Response::builder()
                .status(status)
                .body(())
                .unwrap_or_default()
        };
        assert_eq!(answered_code(&resp(503)), Some(tonic::Code::Unavailable));
        assert_eq!(answered_code(&resp(429)), Some(tonic::Code::Unavailable));
        assert_eq!(answered_code(&resp(200)), None);
        assert_eq!(answered_code(&resp(500)), Some(tonic::Code::Unknown));
        let mut refused = resp(200);
        refused
            .headers_mut()
            .insert("grpc-status", http::HeaderValue::from_static("5"));
        assert_eq!(answered_code(&refused), Some(tonic::Code::NotFound));
    }

    type Calls = Arc<std::sync::Mutex<Vec<tokio::time::Instant>>>;

    /// A channel that answers UNAVAILABLE (trailers-only, as FlyteAdmin) `failures` times, then
    /// OK, and notes when each attempt arrived. `hang` attempts never answer at all.
    fn flaky(
        failures: usize,
        hang: bool,
    ) -> (
        Calls,
        impl Service<
                http::Request<BoxBody>,
                Response = http::Response<BoxBody>,
                Error = BoxError,
                Future = impl Send,
            > + Clone
            + Send
            + 'static,
    ) {
        let calls: Calls = Arc::default();
        let seen = Arc::clone(&calls);
        let svc = tower::service_fn(move |req: http::Request<BoxBody>| {
            let seen = Arc::clone(&seen);
            async move {
                let n = {
                    let mut seen = seen.lock().map_err(|_| "poisoned")?;
                    seen.push(tokio::time::Instant::now());
                    seen.len()
                };
                let body = hyper::body::to_bytes(req.into_body()).await?;
                assert_eq!(
                    &body[..],
                    b"request",
                    "each attempt carries the whole request"
                );
                if n > failures {
                    return Ok::<_, BoxError>(http::Response::new(tonic::body::empty_body()));
                }
                if hang {
                    std::future::pending::<()>().await;
                }
                let mut resp = http::Response::new(tonic::body::empty_body());
                resp.headers_mut()
                    .insert("grpc-status", http::HeaderValue::from_static("14"));
                Ok(resp)
            }
        });
        (calls, svc)
    }

    fn get_version() -> http::Request<BoxBody> {
        let body = http_body::Full::new(Bytes::from_static(b"request"))
            .map_err(|e: std::convert::Infallible| match e {})
            .boxed_unsync();
        let mut req = http::Request::new(body);
        *req.uri_mut() =
            http::Uri::from_static("http://x/flyteidl.service.AdminService/GetVersion");
        req
    }

    fn status<B>(resp: &http::Response<B>) -> Option<&[u8]> {
        resp.headers().get("grpc-status").map(|v| v.as_bytes())
    }

    #[tokio::test(start_paused = true)]
    async fn waits_double_with_jitter_between_half_and_all_of_the_nominal_backoff(
    ) -> Result<(), BoxError> {
        let policy = RetryPolicy::none()
            .max_retries(6)
            .initial_backoff(std::time::Duration::from_millis(100))
            .max_backoff(std::time::Duration::from_millis(1000));
        let (calls, svc) = flaky(6, false);
        let mut retry = RetryLayer::new(policy).layer(svc);
        let resp = retry.call(get_version()).await?;
        assert_eq!(status(&resp), None, "the seventh attempt succeeds");
        let calls = calls.lock().map_err(|_| "poisoned")?.clone();
        assert_eq!(calls.len(), 7);
        let waits: Vec<_> = calls.windows(2).map(|w| w[1] - w[0]).collect();
        for (n, wait) in (1u32..).zip(&waits) {
            let nominal = policy.nominal_backoff(n);
            assert!(
                *wait >= nominal / 2 && *wait < nominal,
                "wait {n}: {wait:?} outside [{:?}, {nominal:?})",
                nominal / 2
            );
        }
        let nominal: Vec<_> = (1..=6)
            .map(|n| policy.nominal_backoff(n).as_millis())
            .collect();
        assert_eq!(
            nominal,
            [100, 200, 400, 800, 1000, 1000],
            "doubling, capped"
        );
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_max_retries_with_the_last_answer() -> Result<(), BoxError> {
        let (calls, svc) = flaky(100, false);
        let mut retry = RetryLayer::new(RetryPolicy::none().max_retries(3)).layer(svc);
        let resp = retry.call(get_version()).await?;
        assert_eq!(status(&resp), Some(&b"14"[..]));
        assert_eq!(calls.lock().map_err(|_| "poisoned")?.len(), 4);
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn unsafe_calls_go_once_unless_marked() -> Result<(), BoxError> {
        let policy = RetryPolicy::none().max_retries(3);
        let launch = || {
            let mut req = get_version();
            *req.uri_mut() =
                http::Uri::from_static("http://x/flyteidl.service.AdminService/CreateExecution");
            req
        };
        let (calls, svc) = flaky(1, false);
        let mut retry = RetryLayer::new(policy).layer(svc);
        let resp = retry.call(launch()).await?;
        assert_eq!(status(&resp), Some(&b"14"[..]), "not repeated");
        assert_eq!(calls.lock().map_err(|_| "poisoned")?.len(), 1);

        let (calls, svc) = flaky(1, false);
        let mut retry = RetryLayer::new(policy).layer(svc);
        let mut marked = launch();
        marked.extensions_mut().insert(Idempotent);
        let attempts = Attempts::default();
        marked.extensions_mut().insert(attempts.clone());
        let resp = retry.call(marked).await?;
        assert_eq!(status(&resp), None, "marked: repeated");
        assert_eq!(calls.lock().map_err(|_| "poisoned")?.len(), 2);
        assert_eq!(
            attempts.get(),
            2,
            "the caller sees how many attempts were made"
        );
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn hung_attempts_end_at_their_deadline_and_the_call_at_the_overall_one(
    ) -> Result<(), BoxError> {
        let ms = std::time::Duration::from_millis;
        let policy = RetryPolicy::none()
            .max_retries(100)
            .initial_backoff(ms(10))
            .max_backoff(ms(10))
            .per_attempt_timeout(ms(100))
            .overall_timeout(ms(1000));
        let (calls, svc) = flaky(1000, true);
        let mut retry = RetryLayer::new(policy).layer(svc);
        let started = tokio::time::Instant::now();
        let err = retry
            .call(get_version())
            .await
            .err()
            .ok_or("every attempt hangs")?;
        let status = tonic::Status::from_error(err);
        assert_eq!(status.code(), tonic::Code::DeadlineExceeded);
        assert!(status.message().contains("perRetryTimeout"), "{status:?}");
        let attempts = calls.lock().map_err(|_| "poisoned")?.len();
        // Each attempt takes 100 ms and waits 5-10 ms more: 9 or 10 begin within the second,
        // and the last is cut when the second ends.
        assert!((9..=10).contains(&attempts), "{attempts} attempts");
        assert_eq!(started.elapsed(), ms(1000));
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_message_too_large_is_sent_once_other_resource_exhausted_again(
    ) -> Result<(), BoxError> {
        for (message, attempts) in [
            (
                "grpc: received message larger than max (5242880 vs. 4194304)",
                1,
            ),
            (
                "grpc: trying to send message larger than max (5242880 vs. 4194304)",
                1,
            ),
            (
                "Output data size exceeds platform configured threshold (2 > 1)",
                1,
            ),
            ("rate limited", 4),
        ] {
            let calls = Arc::new(AtomicU32::new(0));
            let seen = Arc::clone(&calls);
            let svc = tower::service_fn(move |_: http::Request<BoxBody>| {
                seen.fetch_add(1, Ordering::SeqCst);
                let mut headers = http::HeaderMap::new();
                let status = tonic::Status::resource_exhausted(message);
                let added = status.add_header(&mut headers);
                async move {
                    added?;
                    let mut resp = http::Response::new(tonic::body::empty_body());
                    *resp.headers_mut() = headers;
                    Ok::<_, BoxError>(resp)
                }
            });
            let mut retry = RetryLayer::new(RetryPolicy::none().max_retries(3)).layer(svc);
            let resp = retry.call(get_version()).await?;
            assert_eq!(status(&resp), Some(&b"8"[..]), "{message}");
            assert_eq!(calls.load(Ordering::SeqCst), attempts, "{message}");
        }
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_too_far_to_reach_mean_no_deadline() -> Result<(), BoxError> {
        let max = std::time::Duration::MAX;
        for policy in [
            RetryPolicy::none().per_attempt_timeout(max),
            RetryPolicy::none().overall_timeout(max),
            RetryPolicy::none()
                .max_retries(1)
                .per_attempt_timeout(max)
                .overall_timeout(max),
        ] {
            let (calls, svc) = flaky(1, false);
            let mut retry = RetryLayer::new(policy).layer(svc);
            let resp = retry.call(get_version()).await?;
            let ok = policy.max_attempts() > 1;
            assert_eq!(status(&resp), (!ok).then_some(&b"14"[..]), "{policy:?}");
            let body = hyper::body::to_bytes(resp.into_body()).await?;
            assert!(body.is_empty());
            assert_eq!(
                calls.lock().map_err(|_| "poisoned")?.len(),
                if ok { 2 } else { 1 }
            );
        }
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_whose_message_never_comes_ends_at_the_attempts_deadline(
    ) -> Result<(), BoxError> {
        let ms = std::time::Duration::from_millis;
        let senders = Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = Arc::clone(&senders);
        let svc = tower::service_fn(move |_: http::Request<BoxBody>| {
            let (tx, body) = hyper::Body::channel();
            // The sender stays open: the headers came, the message never will.
            if let Ok(mut all) = keep.lock() {
                all.push(tx);
            }
            async move { Ok::<_, BoxError>(http::Response::new(body)) }
        });
        let policy = RetryPolicy::none().per_attempt_timeout(ms(100));
        let mut retry = RetryLayer::new(policy).layer(svc);
        let started = tokio::time::Instant::now();
        let resp = retry.call(get_version()).await?;
        let err = hyper::body::to_bytes(resp.into_body())
            .await
            .err()
            .ok_or("the body never ends")?;
        assert_eq!(err.code(), tonic::Code::DeadlineExceeded, "{err:?}");
        assert!(err.message().contains("perRetryTimeout"), "{err:?}");
        assert_eq!(started.elapsed(), ms(100));
        Ok(())
    }
}
