//! Logging in through the admin client built from a config, against a test kit that serves
//! gRPC and OAuth2 on different ports (as FlyteAdmin behind a gRPC-only port-forward): the
//! authorization server is discovered over the client's own gRPC channel, every flow works,
//! a login is bounded by its own timeout rather than `perRetryTimeout`, and a discovery
//! failure is an authentication error naming both places asked.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::TestResult;
use flyte_admin_client::AdminClient;
use flyte_auth::{CredentialsBuilder, Interaction};
use flyte_testkit::{AuthSettings, DeviceDecision, Fault, TestAdmin};
use futures::TryStreamExt as _;

/// A test kit asking for logins, its OAuth2 server on its HTTP port (not the gRPC one).
async fn authed(settings: AuthSettings) -> Result<TestAdmin, Box<dyn std::error::Error>> {
    let admin = TestAdmin::builder()
        .auth(settings.client("robot", "s3cret"))
        .start()
        .await?;
    assert_ne!(
        admin.http_endpoint(),
        admin.endpoint(),
        "OAuth2 is served apart from gRPC"
    );
    Ok(admin)
}

fn config(admin: &TestAdmin, rest: &str) -> Result<flyte_config::Config, flyte_config::Error> {
    flyte_config::Config::from_yaml_str(&format!(
        "admin:\n  endpoint: dns:///{}\n  insecure: true\n{rest}",
        admin.addr()
    ))
}

/// `projects list`: the call a user tries first.
async fn projects(c: &AdminClient) -> Result<usize, flyte_admin_client::Error> {
    let listed: Vec<_> = c.list_projects(&Default::default()).try_collect().await?;
    Ok(listed.len())
}

#[tokio::test]
async fn client_secret_from_a_config_without_token_url() -> TestResult {
    let admin = authed(AuthSettings::default()).await?;
    let dir = tempfile::tempdir()?;
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cret")?;
    let config = config(
        &admin,
        &format!(
            "  authType: ClientSecret\n  clientId: robot\n  clientSecretLocation: {}\n",
            secret.display()
        ),
    )?;
    let c = AdminClient::builder()
        .config(&config)
        .login(CredentialsBuilder::from_config(&config)?.memory_cache())
        .build()?;
    assert_eq!(projects(&c).await?, 1);
    assert_eq!(admin.token_requests("client_credentials"), 1);
    assert_eq!(admin.calls("GetOAuth2Metadata"), 1, "discovered over gRPC");
    Ok(())
}

#[tokio::test]
async fn external_command_from_a_config() -> TestResult {
    let admin = authed(AuthSettings::default()).await?;
    // The command prints a token the test kit issued (as a company's own login tool would).
    let issuer = flyte_auth::Credentials::builder(
        flyte_auth::ClientSecret::new("robot", flyte_config::Secret::new("s3cret")),
        admin.endpoint(),
    )
    .http_base(admin.http_endpoint())
    .memory_cache()
    .build()?;
    let token = issuer.token().await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("token");
    std::fs::write(&file, token.secret())?;
    let config = config(
        &admin,
        &format!(
            "  authType: ExternalCommand\n  command: [cat, {}]\n",
            file.display()
        ),
    )?;
    let c = AdminClient::from_config(&config)?;
    assert_eq!(projects(&c).await?, 1);
    assert_eq!(
        admin.calls("GetOAuth2Metadata"),
        1,
        "the header name is discovered over gRPC"
    );
    Ok(())
}

/// A person at a browser, `delay` after the URL is shown: follows the authorize redirect to the
/// callback.
#[derive(Debug, Default)]
struct Browser {
    delay: Duration,
    urls: Mutex<Vec<String>>,
}

impl Interaction for Browser {
    fn authorize(&self, url: &str) {
        if let Ok(mut u) = self.urls.lock() {
            u.push(url.to_owned());
        }
        let (url, delay) = (url.to_owned(), self.delay);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?;
            let resp = http.get(&url).send().await?;
            let location = resp
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            http.get(location).send().await?;
            Ok::<_, reqwest::Error>(())
        });
    }

    fn device_code(&self, _: &str, _: &str, _: Option<&str>) {}
}

