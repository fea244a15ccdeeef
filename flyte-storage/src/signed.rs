//! Transfers through signed URLs (FlyteAdmin's data proxy), with the headers the server asked
//! for; the URL's query, where the signature lives, never reaches an error.

use std::collections::HashMap;

use base64::Engine as _;
use bytes::Bytes;
use md5::{Digest as _, Md5};

use crate::error::{redact_url, Error, Result};
use crate::store::FlyteStorage;

/// The `Content-MD5` header value for `data`: base64 of its MD5, as the data proxy expects.
pub fn content_md5(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

impl FlyteStorage {
    /// Uploads `data` with PUT to a signed URL, sending `headers` (those `CreateUploadLocation`
    /// returned), `Content-MD5` when they do not set it, and `x-ms-blob-type: BlockBlob` for
    /// Azure blob URLs. 200 and 201 both succeed.
    ///
    /// # Errors
    /// [`Error::Transfer`] with the URL (without its query) and the status or failure.
    pub async fn put_signed(
        &self,
        url: &str,
        headers: &HashMap<String, String>,
        data: impl Into<Bytes>,
    ) -> Result<()> {
        let data = data.into();
        let shown = redact_url(url);
        let fail = |message: String| Error::Transfer {
            url: shown.clone(),
            message,
        };
        let mut req = self.http().put(url);
        let has = |name: &str| headers.keys().any(|k| k.eq_ignore_ascii_case(name));
        for (k, v) in headers {
            req = req.header(k, v);
        }
        if !has("content-md5") {
            req = req.header("Content-MD5", content_md5(&data));
        }
        if !has("x-ms-blob-type") && shown.contains(".blob.core.windows.net") {
            req = req.header("x-ms-blob-type", "BlockBlob");
        }
        let resp = req
            .body(data)
            .send()
            .await
            .map_err(|e| fail(e.without_url().to_string()))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body = resp.text().await.unwrap_or_default();
        let detail: String = body.chars().take(300).collect();
        Err(fail(format!("HTTP {status}: {}", detail.trim())))
    }

    /// Downloads a signed URL whole.
    ///
    /// # Errors
    /// [`Error::Transfer`] with the URL (without its query) and the status or failure.
    pub async fn get_signed(&self, url: &str) -> Result<Bytes> {
        let shown = redact_url(url);
        let fail = |message: String| Error::Transfer {
            url: shown.clone(),
            message,
        };
        let resp = self
            .http()
            .get(url)
            .send()
            .await
            .map_err(|e| fail(e.without_url().to_string()))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(fail(format!("HTTP {status}")));
        }
        resp.bytes()
            .await
            .map_err(|e| fail(e.without_url().to_string()))
    }
}
