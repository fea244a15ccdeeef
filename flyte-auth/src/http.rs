//! The one HTTP client setup for everything a Flyte client fetches over HTTP: OAuth2 requests,
//! signed-URL transfers and package downloads. It trusts what the gRPC channel trusts (the
//! operating system's roots, or `admin.caCertFilePath` instead), goes through
//! `admin.httpProxyURL`, and never waits forever on a stalled server.

use std::io::Read as _;
use std::path::Path;
use std::time::Duration;

use flyte_config::Config;

use crate::error::{Error, Kind, Result};

const WHAT: &str = "HTTP client";

/// The most redirects a download follows (as browsers and curl's default of 50 are far more
/// than a signed URL or a release asset ever needs).
pub(crate) const MAX_REDIRECTS: usize = 5;

tokio::task_local! {
    /// Set while an OAuth2 or discovery request is in flight: the shared client's redirect
    /// policy then follows nothing. reqwest has no per-request redirect setting and a second
    /// client would be a second setup (CA, proxy, timeouts) to keep in step; reqwest decides on
    /// redirects inside the polled request future, so a task-local around `send` reaches it.
    static NO_REDIRECTS: ();
}

/// Sends `request` with redirects refused: a 3xx answer comes back to the caller as it is.
/// OAuth2 requests use it because a 307 or 308 re-sends the form (refresh token, code,
/// verifier, client secret) to wherever the `Location` points, past the endpoint check.
pub(crate) async fn without_redirects<F: std::future::Future>(request: F) -> F::Output {
    NO_REDIRECTS.scope((), request).await
}

/// Follows at most [`MAX_REDIRECTS`] redirects, never from `https://` to anything else (the
/// request's headers and, for 307/308, its body would go out in clear), and none at all inside
/// [`without_redirects`].
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if NO_REDIRECTS.try_with(|()| ()).is_ok() {
            return attempt.stop();
        }
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
        }
        let was_https = attempt.previous().iter().any(|u| u.scheme() == "https");
        if was_https && attempt.url().scheme() != "https" {
            let to = format!(
                "{}://{}",
                attempt.url().scheme(),
                attempt.url().host_str().unwrap_or("")
            );
            return attempt.error(format!("refusing a redirect from https to {to}"));
        }
        attempt.follow()
    })
}

/// The largest CA bundle read (4 MiB; the whole Mozilla root set is about 0.2 MiB).
pub const MAX_CA_BUNDLE_BYTES: u64 = 4 << 20;

/// How the shared HTTP client connects, from flytectl's `admin` section or by hand.
///
/// Defaults: 10 s to connect, 60 s without a byte read before a transfer is given up, no
/// overall limit (a large archive takes as long as it takes while bytes keep coming), the
/// operating system's root certificates, no proxy beyond the `HTTPS_PROXY` family of variables.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpSettings {
    /// How long to wait for a TCP and TLS connection.
    pub connect_timeout: Duration,
    /// How long a response may go without a byte arriving (headers or body).
    pub read_timeout: Duration,
    /// A PEM bundle whose certificates replace the system roots (`admin.caCertFilePath`).
    pub ca_cert_file: Option<String>,
    /// The proxy every request goes through (`admin.httpProxyURL`).
    pub proxy: Option<String>,
    /// Accept any certificate (`admin.insecureSkipVerify`), as the gRPC channel then does.
    pub insecure_skip_verify: bool,
}

/// Shows the proxy without its `user:password@`, so that logging a builder leaks nothing.
impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("ca_cert_file", &self.ca_cert_file)
            .field(
                "proxy",
                &self.proxy.as_deref().map(flyte_config::redact_userinfo),
            )
            .field("insecure_skip_verify", &self.insecure_skip_verify)
            .finish()
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            ca_cert_file: None,
            proxy: None,
            insecure_skip_verify: false,
        }
    }
}

impl HttpSettings {
    /// The defaults.
    pub fn new() -> Self {
        HttpSettings::default()
    }

    /// The defaults with `caCertFilePath`, `httpProxyURL` and `insecureSkipVerify` from the
    /// config's `admin` section.
    pub fn from_config(config: &Config) -> Self {
        let a = &config.admin;
        HttpSettings {
            ca_cert_file: (!a.ca_cert_file_path.is_empty()).then(|| a.ca_cert_file_path.clone()),
            proxy: (!a.http_proxy_url.is_empty()).then(|| a.http_proxy_url.clone()),
            insecure_skip_verify: a.insecure_skip_verify,
            ..HttpSettings::default()
        }
    }

