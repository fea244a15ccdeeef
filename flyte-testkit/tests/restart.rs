//! Stopping the test kit and starting it again on the same ports, as a rolling FlyteAdmin pod
//! does: connections are cut, calls in flight fail, the state is kept.

use std::time::Duration;

use flyte_testkit::flyteidl::flyteidl::admin::{
    GetVersionRequest, Project, ProjectListRequest, ProjectRegisterRequest,
};
use flyte_testkit::{Fault, TestAdmin};
use hyper::{Client as HttpClient, StatusCode};
use tokio::io::AsyncReadExt as _;
use tonic::Code;

mod common;
use common::{connect, TestResult};

/// How long a test waits for a cut connection to be noticed before calling it a hang: a guard,
/// never reached when the test kit behaves.
const GUARD: Duration = Duration::from_secs(30);

#[tokio::test]
async fn state_is_kept_across_a_stop_and_start_on_the_same_ports() -> TestResult {
    let admin = TestAdmin::start().await?;
    let (addr, http) = (admin.addr(), admin.http_endpoint());
    let mut c = connect(&admin).await?;
    common::register_project(&mut c, "ml").await?;

    admin.stop().await;
    let err = c
        .list_projects(ProjectListRequest::default())
        .await
        .expect_err("the server is down");
    assert_eq!(err.code(), Code::Unavailable, "{err}");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the gRPC port is closed while stopped"
    );

    admin.start_again().await?;
    assert_eq!((admin.addr(), admin.http_endpoint()), (addr, http.clone()));
    // The same channel reconnects to the same address and finds what was there.
    let projects = c
        .list_projects(ProjectListRequest::default())
        .await?
        .into_inner()
        .projects;
    let ids: Vec<&str> = projects.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["flytesnacks", "ml"]);
    let answer = HttpClient::new()
        .get(format!("{http}/blobs/missing").parse()?)
        .await?;
    assert_ne!(
        answer.status(),
        StatusCode::OK,
        "the HTTP port serves again"
    );
    assert!(answer.status().is_client_error(), "{}", answer.status());
    Ok(())
}

