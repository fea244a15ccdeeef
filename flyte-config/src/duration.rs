//! Go's duration syntax (`time.ParseDuration`), which flytectl's config uses.

use std::time::Duration;

use crate::Error;

/// Parses a Go duration: a sequence of decimal numbers, each with a unit (`ns`, `us`, `µs`,
/// `ms`, `s`, `m`, `h`), such as `15s`, `5m0s`, `1h30m`, `1.5h` or `250ms`; `0` alone is zero.
///
/// # Errors
/// [`Error::Duration`] for anything else, and for negative durations, which no flytectl
/// setting accepts.
pub fn parse(text: &str) -> crate::Result<Duration> {
    let err = |reason: &str| Error::Duration {
        value: text.to_owned(),
        reason: reason.to_owned(),
    };
    if let Some(magnitude) = text.strip_prefix('-') {
        // Go accepts "-0s"; anything below zero fits no flytectl setting.
        if magnitude.starts_with(['-', '+']) {
            return Err(err("more than one sign"));
        }
        return match parse(magnitude) {
            Ok(d) if d.is_zero() => Ok(d),
            _ => Err(err("negative durations are not allowed")),
        };
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(err("empty; write a number and a unit, e.g. \"15s\""));
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let digits_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..digits_end];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(err("expected a number, e.g. \"15s\" or \"1h30m\""));
        }
        rest = &rest[digits_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        rest = &rest[unit_end..];
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(err("missing unit; use ns, us, ms, s, m or h")),
            _ => {
                return Err(err(&format!(
                    "unknown unit {unit:?}; use ns, us, ms, s, m or h"
                )))
            }
        };
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| err("number too large"))?
        };
        let mut part = whole.checked_mul(scale).ok_or_else(|| err("too large"))?;
        let mut div = 1u128;
        let mut frac_val = 0u128;
        for c in frac.chars().take(30) {
            div *= 10;
            frac_val = frac_val * 10 + u128::from(c as u8 - b'0');
        }
        part += frac_val * scale / div;
        total = total.checked_add(part).ok_or_else(|| err("too large"))?;
    }
    let nanos = u64::try_from(total).map_err(|_| err("too large"))?;
    Ok(Duration::from_nanos(nanos))
}

/// Formats a duration the way Go's `Duration.String` does: `15s`, `5m0s`, `1h30m0s`, `250ms`, `0s`.
pub fn format(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".to_owned();
    }
    if nanos < 1_000_000_000 {
        let (unit, scale) = if nanos < 1_000 {
            ("ns", 1u128)
        } else if nanos < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{}{unit}", frac(nanos, scale));
    }
    let hours = nanos / 3_600_000_000_000;
    let minutes = (nanos / 60_000_000_000) % 60;
    let secs = nanos % 60_000_000_000;
    let mut out = String::new();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if hours > 0 || minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    out.push_str(&format!("{}s", frac(secs, 1_000_000_000)));
    out
}

fn frac(value: u128, scale: u128) -> String {
    let whole = value / scale;
    let rest = value % scale;
    if rest == 0 {
        return whole.to_string();
    }
    let width = scale.ilog10() as usize;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

impl Error {
    /// The duration error's message with the offending text, for diagnostics.
    pub(crate) fn reason_with_value(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_examples() -> Result<(), Error> {
        assert_eq!(parse("15s")?, Duration::from_secs(15));
        assert_eq!(parse("5m0s")?, Duration::from_secs(300));
        assert_eq!(parse("1h30m")?, Duration::from_secs(5400));
        assert_eq!(parse("250ms")?, Duration::from_millis(250));
        assert_eq!(parse("1.5h")?, Duration::from_secs(5400));
        assert_eq!(parse("300us")?, Duration::from_micros(300));
        assert_eq!(parse("300µs")?, Duration::from_micros(300));
        assert_eq!(parse("10ns")?, Duration::from_nanos(10));
        assert_eq!(parse("0")?, Duration::ZERO);
        assert_eq!(parse(".5s")?, Duration::from_millis(500));
        Ok(())
    }

    #[test]
    fn bad_durations_name_the_value() {
        for bad in [
            "",
            "15",
            "15 s",
            "1x",
            "abc",
            "-5s",
            "1..5s",
            "s",
            "9999999999999999999h",
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format(Duration::from_secs(15)), "15s");
        assert_eq!(format(Duration::from_secs(300)), "5m0s");
        assert_eq!(format(Duration::from_secs(5400)), "1h30m0s");
        assert_eq!(format(Duration::from_millis(250)), "250ms");
        assert_eq!(format(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format(Duration::ZERO), "0s");
        for d in [
            "15s", "5m0s", "1h30m0s", "250ms", "2m0s", "8s", "1.5s", "3µs",
        ] {
            assert_eq!(format(parse(d).unwrap_or_default()), d);
        }
    }
}
