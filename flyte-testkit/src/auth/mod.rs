//! Authentication as FlyteAdmin's own authorization server does it: metadata over gRPC and HTTP,
//! an authorize endpoint that approves at once (PKCE S256 enforced), a token endpoint for
//! authorization code, refresh token, client credentials and device code, and a check on every
//! call.
//!
//! This file holds the settings, the issued tokens and the check on every call; [`metadata`] serves
//! discovery (gRPC and HTTP), and [`endpoints`] the OAuth2 endpoints over HTTP.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use tonic::{Request as GrpcRequest, Status};

use crate::clock::Clock;
use crate::executions::Shared;

mod endpoints;
mod metadata;

pub(crate) use endpoints::http_route;
pub(crate) use metadata::Metadata;

/// FlyteAdmin's public client defaults.
pub const DEFAULT_CLIENT_ID: &str = "flytectl";
/// FlyteAdmin's default redirect URI for PKCE.
pub const DEFAULT_REDIRECT_URI: &str = "http://localhost:53593/callback";
/// FlyteAdmin's default metadata key for the token.
pub const DEFAULT_AUTH_HEADER: &str = "flyte-authorization";

/// Self-hosted authorization server settings (FlyteAdmin's `auth.appAuth.selfAuthServer`).
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct AuthSettings {
    /// The public client PKCE and device flow use (default `flytectl`).
    pub public_client_id: String,
    /// Where the authorize endpoint sends the code (default `http://localhost:53593/callback`).
    pub redirect_uri: String,
    /// Scopes advertised to public clients (default `all`, `offline`).
    pub scopes: Vec<String>,
    /// The gRPC metadata key advertised for the token (default `flyte-authorization`).
    pub authorization_metadata_key: String,
    /// Audience advertised in the public client config and put in tokens.
    pub audience: String,
    /// Confidential clients for client credentials: id and secret.
    pub clients: Vec<(String, String)>,
    /// Lifetime of access tokens (default one hour).
    pub token_lifetime: Duration,
    /// Seconds a device-flow client must wait between polls (default 5).
    pub device_interval: u64,
    /// The subject put in tokens issued to people (PKCE, device flow).
    pub user: String,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            public_client_id: DEFAULT_CLIENT_ID.to_owned(),
            redirect_uri: DEFAULT_REDIRECT_URI.to_owned(),
            scopes: vec!["all".to_owned(), "offline".to_owned()],
            authorization_metadata_key: DEFAULT_AUTH_HEADER.to_owned(),
            audience: String::new(),
            clients: vec![("flytepropeller".to_owned(), "foobar".to_owned())],
            token_lifetime: Duration::from_secs(3600),
            device_interval: 5,
            user: "testkit-user".to_owned(),
        }
    }
}

impl AuthSettings {
    /// Adds a confidential client for the client-credentials grant.
    pub fn client(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.clients.push((id.into(), secret.into()));
        self
    }

    /// Sets the access-token lifetime. It runs on tokio's clock, so a test with `start_paused`
    /// expires tokens with `tokio::time::advance` (or [`TestAdmin::expire_tokens`] at once).
    ///
    /// [`TestAdmin::expire_tokens`]: crate::TestAdmin::expire_tokens
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Sets the redirect URI PKCE must use.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = uri.into();
        self
    }

    /// Sets the advertised audience.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// Sets the public client PKCE and device flow must use.
    pub fn public_client_id(mut self, id: impl Into<String>) -> Self {
        self.public_client_id = id.into();
        self
    }

    /// Sets the scopes advertised to public clients (and granted when a request names none).
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the gRPC metadata key advertised for the token.
    pub fn authorization_metadata_key(mut self, key: impl Into<String>) -> Self {
        self.authorization_metadata_key = key.into();
        self
    }

    /// Sets the seconds a device-flow client must wait between polls.
    pub fn device_interval(mut self, seconds: u64) -> Self {
        self.device_interval = seconds;
        self
    }

    /// Sets the subject of tokens issued to people (PKCE, device flow).
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }
}

/// What happens to a pending device-flow request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceDecision {
    /// The user approved: the next poll gets a token.
    Approve,
    /// The user refused: the next poll gets `access_denied`.
    Deny,
    /// The code expired: the next poll gets `expired_token`.
    Expire,
    /// The next poll gets `slow_down` (once), then pending again.
    SlowDown,
}

#[derive(Debug, Clone)]
struct Issued {
    subject: String,
    expires_at: u64,
}

#[derive(Debug, Clone)]
struct PendingCode {
    challenge: String,
    redirect_uri: String,
    client_id: String,
}

#[derive(Debug, Clone)]
struct Device {
    user_code: String,
    client_id: String,
    decision: Option<DeviceDecision>,
    expires_at: u64,
}

/// The authorization server's state.
#[derive(Debug)]
pub(crate) struct AuthState {
    pub(crate) settings: Option<AuthSettings>,
    pub(crate) external: Option<crate::external::ExternalState>,
    access: HashMap<String, Issued>,
    refresh: HashMap<String, String>,
    codes: HashMap<String, PendingCode>,
    devices: HashMap<String, Device>,
    secret: Vec<u8>,
    /// Requests to the token endpoint, by grant type.
    pub(crate) token_requests: HashMap<String, u64>,
    /// What tokens and device codes expire by.
    pub(crate) clock: Clock,
}

