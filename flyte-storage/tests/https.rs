//! HTTPS to every cloud store with rustls on ring (no aws-lc-rs in the build): S3, GCS and Azure
//! clients reach an HTTPS server on 127.0.0.1 whose certificate the test CA signed, trusted
//! through [`CloudOptions::ca_certificates_pem`], and refuse it when the CA is not trusted.
#![cfg(all(feature = "aws", feature = "gcp", feature = "azure"))]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use flyte_storage::{CloudOptions, FlyteStorage, RetryPolicy, StorageBuilder};
use flyte_testkit::tls::{CA_PEM, SERVER_CERT_PEM, SERVER_KEY_PEM};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Azurite's well-known development account key, published by Microsoft.
const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A service account key that tells object_store to send no OAuth token (emulator mode).
const GCS_KEY: &str = r#"{"disable_oauth": true, "client_email": "ci@example.iam", "private_key": "unused", "private_key_id": "k1"}"#;

/// An object store over HTTPS that keeps one object: every PUT stores its body, every GET
/// returns the last one. It records the requests it answered as `METHOD path`.
struct HttpsStore {
    addr: SocketAddr,
    answered: Arc<Mutex<Vec<String>>>,
}

impl HttpsStore {
    /// Serves on `listener` (bound by the caller) with the test CA's server certificate, on
    /// threads of its own; its TLS uses ring, named here rather than installed as the process
    /// default, so that the clients' provider is flyte-storage's doing.
    fn start(listener: TcpListener) -> Result<HttpsStore, Box<dyn std::error::Error>> {
        let certs = CertificateDer::pem_slice_iter(SERVER_CERT_PEM.as_bytes())
            .collect::<Result<Vec<_>, _>>()?;
        let key = PrivateKeyDer::from_pem_slice(SERVER_KEY_PEM.as_bytes())?;
        let config = Arc::new(
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()?
                .with_no_client_auth()
                .with_single_cert(certs, key)?,
        );
        let addr = listener.local_addr()?;
        let answered = Arc::new(Mutex::new(Vec::new()));
        let object = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&answered);
        std::thread::spawn(move || {
            for tcp in listener.incoming().map_while(Result::ok) {
                let Ok(conn) = ServerConnection::new(Arc::clone(&config)) else {
                    continue;
                };
                let (log, object) = (Arc::clone(&log), Arc::clone(&object));
                std::thread::spawn(move || serve(StreamOwned::new(conn, tcp), &log, &object));
            }
        });
        Ok(HttpsStore { addr, answered })
    }

    fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    fn answered(&self) -> Vec<String> {
        self.answered.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

/// Answers the requests of one connection until it closes or fails (a refused handshake).
fn serve(
    tls: StreamOwned<ServerConnection, TcpStream>,
    log: &Mutex<Vec<String>>,
    object: &Mutex<Vec<u8>>,
) {
    let mut reader = BufReader::new(tls);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or_default().to_owned(),
            parts.next().unwrap_or_default().to_owned(),
        );
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let Ok(mut object) = object.lock() else {
            return;
        };
        let (status, reply) = match method.as_str() {
            "PUT" => {
                *object = body;
                ("201 Created", Vec::new())
            }
            _ => ("200 OK", object.clone()),
        };
        drop(object);
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nETag: \"e1\"\r\n\
             Last-Modified: Fri, 27 Nov 2026 10:00:00 GMT\r\n\r\n",
            reply.len()
        );
        let out = reader.get_mut();
        if out.write_all(head.as_bytes()).is_err() || out.write_all(&reply).is_err() {
            return;
        }
        let _ = out.flush();
        if let Ok(mut log) = log.lock() {
            log.push(format!("{method} {path}"));
        }
    }
}

/// The three cloud stores, each pointed at `url` with `options`.
fn clouds(
    url: &str,
    options: &CloudOptions,
) -> Result<Vec<(&'static str, FlyteStorage)>, Box<dyn std::error::Error>> {
    Ok(vec![
        (
            "s3://flytedata/a/outputs.pb",
            StorageBuilder::minio(url)
                .access_keys("minio", "miniostorage")
                .cloud_options(options.clone())
                .build()?,
        ),
        (
            "gs://flytedata/a/outputs.pb",
            StorageBuilder::gcs()
                .service_account_json(GCS_KEY)
                .emulator_endpoint(url)
                .cloud_options(options.clone())
                .build()?,
        ),
        (
            "abfs://flytedata/a/outputs.pb",
            StorageBuilder::azure("devstoreaccount1")
                .azure_key(AZURITE_KEY)
                .emulator_endpoint(format!("{url}/devstoreaccount1"))
                .cloud_options(options.clone())
                .build()?,
        ),
    ])
}

#[tokio::test]
async fn every_cloud_store_speaks_https_to_a_server_the_trusted_ca_signed() -> TestResult {
    let server = HttpsStore::start(TcpListener::bind("127.0.0.1:0")?)?;
    let options = CloudOptions::new().ca_certificates_pem(CA_PEM);
    for (uri, store) in clouds(&server.url(), &options)? {
        let data = format!("over TLS to {uri}");
        store.put(uri, data.clone()).await?;
        assert_eq!(store.get(uri).await?, data, "{uri}");
    }
    let answered = server.answered();
    let methods: Vec<_> = answered
        .iter()
        .map(|a| a.split(' ').next().unwrap_or_default())
        .collect();
    assert_eq!(
        methods,
        ["PUT", "GET", "PUT", "GET", "PUT", "GET"],
        "{answered:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_server_the_trusted_cas_did_not_sign_is_refused() -> TestResult {
    let server = HttpsStore::start(TcpListener::bind("127.0.0.1:0")?)?;
    let options = CloudOptions::new().retry(RetryPolicy::none());
    for (uri, store) in clouds(&server.url(), &options)? {
        let e = store
            .put(uri, "never sent")
            .await
            .err()
            .ok_or("a server with an unknown CA was trusted")?;
        let mut chain = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            chain.push_str(&format!(" / {c}"));
            cause = c.source();
        }
        assert!(chain.contains("certificate"), "{uri}: {chain}");
    }
    assert!(server.answered().is_empty(), "{:?}", server.answered());
    Ok(())
}

#[tokio::test]
async fn ca_certificates_that_are_not_pem_are_a_config_error() -> TestResult {
    let options = CloudOptions::new().ca_certificates_pem(
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    );
    let store = StorageBuilder::minio("https://127.0.0.1:1")
        .cloud_options(options)
        .build()?;
    let e = store
        .get("s3://bkt/x")
        .await
        .err()
        .ok_or("unparseable CA certificates were accepted")?;
    assert!(
        matches!(&e, flyte_storage::Error::Config { message, .. } if message.contains("CA certificates")),
        "{e:?}"
    );
    Ok(())
}
