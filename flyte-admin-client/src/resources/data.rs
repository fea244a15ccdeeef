//! Where execution data comes from: inline in FlyteAdmin's answer, from the signed URL it hands
//! out, or from the blob store at the URI the execution records.

use std::future::Future;

use flyteidl::flyteidl::admin::{self, execution_closure, literal_map_blob};
use flyteidl::flyteidl::admin::{node_execution_closure, task_execution_closure};
use flyteidl::flyteidl::core::{self, LiteralMap};

use flyte_storage::FlyteStorage;
use prost::bytes::Bytes;

use crate::client::{AdminClient, StorageSource};
use crate::error::{Code, Error, Result};
use crate::ids::ExecutionId;

/// The blob-store URIs of inputs and outputs, where the execution records them ("" if not).
pub(crate) type DataUris = [String; 2];

const KINDS: [&str; 2] = ["inputs", "outputs"];

/// What the three `Get...ExecutionData` answers share, with the inline literal maps kept as
/// bytes: an offloaded literal (field 8 of `Literal`, unknown to the `flyteidl` crate) would not
/// survive decoding into the crate's types. Tags 1 and 2 are the signed URLs of inputs and
/// outputs, in an order that differs between the answers (deprecated in the IDL, yet FlyteAdmin
/// fills them with signed URLs and FlyteRemote reads them).
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct DataAnswer {
    #[prost(message, optional, tag = "1")]
    pub(crate) url_1: Option<admin::UrlBlob>,
    #[prost(message, optional, tag = "2")]
    pub(crate) url_2: Option<admin::UrlBlob>,
    #[prost(bytes = "bytes", optional, tag = "3")]
    pub(crate) full_inputs: Option<Bytes>,
    #[prost(bytes = "bytes", optional, tag = "4")]
    pub(crate) full_outputs: Option<Bytes>,
}

