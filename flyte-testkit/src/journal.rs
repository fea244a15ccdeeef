//! A journal of committed writes, so that a standalone test kit killed and started again
//! (`serve --state FILE`) serves what it served before.
//!
//! The smallest design that keeps every detail the handlers derive (indexes, kept request bytes,
//! launch plan activation, execution input merging) is to keep what clients sent, not the
//! database: every write call that succeeded is appended to the file, its request message as the
//! client encoded it, before the answer leaves; at start, the file is replayed through the same
//! services in order. Names FlyteAdmin generates (an execution created, relaunched or recovered
//! without a name) are written into the kept request, so a replay creates the same name.
//!
//! What this does not keep, by design (documented in the crate guide): timestamps (a replay
//! creates and updates at the time of the replay), the progress of executions (they are
//! created again and run again from the start, with the outcome the executor decides from the
//! same inputs), access tokens and pending logins (log in again), and signed URLs issued before
//! (ask for new ones), and with auth on the principal of executions (a replay runs without a
//! login, so it is empty). Blobs are kept by `--storage DIR`.

use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use flyteidl::flyteidl::service::{
    admin_service_server::AdminServiceServer, signal_service_server::SignalServiceServer,
};
use prost::Message as _;
use tonic::body::BoxBody;
use tonic::codegen::http;
use tower::{Layer, Service, ServiceExt as _};

use crate::executions::Shared;

/// The calls that change what the test kit holds: the ones journaled and replayed.
const WRITES: [&str; 23] = [
    "/flyteidl.service.AdminService/CreateTask",
    "/flyteidl.service.AdminService/CreateWorkflow",
    "/flyteidl.service.AdminService/CreateLaunchPlan",
    "/flyteidl.service.AdminService/UpdateLaunchPlan",
    "/flyteidl.service.AdminService/CreateExecution",
    "/flyteidl.service.AdminService/RelaunchExecution",
    "/flyteidl.service.AdminService/RecoverExecution",
    "/flyteidl.service.AdminService/TerminateExecution",
    "/flyteidl.service.AdminService/UpdateExecution",
    "/flyteidl.service.AdminService/RegisterProject",
    "/flyteidl.service.AdminService/UpdateProject",
    "/flyteidl.service.AdminService/UpdateNamedEntity",
    "/flyteidl.service.AdminService/UpdateProjectAttributes",
    "/flyteidl.service.AdminService/UpdateProjectDomainAttributes",
    "/flyteidl.service.AdminService/UpdateWorkflowAttributes",
    "/flyteidl.service.AdminService/DeleteProjectAttributes",
    "/flyteidl.service.AdminService/DeleteProjectDomainAttributes",
    "/flyteidl.service.AdminService/DeleteWorkflowAttributes",
    "/flyteidl.service.AdminService/CreateWorkflowEvent",
    "/flyteidl.service.AdminService/CreateNodeEvent",
    "/flyteidl.service.AdminService/CreateTaskEvent",
    "/flyteidl.service.SignalService/GetOrCreateSignal",
    "/flyteidl.service.SignalService/SetSignal",
];

/// The field that names the execution in the requests whose answer may carry a generated name:
/// `ExecutionCreateRequest.name`, `ExecutionRelaunchRequest.name`,
/// `ExecutionRecoverRequest.name`.
fn name_field(path: &str) -> Option<u32> {
    match path.rsplit('/').next()? {
        "CreateExecution" | "RelaunchExecution" => Some(3),
        "RecoverExecution" => Some(2),
        _ => None,
    }
}

/// The first bytes of a journal: a file without them is refused, never cut or appended to.
const MAGIC: &[u8] = b"flyte-testkit journal 1\n";

/// One journaled call.
#[derive(Clone, PartialEq, prost::Message)]
struct Entry {
    #[prost(string, tag = "1")]
    path: String,
    #[prost(bytes = "vec", tag = "2")]
    message: Vec<u8>,
}