    /// Sets the connect timeout.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the read timeout.
    #[must_use]
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// A CA bundle that cannot be read, is larger than [`MAX_CA_BUNDLE_BYTES`] or holds no
    /// certificate; a malformed proxy URL (named without its `user:password@`).
    pub fn build(&self) -> Result<reqwest::Client> {
        let mut client = reqwest::Client::builder()
            .redirect(redirect_policy())
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout);
        if let Some(proxy) = &self.proxy {
            let p = reqwest::Proxy::all(proxy).map_err(|e| {
                let e = e.without_url();
                Error::new(
                    Kind::Config,
                    WHAT,
                    format!(
                        "admin.httpProxyURL {} is not a usable proxy: {e}",
                        flyte_config::redact_userinfo(proxy)
                    ),
                )
                .with_source(e)
            })?;
            client = client.proxy(p);
        }
        if let Some(path) = &self.ca_cert_file {
            let pem = read_ca_bundle(Path::new(path))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::new(
                    Kind::Config,
                    WHAT,
                    format!("{path} is not a PEM certificate bundle: {e}"),
                )
                .with_source(e)
            })?;
            if certs.is_empty() {
                return Err(Error::new(
                    Kind::Config,
                    WHAT,
                    format!("{path} holds no PEM certificate"),
                ));
            }
            client = client.tls_built_in_root_certs(false);
            for cert in certs {
                client = client.add_root_certificate(cert);
            }
        }
        if self.insecure_skip_verify {
            tracing::warn!(
                "admin.insecureSkipVerify is set: HTTPS certificates (identity provider, signed \
                 URLs) are not checked"
            );
            client = client.danger_accept_invalid_certs(true);
        }
        client.build().map_err(|e| {
            Error::new(
                Kind::Config,
                WHAT,
                format!("cannot build the HTTP client: {e}"),
            )
            .with_source(e)
        })
    }
}

/// The shared HTTP client for OAuth2, signed URLs and downloads, from flytectl's config: see
/// [`HttpSettings`] for what it takes from the `admin` section and its timeouts.
///
/// # Errors
/// As [`HttpSettings::build`].
pub fn http_client(config: &Config) -> Result<reqwest::Client> {
    HttpSettings::from_config(config).build()
}

