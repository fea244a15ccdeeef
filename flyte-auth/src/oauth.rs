//! Token endpoint requests: form posts with client authentication, retries of transient
//! failures with backoff, and the provider's own error text on refusals.

use std::future::Future;
use std::time::Duration;

use base64::Engine as _;
use flyte_config::{RetryPolicy, Secret};

use crate::discovery::snippet;
use crate::error::{Error, Kind, Result};
use crate::token::{AccessToken, Clock};

/// flyte-auth's retry defaults: five attempts (`max_retries: 4`), 250 ms first backoff up to
/// 8 s, 15 s an attempt, no overall bound (a device-flow login bounds itself).
pub(crate) fn default_retry() -> RetryPolicy {
    RetryPolicy::new()
        .max_retries(4)
        .initial_backoff(Duration::from_millis(250))
        .max_backoff(Duration::from_secs(8))
        .per_attempt_timeout(Duration::from_secs(15))
        .overall_timeout(Duration::ZERO)
}

/// Runs `attempt` under `policy`: each try bounded by the per-attempt timeout (and what is left
/// of the overall one), transient failures ([`Error::is_transient`]) retried after
/// [`RetryPolicy::backoff`] while the overall deadline allows. Other failures end it at once.
pub(crate) async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    flow: &'static str,
    what: &str,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let start = tokio::time::Instant::now();
    let mut retry = 0;
    loop {
        let remaining = (!policy.overall_timeout.is_zero())
            .then(|| policy.overall_timeout.saturating_sub(start.elapsed()));
        let per_attempt =
            (!policy.per_attempt_timeout.is_zero()).then_some(policy.per_attempt_timeout);
        let limit = match (per_attempt, remaining) {
            (Some(a), Some(r)) => Some(a.min(r)),
            (a, r) => a.or(r),
        };
        let outcome = match limit {
            None => attempt().await,
            Some(limit) => match tokio::time::timeout(limit, attempt()).await {
                Ok(outcome) => outcome,
                Err(elapsed) => Err(Error::new(
                    Kind::Timeout,
                    flow,
                    format!("{what}: no answer within {limit:?}"),
                )
                .with_source(elapsed)),
            },
        };
        let error = match outcome {
            Err(e) if e.is_transient() => e,
            done => return done,
        };
        retry += 1;
        if retry > policy.max_retries {
            return Err(error);
        }
        let wait = policy.backoff(retry);
        if !policy.within_overall(start.elapsed(), wait) {
            return Err(error);
        }
        tracing::warn!(flow, retry, "{what} failed, retrying in {wait:?}: {error}");
        tokio::time::sleep(wait).await;
    }
}

/// An OAuth2 error answer (RFC 6749 §5.2, RFC 8628 §3.5).
#[derive(Debug, Clone)]
pub(crate) struct OAuthError {
    pub(crate) error: String,
    pub(crate) description: String,
    pub(crate) status: u16,
}

impl OAuthError {
    pub(crate) fn into_error(self, flow: &'static str, url: &str) -> Error {
        let kind = match self.error.as_str() {
            "invalid_client" | "unauthorized_client" => Kind::InvalidClient,
            "invalid_grant" => Kind::InvalidGrant,
            "access_denied" => Kind::AccessDenied,
            "expired_token" => Kind::Expired,
            "temporarily_unavailable" | "server_error" => Kind::Transient,
            _ => Kind::Protocol,
        };
        let detail = if self.description.is_empty() {
            String::new()
        } else {
            format!(": {}", self.description)
        };
        Error::new(
            kind,
            flow,
            format!(
                "{url} answered {} (HTTP {}){detail}",
                self.error, self.status
            ),
        )
    }
}

/// The HTTP side of every flow.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    pub(crate) client: reqwest::Client,
    pub(crate) retry: RetryPolicy,
    /// `proxy-authorization` for OAuth calls, from `admin.proxyCommand`.
    pub(crate) proxy_authorization: Option<Secret>,
    /// What token expiry is read against.
    pub(crate) clock: Clock,
}