/// The journal file, appended to as writes commit.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl Journal {
    /// Opens (or creates) the journal at `path` for appending after its first `len` bytes (the
    /// whole entries [`replay`] found; a torn entry after them is cut off).
    pub(crate) fn open(path: &Path, len: u64) -> std::io::Result<Journal> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| named(path, &e))?;
        file.set_len(len).map_err(|e| named(path, &e))?;
        if len == 0 {
            (&file).write_all(MAGIC).map_err(|e| named(path, &e))?;
        }
        Ok(Journal {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    fn append(&self, entry: &Entry) -> std::io::Result<()> {
        let bytes = entry.encode_length_delimited_to_vec();
        // One write call per entry on an append-mode file: a kill leaves a whole entry or a
        // torn last one, which the replay drops.
        self.file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .write_all(&bytes)
            .map_err(|e| named(&self.path, &e))
    }
}

fn named(path: &Path, e: &std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("state file {}: {e}", path.display()))
}

/// Replays the journal at `path` (if it exists) into `shared`: each call through the same
/// services, without the fault layer or authentication. Returns the length of the file's whole
/// entries, header included.
///
/// # Errors
/// When the file cannot be read, or an entry is not a call the journal writes.
pub(crate) async fn replay(shared: &Arc<Shared>, path: &Path) -> std::io::Result<u64> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(named(path, &e)),
    };
    let service = tonic::transport::Server::builder()
        .layer(crate::sent::SentLayer)
        .add_service(AdminServiceServer::new(crate::service::Admin {
            shared: Arc::clone(shared),
        }))
        .add_service(SignalServiceServer::new(crate::service::Signals {
            shared: Arc::clone(shared),
        }))
        .into_service();
    let Some(mut rest) = bytes.strip_prefix(MAGIC) else {
        if bytes.is_empty() {
            return Ok(0);
        }
        return Err(named(
            path,
            &std::io::Error::other(
                "not a flyte-testkit state file (it does not start with the journal's header); \
                 pass a new path or one a test kit wrote",
            ),
        ));
    };
    let mut count = 0;
    while !rest.is_empty() {
        let mut after = rest;
        let whole = prost::decode_length_delimiter(&mut after)
            .ok()
            .filter(|len| *len <= after.len());
        // A torn last entry (the process was killed while writing it) never answered its
        // client: it is dropped, and the file cut back to the entries before it.
        let Some(len) = whole else { break };
        let entry = Entry::decode(&after[..len]).map_err(|e| {
            named(
                path,
                &std::io::Error::other(format!("entry {count} is not a journal entry: {e}")),
            )
        })?;
        rest = &after[len..];
        if !WRITES.contains(&entry.path.as_str()) {
            return Err(named(
                path,
                &std::io::Error::other(format!("entry {count}: {} is not a write", entry.path)),
            ));
        }
        let body = crate::sent::frame(&entry.message)
            .ok_or_else(|| named(path, &std::io::Error::other("entry too large")))?;
        let request = http::Request::post(entry.path.as_str())
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(hyper::Body::from(body))
            .map_err(std::io::Error::other)?;
        let answer = service
            .clone()
            .oneshot(request)
            .await
            .map_err(std::io::Error::other)?;
        let (code, _) = answer_of(answer).await;
        if code != Some(0) {
            // The call succeeded when it was made; the same calls in the same order succeed
            // again, unless the file was edited or written by another version.
            return Err(named(
                path,
                &std::io::Error::other(format!(
                    "entry {count} ({}) failed on replay with gRPC code {code:?}",
                    entry.path
                )),
            ));
        }
        count += 1;
    }
    Ok(u64::try_from(bytes.len() - rest.len()).unwrap_or(u64::MAX))
}