/// Reads a PEM CA bundle (`admin.caCertFilePath`), refusing one larger than
/// [`MAX_CA_BUNDLE_BYTES`] before reading past that size (`/dev/zero` is an error, not a hang).
///
/// # Errors
/// A file that cannot be opened or read, or is too large; the error names the file.
pub fn read_ca_bundle(path: &Path) -> Result<Vec<u8>> {
    let io = |e: std::io::Error| {
        Error::new(
            Kind::Config,
            WHAT,
            format!("cannot read the CA bundle {}: {e}", path.display()),
        )
        .with_source(e)
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut pem = Vec::new();
    file.take(MAX_CA_BUNDLE_BYTES + 1)
        .read_to_end(&mut pem)
        .map_err(io)?;
    if pem.len() as u64 > MAX_CA_BUNDLE_BYTES {
        return Err(Error::new(
            Kind::Config,
            WHAT,
            format!(
                "the CA bundle {} is larger than {MAX_CA_BUNDLE_BYTES} bytes",
                path.display()
            ),
        ));
    }
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn proxy_credentials_never_reach_an_error() {
        let mut refused = 0;
        for bad in [
            "http://user:hunter2@proxy.example:notaport",
            "user:hunter2@[::1",
            "http://user:hunter2@pro xy/",
        ] {
            let settings = HttpSettings {
                proxy: Some(bad.to_owned()),
                ..HttpSettings::default()
            };
            let Err(err) = settings.build() else {
                continue;
            };
            refused += 1;
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(err.is_config(), "{err}");
        }
        assert!(refused > 0, "some of these proxy URLs are refused");
        assert_eq!(
            flyte_config::redact_userinfo("http://u:p@proxy:3128/x?y"),
            "http://[redacted]@proxy:3128/x?y"
        );
        assert_eq!(flyte_config::redact_userinfo("proxy:3128"), "proxy:3128");
    }

    #[test]
    fn debug_never_shows_the_proxy_password() {
        let settings = HttpSettings {
            proxy: Some("http://user:hunter2@proxy.example:3128".to_owned()),
            ..HttpSettings::default()
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("proxy.example:3128"), "{shown}");
    }

    #[test]
    fn a_ca_bundle_with_every_certificate_is_taken_and_a_bad_one_is_named() -> TestResult {
        let dir = tempfile::tempdir()?;
        let bundle = dir.path().join("bundle.pem");
        // Two certificates: both are roots of the client (from_pem would take the first only).
        std::fs::write(
            &bundle,
            format!(
                "{}{}",
                flyte_testkit::tls::CA_PEM,
                flyte_testkit::tls::SERVER_CERT_PEM
            ),
        )?;
        let settings = HttpSettings {
            ca_cert_file: Some(bundle.display().to_string()),
            ..HttpSettings::default()
        };
        settings.build()?;
        let not_pem = dir.path().join("not.pem");
        std::fs::write(&not_pem, "hello")?;
        let err = HttpSettings {
            ca_cert_file: Some(not_pem.display().to_string()),
            ..HttpSettings::default()
        }
        .build()
        .expect_err("no certificate");
        assert!(err.to_string().contains("not.pem"), "{err}");
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_server_is_given_up_after_the_read_timeout() -> TestResult {
        // Accepts connections and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/outputs.pb", listener.local_addr()?);
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((conn, _)) = listener.accept().await {
                open.push(conn);
            }
        });
        let client = HttpSettings::new()
            .read_timeout(Duration::from_secs(30))
            .build()?;
        let start = tokio::time::Instant::now();
        let err = client.get(&url).send().await.expect_err("no answer");
        assert!(err.is_timeout(), "{err}");
        assert!(
            start.elapsed() >= Duration::from_secs(30),
            "{:?}",
            start.elapsed()
        );
        held.abort();
        Ok(())
    }

    #[tokio::test]
    async fn downloads_follow_redirects_up_to_the_limit() -> TestResult {
        use wiremock::matchers::path_regex;
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        // /hop/N redirects to /hop/N-1; /hop/0 is the file.
        for n in 1..=MAX_REDIRECTS + 1 {
            Mock::given(wiremock::matchers::path(format!("/hop/{n}")))
                .respond_with(
                    ResponseTemplate::new(302).insert_header("location", format!("/hop/{}", n - 1)),
                )
                .mount(&server)
                .await;
        }
        Mock::given(path_regex("^/hop/0$"))
            .respond_with(ResponseTemplate::new(200).set_body_string("data"))
            .mount(&server)
            .await;
        let client = HttpSettings::new().build()?;
        let ok = client
            .get(format!("{}/hop/{MAX_REDIRECTS}", server.uri()))
            .send()
            .await?;
        assert_eq!(ok.text().await?, "data");
        let err = client
            .get(format!("{}/hop/{}", server.uri(), MAX_REDIRECTS + 1))
            .send()
            .await
            .expect_err("too many redirects");
        assert!(err.is_redirect(), "{err}");
        Ok(())
    }

    #[tokio::test]
    async fn no_redirect_is_followed_from_https_to_plain_http() -> TestResult {
        use flyte_testkit::tls::{CA_PEM, SERVER_CERT_PEM, SERVER_KEY_PEM};
        use rustls::pki_types::pem::PemObject as _;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        use std::io::{BufRead as _, Write as _};
        // The plain-http listener the redirect points at: nothing may connect to it.
        let plain = std::net::TcpListener::bind("127.0.0.1:0")?;
        plain.set_nonblocking(true)?;
        let location = format!("http://{}/x", plain.local_addr()?);
        let tls = std::net::TcpListener::bind("127.0.0.1:0")?;
        let url = format!("https://{}/file", tls.local_addr()?);
        let certs = CertificateDer::pem_slice_iter(SERVER_CERT_PEM.as_bytes())
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let key = PrivateKeyDer::from_pem_slice(SERVER_KEY_PEM.as_bytes())?;
        let config = std::sync::Arc::new(
            rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(certs, key)?,
        );
        std::thread::spawn(move || {
            for tcp in tls.incoming().map_while(std::result::Result::ok) {
                let Ok(conn) = rustls::ServerConnection::new(std::sync::Arc::clone(&config)) else {
                    continue;
                };
                let mut stream = std::io::BufReader::new(rustls::StreamOwned::new(conn, tcp));
                let mut line = String::new();
                while stream.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let _ = write!(
                    stream.get_mut(),
                    "HTTP/1.1 307 Temporary Redirect\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = stream.get_mut().flush();
            }
        });
        let dir = tempfile::tempdir()?;
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, CA_PEM)?;
        let client = HttpSettings {
            ca_cert_file: Some(ca.display().to_string()),
            ..HttpSettings::default()
        }
        .build()?;
        let err = client
            .get(&url)
            .send()
            .await
            .expect_err("downgrade refused");
        assert!(err.is_redirect(), "{err}");
        assert!(
            plain.accept().is_err(),
            "the redirect to plain http was followed"
        );
        Ok(())
    }

    #[test]
    fn a_huge_ca_bundle_is_refused_without_reading_it() {
        // /dev/zero never ends: only a bounded read returns.
        let err = read_ca_bundle(Path::new("/dev/zero")).expect_err("too large");
        assert!(err.to_string().contains("larger than"), "{err}");
        assert!(err.to_string().contains("/dev/zero"), "{err}");
    }
}
