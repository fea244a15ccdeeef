//! The PKCE login's local callback server on the redirect URI's host, port and path.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::error::{Error, Kind, Result};

const FLOW: &str = "PKCE";

/// Where the callback listens, from the redirect URI.
#[derive(Debug, Clone)]
pub(crate) struct Redirect {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) path: String,
}

pub(crate) fn parse_redirect(uri: &str) -> Result<Redirect> {
    let bad = |why: &str| Error::new(Kind::Config, FLOW, format!("redirect URI {uri:?} {why}"));
    let rest = uri
        .strip_prefix("http://")
        .ok_or_else(|| bad("must be an http:// URL on this machine"))?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad("has a bad port"))?),
        None => (authority, 80),
    };
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(bad(
            "must name this machine (localhost, 127.0.0.1 or [::1]): the login callback is only ever served on a loopback address",
        ));
    }
    Ok(Redirect { host, port, path })
}

/// Binds the callback listener; a busy port is a clear error, not a crash.
pub(crate) async fn bind(redirect: &Redirect) -> Result<TcpListener> {
    let addr = format!("{}:{}", redirect.host, redirect.port);
    let mut last = None;
    let addrs = tokio::net::lookup_host(&addr).await.map_err(|e| {
        Error::new(
            Kind::Config,
            FLOW,
            format!("cannot resolve the redirect host {addr}: {e}"),
        )
        .with_source(e)
    })?;
    // `localhost` may resolve elsewhere on a tampered machine: only loopback addresses are bound.
    for a in addrs.filter(|a| a.ip().is_loopback()) {
        match TcpListener::bind(a).await {
            Ok(l) => return Ok(l),
            Err(e) => last = Some((a, e)),
        }
    }
    let (a, e) =
        last.ok_or_else(|| Error::new(Kind::Config, FLOW, format!("{addr} resolves to nothing")))?;
    Err(Error::new(
        Kind::Config,
        FLOW,
        format!("cannot listen for the login callback on {a} ({e}); free the port or use the DeviceFlow auth type"),
    )
    .with_source(e))
}

/// The listener handed over with [`crate::Pkce::listener`], for this login: a duplicate of it,
/// so the next login can accept on it again.
pub(crate) fn from_std(listener: &std::net::TcpListener) -> Result<TcpListener> {
    let unusable = |e: std::io::Error| {
        Error::new(
            Kind::Config,
            FLOW,
            format!("cannot listen for the login callback on the listener given: {e}"),
        )
        .with_source(e)
    };
    let own = listener.try_clone().map_err(unusable)?;
    own.set_nonblocking(true).map_err(unusable)?;
    TcpListener::from_std(own).map_err(unusable)
}

/// How long one connection may take to send its request: a browser's preconnect that never
/// sends one is dropped after this, and never holds up the login meanwhile.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The most of a request head that is read.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// The decoded value of `key` in a callback's query string.
fn query_value(query: &str, key: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// What a request to the callback server means for the login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Callback {
    /// Another path (a favicon, a probe): answered 404, the login waits on.
    NotHere,
    /// No or another `state` and no code (an `error=` from any local page, a preconnect that
    /// sent junk): answered 400 and ignored, the login waits on.
    Ignored,
    /// A code with another login's `state`: a forged or replayed callback (any web page can send
    /// one with an `<img>`). Answered 400 and logged without its code; the login waits on, so
    /// such a page cannot abort it.
    Forged,
    /// This login's `state` with `error=`: the identity provider refused.
    Refused {
        /// The `error` code.
        error: String,
        /// The `error_description`, or empty.
        description: String,
    },
    /// This login's `state` and no code.
    NoCode,
    /// This login's `state` and its code.
    Code(String),
}

impl Callback {
    /// Reads a request head against the callback's path and the login's `state`. The state is
    /// checked before anything else in the query is looked at.
    pub(crate) fn read(head: &[u8], path: &str, state: &str) -> Callback {
        let head = String::from_utf8_lossy(head);
        let Some(target) = head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
        else {
            return Callback::Ignored;
        };
        let (got_path, query) = target.split_once('?').unwrap_or((target, ""));
        if got_path != path {
            return Callback::NotHere;
        }
        let code = query_value(query, "code");
        if query_value(query, "state").as_deref() != Some(state) {
            return match code {
                Some(_) => Callback::Forged,
                None => Callback::Ignored,
            };
        }
        if let Some(error) = query_value(query, "error") {
            return Callback::Refused {
                error,
                description: query_value(query, "error_description").unwrap_or_default(),
            };
        }
        match code {
            Some(code) => Callback::Code(code),
            None => Callback::NoCode,
        }
    }

    /// The status and page the browser is shown.
    fn answer(&self) -> (&'static str, &'static str) {
        match self {
            Callback::NotHere => ("404 Not Found", "not the login callback"),
            Callback::Ignored => ("400 Bad Request", "not a callback of the login in progress"),
            Callback::Forged => ("400 Bad Request", "not a callback of the login in progress"),
            Callback::Refused { .. } => (
                "400 Bad Request",
                "Login failed; you may close this window.",
            ),
            Callback::NoCode => ("400 Bad Request", "Login failed: no code."),
            Callback::Code(_) => ("200 OK", "Logged in to Flyte; you may close this window."),
        }
    }

