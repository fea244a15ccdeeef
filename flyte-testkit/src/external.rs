//! External authorization: the test kit trusts an outside OAuth2/OIDC issuer (for example a
//! local `oidc-provider`), serves its metadata, and validates bearer JWTs against the issuer's
//! JWKS, issuer and audience, as FlyteAdmin does with `appAuth.authServerType: External`.

use flyteidl::flyteidl::service::OAuth2MetadataResponse;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};

use crate::auth::{DEFAULT_AUTH_HEADER, DEFAULT_CLIENT_ID, DEFAULT_REDIRECT_URI};

/// Settings for trusting an external issuer.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct ExternalAuth {
    /// The issuer's base URL (`http://127.0.0.1:PORT` for a local one); its metadata is read
    /// from `/.well-known/oauth-authorization-server`, else `/.well-known/openid-configuration`.
    pub issuer: String,
    /// The audience tokens must carry; `None` skips the audience check.
    pub audience: Option<String>,
    /// The public client advertised to PKCE and device-flow clients (default `flytectl`).
    pub public_client_id: String,
    /// The redirect URI advertised (default `http://localhost:53593/callback`).
    pub redirect_uri: String,
    /// Scopes advertised (default `openid`, `offline_access`).
    pub scopes: Vec<String>,
    /// The metadata key advertised for the token (default `flyte-authorization`).
    pub authorization_metadata_key: String,
}

impl ExternalAuth {
    /// Trusts `issuer`.
    pub fn new(issuer: impl Into<String>) -> Self {
        ExternalAuth {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            audience: None,
            public_client_id: DEFAULT_CLIENT_ID.to_owned(),
            redirect_uri: DEFAULT_REDIRECT_URI.to_owned(),
            scopes: vec!["openid".to_owned(), "offline_access".to_owned()],
            authorization_metadata_key: DEFAULT_AUTH_HEADER.to_owned(),
        }
    }

    /// Requires tokens for `audience`.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Advertises this public client id.
    pub fn public_client_id(mut self, id: impl Into<String>) -> Self {
        self.public_client_id = id.into();
        self
    }

    /// Advertises these scopes.
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Advertises this redirect URI.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = uri.into();
        self
    }
}

/// What the test kit learned from the issuer at start.
#[derive(Debug, Clone)]
pub(crate) struct ExternalState {
    pub(crate) settings: ExternalAuth,
    pub(crate) metadata: OAuth2MetadataResponse,
    /// The issuer as its metadata names it (the `iss` tokens must carry).
    pub(crate) issuer: String,
    pub(crate) jwks_uri: String,
    pub(crate) keys: JwkSet,
}

/// An issuer the test kit could not read. The message names what was asked (and, as every
/// message of the test kit does, the cause's text); the cause itself is `source()`.
#[derive(Debug)]
struct Unreadable {
    message: String,
    cause: Box<dyn std::error::Error + Send + Sync>,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Unreadable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.cause)
    }
}

fn unreadable(
    message: String,
    cause: impl std::error::Error + Send + Sync + 'static,
) -> std::io::Error {
    std::io::Error::other(Unreadable {
        message,
        cause: Box::new(cause),
    })
}

async fn get_json(url: &str) -> std::io::Result<serde_json::Value> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| unreadable(format!("invalid URL {url}: {e}"), e))?;
    if uri.scheme_str() != Some("http") {
        return Err(std::io::Error::other(format!(
            "the test kit reaches external issuers over plain http (a local issuer); {url} is not http://"
        )));
    }
    let resp = hyper::Client::new()
        .get(uri)
        .await
        .map_err(|e| unreadable(format!("GET {url}: {e}"), e))?;
    let status = resp.status();
    let body = hyper::body::to_bytes(resp.into_body())
        .await
        .map_err(|e| unreadable(format!("GET {url}: {e}"), e))?;
    if !status.is_success() {
        return Err(std::io::Error::other(format!("GET {url}: HTTP {status}")));
    }
    serde_json::from_slice(&body).map_err(|e| unreadable(format!("GET {url}: not JSON: {e}"), e))
}

