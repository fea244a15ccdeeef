//! flytectl's keyring entry: service `flytectl`, user `<endpoint>:flytectl-user`, and the JSON
//! of Go's `oauth2.Token` (`access_token`, `token_type`, `refresh_token`, RFC 3339 `expiry`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flyte_config::Secret;

use crate::token::AccessToken;

/// The keyring service flytectl uses.
pub const KEYRING_SERVICE: &str = "flytectl";

/// The keyring user flytectl uses for `endpoint`.
pub fn keyring_user(endpoint: &str) -> String {
    format!("{endpoint}:flytectl-user")
}

/// `2024-01-02T03:04:05Z`.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    flyte_config::format_rfc3339(i64::try_from(secs).unwrap_or(i64::MAX), 0)
}

/// RFC 3339 with optional fraction and offset, as Go writes `time.Time`.
pub(crate) fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    // A timestamp is ASCII; anything else is refused before flyte-config slices it by bytes.
    if !text.is_ascii() {
        return None;
    }
    let (secs, _) = flyte_config::parse_rfc3339(text)?;
    UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(secs).ok()?))
}

/// The entry's JSON, as Go's `json.Marshal(oauth2.Token)` writes it.
pub(crate) fn encode(token: &AccessToken) -> String {
    let mut v = serde_json::json!({
        "access_token": token.value.expose(),
        "token_type": token.token_type,
    });
    if let Some(r) = &token.refresh_token {
        v["refresh_token"] = serde_json::Value::String(r.expose().to_owned());
    }
    if let Some(at) = token.expires_at {
        v["expiry"] = serde_json::Value::String(rfc3339(at));
    }
    v.to_string()
}

/// Reads an entry flytectl or flyte-rs wrote.
pub(crate) fn decode(text: &str) -> Option<AccessToken> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let value = v["access_token"].as_str().filter(|s| !s.is_empty())?;
    Some(AccessToken {
        value: Secret::new(value),
        token_type: v["token_type"]
            .as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or("Bearer")
            .to_owned(),
        expires_at: v["expiry"].as_str().and_then(parse_rfc3339),
        refresh_token: v["refresh_token"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(Secret::new),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_flytectl_writes() {
        let go = r#"{"access_token":"a.b.c","token_type":"Bearer","refresh_token":"r1","expiry":"2030-05-06T07:08:09.123456789+02:00"}"#;
        let t = decode(go).expect("decodes");
        assert_eq!(t.secret(), "a.b.c");
        assert!(t.has_refresh_token());
        assert_eq!(
            t.expires_at.map(rfc3339).as_deref(),
            Some("2030-05-06T05:08:09Z")
        );
        let back = decode(&encode(&t)).expect("round trip");
        assert_eq!(back, t);
        assert_eq!(
            keyring_user("dns:///flyte.example.com"),
            "dns:///flyte.example.com:flytectl-user"
        );
        assert_eq!(decode("{}"), None);
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(UNIX_EPOCH));
    }

    #[test]
    fn a_non_ascii_expiry_is_no_expiry_not_a_panic() {
        let t = decode(r#"{"access_token":"a","expiry":"2024-01-01T00:00:5é"}"#).expect("a token");
        assert_eq!(t.expires_at, None);
    }
}
