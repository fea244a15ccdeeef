//! S3 and S3-compatible stores (MinIO), configured as flytectl's `storage` section says: the
//! `connection` block (`type: s3|minio`) or `stow.kind: s3` with its `config` map.

use std::fmt;
use std::sync::Arc;

use flyte_config::{Secret, StorageAuthType, StorageConfig, StorageType};
use object_store::aws::AmazonS3Builder;
use object_store::ObjectStore;

use crate::cloud::{build_error, truthy};
use crate::error::{Error, Result};
use crate::options::CloudOptions;

/// How to reach the S3 endpoint.
#[derive(Clone)]
pub(crate) struct S3Settings {
    endpoint: Option<String>,
    region: String,
    /// `None`: the ambient credentials (environment, profile, instance role).
    keys: Option<(String, Secret)>,
    allow_http: bool,
}

impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.keys.as_ref().map(|(id, _)| id))
            .field("allow_http", &self.allow_http)
            .finish_non_exhaustive()
    }
}

impl S3Settings {
    pub(crate) fn from_config(config: &StorageConfig) -> Result<S3Settings> {
        let (endpoint, region, keys, disable_ssl) = if config.kind == StorageType::Stow {
            let c = &config.stow.config;
            let keys = match (c.get("access_key_id"), c.get("secret_key")) {
                (Some(id), Some(secret)) if c.get("auth_type").is_none_or(|a| a != "iam") => {
                    Some((id.to_owned(), Secret::new(secret)))
                }
                _ => None,
            };
            (
                c.get("endpoint").unwrap_or_default().to_owned(),
                c.get("region").unwrap_or("us-east-1").to_owned(),
                keys,
                c.get("disable_ssl").is_some_and(truthy),
            )
        } else {
            let c = &config.connection;
            let keys = match c.auth_type {
                StorageAuthType::AccessKey => {
                    if c.access_key.is_empty() || c.secret_key.is_empty() {
                        return Err(Error::config(
                            "storage.connection.auth-type is accesskey but access-key or \
                             secret-key is empty",
                        ));
                    }
                    Some((c.access_key.clone(), c.secret_key.clone()))
                }
                _ => None,
            };
            (c.endpoint.clone(), c.region.clone(), keys, c.disable_ssl)
        };
        let endpoint = (!endpoint.is_empty()).then(|| {
            if endpoint.contains("://") {
                endpoint
            } else if disable_ssl {
                format!("http://{endpoint}")
            } else {
                format!("https://{endpoint}")
            }
        });
        let allow_http = disable_ssl
            || endpoint
                .as_deref()
                .is_some_and(|e| e.starts_with("http://"));
        Ok(S3Settings {
            endpoint,
            region,
            keys,
            allow_http,
        })
    }

    /// The client for `bucket`.
    pub(crate) fn build(
        &self,
        bucket: &str,
        options: &CloudOptions,
    ) -> Result<Arc<dyn ObjectStore>> {
        let mut b = match &self.keys {
            // Explicit keys: nothing from the environment may override them.
            Some((id, secret)) => AmazonS3Builder::new()
                .with_access_key_id(id)
                .with_secret_access_key(secret.expose()),
            None => AmazonS3Builder::from_env(),
        }
        .with_bucket_name(bucket)
        .with_region(&self.region)
        .with_retry(options.retry_config())
        .with_client_options(options.client_options(self.allow_http)?)
        // Path-style requests: what MinIO and moto expect, and what S3 still accepts.
        .with_virtual_hosted_style_request(false);
        if let Some(endpoint) = &self.endpoint {
            b = b.with_endpoint(endpoint);
        }
        let store = b
            .build()
            .map_err(|e| build_error(&format!("S3 bucket {bucket:?}"), e))?;
        Ok(Arc::new(store))
    }
}
