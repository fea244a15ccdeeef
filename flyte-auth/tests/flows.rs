//! Every flow against the test kit's authorization server, and the handle's guarantees.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use flyte_auth::{
    ClientSecret, Credentials, DeviceFlow, ExternalCommand, Interaction, MemoryCache, Pkce,
    RetryPolicy,
};
use flyte_config::Secret;
use flyte_testkit::flyteidl::flyteidl::admin::ProjectListRequest;
use flyte_testkit::flyteidl::flyteidl::service::admin_service_client::AdminServiceClient;
use flyte_testkit::{AuthSettings, DeviceDecision, TestAdmin};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn client_secret(id: &str, secret: &str) -> ClientSecret {
    ClientSecret::new(id, Secret::new(secret))
}

async fn authed_admin(settings: AuthSettings) -> Result<TestAdmin, Box<dyn std::error::Error>> {
    Ok(TestAdmin::builder()
        .auth(settings.client("robot", "s3cret"))
        .start()
        .await?)
}

/// Calls ListProjects with the credentials' header, as flyte-admin-client will.
async fn list_projects(
    admin: &TestAdmin,
    creds: &Credentials,
) -> Result<usize, Box<dyn std::error::Error>> {
    let (name, value) = creds.header().await?;
    let mut req = tonic::Request::new(ProjectListRequest::default());
    req.metadata_mut().insert(
        tonic::metadata::MetadataKey::from_bytes(name.as_bytes())?,
        value.parse()?,
    );
    let mut client = AdminServiceClient::connect(admin.endpoint()).await?;
    Ok(client.list_projects(req).await?.into_inner().projects.len())
}

#[tokio::test]
async fn client_credentials_discovered_over_http_and_grpc() -> TestResult {
    let admin = authed_admin(AuthSettings::default()).await?;
    let over_http = Credentials::builder(client_secret("robot", "s3cret"), admin.endpoint())
        .http_base(admin.http_endpoint())
        .memory_cache()
        .build()?;
    assert_eq!(
        over_http.header_name().await,
        "flyte-authorization",
        "the server's metadata key"
    );
    assert_eq!(list_projects(&admin, &over_http).await?, 1);

    let channel = tonic::transport::Channel::from_shared(admin.endpoint())?
        .connect()
        .await?;
    let over_grpc = Credentials::builder(client_secret("robot", "s3cret"), admin.endpoint())
        .grpc_channel(channel)
        .memory_cache()
        .build()?;
    let meta = over_grpc.metadata().await?.ok_or("auth is on")?;
    assert_eq!(
        meta.token_endpoint,
        format!("{}/oauth2/token", admin.http_endpoint())
    );
    assert_eq!(list_projects(&admin, &over_grpc).await?, 1);
    let overridden = Credentials::builder(client_secret("robot", "s3cret"), admin.endpoint())
        .http_base(admin.http_endpoint())
        .header("Authorization")
        .memory_cache()
        .build()?;
    assert_eq!(overridden.header_name().await, "authorization");
    assert_eq!(
        list_projects(&admin, &overridden).await?,
        1,
        "either header is accepted"
    );
    Ok(())
}

#[tokio::test]
async fn bad_client_secrets_fail_at_once_with_the_providers_words() -> TestResult {
    let admin = authed_admin(AuthSettings::default()).await?;
    let creds = Credentials::builder(client_secret("robot", "wrong"), admin.endpoint())
        .http_base(admin.http_endpoint())
        .memory_cache()
        .build()?;
    let err = creds.token().await.expect_err("bad secret");
    assert!(err.is_invalid_client(), "{err}");
    assert!(!err.is_transient());
    assert!(err.to_string().contains("invalid_client"), "{err}");
    assert!(
        err.to_string().contains("client authentication failed"),
        "the provider's description: {err}"
    );
    assert!(
        !err.to_string().contains("wrong") && !format!("{err:?}").contains("wrong"),
        "no secret in errors"
    );
    assert_eq!(
        admin.token_requests("client_credentials"),
        1,
        "no retries for a refusal"
    );
    Ok(())
}