/// One value `application/x-www-form-urlencoded` (space as `+`), for form bodies and client
/// credentials.
pub(crate) fn form_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// One query-string value for a URL a browser opens: form encoding with spaces as `%20`, which
/// every server decodes as a space, where some would keep a `+` as it is (RFC 3986 gives `+`
/// no meaning in a query).
pub(crate) fn query_encode(s: &str) -> String {
    // A `+` in the input is already `%2B`: every `+` left stands for a space.
    form_encode(s).replace('+', "%20")
}

impl Http {
    /// Posts a form; transient failures are retried. `Ok(Err(..))` is the provider's refusal.
    pub(crate) async fn post_form(
        &self,
        flow: &'static str,
        url: &str,
        form: &[(&str, &str)],
        client_auth: Option<(&str, &Secret)>,
    ) -> Result<std::result::Result<serde_json::Value, OAuthError>> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().filter(|(_, v)| !v.is_empty()))
            .finish();
        let what = format!("POST {url}");
        with_retries(&self.retry, flow, &what, || {
            self.post_form_once(flow, url, &body, client_auth)
        })
        .await
    }

    /// One attempt of [`Http::post_form`]: `Err` with a transient error is worth retrying.
    async fn post_form_once(
        &self,
        flow: &'static str,
        url: &str,
        body: &str,
        client_auth: Option<(&str, &Secret)>,
    ) -> Result<std::result::Result<serde_json::Value, OAuthError>> {
        let mut req = self
            .client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body.to_owned());
        if let Some((id, secret)) = client_auth {
            // RFC 6749 §2.3.1: both parts form-encoded, then Basic.
            let pair = format!("{}:{}", form_encode(id), form_encode(secret.expose()));
            req = req.header(
                "authorization",
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ),
            );
        }
        if let Some(p) = &self.proxy_authorization {
            req = req.header("proxy-authorization", p.expose());
        }
        match req.send().await {
            Err(e) => Err(
                Error::new(Kind::Transient, flow, format!("POST {url} failed: {e}")).with_source(e),
            ),
            Ok(resp) => {
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                let json: Option<serde_json::Value> = serde_json::from_str(&text).ok();
                if status.is_success() {
                    return json.map(Ok).ok_or_else(|| {
                        Error::new(
                            Kind::Protocol,
                            flow,
                            format!("POST {url}: the answer is not JSON: {}", snippet(&text)),
                        )
                    });
                }
                let transient =
                    status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
                match json.as_ref().and_then(|j| j["error"].as_str()) {
                    Some(error) if !transient => Ok(Err(OAuthError {
                        error: error.to_owned(),
                        description: json
                            .as_ref()
                            .and_then(|j| j["error_description"].as_str())
                            .unwrap_or_default()
                            .to_owned(),
                        status: status.as_u16(),
                    })),
                    _ if transient => Err(Error::new(
                        Kind::Transient,
                        flow,
                        format!("POST {url}: HTTP {status}: {}", snippet(&text)),
                    )),
                    _ => Err(Error::new(
                        if status == reqwest::StatusCode::UNAUTHORIZED {
                            Kind::InvalidClient
                        } else {
                            Kind::Protocol
                        },
                        flow,
                        format!("POST {url}: HTTP {status}: {}", snippet(&text)),
                    )),
                }
            }
        }
    }

    /// Posts to a token endpoint and reads the token, turning refusals into errors.
    pub(crate) async fn token(
        &self,
        flow: &'static str,
        url: &str,
        form: &[(&str, &str)],
        client_auth: Option<(&str, &Secret)>,
    ) -> Result<AccessToken> {
        let json = self
            .post_form(flow, url, form, client_auth)
            .await?
            .map_err(|e| e.into_error(flow, url))?;
        AccessToken::from_response(&json, self.clock.now()).ok_or_else(|| {
            Error::new(
                Kind::Protocol,
                flow,
                format!("{url} answered without an access_token"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::time::Instant;

    /// Runs the retry loop over attempts that fail with `failures` in order, then succeed,
    /// and returns the outcome and when each attempt started.
    async fn run(policy: RetryPolicy, failures: Vec<Error>) -> (Result<u32>, Vec<Instant>) {
        let started = Mutex::new(Vec::new());
        let failures = Mutex::new(failures.into_iter());
        let outcome = with_retries(&policy, "test", "POST /token", || {
            let n = started.lock().map(|mut s| {
                s.push(Instant::now());
                s.len()
            });
            let next = failures.lock().ok().and_then(|mut f| f.next());
            async move {
                match next {
                    Some(e) => Err(e),
                    None => Ok(u32::try_from(n.unwrap_or_default()).unwrap_or_default()),
                }
            }
        })
        .await;
        (outcome, started.into_inner().unwrap_or_default())
    }

    fn transient() -> Error {
        Error::new(Kind::Transient, "test", "HTTP 503")
    }

    #[tokio::test(start_paused = true)]
    async fn waits_between_retries_are_jittered_exponential_backoff() {
        let policy = default_retry();
        for _ in 0..20 {
            let (outcome, started) = run(policy, vec![transient(), transient()]).await;
            assert_eq!(outcome.ok(), Some(3), "the third attempt succeeds");
            let waits: Vec<Duration> = started.windows(2).map(|w| w[1] - w[0]).collect();
            assert_eq!(waits.len(), 2);
            for (n, wait) in (1..).zip(&waits) {
                let nominal = Duration::from_millis(250) * 2u32.pow(n - 1);
                assert!(
                    *wait >= nominal / 2 && *wait < nominal,
                    "retry {n} waited {wait:?}, nominal {nominal:?}"
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_stop_after_max_retries_and_at_refusals() {
        let (outcome, started) = run(
            default_retry().max_retries(2),
            (0..5).map(|_| transient()).collect(),
        )
        .await;
        assert!(outcome.is_err_and(|e| e.is_transient()));
        assert_eq!(started.len(), 3, "the first attempt and two retries");
        let refusal = Error::new(Kind::InvalidClient, "test", "invalid_client");
        let (outcome, started) = run(default_retry(), vec![refusal, transient()]).await;
        assert!(outcome.is_err_and(|e| e.is_invalid_client()));
        assert_eq!(started.len(), 1, "a refusal is not retried");
    }

    #[tokio::test(start_paused = true)]
    async fn per_attempt_and_overall_timeouts_bound_the_call() {
        let hangs = || std::future::pending::<Result<()>>();
        let policy = default_retry()
            .max_retries(1)
            .per_attempt_timeout(Duration::from_secs(2));
        let start = Instant::now();
        let err = with_retries(&policy, "test", "POST /token", hangs)
            .await
            .expect_err("never answers");
        assert!(err.is_timeout(), "{err}");
        assert!(err.to_string().contains("no answer within 2s"), "{err}");
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(4125) && took < Duration::from_millis(4250),
            "two attempts of 2 s and one wait: {took:?}"
        );

        let policy = default_retry()
            .per_attempt_timeout(Duration::from_secs(2))
            .overall_timeout(Duration::from_secs(3));
        let start = Instant::now();
        let err = with_retries(&policy, "test", "POST /token", hangs)
            .await
            .expect_err("never answers");
        assert!(err.is_timeout(), "{err}");
        assert!(
            start.elapsed() <= Duration::from_secs(3),
            "the overall deadline cuts the second attempt: {:?}",
            start.elapsed()
        );
    }

    #[test]
    fn form_encoding() {
        assert_eq!(form_encode("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
        // `~` is escaped, as the WHATWG form encoding does; decoders read either form.
        assert_eq!(form_encode("plain-._~*"), "plain-._%7E*");
        let decoded: Vec<_> = form_urlencoded::parse(b"v=plain-._~*&w=plain-._%7E*").collect();
        assert_eq!(decoded[0].1, decoded[1].1);
        assert_eq!(
            query_encode("openid offline a+b"),
            "openid%20offline%20a%2Bb"
        );
    }
}
