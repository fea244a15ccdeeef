//! The device authorization grant (RFC 8628): the user approves on another device while this
//! one polls the token endpoint.

use std::time::Duration;

use flyte_config::Secret;

use crate::credentials::Credentials;
use crate::error::{Error, Kind, Result};
use crate::token::AccessToken;

const FLOW: &str = "device flow";

/// RFC 8628 device authorization: for SSH sessions and machines without a browser.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeviceFlow {
    /// How long the whole login may take.
    pub timeout: Duration,
    /// Poll interval when the provider names none.
    pub poll_interval: Duration,
}

impl DeviceFlow {
    /// A device login that may take up to `timeout`, polling every 5 s unless the provider
    /// says otherwise (RFC 8628's default interval).
    pub fn new(timeout: Duration) -> Self {
        DeviceFlow {
            timeout,
            poll_interval: Duration::from_secs(5),
        }
    }

    /// Polls this often when the provider names no interval.
    #[must_use]
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    pub(crate) async fn login(&self, creds: &Credentials) -> Result<AccessToken> {
        let flow = FLOW;
        let (timeout, poll_interval) = (self.timeout, self.poll_interval);
        let m = creds.require_metadata(flow).await?;
        if m.device_authorization_endpoint.is_empty() {
            return Err(Error::new(
                Kind::Config,
                flow,
                "the authorization server advertises no device_authorization_endpoint",
            ));
        }
        let scopes = m.scopes.join(" ");
        let mut form = vec![
            ("client_id", m.client_id.as_str()),
            ("scope", scopes.as_str()),
        ];
        if !m.audience.is_empty() {
            form.push(("audience", m.audience.as_str()));
        }
        let start = creds
            .http()
            .post_form(flow, &m.device_authorization_endpoint, &form, None)
            .await?
            .map_err(|e| e.into_error(flow, &m.device_authorization_endpoint))?;
        let field = |k: &str| start[k].as_str().map(str::to_owned);
        let device_code = field("device_code").ok_or_else(|| {
            Error::new(
                Kind::Protocol,
                flow,
                "the device authorization answer has no device_code",
            )
        })?;
        let user_code = field("user_code").unwrap_or_default();
        let verification = field("verification_uri")
            .or_else(|| field("verification_url"))
            .unwrap_or_default();
        creds.interaction().device_code(
            &verification,
            &user_code,
            field("verification_uri_complete").as_deref(),
        );
        let mut interval = start["interval"]
            .as_u64()
            .map_or(poll_interval, Duration::from_secs);
        // The device code is a credential until it is used: keep it out of `Debug`.
        let device = Secret::new(device_code);
        let poll = async {
            loop {
                tokio::time::sleep(interval).await;
                let answer = creds
                    .http()
                    .post_form(
                        flow,
                        &m.token_endpoint,
                        &[
                            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                            ("device_code", device.expose()),
                            ("client_id", &m.client_id),
                        ],
                        None,
                    )
                    .await?;
                match answer {
                    Ok(json) => {
                        return AccessToken::from_response(&json, creds.http().clock.now())
                            .ok_or_else(|| {
                                Error::new(
                                    Kind::Protocol,
                                    flow,
                                    "the token answer has no access_token",
                                )
                            })
                    }
                    Err(e) if e.error == "authorization_pending" => {}
                    Err(e) if e.error == "slow_down" => interval += Duration::from_secs(5),
                    Err(e) => return Err(e.into_error(flow, &m.token_endpoint)),
                }
            }
        };
        tokio::time::timeout(timeout, poll).await.map_err(|_| {
            Error::new(
                Kind::Timeout,
                flow,
                format!(
                    "not approved within {}s (admin.deviceFlowConfig.timeout)",
                    timeout.as_secs()
                ),
            )
        })?
    }
}
