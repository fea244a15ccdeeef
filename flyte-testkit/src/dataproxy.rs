//! DataProxyService as FlyteAdmin serves it, with signed URLs answered by the test kit's own
//! HTTP listener and objects kept in an `object_store` (memory, or a directory on request).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use flyteidl::flyteidl::service::{
    create_download_link_request, data_proxy_service_server::DataProxyService, get_data_response,
    ArtifactType, CreateDownloadLinkRequest, CreateDownloadLinkResponse,
    CreateDownloadLocationRequest, CreateDownloadLocationResponse, CreateUploadLocationRequest,
    CreateUploadLocationResponse, GetDataRequest, GetDataResponse,
};
use object_store::path::Path as StorePath;
use object_store::ObjectStoreExt as _;
use tonic::{Request, Response, Status};

use crate::errors::{already_exists, invalid, not_found, Result};
use crate::executions::Shared;

/// FlyteAdmin's `upload.maxExpiresIn` and `download.maxExpiresIn` defaults.
pub(crate) const MAX_EXPIRES_IN: Duration = Duration::from_secs(3600);

/// One signed URL the HTTP listener will honour.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) path: String,
    pub(crate) method: &'static str,
    pub(crate) expires_at: u64,
    /// The MD5 the upload must have, when the request gave one.
    pub(crate) md5: Option<Vec<u8>>,
}

fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let name = crate::executions::generate_name();
    // Mix two draws so tokens from one instant differ.
    let extra = crate::executions::generate_name();
    name.bytes()
        .chain(extra.bytes())
        .skip(1)
        .cycle()
        .take(len)
        .enumerate()
        .map(|(i, b)| char::from(ALPHABET[(usize::from(b) + i * 7) % ALPHABET.len()]))
        .collect()
}

/// RFC 4648 base32 with padding, as Go's `base32.StdEncoding`.
pub(crate) fn base32_std(data: &[u8]) -> String {
    data_encoding::BASE32.encode(data)
}

fn expiry(expires_in: Option<&prost_types::Duration>) -> Result<Duration> {
    let Some(d) = expires_in else {
        return Ok(MAX_EXPIRES_IN);
    };
    if d.seconds < 0 || d.nanos < 0 {
        return Err(invalid(format!("expiresIn [{}s] is invalid", d.seconds)));
    }
    let d = Duration::new(d.seconds as u64, d.nanos as u32);
    if d.is_zero() {
        return Ok(MAX_EXPIRES_IN);
    }
    if d > MAX_EXPIRES_IN {
        return Err(invalid(format!(
            "expiresIn [{}s] cannot exceed max allowed expiration [{}s]",
            d.as_secs(),
            MAX_EXPIRES_IN.as_secs()
        )));
    }
    Ok(d)
}

fn timestamp(unix: u64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: i64::try_from(unix).unwrap_or(i64::MAX),
        nanos: 0,
    }
}

impl Shared {
    /// The object path behind a native URL in the test kit's bucket.
    pub(crate) fn store_path(&self, native_url: &str) -> Option<StorePath> {
        let rest = native_url
            .strip_prefix(&self.storage_prefix)?
            .trim_start_matches('/');
        (!rest.is_empty()).then(|| StorePath::from(rest))
    }

    pub(crate) fn sign(
        &self,
        path: &str,
        method: &'static str,
        expires: Duration,
        md5: Option<Vec<u8>>,
    ) -> (String, u64) {
        let expires_at = self.clock.unix_now() + expires.as_secs();
        let token = random_token(32);
        self.grants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(
                token.clone(),
                Grant {
                    path: path.to_owned(),
                    method,
                    expires_at,
                    md5,
                },
            );
        let base = self.http_base.get().cloned().unwrap_or_default();
        (
            format!("{base}/blobs/{path}?expires={expires_at}&signature={token}"),
            expires_at,
        )
    }
}

