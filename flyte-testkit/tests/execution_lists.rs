//! Listing executions as FlyteAdmin does: names and phases in `value_in`/`value_not_in`, times
//! compared, sorting both ways, offset page tokens while executions change phase; and the count
//! of calls on the HTTP port.

mod common;

use common::*;
use flyte_testkit::flyteidl::flyteidl::admin::{self, sort, ResourceListRequest, Sort};
use flyte_testkit::flyteidl::flyteidl::core::ResourceType;
use flyte_testkit::{Executors, TestAdmin};

fn list(
    filters: &str,
    sort_by: Option<(&str, sort::Direction)>,
    limit: u32,
) -> ResourceListRequest {
    ResourceListRequest {
        id: Some(admin::NamedEntityIdentifier {
            project: P.into(),
            domain: D.into(),
            ..Default::default()
        }),
        limit,
        filters: filters.into(),
        sort_by: sort_by.map(|(key, direction)| Sort {
            key: key.into(),
            direction: direction as i32,
        }),
        ..Default::default()
    }
}

fn names(l: &admin::ExecutionList) -> Vec<String> {
    l.executions
        .iter()
        .map(|e| e.id.as_ref().map(|i| i.name.clone()).unwrap_or_default())
        .collect()
}

/// Starts `e0`..`e{n-1}` in that order.
async fn launch(
    admin: &TestAdmin,
    c: &mut Client,
    n: usize,
) -> Result<Vec<admin::Execution>, Box<dyn std::error::Error>> {
    register_basic(c, "v1").await?;
    let lp = id(ResourceType::LaunchPlan, "wf", "v1");
    let mut out = Vec::new();
    for i in 0..n {
        let name = format!("e{i}");
        c.create_execution(exec_request(lp.clone(), &name, lits(&[("x", int(1))])))
            .await?;
        out.push(admin.execution(&exec_id(&name)).ok_or("gone")?);
    }
    Ok(out)
}

async fn get(
    c: &mut Client,
    filters: &str,
    sort_by: Option<(&str, sort::Direction)>,
) -> Result<Vec<String>, tonic::Status> {
    Ok(names(
        &c.list_executions(list(filters, sort_by, 10))
            .await?
            .into_inner(),
    ))
}

fn created(e: &admin::Execution) -> String {
    e.closure
        .as_ref()
        .and_then(|c| c.created_at.clone())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn names_phases_and_times_filter_and_sort_both_ways() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::hang())
        .start()
        .await?;
    let mut c = connect(&admin).await?;
    let all = launch(&admin, &mut c, 3).await?;
    let t1 = created(&all[1]);
    let asc = Some(("execution_name", sort::Direction::Ascending));
    assert_eq!(
        get(&mut c, "value_in(execution_name,e0;e2)", asc).await?,
        ["e0", "e2"]
    );
    assert_eq!(
        get(&mut c, "value_not_in(execution_name,e0;e2)", asc).await?,
        ["e1"]
    );
    assert_eq!(
        get(&mut c, "value_in(phase,RUNNING;QUEUED)", asc)
            .await?
            .len(),
        3
    );
    assert!(get(&mut c, "value_not_in(phase,RUNNING;QUEUED)", asc)
        .await?
        .is_empty());
    for (filter, want) in [
        (format!("gte(execution_created_at,{t1})"), vec!["e1", "e2"]),
        (format!("gt(execution_created_at,{t1})"), vec!["e2"]),
        (format!("lte(execution_created_at,{t1})"), vec!["e0", "e1"]),
        (format!("lt(execution_created_at,{t1})"), vec!["e0"]),
        (format!("gte(created_at,{t1})"), vec!["e1", "e2"]),
    ] {
        assert_eq!(get(&mut c, &filter, asc).await?, want, "{filter}");
    }
    // Not updated since created: the update time orders them the same way.
    let u1 = all[1]
        .closure
        .as_ref()
        .and_then(|c| c.updated_at.clone())
        .unwrap_or_default();
    assert_eq!(
        get(&mut c, &format!("lt(execution_updated_at,{u1})"), asc).await?,
        ["e0"]
    );
    for key in [
        "execution_created_at",
        "created_at",
        "execution_updated_at",
        "updated_at",
    ] {
        assert_eq!(
            get(&mut c, "", Some((key, sort::Direction::Ascending))).await?,
            ["e0", "e1", "e2"],
            "{key}"
        );
        assert_eq!(
            get(&mut c, "", Some((key, sort::Direction::Descending))).await?,
            ["e2", "e1", "e0"],
            "{key}"
        );
    }
    let err = c
        .list_executions(ResourceListRequest {
            sort_by: Some(Sort {
                key: "created_at".into(),
                direction: 7,
            }),
            ..list("", None, 10)
        })
        .await
        .expect_err("no such direction");
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(
        err.message().starts_with("invalid sort order specified"),
        "{err:?}"
    );
    Ok(())
}

