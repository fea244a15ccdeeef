//! A string that never shows itself.

use std::collections::BTreeMap;
use std::fmt;

pub(crate) const REDACTED: &str = "[redacted]";

/// Prints `[redacted]` in place of a secret.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// `url` with the `user:password@` of its authority replaced by `[redacted]@`, for messages and
/// `config show`: a proxy URL may carry its credentials there. Anything that is not a URL with
/// user info comes back unchanged.
pub fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (&url[..s.len() + 3], r),
        None => ("", url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}[redacted]@{host}{tail}"),
        None => url.to_owned(),
    }
}

/// A command line shown without its arguments, which may hold tokens: the program, then
/// `[redacted]` for each argument.
pub(crate) fn redact_args(argv: &[String]) -> Vec<String> {
    argv.iter()
        .enumerate()
        .map(|(i, a)| {
            if i == 0 {
                a.clone()
            } else {
                REDACTED.to_owned()
            }
        })
        .collect()
}

/// Header values shown as `[redacted]` (an `Authorization` value is a credential), names kept.
pub(crate) fn redact_values(map: &BTreeMap<String, Vec<String>>) -> BTreeMap<String, Vec<String>> {
    map.iter()
        .map(|(k, v)| (k.clone(), v.iter().map(|_| REDACTED.to_owned()).collect()))
        .collect()
}

/// A secret value (client secret, storage secret key). `Debug` and `Display` print
/// `[redacted]`; read it with [`Secret::expose`] only where it is sent.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Call this only to hand it to the party that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no secret is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str(REDACTED)
        }
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:#?}"), "[redacted]");
        assert_eq!(s.expose(), "hunter2");
    }
}
