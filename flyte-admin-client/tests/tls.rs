//! TLS against the test kit serving its test certificate: `caCertFilePath` replaces the system
//! roots, an unknown CA is refused with a clear error, and `insecureSkipVerify` connects.

use flyte_admin_client::AdminClient;
use flyte_testkit::{tls, TestAdmin};

type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn tls_admin() -> std::io::Result<TestAdmin> {
    TestAdmin::builder().tls_test_certificate().start().await
}

fn host(admin: &TestAdmin) -> String {
    format!("localhost:{}", admin.addr().port())
}

#[tokio::test]
async fn the_ca_from_ca_cert_file_is_trusted() -> TestResult {
    let admin = tls_admin().await?;
    let dir = tempfile::tempdir()?;
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, tls::CA_PEM)?;
    let config = flyte_config::Config::from_yaml_str(&format!(
        "admin:\n  endpoint: dns:///{}\n  insecure: false\n  caCertFilePath: {}\n",
        host(&admin),
        ca.display()
    ))?;
    let c = AdminClient::from_config(&config)?;
    assert!(c.version().await?.starts_with("flyte-testkit"));
    Ok(())
}

#[tokio::test]
async fn a_ca_bundle_is_read_bounded() -> TestResult {
    // An endless file: an unbounded read would never return.
    let config = flyte_config::Config::from_yaml_str(
        "admin:\n  endpoint: dns:///localhost:1\n  insecure: false\n  caCertFilePath: /dev/zero\n",
    )?;
    let err = AdminClient::from_config(&config).expect_err("too large");
    let text = err.to_string();
    assert!(
        text.contains("/dev/zero") && text.contains("larger than"),
        "{text}"
    );
    Ok(())
}

#[tokio::test]
async fn an_unknown_ca_is_refused() -> TestResult {
    let admin = tls_admin().await?;
    let c = AdminClient::builder().endpoint(host(&admin)).build()?;
    let err = c
        .version()
        .await
        .expect_err("the test CA is not a system root");
    let text = err.to_string();
    assert!(text.contains(&host(&admin)), "names the endpoint: {text}");
    assert!(
        text.contains("invalid peer certificate: UnknownIssuer"),
        "says why: {text}"
    );
    assert!(
        !err.is_transient(),
        "a refused certificate is not worth retrying"
    );
    Ok(())
}

#[tokio::test]
async fn insecure_skip_verify_connects_without_the_ca() -> TestResult {
    let admin = tls_admin().await?;
    let config = flyte_config::Config::from_yaml_str(&format!(
        "admin:\n  endpoint: dns:///{}\n  insecureSkipVerify: true\n",
        host(&admin)
    ))?;
    let c = AdminClient::from_config(&config)?;
    assert!(c.version().await?.starts_with("flyte-testkit"));
    // Also by IP, where the certificate's name would not matter either.
    let c = AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure_skip_verify(true)
        .build()?;
    assert!(c.version().await?.starts_with("flyte-testkit"));
    Ok(())
}

#[tokio::test]
async fn plaintext_against_tls_fails() -> TestResult {
    let admin = tls_admin().await?;
    let c = AdminClient::builder()
        .endpoint(host(&admin))
        .insecure(true)
        .build()?;
    assert!(c.version().await.is_err());
    Ok(())
}

/// Forwards every connection from `[::1]:0` to `target`: the test kit (and its TLS) seen at an
/// IPv6 address. `None` on a machine without IPv6 loopback.
async fn ipv6_front(target: std::net::SocketAddr) -> Option<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind("[::1]:0").await.ok()?;
    let addr = listener.local_addr().ok()?;
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    Some(addr)
}

#[tokio::test]
async fn insecure_skip_verify_connects_to_an_ipv6_endpoint() -> TestResult {
    let admin = tls_admin().await?;
    let addr = ipv6_front(admin.addr())
        .await
        .ok_or("this test needs IPv6 loopback ([::1])")?;
    assert_eq!(addr.to_string(), format!("[::1]:{}", addr.port()));
    let config = flyte_config::Config::from_yaml_str(&format!(
        "admin:\n  endpoint: dns:///{addr}\n  insecureSkipVerify: true\n"
    ))?;
    let c = AdminClient::from_config(&config)?;
    assert!(c.version().await?.starts_with("flyte-testkit"));
    Ok(())
}
