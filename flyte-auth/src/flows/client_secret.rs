//! OAuth2 client credentials (RFC 6749 §4.4): a service logs in with its own id and secret.

use std::fmt;

use flyte_config::Secret;

use crate::credentials::Credentials;
use crate::error::Result;
use crate::oauth;
use crate::token::AccessToken;

const FLOW: &str = "client credentials";

/// OAuth2 client credentials: for services and CI, no person involved.
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientSecret {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub secret: Secret,
    /// Scopes; empty means the server's public-client scopes.
    pub scopes: Vec<String>,
    /// The `audience` parameter, when set.
    pub audience: Option<String>,
    /// Send the audience FlyteAdmin advertises when `audience` is unset.
    pub use_audience_from_admin: bool,
    /// The token endpoint; `None` means the discovered one.
    pub token_url: Option<String>,
}

impl ClientSecret {
    /// Logs in as `client_id` with `secret`, with the server's scopes, no audience and the
    /// discovered token endpoint.
    pub fn new(client_id: impl Into<String>, secret: Secret) -> Self {
        ClientSecret {
            client_id: client_id.into(),
            secret,
            scopes: Vec::new(),
            audience: None,
            use_audience_from_admin: false,
            token_url: None,
        }
    }

    /// Asks for these scopes instead of the server's public-client scopes.
    #[must_use]
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sends this `audience`.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Sends the audience FlyteAdmin advertises when no audience is set.
    #[must_use]
    pub fn use_audience_from_admin(mut self, yes: bool) -> Self {
        self.use_audience_from_admin = yes;
        self
    }

    /// Asks this token endpoint instead of the discovered one.
    #[must_use]
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    pub(crate) async fn login(&self, creds: &Credentials) -> Result<AccessToken> {
        let metadata = match &self.token_url {
            Some(_) if !self.use_audience_from_admin && !self.scopes.is_empty() => None,
            _ => Some(creds.require_metadata(FLOW).await?),
        };
        let url = self
            .token_url
            .clone()
            .or_else(|| metadata.as_ref().map(|m| m.token_endpoint.clone()))
            .unwrap_or_default();
        let scopes = if self.scopes.is_empty() {
            metadata
                .as_ref()
                .map(|m| m.scopes.join(" "))
                .unwrap_or_default()
        } else {
            self.scopes.join(" ")
        };
        let audience = self.audience.clone().or_else(|| {
            self.use_audience_from_admin
                .then(|| metadata.as_ref().map(|m| m.audience.clone()))
                .flatten()
                .filter(|a| !a.is_empty())
        });
        let client = oauth2::basic::BasicClient::new(oauth2::ClientId::new(self.client_id.clone()))
            .set_client_secret(oauth2::ClientSecret::new(self.secret.expose().to_owned()))
            .set_token_uri(oauth::token_url_of(FLOW, &url)?);
        let mut request = client.exchange_client_credentials().add_scopes(
            scopes
                .split_whitespace()
                .map(|s| oauth2::Scope::new(s.to_owned())),
        );
        if let Some(a) = &audience {
            request = request.add_extra_param("audience", a.clone());
        }
        let adapter = creds.http().adapter(FLOW);
        let response = request
            .request_async(&adapter)
            .await
            .map_err(|e| adapter.error(&url, e))?;
        Ok(creds.http().token_from(&response))
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecret")
            .field("client_id", &self.client_id)
            .field("secret", &"[redacted]")
            .field("scopes", &self.scopes)
            .field("audience", &self.audience)
            .field("token_url", &self.token_url)
            .finish_non_exhaustive()
    }
}
