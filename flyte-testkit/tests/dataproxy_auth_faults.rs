//! The data proxy and its signed URLs, authentication, and fault injection.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::*;
use flyte_testkit::flyteidl::flyteidl::admin::{
    ProjectGetRequest, ProjectListRequest, WorkflowExecutionGetRequest,
};
use flyte_testkit::flyteidl::flyteidl::core::ResourceType;
use flyte_testkit::flyteidl::flyteidl::service::{
    auth_metadata_service_client::AuthMetadataServiceClient,
    data_proxy_service_client::DataProxyServiceClient, get_data_response,
    identity_service_client::IdentityServiceClient, CreateDownloadLocationRequest,
    CreateUploadLocationRequest, GetDataRequest, OAuth2MetadataRequest,
    PublicClientAuthConfigRequest, UserInfoRequest,
};
use flyte_testkit::{AuthSettings, DeviceDecision, Executors, Fault, RandomFaults, TestAdmin};
use hyper::{Body, Client as HttpClient, Method, Request, StatusCode};
use md5::{Digest as _, Md5};
use sha2::Sha256;
use tonic::metadata::MetadataValue;
use tonic::Code;

async fn http(
    method: Method,
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<(StatusCode, String, hyper::HeaderMap), Box<dyn std::error::Error>> {
    let mut req = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, v.as_str());
    }
    let resp = HttpClient::new()
        .request(req.body(Body::from(body.to_vec()))?)
        .await?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = hyper::body::to_bytes(resp.into_body()).await?;
    Ok((
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        headers,
    ))
}

fn upload_request(md5: &[u8], root: &str, filename: &str) -> CreateUploadLocationRequest {
    CreateUploadLocationRequest {
        project: P.into(),
        domain: D.into(),
        filename: filename.into(),
        content_md5: md5.to_vec(),
        filename_root: root.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn upload_locations_follow_flyteadmins_rules() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut dp = DataProxyServiceClient::connect(admin.endpoint()).await?;
    let err = dp
        .create_upload_location(CreateUploadLocationRequest::default())
        .await
        .expect_err("no project");
    assert_eq!(
        (err.code(), err.message()),
        (
            Code::InvalidArgument,
            "project and domain are required parameters"
        )
    );
    let err = dp
        .create_upload_location(upload_request(&[], "", "f"))
        .await
        .expect_err("no md5");
    assert_eq!(
        err.message(),
        "content_md5 or filename_root is a required parameter"
    );
    let mut long = upload_request(b"0123456789abcdef", "", "f");
    long.expires_in = Some(prost_types::Duration {
        seconds: 7200,
        nanos: 0,
    });
    let err = dp.create_upload_location(long).await.expect_err("expiry");
    assert!(
        err.message()
            .contains("cannot exceed max allowed expiration"),
        "{}",
        err.message()
    );

    let body = b"print('hello')\n";
    let md5 = Md5::digest(body).to_vec();
    let loc = dp
        .create_upload_location(upload_request(&md5, "", "script.py"))
        .await?
        .into_inner();
    let b32 = data_encoding_base32(&md5);
    assert_eq!(
        loc.native_url,
        format!("s3://flyte-testkit/flytesnacks/development/{b32}/script.py")
    );
    assert!(
        loc.signed_url.starts_with(&admin.http_endpoint()),
        "{}",
        loc.signed_url
    );
    let header = base64::engine::general_purpose::STANDARD.encode(&md5);
    assert_eq!(loc.headers.get("Content-MD5"), Some(&header));

    let (status, text, _) = http(Method::PUT, &loc.signed_url, &[], body).await?;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the signed hash must be sent: {text}"
    );
    let (status, text, _) = http(
        Method::PUT,
        &loc.signed_url,
        &[("Content-MD5", header.clone())],
        b"tampered",
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("BadDigest"));
    let (status, _, _) = http(
        Method::PUT,
        &loc.signed_url,
        &[("Content-MD5", header.clone())],
        body,
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        admin.blob(&loc.native_url).await.as_deref(),
        Some(&body[..])
    );

    let forged = loc.signed_url.replace("signature=", "signature=x");
    let (status, _, _) = http(Method::PUT, &forged, &[("Content-MD5", header)], body).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let down = dp
        .create_download_location(CreateDownloadLocationRequest {
            native_url: loc.native_url.clone(),
            expires_in: None,
        })
        .await?
        .into_inner();
    let (status, text, _) = http(Method::GET, &down.signed_url, &[], b"").await?;
    assert_eq!((status, text.as_bytes()), (StatusCode::OK, &body[..]));
    Ok(())
}

