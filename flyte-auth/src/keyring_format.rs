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

fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// `2024-01-02T03:04:05Z`.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default() as i64;
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// RFC 3339 with optional fraction and offset, as Go writes `time.Time`.
pub(crate) fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let n = |s: &str| s.parse::<i64>().ok();
    let days = days_from_civil(n(&text[0..4])?, n(&text[5..7])?, n(&text[8..10])?);
    let mut secs =
        days * 86_400 + n(&text[11..13])? * 3600 + n(&text[14..16])? * 60 + n(&text[17..19])?;
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let end = frac
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(frac.len());
        rest = &frac[end..];
    }
    match rest {
        "Z" | "z" => {}
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            secs -= sign * (n(rest.get(1..3)?)? * 3600 + n(rest.get(4..6)?)? * 60);
        }
    }
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
}
