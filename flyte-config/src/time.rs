//! RFC 3339 timestamps, as Go writes `time.Time` and protobuf JSON writes `Timestamp`.

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

/// `2024-01-02T03:04:05Z`, with `.nnnnnnnnn` when `nanos` is not zero (trailing zeros trimmed).
pub fn format_rfc3339(secs: i64, nanos: u32) -> String {
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    );
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Seconds and nanoseconds since the epoch from RFC 3339 (`Z` or an offset, any fraction).
pub fn parse_rfc3339(text: &str) -> Option<(i64, u32)> {
    let b = text.as_bytes();
    // Every valid timestamp is ASCII; checking that first makes every byte offset below a
    // character boundary.
    if !text.is_ascii()
        || b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let n = |s: &str| {
        s.parse::<i64>()
            .ok()
            .filter(|_| s.bytes().all(|c| c.is_ascii_digit()))
    };
    let (mo, d) = (n(&text[5..7])?, n(&text[8..10])?);
    let (h, mi, s) = (n(&text[11..13])?, n(&text[14..16])?, n(&text[17..19])?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(n(&text[0..4])?, mo, d);
    let mut secs = days * 86_400 + h * 3600 + mi * 60 + s;
    let mut rest = &text[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let end = frac
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(frac.len());
        if end == 0 {
            return None;
        }
        let digits: String = frac[..end]
            .chars()
            .chain(std::iter::repeat('0'))
            .take(9)
            .collect();
        nanos = digits.parse().ok()?;
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
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            secs -= sign * (n(&rest[1..3])? * 3600 + n(&rest[4..6])? * 60);
        }
    }
    Some((secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_seconds_from_a_server_format_without_panicking() {
        for secs in [i64::MAX, i64::MIN, i64::MAX - 86_399] {
            assert!(!format_rfc3339(secs, u32::MAX).is_empty());
        }
    }

    #[test]
    fn round_trips() {
        assert_eq!(format_rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_rfc3339(1_709_164_800, 500_000_000),
            "2024-02-29T00:00:00.5Z"
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00.5Z"),
            Some((1_709_164_800, 500_000_000))
        );
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Some((0, 0)));
        assert_eq!(format_rfc3339(-1, 0), "1969-12-31T23:59:59Z");
        for bad in [
            "",
            "2024-13-01T00:00:00Z",
            "2024-01-01 00:00:00",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0100",
            // Multi-byte characters where the digits and separators are: no panic on slicing.
            "2024-01-01T00:00:0é+01:00",
            "2024-01-01T00:00:00+é:00",
            "2024-01-01T00:00:00Zé",
            "é024-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