impl AdminClient {
    /// Calls `rpc`, one of the `Get...ExecutionData` methods.
    pub(crate) async fn data_answer<R>(&self, rpc: &'static str, request: R) -> Result<DataAnswer>
    where
        R: prost::Message + Clone + Send + Sync + 'static,
    {
        let codec = tonic::codec::ProstCodec::<R, DataAnswer>::default();
        self.admin_unary(rpc, request, codec).await
    }

    /// Inputs and outputs of a data response: each inline, else from its signed URL, else (one
    /// extra call, `uris`, made only then) from the blob store.
    pub(crate) async fn data_pair<F, Fut>(
        &self,
        rpc: &'static str,
        what: &str,
        parts: [(Option<Bytes>, Option<admin::UrlBlob>); 2],
        uris: F,
    ) -> Result<(LiteralMap, LiteralMap)>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<DataUris>>,
    {
        let mut found: [Option<LiteralMap>; 2] = [None, None];
        for ((slot, (full, blob)), kind) in found.iter_mut().zip(parts).zip(KINDS) {
            *slot = self.inline_or_signed(rpc, what, kind, full, blob).await?;
        }
        if found.iter().any(Option::is_none) {
            let uris = uris().await?;
            for ((slot, uri), kind) in found.iter_mut().zip(&uris).zip(KINDS) {
                if slot.is_none() {
                    *slot = Some(self.read_blob_store(rpc, what, kind, uri).await?);
                }
            }
        }
        let [inputs, outputs] = found.map(Option::unwrap_or_default);
        Ok((inputs, outputs))
    }

    /// Inline data, else what the signed URL holds; `None` when FlyteAdmin gave neither.
    async fn inline_or_signed(
        &self,
        rpc: &'static str,
        what: &str,
        kind: &str,
        full: Option<Bytes>,
        blob: Option<admin::UrlBlob>,
    ) -> Result<Option<LiteralMap>> {
        let blob = blob.unwrap_or_default();
        let has_url = !blob.url.is_empty() && blob.bytes > 0;
        match full {
            // An empty map is empty bytes.
            Some(map) if !map.is_empty() || !has_url => {
                let source = format!("FlyteAdmin's answer to {rpc}");
                self.literal_map(rpc, what, kind, map, &source)
                    .await
                    .map(Some)
            }
            _ if has_url => {
                let fail = |m: String| {
                    Error::new(
                        Code::Unavailable,
                        rpc,
                        self.endpoint(),
                        format!("downloading the {kind} of {what}: {m}"),
                    )
                };
                // flyte-storage names the URL without its query, where the signature lives.
                let body = self
                    .inner
                    .signed
                    .get(&blob.url)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                let source = flyte_storage::redact_url(&blob.url);
                self.literal_map(rpc, what, kind, body, &source)
                    .await
                    .map(Some)
            }
            _ => Ok(None),
        }
    }

    /// A serialized literal map from `source`, its offloaded literals (if any) read from the
    /// blob store.
    async fn literal_map(
        &self,
        rpc: &'static str,
        what: &str,
        kind: &str,
        bytes: Bytes,
        source: &str,
    ) -> Result<LiteralMap> {
        let fail = |m: String| {
            Error::new(
                Code::Unavailable,
                rpc,
                self.endpoint(),
                format!("the {kind} of {what}: {m}"),
            )
        };
        let offloaded =
            flyte_storage::offloaded_uris(&bytes, source).map_err(|e| fail(e.to_string()))?;
        let Some(first) = offloaded.first() else {
            return <LiteralMap as prost::Message>::decode(bytes)
                .map_err(|e| fail(format!("{source} is not a LiteralMap protobuf: {e}")));
        };
        let more = match offloaded.len() - 1 {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let storage = self.blob_store().map_err(|why| {
            fail(format!(
                "they hold offloaded literals, stored apart at {first}{more}, but {why}"
            ))
        })?;
        storage
            .resolve_literal_map(bytes, source)
            .await
            .map_err(|e| fail(format!("reading their offloaded literals: {e}")))
    }

    /// The literal map at `uri` in the blob store, offloaded literals resolved.
    async fn read_blob_store(
        &self,
        rpc: &'static str,
        what: &str,
        kind: &str,
        uri: &str,
    ) -> Result<LiteralMap> {
        let fail = |m: String| Error::new(Code::Unavailable, rpc, self.endpoint(), m);
        let lead = format!(
            "the {kind} of {what} were returned neither inline (above FlyteAdmin's \
             remoteData.maxSizeInBytes) nor as a signed URL (remoteData.signedUrls is off)"
        );
        if uri.is_empty() {
            return Err(fail(format!(
                "{lead}, and FlyteAdmin names no blob-store URI for them"
            )));
        }
        let storage = match self.blob_store() {
            Ok(s) => s,
            Err(why) => return Err(fail(format!("{lead}; they are at {uri}, but {why}"))),
        };
        storage
            .read_literal_map(uri)
            .await
            .map_err(|e| fail(format!("{lead}; reading them from the blob store: {e}")))
    }

    /// The blob store, made from the config on first use.
    pub(crate) fn blob_store(&self) -> std::result::Result<&FlyteStorage, &str> {
        self.inner
            .storage
            .get_or_init(|| match &self.inner.storage_source {
                StorageSource::Given(s) => Ok(s.clone()),
                StorageSource::Config(c) => FlyteStorage::from_config(c)
                    .map_err(|e| format!("the config's storage section cannot be used: {e}")),
                StorageSource::None => Err("no blob store is configured: add a storage section \
                     to the config, or use AdminClientBuilder::storage"
                    .to_owned()),
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// Where an execution's data lies: FlyteAdmin records the outputs' URI in the closure; the
    /// inputs' URI is not part of its API.
    #[allow(deprecated)]
    pub(crate) async fn execution_data_uris(&self, id: &ExecutionId) -> Result<DataUris> {
        let exec = self.get_execution(id).await?;
        let outputs = match exec.closure.and_then(|c| c.output_result) {
            Some(execution_closure::OutputResult::Outputs(blob)) => match blob.data {
                Some(literal_map_blob::Data::Uri(uri)) => uri,
                _ => String::new(),
            },
            _ => String::new(),
        };
        Ok([String::new(), outputs])
    }

    #[allow(deprecated)]
    pub(crate) async fn node_execution_data_uris(
        &self,
        id: &core::NodeExecutionIdentifier,
    ) -> Result<DataUris> {
        let node = self.get_node_execution(id).await?;
        let outputs = match node.closure.and_then(|c| c.output_result) {
            Some(node_execution_closure::OutputResult::OutputUri(uri)) => uri,
            _ => String::new(),
        };
        Ok([node.input_uri, outputs])
    }

    #[allow(deprecated)]
    pub(crate) async fn task_execution_data_uris(
        &self,
        id: &core::TaskExecutionIdentifier,
    ) -> Result<DataUris> {
        let task = self.get_task_execution(id).await?;
        let outputs = match task.closure.and_then(|c| c.output_result) {
            Some(task_execution_closure::OutputResult::OutputUri(uri)) => uri,
            _ => String::new(),
        };
        Ok([task.input_uri, outputs])
    }
}
