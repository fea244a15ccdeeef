//! Retries and timeouts of the cloud stores, in flyte-storage's own terms.

use std::time::Duration;

/// Retry and timeout settings for the cloud stores (S3, GCS, Azure). Memory and local stores
/// ignore them.
///
/// The defaults are tuned for Flyte's traffic, many small protobuf files and a few large code
/// bundles and datasets, rather than taken from object_store unchanged:
///
/// | setting | default | object_store's | why |
/// |---|---|---|---|
/// | `max_retries` | 5 | 10 | a store that failed five times with backoff is down; say so within a minute |
/// | `retry_timeout` | 60 s | 180 s | the same, as a bound in time |
/// | `init_backoff` .. `max_backoff` | 100 ms .. 10 s, doubling | 100 ms .. 15 s | |
/// | `connect_timeout` | 5 s | 5 s | |
/// | `read_timeout` | 30 s | none | a transfer that stalls this long is cut and retried; downloads resume where they stopped |
/// | `request_timeout` | none | 30 s | a 1 GiB download is one request: a total bound would cut every slow but healthy transfer |
///
/// Retried: connection failures, timeouts, 5xx and 429 answers, and S3's `SlowDown` and
/// `InternalError` bodies. Never retried: 4xx answers such as not found, access denied or a bad
/// signature, which come back at once as [`Error`](crate::Error).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CloudOptions {
    /// How many times one request is retried.
    pub max_retries: usize,
    /// No retry starts once this long has passed since the first attempt.
    pub retry_timeout: Duration,
    /// The first wait between attempts.
    pub init_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long one read of a response may wait for data; `None` waits forever.
    pub read_timeout: Option<Duration>,
    /// How long a whole request may take, body included; `None` is no bound.
    pub request_timeout: Option<Duration>,
}

impl Default for CloudOptions {
    fn default() -> Self {
        CloudOptions {
            max_retries: 5,
            retry_timeout: Duration::from_secs(60),
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            read_timeout: Some(Duration::from_secs(30)),
            request_timeout: None,
        }
    }
}

#[cfg(any(feature = "aws", feature = "gcp", feature = "azure"))]
impl CloudOptions {
    pub(crate) fn retry_config(&self) -> object_store::RetryConfig {
        object_store::RetryConfig {
            backoff: object_store::BackoffConfig {
                init_backoff: self.init_backoff,
                max_backoff: self.max_backoff,
                base: 2.0,
            },
            max_retries: self.max_retries,
            retry_timeout: self.retry_timeout,
        }
    }

    pub(crate) fn client_options(&self, allow_http: bool) -> object_store::ClientOptions {
        let mut o = object_store::ClientOptions::new()
            .with_allow_http(allow_http)
            .with_connect_timeout(self.connect_timeout)
            .with_user_agent(object_store::HeaderValue::from_static(concat!(
                "flyte-rs/",
                env!("CARGO_PKG_VERSION")
            )));
        o = match self.read_timeout {
            Some(t) => o.with_read_timeout(t),
            None => o.with_read_timeout_disabled(),
        };
        match self.request_timeout {
            Some(t) => o.with_timeout(t),
            None => o.with_timeout_disabled(),
        }
    }
}