fn strings(v: &serde_json::Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads the issuer's metadata and keys.
pub(crate) async fn discover(settings: ExternalAuth) -> std::io::Result<ExternalState> {
    let base = settings.issuer.clone();
    let meta = match get_json(&format!("{base}/.well-known/oauth-authorization-server")).await {
        Ok(m) => m,
        Err(_) => get_json(&format!("{base}/.well-known/openid-configuration")).await?,
    };
    let s = |k: &str| meta[k].as_str().unwrap_or_default().to_owned();
    let jwks_uri = s("jwks_uri");
    if jwks_uri.is_empty() {
        return Err(std::io::Error::other(format!(
            "the metadata of {base} names no jwks_uri"
        )));
    }
    let keys = fetch_keys(&jwks_uri).await?;
    let metadata = OAuth2MetadataResponse {
        issuer: s("issuer"),
        authorization_endpoint: s("authorization_endpoint"),
        token_endpoint: s("token_endpoint"),
        response_types_supported: strings(&meta, "response_types_supported"),
        scopes_supported: strings(&meta, "scopes_supported"),
        token_endpoint_auth_methods_supported: strings(
            &meta,
            "token_endpoint_auth_methods_supported",
        ),
        jwks_uri: jwks_uri.clone(),
        code_challenge_methods_supported: strings(&meta, "code_challenge_methods_supported"),
        grant_types_supported: strings(&meta, "grant_types_supported"),
        device_authorization_endpoint: s("device_authorization_endpoint"),
    };
    Ok(ExternalState {
        issuer: if metadata.issuer.is_empty() {
            base
        } else {
            metadata.issuer.clone()
        },
        settings,
        metadata,
        jwks_uri,
        keys,
    })
}

pub(crate) async fn fetch_keys(jwks_uri: &str) -> std::io::Result<JwkSet> {
    let json = get_json(jwks_uri).await?;
    serde_json::from_value(json)
        .map_err(|e| unreadable(format!("{jwks_uri}: not a JWK set: {e}"), e))
}

/// Why a token was refused, or its subject.
pub(crate) enum Checked {
    Subject(String),
    /// The token names a key the test kit has not seen: refresh the keys.
    UnknownKey,
    Invalid(String),
}

/// Validates a bearer JWT: signature by a key of the issuer, `iss`, `aud` when configured, `exp`.
pub(crate) fn check(state: &ExternalState, token: &str, now: u64) -> Checked {
    let header = match decode_header(token) {
        Ok(h) => h,
        Err(e) => return Checked::Invalid(format!("not a JWT: {e}")),
    };
    let jwk = match &header.kid {
        Some(kid) => match state.keys.find(kid) {
            Some(k) => k,
            None => return Checked::UnknownKey,
        },
        None => match state.keys.keys.first() {
            Some(k) => k,
            None => return Checked::UnknownKey,
        },
    };
    let key = match DecodingKey::from_jwk(jwk) {
        Ok(k) => k,
        Err(e) => return Checked::Invalid(format!("unusable key: {e}")),
    };
    let mut validation = Validation::new(header.alg);
    // `exp` must be present, but is checked below on the test kit's clock (tokio's, so paused
    // tests expire tokens with `advance`) rather than by jsonwebtoken on the system clock.
    validation.validate_exp = false;
    validation.set_issuer(&[state.issuer.as_str()]);
    match &state.settings.audience {
        Some(aud) => validation.set_audience(&[aud.as_str()]),
        None => validation.validate_aud = false,
    }
    match decode::<serde_json::Value>(token, &key, &validation) {
        Ok(data) if expired(&data.claims, now, validation.leeway) => {
            Checked::Invalid("ExpiredSignature".to_owned())
        }
        Ok(data) => Checked::Subject(
            data.claims["sub"]
                .as_str()
                .or_else(|| data.claims["client_id"].as_str())
                .unwrap_or_default()
                .to_owned(),
        ),
        Err(e) => Checked::Invalid(e.to_string()),
    }
}

/// Whether `exp` (seconds, possibly fractional) is more than `leeway` seconds before `now`, as
/// jsonwebtoken judges it.
fn expired(claims: &serde_json::Value, now: u64, leeway: u64) -> bool {
    let exp = claims["exp"].as_f64().unwrap_or(0.0);
    exp < now.saturating_sub(leeway) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreadable_issuer_keeps_its_cause() {
        let err = get_json("http://exa mple").await.expect_err("not a URL");
        assert!(err.to_string().starts_with("invalid URL"), "{err}");
        let cause = std::error::Error::source(&err).expect("a source");
        assert!(cause.is::<hyper::http::uri::InvalidUri>(), "{cause:?}");
    }
}
