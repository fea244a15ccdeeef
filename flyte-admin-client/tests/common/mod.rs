//! Helpers the integration tests share.
// Each test binary uses some of these.
#![allow(dead_code)]

use std::time::Duration;

use flyte_admin_client::{AdminClient, RetryPolicy};
use flyte_testkit::TestAdmin;

pub(crate) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A package made by pyflyte, from `tests/fixtures/pyflyte`.
pub(crate) fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pyflyte")
        .join(name)
}

/// A plaintext client for the test kit, retrying fast.
pub(crate) fn client(admin: &TestAdmin) -> Result<AdminClient, flyte_admin_client::Error> {
    AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
}

/// A client that logs in as `robot` with `secret` (client credentials), the secret in a file
/// under `dir` as flytectl's `clientSecretLocation`. Discovery goes over gRPC: the test kit
/// serves OAuth2 on its own HTTP port, where real FlyteAdmin shares one port.
pub(crate) async fn robot_client(
    admin: &TestAdmin,
    secret: &str,
    dir: &std::path::Path,
) -> Result<AdminClient, Box<dyn std::error::Error>> {
    let path = dir.join("secret");
    std::fs::write(&path, secret)?;
    let config = flyte_config::Config::from_yaml_str(&format!(
        "admin:\n  endpoint: dns:///{}\n  insecure: true\n  authType: ClientSecret\n  clientId: robot\n  clientSecretLocation: {}\n",
        admin.addr(),
        path.display()
    ))?;
    let channel = tonic::transport::Channel::from_shared(admin.endpoint())?
        .connect()
        .await?;
    let creds = flyte_auth::CredentialsBuilder::from_config(&config)?
        .grpc_channel(channel)
        .memory_cache()
        .build()?;
    Ok(AdminClient::builder()
        .config(&config)
        .credentials(creds)
        .build()?)
}
