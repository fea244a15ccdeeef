//! The token endpoint's behaviour on the wire, with wiremock playing the identity provider.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flyte_auth::{ClientSecret, Credentials, ExternalCommand, Flow, RetryPolicy};
use flyte_config::Secret;
use wiremock::matchers::{body_string_contains, header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn flow(server: &MockServer, audience: Option<&str>) -> ClientSecret {
    let flow = ClientSecret::new("svc", Secret::new("p@ss word"))
        .scopes(["all", "offline"])
        .token_url(format!("{}/token", server.uri()));
    match audience {
        Some(a) => flow.audience(a),
        None => flow,
    }
}

/// Credentials for `flow(server, None)` with a memory cache and quick retries.
fn handle(server: &MockServer) -> Result<Credentials, flyte_auth::Error> {
    Credentials::builder(flow(server, None), "dns:///x")
        .memory_cache()
        .retry(retry())
        .build()
}

fn retry() -> RetryPolicy {
    RetryPolicy::new()
        .max_retries(2)
        .initial_backoff(Duration::from_millis(5))
}

#[tokio::test]
async fn sends_what_rfc_6749_asks() -> TestResult {
    let server = MockServer::start().await;
    // "svc:p%40ss+word" in Basic, as RFC 6749 §2.3.1 form-encodes both parts.
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("authorization", "Basic c3ZjOnAlNDBzcyt3b3Jk"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("scope=all+offline"))
        .and(body_string_contains("audience=https%3A%2F%2Fflyte"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "opaque-1", "token_type": "bearer", "expires_in": 3600
        })))
        .expect(1)
        .mount(&server)
        .await;
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let creds = Credentials::builder(flow(&server, Some("https://flyte")), "dns:///x")
        .memory_cache()
        .retry(retry())
        .clock(move || now)
        .build()?;
    let t = creds.token().await?;
    assert_eq!(t.header_value(), "Bearer opaque-1");
    assert_eq!(
        t.expires_at(),
        Some(now + Duration::from_secs(3600)),
        "expires_in is used for opaque tokens"
    );
    Ok(())
}

#[tokio::test]
async fn tokens_are_renewed_within_the_refresh_window_of_their_expiry() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "opaque", "expires_in": 3600
        })))
        .mount(&server)
        .await;
    let start = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let clock = Arc::new(Mutex::new(start));
    let now = {
        let clock = Arc::clone(&clock);
        move || clock.lock().map_or(SystemTime::UNIX_EPOCH, |t| *t)
    };
    let creds = Credentials::builder(flow(&server, None), "dns:///x")
        .memory_cache()
        .refresh_window(Duration::from_secs(60))
        .clock(now)
        .build()?;
    let set = |secs: u64| -> Result<(), Box<dyn std::error::Error>> {
        *clock.lock().map_err(|_| "poisoned")? = start + Duration::from_secs(secs);
        Ok(())
    };
    creds.token().await?;
    set(3539)?;
    creds.token().await?;
    assert_eq!(creds.acquisitions(), 1, "61 s left: still fresh");
    set(3541)?;
    creds.token().await?;
    assert_eq!(
        creds.acquisitions(),
        2,
        "59 s left: inside the window, renewed"
    );
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(2));
    Ok(())
}

#[tokio::test]
async fn transient_failures_are_retried_then_succeed() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"access_token": "t"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let creds = handle(&server)?;
    assert_eq!(creds.token().await?.secret(), "t");
    Ok(())
}

#[tokio::test]
async fn retries_give_up_as_a_transient_error() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .expect(3)
        .mount(&server)
        .await;
    let creds = handle(&server)?;
    let err = creds.token().await.expect_err("down");
    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("HTTP 500"), "{err}");
    Ok(())
}

#[tokio::test]
async fn refusals_are_not_retried() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_client", "error_description": "Client authentication failed (unknown client)"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let creds = handle(&server)?;
    let err = creds.token().await.expect_err("refused");
    assert!(err.is_invalid_client());
    assert!(
        err.to_string()
            .contains("Client authentication failed (unknown client)"),
        "{err}"
    );
    assert!(!err.to_string().contains("p@ss"), "{err}");
    Ok(())
}

