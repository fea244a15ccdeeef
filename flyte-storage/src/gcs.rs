//! Google Cloud Storage, configured as flytestdlib's stow kind `google`: `json` (a service
//! account key, its contents or a path to it) and `project_id`; without `json`, the usual
//! `GOOGLE_*` variables, application default credentials or the metadata server (GKE workload
//! identity). flyte-rs adds `endpoint`, the base URL of an emulator such as fake-gcs-server, and
//! `anonymous: true`, requests without credentials (emulators, public buckets).

use std::fmt;
use std::sync::Arc;

use flyte_config::{Secret, StowSettings};
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::ObjectStore;

use crate::cloud::{build_error, truthy};
use crate::error::Result;
use crate::options::CloudOptions;

/// A service account key as given.
#[derive(Clone)]
enum KeySource {
    /// The JSON itself.
    Json(Secret),
    /// A file holding it.
    Path(String),
}

/// How to reach GCS.
#[derive(Clone)]
pub(crate) struct GcsSettings {
    key: Option<KeySource>,
    project_id: Option<String>,
    endpoint: Option<String>,
    anonymous: bool,
}

impl fmt::Debug for GcsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = match &self.key {
            Some(KeySource::Json(_)) => Some("<service account JSON>".to_owned()),
            Some(KeySource::Path(p)) => Some(p.clone()),
            None => None,
        };
        f.debug_struct("GcsSettings")
            .field("service_account", &key)
            .field("project_id", &self.project_id)
            .field("endpoint", &self.endpoint)
            .field("anonymous", &self.anonymous)
            .finish()
    }
}

impl GcsSettings {
    pub(crate) fn from_stow(c: &StowSettings) -> Result<GcsSettings> {
        let non_empty = |k: &str| c.get(k).map(str::trim).filter(|v| !v.is_empty());
        let key = non_empty("json").map(|j| {
            if j.starts_with('{') {
                KeySource::Json(Secret::new(j))
            } else {
                KeySource::Path(j.to_owned())
            }
        });
        let anonymous = non_empty("anonymous").is_some_and(truthy);
        if anonymous && key.is_some() {
            return Err(crate::Error::config(
                "storage.stow.config: anonymous is true and json gives a service account: \
                 choose one",
            ));
        }
        Ok(GcsSettings {
            key,
            project_id: non_empty("project_id").map(str::to_owned),
            endpoint: non_empty("endpoint").map(str::to_owned),
            anonymous,
        })
    }

    /// The client for `bucket`.
    pub(crate) fn build(
        &self,
        bucket: &str,
        options: &CloudOptions,
    ) -> Result<Arc<dyn ObjectStore>> {
        let mut b = match &self.key {
            Some(KeySource::Json(json)) => {
                GoogleCloudStorageBuilder::new().with_service_account_key(json.expose())
            }
            Some(KeySource::Path(path)) => {
                GoogleCloudStorageBuilder::new().with_service_account_path(path)
            }
            None => GoogleCloudStorageBuilder::from_env(),
        }
        .with_bucket_name(bucket)
        .with_retry(options.retry_config());
        if self.anonymous {
            // No credentials at all: never a token request (to the metadata server, say).
            b = b.with_skip_signature(true).with_credentials(Arc::new(
                object_store::StaticCredentialProvider::new(object_store::gcp::GcpCredential {
                    bearer: String::new(),
                }),
            ));
        }
        let allow_http = self
            .endpoint
            .as_deref()
            .is_some_and(|e| e.starts_with("http://"));
        b = b.with_client_options(options.client_options(allow_http)?);
        if let Some(endpoint) = &self.endpoint {
            b = b.with_base_url(endpoint);
        }
        let store = b
            .build()
            .map_err(|e| build_error(&format!("GCS bucket {bucket:?}"), e))?;
        Ok(Arc::new(store))
    }
}