#[tokio::test]
async fn a_hundred_callers_cause_one_token_request() -> TestResult {
    let admin = authed_admin(AuthSettings::default()).await?;
    let creds = Credentials::builder(client_secret("robot", "s3cret"), admin.endpoint())
        .http_base(admin.http_endpoint())
        .memory_cache()
        .build()?;
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let c = creds.clone();
        tasks.push(tokio::spawn(async move {
            c.token().await.map(|t| t.secret().to_owned())
        }));
    }
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await??);
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "everyone got the same token");
    assert_eq!(admin.token_requests("client_credentials"), 1);
    assert_eq!(creds.acquisitions(), 1);

    // After UNAUTHENTICATED: invalidate, and again one request for everyone.
    let old = creds.token().await?;
    admin.expire_tokens();
    creds.invalidate(&old);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let c = creds.clone();
        tasks.push(tokio::spawn(async move {
            c.token().await.map(|t| t.secret().to_owned())
        }));
    }
    for t in tasks {
        assert_ne!(t.await??, old.secret());
    }
    assert_eq!(admin.token_requests("client_credentials"), 2);
    // Invalidating a token that was already replaced changes nothing.
    creds.invalidate(&old);
    creds.token().await?;
    assert_eq!(admin.token_requests("client_credentials"), 2);
    Ok(())
}

/// Completes PKCE logins the way a browser would: follows the authorize redirect to the callback.
#[derive(Debug, Default)]
struct Browser {
    urls: Mutex<Vec<String>>,
    /// Replace the callback's query with this (to simulate errors and forgeries); `{state}` in
    /// it stands for the login's own state.
    tamper: Option<String>,
    /// Before the callback: open a connection to it that never sends a request (a browser's
    /// preconnect), and send it a request of another page (`error=` without this login's state).
    interfere: bool,
    /// Before the callback: send one with a code and another state (any web page can, with an
    /// `<img>` pointing at the callback), and keep the status it was answered.
    forged_first: Option<Arc<Mutex<Option<u16>>>>,
}

impl Interaction for Browser {
    fn authorize(&self, url: &str) {
        if let Ok(mut u) = self.urls.lock() {
            u.push(url.to_owned());
        }
        let url = url.to_owned();
        let tamper = self.tamper.clone();
        let interfere = self.interfere;
        let forged_first = self.forged_first.clone();
        tokio::spawn(async move {
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
            let (base, query) = location.split_once('?').unwrap_or((&location, ""));
            let state = form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let location = match tamper {
                Some(q) => format!("{base}?{}", q.replace("{state}", &state)),
                None => location.clone(),
            };
            let _preconnect = if interfere {
                let authority = base.trim_start_matches("http://");
                let authority = authority.split('/').next().unwrap_or_default();
                let stalled = tokio::net::TcpStream::connect(authority).await.ok();
                let page = http
                    .get(format!(
                        "{base}?error=access_denied&error_description=from+a+local+page"
                    ))
                    .send()
                    .await?;
                assert_eq!(page.status(), 400, "answered, and ignored");
                stalled
            } else {
                None
            };
            if let Some(answered) = forged_first {
                let forged = http
                    .get(format!("{base}?code=forged-code&state=forged"))
                    .send()
                    .await?;
                if let Ok(mut a) = answered.lock() {
                    *a = Some(forged.status().as_u16());
                }
            }
            http.get(location).send().await?;
            Ok::<_, reqwest::Error>(())
        });
    }

    fn device_code(&self, _: &str, _: &str, _: Option<&str>) {}
}

/// A callback listener bound ahead of time, and the redirect URI that leads to it.
fn callback_listener() -> Result<(std::net::TcpListener, String), Box<dyn std::error::Error>> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let uri = format!("http://{}/callback", listener.local_addr()?);
    Ok((listener, uri))
}

/// A test kit whose redirect URI leads to a pre-bound listener, and PKCE credentials that log
/// in there through `browser`.
async fn pkce_login(
    browser: Browser,
) -> Result<(TestAdmin, Credentials), Box<dyn std::error::Error>> {
    let (listener, redirect_uri) = callback_listener()?;
    let admin = authed_admin(AuthSettings::default().redirect_uri(redirect_uri)).await?;
    let creds = Credentials::builder(
        Pkce::new(Duration::from_secs(30)).listener(listener),
        admin.endpoint(),
    )
    .http_base(admin.http_endpoint())
    .interaction(Arc::new(browser))
    .memory_cache()
    .build()?;
    Ok((admin, creds))
}