/// RFC 4648 base32 with padding, computed independently of the test kit.
fn data_encoding_base32(data: &[u8]) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = String::new();
    for &b in data {
        bits = (bits << 8) | u32::from(b);
        count += 8;
        while count >= 5 {
            count -= 5;
            out.push(char::from(alphabet[((bits >> count) & 31) as usize]));
        }
    }
    if count > 0 {
        out.push(char::from(alphabet[((bits << (5 - count)) & 31) as usize]));
    }
    while out.len() % 8 != 0 {
        out.push('=');
    }
    out
}

#[tokio::test]
async fn a_deterministic_path_is_not_overwritten_without_its_hash() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut dp = DataProxyServiceClient::connect(admin.endpoint()).await?;
    let body = b"v1";
    let md5 = Md5::digest(body).to_vec();
    let loc = dp
        .create_upload_location(upload_request(&md5, "fast", "code.tar.gz"))
        .await?
        .into_inner();
    assert_eq!(
        loc.native_url,
        "s3://flyte-testkit/flytesnacks/development/fast/code.tar.gz"
    );
    let header = base64::engine::general_purpose::STANDARD.encode(&md5);
    let (status, _, _) = http(
        Method::PUT,
        &loc.signed_url,
        &[("Content-MD5", header)],
        body,
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    let err = dp
        .create_upload_location(upload_request(&[], "fast", "code.tar.gz"))
        .await
        .expect_err("exists");
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(
        err.message(),
        "file already exists at location [s3://flyte-testkit/flytesnacks/development/fast/code.tar.gz], specify a matching hash if you wish to rewrite"
    );
    dp.create_upload_location(upload_request(&md5, "fast", "code.tar.gz"))
        .await?;
    Ok(())
}

#[tokio::test]
async fn get_data_reads_flyte_urls() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    register_basic(&mut c, "v1").await?;
    let id = c
        .create_execution(exec_request(
            id(ResourceType::LaunchPlan, "wf", "v1"),
            "data",
            lits(&[("x", int(3))]),
        ))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    admin.wait_for_terminal(&id).await.ok_or("gone")?;
    let mut dp = DataProxyServiceClient::connect(admin.endpoint()).await?;
    let got = dp
        .get_data(GetDataRequest {
            flyte_url: "flyte://v1/flytesnacks/development/data/n0/i/x".into(),
        })
        .await?
        .into_inner();
    assert_eq!(got.data, Some(get_data_response::Data::Literal(int(3))));
    let got = dp
        .get_data(GetDataRequest {
            flyte_url: "flyte://v1/flytesnacks/development/data/end-node/0/i".into(),
        })
        .await?
        .into_inner();
    let Some(get_data_response::Data::LiteralMap(m)) = got.data else {
        return Err("no map".into());
    };
    assert!(m.literals.contains_key("y"));
    let err = dp
        .get_data(GetDataRequest {
            flyte_url: "s3://x".into(),
        })
        .await
        .expect_err("scheme");
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = dp
        .get_data(GetDataRequest {
            flyte_url: "flyte://v1/flytesnacks/development/data/n0/d".into(),
        })
        .await
        .expect_err("deck");
    assert_eq!(err.code(), Code::NotFound);
    Ok(())
}

