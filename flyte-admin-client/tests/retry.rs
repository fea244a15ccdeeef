//! The retry layer on the channel: the raw service clients are retried like the typed helpers,
//! by the same table of safe methods.

use flyte_admin_client::pb::{admin, service};
use flyte_admin_client::Idempotent;
use flyte_testkit::{Fault, TestAdmin};

mod common;
use common::{client, TestResult};

#[tokio::test]
async fn raw_service_clients_are_retried_by_the_same_policy() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;

    admin.fail_next("GetVersion", Fault::Unavailable, 2);
    let version = c
        .admin_service()
        .get_version(admin::GetVersionRequest {})
        .await?
        .into_inner();
    assert!(version.control_plane_version.is_some());
    assert_eq!(
        admin.calls("GetVersion"),
        3,
        "two failures, then the answer"
    );

    admin.fail_next("UserInfo", Fault::Unavailable, 1);
    c.identity_service()
        .user_info(service::UserInfoRequest {})
        .await?;
    assert_eq!(admin.calls("UserInfo"), 2);

    admin.fail_next("GetVersion", Fault::Unavailable, 10);
    let status = c
        .admin_service()
        .get_version(admin::GetVersionRequest {})
        .await
        .expect_err("gives up");
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert_eq!(
        admin.calls("GetVersion"),
        3 + 5,
        "max_retries 4: five attempts"
    );

    let status = c
        .admin_service()
        .get_project(admin::ProjectGetRequest {
            id: "no-such-project".into(),
            ..Default::default()
        })
        .await
        .expect_err("not found");
    assert_eq!(status.code(), tonic::Code::NotFound);
    assert_eq!(admin.calls("GetProject"), 1, "NOT_FOUND is not retried");
    Ok(())
}

#[tokio::test]
async fn a_raw_launch_is_sent_once_unless_marked_idempotent() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let launch = |name: &str| admin::ExecutionCreateRequest {
        project: "flytesnacks".into(),
        domain: "development".into(),
        name: name.into(),
        ..Default::default()
    };

    admin.fail_next("CreateExecution", Fault::Unavailable, 1);
    let status = c
        .admin_service()
        .create_execution(launch(""))
        .await
        .expect_err("not repeated");
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert_eq!(admin.calls("CreateExecution"), 1);

    admin.fail_next("CreateExecution", Fault::Unavailable, 1);
    let mut marked = tonic::Request::new(launch("named-1"));
    marked.extensions_mut().insert(Idempotent);
    // The test kit refuses the empty spec: what matters is that the refusal came from the
    // second attempt, after the first met UNAVAILABLE.
    let status = c
        .admin_service()
        .create_execution(marked)
        .await
        .expect_err("an empty spec");
    assert_ne!(status.code(), tonic::Code::Unavailable, "{status:?}");
    assert_eq!(admin.calls("CreateExecution"), 3, "marked: repeated once");
    Ok(())
}