#[tokio::test]
async fn pkce_login_then_refresh_without_a_second_login() -> TestResult {
    let (listener, redirect_uri) = callback_listener()?;
    let admin = authed_admin(
        AuthSettings::default()
            .redirect_uri(redirect_uri)
            .token_lifetime(Duration::from_secs(3600)),
    )
    .await?;
    // The handle reads expiry against this clock, moved forward below instead of waiting.
    let start = std::time::SystemTime::now();
    let clock = Arc::new(Mutex::new(start));
    let browser = Arc::new(Browser::default());
    let creds = Credentials::builder(
        Pkce::new(Duration::from_secs(30)).listener(listener),
        admin.endpoint(),
    )
    .http_base(admin.http_endpoint())
    .interaction(browser.clone())
    .memory_cache()
    .refresh_window(Duration::from_secs(120))
    .clock({
        let clock = Arc::clone(&clock);
        move || clock.lock().map_or(start, |t| *t)
    })
    .build()?;
    assert_eq!(list_projects(&admin, &creds).await?, 1);
    let url = browser
        .urls
        .lock()
        .map_err(|_| "poisoned")?
        .first()
        .cloned()
        .ok_or("no URL shown")?;
    for part in [
        "code_challenge_method=S256",
        "client_id=flytectl",
        "scope=all%20offline",
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A",
        "state=",
        "nonce=",
        "code_challenge=",
    ] {
        assert!(url.contains(part), "{part} in {url}");
    }
    let first = creds.token().await?;
    assert!(first.has_refresh_token());
    assert_eq!(admin.token_requests("refresh_token"), 0, "still fresh");
    // 100 s before expiry the token is inside the 120 s window, so the next call refreshes
    // instead of logging in.
    *clock.lock().map_err(|_| "poisoned")? = start + Duration::from_secs(3500);
    let second = creds.token().await?;
    assert_ne!(first.secret(), second.secret());
    assert_eq!(admin.token_requests("authorization_code"), 1);
    assert_eq!(admin.token_requests("refresh_token"), 1);
    assert_eq!(
        browser.urls.lock().map_err(|_| "poisoned")?.len(),
        1,
        "one interactive login"
    );
    Ok(())
}

#[tokio::test]
async fn pkce_refuses_error_callbacks_and_forged_state() -> TestResult {
    let tamper = "error=access_denied&error_description=user+said+no&state={state}";
    let (_admin, creds) = pkce_login(Browser {
        tamper: Some(tamper.to_owned()),
        ..Browser::default()
    })
    .await?;
    let err = creds.token().await.expect_err(tamper);
    assert!(err.is_access_denied(), "{err}");
    assert!(err.to_string().contains("user said no"), "{err}");
    // A forged callback (a code with another state) is refused and does not end the login:
    // any web page could otherwise abort it.
    let answered = Arc::new(Mutex::new(None));
    let (admin, creds) = pkce_login(Browser {
        forged_first: Some(Arc::clone(&answered)),
        ..Browser::default()
    })
    .await?;
    let token = creds.token().await?;
    assert!(!token.secret().is_empty());
    assert_eq!(*answered.lock().map_err(|_| "poisoned")?, Some(400));
    assert_eq!(admin.token_requests("authorization_code"), 1);
    Ok(())
}

#[tokio::test]
async fn pkce_logs_in_despite_a_stalled_preconnect_and_a_stray_error_callback() -> TestResult {
    let (admin, creds) = pkce_login(Browser {
        interfere: true,
        ..Browser::default()
    })
    .await?;
    let login = tokio::time::timeout(Duration::from_secs(20), creds.token()).await;
    let token = login.map_err(|_| "the login hung on the stalled connection")??;
    assert!(!token.secret().is_empty());
    assert_eq!(admin.token_requests("authorization_code"), 1);
    Ok(())
}