#[tokio::test]
async fn auth_is_off_by_default_like_flyte_binary() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut meta = AuthMetadataServiceClient::connect(admin.endpoint()).await?;
    let err = meta
        .get_o_auth2_metadata(OAuth2MetadataRequest {})
        .await
        .expect_err("off");
    assert_eq!(err.code(), Code::Unimplemented);
    let (status, _, _) = http(
        Method::GET,
        &format!(
            "{}/.well-known/oauth-authorization-server",
            admin.http_endpoint()
        ),
        &[],
        b"",
    )
    .await?;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    Ok(())
}

fn with_token<T>(
    msg: T,
    header: &str,
    token: &str,
) -> Result<tonic::Request<T>, Box<dyn std::error::Error>> {
    let mut req = tonic::Request::new(msg);
    let value: MetadataValue<_> = format!("Bearer {token}").parse()?;
    req.metadata_mut().insert(
        tonic::metadata::MetadataKey::from_bytes(header.as_bytes())?,
        value,
    );
    Ok(req)
}

fn token_of(body: &str) -> Result<(String, Option<String>), Box<dyn std::error::Error>> {
    let v: serde_json::Value = serde_json::from_str(body)?;
    let access = v["access_token"]
        .as_str()
        .ok_or(format!("no token in {body}"))?
        .to_owned();
    Ok((access, v["refresh_token"].as_str().map(str::to_owned)))
}

#[tokio::test]
async fn client_credentials_and_the_token_check() -> TestResult {
    let admin = TestAdmin::builder()
        .auth(AuthSettings::default().client("robot", "s3cret"))
        .start()
        .await?;
    let mut c = connect(&admin).await?;
    let err = c
        .list_projects(ProjectListRequest::default())
        .await
        .expect_err("no token");
    assert_eq!(err.code(), Code::Unauthenticated);

    let mut meta = AuthMetadataServiceClient::connect(admin.endpoint()).await?;
    let m = meta
        .get_o_auth2_metadata(OAuth2MetadataRequest {})
        .await?
        .into_inner();
    assert_eq!(
        m.token_endpoint,
        format!("{}/oauth2/token", admin.http_endpoint())
    );
    let p = meta
        .get_public_client_config(PublicClientAuthConfigRequest {})
        .await?
        .into_inner();
    assert_eq!(
        (p.client_id.as_str(), p.redirect_uri.as_str()),
        ("flytectl", "http://localhost:53593/callback")
    );
    assert_eq!(
        (p.scopes.clone(), p.authorization_metadata_key.as_str()),
        (
            vec!["all".to_owned(), "offline".to_owned()],
            "flyte-authorization"
        )
    );
    let (status, body, _) = http(
        Method::GET,
        &format!("{}/config/v1/flyte_client", admin.http_endpoint()),
        &[],
        b"",
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"client_id\":\"flytectl\""), "{body}");

    let basic = |id: &str, secret: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        )
    };
    let (status, body, _) = http(
        Method::POST,
        &m.token_endpoint,
        &[
            ("authorization", basic("robot", "wrong")),
            ("content-type", "application/x-www-form-urlencoded".into()),
        ],
        b"grant_type=client_credentials&scope=all",
    )
    .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("invalid_client"));
    let (status, body, _) = http(
        Method::POST,
        &m.token_endpoint,
        &[("authorization", basic("robot", "s3cret"))],
        b"grant_type=client_credentials&scope=all",
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (token, _) = token_of(&body)?;
    assert_eq!(
        token.split('.').count(),
        3,
        "a JWT, so clients can read exp"
    );

    for header in ["flyte-authorization", "authorization"] {
        let projects = c
            .list_projects(with_token(ProjectListRequest::default(), header, &token)?)
            .await?
            .into_inner();
        assert_eq!(projects.projects.len(), 1);
    }
    let mut who = IdentityServiceClient::connect(admin.endpoint()).await?;
    let me = who
        .user_info(with_token(
            UserInfoRequest {},
            "flyte-authorization",
            &token,
        )?)
        .await?
        .into_inner();
    assert_eq!(me.subject, "robot");
    admin.expire_tokens();
    let err = c
        .list_projects(with_token(
            ProjectListRequest::default(),
            "flyte-authorization",
            &token,
        )?)
        .await
        .expect_err("expired");
    assert_eq!(err.code(), Code::Unauthenticated);
    Ok(())
}