impl AuthState {
    pub(crate) fn new(settings: Option<AuthSettings>, clock: Clock) -> Self {
        let seed = crate::executions::generate_name();
        AuthState {
            settings,
            external: None,
            access: HashMap::new(),
            refresh: HashMap::new(),
            codes: HashMap::new(),
            devices: HashMap::new(),
            secret: Sha256::digest(seed.as_bytes()).to_vec(),
            token_requests: HashMap::new(),
            clock,
        }
    }

    /// An HS256 JWT (so clients can read `exp`), recorded as issued.
    ///
    /// # Errors
    /// When the token cannot be signed, which HS256 with claims that are plain JSON does not do.
    fn issue(
        &mut self,
        subject: &str,
        scopes: &str,
        base: &str,
    ) -> jsonwebtoken::errors::Result<(String, u64)> {
        let settings = self.settings.clone().unwrap_or_default();
        let now = self.clock.unix_now();
        let exp = now + settings.token_lifetime.as_secs();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some("flyte-testkit".to_owned());
        let jti = crate::executions::generate_name();
        let claims = serde_json::json!({
            "iss": base, "sub": subject, "aud": [if settings.audience.is_empty() { base } else { settings.audience.as_str() }],
            "iat": now, "exp": exp, "scp": scopes.split(' ').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
            "jti": jti,
        });
        let key = jsonwebtoken::EncodingKey::from_secret(&self.secret);
        let token = jsonwebtoken::encode(&header, &claims, &key)?;
        self.access.insert(
            token.clone(),
            Issued {
                subject: subject.to_owned(),
                expires_at: exp,
            },
        );
        Ok((token, exp - now))
    }

    /// The subject of a valid access token.
    pub(crate) fn check(&self, token: &str) -> Option<String> {
        let issued = self.access.get(token)?;
        (issued.expires_at > self.clock.unix_now()).then(|| issued.subject.clone())
    }

    /// Makes every issued access token invalid (as if expired); refresh tokens still work.
    pub(crate) fn expire_all(&mut self) {
        self.access.clear();
    }

    pub(crate) fn decide_device(&mut self, user_code: &str, decision: DeviceDecision) -> bool {
        match self.devices.values_mut().find(|d| d.user_code == user_code) {
            Some(d) => {
                d.decision = Some(decision);
                true
            }
            None => false,
        }
    }
}

/// The gRPC interceptor: every call needs a valid token in the advertised header or in
/// `authorization`, unless auth is off.
pub(crate) fn intercept(
    shared: &Arc<Shared>,
    mut req: GrpcRequest<()>,
) -> Result<GrpcRequest<()>, Status> {
    let state = shared
        .auth
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let key = match (&state.settings, &state.external) {
        (_, Some(ext)) => ext.settings.authorization_metadata_key.clone(),
        (Some(settings), None) => settings.authorization_metadata_key.clone(),
        (None, None) => return Ok(req),
    };
    let header = key.to_ascii_lowercase();
    let value = [header.as_str(), "authorization"].iter().find_map(|h| {
        req.metadata()
            .get(*h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let Some(value) = value else {
        return Err(Status::unauthenticated(
            "Request unauthenticated with IDToken",
        ));
    };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or(&value);
    if let Some(ext) = &state.external {
        return match crate::external::check(ext, token, state.clock.unix_now()) {
            crate::external::Checked::Subject(subject) => {
                drop(state);
                req.extensions_mut().insert(crate::Subject(subject));
                Ok(req)
            }
            crate::external::Checked::UnknownKey => {
                // The issuer may have rotated its keys: fetch them again for the next call.
                let jwks_uri = ext.jwks_uri.clone();
                drop(state);
                let shared = Arc::clone(shared);
                tokio::spawn(async move {
                    if let Ok(keys) = crate::external::fetch_keys(&jwks_uri).await {
                        let mut state = shared
                            .auth
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        if let Some(ext) = state.external.as_mut() {
                            ext.keys = keys;
                        }
                    }
                });
                Err(Status::unauthenticated("token is signed by an unknown key"))
            }
            crate::external::Checked::Invalid(why) => {
                Err(Status::unauthenticated(format!("token is invalid: {why}")))
            }
        };
    }
    match state.check(token) {
        Some(subject) => {
            drop(state);
            req.extensions_mut().insert(crate::Subject(subject));
            Ok(req)
        }
        None => Err(Status::unauthenticated(
            "token is invalid or has expired: Request unauthenticated with IDToken",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_are_hs256_jwts_with_the_claims_clients_read(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let settings = AuthSettings::default()
            .audience("flyte")
            .scopes(["all", "offline"])
            .user("bob");
        assert_eq!(settings.user, "bob");
        let mut state = AuthState::new(Some(settings), Clock::start());
        let (token, expires_in) = state.issue("alice", "all offline", "http://127.0.0.1:1")?;
        assert_eq!(expires_in, 3600);

        let header = jsonwebtoken::decode_header(&token)?;
        assert_eq!(header.alg, jsonwebtoken::Algorithm::HS256);
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_eq!(header.kid.as_deref(), Some("flyte-testkit"));

        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_audience(&["flyte"]);
        validation.set_issuer(&["http://127.0.0.1:1"]);
        let key = jsonwebtoken::DecodingKey::from_secret(&state.secret);
        let claims = jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation)?.claims;
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["aud"], serde_json::json!(["flyte"]));
        assert_eq!(claims["scp"], serde_json::json!(["all", "offline"]));
        let (iat, exp) = (claims["iat"].as_u64(), claims["exp"].as_u64());
        assert_eq!(exp.zip(iat).map(|(e, i)| e - i), Some(3600));
        assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));

        assert_eq!(state.check(&token).as_deref(), Some("alice"));
        Ok(())
    }
}