#[tokio::test]
async fn proxy_command_output_goes_in_proxy_authorization() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("proxy-authorization", "Bearer iap-token"))
        .and(header_exists("authorization"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"access_token": "t"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let config = flyte_config::Config::from_yaml_str(&format!(
        "admin:\n  endpoint: dns:///x:1\n  clientId: svc\n  clientSecretEnvVar: FLYTE_RS_TEST_PROXY_SECRET\n  scopes: [all]\n  tokenUrl: {}/token\n  proxyCommand: [sh, -c, 'echo Bearer iap-token']\n",
        server.uri()
    ))?;
    let mut config = config;
    config.admin.client_secret = Secret::new("x");
    let creds = flyte_auth::CredentialsBuilder::from_config(&config)?
        .memory_cache()
        .build()?;
    assert_eq!(creds.token().await?.secret(), "t");
    Ok(())
}

#[test]
fn handles_are_cheap_shared_and_never_show_secrets() {
    fn shared<T: Clone + Send + Sync + 'static>() {}
    shared::<Credentials>();
    shared::<flyte_auth::AccessToken>();
    let flow = Flow::from(ClientSecret::new("svc", Secret::new("hunter2")));
    let shown = format!("{flow:?} {flow:#?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    let cmd = Flow::from(ExternalCommand::new(["get-token", "--password=hunter2"]));
    assert!(
        !format!("{cmd:?}").contains("hunter2"),
        "command arguments may hold secrets"
    );
}

#[test]
fn errors_keep_their_cause() -> TestResult {
    let mut config = flyte_config::Config::from_yaml_str(
        "admin:\n  endpoint: dns:///x:1\n  clientId: svc\n  caCertFilePath: /nonexistent/flyte-rs-test/ca.pem\n",
    )?;
    config.admin.client_secret = Secret::new("x");
    let err = flyte_auth::CredentialsBuilder::from_config(&config)?
        .memory_cache()
        .build()
        .expect_err("no CA bundle");
    assert!(err.is_config(), "{err}");
    assert!(err.to_string().contains("ca.pem"), "{err}");
    let cause = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .ok_or("the io::Error is the source")?;
    assert_eq!(cause.kind(), std::io::ErrorKind::NotFound);
    Ok(())
}

#[tokio::test]
async fn a_successful_answer_that_is_not_json_never_shows_its_body() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("access_token=tok-SECRET-123&token_type=bearer&expires_in=3600"),
        )
        .mount(&server)
        .await;
    let creds = handle(&server)?;
    let err = creds.token().await.expect_err("not JSON");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("tok-SECRET-123"), "{shown}");
    assert!(shown.contains("not JSON"), "{shown}");
    Ok(())
}

#[tokio::test]
async fn providers_that_leave_out_token_type_or_send_expires_in_as_text_still_work() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            // Some providers answer JSON as text/plain, with the lifetime as a string.
            ResponseTemplate::new(200).set_body_raw(
                r#"{"access_token":"opaque","expires_in":"3600"}"#,
                "text/plain",
            ),
        )
        .mount(&server)
        .await;
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let creds = Credentials::builder(flow(&server, None), "dns:///x")
        .memory_cache()
        .clock(move || now)
        .build()?;
    let t = creds.token().await?;
    assert_eq!(t.header_value(), "Bearer opaque");
    assert_eq!(t.expires_at(), Some(now + Duration::from_secs(3600)));
    Ok(())
}

#[tokio::test]
async fn an_answer_past_the_size_limit_is_refused() -> TestResult {
    let server = MockServer::start().await;
    let huge = format!(r#"{{"access_token":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(huge, "application/json"))
        .mount(&server)
        .await;
    let creds = handle(&server)?;
    let err = creds.token().await.expect_err("too large");
    assert!(err.to_string().contains("larger than"), "{err}");
    Ok(())
}

#[tokio::test]
async fn the_secret_never_goes_to_a_plain_http_endpoint_on_another_host() -> TestResult {
    // The "proxy" is wiremock: a request for http://idp.example.com would reach it, secret and all.
    let proxy = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"access_token": "t"})),
        )
        .mount(&proxy)
        .await;
    let mut config = flyte_config::Config::from_yaml_str(&format!(
        "admin:\n  endpoint: dns:///x:1\n  clientId: svc\n  scopes: [all]\n  tokenUrl: http://idp.example.com/token\n  httpProxyURL: {}\n",
        proxy.uri()
    ))?;
    config.admin.client_secret = Secret::new("hunter2");
    let creds = flyte_auth::CredentialsBuilder::from_config(&config)?
        .memory_cache()
        .retry(retry())
        .build()?;
    let err = creds.token().await.expect_err("plain http");
    assert!(err.is_config(), "{err}");
    assert!(
        err.to_string().contains("http://idp.example.com/token"),
        "{err}"
    );
    assert_eq!(
        proxy.received_requests().await.map(|r| r.len()),
        Some(0),
        "nothing was sent"
    );
    Ok(())
}

#[tokio::test]
async fn a_confidential_client_authenticates_when_it_refreshes() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "first", "expires_in": 3600, "refresh_token": "r-1"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=r-1"))
        .and(header("authorization", "Basic c3ZjOnAlNDBzcyt3b3Jk"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "second", "expires_in": 3600
        })))
        .expect(1)
        .mount(&server)
        .await;
    let start = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let clock = Arc::new(Mutex::new(start));
    let now = {
        let clock = Arc::clone(&clock);
        move || clock.lock().map_or(SystemTime::UNIX_EPOCH, |t| *t)
    };
    // Refreshing needs the discovered token endpoint: serve discovery from the same mock.
    mount_discovery(&server).await;
    let creds = Credentials::builder(flow(&server, None), "dns:///x")
        .http_base(server.uri())
        .memory_cache()
        .retry(retry())
        .clock(now)
        .build()?;
    assert_eq!(creds.token().await?.secret(), "first");
    *clock.lock().map_err(|_| "poisoned")? = start + Duration::from_secs(3590);
    assert_eq!(creds.token().await?.secret(), "second", "refreshed");
    Ok(())
}

