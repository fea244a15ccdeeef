//! The device authorization grant (RFC 8628): the user approves on another device while this
//! one polls the token endpoint.

use std::time::Duration;

use crate::credentials::Credentials;
use crate::error::{Error, Kind, Result};
use crate::oauth;
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
        let m = creds.require_metadata(FLOW).await?;
        if m.device_authorization_endpoint.is_empty() {
            return Err(Error::new(
                Kind::Config,
                FLOW,
                "the authorization server advertises no device_authorization_endpoint",
            ));
        }
        let device_url = oauth2::DeviceAuthorizationUrl::new(
            m.device_authorization_endpoint.clone(),
        )
        .map_err(|e| {
            Error::new(
                Kind::Protocol,
                FLOW,
                format!(
                    "the device authorization endpoint {:?} is not a URL: {e}",
                    m.device_authorization_endpoint
                ),
            )
            .with_source(e)
        })?;
        let client = oauth2::basic::BasicClient::new(oauth2::ClientId::new(m.client_id.clone()))
            .set_device_authorization_url(device_url)
            .set_token_uri(oauth::token_url_of(FLOW, &m.token_endpoint)?);
        let mut request = client
            .exchange_device_code()
            .add_scopes(m.scopes.iter().map(|s| oauth2::Scope::new(s.clone())));
        if !m.audience.is_empty() {
            request = request.add_extra_param("audience", m.audience.clone());
        }
        let adapter = creds
            .http()
            .adapter(FLOW)
            .default_interval(self.poll_interval);
        let details: oauth2::StandardDeviceAuthorizationResponse = request
            .request_async(&adapter)
            .await
            .map_err(|e| adapter.error(&m.device_authorization_endpoint, e))?;
        creds.interaction().device_code(
            details.verification_uri(),
            details.user_code().secret(),
            details
                .verification_uri_complete()
                .map(|u| u.secret().as_str()),
        );
        let fatal = std::sync::Arc::new(oauth::Fatal::default());
        let polling = creds.http().adapter(FLOW).with_fatal(fatal.clone());
        // The device code's own lifetime (`expires_in`) ends the polling inside oauth2 with
        // `expired_token`; the configured timeout ends it here.
        let poll = client.exchange_device_access_token(&details).request_async(
            &polling,
            tokio::time::sleep,
            None,
        );
        let outcome = tokio::time::timeout(self.timeout, async {
            tokio::select! {
                answer = poll => answer.map_err(|e| polling.error(&m.token_endpoint, e)),
                failure = fatal.wait() => Err(failure),
            }
        })
        .await
        .map_err(|_| {
            Error::new(
                Kind::Timeout,
                FLOW,
                format!(
                    "not approved within {}s (admin.deviceFlowConfig.timeout)",
                    self.timeout.as_secs()
                ),
            )
        })?;
        Ok(creds.http().token_from(&outcome?))
    }
}
