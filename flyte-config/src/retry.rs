//! The one retry vocabulary of every flyte-rs crate: how many retries, how long to wait between
//! them, and the deadlines of one attempt and of the whole call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How a failed request is tried again, in the same words in every flyte-rs crate.
///
/// The flyte-admin-client (gRPC calls to FlyteAdmin), flyte-auth (token endpoint requests) and
/// flyte-storage (cloud object store requests) each take this type, start from their own
/// defaults (documented where they take it) and retry only what their layer knows to be
/// transient. What the fields mean is the same everywhere:
///
/// - [`max_retries`](Self::max_retries) counts the retries *after* the first attempt: `4` means
///   at most five attempts, `0` means one. (flytectl's `admin.maxRetries` is read as this.)
/// - The wait before retry `n` (from 1) is `initial_backoff * 2^(n-1)`, capped at
///   [`max_backoff`](Self::max_backoff), then multiplied by a random factor in `[0.5, 1.0)`
///   ("equal jitter"): clients that failed together do not come back together, and none waits
///   less than half the nominal backoff. [`RetryPolicy::backoff`] computes it.
/// - [`per_attempt_timeout`](Self::per_attempt_timeout) bounds one attempt (flytectl's
///   `admin.perRetryTimeout`); [`overall_timeout`](Self::overall_timeout) bounds the call with
///   all its retries and waits: no retry starts that would wait past it. Zero means no bound.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use flyte_config::RetryPolicy;
///
/// let policy = RetryPolicy::new()
///     .max_retries(2)
///     .initial_backoff(Duration::from_millis(200))
///     .per_attempt_timeout(Duration::from_secs(5));
/// assert_eq!(policy.max_attempts(), 3);
/// let wait = policy.backoff(2); // 400 ms nominal, so 200..400 ms
/// assert!(wait >= Duration::from_millis(200) && wait < Duration::from_millis(400));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Nominal wait before the first retry; doubled after each.
    pub initial_backoff: Duration,
    /// Longest nominal wait between attempts.
    pub max_backoff: Duration,
    /// Deadline of each attempt; zero means none.
    pub per_attempt_timeout: Duration,
    /// Deadline of the call with all its retries and waits; zero means none.
    pub overall_timeout: Duration,
}

impl Default for RetryPolicy {
    /// Four retries, 100 ms first backoff up to 5 s, 15 s an attempt, 120 s in all: the
    /// FlyteAdmin client's defaults. Other crates document their own.
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
    /// The defaults ([`RetryPolicy::default`]).
    pub fn new() -> Self {
        RetryPolicy::default()
    }

    /// One attempt, no deadlines.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            per_attempt_timeout: Duration::ZERO,
            overall_timeout: Duration::ZERO,
            ..RetryPolicy::default()
        }
    }

    /// Sets the number of retries after the first attempt.
    #[must_use]
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Sets the nominal wait before the first retry.
    #[must_use]
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Sets the longest nominal wait between attempts.
    #[must_use]
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Sets the deadline of each attempt (zero: none).
    #[must_use]
    pub fn per_attempt_timeout(mut self, d: Duration) -> Self {
        self.per_attempt_timeout = d;
        self
    }

    /// Sets the deadline of a call with its retries (zero: none).
    #[must_use]
    pub fn overall_timeout(mut self, d: Duration) -> Self {
        self.overall_timeout = d;
        self
    }

    /// Attempts in all: `max_retries + 1`.
    pub fn max_attempts(&self) -> u32 {
        self.max_retries.saturating_add(1)
    }

    /// The nominal wait before retry `retry` (1 for the first retry): exponential, capped.
    pub fn nominal_backoff(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        self.initial_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff)
    }

    /// The wait before retry `retry` (1 for the first retry): the nominal backoff times a
    /// random factor in `[0.5, 1.0)`.
    pub fn backoff(&self, retry: u32) -> Duration {
        self.nominal_backoff(retry).mul_f64(jitter())
    }

    /// Whether a retry that waits `wait` after `elapsed` since the first attempt would still
    /// start within [`overall_timeout`](Self::overall_timeout).
    pub fn within_overall(&self, elapsed: Duration, wait: Duration) -> bool {
        self.overall_timeout.is_zero() || elapsed.saturating_add(wait) < self.overall_timeout
    }
}

static JITTER: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);

/// A factor in [0.5, 1.0) from a shared SplitMix64 sequence: full jitter could retry at once,
/// none would bring every client back together.
fn jitter() -> f64 {
    let mut x = JITTER.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    0.5 + (x >> 11) as f64 / (1u64 << 53) as f64 / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_bounds() {
        let p = RetryPolicy::new()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(700));
        let nominal: Vec<_> = (1..=5).map(|n| p.nominal_backoff(n).as_millis()).collect();
        assert_eq!(nominal, [100, 200, 400, 700, 700]);
        let mut seen = std::collections::BTreeSet::new();
        for n in 1..=5 {
            for _ in 0..200 {
                let w = p.backoff(n);
                let nominal = p.nominal_backoff(n);
                assert!(
                    w >= nominal / 2 && w < nominal,
                    "retry {n}: {w:?} of {nominal:?}"
                );
                seen.insert(w.as_micros());
            }
        }
        assert!(
            seen.len() > 500,
            "jitter varies: {} distinct waits",
            seen.len()
        );
    }

    #[test]
    fn huge_retry_numbers_do_not_overflow() {
        let p = RetryPolicy::new().max_retries(u32::MAX);
        assert_eq!(p.max_attempts(), u32::MAX);
        assert_eq!(p.nominal_backoff(u32::MAX), p.max_backoff);
    }

    #[test]
    fn overall_deadline_bounds_the_next_wait() {
        let p = RetryPolicy::new().overall_timeout(Duration::from_secs(10));
        assert!(p.within_overall(Duration::from_secs(5), Duration::from_secs(4)));
        assert!(!p.within_overall(Duration::from_secs(5), Duration::from_secs(5)));
        assert!(RetryPolicy::none().within_overall(Duration::MAX, Duration::MAX));
    }
}