#[derive(Debug, Clone)]
pub(crate) struct DataProxy {
    pub(crate) shared: Arc<Shared>,
}

#[tonic::async_trait]
impl DataProxyService for DataProxy {
    async fn create_upload_location(
        &self,
        request: Request<CreateUploadLocationRequest>,
    ) -> Result<Response<CreateUploadLocationResponse>, Status> {
        let req = request.into_inner();
        if req.project.is_empty() || req.domain.is_empty() {
            return Err(invalid("project and domain are required parameters"));
        }
        if req.content_md5.is_empty() && req.filename_root.is_empty() {
            return Err(invalid(
                "content_md5 or filename_root is a required parameter",
            ));
        }
        let expires = expiry(req.expires_in.as_ref())?;
        let filename = if req.filename.is_empty() {
            random_token(20)
        } else {
            req.filename.clone()
        };
        let prefix = if req.filename_root.is_empty() {
            base32_std(&req.content_md5)
        } else {
            req.filename_root.clone()
        };
        let parts: Vec<&str> = [
            req.org.as_str(),
            &req.project,
            &req.domain,
            &prefix,
            &filename,
        ]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
        let path = parts.join("/");
        let native_url = format!("{}/{path}", self.shared.storage_prefix);
        // A deterministic path (filename and filename_root) may not silently overwrite.
        if !req.filename.is_empty() && !req.filename_root.is_empty() {
            if let Ok(meta) = self
                .shared
                .store
                .head(&StorePath::from(path.as_str()))
                .await
            {
                let existing_md5 = self.shared.md5_of(&path);
                let same = !req.content_md5.is_empty()
                    && existing_md5.as_deref() == Some(req.content_md5.as_slice());
                if !same {
                    let _ = meta;
                    return Err(already_exists(format!(
                        "file already exists at location [{native_url}], specify a matching hash if you wish to rewrite"
                    )));
                }
            }
        }
        let md5 = (!req.content_md5.is_empty()).then(|| req.content_md5.clone());
        let mut headers = HashMap::new();
        if let Some(m) = &md5 {
            headers.insert(
                "Content-MD5".to_owned(),
                base64::engine::general_purpose::STANDARD.encode(m),
            );
            if req.add_content_md5_metadata {
                headers.insert("x-amz-meta-flytecontentmd5".to_owned(), hex(m));
            }
        }
        let (signed_url, expires_at) = self.shared.sign(&path, "PUT", expires, md5);
        Ok(Response::new(CreateUploadLocationResponse {
            signed_url,
            native_url,
            expires_at: Some(timestamp(expires_at)),
            headers,
        }))
    }

    async fn create_download_location(
        &self,
        request: Request<CreateDownloadLocationRequest>,
    ) -> Result<Response<CreateDownloadLocationResponse>, Status> {
        let req = request.into_inner();
        let expires = expiry(req.expires_in.as_ref())?;
        let path = self
            .shared
            .store_path(&req.native_url)
            .ok_or_else(|| invalid(format!("failed to parse native_url [{}]", req.native_url)))?;
        let (signed_url, expires_at) = self.shared.sign(path.as_ref(), "GET", expires, None);
        Ok(Response::new(CreateDownloadLocationResponse {
            signed_url,
            expires_at: Some(timestamp(expires_at)),
        }))
    }