/// FlyteAdmin's token is the offset of the next page in the query, run again for each page.
/// An execution that stops matching between two pages shifts the rest forward by one: with a
/// phase filter, the page after it skips a row. Filtered on names (which never change) and
/// sorted on the name, the pages stay whole.
#[tokio::test]
async fn page_tokens_are_offsets_into_the_query_run_again() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::hang())
        .start()
        .await?;
    let mut c = connect(&admin).await?;
    launch(&admin, &mut c, 6).await?;
    for e in 0..6 {
        admin
            .wait_for_phase(
                &exec_id(&format!("e{e}")),
                flyte_testkit::flyteidl::flyteidl::core::workflow_execution::Phase::Running,
            )
            .await
            .ok_or("gone")?;
    }
    let asc = Some(("execution_name", sort::Direction::Ascending));
    let by_phase = |token: &str| ResourceListRequest {
        token: token.into(),
        ..list("eq(phase,RUNNING)", asc, 2)
    };
    let by_name = |token: &str| ResourceListRequest {
        token: token.into(),
        ..list("value_in(execution_name,e0;e1;e2;e3;e4;e5)", asc, 2)
    };
    let first = c.list_executions(by_phase("")).await?.into_inner();
    assert_eq!(
        (names(&first), first.token.as_str()),
        (vec!["e0".to_owned(), "e1".to_owned()], "2")
    );
    let named_first = c.list_executions(by_name("")).await?.into_inner();
    assert_eq!(named_first.token, "2");

    // e0 ends between the pages.
    c.terminate_execution(admin::ExecutionTerminateRequest {
        id: Some(exec_id("e0")),
        cause: "test".into(),
    })
    .await?;
    admin
        .wait_for_terminal(&exec_id("e0"))
        .await
        .ok_or("gone")?;

    let second = c
        .list_executions(by_phase(&first.token))
        .await?
        .into_inner();
    assert_eq!(
        names(&second),
        ["e3", "e4"],
        "e2 moved to offset 1: skipped"
    );
    let named_second = c
        .list_executions(by_name(&named_first.token))
        .await?
        .into_inner();
    assert_eq!(names(&named_second), ["e2", "e3"]);
    Ok(())
}

#[tokio::test]
async fn the_http_port_counts_calls_per_method() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    for _ in 0..2 {
        c.list_executions(list("", None, 1)).await?;
    }
    admin.fail_next("GetExecution", flyte_testkit::Fault::Unavailable, 1);
    c.get_execution(admin::WorkflowExecutionGetRequest {
        id: Some(exec_id("nope")),
    })
    .await
    .expect_err("a fault");
    let url = format!("{}/testkit/calls", admin.http_endpoint());
    let response = hyper::Client::new().get(url.parse()?).await?;
    assert_eq!(response.status(), hyper::StatusCode::OK);
    assert_eq!(
        response.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );
    let body = hyper::body::to_bytes(response.into_body()).await?;
    let calls: std::collections::HashMap<String, u64> = serde_json::from_slice(&body)?;
    assert_eq!(calls.get("ListExecutions"), Some(&2));
    assert_eq!(calls.get("GetExecution"), Some(&1), "faults count too");
    assert_eq!(calls, admin.all_calls());
    Ok(())
}
