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
    Ok(Redirect {
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        port,
        path,
    })
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
    for a in addrs {
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

/// The decoded value of `key` in a callback's query string.
fn query_value(query: &str, key: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

async fn respond(stream: &mut tokio::net::TcpStream, status: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Waits for the provider's redirect and returns the code. Requests for other paths are
/// answered 404 and ignored; a wrong `state` or an `error=` callback ends the login.
pub(crate) async fn wait_for_code(
    listener: TcpListener,
    redirect: &Redirect,
    state: &str,
    timeout: Duration,
) -> Result<String> {
    let wait = async {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let mut buf = vec![0u8; 16 * 1024];
            let mut len = 0;
            // Read the request head.
            while len < buf.len() {
                match stream.read(&mut buf[len..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => len += n,
                }
                if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            let head = String::from_utf8_lossy(&buf[..len]).into_owned();
            let target = head
                .lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .unwrap_or("/")
                .to_owned();
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            if path != redirect.path {
                respond(&mut stream, "404 Not Found", "not the login callback").await;
                continue;
            }
            if let Some(error) = query_value(query, "error") {
                let description = query_value(query, "error_description").unwrap_or_default();
                respond(
                    &mut stream,
                    "400 Bad Request",
                    "Login failed; you may close this window.",
                )
                .await;
                return Err(Error::new(
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
                ));
            }
            if query_value(query, "state").as_deref() != Some(state) {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    "Login failed: the state does not match.",
                )
                .await;
                return Err(Error::new(
                    Kind::AccessDenied,
                    FLOW,
                    "the callback's state does not match the request's (possibly a forged request); log in again",
                ));
            }
            let Some(code) = query_value(query, "code") else {
                respond(&mut stream, "400 Bad Request", "Login failed: no code.").await;
                return Err(Error::new(
                    Kind::Protocol,
                    FLOW,
                    "the callback carried no code",
                ));
            };
            respond(
                &mut stream,
                "200 OK",
                "Logged in to Flyte; you may close this window.",
            )
            .await;
            return Ok(code);
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
        Ok(())
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
