//! DataCatalog's gRPC service `datacatalog.DataCatalog`, by hand: a client over any tonic
//! channel ([`DataCatalogGrpcClient`]) and a server ([`DataCatalogServer`]) that serves a
//! [`DataCatalog`] implementation next to other tonic services on one port.
//!
//! Both speak the same paths (`/datacatalog.DataCatalog/<Method>`) and protobuf encoding as
//! the code tonic-build would generate, so either end interoperates with Flyte's Go client and
//! server.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::body::BoxBody;
use tonic::client::GrpcService;
use tonic::codec::ProstCodec;
use tonic::codegen::{http, Body, BoxFuture, Service, StdError};
use tonic::server::NamedService;
use tonic::{Request, Response, Status};

use crate::pb::*;

/// The service's full name, the first segment of every path.
pub const SERVICE_NAME: &str = "datacatalog.DataCatalog";

/// The RPCs of DataCatalog, for a server to implement; [`DataCatalogServer`] routes requests to
/// them. Each method answers with the status DataCatalog would (`NOT_FOUND`, `ALREADY_EXISTS`,
/// `INVALID_ARGUMENT`, ...).
#[tonic::async_trait]
pub trait DataCatalog: Send + Sync + 'static {
    /// `CreateDataset`: `ALREADY_EXISTS` when the id is taken.
    async fn create_dataset(
        &self,
        request: Request<CreateDatasetRequest>,
    ) -> Result<Response<CreateDatasetResponse>, Status>;
    /// `GetDataset`: `NOT_FOUND` when there is none.
    async fn get_dataset(
        &self,
        request: Request<GetDatasetRequest>,
    ) -> Result<Response<GetDatasetResponse>, Status>;
    /// `CreateArtifact`.
    async fn create_artifact(
        &self,
        request: Request<CreateArtifactRequest>,
    ) -> Result<Response<CreateArtifactResponse>, Status>;
    /// `GetArtifact`, by id or tag.
    async fn get_artifact(
        &self,
        request: Request<GetArtifactRequest>,
    ) -> Result<Response<GetArtifactResponse>, Status>;
    /// `AddTag`.
    async fn add_tag(
        &self,
        request: Request<AddTagRequest>,
    ) -> Result<Response<AddTagResponse>, Status>;
    /// `ListArtifacts`, one page.
    async fn list_artifacts(
        &self,
        request: Request<ListArtifactsRequest>,
    ) -> Result<Response<ListArtifactsResponse>, Status>;
    /// `ListDatasets`, one page.
    async fn list_datasets(
        &self,
        request: Request<ListDatasetsRequest>,
    ) -> Result<Response<ListDatasetsResponse>, Status>;
    /// `UpdateArtifact`.
    async fn update_artifact(
        &self,
        request: Request<UpdateArtifactRequest>,
    ) -> Result<Response<UpdateArtifactResponse>, Status>;
    /// `GetOrExtendReservation`.
    async fn get_or_extend_reservation(
        &self,
        request: Request<GetOrExtendReservationRequest>,
    ) -> Result<Response<GetOrExtendReservationResponse>, Status>;
    /// `ReleaseReservation`.
    async fn release_reservation(
        &self,
        request: Request<ReleaseReservationRequest>,
    ) -> Result<Response<ReleaseReservationResponse>, Status>;
}

/// A tower `Service` serving a [`DataCatalog`] over gRPC; add it to a tonic `Server` (or
/// `Router`) beside other services with `add_service`, optionally wrapped in an interceptor.
/// Unknown methods of the service answer `UNIMPLEMENTED`.
#[derive(Debug)]
pub struct DataCatalogServer<S> {
    inner: Arc<S>,
    max_message_size: Option<usize>,
}

impl<S> Clone for DataCatalogServer<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            max_message_size: self.max_message_size,
        }
    }
}

impl<S: DataCatalog> DataCatalogServer<S> {
    /// Serves `catalog`.
    pub fn new(catalog: S) -> Self {
        Self::from_arc(Arc::new(catalog))
    }

    /// Serves a catalog shared with other owners (a test kit's store, say).
    pub fn from_arc(catalog: Arc<S>) -> Self {
        Self {
            inner: catalog,
            max_message_size: None,
        }
    }

    /// The largest message decoded or encoded, in bytes; tonic's default (4 MiB decoding)
    /// otherwise.
    #[must_use]
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = Some(bytes);
        self
    }
}

impl<S> NamedService for DataCatalogServer<S> {
    const NAME: &'static str = SERVICE_NAME;
}

/// One method of the server as a tonic `UnaryService`: the catalog and the function that calls
/// the trait method.
struct Method<S, F> {
    catalog: Arc<S>,
    call: F,
}

impl<S, F, Req, Resp> Service<Request<Req>> for Method<S, F>
where
    F: Fn(Arc<S>, Request<Req>) -> BoxFuture<Response<Resp>, Status>,
{
    type Response = Response<Resp>;
    type Error = Status;
    type Future = BoxFuture<Response<Resp>, Status>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Req>) -> Self::Future {
        (self.call)(Arc::clone(&self.catalog), request)
    }
}

/// Decodes `request`, calls the method, encodes its answer.
fn unary<S, F, Req, Resp, B>(
    catalog: Arc<S>,
    max_message_size: Option<usize>,
    request: http::Request<B>,
    call: F,
) -> BoxFuture<http::Response<BoxBody>, Infallible>
where
    S: Send + Sync + 'static,
    F: Fn(Arc<S>, Request<Req>) -> BoxFuture<Response<Resp>, Status> + Send + 'static,
    Req: prost::Message + Default + Send + 'static,
    Resp: prost::Message + Send + 'static,
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    Box::pin(async move {
        let mut grpc = tonic::server::Grpc::new(ProstCodec::<Resp, Req>::default())
            .apply_max_message_size_config(max_message_size, max_message_size);
        Ok(grpc.unary(Method { catalog, call }, request).await)
    })
}