#[tokio::test]
async fn stopping_cuts_open_connections_and_calls_in_flight() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    c.get_version(GetVersionRequest::default()).await?;
    let mut idle_grpc = tokio::net::TcpStream::connect(admin.addr()).await?;
    let http_addr = admin.http_endpoint().replace("http://", "");
    let mut idle_http = tokio::net::TcpStream::connect(&http_addr).await?;
    // A call the server holds for an hour: in flight when the server goes down.
    admin.fail_next(
        "GetVersion",
        Fault::DeadlineExceeded(Duration::from_secs(3600)),
        1,
    );
    let in_flight = tokio::spawn(async move { c.get_version(GetVersionRequest::default()).await });
    while admin.calls("GetVersion") < 2 {
        tokio::task::yield_now().await;
    }

    admin.stop().await;
    let err = tokio::time::timeout(GUARD, in_flight)
        .await??
        .expect_err("cut");
    assert_ne!(err.code(), Code::DeadlineExceeded, "not answered: {err}");
    assert!(
        matches!(
            err.code(),
            Code::Unavailable | Code::Unknown | Code::Internal
        ),
        "{err}"
    );
    for idle in [&mut idle_grpc, &mut idle_http] {
        let mut buf = [0u8; 64];
        // Read what the server sent before the cut (the HTTP/2 preface) until the end.
        let closed = tokio::time::timeout(GUARD, async {
            loop {
                match idle.read(&mut buf).await {
                    Ok(0) | Err(_) => return true,
                    Ok(_) => {}
                }
            }
        })
        .await?;
        assert!(closed);
    }
    admin.start_again().await?;
    admin.start_again().await?;
    let mut c = connect(&admin).await?;
    c.get_version(GetVersionRequest::default()).await?;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn restart_is_down_for_as_long_as_asked_on_tokios_clock() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    let started = tokio::time::Instant::now();
    let (restarted, down) = tokio::join!(admin.restart(Duration::from_secs(20)), async {
        tokio::task::yield_now().await;
        c.get_version(GetVersionRequest::default()).await
    });
    restarted?;
    assert!(down.is_err(), "a call while down fails");
    assert_eq!(started.elapsed().as_secs(), 20);
    c.get_version(GetVersionRequest::default()).await?;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_state_file_brings_back_what_was_written_generated_names_included() -> TestResult {
    use flyte_testkit::flyteidl::flyteidl::admin::WorkflowExecutionGetRequest;
    use flyte_testkit::flyteidl::flyteidl::core::{ResourceType, WorkflowExecutionIdentifier};
    let dir = tempfile::tempdir()?;
    let state = dir.path().join("state");
    let first = TestAdmin::builder().state_file(&state).start().await?;
    let mut c = connect(&first).await?;
    common::register_project(&mut c, "ml").await?;
    common::register_basic(&mut c, "v1").await?;
    let lp = common::id(ResourceType::LaunchPlan, "wf", "v1");
    // No name: the test kit generates one, and the journal keeps it.
    let created = c
        .create_execution(common::exec_request(
            lp,
            "",
            common::lits(&[("x", common::int(7))]),
        ))
        .await?
        .into_inner()
        .id
        .ok_or("no id")?;
    assert_eq!(created.name.len(), 20);
    // A write refused is not kept.
    let refused = c
        .register_project(ProjectRegisterRequest {
            project: Some(Project {
                id: "ml".into(),
                name: "again".into(),
                ..Project::default()
            }),
        })
        .await;
    assert!(refused.is_err());
    first.shutdown().await;

    let second = TestAdmin::builder().state_file(&state).start().await?;
    let mut c = connect(&second).await?;
    let ids: Vec<String> = c
        .list_projects(ProjectListRequest::default())
        .await?
        .into_inner()
        .projects
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, ["flytesnacks", "ml"]);
    let again = c
        .get_execution(WorkflowExecutionGetRequest {
            id: Some(WorkflowExecutionIdentifier {
                project: created.project.clone(),
                domain: created.domain.clone(),
                name: created.name.clone(),
                org: String::new(),
            }),
        })
        .await?
        .into_inner();
    assert_eq!(again.id.map(|i| i.name), Some(created.name));
    Ok(())
}

#[tokio::test]
async fn a_state_file_that_is_not_a_journal_is_refused_naming_it() -> TestResult {
    let dir = tempfile::tempdir()?;
    let state = dir.path().join("state");
    let config = b"admin:\n  endpoint: dns:///localhost:30080\n";
    std::fs::write(&state, config)?;
    let err = TestAdmin::builder()
        .state_file(&state)
        .start()
        .await
        .expect_err("not a journal");
    assert!(
        err.to_string().contains(&state.display().to_string()),
        "{err}"
    );
    Ok(())
}

#[tokio::test]
async fn a_torn_last_entry_is_dropped_and_the_journal_goes_on_after_the_rest() -> TestResult {
    let dir = tempfile::tempdir()?;
    let state = dir.path().join("state");
    let first = TestAdmin::builder().state_file(&state).start().await?;
    common::register_project(&mut connect(&first).await?, "ml").await?;
    first.shutdown().await;
    // A kill in the middle of writing an entry: its length says more than is there.
    let mut bytes = std::fs::read(&state)?;
    bytes.extend_from_slice(&[0x40, 1, 2, 3]);
    std::fs::write(&state, &bytes)?;

    let second = TestAdmin::builder().state_file(&state).start().await?;
    common::register_project(&mut connect(&second).await?, "cv").await?;
    second.shutdown().await;
    let third = TestAdmin::builder().state_file(&state).start().await?;
    let ids: Vec<String> = connect(&third)
        .await?
        .list_projects(ProjectListRequest::default())
        .await?
        .into_inner()
        .projects
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, ["cv", "flytesnacks", "ml"], "sorted by id");
    Ok(())
}