/// A PKCE login whose person takes `delay`, through a client whose calls get one attempt of
/// 15 s: the login must not be inside it.
async fn pkce(delay: Duration) -> TestResult {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let redirect = format!("http://{}/callback", listener.local_addr()?);
    let admin = authed(AuthSettings::default().redirect_uri(redirect)).await?;
    let config = config(
        &admin,
        "  authType: Pkce\n  perRetryTimeout: 15s\n  maxRetries: 0\n  pkceConfig:\n    timeout: 2m\n",
    )?;
    let browser = Arc::new(Browser {
        delay,
        ..Browser::default()
    });
    let login = CredentialsBuilder::from_config(&config)?
        .callback_listener(listener)
        .interaction(browser.clone())
        .memory_cache();
    let c = AdminClient::builder()
        .config(&config)
        .login(login)
        .build()?;
    // Several calls wait on the one login.
    let (a, b) = tokio::join!(projects(&c), c.version());
    assert_eq!(a?, 1);
    assert!(b?.starts_with("flyte-testkit"));
    assert_eq!(
        browser.urls.lock().map_err(|_| "poisoned")?.len(),
        1,
        "one browser tab"
    );
    assert_eq!(admin.token_requests("authorization_code"), 1);
    Ok(())
}

#[tokio::test]
async fn pkce_from_a_config() -> TestResult {
    pkce(Duration::ZERO).await
}

#[tokio::test(start_paused = true)]
async fn a_pkce_login_of_20s_is_not_cut_by_the_15s_per_retry_timeout() -> TestResult {
    pkce(Duration::from_secs(20)).await
}

/// Shows device codes: the test approves the first one `delay` later.
#[derive(Debug, Default)]
struct Codes(Mutex<Vec<String>>);

impl Interaction for Codes {
    fn authorize(&self, _: &str) {}
    fn device_code(&self, _: &str, user_code: &str, _: Option<&str>) {
        if let Ok(mut c) = self.0.lock() {
            c.push(user_code.to_owned());
        }
    }
}

async fn device(delay: Duration) -> TestResult {
    let admin = Arc::new(authed(AuthSettings::default()).await?);
    let config = config(
        &admin,
        "  authType: DeviceFlow\n  perRetryTimeout: 15s\n  maxRetries: 0\n  deviceFlowConfig:\n    timeout: 5m\n",
    )?;
    let codes = Arc::new(Codes::default());
    let login = CredentialsBuilder::from_config(&config)?
        .interaction(codes.clone())
        .memory_cache();
    let c = AdminClient::builder()
        .config(&config)
        .login(login)
        .build()?;
    let approver = {
        let (admin, codes) = (Arc::clone(&admin), Arc::clone(&codes));
        tokio::spawn(async move {
            loop {
                let code = codes.0.lock().ok().and_then(|c| c.first().cloned());
                if let Some(code) = code {
                    tokio::time::sleep(delay).await;
                    return admin.decide_device_login(&code, DeviceDecision::Approve);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    assert_eq!(projects(&c).await?, 1);
    assert!(approver.await?, "the code was pending when approved");
    assert_eq!(
        codes.0.lock().map_err(|_| "poisoned")?.len(),
        1,
        "one device authorization"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn device_flow_from_a_config() -> TestResult {
    device(Duration::ZERO).await
}

#[tokio::test(start_paused = true)]
async fn a_device_login_approved_after_40s_is_not_cut_by_the_15s_per_retry_timeout() -> TestResult {
    device(Duration::from_secs(40)).await
}

#[tokio::test]
async fn a_discovery_failure_is_unauthenticated_and_names_both_attempts() -> TestResult {
    let admin = authed(AuthSettings::default()).await?;
    admin.fail_next(
        "GetOAuth2Metadata",
        Fault::Status(tonic::Code::Internal, "metadata broke".into()),
        10,
    );
    let config = config(&admin, "  authType: Pkce\n")?;
    let c = AdminClient::builder()
        .config(&config)
        .login(CredentialsBuilder::from_config(&config)?.memory_cache())
        .build()?;
    let err = projects(&c).await.expect_err("nothing to discover");
    assert!(err.is_unauthenticated(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("AuthMetadataService") && text.contains("metadata broke"),
        "the gRPC attempt: {text}"
    );
    assert!(
        text.contains(&format!(
            "http://{}/.well-known/oauth-authorization-server",
            admin.addr()
        )),
        "the HTTP attempt: {text}"
    );
    Ok(())
}
