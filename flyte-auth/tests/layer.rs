//! The tower layer on a tonic channel: tokens attached, one retry after UNAUTHENTICATED.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use flyte_auth::{AuthLayer, ClientSecret, Credentials, Interaction, Pkce};
use flyte_config::Secret;
use flyte_testkit::flyteidl::flyteidl::admin::ProjectListRequest;
use flyte_testkit::flyteidl::flyteidl::service::admin_service_client::AdminServiceClient;
use flyte_testkit::{AuthSettings, Fault, TestAdmin};
use tonic::transport::Channel;

type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn setup(
    auth: bool,
) -> Result<(TestAdmin, Credentials, Channel), Box<dyn std::error::Error>> {
    let mut builder = TestAdmin::builder();
    if auth {
        builder = builder.auth(AuthSettings::default().client("robot", "s3cret"));
    }
    let admin = builder.start().await?;
    let channel = Channel::from_shared(admin.endpoint())?.connect().await?;
    let creds = Credentials::builder(
        ClientSecret::new("robot", Secret::new("s3cret")),
        admin.endpoint(),
    )
    .grpc_channel(channel.clone())
    .memory_cache()
    .build()?;
    Ok((admin, creds, channel))
}

#[tokio::test]
async fn tokens_are_attached_lazily_and_refreshed_after_unauthenticated() -> TestResult {
    let (admin, creds, channel) = setup(true).await?;
    let svc = tower::ServiceBuilder::new()
        .layer(AuthLayer::new(creds.clone()))
        .service(channel);
    let mut client = AdminServiceClient::new(svc);
    // Lazy, as flytectl: the first call goes without a token, is refused, and is retried with one.
    assert_eq!(
        client
            .list_projects(ProjectListRequest::default())
            .await?
            .into_inner()
            .projects
            .len(),
        1
    );
    assert_eq!(admin.token_requests("client_credentials"), 1);
    assert_eq!(admin.calls("ListProjects"), 2);
    // From then on every call carries the token.
    client.list_projects(ProjectListRequest::default()).await?;
    assert_eq!(admin.calls("ListProjects"), 3);

    // The server forgets every token: the next call is refused once, then retried with a new one.
    admin.expire_tokens();
    assert_eq!(
        client
            .list_projects(ProjectListRequest::default())
            .await?
            .into_inner()
            .projects
            .len(),
        1
    );
    assert_eq!(admin.token_requests("client_credentials"), 2);
    assert_eq!(
        admin.calls("ListProjects"),
        5,
        "one refused attempt and one retry"
    );

    // Only one retry: a server that keeps refusing gets UNAUTHENTICATED back.
    admin.fail_next("ListProjects", Fault::Unauthenticated, 2);
    let err = client
        .list_projects(ProjectListRequest::default())
        .await
        .expect_err("still refused");
    assert_eq!(err.code(), tonic::Code::Unauthenticated);
    assert_eq!(admin.calls("ListProjects"), 7);
    Ok(())
}

#[tokio::test]
async fn with_auth_off_nothing_is_discovered_or_requested() -> TestResult {
    let (admin, creds, channel) = setup(false).await?;
    let svc = tower::ServiceBuilder::new()
        .layer(AuthLayer::new(creds))
        .service(channel.clone());
    let mut client = AdminServiceClient::new(svc);
    assert_eq!(
        client
            .list_projects(ProjectListRequest::default())
            .await?
            .into_inner()
            .projects
            .len(),
        1
    );
    assert_eq!(admin.token_requests("client_credentials"), 0);
    assert_eq!(
        admin.calls("GetOAuth2Metadata"),
        0,
        "lazy: no discovery without a refusal"
    );
    let plain = tower::ServiceBuilder::new()
        .layer(AuthLayer::none())
        .service(channel);
    let mut client = AdminServiceClient::new(plain);
    assert_eq!(
        client
            .list_projects(ProjectListRequest::default())
            .await?
            .into_inner()
            .projects
            .len(),
        1
    );
    Ok(())
}

#[tokio::test]
async fn a_failed_login_is_unauthenticated_saying_why() -> TestResult {
    let (admin, _, channel) = setup(true).await?;
    let creds = Credentials::builder(
        flyte_auth::ExternalCommand::new(["sh", "-c", "echo no login here >&2; exit 3"]),
        admin.endpoint(),
    )
    .grpc_channel(channel.clone())
    .build()?;
    let svc = tower::ServiceBuilder::new()
        .layer(AuthLayer::new(creds))
        .service(channel);
    let mut client = AdminServiceClient::new(svc);
    let err = client
        .list_projects(ProjectListRequest::default())
        .await
        .expect_err("the command fails");
    assert_eq!(err.code(), tonic::Code::Unauthenticated, "{err}");
    assert!(err.message().contains("external command"), "{err}");
    assert!(err.message().contains("no login here"), "{err}");
    Ok(())
}

/// Shows PKCE URLs to nobody: the login can only time out.
#[derive(Debug, Default)]
struct Nobody(Mutex<Vec<String>>);

impl Interaction for Nobody {
    fn authorize(&self, url: &str) {
        if let Ok(mut urls) = self.0.lock() {
            urls.push(url.to_owned());
        }
    }
    fn device_code(&self, _: &str, _: &str, _: Option<&str>) {}
}

#[tokio::test(start_paused = true)]
async fn many_calls_wait_on_one_login_and_share_its_failure() -> TestResult {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let redirect = format!("http://{}/callback", listener.local_addr()?);
    let admin = TestAdmin::builder()
        .auth(AuthSettings::default().redirect_uri(redirect))
        .start()
        .await?;
    let channel = Channel::from_shared(admin.endpoint())?.connect().await?;
    let nobody = Arc::new(Nobody::default());
    let creds = Credentials::builder(
        Pkce::new(Duration::from_secs(60)).listener(listener),
        admin.endpoint(),
    )
    .grpc_channel(channel.clone())
    .interaction(nobody.clone())
    .memory_cache()
    .build()?;
    let svc = tower::ServiceBuilder::new()
        .layer(AuthLayer::new(creds).eager())
        .service(channel);
    // One caller gives up after 5 s: the login it started goes on for the others.
    let mut first = AdminServiceClient::new(svc.clone());
    let impatient = tokio::time::timeout(
        Duration::from_secs(5),
        first.list_projects(ProjectListRequest::default()),
    );
    assert!(impatient.await.is_err(), "cut at 5 s");
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let mut client = AdminServiceClient::new(svc.clone());
            tokio::spawn(async move { client.list_projects(ProjectListRequest::default()).await })
        })
        .collect();
    for call in calls {
        let err = call.await?.expect_err("nobody logs in");
        assert_eq!(err.code(), tonic::Code::Unauthenticated, "{err}");
        assert!(err.message().contains("PKCE"), "{err}");
    }
    assert_eq!(
        nobody.0.lock().map_err(|_| "poisoned")?.len(),
        1,
        "one login for eleven calls"
    );
    Ok(())
}
