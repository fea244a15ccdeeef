//! One retry policy for every call: transient codes only, exponential backoff with jitter, a
//! deadline per attempt and an overall one.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tracing::Instrument as _;

use crate::error::{Error, Result};

/// How calls are retried.
///
/// UNAVAILABLE, RESOURCE_EXHAUSTED and a DEADLINE_EXCEEDED of one attempt are retried, up to
/// [`RetryPolicy::max_retries`] times (flytectl's `maxRetries` counts attempts; here it counts
/// retries, so `maxRetries: 4` means five attempts at most). Nothing else is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Wait before the first retry; doubled after each.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// Deadline of each attempt (`perRetryTimeout`); zero means none.
    pub per_attempt_timeout: Duration,
    /// Deadline of the call with all its retries; zero means none.
    pub overall_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            per_attempt_timeout: Duration::from_secs(15),
            overall_timeout: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// No retries, no deadlines.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            per_attempt_timeout: Duration::ZERO,
            overall_timeout: Duration::ZERO,
            ..RetryPolicy::default()
        }
    }

    /// Sets the number of retries.
    #[must_use]
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Sets the first backoff (doubled after each retry, capped at `max_backoff`).
    #[must_use]
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Sets the deadline of each attempt.
    #[must_use]
    pub fn per_attempt_timeout(mut self, d: Duration) -> Self {
        self.per_attempt_timeout = d;
        self
    }

    /// Sets the deadline of a call with its retries.
    #[must_use]
    pub fn overall_timeout(mut self, d: Duration) -> Self {
        self.overall_timeout = d;
        self
    }
}

/// Whether a status is worth another attempt: a transient code ([`Error::is_transient`]'s),
/// unless TLS refused the server, which no retry changes.
fn retryable(status: &tonic::Status) -> bool {
    crate::error::Code::from(status.code()).is_transient() && !tls_rejected(status)
}

/// Whether the call failed because TLS refused the server (an unknown CA, a wrong name): tonic
/// reports that as UNAVAILABLE, but no retry can change the certificate.
pub(crate) fn tls_rejected(status: &tonic::Status) -> bool {
    use tokio_rustls::rustls;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(status);
    while let Some(e) = cur {
        let inner_is_tls = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
        if inner_is_tls || e.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        cur = e.source();
    }
    false
}

static JITTER: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);

/// A factor in [0.5, 1.0): full jitter would starve; none would herd.
fn jitter() -> f64 {
    let mut x = JITTER.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    0.5 + (x >> 11) as f64 / (1u64 << 53) as f64 / 2.0
}

/// Runs one RPC under the policy. `idempotent` false means a single attempt.
pub(crate) async fn run<T, F, Fut>(
    policy: &RetryPolicy,
    rpc: &'static str,
    endpoint: &str,
    idempotent: bool,
    mut call: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<tonic::Response<T>, tonic::Status>>,
{
    let attempts = if idempotent {
        policy.max_retries + 1
    } else {
        1
    };
    let started = tokio::time::Instant::now();
    let mut backoff = policy.initial_backoff;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let span = tracing::debug_span!("flyteadmin", rpc, attempt);
        let outcome = if policy.per_attempt_timeout.is_zero() {
            call().instrument(span).await
        } else {
            match tokio::time::timeout(policy.per_attempt_timeout, call().instrument(span)).await {
                Ok(r) => r,
                Err(_) => Err(tonic::Status::deadline_exceeded(format!(
                    "no answer within {:?} (perRetryTimeout)",
                    policy.per_attempt_timeout
                ))),
            }
        };
        let status = match outcome {
            Ok(resp) => {
                tracing::debug!(rpc, attempt, "ok");
                return Ok(resp.into_inner());
            }
            Err(s) => s,
        };
        tracing::debug!(rpc, attempt, code = ?status.code(), "failed");
        let wait = backoff.mul_f64(jitter());
        let out_of_time =
            !policy.overall_timeout.is_zero() && started.elapsed() + wait >= policy.overall_timeout;
        if attempt >= attempts || !retryable(&status) || out_of_time {
            return Err(Error::from_status(status, rpc, endpoint));
        }
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(policy.max_backoff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.5..1.0).contains(&j), "{j}");
        }
    }
}