#[tokio::test]
async fn starting_again_on_a_port_taken_meanwhile_is_an_error_naming_it() -> TestResult {
    let admin = TestAdmin::start().await?;
    admin.stop().await;
    let squatter = std::net::TcpListener::bind(admin.addr())?;
    let err = admin.start_again().await.expect_err("the port is taken");
    assert!(err.to_string().contains(&admin.addr().to_string()), "{err}");
    drop(squatter);
    admin.start_again().await?;
    connect(&admin)
        .await?
        .get_version(GetVersionRequest::default())
        .await?;
    Ok(())
}

/// Each execution is found by its own id, whichever order they were made in, after a refused
/// duplicate, after a replay, and in another domain under the same name.
#[tokio::test(start_paused = true)]
async fn executions_are_found_by_id_across_duplicates_and_a_replay() -> TestResult {
    use flyte_testkit::flyteidl::flyteidl::admin::WorkflowExecutionGetDataRequest;
    use flyte_testkit::flyteidl::flyteidl::core::{literal, primitive, scalar, ResourceType};
    let dir = tempfile::tempdir()?;
    let state = dir.path().join("state");
    /// Creates execution `name` in `domain` of flytesnacks with input x.
    async fn create(
        c: &mut common::Client,
        name: &str,
        x: i64,
        domain: &str,
    ) -> Result<(), tonic::Status> {
        let lp = common::id(ResourceType::LaunchPlan, "wf", "v1");
        let mut req = common::exec_request(lp, name, common::lits(&[("x", common::int(x))]));
        req.domain = domain.into();
        c.create_execution(req).await.map(|_| ())
    }
    async fn x(c: &mut common::Client, name: &str, domain: &str) -> Result<i64, tonic::Status> {
        let mut id = common::exec_id(name);
        id.domain = domain.into();
        let data = c
            .get_execution_data(WorkflowExecutionGetDataRequest { id: Some(id) })
            .await?
            .into_inner();
        let value = data
            .full_inputs
            .and_then(|m| m.literals.get("x").cloned())
            .and_then(|l| match l.value {
                Some(literal::Value::Scalar(s)) => s.value,
                _ => None,
            })
            .and_then(|s| match s {
                scalar::Value::Primitive(p) => p.value,
                _ => None,
            });
        match value {
            Some(primitive::Value::Integer(i)) => Ok(i),
            other => Err(tonic::Status::internal(format!("x is {other:?}"))),
        }
    }

    let first = TestAdmin::builder().state_file(&state).start().await?;
    let mut c = connect(&first).await?;
    common::register_basic(&mut c, "v1").await?;
    for (name, value) in [("c", 3), ("a", 1), ("b", 2)] {
        create(&mut c, name, value, "development").await?;
    }
    let taken = Err(Code::AlreadyExists);
    assert_eq!(
        create(&mut c, "a", 10, "development")
            .await
            .map_err(|e| e.code()),
        taken
    );
    create(&mut c, "a", 4, "staging").await?;
    assert_eq!(x(&mut c, "a", "development").await?, 1);
    first.shutdown().await;

    let second = TestAdmin::builder().state_file(&state).start().await?;
    let mut c = connect(&second).await?;
    // Still taken after the replay.
    assert_eq!(
        create(&mut c, "b", 20, "development")
            .await
            .map_err(|e| e.code()),
        taken
    );
    create(&mut c, "d", 5, "development").await?;
    for (name, domain, value) in [
        ("a", "development", 1),
        ("b", "development", 2),
        ("c", "development", 3),
        ("d", "development", 5),
        ("a", "staging", 4),
    ] {
        assert_eq!(x(&mut c, name, domain).await?, value, "{name} in {domain}");
    }
    let missing = x(&mut c, "e", "development").await.expect_err("never made");
    assert_eq!(missing.code(), Code::NotFound, "{missing}");
    Ok(())
}