#[tokio::test]
async fn pkce_authorization_code_and_refresh() -> TestResult {
    let admin = TestAdmin::builder()
        .auth(AuthSettings::default())
        .start()
        .await?;
    let base = admin.http_endpoint();
    let verifier = "a-verifier-that-is-long-enough-for-pkce-0123456789";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    let redirect = "http%3A%2F%2Flocalhost%3A53593%2Fcallback";
    let url = format!("{base}/oauth2/authorize?response_type=code&client_id=flytectl&redirect_uri={redirect}&code_challenge={challenge}&code_challenge_method=S256&state=xyz&scope=all%20offline");
    let (status, _, headers) = http(Method::GET, &url, &[], b"").await?;
    assert_eq!(status, StatusCode::FOUND);
    let location = headers
        .get("location")
        .ok_or("no location")?
        .to_str()?
        .to_owned();
    assert!(
        location.starts_with("http://localhost:53593/callback?code="),
        "{location}"
    );
    assert!(location.ends_with("&state=xyz"), "{location}");
    let code = location
        .split("code=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .ok_or("no code")?;

    let plain = url.replace("code_challenge_method=S256", "code_challenge_method=plain");
    let (status, body, _) = http(Method::GET, &plain, &[], b"").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "S256 is enforced: {body}");

    let form = |v: &str| {
        format!("grant_type=authorization_code&code={code}&code_verifier={v}&redirect_uri={redirect}&client_id=flytectl")
    };
    let (status, body, _) = http(
        Method::POST,
        &format!("{base}/oauth2/token"),
        &[],
        form(verifier).as_bytes(),
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (access, refresh) = token_of(&body)?;
    let refresh = refresh.ok_or("no refresh token")?;
    let (status, body, _) = http(
        Method::POST,
        &format!("{base}/oauth2/token"),
        &[],
        form(verifier).as_bytes(),
    )
    .await?;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "codes are single use: {body}"
    );

    let mut who = IdentityServiceClient::connect(admin.endpoint()).await?;
    assert_eq!(
        who.user_info(with_token(UserInfoRequest {}, "authorization", &access)?)
            .await?
            .into_inner()
            .subject,
        "testkit-user"
    );
    admin.expire_tokens();
    let (status, body, _) = http(
        Method::POST,
        &format!("{base}/oauth2/token"),
        &[],
        format!("grant_type=refresh_token&refresh_token={refresh}").as_bytes(),
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (fresh, _) = token_of(&body)?;
    assert_ne!(fresh, access);
    assert_eq!(
        who.user_info(with_token(UserInfoRequest {}, "authorization", &fresh)?)
            .await?
            .into_inner()
            .subject,
        "testkit-user"
    );
    Ok(())
}

#[tokio::test]
async fn device_flow_pending_slow_down_approve_and_deny() -> TestResult {
    let admin = TestAdmin::builder()
        .auth(AuthSettings::default())
        .start()
        .await?;
    let base = admin.http_endpoint();
    let device_url = format!("{base}/oauth2/device/code");
    let start = || {
        http(
            Method::POST,
            &device_url,
            &[],
            b"client_id=flytectl&scope=all",
        )
    };
    let (status, body, _) = start().await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body)?;
    let (device, user) = (
        v["device_code"].as_str().ok_or("dc")?.to_owned(),
        v["user_code"].as_str().ok_or("uc")?.to_owned(),
    );
    assert_eq!(v["interval"], 5);
    let form = |d: &str| {
        format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code={d}&client_id=flytectl")
    };
    let token_url = format!("{base}/oauth2/token");
    let (_, body, _) = http(Method::POST, &token_url, &[], form(&device).as_bytes()).await?;
    assert!(body.contains("authorization_pending"), "{body}");
    assert!(admin.decide_device_login(&user, DeviceDecision::SlowDown));
    let (_, body, _) = http(Method::POST, &token_url, &[], form(&device).as_bytes()).await?;
    assert!(body.contains("slow_down"), "{body}");
    let (_, body, _) = http(Method::POST, &token_url, &[], form(&device).as_bytes()).await?;
    assert!(
        body.contains("authorization_pending"),
        "slow_down is one answer: {body}"
    );
    assert!(admin.decide_device_login(&user, DeviceDecision::Approve));
    let (status, body, _) = http(Method::POST, &token_url, &[], form(&device).as_bytes()).await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    token_of(&body)?;

    let (_, body, _) = start().await?;
    let v: serde_json::Value = serde_json::from_str(&body)?;
    let (device, user) = (
        v["device_code"].as_str().ok_or("dc")?.to_owned(),
        v["user_code"].as_str().ok_or("uc")?.to_owned(),
    );
    admin.decide_device_login(&user, DeviceDecision::Deny);
    let (_, body, _) = http(Method::POST, &token_url, &[], form(&device).as_bytes()).await?;
    assert!(body.contains("access_denied"), "{body}");
    assert!(!admin.decide_device_login("NOPE-NOPE", DeviceDecision::Approve));
    Ok(())
}