    /// What the login does: wait on (`None`), or end with this outcome.
    fn outcome(self) -> Option<Result<String>> {
        match self {
            Callback::NotHere | Callback::Ignored => None,
            Callback::Forged => {
                tracing::warn!(
                    "ignored a login callback with a code and another state (a forged or replayed request); waiting for the real one"
                );
                None
            }
            Callback::Refused { error, description } => Some(Err(Error::new(
                Kind::AccessDenied,
                FLOW,
                format!(
                    "the identity provider answered {error}{}",
                    if description.is_empty() {
                        String::new()
                    } else {
                        format!(": {description}")
                    }
                ),
            ))),
            Callback::NoCode => Some(Err(Error::new(
                Kind::Protocol,
                FLOW,
                "the callback carried no code",
            ))),
            Callback::Code(code) => Some(Ok(code)),
        }
    }
}

/// Reads one connection's request head (bounded in size and time), answers it, and says what
/// it means. A connection that sends nothing in time is dropped as [`Callback::Ignored`].
async fn serve(mut stream: tokio::net::TcpStream, path: &str, state: &str) -> Callback {
    let mut buf = vec![0u8; MAX_HEAD_BYTES];
    let mut len = 0;
    let read = async {
        while len < buf.len() {
            match stream.read(&mut buf[len..]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => len += n,
            }
            if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    };
    if tokio::time::timeout(READ_TIMEOUT, read).await.is_err() {
        return Callback::Ignored;
    }
    let callback = Callback::read(&buf[..len], path, state);
    let (status, body) = callback.answer();
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(READ_TIMEOUT, async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
    callback
}

/// Waits for the provider's redirect and returns the code. Connections are served
/// concurrently, each with [`READ_TIMEOUT`]; requests for other paths, and requests without
/// this login's `state` and without a code, are answered and ignored. A failing `accept` (out
/// of file descriptors, say) is retried after a growing pause rather than in a spin.
pub(crate) async fn wait_for_code(
    listener: TcpListener,
    redirect: &Redirect,
    state: &str,
    timeout: Duration,
) -> Result<String> {
    let path: std::sync::Arc<str> = redirect.path.as_str().into();
    let state: std::sync::Arc<str> = state.into();
    let wait = async {
        let mut connections = tokio::task::JoinSet::new();
        let mut pause = Duration::from_millis(10);
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        pause = Duration::from_millis(10);
                        let (path, state) = (path.clone(), state.clone());
                        connections.spawn(async move { serve(stream, &path, &state).await });
                    }
                    Err(e) => {
                        tracing::warn!("login callback: accept failed, retrying in {pause:?}: {e}");
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_secs(1));
                    }
                },
                Some(served) = connections.join_next() => {
                    if let Some(outcome) = served.ok().and_then(Callback::outcome) {
                        return outcome;
                    }
                }
            }
        }
    };
    tokio::time::timeout(timeout, wait).await.map_err(|_| {
        Error::new(
            Kind::Timeout,
            FLOW,
            format!(
                "no login within {}s (admin.pkceConfig.timeout)",
                timeout.as_secs()
            ),
        )
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris() -> Result<()> {
        let r = parse_redirect("http://localhost:53593/callback")?;
        assert_eq!(
            (r.host.as_str(), r.port, r.path.as_str()),
            ("localhost", 53593, "/callback")
        );
        let r = parse_redirect("http://[::1]:8080/cb/x")?;
        assert_eq!(
            (r.host.as_str(), r.port, r.path.as_str()),
            ("::1", 8080, "/cb/x")
        );
        assert!(parse_redirect("https://localhost/cb").is_err());
        assert!(parse_redirect("http://localhost:x/cb").is_err());
        for elsewhere in [
            "http://0.0.0.0:8080/callback",
            "http://192.168.1.5:8080/callback",
            "http://flyte.example.com/callback",
            "http://[::]:8080/callback",
        ] {
            let err = parse_redirect(elsewhere).expect_err(elsewhere);
            assert!(err.is_config(), "{err}");
            assert!(err.to_string().contains("loopback"), "{err}");
        }
        Ok(())
    }

    #[test]
    fn state_is_checked_before_anything_else() {
        let read = |target: &str| {
            Callback::read(
                format!("GET {target} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes(),
                "/callback",
                "s1",
            )
        };
        assert_eq!(read("/favicon.ico"), Callback::NotHere);
        assert_eq!(read("/callback?error=access_denied"), Callback::Ignored);
        assert_eq!(
            read("/callback?error=access_denied&state=other"),
            Callback::Ignored
        );
        assert_eq!(read("/callback?code=c&state=other"), Callback::Forged);
        assert_eq!(
            read("/callback?error=access_denied&error_description=no+way&state=s1"),
            Callback::Refused {
                error: "access_denied".into(),
                description: "no way".into()
            }
        );
        assert_eq!(read("/callback?state=s1"), Callback::NoCode);
        assert_eq!(
            read("/callback?code=c%2B1&state=s1"),
            Callback::Code("c+1".into())
        );
        assert_eq!(Callback::read(b"", "/callback", "s1"), Callback::Ignored);
        assert_eq!(
            Callback::read(b"\xff\xfe junk", "/callback", "s1"),
            Callback::NotHere
        );
    }

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(
            query_value("a=1&error_description=bad+thing%21", "error_description").as_deref(),
            Some("bad thing!")
        );
        assert_eq!(query_value("a=1", "b"), None);
    }
}
