//! The authorization code flow with PKCE (RFC 7636): the user logs in in a browser, which
//! brings the code back to a local callback server.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;

use crate::credentials::Credentials;
use crate::error::{Error, Kind, Result};
use crate::flows::callback;
use crate::oauth;
use crate::token::AccessToken;

const FLOW: &str = "PKCE";

/// Authorization code with PKCE, in a browser: the flow for people at a machine with one.
///
/// The login callback is served on the redirect URI FlyteAdmin advertises (host, port and
/// path), bound when a login starts, unless a listener is handed over with [`Pkce::listener`].
#[derive(Clone)]
#[non_exhaustive]
pub struct Pkce {
    /// How long to wait for the login.
    pub timeout: Duration,
    listener: Option<Arc<std::net::TcpListener>>,
}

impl Pkce {
    /// A PKCE login that waits up to `timeout` for the user.
    pub fn new(timeout: Duration) -> Self {
        Pkce {
            timeout,
            listener: None,
        }
    }

    /// Serves the login callback on this listener instead of binding the redirect URI's
    /// address at each login: for a port bound ahead of time (tests bind `127.0.0.1:0` and
    /// advertise that port), or one inherited from a supervisor. The redirect URI's path is
    /// still the one answered.
    #[must_use]
    pub fn listener(mut self, listener: std::net::TcpListener) -> Self {
        self.listener = Some(Arc::new(listener));
        self
    }

    pub(crate) async fn login(&self, creds: &Credentials) -> Result<AccessToken> {
        let m = creds.require_metadata(FLOW).await?;
        let redirect = callback::parse_redirect(&m.redirect_uri)?;
        // Listen before showing the URL, so a busy port fails before the user acts.
        let listener = match &self.listener {
            Some(l) => callback::from_std(l)?,
            None => callback::bind(&redirect).await?,
        };
        let bad_url = |what: &str, url: &str, e: oauth2::url::ParseError| {
            Error::new(
                Kind::Protocol,
                FLOW,
                format!("the {what} FlyteAdmin advertises, {url:?}, is not a URL: {e}"),
            )
            .with_source(e)
        };
        let client = oauth2::basic::BasicClient::new(oauth2::ClientId::new(m.client_id.clone()))
            .set_auth_uri(
                oauth2::AuthUrl::new(m.authorization_endpoint.clone())
                    .map_err(|e| bad_url("authorization endpoint", &m.authorization_endpoint, e))?,
            )
            .set_token_uri(oauth::token_url_of(FLOW, &m.token_endpoint)?)
            .set_redirect_uri(
                oauth2::RedirectUrl::new(m.redirect_uri.clone())
                    .map_err(|e| bad_url("redirect URI", &m.redirect_uri, e))?,
            );
        let verifier = oauth2::PkceCodeVerifier::new(random_text(48)?);
        let challenge = oauth2::PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        let state = random_text(24)?;
        let (url, _) = client
            .authorize_url(|| oauth2::CsrfToken::new(state.clone()))
            .add_scopes(m.scopes.iter().map(|s| oauth2::Scope::new(s.clone())))
            .add_extra_param("nonce", random_text(24)?)
            .set_pkce_challenge(challenge)
            .url();
        creds.interaction().authorize(&spaces_as_percent_20(url));
        let code = callback::wait_for_code(listener, &redirect, &state, self.timeout).await?;
        let adapter = creds.http().adapter(FLOW);
        let response = client
            .exchange_code(oauth2::AuthorizationCode::new(code))
            .set_pkce_verifier(verifier)
            .request_async(&adapter)
            .await
            .map_err(|e| adapter.error(&m.token_endpoint, e))?;
        Ok(creds.http().token_from(&response))
    }
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("timeout", &self.timeout)
            .field(
                "listener",
                &self.listener.as_ref().and_then(|l| l.local_addr().ok()),
            )
            .finish()
    }
}

/// `bytes` bytes from the operating system's generator as unpadded base64url (RFC 7636's
/// unreserved characters). There is no fallback: without the generator there is no login.
fn random_text(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).map_err(|e| {
        Error::new(
            Kind::Config,
            FLOW,
            format!("the operating system's random generator failed: {e}"),
        )
    })?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

/// The URL with its query's spaces as `%20` rather than `+`: every server decodes `%20` as a
/// space, where some keep a `+` as it is (RFC 3986 gives `+` no meaning in a query). `oauth2`
/// writes a `+` of the input as `%2B`, so every `+` left stands for a space.
fn spaces_as_percent_20(url: oauth2::url::Url) -> String {
    let text = url.to_string();
    match text.split_once('?') {
        Some((base, query)) => {
            let (query, fragment) = query
                .split_once('#')
                .map_or((query, None), |(q, f)| (q, Some(f)));
            let mut out = format!("{base}?{}", query.replace('+', "%20"));
            if let Some(f) = fragment {
                out.push('#');
                out.push_str(f);
            }
            out
        }
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest as _, Sha256};

    #[test]
    fn verifier_state_and_challenge() -> Result<()> {
        let verifier = oauth2::PkceCodeVerifier::new(random_text(48)?);
        assert_eq!(verifier.secret().len(), 64);
        assert!(verifier
            .secret()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)));
        let challenge = oauth2::PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.secret().as_bytes()));
        assert_eq!(challenge.as_str(), expected);
        assert_eq!(challenge.method().as_str(), "S256");
        assert_ne!(random_text(48)?, *verifier.secret());
        Ok(())
    }

    #[test]
    fn query_spaces_are_percent_20() -> std::result::Result<(), oauth2::url::ParseError> {
        let mut url = oauth2::url::Url::parse("https://idp.example/auth?x=1#frag")?;
        url.query_pairs_mut()
            .append_pair("scope", "openid offline")
            .append_pair("v", "a+b");
        assert_eq!(
            spaces_as_percent_20(url),
            "https://idp.example/auth?x=1&scope=openid%20offline&v=a%2Bb#frag"
        );
        Ok(())
    }
}
