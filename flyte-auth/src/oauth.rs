//! The OAuth2 protocol through the `oauth2` crate, with flyte-auth's own HTTP underneath: every
//! request goes through [`Adapter`], which refuses plain-HTTP endpoints before a secret leaves,
//! retries transient failures, bounds the answer, and smooths the differences between identity
//! providers (a missing `token_type`, a string `expires_in`, a `text/plain` JSON answer) before
//! the crate parses it. Answers are never copied into errors or logs.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flyte_config::{RetryPolicy, Secret};
use oauth2::basic::{BasicTokenResponse, BasicTokenType};
use oauth2::{
    AsyncHttpClient, ErrorResponseType, HttpRequest, HttpResponse, RequestTokenError,
    StandardErrorResponse,
};

use crate::error::{Error, Kind, Result};
use crate::token::{AccessToken, Clock, LONGEST_LIFETIME};
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

/// The most an answer from a token, device or discovery endpoint may hold: a token response or
/// metadata document is a few kilobytes; anything near this is not one.
pub(crate) const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Reads an answer's body, refusing one larger than [`MAX_ANSWER_BYTES`] before holding more
/// than that. `what` (`POST URL`) prefixes the errors.
pub(crate) async fn read_answer(
    resp: &mut reqwest::Response,
    flow: &'static str,
    what: &str,
) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let chunk = resp.chunk().await.map_err(|e| {
            Error::new(
                Kind::Transient,
                flow,
                format!("{what}: the answer broke off: {e}"),
            )
            .with_source(e)
        })?;
        let Some(chunk) = chunk else { break };
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(Error::new(
                Kind::Protocol,
                flow,
                format!("{what}: the answer is larger than {MAX_ANSWER_BYTES} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The answer's `content-type`, for error messages.
pub(crate) fn content_type(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// What an error may say about a failed answer's body: an OAuth2-style JSON error's `error`
/// and `error_description`, otherwise only its size and content type. Never the body itself: a
/// proxy or gateway may echo the request form, client secret and refresh token included.
pub(crate) fn describe_failure(
    json: Option<&serde_json::Value>,
    len: usize,
    content_type: Option<&str>,
) -> String {
    let text = |key: &str| json.and_then(|j| j[key].as_str());
    match (text("error"), text("error_description")) {
        (Some(error), Some(description)) => format!("{error}: {description}"),
        (Some(error), None) => error.to_owned(),
        _ => format!(
            "{len} bytes of {}",
            content_type.unwrap_or("unnamed content type")
        ),
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
    /// Send credentials to `http://` endpoints on other hosts than this one (`admin.insecure`).
    /// Off, only `https://` and loopback `http://` endpoints are asked.
    pub(crate) allow_plain_http: bool,
}

impl Http {
    /// The `oauth2` HTTP client for one flow's requests.
    pub(crate) fn adapter(&self, flow: &'static str) -> Adapter {
        Adapter {
            http: self.clone(),
            flow,
            status: Mutex::new(0),
            fatal: None,
            default_interval: None,
        }
    }

    /// A token from what `oauth2` parsed, received now.
    pub(crate) fn token_from(&self, response: &BasicTokenResponse) -> AccessToken {
        AccessToken::from_oauth(response, self.clock.now())
    }
}

/// Whether `url` may be sent credentials: `https://`, or `http://` to this machine (or to any
/// host when `allow_plain_http`).
pub(crate) fn check_endpoint(flow: &'static str, url: &str, allow_plain_http: bool) -> Result<()> {
    let parsed = oauth2::url::Url::parse(url).map_err(|e| {
        Error::new(Kind::Config, flow, format!("{url:?} is not a URL: {e}")).with_source(e)
    })?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if allow_plain_http || is_loopback(&parsed) => Ok(()),
        "http" => Err(Error::new(
            Kind::Config,
            flow,
            format!(
                "refusing to send credentials to {url} over plain http: use https, or set admin.insecure if this network is trusted"
            ),
        )),
        other => Err(Error::new(
            Kind::Config,
            flow,
            format!("{url} has scheme {other:?}; only https (or http on this machine) can be asked for tokens"),
        )),
    }
}

/// The error for a 3xx answer to an OAuth2 or discovery request: redirects are not followed
/// there (see [`crate::http::without_redirects`]), so the configured URL must be the final one.
pub(crate) fn redirect_refused(
    flow: &'static str,
    method: &str,
    url: &str,
    status: reqwest::StatusCode,
) -> Error {
    Error::new(
        Kind::Config,
        flow,
        format!(
            "{method} {url}: HTTP {status}: OAuth2 requests do not follow redirects (nothing was sent on); configure the URL it redirects to"
        ),
    )
}

/// `localhost`, `127.0.0.0/8` or `::1`.
pub(crate) fn is_loopback(url: &oauth2::url::Url) -> bool {
    match url.host() {
        Some(oauth2::url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(oauth2::url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(oauth2::url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// flyte-auth's HTTP under `oauth2`: endpoint check, retries, bounded answers, leniency.
#[derive(Debug)]
pub(crate) struct Adapter {
    http: Http,
    flow: &'static str,
    /// The status of the last answer, for error messages.
    status: Mutex<u16>,
    /// Set for device polling: `oauth2` keeps polling after an HTTP failure, where flyte-auth
    /// ends the login, so the failure is kept here and the caller stops at it.
    fatal: Option<Arc<Fatal>>,
    /// The device flow's poll interval when the provider names none, in whole seconds.
    default_interval: Option<u64>,
}

/// A failure that ends a device login, set by the [`Adapter`] while `oauth2` polls.
#[derive(Debug, Default)]
pub(crate) struct Fatal {
    error: Mutex<Option<Error>>,
    notify: tokio::sync::Notify,
}

impl Fatal {
    /// Waits for a failure and returns it.
    pub(crate) async fn wait(&self) -> Error {
        loop {
            let notified = self.notify.notified();
            if let Some(e) = self.error.lock().ok().and_then(|mut e| e.take()) {
                return e;
            }
            notified.await;
        }
    }

    fn set(&self, e: Error) {
        if let Ok(mut slot) = self.error.lock() {
            slot.get_or_insert(e);
        }
        self.notify.notify_waiters();
    }
}

impl Adapter {
    /// A device authorization answer without an `interval` gets this one (rounded up to whole
    /// seconds, as RFC 8628 counts).
    pub(crate) fn default_interval(mut self, interval: Duration) -> Self {
        let secs = interval.as_secs() + u64::from(interval.subsec_nanos() > 0);
        self.default_interval = Some(secs);
        self
    }

    /// The same adapter, reporting failures to `fatal` as well.
    pub(crate) fn with_fatal(mut self, fatal: Arc<Fatal>) -> Self {
        self.fatal = Some(fatal);
        self
    }

    /// Turns what `oauth2` returned into flyte-auth's error, naming `url` and never the answer.
    pub(crate) fn error<T>(
        &self,
        url: &str,
        e: RequestTokenError<Error, StandardErrorResponse<T>>,
    ) -> Error
    where
        T: ErrorResponseType + AsRef<str> + std::fmt::Display + 'static,
    {
        let status = self.status.lock().map_or(0, |s| *s);
        match e {
            RequestTokenError::Request(e) => e,
            RequestTokenError::ServerResponse(r) => OAuthError {
                error: r.error().as_ref().to_owned(),
                description: r.error_description().cloned().unwrap_or_default(),
                status,
            }
            .into_error(self.flow, url),
            RequestTokenError::Parse(e, _body) => Error::new(
                Kind::Protocol,
                self.flow,
                format!(
                    "{url} answered (HTTP {status}) without the expected fields (at `{}`)",
                    e.path()
                ),
            ),
            RequestTokenError::Other(why) => Error::new(
                Kind::Protocol,
                self.flow,
                format!("{url} answered (HTTP {status}) what is not an OAuth2 answer: {why}"),
            ),
        }
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let url = request.uri().to_string();
        let outcome = async {
            check_endpoint(self.flow, &url, self.http.allow_plain_http)?;
            let what = format!("POST {url}");
            let single_use = single_use_grant(request.body());
            with_retries(&self.http.retry, self.flow, &what, || {
                self.send_once(&request, &url, single_use)
            })
            .await
        }
        .await;
        match (outcome, &self.fatal) {
            (Err(e), Some(fatal)) => {
                let shown = Error::new(e.kind(), self.flow, e.to_string());
                fatal.set(e);
                Err(shown)
            }
            (outcome, _) => outcome,
        }
    }

    /// One attempt: `Err` with a transient error is worth retrying. For a `single_use` grant
    /// only a request that never reached the server is: see [`single_use_grant`].
    async fn send_once(
        &self,
        request: &HttpRequest,
        url: &str,
        single_use: bool,
    ) -> Result<HttpResponse> {
        let flow = self.flow;
        let mut req = self
            .http
            .client
            .request(request.method().clone(), url)
            .headers(request.headers().clone())
            .body(request.body().clone());
        if let Some(p) = &self.http.proxy_authorization {
            req = req.header("proxy-authorization", p.expose());
        }
        let mut resp = crate::http::without_redirects(req.send())
            .await
            .map_err(|e| {
                let error = Error::new(Kind::Transient, flow, format!("POST {url} failed: {e}"));
                if single_use && !e.is_connect() {
                    return not_sent_again(flow, error).with_source(e);
                }
                error.with_source(e)
            })?;
        let status = resp.status();
        if status.is_redirection() {
            return Err(redirect_refused(flow, "POST", url, status));
        }
        if let Ok(mut s) = self.status.lock() {
            *s = status.as_u16();
        }
        let content_type = content_type(&resp);
        let body = read_answer(&mut resp, flow, &format!("POST {url}"))
            .await
            .map_err(|e| {
                if single_use && e.is_transient() {
                    not_sent_again(flow, e)
                } else {
                    e
                }
            })?;
        let json = serde_json::from_slice::<serde_json::Value>(&body).ok();
        if status.is_success() {
            // The answer holds the token: its size is all an error may say about it.
            let Some(json) = json else {
                return Err(Error::new(
                    Kind::Protocol,
                    flow,
                    format!(
                        "POST {url}: the answer (HTTP {status}, {} bytes) is not JSON",
                        body.len()
                    ),
                ));
            };
            let mut json = lenient(json);
            if let Some(o) = json
                .as_object_mut()
                .filter(|o| o.contains_key("device_code"))
            {
                // No interval: the configured one. No lifetime: the login's timeout bounds it.
                if let Some(secs) = self.default_interval {
                    o.entry("interval").or_insert(secs.into());
                }
                o.entry("expires_in")
                    .or_insert(LONGEST_LIFETIME.as_secs().into());
            }
            return json_response(200, &json);
        }
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(Error::new(
                Kind::Transient,
                flow,
                format!(
                    "POST {url}: HTTP {status}: {}",
                    describe_failure(json.as_ref(), body.len(), content_type.as_deref())
                ),
            ));
        }
        match json.filter(|j| j["error"].is_string()) {
            Some(mut refusal) => {
                // A description that is not text is dropped rather than failing the parse.
                if let Some(o) = refusal.as_object_mut() {
                    o.retain(|k, v| k == "error" || v.is_string());
                }
                json_response(status.as_u16(), &refusal)
            }
            None => Err(Error::new(
                if status == reqwest::StatusCode::UNAUTHORIZED {
                    Kind::InvalidClient
                } else {
                    Kind::Protocol
                },
                flow,
                format!(
                    "POST {url}: HTTP {status}: {}",
                    describe_failure(None, body.len(), content_type.as_deref())
                ),
            )),
        }
    }
}

impl<'c> AsyncHttpClient<'c> for Adapter {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// An answer for `oauth2` to parse: JSON, with the status it came with.
/// Whether a token request's form spends something that works once: an authorization code or
/// a refresh token (providers that rotate refresh tokens revoke the whole family when one is
/// used twice). Such a request is sent again only when it never reached the server: once it
/// may have, a repeat would be answered `invalid_grant`, a false failure.
fn single_use_grant(form: &[u8]) -> bool {
    form_urlencoded::parse(form)
        .any(|(k, v)| k == "grant_type" && (v == "authorization_code" || v == "refresh_token"))
}

/// `error`, no longer transient: the request may have reached the server.
fn not_sent_again(flow: &'static str, error: Error) -> Error {
    Error::new(
        Kind::Protocol,
        flow,
        format!(
            "{}; the request may have reached the server and spends a single-use grant, so it \
             is not sent again",
            error.message()
        ),
    )
}

fn json_response(status: u16, json: &serde_json::Value) -> Result<HttpResponse> {
    oauth2::http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(json.to_string().into_bytes())
        .map_err(|e| Error::new(Kind::Protocol, "auth", format!("internal: {e}")))
}

/// What providers send that RFC 6749 does not, made into what it does: a missing or empty
/// `token_type` is `Bearer`; `expires_in` and `interval` as text are numbers, and any lifetime
/// is capped at [`LONGEST_LIFETIME`] (so no later arithmetic can overflow); fields of the wrong
/// type that flyte-auth does not need are dropped.
pub(crate) fn lenient(mut json: serde_json::Value) -> serde_json::Value {
    let Some(o) = json.as_object_mut() else {
        return json;
    };
    if o.get("token_type")
        .and_then(|t| t.as_str())
        .is_none_or(str::is_empty)
    {
        o.insert("token_type".to_owned(), "Bearer".into());
    }
    for key in ["expires_in", "interval"] {
        let seconds = o.get(key).and_then(|v| match v {
            serde_json::Value::Number(n) => n
                .as_u64()
                .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
            serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        });
        match seconds {
            Some(s) => {
                o.insert(key.to_owned(), s.min(LONGEST_LIFETIME.as_secs()).into());
            }
            None => {
                o.remove(key);
            }
        }
    }
    for key in [
        "refresh_token",
        "scope",
        "verification_uri_complete",
        "id_token",
    ] {
        if o.get(key).is_some_and(|v| !v.is_string()) {
            o.remove(key);
        }
    }
    json
}

/// Parses a token endpoint's successful answer as the flows do: the leniency, then `oauth2`'s
/// token response. `None` when it is not one (no `access_token`, not JSON).
pub(crate) fn parse_token_response(body: &[u8], now: std::time::SystemTime) -> Option<AccessToken> {
    let json = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    let response: BasicTokenResponse = serde_json::from_value(lenient(json)).ok()?;
    Some(AccessToken::from_oauth(&response, now))
}

/// The token type as servers expect it in the header. `oauth2` reads the type in lower case;
/// the schemes in use get their registered spelling back (schemes are case-insensitive, but
/// not every server reads them so), others stay as read.
pub(crate) fn token_type_name(t: &BasicTokenType) -> String {
    match t {
        BasicTokenType::Bearer => "Bearer".to_owned(),
        BasicTokenType::Mac => "MAC".to_owned(),
        BasicTokenType::Extension(e) if e == "dpop" => "DPoP".to_owned(),
        other => other.as_ref().to_owned(),
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

/// A refresh: the refresh token, and the client's secret when it has one (RFC 6749 §6: a
/// confidential client authenticates).
pub(crate) async fn refresh(
    http: &Http,
    flow: &'static str,
    token_url: &str,
    client_id: &str,
    secret: Option<&Secret>,
    refresh: &Secret,
) -> Result<AccessToken> {
    let mut client = oauth2::basic::BasicClient::new(oauth2::ClientId::new(client_id.to_owned()))
        .set_token_uri(token_url_of(flow, token_url)?);
    if let Some(s) = secret {
        client = client.set_client_secret(oauth2::ClientSecret::new(s.expose().to_owned()));
    }
    let adapter = http.adapter(flow);
    let refresh_token = oauth2::RefreshToken::new(refresh.expose().to_owned());
    let response = client
        .exchange_refresh_token(&refresh_token)
        .request_async(&adapter)
        .await
        .map_err(|e| adapter.error(token_url, e))?;
    let mut token = http.token_from(&response);
    if token.refresh_token.is_none() {
        token.refresh_token = Some(refresh.clone());
    }
    Ok(token)
}

/// `url` as `oauth2`'s token URL; a malformed one is the configuration's or the server's fault.
pub(crate) fn token_url_of(flow: &'static str, url: &str) -> Result<oauth2::TokenUrl> {
    oauth2::TokenUrl::new(url.to_owned()).map_err(|e| {
        Error::new(
            Kind::Config,
            flow,
            format!("the token endpoint {url:?} is not a URL: {e}"),
        )
        .with_source(e)
    })
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
    fn leniency_fills_what_providers_leave_out_and_caps_lifetimes() {
        let v = lenient(serde_json::json!({
            "access_token": "t", "expires_in": "3600", "interval": 1e300,
            "refresh_token": 5, "scope": ["a"]
        }));
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(v["expires_in"], 3600);
        assert_eq!(v["interval"], LONGEST_LIFETIME.as_secs());
        assert!(v.get("refresh_token").is_none() && v.get("scope").is_none());
        let v = lenient(
            serde_json::json!({"access_token": "t", "token_type": "DPoP", "expires_in": -1}),
        );
        assert_eq!(v["token_type"], "DPoP");
        assert!(v.get("expires_in").is_none());
    }

    #[test]
    fn only_https_or_this_machine_gets_credentials() {
        for ok in [
            "https://idp.example.com/token",
            "http://127.0.0.1:8080/token",
            "http://127.1.2.3/token",
            "http://[::1]:80/token",
            "http://localhost:9/token",
        ] {
            assert!(check_endpoint("test", ok, false).is_ok(), "{ok}");
        }
        for refused in [
            "http://idp.example.com/token",
            "http://10.0.0.1/token",
            "http://localhost.example.com/token",
            "ftp://idp.example.com/token",
            "not a url",
        ] {
            let err = check_endpoint("test", refused, false).expect_err(refused);
            assert!(err.is_config(), "{err}");
        }
        assert!(check_endpoint("test", "http://idp.example.com/token", true).is_ok());
    }

    /// Accepts connections on 127.0.0.1, reads a request and hangs up without an answer;
    /// returns the URL and the count of connections.
    async fn hang_up_server(
    ) -> std::io::Result<(String, std::sync::Arc<std::sync::atomic::AtomicUsize>)> {
        use tokio::io::AsyncReadExt as _;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/token", listener.local_addr()?);
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = std::sync::Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                drop(socket);
            }
        });
        Ok((url, seen))
    }

    fn plain_http() -> Http {
        Http {
            client: reqwest::Client::new(),
            retry: default_retry()
                .initial_backoff(std::time::Duration::from_millis(1))
                .max_backoff(std::time::Duration::from_millis(1)),
            proxy_authorization: None,
            clock: crate::token::Clock::system(),
            allow_plain_http: false,
        }
    }

    #[tokio::test]
    async fn a_refresh_whose_answer_is_lost_is_not_sent_again(
    ) -> std::result::Result<(), Box<dyn std::error::Error>> {
        let (url, seen) = hang_up_server().await?;
        let err = refresh(
            &plain_http(),
            "pkce",
            &url,
            "cid",
            None,
            &Secret::new("rt-1"),
        )
        .await
        .expect_err("no answer");
        assert!(!err.is_transient(), "{err}");
        assert!(err.to_string().contains("not sent again"), "{err}");
        assert_eq!(
            seen.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "one request only"
        );
        Ok(())
    }

    #[test]
    fn codes_and_refresh_tokens_are_single_use_grants() {
        assert!(single_use_grant(b"grant_type=authorization_code&code=x"));
        assert!(single_use_grant(
            b"client_id=a&grant_type=refresh_token&refresh_token=r"
        ));
        assert!(!single_use_grant(
            b"grant_type=client_credentials&scope=all"
        ));
        assert!(!single_use_grant(
            b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"
        ));
    }
}
