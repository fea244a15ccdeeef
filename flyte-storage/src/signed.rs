//! [`SignedUrls`]: transfers through signed URLs (FlyteAdmin's data proxy), with the headers the
//! server asked for. They need no store: the URL carries the place and the permission. The
//! URL's query, where the signature lives, never reaches an error.

use std::collections::HashMap;

use base64::Engine as _;
use bytes::Bytes;
use md5::{Digest as _, Md5};

use crate::error::{redact_url, Error, Result};

/// The `Content-MD5` header value for `data`: base64 of its MD5, as the data proxy expects.
pub fn content_md5(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

/// Uploads to and downloads from signed URLs, such as those FlyteAdmin's data proxy hands out
/// (`CreateUploadLocation`, `CreateDownloadLink`, `remoteData.signedUrls`).
///
/// Cheap to clone; clones share the HTTP connections. Errors and `Debug` never show a URL's
/// query, where the signature lives.
///
/// ```no_run
/// # async fn run() -> Result<(), flyte_storage::Error> {
/// use flyte_storage::SignedUrls;
/// let signed = SignedUrls::new();
/// let outputs = signed.get("https://bucket.s3.amazonaws.com/outputs.pb?X-Amz-Signature=...").await?;
/// # let _ = outputs; Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct SignedUrls {
    http: reqwest::Client,
}

impl SignedUrls {
    /// A client with the HTTP client's defaults (no timeouts: a large bundle takes as long as
    /// it takes).
    pub fn new() -> SignedUrls {
        SignedUrls::default()
    }

    /// Transfers with `http`: a client set up once for the program (timeouts, CA bundle,
    /// proxy), such as `flyte_auth::http_client` builds from flytectl's config.
    ///
    /// reqwest's `Client` is in this signature on purpose: it is the shared client itself.
    pub fn with_client(http: reqwest::Client) -> SignedUrls {
        SignedUrls { http }
    }

    /// Uploads `data` with PUT to a signed URL, sending `headers` (those `CreateUploadLocation`
    /// returned), `Content-MD5` when they do not set it, and `x-ms-blob-type: BlockBlob` for
    /// Azure blob URLs. 200 and 201 both succeed.
    ///
    /// # Errors
    /// [`Error::Transfer`] with the URL (without its query) and the status or failure.
    pub async fn put(
        &self,
        url: &str,
        headers: &HashMap<String, String>,
        data: impl Into<Bytes>,
    ) -> Result<()> {
        let data = data.into();
        let shown = redact_url(url);
        let mut req = self.http.put(url);
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
            .map_err(|e| transport_error(&shown, e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body = resp.text().await.unwrap_or_default();
        let detail: String = body.chars().take(300).collect();
        Err(Error::transfer(
            shown,
            format!("HTTP {status}: {}", detail.trim()),
        ))
    }

    /// Downloads a signed URL whole.
    ///
    /// # Errors
    /// [`Error::Transfer`] with the URL (without its query) and the status or failure.
    pub async fn get(&self, url: &str) -> Result<Bytes> {
        let shown = redact_url(url);
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| transport_error(&shown, e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(Error::transfer(shown, format!("HTTP {status}")));
        }
        resp.bytes().await.map_err(|e| transport_error(&shown, e))
    }
}

/// A failed request or body, named by the URL without its query; the HTTP client's error, its
/// URL removed, is the source.
fn transport_error(shown: &str, e: reqwest::Error) -> Error {
    let e = e.without_url();
    Error::transfer(shown, e.to_string()).with_source(e)
}