#[tokio::test]
async fn scripted_faults_then_success_and_call_counts() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    admin.fail_next("ListProjects", Fault::Unavailable, 2);
    for _ in 0..2 {
        let err = c
            .list_projects(ProjectListRequest::default())
            .await
            .expect_err("injected");
        assert_eq!(err.code(), Code::Unavailable);
    }
    c.list_projects(ProjectListRequest::default()).await?;
    assert_eq!(admin.calls("ListProjects"), 3);
    admin.fail_next("GetExecution", Fault::DeadlineExceeded(Duration::ZERO), 1);
    let err = c
        .get_execution(WorkflowExecutionGetRequest {
            id: Some(exec_id("x")),
        })
        .await
        .expect_err("deadline");
    assert_eq!(err.code(), Code::DeadlineExceeded);
    admin.fail_next("GetExecution", Fault::ResourceExhausted, 1);
    let err = c
        .get_execution(WorkflowExecutionGetRequest {
            id: Some(exec_id("x")),
        })
        .await
        .expect_err("exhausted");
    assert_eq!(err.code(), Code::ResourceExhausted);
    let err = c
        .get_execution(WorkflowExecutionGetRequest {
            id: Some(exec_id("x")),
        })
        .await
        .expect_err("real answer");
    assert_eq!(
        err.code(),
        Code::NotFound,
        "faults are used up; the real handler answers"
    );
    admin.fail_next("ListProjects", Fault::DropConnection, 1);
    let err = c
        .list_projects(ProjectListRequest::default())
        .await
        .expect_err("dropped");
    assert!(dropped(&err), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn random_faults_are_reproducible_from_the_seed() -> TestResult {
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        let admin = TestAdmin::builder().random_faults(0.5, 42).start().await?;
        let mut c = connect(&admin).await?;
        let mut seen = Vec::new();
        for _ in 0..40 {
            seen.push(c.list_projects(ProjectListRequest::default()).await.is_ok());
        }
        outcomes.push(seen);
    }
    assert_eq!(outcomes[0], outcomes[1]);
    let failures = outcomes[0].iter().filter(|ok| !**ok).count();
    assert!(
        (8..=32).contains(&failures),
        "about half of 40 fail: {failures}"
    );
    Ok(())
}

/// How tonic reports a connection dropped mid-call.
fn dropped(err: &tonic::Status) -> bool {
    matches!(
        err.code(),
        Code::Unavailable | Code::Unknown | Code::Internal
    )
}

