//! Entry points for the fuzz targets in the repository's `fuzz/` directory.
//!
//! **Not part of the API**: hidden from the docs, exempt from semantic versioning, and free to
//! change or go in any release. They exist because the parsers they reach are private, and a
//! fuzz target is a separate crate. Each function must return for any input; a panic is a bug.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Reads `body` as a token endpoint's successful answer, as every flow does (leniency, then
/// `oauth2`'s parser), received at `now_secs` after the epoch. Returns whether it was a token.
pub fn token_response(body: &[u8], now_secs: u64) -> bool {
    let now = UNIX_EPOCH
        .checked_add(Duration::from_secs(now_secs))
        .unwrap_or(UNIX_EPOCH);
    match crate::oauth::parse_token_response(body, now) {
        Some(token) => {
            // What is read must be usable: freshness and the header never fail.
            let _ = token.is_fresh_at(Duration::from_secs(300), now);
            !token.header_value().is_empty()
        }
        None => false,
    }
}

/// The `exp` claim of `token` read as a JWT (unverified), in seconds since the epoch.
pub fn jwt_exp(token: &str) -> Option<u64> {
    crate::token::jwt_expiry(token)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
}

/// Decodes `text` as a keyring entry (flytectl's JSON of Go's `oauth2.Token`), and encodes what
/// it read back. Returns whether it was a token.
pub fn keyring_entry(text: &str) -> bool {
    match crate::keyring_format::decode(text) {
        Some(token) => {
            let again = crate::keyring_format::encode(&token);
            crate::keyring_format::decode(&again).is_some()
        }
        None => false,
    }
}

/// A clock for [`token_response`] callers that want the real one.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