#[tokio::test]
async fn pkce_refuses_a_redirect_uri_off_this_machine() -> TestResult {
    let admin =
        authed_admin(AuthSettings::default().redirect_uri("http://0.0.0.0:53593/callback")).await?;
    let creds = Credentials::builder(Pkce::new(Duration::from_secs(1)), admin.endpoint())
        .http_base(admin.http_endpoint())
        .interaction(Arc::new(Browser::default()))
        .memory_cache()
        .build()?;
    let err = creds.token().await.expect_err("not loopback");
    assert!(err.is_config(), "{err}");
    assert!(err.to_string().contains("0.0.0.0"), "{err}");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn pkce_with_a_busy_port_or_no_login_is_a_clear_error() -> TestResult {
    let busy = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = busy.local_addr()?.port();
    let admin = authed_admin(
        AuthSettings::default().redirect_uri(format!("http://127.0.0.1:{port}/callback")),
    )
    .await?;
    #[derive(Debug)]
    struct Nobody;
    impl Interaction for Nobody {
        fn authorize(&self, _: &str) {}
        fn device_code(&self, _: &str, _: &str, _: Option<&str>) {}
    }
    let login = |pkce: Pkce| {
        Credentials::builder(pkce, admin.endpoint())
            .http_base(admin.http_endpoint())
            .interaction(Arc::new(Nobody))
            .memory_cache()
            .build()
    };
    let creds = login(Pkce::new(Duration::from_millis(300)))?;
    let err = creds.token().await.expect_err("busy");
    assert!(err.is_config(), "{err}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    // Handed the listener that holds the port, the login waits on it, and gives up in time.
    let creds = login(Pkce::new(Duration::from_millis(300)).listener(busy))?;
    let start = tokio::time::Instant::now();
    let err = creds.token().await.expect_err("nobody logs in");
    assert!(err.is_timeout(), "{err}");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited <= Duration::from_millis(301),
        "the login timeout, on paused time: {waited:?}"
    );
    Ok(())
}

/// Approves (or denies) device logins as soon as the code is shown.
#[derive(Debug)]
struct Approver {
    admin_decisions: Arc<Mutex<Vec<String>>>,
}

impl Interaction for Approver {
    fn authorize(&self, _: &str) {}
    fn device_code(&self, _: &str, user_code: &str, _: Option<&str>) {
        if let Ok(mut codes) = self.admin_decisions.lock() {
            codes.push(user_code.to_owned());
        }
    }
}

async fn device_login(
    decision: DeviceDecision,
    timeout: Duration,
) -> Result<(TestAdmin, flyte_auth::Result<flyte_auth::AccessToken>), Box<dyn std::error::Error>> {
    let mut settings = AuthSettings::default();
    settings.device_interval = 0;
    let admin = Arc::new(authed_admin(settings).await?);
    let codes = Arc::new(Mutex::new(Vec::new()));
    let creds = Credentials::builder(
        DeviceFlow::new(timeout).poll_interval(Duration::from_millis(10)),
        admin.endpoint(),
    )
    .http_base(admin.http_endpoint())
    .interaction(Arc::new(Approver {
        admin_decisions: codes.clone(),
    }))
    .memory_cache()
    .build()?;
    let decider = {
        let admin = Arc::clone(&admin);
        tokio::spawn(async move {
            for _ in 0..10_000 {
                let code = codes.lock().ok().and_then(|c| c.first().cloned());
                if let Some(code) = code {
                    admin.decide_device_login(&code, decision);
                    return;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let result = creds.token().await;
    decider.await?;
    let admin = Arc::try_unwrap(admin).map_err(|_| "admin still shared")?;
    Ok((admin, result))
}

#[tokio::test]
async fn device_flow_outcomes() -> TestResult {
    let (admin, ok) = device_login(DeviceDecision::Approve, Duration::from_secs(30)).await?;
    assert!(ok.is_ok(), "{ok:?}");
    assert!(admin.token_requests("urn:ietf:params:oauth:grant-type:device_code") >= 1);
    let (_, denied) = device_login(DeviceDecision::Deny, Duration::from_secs(30)).await?;
    assert!(
        denied.as_ref().is_err_and(|e| e.is_access_denied()),
        "{denied:?}"
    );
    let (_, expired) = device_login(DeviceDecision::Expire, Duration::from_secs(30)).await?;
    let err = expired.expect_err("expired");
    assert_eq!(err.kind(), flyte_auth::Kind::Expired, "{err}");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn device_flow_honours_slow_down_and_the_timeout() -> TestResult {
    // slow_down adds five seconds to the interval, then the login goes on.
    let (_, slowed) = device_login(DeviceDecision::SlowDown, Duration::from_millis(2500)).await?;
    let err = slowed.expect_err("the added 5s exceed the 2.5s timeout");
    assert!(err.is_timeout(), "{err}");
    Ok(())
}

#[tokio::test]
async fn external_command_tokens_and_failures() -> TestResult {
    let admin = TestAdmin::start().await?;
    let creds = Credentials::builder(
        ExternalCommand::new(["sh", "-c", "echo '  tok-from-cmd  '"]),
        admin.endpoint(),
    )
    .build()?;
    let t = creds.token().await?;
    assert_eq!(t.secret(), "tok-from-cmd");
    assert_eq!(
        creds.header_name().await,
        "authorization",
        "auth off: the default header"
    );
    let failing = Credentials::builder(
        ExternalCommand::new(["sh", "-c", "echo 'no session' >&2; exit 3"]),
        admin.endpoint(),
    )
    .build()?;
    let err = failing.token().await.expect_err("fails");
    assert!(err.to_string().contains("no session"), "{err}");
    Ok(())
}

#[tokio::test]
async fn auth_off_means_no_token_is_needed() -> TestResult {
    let admin = TestAdmin::start().await?;
    let creds = Credentials::builder(client_secret("robot", "s3cret"), admin.endpoint())
        .http_base(admin.http_endpoint())
        .memory_cache()
        .build()?;
    assert_eq!(creds.metadata().await?, None);
    let err = creds.token().await.expect_err("disabled");
    assert!(err.is_disabled(), "{err}");
    Ok(())
}

#[tokio::test]
async fn tokens_are_reused_from_the_file_cache_across_handles() -> TestResult {
    let admin = authed_admin(AuthSettings::default()).await?;
    let dir = tempfile::tempdir()?;
    let cache: Arc<dyn flyte_auth::TokenCache> = Arc::new(flyte_auth::FileCache::new(dir.path()));
    let make = || {
        Credentials::builder(client_secret("robot", "s3cret"), admin.endpoint())
            .http_base(admin.http_endpoint())
            .cache(Arc::clone(&cache))
            .build()
    };
    let first = make()?;
    let t1 = first.token().await?;
    let second = make()?;
    let t2 = second.token().await?;
    assert_eq!(t1.secret(), t2.secret());
    assert_eq!(second.acquisitions(), 0, "from the cache");
    assert_eq!(admin.token_requests("client_credentials"), 1);
    let other_endpoint =
        Credentials::builder(client_secret("robot", "s3cret"), "dns:///elsewhere:443")
            .http_base(admin.http_endpoint())
            .cache(Arc::clone(&cache))
            .build()?;
    other_endpoint.token().await?;
    assert_eq!(
        other_endpoint.acquisitions(),
        1,
        "never shared with another endpoint"
    );
    let _ = MemoryCache::new();
    Ok(())
}

#[tokio::test]
async fn from_config_reads_the_admin_section() -> TestResult {
    let admin = authed_admin(AuthSettings::default()).await?;
    let text = format!(
        "admin:\n  endpoint: {}\n  insecure: true\n  authType: ClientSecret\n  clientId: robot\n  clientSecretEnvVar: FLYTE_RS_TEST_SECRET_THAT_IS_UNSET\n",
        admin.endpoint().replace("http://", "dns:///")
    );
    let config = flyte_config::Config::from_yaml_str(&text)?;
    let err = Credentials::from_config(&config).expect_err("unset env var");
    assert!(err.is_config(), "{err}");
    assert!(
        err.to_string()
            .contains("FLYTE_RS_TEST_SECRET_THAT_IS_UNSET"),
        "{err}"
    );

    let dir = tempfile::tempdir()?;
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "s3cret\n")?;
    let text = format!(
        "admin:\n  endpoint: {}\n  insecure: true\n  authType: ClientSecret\n  clientId: robot\n  clientSecretLocation: {}\n  maxRetries: 2\n",
        admin.endpoint().replace("http://", "dns:///"),
        secret_file.display()
    );
    let config = flyte_config::Config::from_yaml_str(&text)?;
    let creds = flyte_auth::CredentialsBuilder::from_config(&config)?
        .http_base(admin.http_endpoint())
        .memory_cache()
        .retry(RetryPolicy::none())
        .build()?;
    assert_eq!(list_projects(&admin, &creds).await?, 1);
    let shown = format!("{creds:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    Ok(())
}
