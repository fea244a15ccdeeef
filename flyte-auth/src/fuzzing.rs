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

/// Reads `head` as a request to the PKCE login's callback server on `/callback`, for a login
/// whose state is `state`. Returns the HTTP status the browser would be answered.
pub fn callback_request(head: &[u8], state: &str) -> u16 {
    use crate::flows::callback::Callback;
    match Callback::read(head, "/callback", state) {
        Callback::NotHere => 404,
        Callback::Code(_) => 200,
        Callback::Ignored | Callback::Forged | Callback::Refused { .. } | Callback::NoCode => 400,
    }
}

/// A clock for [`token_response`] callers that want the real one.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the fuzzers are seeded with (and anything they find), run by every `cargo test`:
    /// every input must return.
    const TOKEN_BODIES: &[&str] = &[
        "",
        "null",
        "[]",
        "{}",
        "\"access_token\"",
        r#"{"access_token":"t"}"#,
        r#"{"access_token":""}"#,
        r#"{"access_token":5}"#,
        r#"{"access_token":"t","token_type":null,"expires_in":null}"#,
        r#"{"access_token":"t","token_type":7}"#,
        r#"{"access_token":"t","expires_in":9223372036854775807}"#,
        r#"{"access_token":"t","expires_in":18446744073709551615}"#,
        r#"{"access_token":"t","expires_in":1e308}"#,
        r#"{"access_token":"t","expires_in":-1}"#,
        r#"{"access_token":"t","expires_in":"99999999999999999999999"}"#,
        r#"{"access_token":"t","expires_in":"3600"}"#,
        r#"{"access_token":"t","expires_in":{"a":1}}"#,
        r#"{"access_token":"t","refresh_token":["r"],"scope":{"a":1}}"#,
        r#"{"access_token":"t","scope":"a  b   "}"#,
        r#"{"access_token":"e30.eyJleHAiOjE4NDQ2NzQ0MDczNzA5NTUxNjE1fQ.s"}"#,
        r#"{"access_token":"e30.eyJleHAiOjFlMzAwfQ.s","expires_in":5}"#,
        r#"{"access_token":"t","token_type":"ｂｅａｒｅｒ"}"#,
        "access_token=t&token_type=bearer",
        "{\"access_token\":\"t\"",
    ];

    const JWTS: &[&str] = &[
        "",
        ".",
        "..",
        "...",
        "a.b.c",
        "e30.e30.s",
        "e30.eyJleHAiOjE4NDQ2NzQ0MDczNzA5NTUxNjE1fQ.s",
        "e30.eyJleHAiOjFlMzAwfQ.s",
        "e30.eyJleHAiOi0xfQ.s",
        "e30.eyJleHAiOiIxIn0.s",
        "e30.eyJleHAiOjEuNX0.s",
        "e30.eyJleHAiOjE3MDAwMDAwMDB9.s",
        "e30.eyJleHAiOjE3MDAwMDAwMDB9==.s",
        "e30.////.s",
        "é.é.é",
    ];

    const KEYRING_ENTRIES: &[&str] = &[
        "",
        "{}",
        r#"{"access_token":"a"}"#,
        r#"{"access_token":"a","expiry":"0001-01-01T00:00:00Z"}"#,
        r#"{"access_token":"a","expiry":"9999-12-31T23:59:59.999999999+23:59"}"#,
        r#"{"access_token":"a","expiry":"2024-01-01T00:00:5é"}"#,
        r#"{"access_token":"a","expiry":"2024-01-01T00:00:00éééééé"}"#,
        r#"{"access_token":"a","expiry":"2024-01-01T00:00:00.éZ"}"#,
        r#"{"access_token":"a","expiry":"-999-01-01T00:00:00Z"}"#,
        r#"{"access_token":"a","expiry":"2024-01-01T00:00:00+99:99"}"#,
        r#"{"access_token":"a","expiry":"2024-01-01T00:00:00.0000000000000000000000001Z"}"#,
        r#"{"access_token":"a","expiry":5,"token_type":5,"refresh_token":5}"#,
        r#"{"access_token":"a","expiry":"1969-12-31T23:59:59Z"}"#,
    ];

    const CALLBACK_HEADS: &[&[u8]] = &[
        b"",
        b"\r\n\r\n",
        b"GET",
        b"GET /callback",
        b"GET /callback?",
        b"GET /callback?state=s HTTP/1.1\r\n\r\n",
        b"GET /callback?code=c&state=s HTTP/1.1\r\n\r\n",
        b"GET /callback?code=c&state=x HTTP/1.1\r\n\r\n",
        b"GET /callback?error=e HTTP/1.1\r\n\r\n",
        b"GET /callback?error=%ff%fe&state=s HTTP/1.1\r\n\r\n",
        b"GET /callback?state=%ZZ&code=%",
        b"GET /callback?state=s&state=x&code=c HTTP/1.1\r\n\r\n",
        b"GET /callback??&&==&state=s&code=c\r\n",
        b"\xff\xfe\xfd /callback?state=s&code=c",
        b"GET /callback?code=c&state=s\xc3",
    ];

    #[test]
    fn every_seed_returns() {
        let now = 1_900_000_000;
        for body in TOKEN_BODIES {
            let _ = token_response(body.as_bytes(), now);
            let _ = token_response(body.as_bytes(), u64::MAX);
        }
        assert!(token_response(br#"{"access_token":"t"}"#, now));
        assert!(!token_response(b"access_token=t", now));
        for jwt in JWTS {
            let _ = jwt_exp(jwt);
        }
        assert_eq!(
            jwt_exp("e30.eyJleHAiOjE3MDAwMDAwMDB9.s"),
            Some(1_700_000_000)
        );
        for entry in KEYRING_ENTRIES {
            let _ = keyring_entry(entry);
        }
        assert!(keyring_entry(r#"{"access_token":"a"}"#));
        for head in CALLBACK_HEADS {
            let _ = callback_request(head, "s");
        }
        assert_eq!(
            callback_request(b"GET /callback?code=c&state=s HTTP/1.1\r\n\r\n", "s"),
            200
        );
    }
}
