//! FlyteAdmin endpoints as users write them: `dns:///host:port`, `host:port`, `http://…`,
//! `https://…`, with IPv6 literals in brackets.

use std::fmt;
use std::net::Ipv6Addr;

use crate::{Error, Result};

/// The default gRPC port when none is written: grpc-go dials 443 whatever the transport.
pub const DEFAULT_PORT: u16 = 443;

/// A parsed FlyteAdmin endpoint: where to connect and whether to use TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoint {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Whether the connection uses TLS.
    pub tls: bool,
    /// The text as written in the config.
    pub raw: String,
}

impl Endpoint {
    /// Parses an endpoint. TLS comes from the scheme when there is one (`http://` is plaintext,
    /// `https://` is TLS), else from `insecure` (plaintext when true), as flytectl decides.
    ///
    /// Default ports: 80 for `http://`, 443 otherwise.
    ///
    /// # Errors
    /// [`Error::Endpoint`], quoting the value, for an empty host, a bad port, a path, an
    /// unsupported scheme, or stray characters.
    pub fn parse(raw: &str, insecure: bool) -> Result<Endpoint> {
        let err = |reason: &str| Error::endpoint(raw, reason);
        let text = raw.trim();
        if text.is_empty() {
            return Err(err("it is empty"));
        }
        if text.chars().any(char::is_whitespace) {
            return Err(err("it contains white space"));
        }
        let (rest, tls, default_port) = if let Some(r) = text.strip_prefix("dns:///") {
            (r, !insecure, DEFAULT_PORT)
        } else if let Some(r) = text.strip_prefix("dns:") {
            if r.starts_with("//") {
                return Err(err(
                    "a DNS authority (dns://server/host) is not supported; write dns:///host:port",
                ));
            }
            (r, !insecure, DEFAULT_PORT)
        } else if let Some(r) = strip_prefix_ci(text, "https://") {
            (r, true, 443)
        } else if let Some(r) = strip_prefix_ci(text, "http://") {
            (r, false, 80)
        } else if let Some((scheme, _)) = text.split_once("://") {
            return Err(err(&format!(
                "unsupported scheme {scheme:?}; use dns:///, http://, https:// or host:port"
            )));
        } else {
            (text, !insecure, DEFAULT_PORT)
        };
        // A trailing slash is common in copied URLs; any other path is a mistake.
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') || rest.contains('?') || rest.contains('#') {
            return Err(err(
                "it has a path, query or fragment; an endpoint is only host and port",
            ));
        }
        if rest.contains('@') {
            return Err(err("user information (user@host) is not supported"));
        }
        let (host, port) = split_host_port(rest).map_err(|r| err(&r))?;
        let port = match port {
            None => default_port,
            Some(p) => match p.parse::<u16>() {
                Ok(0) | Err(_) => {
                    return Err(err(&format!("port {p:?} is not a number from 1 to 65535")))
                }
                Ok(n) => n,
            },
        };
        if host.is_empty() {
            return Err(err("the host is empty"));
        }
        if !host.contains(':') && !valid_host_name(host) {
            return Err(err(&format!(
                "{host:?} is not a valid host name or IP address"
            )));
        }
        Ok(Endpoint {
            host: host.to_owned(),
            port,
            tls,
            raw: raw.to_owned(),
        })
    }

    /// The URI tonic and HTTP clients dial: `https://host:port` or `http://host:port`.
    pub fn uri(&self) -> String {
        format!(
            "{}://{}",
            if self.tls { "https" } else { "http" },
            self.authority()
        )
    }

    /// `host:port`, with IPv6 hosts in brackets.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri())
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn split_host_port(s: &str) -> Result<(&str, Option<&str>), String> {
    if let Some(inner) = s.strip_prefix('[') {
        let (host, after) = inner
            .split_once(']')
            .ok_or_else(|| "an IPv6 address opened with '[' is not closed with ']'".to_owned())?;
        if host.parse::<Ipv6Addr>().is_err() {
            return Err(format!("{host:?} is not an IPv6 address"));
        }
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(p) => Ok((host, Some(p))),
                None => Err(format!("unexpected {after:?} after the IPv6 address")),
            },
        };
    }
    match s.matches(':').count() {
        0 => Ok((s, None)),
        1 => {
            let (h, p) = s.split_once(':').unwrap_or((s, ""));
            Ok((h, Some(p)))
        }
        _ if s.parse::<Ipv6Addr>().is_ok() => Ok((s, None)),
        _ => Err("too many ':'; write IPv6 addresses in brackets, e.g. [::1]:8089".to_owned()),
    }
}

fn valid_host_name(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str, insecure: bool) -> (String, u16, bool) {
        let e = Endpoint::parse(raw, insecure).unwrap_or_else(|e| panic!("{raw}: {e}"));
        (e.host, e.port, e.tls)
    }

    #[test]
    fn forms_users_write() {
        assert_eq!(
            ok("dns:///flyte.example.com", false),
            ("flyte.example.com".into(), 443, true)
        );
        assert_eq!(
            ok("dns:///localhost:30080", true),
            ("localhost".into(), 30080, false)
        );
        assert_eq!(
            ok("localhost:30080", true),
            ("localhost".into(), 30080, false)
        );
        assert_eq!(
            ok("flyte.example.com", false),
            ("flyte.example.com".into(), 443, true)
        );
        assert_eq!(
            ok("http://localhost:30080", false),
            ("localhost".into(), 30080, false)
        );
        assert_eq!(
            ok("http://localhost", false),
            ("localhost".into(), 80, false)
        );
        assert_eq!(
            ok("https://flyte.example.com/", true),
            ("flyte.example.com".into(), 443, true)
        );
        assert_eq!(
            ok("HTTPS://Flyte.Example.com:8443", false),
            ("Flyte.Example.com".into(), 8443, true)
        );
        assert_eq!(ok("[::1]:8089", true), ("::1".into(), 8089, false));
        assert_eq!(
            ok("dns:///[2001:db8::1]:443", false),
            ("2001:db8::1".into(), 443, true)
        );
        assert_eq!(ok("http://[::1]", false), ("::1".into(), 80, false));
        assert_eq!(ok("::1", true), ("::1".into(), 443, false));
        assert_eq!(ok("127.0.0.1:81", true), ("127.0.0.1".into(), 81, false));
        assert_eq!(
            ok("dns:localhost:81", true),
            ("localhost".into(), 81, false)
        );
    }

    #[test]
    fn uri_for_dialing() -> Result<(), Error> {
        assert_eq!(Endpoint::parse("dns:///h:81", true)?.uri(), "http://h:81");
        assert_eq!(
            Endpoint::parse("[::1]:81", false)?.uri(),
            "https://[::1]:81"
        );
        Ok(())
    }

    #[test]
    fn malformed_endpoints_quote_the_value() {
        for bad in [
            "",
            "   ",
            "host:port",
            "host:0",
            "host:70000",
            "http://host/path",
            "ftp://host",
            "dns://auth/host:1",
            "[::1",
            "[zz]:1",
            "a:b:c",
            "bad host",
            "user@host:1",
            "-bad-:80",
            "http://",
            "dns:///",
            ":80",
        ] {
            let e = Endpoint::parse(bad, false).expect_err(bad);
            assert!(matches!(e, Error::Endpoint { .. }), "{bad}: {e}");
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
    }
}
