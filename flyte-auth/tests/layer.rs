//! The tower layer on a tonic channel: tokens attached, one retry after UNAUTHENTICATED.

use flyte_auth::{AuthLayer, ClientSecret, Credentials};
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