/// FlyteAdmin's discovery documents, naming `server`'s `/token` and `/device`.
async fn mount_discovery(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/.well-known/oauth-authorization-server"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "issuer": server.uri(),
            "token_endpoint": format!("{}/token", server.uri()),
            "authorization_endpoint": format!("{}/authorize", server.uri()),
            "device_authorization_endpoint": format!("{}/device", server.uri()),
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/config/v1/flyte_client"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "client_id": "flytectl", "redirect_uri": "http://localhost:53593/callback",
            "scopes": ["all"]
        })))
        .mount(server)
        .await;
}

#[derive(Debug)]
struct Silent;

impl flyte_auth::Interaction for Silent {
    fn authorize(&self, _: &str) {}
    fn device_code(&self, _: &str, _: &str, _: Option<&str>) {}
}

#[tokio::test(start_paused = true)]
async fn huge_device_intervals_and_lifetimes_end_in_the_timeout_not_a_panic() -> TestResult {
    let server = MockServer::start().await;
    mount_discovery(&server).await;
    Mock::given(method("POST"))
        .and(path("/device"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "device_code": "dev-code", "user_code": "ABCD", "verification_uri": "https://idp/verify",
            // slow_down adds 5 s to this interval: it must not overflow.
            "interval": u64::MAX, "expires_in": "18446744073709551615"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "slow_down"
        })))
        .mount(&server)
        .await;
    let creds = Credentials::builder(
        flyte_auth::DeviceFlow::new(Duration::from_secs(10)),
        "dns:///x",
    )
    .http_base(server.uri())
    .interaction(Arc::new(Silent))
    .memory_cache()
    // No HTTP deadline: on paused time it would pass while the mock answers (wiremock serves
    // from its own thread, so this runtime sits idle and its clock jumps to the next timer),
    // hence no retry deadline and a client without connect or read timeouts.
    .retry(RetryPolicy::none())
    .http_client(reqwest::Client::new())
    .build()?;
    let err = creds.token().await.expect_err("never approved");
    assert!(err.is_timeout(), "{err}");
    Ok(())
}

#[tokio::test]
async fn a_redirecting_token_endpoint_never_gets_the_form_sent_on() -> TestResult {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(307).insert_header("location", format!("{}/x", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "stolen", "token_type": "bearer", "expires_in": 3600
        })))
        .mount(&elsewhere)
        .await;
    let err = handle(&server)?
        .token()
        .await
        .expect_err("redirect refused");
    assert!(err.to_string().contains("redirect"), "{err}");
    let received = elsewhere.received_requests().await.unwrap_or_default();
    assert!(received.is_empty(), "the form went on: {received:?}");
    Ok(())
}

#[tokio::test]
async fn a_huge_discovery_answer_is_refused_at_the_cap() -> TestResult {
    let server = MockServer::start().await;
    // Valid metadata padded past 1 MiB: read whole, it would be taken.
    Mock::given(method("GET"))
        .and(path("/.well-known/oauth-authorization-server"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "issuer": server.uri(),
            "token_endpoint": format!("{}/token", server.uri()),
            "padding": "x".repeat(2 << 20),
        })))
        .mount(&server)
        .await;
    let creds = Credentials::builder(ClientSecret::new("svc", Secret::new("s")), "dns:///x")
        .http_base(server.uri())
        .memory_cache()
        .retry(RetryPolicy::none())
        .build()?;
    let err = creds.token().await.expect_err("too large");
    assert!(err.to_string().contains("larger than"), "{err}");
    Ok(())
}

#[tokio::test]
async fn a_failed_answer_echoing_the_form_never_reaches_the_error() -> TestResult {
    // A proxy or gateway that echoes the request: the form holds the client secret.
    let echo = "grant_type=client_credentials&client_secret=hunter2-secret";
    for (status, body, content_type) in [
        (503, echo.to_owned(), "text/plain"),
        (429, echo.to_owned(), "text/plain"),
        (400, format!("<html>{echo}</html>"), "text/html"),
        (
            502,
            serde_json::json!({ "request": echo }).to_string(),
            "application/json",
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(ResponseTemplate::new(status).set_body_raw(body.clone(), content_type))
            .mount(&server)
            .await;
        let err = handle(&server)?.token().await.expect_err("refused");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains(&status.to_string()),
            "keeps the status: {shown}"
        );
        assert!(
            shown.contains(content_type),
            "names the content type: {shown}"
        );
    }
    // A well-formed OAuth2 error keeps its code and description.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(503).set_body_json(serde_json::json!({
            "error": "temporarily_unavailable", "error_description": "try later"
        })))
        .mount(&server)
        .await;
    let err = handle(&server)?.token().await.expect_err("refused");
    assert!(
        err.to_string()
            .contains("temporarily_unavailable: try later"),
        "{err}"
    );
    Ok(())
}