    async fn create_download_link(
        &self,
        request: Request<CreateDownloadLinkRequest>,
    ) -> Result<Response<CreateDownloadLinkResponse>, Status> {
        let req = request.into_inner();
        if req.artifact_type != ArtifactType::Deck as i32 {
            return Err(invalid(
                "unsupported artifact type [ARTIFACT_TYPE_UNDEFINED]",
            ));
        }
        expiry(req.expires_in.as_ref())?;
        let Some(create_download_link_request::Source::NodeExecutionId(node)) = req.source else {
            return Err(invalid("unsupported source [nil]"));
        };
        let exists = {
            let db = self.shared.db();
            node.execution_id
                .as_ref()
                .and_then(|e| db.find_execution(e))
                .is_some_and(|rec| {
                    rec.value.nodes.iter().any(|n| {
                        n.node
                            .id
                            .as_ref()
                            .is_some_and(|i| i.node_id == node.node_id)
                    })
                })
        };
        if !exists {
            return Err(invalid(format!(
                "failed to find node execution [{}]",
                node.node_id
            )));
        }
        // The simulated tasks render no decks.
        Err(not_found(format!(
            "no deckUrl found for node execution [{}]",
            node.node_id
        )))
    }

    async fn get_data(
        &self,
        request: Request<GetDataRequest>,
    ) -> Result<Response<GetDataResponse>, Status> {
        let url = request.into_inner().flyte_url;
        let rest = url.strip_prefix("flyte://v1/").ok_or_else(|| {
            invalid(format!(
                "invalid flyte url [{url}]: expected flyte://v1/..."
            ))
        })?;
        let parts: Vec<&str> = rest.split('/').collect();
        let (project, domain, exec, node) = match parts.as_slice() {
            [p, d, e, n, ..] => (*p, *d, *e, *n),
            _ => return Err(invalid(format!("invalid flyte url [{url}]"))),
        };
        let mut tail = &parts[4..];
        if tail.first().is_some_and(|t| t.parse::<u32>().is_ok()) {
            tail = &tail[1..];
        }
        let (kind, name) = match tail {
            [k] => (*k, None),
            [k, n] => (*k, Some(*n)),
            _ => return Err(invalid(format!("invalid flyte url [{url}]"))),
        };
        let id = flyteidl::flyteidl::core::WorkflowExecutionIdentifier {
            project: project.into(),
            domain: domain.into(),
            name: exec.into(),
            org: String::new(),
        };
        let db = self.shared.db();
        let rec = db
            .find_execution(&id)
            .ok_or_else(|| crate::errors::missing_execution(&id))?;
        let n = rec
            .value
            .nodes
            .iter()
            .find(|n| n.node.id.as_ref().is_some_and(|i| i.node_id == node))
            .ok_or_else(|| not_found(format!("node [{node}] not found in execution [{exec}]")))?;
        let map = match kind {
            "i" => n.inputs.clone(),
            "o" => n.outputs.clone().unwrap_or_default(),
            "d" => {
                return Err(not_found(format!(
                    "no deckUrl found for node execution [{node}]"
                )))
            }
            other => {
                return Err(invalid(format!(
                    "unknown io type [{other}] in flyte url [{url}]"
                )))
            }
        };
        let data = match name {
            None => get_data_response::Data::LiteralMap(map),
            Some(name) => get_data_response::Data::Literal(
                map.literals
                    .get(name)
                    .cloned()
                    .ok_or_else(|| not_found(format!("no literal named [{name}] at [{url}]")))?,
            ),
        };
        Ok(Response::new(GetDataResponse { data: Some(data) }))
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Shared {
    /// The MD5 of an object the data proxy stored, as recorded at upload.
    pub(crate) fn md5_of(&self, path: &str) -> Option<Vec<u8>> {
        self.md5s
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(path)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_go() {
        assert_eq!(base32_std(b""), "");
        assert_eq!(base32_std(b"f"), "MY======");
        assert_eq!(base32_std(b"fo"), "MZXQ====");
        assert_eq!(base32_std(b"foo"), "MZXW6===");
        assert_eq!(base32_std(b"foob"), "MZXW6YQ=");
        assert_eq!(base32_std(b"fooba"), "MZXW6YTB");
        assert_eq!(base32_std(b"foobar"), "MZXW6YTBOI======");
    }

    #[test]
    fn tokens_differ() {
        assert_ne!(random_token(32), random_token(32));
        assert_eq!(random_token(20).len(), 20);
    }
}