/// Boxes a trait method's future for [`unary`].
macro_rules! route {
    ($self:ident, $request:ident, $method:ident) => {
        unary(
            Arc::clone(&$self.inner),
            $self.max_message_size,
            $request,
            |catalog: Arc<S>, request| -> BoxFuture<_, Status> {
                Box::pin(async move { catalog.$method(request).await })
            },
        )
    };
}

impl<S, B> Service<http::Request<B>> for DataCatalogServer<S>
where
    S: DataCatalog,
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<BoxBody>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request
            .uri()
            .path()
            .strip_prefix("/datacatalog.DataCatalog/")
            .unwrap_or_default()
            .to_owned();
        match method.as_str() {
            "CreateDataset" => route!(self, request, create_dataset),
            "GetDataset" => route!(self, request, get_dataset),
            "CreateArtifact" => route!(self, request, create_artifact),
            "GetArtifact" => route!(self, request, get_artifact),
            "AddTag" => route!(self, request, add_tag),
            "ListArtifacts" => route!(self, request, list_artifacts),
            "ListDatasets" => route!(self, request, list_datasets),
            "UpdateArtifact" => route!(self, request, update_artifact),
            "GetOrExtendReservation" => route!(self, request, get_or_extend_reservation),
            "ReleaseReservation" => route!(self, request, release_reservation),
            _ => Box::pin(async move {
                Ok(
                    Status::unimplemented(format!("{SERVICE_NAME} has no method {method:?}"))
                        .to_http(),
                )
            }),
        }
    }
}

/// One unary method of [`DataCatalogGrpcClient`].
macro_rules! rpc {
    ($(#[$doc:meta])* $name:ident, $method:literal, $req:ty, $resp:ty) => {
        $(#[$doc])*
        pub async fn $name(
            &mut self,
            request: impl tonic::IntoRequest<$req>,
        ) -> Result<Response<$resp>, Status> {
            self.unary($method, request.into_request()).await
        }
    };
}

/// A DataCatalog client over any tonic transport (a `Channel`, or a `Channel` wrapped in
/// layers: authentication, retries). Cheap to clone. Each method is one unary call; errors are
/// the server's `Status`.
#[derive(Debug, Clone)]
pub struct DataCatalogGrpcClient<T> {
    inner: tonic::client::Grpc<T>,
}

impl<T> DataCatalogGrpcClient<T>
where
    T: GrpcService<BoxBody>,
    T::Error: Into<StdError>,
    T::ResponseBody: Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as Body>::Error: Into<StdError> + Send,
{
    /// A client sending its calls through `transport`.
    pub fn new(transport: T) -> Self {
        Self {
            inner: tonic::client::Grpc::new(transport),
        }
    }

    /// The largest message decoded or encoded, in bytes; tonic's default (4 MiB decoding)
    /// otherwise. Artifacts carry task outputs, which may be large.
    #[must_use]
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.inner = self
            .inner
            .max_decoding_message_size(bytes)
            .max_encoding_message_size(bytes);
        self
    }

    async fn unary<Req, Resp>(
        &mut self,
        method: &'static str,
        request: Request<Req>,
    ) -> Result<Response<Resp>, Status>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        self.inner.ready().await.map_err(|e| {
            Status::unknown(format!("DataCatalog transport not ready: {}", e.into()))
        })?;
        let path = format!("/{SERVICE_NAME}/{method}")
            .parse::<http::uri::PathAndQuery>()
            .map_err(|e| Status::internal(format!("path of {method}: {e}")))?;
        let mut request = request;
        request
            .extensions_mut()
            .insert(tonic::codegen::GrpcMethod::new(SERVICE_NAME, method));
        self.inner
            .unary(request, path, ProstCodec::<Req, Resp>::default())
            .await
    }

    rpc!(
        /// `CreateDataset`.
        create_dataset, "CreateDataset", CreateDatasetRequest, CreateDatasetResponse
    );
    rpc!(
        /// `GetDataset`.
        get_dataset, "GetDataset", GetDatasetRequest, GetDatasetResponse
    );
    rpc!(
        /// `CreateArtifact`.
        create_artifact, "CreateArtifact", CreateArtifactRequest, CreateArtifactResponse
    );
    rpc!(
        /// `GetArtifact`.
        get_artifact, "GetArtifact", GetArtifactRequest, GetArtifactResponse
    );
    rpc!(
        /// `AddTag`.
        add_tag, "AddTag", AddTagRequest, AddTagResponse
    );
    rpc!(
        /// `ListArtifacts`, one page.
        list_artifacts, "ListArtifacts", ListArtifactsRequest, ListArtifactsResponse
    );
    rpc!(
        /// `ListDatasets`, one page.
        list_datasets, "ListDatasets", ListDatasetsRequest, ListDatasetsResponse
    );
    rpc!(
        /// `UpdateArtifact`.
        update_artifact, "UpdateArtifact", UpdateArtifactRequest, UpdateArtifactResponse
    );
    rpc!(
        /// `GetOrExtendReservation`.
        get_or_extend_reservation,
        "GetOrExtendReservation",
        GetOrExtendReservationRequest,
        GetOrExtendReservationResponse
    );
    rpc!(
        /// `ReleaseReservation`.
        release_reservation,
        "ReleaseReservation",
        ReleaseReservationRequest,
        ReleaseReservationResponse
    );
}
