//! `admin.insecureSkipVerify`: TLS that accepts any server certificate, for clusters behind a
//! self-signed certificate while you set up `caCertFilePath`. The handshake is still checked
//! (the server must hold the key of the certificate it shows), but nothing proves who it is.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{self, ClientConfig, DigitallySignedStruct, SignatureScheme};
use tonic::codegen::http::Uri;

#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The host to resolve or parse: a URI writes an IPv6 address in brackets (`[::1]`), which no
/// resolver takes.
fn unbracketed(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Opens TCP to the URI's authority and speaks TLS (ALPN h2) with `server_name`, accepting any
/// certificate. A tower service, as tonic's `connect_with_connector` wants.
#[derive(Clone)]
pub(crate) struct SkipVerifyConnector {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
}

impl SkipVerifyConnector {
    pub(crate) fn new(host: &str) -> Result<Self, String> {
        let provider = Arc::new(crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let server_name = ServerName::try_from(host.to_owned())
            .map_err(|e| format!("{host:?} is not a TLS server name: {e}"))?;
        Ok(SkipVerifyConnector {
            config: Arc::new(config),
            server_name,
        })
    }
}

impl tower::Service<Uri> for SkipVerifyConnector {
    type Response = TlsStream<TcpStream>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = std::io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(&self.config));
        let name = self.server_name.clone();
        Box::pin(async move {
            let authority = uri.authority().ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("no host in {uri}"),
                )
            })?;
            let port = authority.port_u16().unwrap_or(443);
            let tcp = TcpStream::connect((unbracketed(authority.host()), port)).await?;
            tcp.set_nodelay(true)?;
            connector.connect(name, tcp).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_hosts_lose_their_brackets_and_others_stay() {
        let uri: Uri = "http://[::1]:8089/x".parse().unwrap_or_default();
        assert_eq!(uri.host(), Some("[::1]"), "what the URI gives");
        assert_eq!(unbracketed("[::1]"), "::1");
        assert_eq!(unbracketed("[fe80::1%25eth0]"), "fe80::1%25eth0");
        assert_eq!(unbracketed("flyte.example.com"), "flyte.example.com");
        assert_eq!(unbracketed("127.0.0.1"), "127.0.0.1");
    }
}
