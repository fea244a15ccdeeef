//! Retries and timeouts of the cloud stores, in the words every flyte-rs crate uses
//! ([`RetryPolicy`]), plus the transport's own settings.

use std::time::Duration;

use flyte_config::RetryPolicy;

/// Retry, timeout and TLS settings for the cloud stores (S3, GCS, Azure). Memory and local
/// stores ignore them.
///
/// Retries are said with [`RetryPolicy`], as in the other flyte-rs crates; object_store carries
/// them out. The defaults are tuned for Flyte's traffic, many small protobuf files and a few
/// large code bundles and datasets, rather than taken from object_store unchanged:
///
/// | setting | default | object_store's | why |
/// |---|---|---|---|
/// | `retry.max_retries` | 5 | 10 | a store that failed five times with backoff is down; say so within a minute |
/// | `retry.overall_timeout` | 60 s | 180 s | the same, as a bound in time |
/// | `retry.initial_backoff` .. `retry.max_backoff` | 100 ms .. 10 s | 100 ms .. 15 s | |
/// | `retry.per_attempt_timeout` | none (zero) | 30 s | a 1 GiB download is one request: a total bound would cut every slow but healthy transfer |
/// | `connect_timeout` | 5 s | 5 s | |
/// | `read_timeout` | 30 s | none | a transfer that stalls this long is cut and retried; downloads resume where they stopped |
///
/// How object_store reads the [`RetryPolicy`]:
/// - `max_retries` counts the retries after the first attempt, as everywhere.
/// - `per_attempt_timeout` bounds each HTTP request, body included (zero: no bound).
/// - `overall_timeout` is object_store's `retry_timeout`: no retry starts once this long has
///   passed since the first attempt (zero: no bound). object_store checks it before the wait,
///   so the last wait may end past it.
/// - The backoff is object_store's own, with its own jitter ("decorrelated jitter"): the first
///   wait is `initial_backoff`, each next one is random between `initial_backoff` and twice the
///   previous wait, capped at `max_backoff`. [`RetryPolicy::backoff`]'s formula does not apply.
///
/// Retried: connection failures, timeouts, 5xx and 429 answers, and S3's `SlowDown` and
/// `InternalError` bodies. Never retried: 4xx answers such as not found, access denied or a bad
/// signature, which come back at once as [`Error`](crate::Error).
///
/// ```
/// use std::time::Duration;
/// use flyte_storage::{CloudOptions, RetryPolicy};
///
/// let options = CloudOptions::new()
///     .retry(CloudOptions::default_retry().max_retries(2))
///     .read_timeout(Duration::from_secs(10));
/// assert_eq!(options.retry.max_attempts(), 3);
/// assert_eq!(options.retry.overall_timeout, Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CloudOptions {
    /// Retries, backoff and deadlines; [`CloudOptions::default_retry`] gives the defaults.
    pub retry: RetryPolicy,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long one read of a response may wait for data; `None` waits forever.
    pub read_timeout: Option<Duration>,
    /// Certificate authorities (PEM, one or more) trusted besides the system's, for a store
    /// behind a private CA such as an in-cluster MinIO.
    pub ca_certificates_pem: Option<String>,
}

impl Default for CloudOptions {
    fn default() -> Self {
        CloudOptions {
            retry: CloudOptions::default_retry(),
            connect_timeout: Duration::from_secs(5),
            read_timeout: Some(Duration::from_secs(30)),
            ca_certificates_pem: None,
        }
    }
}

impl CloudOptions {
    /// The defaults (see the table above).
    pub fn new() -> Self {
        CloudOptions::default()
    }

    /// flyte-storage's default retries: 5 retries, 100 ms doubling up to 10 s, no bound on one
    /// attempt, 60 s in all. Not [`RetryPolicy::default`], which is the FlyteAdmin client's.
    pub fn default_retry() -> RetryPolicy {
        RetryPolicy::new()
            .max_retries(5)
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_secs(10))
            .per_attempt_timeout(Duration::ZERO)
            .overall_timeout(Duration::from_secs(60))
    }

    /// Sets the retries, backoff and deadlines.
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets how long to wait for a connection.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets how long one read may wait for data (`None`: forever).
    #[must_use]
    pub fn read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.read_timeout = timeout.into();
        self
    }

    /// Trusts the certificate authorities in `pem` besides the system's.
    #[must_use]
    pub fn ca_certificates_pem(mut self, pem: impl Into<String>) -> Self {
        self.ca_certificates_pem = Some(pem.into());
        self
    }
}

