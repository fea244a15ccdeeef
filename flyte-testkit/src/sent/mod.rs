//! What clients sent, kept as they encoded it.
//!
//! The test kit decodes requests with the `flyteidl` crate, whose prost types drop every field
//! they do not know, so what a newer client sends would vanish from Get and List answers.
//! FlyteAdmin (Go protobuf, which keeps unknown fields) stores the serialized template or spec and
//! answers with it. To do the same: [`SentLayer`] gives the handler of each create call the
//! request message as encoded ([`Sent`]); the handler keeps the sub-message the client wrote,
//! merged with what the test kit stored ([`wire::keep`]), as [`Splice`]s in [`SentStore`]; and
//! when an answer carries splices ([`Splices`]), the layer puts the kept bytes in place of the
//! test kit's own encoding of the same value. Ordinary clients read exactly what they read
//! before: a splice only ever replaces bytes with bytes the `flyteidl` crate decodes to the same
//! value. Compressed messages are not kept (the test kit accepts no compressed requests).

mod entities;
pub(crate) mod wire;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use flyteidl::flyteidl::core::{Identifier, ResourceType, WorkflowExecutionIdentifier};
use hyper::body::HttpBody as _;
use tonic::body::BoxBody;
use tonic::codegen::http;
use tower::{Layer, Service};

pub(crate) use wire::Kept;

/// The create calls whose request messages handlers may keep.
const CREATES: [&str; 4] = [
    "/flyteidl.service.AdminService/CreateTask",
    "/flyteidl.service.AdminService/CreateWorkflow",
    "/flyteidl.service.AdminService/CreateLaunchPlan",
    "/flyteidl.service.AdminService/CreateExecution",
];

/// A create call's request message as the client encoded it (a request extension).
#[derive(Debug, Clone)]
pub(crate) struct Sent(pub(crate) Bytes);

/// The sent request message of a create call, if the layer kept it.
pub(crate) fn sent<T>(request: &tonic::Request<T>) -> Option<Bytes> {
    request.extensions().get::<Sent>().map(|s| s.0.clone())
}

/// Kept bytes and where they go in an answer: (field number, occurrence) pairs from the answer
/// message in.
#[derive(Debug, Clone)]
pub(crate) struct Splice {
    pub(crate) path: Vec<(u32, usize)>,
    pub(crate) kept: Kept,
}

impl Splice {
    /// The same splice inside occurrence `index` of field `number` of an enclosing message (the
    /// `index`th entity of a list answer).
    fn under(&self, number: u32, index: usize) -> Splice {
        let mut path = Vec::with_capacity(self.path.len() + 1);
        path.push((number, index));
        path.extend_from_slice(&self.path);
        Splice {
            path,
            kept: self.kept.clone(),
        }
    }
}

/// The splices of an answer (a response extension the layer applies).
#[derive(Debug, Clone, Default)]
pub(crate) struct Splices(pub(crate) Vec<Splice>);

/// Whose sent bytes: a task, workflow or launch plan version, or an execution.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Entity(i32, String, String, String, String),
    Execution(String, String, String),
}

impl Key {
    pub(crate) fn entity(rt: ResourceType, id: &Identifier) -> Key {
        Key::Entity(
            rt as i32,
            id.project.clone(),
            id.domain.clone(),
            id.name.clone(),
            id.version.clone(),
        )
    }

    pub(crate) fn execution(id: &WorkflowExecutionIdentifier) -> Key {
        Key::Execution(id.project.clone(), id.domain.clone(), id.name.clone())
    }
}

/// The splices kept per entity, relative to the entity's own message (`Task`, `Workflow`,
/// `LaunchPlan`, `Execution`). Entities whose clients encoded nothing the test kit would not
/// have are absent.
#[derive(Debug, Default)]
pub(crate) struct SentStore(HashMap<Key, Vec<Splice>>);

impl SentStore {
    pub(crate) fn insert(&mut self, key: Key, splices: Vec<Splice>) {
        if !splices.is_empty() {
            self.0.insert(key, splices);
        }
    }

    pub(crate) fn get(&self, key: &Key) -> &[Splice] {
        self.0.get(key).map_or(&[], Vec::as_slice)
    }

    /// The splices of one entity's answer.
    pub(crate) fn answer(&self, key: Option<Key>) -> Splices {
        Splices(key.map(|k| self.get(&k).to_vec()).unwrap_or_default())
    }

    /// The splices of a list answer whose entities are field `number`, in order.
    pub(crate) fn list(&self, number: u32, keys: impl Iterator<Item = Option<Key>>) -> Splices {
        let mut out = Vec::new();
        for (index, key) in keys.enumerate() {
            if let Some(key) = key {
                out.extend(self.get(&key).iter().map(|s| s.under(number, index)));
            }
        }
        Splices(out)
    }
}

