//! The DataCatalog client: flyte-catalog's raw client on an [`AdminClient`]'s transport, with
//! typed reads and lists as streams.

use std::fmt;

use flyte_catalog::pb::{
    get_artifact_request, Artifact, Dataset, DatasetId, GetArtifactRequest, GetDatasetRequest,
    ListArtifactsRequest, ListDatasetsRequest,
};
use flyte_config::Config;

use super::CatalogQuery;
use crate::client::Transport;
use crate::error::Result;
use crate::list::{items, pages, Listing};
use crate::{AdminClient, AdminClientBuilder, Idempotent};

/// A DataCatalog client. Cheap to clone, `Send + Sync`.
///
/// It shares an [`AdminClient`]'s whole stack (endpoint, TLS, login, retries, message size):
/// [`DataCatalogClient::new`] on an existing client (DataCatalog served behind FlyteAdmin's
/// host), [`DataCatalogClient::from_config`] or [`try_default`](DataCatalogClient::try_default)
/// from flytectl's config, or [`DataCatalogClient::from_builder`] with an explicit endpoint (a
/// tool in the cluster: `dns:///datacatalog.flyte.svc.cluster.local:89`, insecure; or a
/// port-forward to `localhost:8089`). Reads are retried by the client's
/// [`RetryPolicy`](crate::RetryPolicy); failures are [`Error`](crate::Error)s naming the RPC
/// and endpoint.
#[derive(Clone)]
pub struct DataCatalogClient {
    admin: AdminClient,
    raw: flyte_catalog::DataCatalogGrpcClient<Transport>,
}

impl fmt::Debug for DataCatalogClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataCatalogClient")
            .field("endpoint", &self.admin.endpoint())
            .finish_non_exhaustive()
    }
}

/// A request the retry layer may repeat: every typed call here is a read.
fn read<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.extensions_mut().insert(Idempotent);
    request
}

impl DataCatalogClient {
    /// DataCatalog on `admin`'s connection: the same endpoint, TLS, login and retries.
    pub fn new(admin: &AdminClient) -> Self {
        let raw = flyte_catalog::DataCatalogGrpcClient::new(admin.inner.spread[0].clone())
            .max_message_size(admin.inner.max_message_size);
        DataCatalogClient {
            admin: admin.clone(),
            raw,
        }
    }

    /// DataCatalog at the config's `admin` endpoint, with its TLS, login and retries.
    ///
    /// # Errors
    /// As [`AdminClientBuilder::build`].
    pub fn from_config(config: &Config) -> Result<Self> {
        Ok(Self::new(&AdminClient::from_config(config)?))
    }

    /// DataCatalog at the endpoint of the config flytectl would find (and `FLYTE_*` variables).
    ///
    /// # Errors
    /// As [`AdminClient::try_default`].
    pub fn try_default() -> Result<Self> {
        Ok(Self::new(&AdminClient::try_default()?))
    }

    /// DataCatalog as `builder` describes it: an explicit endpoint, TLS and login for a
    /// DataCatalog that is not behind FlyteAdmin's host, e.g.
    /// `AdminClient::builder().endpoint("localhost:8089").insecure(true)` for a port-forward.
    ///
    /// # Errors
    /// As [`AdminClientBuilder::build`].
    pub fn from_builder(builder: AdminClientBuilder) -> Result<Self> {
        Ok(Self::new(&builder.build()?))
    }

    /// `host:port` of DataCatalog.
    pub fn endpoint(&self) -> &str {
        self.admin.endpoint()
    }

    /// The raw client, for the RPCs without a helper here (creates, tags, updates,
    /// reservations). Its calls go through the same login and retry layers; only reads named
    /// by [`is_idempotent`](crate::is_idempotent) or marked [`Idempotent`] are repeated.
    pub fn raw(&self) -> flyte_catalog::DataCatalogGrpcClient<Transport> {
        self.raw.clone()
    }

    /// A dataset with its metadata.
    ///
    /// # Errors
    /// NOT_FOUND ([`Error::is_not_found`](crate::Error::is_not_found)) when there is none.
    pub async fn get_dataset(&self, id: &DatasetId) -> Result<Dataset> {
        let mut raw = self.raw.clone();
        let request = read(GetDatasetRequest {
            dataset: Some(id.clone()),
        });
        let response = self
            .admin
            .unary("GetDataset", raw.get_dataset(request))
            .await?;
        Ok(response.dataset.unwrap_or_default())
    }

    async fn get_artifact(
        &self,
        dataset: &DatasetId,
        handle: get_artifact_request::QueryHandle,
    ) -> Result<Artifact> {
        let mut raw = self.raw.clone();
        let request = read(GetArtifactRequest {
            dataset: Some(dataset.clone()),
            query_handle: Some(handle),
        });
        let response = self
            .admin
            .unary("GetArtifact", raw.get_artifact(request))
            .await?;
        Ok(response.artifact.unwrap_or_default())
    }

    /// The artifact a tag points at (propeller's lookup: the tag is
    /// [`artifact_tag`](super::artifact_tag) of the inputs), with its data, metadata and tags.
    ///
    /// # Errors
    /// NOT_FOUND when the dataset has no such tag: a cache miss.
    pub async fn get_artifact_by_tag(&self, dataset: &DatasetId, tag: &str) -> Result<Artifact> {
        self.get_artifact(
            dataset,
            get_artifact_request::QueryHandle::TagName(tag.to_owned()),
        )
        .await
    }

    /// An artifact by its id.
    ///
    /// # Errors
    /// NOT_FOUND when the dataset has no such artifact.
    pub async fn get_artifact_by_id(&self, dataset: &DatasetId, id: &str) -> Result<Artifact> {
        self.get_artifact(
            dataset,
            get_artifact_request::QueryHandle::ArtifactId(id.to_owned()),
        )
        .await
    }

    /// The datasets `query` selects, as a stream following DataCatalog's page tokens.
    pub fn list_datasets(&self, query: CatalogQuery) -> Listing<Dataset> {
        let this = self.clone();
        items(pages(move |token| {
            let this = this.clone();
            let request = read(ListDatasetsRequest {
                filter: Some(query.filter()),
                pagination: Some(query.pagination(token)),
            });
            async move {
                let mut raw = this.raw.clone();
                let page = this
                    .admin
                    .unary("ListDatasets", raw.list_datasets(request))
                    .await?;
                Ok((page.datasets, page.next_token))
            }
        }))
    }

    /// The artifacts of `dataset` that `query` selects, as a stream following DataCatalog's
    /// page tokens.
    pub fn list_artifacts(&self, dataset: &DatasetId, query: CatalogQuery) -> Listing<Artifact> {
        let this = self.clone();
        let dataset = dataset.clone();
        items(pages(move |token| {
            let this = this.clone();
            let request = read(ListArtifactsRequest {
                dataset: Some(dataset.clone()),
                filter: Some(query.filter()),
                pagination: Some(query.pagination(token)),
            });
            async move {
                let mut raw = this.raw.clone();
                let page = this
                    .admin
                    .unary("ListArtifacts", raw.list_artifacts(request))
                    .await?;
                Ok((page.artifacts, page.next_token))
            }
        }))
    }
}