/// The gRPC code of an answer: from its headers, else its trailers.
async fn answer_of(answer: http::Response<BoxBody>) -> (Option<i32>, Bytes) {
    let code = |h: &http::HeaderMap| {
        h.get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i32>().ok())
    };
    if let Some(c) = code(answer.headers()) {
        return (Some(c), Bytes::new());
    }
    match crate::sent::whole(answer.into_body()).await {
        Ok((data, trailers)) => (trailers.as_ref().and_then(code), data),
        Err(_) => (None, Bytes::new()),
    }
}

/// The tower layer that journals the write calls that succeed (none without a journal).
#[derive(Debug, Clone)]
pub(crate) struct JournalLayer(pub(crate) Option<Arc<Journal>>);

impl<S> Layer<S> for JournalLayer {
    type Service = Journaled<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Journaled {
            inner,
            journal: self.0.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Journaled<S> {
    inner: S,
    journal: Option<Arc<Journal>>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S> Service<http::Request<hyper::Body>> for Journaled<S>
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
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let path = req.uri().path().to_owned();
        let journal = match &self.journal {
            Some(j) if WRITES.contains(&path.as_str()) => Arc::clone(j),
            _ => return Box::pin(async move { inner.call(req).await.map_err(Into::into) }),
        };
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let body = hyper::body::to_bytes(body).await?;
            let message = crate::sent::single_message(&body).map(<[u8]>::to_vec);
            let answer = inner
                .call(http::Request::from_parts(parts, hyper::Body::from(body)))
                .await
                .map_err(Into::into)?;
            // A refusal carries its status in the headers: nothing was committed.
            if answer.headers().contains_key("grpc-status") {
                return Ok(answer);
            }
            let (parts, body) = answer.into_parts();
            let (data, trailers) = crate::sent::whole(body).await?;
            let ok = trailers
                .as_ref()
                .and_then(|t| t.get("grpc-status"))
                .is_some_and(|s| s.as_bytes() == b"0");
            if let (true, Some(mut message)) = (ok, message) {
                if let Some(field) = name_field(&path) {
                    name_generated(&mut message, field, &data);
                }
                // The answer is held until the call is on disk: an answered write survives a
                // kill.
                if let Err(e) = journal.append(&Entry { path, message }) {
                    return Err(Box::new(tonic::Status::internal(e.to_string())) as BoxError);
                }
            }
            Ok(http::Response::from_parts(
                parts,
                crate::sent::whole_body(data, trailers),
            ))
        })
    }
}

/// Writes the execution name the answer carries into the request, as field `field`: the name
/// FlyteAdmin generated for a request without one (a later field wins when protobuf decodes,
/// and the rest of the request stays as the client encoded it).
fn name_generated(message: &mut Vec<u8>, field: u32, answer: &[u8]) {
    let Some(answer) = crate::sent::single_message(answer) else {
        return;
    };
    let Ok(created) = flyteidl::flyteidl::admin::ExecutionCreateResponse::decode(answer) else {
        return;
    };
    if let Some(id) = created.id {
        prost::encoding::string::encode(field, &id.name, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_name_is_written_into_the_request() {
        use flyteidl::flyteidl::admin::{ExecutionCreateRequest, ExecutionCreateResponse};
        use flyteidl::flyteidl::core::WorkflowExecutionIdentifier;
        let mut request = ExecutionCreateRequest {
            project: "p".into(),
            domain: "d".into(),
            ..Default::default()
        }
        .encode_to_vec();
        let answer = ExecutionCreateResponse {
            id: Some(WorkflowExecutionIdentifier {
                name: "abc123".into(),
                ..Default::default()
            }),
        }
        .encode_to_vec();
        let framed = crate::sent::frame(&answer).unwrap_or_default();
        name_generated(&mut request, 3, &framed);
        let again = ExecutionCreateRequest::decode(&request[..]).unwrap_or_default();
        assert_eq!(
            (again.project.as_str(), again.name.as_str()),
            ("p", "abc123")
        );
    }
}