/// A response whose message the layer splices kept bytes into.
pub(crate) fn respond<T>(message: T, splices: Splices) -> tonic::Response<T> {
    let mut response = tonic::Response::new(message);
    if !splices.0.is_empty() {
        response.extensions_mut().insert(splices);
    }
    response
}

/// The message of a body holding exactly one uncompressed gRPC frame.
pub(crate) fn single_message(body: &[u8]) -> Option<&[u8]> {
    let [0, a, b, c, d, rest @ ..] = body else {
        return None;
    };
    let len = usize::try_from(u32::from_be_bytes([*a, *b, *c, *d])).ok()?;
    (rest.len() == len).then_some(rest)
}

pub(crate) fn frame(message: &[u8]) -> Option<Bytes> {
    let len = u32::try_from(message.len()).ok()?;
    let mut out = Vec::with_capacity(message.len() + 5);
    out.push(0);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(message);
    Some(out.into())
}

/// The tower layer that hands create calls their sent message and applies answers' splices.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SentLayer;

impl<S> Layer<S> for SentLayer {
    type Service = SentService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SentService { inner }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct SentService<S> {
    inner: S,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S> Service<http::Request<hyper::Body>> for SentService<S>
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
        let keep = CREATES.contains(&req.uri().path());
        Box::pin(async move {
            let req = if keep {
                let (mut parts, body) = req.into_parts();
                let body = hyper::body::to_bytes(body).await?;
                if let Some(message) = single_message(&body) {
                    parts
                        .extensions
                        .insert(Sent(Bytes::copy_from_slice(message)));
                }
                http::Request::from_parts(parts, hyper::Body::from(body))
            } else {
                req
            };
            let response = inner.call(req).await.map_err(Into::into)?;
            match response.extensions().get::<Splices>().cloned() {
                Some(splices) => spliced(response, &splices).await,
                None => Ok(response),
            }
        })
    }
}

/// The answer with the splices applied; as it was where one does not apply.
async fn spliced(
    response: http::Response<BoxBody>,
    splices: &Splices,
) -> Result<http::Response<BoxBody>, BoxError> {
    let (parts, body) = response.into_parts();
    let (data, trailers) = whole(body).await?;
    let mut out = None;
    if let Some(message) = single_message(&data) {
        let paths: Vec<(wire::Path<'_>, &Kept)> = splices
            .0
            .iter()
            .map(|s| (s.path.as_slice(), &s.kept))
            .collect();
        out = wire::splice(message, &paths).and_then(|m| frame(&m));
    }
    let data = out.unwrap_or(data);
    Ok(http::Response::from_parts(
        parts,
        whole_body(data, trailers),
    ))
}

/// An answer's body read whole: its data and its trailers (where gRPC puts the status).
pub(crate) async fn whole(mut body: BoxBody) -> Result<(Bytes, Option<http::HeaderMap>), BoxError> {
    let mut data = Vec::new();
    while let Some(chunk) = body.data().await {
        data.extend_from_slice(&chunk?);
    }
    let trailers = body.trailers().await?;
    Ok((data.into(), trailers))
}

/// A body of `data` then `trailers`, as [`whole`] read them.
pub(crate) fn whole_body(data: Bytes, trailers: Option<http::HeaderMap>) -> BoxBody {
    BoxBody::new(Whole {
        data: Some(data),
        trailers,
    })
}

/// A body already read whole: its data, then its trailers (where gRPC puts the status).
struct Whole {
    data: Option<Bytes>,
    trailers: Option<http::HeaderMap>,
}

impl hyper::body::HttpBody for Whole {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_data(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, tonic::Status>>> {
        Poll::Ready(self.data.take().map(Ok))
    }

    fn poll_trailers(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Result<Option<http::HeaderMap>, tonic::Status>> {
        Poll::Ready(Ok(self.trailers.take()))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && self.trailers.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_uncompressed_frame_is_a_message() {
        assert_eq!(single_message(&[0, 0, 0, 0, 2, 8, 1]), Some(&[8, 1][..]));
        // Compressed (flag 1), truncated, or followed by more: not kept, left to tonic.
        assert_eq!(single_message(&[1, 0, 0, 0, 2, 8, 1]), None);
        assert_eq!(single_message(&[0, 0, 0, 0, 3, 8, 1]), None);
        assert_eq!(single_message(&[0, 0, 0, 0, 1, 8, 1]), None);
        assert_eq!(single_message(&[0, 0]), None);
        assert_eq!(frame(&[8, 1]).as_deref(), Some(&[0, 0, 0, 0, 2, 8, 1][..]));
    }
}
