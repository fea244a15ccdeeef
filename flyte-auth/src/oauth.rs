//! Token endpoint requests: form posts with client authentication, retries of transient
//! failures with backoff, and the provider's own error text on refusals.

use std::time::Duration;

use base64::Engine as _;
use flyte_config::Secret;

use crate::discovery::snippet;
use crate::error::{Error, Kind, Result};
use crate::token::AccessToken;

/// How token-endpoint requests are retried: transient failures only (network, 5xx, 429), with
/// exponential backoff. Refusals (`invalid_client`, `invalid_grant`, ...) fail at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Total attempts, the first included.
    pub attempts: u32,
    /// Wait before the second attempt; doubled after each one.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// A policy with `attempts` tries in all.
    pub fn attempts(attempts: u32) -> Self {
        RetryPolicy {
            attempts: attempts.max(1),
            ..RetryPolicy::default()
        }
    }

    /// No retries.
    pub fn none() -> Self {
        RetryPolicy::attempts(1)
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
}

/// Percent-encoding for `application/x-www-form-urlencoded` and client credentials.
pub(crate) fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
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
        let body: String = form
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut backoff = self.retry.initial_backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self
                .client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .body(body.clone());
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
            let outcome = match req.send().await {
                Err(e) => Err(
                    Error::new(Kind::Transient, flow, format!("POST {url} failed: {e}"))
                        .with_source(e),
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
                    let transient = status.is_server_error()
                        || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
                    match json.as_ref().and_then(|j| j["error"].as_str()) {
                        Some(error) if !transient => {
                            return Ok(Err(OAuthError {
                                error: error.to_owned(),
                                description: json
                                    .as_ref()
                                    .and_then(|j| j["error_description"].as_str())
                                    .unwrap_or_default()
                                    .to_owned(),
                                status: status.as_u16(),
                            }))
                        }
                        _ if transient => Err(Error::new(
                            Kind::Transient,
                            flow,
                            format!("POST {url}: HTTP {status}: {}", snippet(&text)),
                        )),
                        _ => {
                            return Err(Error::new(
                                if status == reqwest::StatusCode::UNAUTHORIZED {
                                    Kind::InvalidClient
                                } else {
                                    Kind::Protocol
                                },
                                flow,
                                format!("POST {url}: HTTP {status}: {}", snippet(&text)),
                            ))
                        }
                    }
                }
            };
            let error = match outcome {
                Err(e) => e,
                Ok(v) => return Ok(v),
            };
            if attempt >= self.retry.attempts {
                return Err(error);
            }
            tracing::warn!(flow, attempt, "token endpoint failed, retrying: {error}");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(self.retry.max_backoff);
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
        AccessToken::from_response(&json).ok_or_else(|| {
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

    #[test]
    fn form_encoding() {
        assert_eq!(form_encode("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
        assert_eq!(form_encode("plain-._~"), "plain-._~");
    }
}