async fn project_exists(c: &mut Client, id: &str) -> Result<bool, tonic::Status> {
    match c
        .get_project(ProjectGetRequest {
            id: id.into(),
            org: String::new(),
        })
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if e.code() == Code::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

#[tokio::test]
async fn a_lost_answer_comes_after_the_call_took_effect() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    admin.fail_next("RegisterProject", Fault::Unavailable, 1);
    let err = register_project(&mut c, "before")
        .await
        .expect_err("injected");
    assert_eq!(err.code(), Code::Unavailable);
    assert!(!project_exists(&mut c, "before").await?, "not handled");

    admin.fail_next("RegisterProject", Fault::LoseResponse, 1);
    let err = register_project(&mut c, "lost").await.expect_err("lost");
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert!(
        err.message().contains("after the call was handled"),
        "{err:?}"
    );
    assert!(project_exists(&mut c, "lost").await?, "handled and stored");
    let again = register_project(&mut c, "lost")
        .await
        .expect_err("a repeat");
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");

    admin.fail_next("RegisterProject", Fault::DropConnectionAfterCommit, 1);
    let err = register_project(&mut c, "dropped")
        .await
        .expect_err("dropped");
    assert!(dropped(&err), "{err:?}");
    assert!(
        project_exists(&mut c, "dropped").await?,
        "handled and stored"
    );
    assert_eq!(admin.calls("RegisterProject"), 4);
    Ok(())
}

#[tokio::test]
async fn random_faults_mix_failures_before_and_lost_answers_after() -> TestResult {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let admin = TestAdmin::start().await?;
        let mut c = connect(&admin).await?;
        admin.set_random_faults(RandomFaults::new(42).unavailable(0.2).lose_answers(0.3));
        let mut outcomes = Vec::new();
        for n in 0..200 {
            outcomes.push(register_project(&mut c, &format!("p{n}")).await.is_ok());
        }
        admin.set_random_faults(RandomFaults::new(0));
        let mut stored = Vec::new();
        for n in 0..200 {
            stored.push(project_exists(&mut c, &format!("p{n}")).await?);
        }
        runs.push((outcomes, stored));
    }
    assert_eq!(runs[0], runs[1], "the seed decides");
    let (outcomes, stored) = &runs[0];
    let ok = outcomes.iter().filter(|ok| **ok).count();
    let lost = outcomes
        .iter()
        .zip(stored)
        .filter(|(ok, stored)| !**ok && **stored)
        .count();
    let refused = outcomes
        .iter()
        .zip(stored)
        .filter(|(ok, stored)| !**ok && !**stored)
        .count();
    assert!(
        outcomes
            .iter()
            .zip(stored)
            .all(|(ok, stored)| !ok || *stored),
        "every success is stored"
    );
    assert!((75..=125).contains(&ok), "about half succeed: {ok}");
    assert!(
        (40..=80).contains(&lost),
        "about 3 in 10 lose their answer: {lost}"
    );
    assert!(
        (20..=60).contains(&refused),
        "about 2 in 10 are refused: {refused}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn latency_is_added_to_every_call() -> TestResult {
    let admin = TestAdmin::builder()
        .latency(Duration::from_secs(2))
        .executor(Executors::default())
        .start()
        .await?;
    let mut c = connect(&admin).await?;
    let start = tokio::time::Instant::now();
    c.list_projects(ProjectListRequest::default()).await?;
    c.list_projects(ProjectListRequest::default()).await?;
    assert!(
        start.elapsed() >= Duration::from_secs(4),
        "virtual time: {:?}",
        start.elapsed()
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn access_tokens_expire_on_tokios_clock() -> TestResult {
    let admin = TestAdmin::builder()
        .auth(
            AuthSettings::default()
                .client("robot", "s3cret")
                .token_lifetime(Duration::from_secs(3600)),
        )
        .start()
        .await?;
    let (status, body, _) = http(
        Method::POST,
        &format!("{}/oauth2/token", admin.http_endpoint()),
        &[],
        b"grant_type=client_credentials&client_id=robot&client_secret=s3cret",
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (token, _) = token_of(&body)?;
    let mut c = connect(&admin).await?;
    let list = || with_token(ProjectListRequest::default(), "flyte-authorization", &token);
    c.list_projects(list()?).await?;

    tokio::time::advance(Duration::from_secs(3601)).await;
    let err = c.list_projects(list()?).await.expect_err("expired");
    assert_eq!(err.code(), Code::Unauthenticated);
    Ok(())
}
