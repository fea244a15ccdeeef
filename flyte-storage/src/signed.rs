//! [`SignedUrls`]: transfers through signed URLs (FlyteAdmin's data proxy), with the headers the
//! server asked for. They need no store: the URL carries the place and the permission. The
//! URL's query, where the signature lives, never reaches an error.

use std::collections::HashMap;

use std::time::Duration;

use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use md5::{Digest as _, Md5};

use crate::error::{redact_url, xml_error_code, Error, Result};

/// The `Content-MD5` header value for `data`: base64 of its MD5, as the data proxy expects.
pub fn content_md5(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

/// How long [`SignedUrls::new`] waits for a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`SignedUrls::new`] waits for each read of an answer (between bytes, not for the
/// whole transfer: a large bundle takes as long as it takes).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The size limit of [`SignedUrls::get`], 1 GiB, unless [`SignedUrls::max_get_bytes`] sets
/// another.
pub const DEFAULT_MAX_GET_BYTES: u64 = 1024 * 1024 * 1024;
/// How much of an error answer is read to find its error code.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Uploads to and downloads from signed URLs, such as those FlyteAdmin's data proxy hands out
/// (`CreateUploadLocation`, `CreateDownloadLink`, `remoteData.signedUrls`).
///
/// Cheap to clone; clones share the HTTP connections. Errors and `Debug` never show a URL's
/// query, where the signature lives, nor an error answer's body (which can name credentials).
/// Downloads are read into memory a chunk at a time up to a limit ([`SignedUrls::get_limited`]).
///
/// ```no_run
/// # async fn run() -> Result<(), flyte_storage::Error> {
/// use flyte_storage::SignedUrls;
/// let signed = SignedUrls::new();
/// let outputs = signed
///     .get_limited("https://bucket.s3.amazonaws.com/outputs.pb?X-Amz-Signature=...", 1 << 20)
///     .await?;
/// # let _ = outputs; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SignedUrls {
    http: reqwest::Client,
    max_get_bytes: u64,
}

impl Default for SignedUrls {
    fn default() -> SignedUrls {
        SignedUrls::new()
    }
}

impl SignedUrls {
    /// A client with [`DEFAULT_CONNECT_TIMEOUT`] and [`DEFAULT_READ_TIMEOUT`], the operating system's
    /// root certificates and no proxy. Prefer [`SignedUrls::with_client`] with the client built
    /// from the config, which also honours its CA file and proxy.
    ///
    /// # Panics
    /// When the TLS backend cannot start, as `reqwest::Client::new` does (there is no client
    /// without timeouts to fall back to: that would hang on a stalled server).
    /// [`SignedUrls::try_new`] reports it instead.
    pub fn new() -> SignedUrls {
        match SignedUrls::try_new() {
            Ok(signed) => signed,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`SignedUrls::new`], with a failure to build the HTTP client reported.
    ///
    /// # Errors
    /// [`Error::Config`] when the TLS backend cannot start.
    pub fn try_new() -> Result<SignedUrls> {
        let http = reqwest::Client::builder()
            .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
            .read_timeout(DEFAULT_READ_TIMEOUT)
            .build()
            .map_err(|e| {
                Error::config(format!("cannot build the HTTP client for signed URLs: {e}"))
                    .with_source(e)
            })?;
        Ok(SignedUrls::with_client(http))
    }

    /// Transfers with `http`, such as the one HTTP client an application builds from its config
    /// (`flyte_auth::http_client`: timeouts, CA file, proxy) and shares with OAuth and archive
    /// downloads. reqwest's client
    /// is in this signature on purpose: sharing it is the point.
    pub fn with_client(http: reqwest::Client) -> SignedUrls {
        SignedUrls {
            http,
            max_get_bytes: DEFAULT_MAX_GET_BYTES,
        }
    }

    /// The size limit of [`SignedUrls::get`] ([`DEFAULT_MAX_GET_BYTES`] unless set).
    #[must_use]
    pub fn max_get_bytes(mut self, max_bytes: u64) -> SignedUrls {
        self.max_get_bytes = max_bytes;
        self
    }

    /// Uploads `data` with PUT to a signed URL, sending `headers` (those `CreateUploadLocation`
    /// returned), `Content-MD5` when they do not set it, and `x-ms-blob-type: BlockBlob` for
    /// Azure blob hosts. 200 and 201 both succeed.
    ///
    /// # Errors
    /// [`Error::Transfer`] with the URL (without its query) and the status or failure, and the
    /// store's error code (such as S3's `SignatureDoesNotMatch`) when its answer has one; never
    /// the rest of the answer, which can name the access key.
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
        if !has("x-ms-blob-type") && is_azure_blob_host(url) {
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
        Err(Error::transfer(shown, status_message(status, resp).await))
    }

    /// Downloads a signed URL into memory, up to the limit [`SignedUrls::max_get_bytes`] set
    /// ([`DEFAULT_MAX_GET_BYTES`] by default).
    ///
    /// # Errors
    /// As [`SignedUrls::get_limited`].
    pub async fn get(&self, url: &str) -> Result<Bytes> {
        self.get_limited(url, self.max_get_bytes).await
    }

    /// Downloads a signed URL into memory, a chunk at a time, refusing more than `max_bytes`:
    /// from `Content-Length` before reading when the server sends it, else as soon as the
    /// body passes the limit.
    ///
    /// # Errors
    /// [`Error::TooLarge`] over the limit; [`Error::Transfer`] with the URL (without its query)
    /// and the status or failure.
    pub async fn get_limited(&self, url: &str, max_bytes: u64) -> Result<Bytes> {
        let shown = redact_url(url);
        let mut resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| transport_error(&shown, e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(Error::transfer(shown, status_message(status, resp).await));
        }
        let too_large = |size| {
            Error::too_large(
                shown.clone(),
                size,
                max_bytes,
                "the limit given to SignedUrls::get_limited (or SignedUrls::max_get_bytes)",
            )
        };
        if let Some(size) = resp.content_length().filter(|&n| n > max_bytes) {
            return Err(too_large(Some(size)));
        }
        let capacity = resp.content_length().unwrap_or(0).min(max_bytes);
        let mut body = BytesMut::with_capacity(usize::try_from(capacity).unwrap_or(0));
        while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(&shown, e))? {
            if (body.len() + chunk.len()) as u64 > max_bytes {
                return Err(too_large(None));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

/// Whether `url` is an Azure blob endpoint (which needs `x-ms-blob-type` on a PUT), judged by
/// its host alone.
fn is_azure_blob_host(url: &str) -> bool {
    const BLOB_HOSTS: [&str; 3] = [
        ".blob.core.windows.net",
        ".blob.core.chinacloudapi.cn",
        ".blob.core.usgovcloudapi.net",
    ];
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|host| BLOB_HOSTS.iter().any(|suffix| host.ends_with(suffix)))
}

/// `HTTP <status>`, with the store's XML error code when the first part of its answer has one.
async fn status_message(status: reqwest::StatusCode, mut resp: reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < MAX_ERROR_BODY {
        match resp.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let body = String::from_utf8_lossy(&body);
    match xml_error_code(&body) {
        Some(code) => format!("HTTP {status} ({code})"),
        None => format!("HTTP {status}"),
    }
}

/// A failed request or body, named by the URL without its query; the HTTP client's error, its
/// URL removed, is the source.
fn transport_error(shown: &str, e: reqwest::Error) -> Error {
    let e = e.without_url();
    Error::transfer(shown, e.to_string()).with_source(e)
}
