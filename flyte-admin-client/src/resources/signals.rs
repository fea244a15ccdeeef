//! Signals (gate nodes) and the data proxy.

use flyteidl::flyteidl::admin;
use flyteidl::flyteidl::core::{self, Literal};
use flyteidl::flyteidl::service;

use futures::TryStreamExt as _;

use super::repeatable;
use crate::client::AdminClient;
use crate::error::Result;
use crate::ids::ExecutionId;
use crate::list::{ListOptions, Listing};

impl AdminClient {
    /// Signals of an execution (gate nodes), every page.
    pub fn list_signals(&self, id: &ExecutionId, opts: &ListOptions) -> Listing<admin::Signal> {
        let exec = id.to_pb();
        list_stream!(
            self,
            "ListSignals",
            opts,
            |token| |o: &ListOptions| admin::SignalListRequest {
                workflow_execution_id: Some(exec.clone()),
                limit: o.page_size,
                token: token.clone(),
                filters: o.filters.to_string(),
                sort_by: o.sort_pb(),
            },
            list_signals,
            signals,
            signals
        )
    }

    /// Sets a signal's value; for approvals, a boolean. Retried on transient failures:
    /// FlyteAdmin overwrites a value set before, so a repeat is harmless; a server that
    /// refuses a second value with ALREADY_EXISTS is taken at its word only when the value it
    /// holds differs from `value`.
    ///
    /// # Errors
    /// A value of the wrong type, NOT_FOUND (or FlyteAdmin's INVALID_ARGUMENT "failed to
    /// validate that signal ... exists"), ALREADY_EXISTS from a server that keeps a different
    /// first value.
    pub async fn set_signal(
        &self,
        id: &ExecutionId,
        signal_id: &str,
        value: Literal,
    ) -> Result<()> {
        let sid = core::SignalIdentifier {
            signal_id: signal_id.to_owned(),
            execution_id: Some(id.to_pb()),
        };
        let (request, attempts) = repeatable(admin::SignalSetRequest {
            id: Some(sid.clone()),
            value: Some(value.clone()),
        });
        let e = match self
            .unary("SetSignal", {
                let mut svc = self.inner.signals.clone();
                async move { svc.set_signal(request).await }
            })
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if e.is_already_exists() && attempts.get() > 1 => e,
            Err(e) => return Err(e),
        };
        // An earlier attempt may have set it before its answer was lost.
        let mut signals = std::pin::pin!(self.list_signals(id, &ListOptions::default()));
        while let Some(signal) = signals.try_next().await? {
            if signal.id.as_ref() == Some(&sid) {
                return if signal.value.as_ref() == Some(&value) {
                    Ok(())
                } else {
                    Err(e)
                };
            }
        }
        Err(e)
    }

    /// Approves (`true`) or rejects an approval gate.
    ///
    /// # Errors
    /// As [`AdminClient::set_signal`].
    pub async fn approve(&self, id: &ExecutionId, signal_id: &str, approve: bool) -> Result<()> {
        let value = Literal {
            value: Some(core::literal::Value::Scalar(Box::new(core::Scalar {
                value: Some(core::scalar::Value::Primitive(core::Primitive {
                    value: Some(core::primitive::Value::Boolean(approve)),
                })),
            }))),
            ..Literal::default()
        };
        self.set_signal(id, signal_id, value).await
    }

    /// A signed URL to upload a file of MD5 `content_md5` (fast registration, inputs).
    ///
    /// # Errors
    /// FlyteAdmin's checks (project and domain required, md5 or filename_root required).
    pub async fn create_upload_location(
        &self,
        project: &str,
        domain: &str,
        filename: &str,
        content_md5: &[u8],
        filename_root: Option<&str>,
    ) -> Result<service::CreateUploadLocationResponse> {
        self.unary("CreateUploadLocation", {
            let mut svc = self.inner.data_proxy.clone();
            let req = service::CreateUploadLocationRequest {
                project: project.to_owned(),
                domain: domain.to_owned(),
                filename: filename.to_owned(),
                content_md5: content_md5.to_vec(),
                filename_root: filename_root.unwrap_or_default().to_owned(),
                ..service::CreateUploadLocationRequest::default()
            };
            async move { svc.create_upload_location(req).await }
        })
        .await
    }

    /// Data behind a `flyte://` URL: a literal map, a literal, or signed URLs.
    ///
    /// # Errors
    /// The call's failures.
    pub async fn get_data(&self, flyte_url: &str) -> Result<service::GetDataResponse> {
        self.unary("GetData", {
            let mut svc = self.inner.data_proxy.clone();
            let req = service::GetDataRequest {
                flyte_url: flyte_url.to_owned(),
            };
            async move { svc.get_data(req).await }
        })
        .await
    }
}
