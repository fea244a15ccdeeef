//! The authorization code flow with PKCE (RFC 7636): the user logs in in a browser, which
//! brings the code back to a local callback server.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use crate::credentials::Credentials;
use crate::error::Result;
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
        let p = Verifier::new()?;
        let state = random_string(32)?;
        let nonce = random_string(32)?;
        let sep = if m.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        let query: Vec<String> = [
            ("response_type", "code"),
            ("client_id", m.client_id.as_str()),
            ("redirect_uri", m.redirect_uri.as_str()),
            ("scope", &m.scopes.join(" ")),
            ("state", &state),
            ("nonce", &nonce),
            ("code_challenge", &p.challenge),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", oauth::query_encode(v)))
        .collect();
        let url = format!("{}{sep}{}", m.authorization_endpoint, query.join("&"));
        creds.interaction().authorize(&url);
        let code = callback::wait_for_code(listener, &redirect, &state, self.timeout).await?;
        creds
            .http()
            .token(
                FLOW,
                &m.token_endpoint,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("code_verifier", &p.verifier),
                    ("redirect_uri", &m.redirect_uri),
                    ("client_id", &m.client_id),
                ],
                None,
            )
            .await
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

/// Random text from the RFC 7636 unreserved alphabet, from the operating system's generator.
fn random_string(len: usize) -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    let mut bytes = vec![0u8; len];
    getrandom(&mut bytes)?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// Fills `buf` from `/dev/urandom` (or, where there is none, a hash of time and address).
fn getrandom(buf: &mut [u8]) -> Result<()> {
    use std::io::Read as _;
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        if f.read_exact(buf).is_ok() {
            return Ok(());
        }
    }
    // Platforms without /dev/urandom: SHA-256 over the time, a counter and a stack address.
    let mut seed = Sha256::new();
    for (i, chunk) in buf.chunks_mut(32).enumerate() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        seed.update(now.to_le_bytes());
        seed.update(i.to_le_bytes());
        seed.update((chunk.as_ptr() as usize).to_le_bytes());
        let digest = seed.clone().finalize();
        chunk.copy_from_slice(&digest[..chunk.len()]);
    }
    Ok(())
}

/// The verifier and its S256 challenge.
struct Verifier {
    verifier: String,
    challenge: String,
}

impl Verifier {
    fn new() -> Result<Self> {
        let verifier = random_string(64)?;
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes()));
        Ok(Verifier {
            verifier,
            challenge,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_is_s256_of_the_verifier() -> Result<()> {
        let p = Verifier::new()?;
        assert_eq!(p.verifier.len(), 64);
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(p.verifier.as_bytes()));
        assert_eq!(p.challenge, expected);
        assert_ne!(Verifier::new()?.verifier, p.verifier);
        Ok(())
    }
}