#[cfg(any(feature = "aws", feature = "gcp", feature = "azure"))]
impl CloudOptions {
    pub(crate) fn retry_config(&self) -> object_store::RetryConfig {
        let r = &self.retry;
        object_store::RetryConfig {
            backoff: object_store::BackoffConfig {
                init_backoff: r.initial_backoff,
                max_backoff: r.max_backoff,
                base: 2.0,
            },
            max_retries: usize::try_from(r.max_retries).unwrap_or(usize::MAX),
            retry_timeout: match r.overall_timeout {
                Duration::ZERO => Duration::MAX,
                t => t,
            },
        }
    }

    /// # Errors
    /// [`Error::Config`](crate::Error::Config) when the CA certificates do not parse.
    pub(crate) fn client_options(
        &self,
        allow_http: bool,
    ) -> crate::Result<object_store::ClientOptions> {
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
        o = match self.retry.per_attempt_timeout {
            Duration::ZERO => o.with_timeout_disabled(),
            t => o.with_timeout(t),
        };
        if let Some(pem) = &self.ca_certificates_pem {
            let certs =
                object_store::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
                    crate::Error::config("CA certificates: not PEM certificates").with_source(e)
                })?;
            for cert in certs {
                o = o.with_root_certificate(cert);
            }
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_flyte_storages_not_the_admin_clients() {
        let o = CloudOptions::default();
        assert_eq!(o.retry.max_retries, 5);
        assert_eq!(o.retry.initial_backoff, Duration::from_millis(100));
        assert_eq!(o.retry.max_backoff, Duration::from_secs(10));
        assert_eq!(o.retry.per_attempt_timeout, Duration::ZERO);
        assert_eq!(o.retry.overall_timeout, Duration::from_secs(60));
        assert_eq!(o.connect_timeout, Duration::from_secs(5));
        assert_eq!(o.read_timeout, Some(Duration::from_secs(30)));
        assert_ne!(o.retry, RetryPolicy::default());
    }

    #[cfg(any(feature = "aws", feature = "gcp", feature = "azure"))]
    #[test]
    fn the_policy_becomes_object_stores_retry_config() {
        let o = CloudOptions::new().retry(
            RetryPolicy::new()
                .max_retries(3)
                .initial_backoff(Duration::from_millis(50))
                .max_backoff(Duration::from_secs(2))
                .overall_timeout(Duration::from_secs(20)),
        );
        let c = o.retry_config();
        assert_eq!(c.max_retries, 3);
        assert_eq!(c.backoff.init_backoff, Duration::from_millis(50));
        assert_eq!(c.backoff.max_backoff, Duration::from_secs(2));
        assert_eq!(c.retry_timeout, Duration::from_secs(20));
        // Zero is "no bound" in RetryPolicy, but "no retries" to object_store.
        let unbounded = o.retry(RetryPolicy::none().max_retries(2)).retry_config();
        assert_eq!(unbounded.retry_timeout, Duration::MAX);
    }

    #[cfg(any(feature = "aws", feature = "gcp", feature = "azure"))]
    #[test]
    fn the_per_attempt_timeout_bounds_each_request_and_zero_none() -> crate::Result<()> {
        use object_store::ClientConfigKey::{ConnectTimeout, ReadTimeout, Timeout};
        let defaults = CloudOptions::default().client_options(false)?;
        assert_eq!(defaults.get_config_value(&Timeout), None);
        assert_eq!(
            defaults.get_config_value(&ConnectTimeout).as_deref(),
            Some("5s")
        );
        assert_eq!(
            defaults.get_config_value(&ReadTimeout).as_deref(),
            Some("30s")
        );
        let bounded = CloudOptions::new()
            .retry(CloudOptions::default_retry().per_attempt_timeout(Duration::from_secs(7)))
            .read_timeout(None)
            .client_options(false)?;
        assert_eq!(bounded.get_config_value(&Timeout).as_deref(), Some("7s"));
        assert_eq!(bounded.get_config_value(&ReadTimeout), None);
        Ok(())
    }
}
