//! Access tokens: the secret, its type, when it expires, and the refresh token.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use flyte_config::Secret;

/// An access token. `Debug` never shows the token or its refresh token.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub(crate) value: Secret,
    pub(crate) token_type: String,
    pub(crate) expires_at: Option<SystemTime>,
    pub(crate) refresh_token: Option<Secret>,
}

impl AccessToken {
    /// A bearer token with a known (or unknown) expiry.
    pub fn new(value: impl Into<String>, expires_at: Option<SystemTime>) -> Self {
        let value = value.into();
        let expires_at = expires_at.or_else(|| jwt_expiry(&value));
        AccessToken {
            value: Secret::new(value),
            token_type: "Bearer".to_owned(),
            expires_at,
            refresh_token: None,
        }
    }

    /// The token itself. Send it only to FlyteAdmin.
    pub fn secret(&self) -> &str {
        self.value.expose()
    }

    /// The header value: `Bearer <token>`.
    pub fn header_value(&self) -> String {
        format!("{} {}", self.token_type, self.value.expose())
    }

    /// When it expires, from the JWT `exp` claim or the token endpoint's `expires_in`.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Whether a refresh token came with it.
    pub fn has_refresh_token(&self) -> bool {
        self.refresh_token.is_some()
    }

    /// Valid for at least `window` more. A token without known expiry counts as valid.
    pub fn is_fresh(&self, window: Duration) -> bool {
        self.is_fresh_at(window, SystemTime::now())
    }

    /// Valid for at least `window` after `now`.
    pub(crate) fn is_fresh_at(&self, window: Duration, now: SystemTime) -> bool {
        match self.expires_at {
            None => true,
            Some(at) => at.duration_since(now).is_ok_and(|left| left > window),
        }
    }

    /// Builds a token from a token endpoint's JSON answer received at `now`, as the flows read
    /// it (see [`crate::oauth::parse_token_response`]).
    #[cfg(test)]
    pub(crate) fn from_response(json: &serde_json::Value, now: SystemTime) -> Option<Self> {
        crate::oauth::parse_token_response(json.to_string().as_bytes(), now)
    }

    /// Builds a token from the answer `oauth2` parsed, received at `now`. The JWT's `exp` wins
    /// over `expires_in`; a lifetime is capped at [`LONGEST_LIFETIME`].
    pub(crate) fn from_oauth(
        response: &oauth2::basic::BasicTokenResponse,
        now: SystemTime,
    ) -> Self {
        use oauth2::TokenResponse as _;
        let value = response.access_token().secret().clone();
        let expires_at =
            jwt_expiry(&value).or_else(|| response.expires_in().and_then(|d| expiry_after(now, d)));
        AccessToken {
            value: Secret::new(value),
            token_type: crate::oauth::token_type_name(response.token_type()),
            expires_at,
            refresh_token: response
                .refresh_token()
                .map(|r| Secret::new(r.secret().clone())),
        }
    }
}

/// The wall clock token expiry is read against: `SystemTime::now`, or what
/// [`crate::CredentialsBuilder::clock`] was given.
#[derive(Clone)]
pub(crate) struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    /// The system's clock.
    pub(crate) fn system() -> Self {
        Clock(Arc::new(SystemTime::now))
    }

    /// A clock that reads `now`.
    pub(crate) fn new(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }

    /// The time now.
    pub(crate) fn now(&self) -> SystemTime {
        (self.0)()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// The longest lifetime a token (or a device code) is given, whatever the server or a cache
/// file says: a hundred years, far beyond any real token, and far from where adding it to a
/// clock could overflow.
pub(crate) const LONGEST_LIFETIME: Duration = Duration::from_secs(100 * 365 * 86_400);

/// The last second of the year 9999: later instants are read as this one.
const LAST_SECOND: u64 = 253_402_300_799;

/// The instant `secs` seconds after the epoch, saturating at the end of the year 9999 (which
/// every clock and RFC 3339 can hold).
pub(crate) fn from_unix(secs: u64) -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_secs(secs.min(LAST_SECOND)))
        .unwrap_or(UNIX_EPOCH)
}

/// `now + lifetime`, with the lifetime capped at [`LONGEST_LIFETIME`]. `None` only where the
/// platform's clock cannot hold even that.
pub(crate) fn expiry_after(now: SystemTime, lifetime: Duration) -> Option<SystemTime> {
    now.checked_add(lifetime.min(LONGEST_LIFETIME))
}

/// The `exp` claim of a JWT, read without verifying it (only the issuer can verify).
pub(crate) fn jwt_expiry(token: &str) -> Option<SystemTime> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims["exp"]
        .as_u64()
        .or_else(|| claims["exp"].as_f64().map(|f| f as u64))?;
    Some(from_unix(exp))
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.value)
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &self.refresh_token)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(exp: u64) -> String {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.sig",
            b64(r#"{"alg":"none"}"#),
            b64(&format!(r#"{{"exp":{exp}}}"#))
        )
    }

    #[test]
    fn expiry_from_jwt_or_expires_in() {
        let now = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
        let t = AccessToken::from_response(
            &serde_json::json!({"access_token": jwt(2_000_000_000), "expires_in": 5}),
            now,
        )
        .expect("token");
        assert_eq!(
            t.expires_at,
            UNIX_EPOCH.checked_add(Duration::from_secs(2_000_000_000)),
            "exp wins"
        );
        let opaque = AccessToken::from_response(&serde_json::json!({"access_token": "opaque", "expires_in": 3600, "token_type": "bearer"}), now)
            .expect("token");
        assert_eq!(opaque.expires_at, Some(now + Duration::from_secs(3600)));
        assert!(opaque.is_fresh_at(Duration::from_secs(3000), now));
        assert!(!opaque.is_fresh_at(Duration::from_secs(4000), now));
        let later = now + Duration::from_secs(3000);
        assert!(opaque.is_fresh_at(Duration::from_secs(500), later));
        assert!(!opaque.is_fresh_at(Duration::from_secs(700), later));
        assert_eq!(opaque.header_value(), "Bearer opaque");
        let no_expiry = AccessToken::new("opaque", None);
        assert!(no_expiry.is_fresh(Duration::from_secs(1_000_000)));
    }

    #[test]
    fn huge_lifetimes_saturate_instead_of_panicking() {
        let now = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
        for huge in [
            serde_json::json!(9_223_372_036_854_775_807_u64),
            serde_json::json!(u64::MAX),
            serde_json::json!("18446744073709551615"),
        ] {
            let t = AccessToken::from_response(
                &serde_json::json!({"access_token": "opaque", "expires_in": huge}),
                now,
            )
            .expect("token");
            let at = t.expires_at.expect("an expiry");
            assert!(at > now + Duration::from_secs(50 * 365 * 86_400), "{at:?}");
            assert!(t.is_fresh_at(Duration::from_secs(3600), now));
        }
        // A JWT whose `exp` is past what the platform's clock can hold is a token without a known
        // expiry, not a crash.
        for exp in ["1e300", "18446744073709551615", "-5"] {
            let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
            let token = format!("{}.{}.sig", b64("{}"), b64(&format!(r#"{{"exp":{exp}}}"#)));
            let _ = jwt_expiry(&token);
        }
    }

    #[test]
    fn debug_hides_the_token_and_refresh_token() {
        let t = AccessToken::from_response(
            &serde_json::json!({"access_token": "tok-123", "refresh_token": "ref-456"}),
            SystemTime::now(),
        )
        .expect("token");
        let shown = format!("{t:?} {t:#?}");
        assert!(
            !shown.contains("tok-123") && !shown.contains("ref-456"),
            "{shown}"
        );
    }
}
