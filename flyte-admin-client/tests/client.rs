//! The client against the test kit: construction, helpers, streams, retries, auth.

use std::collections::HashMap;
use std::time::Duration;

use flyte_admin_client::pb::admin;
use flyte_admin_client::pb::core::{self, workflow_execution::Phase};
use flyte_admin_client::{
    AdminClient, ExecutionId, Filters, ListOptions, RetryPolicy, TaskId, WaitOptions,
};
use flyte_testkit::{AuthSettings, Executors, Fault, TestAdmin};
use futures::TryStreamExt;

mod common;
use common::{client, int, register, TestResult, D, P};

#[tokio::test]
async fn builds_from_flytectl_config_and_talks_to_flyteadmin() -> TestResult {
    let admin = TestAdmin::start().await?;
    let config = flyte_config::Config::from_yaml_str(&admin.config_yaml())?;
    let c = AdminClient::from_config(&config)?;
    assert!(c.version().await?.starts_with("flyte-testkit"));
    let projects: Vec<admin::Project> = c.list_projects(&ListOptions::new()).try_collect().await?;
    assert_eq!(projects[0].id, "flytesnacks");
    fn shared<T: Clone + Send + Sync + 'static>() {}
    shared::<AdminClient>();
    Ok(())
}

#[tokio::test]
async fn projects_register_archive_activate() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    c.register_project(admin::Project {
        id: "ml".into(),
        name: "ML".into(),
        ..Default::default()
    })
    .await?;
    let err = c
        .register_project(admin::Project {
            id: "Bad_Id".into(),
            name: "x".into(),
            ..Default::default()
        })
        .await
        .expect_err("bad id");
    assert!(err.is_invalid_argument());
    assert!(
        err.to_string().starts_with(&format!(
            "RegisterProject on {}: INVALID_ARGUMENT: invalid project id",
            admin.addr()
        )),
        "{err}"
    );
    c.archive_project("ml").await?;
    let ids = |ps: Vec<admin::Project>| ps.into_iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!(
        ids(c.list_projects(&ListOptions::new()).try_collect().await?),
        ["flytesnacks"]
    );
    c.activate_project("ml").await?;
    assert_eq!(
        ids(c.list_projects(&ListOptions::new()).try_collect().await?),
        ["flytesnacks", "ml"]
    );
    assert!(c
        .get_project("nope")
        .await
        .expect_err("missing")
        .is_not_found());
    Ok(())
}

#[tokio::test]
async fn lists_stream_every_page() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    for v in 1..=7 {
        register(&c, &format!("v{v}")).await?;
    }
    let opts = ListOptions::new().page_size(2);
    let tasks: Vec<admin::Task> = c
        .list_tasks(P, D, Some("double"), &opts)
        .try_collect()
        .await?;
    assert_eq!(tasks.len(), 7);
    assert_eq!(admin.calls("ListTasks"), 4, "pages of 2: 2+2+2+1");
    let sizes: Vec<usize> = c
        .list_tasks(P, D, Some("double"), &opts)
        .pages()
        .map_ok(|p| p.len())
        .try_collect()
        .await?;
    assert_eq!(sizes, [2, 2, 2, 1]);
    let before_bad = admin.calls("ListTasks");
    let newest: Vec<admin::LaunchPlan> = c
        .list_launch_plans(
            P,
            D,
            None,
            &ListOptions::new()
                .sort_by("version", true)
                .filters(Filters::new().value_in("version", ["v2", "v5"])),
        )
        .try_collect()
        .await?;
    let versions: Vec<String> = newest
        .into_iter()
        .filter_map(|l| l.id.map(|i| i.version))
        .collect();
    assert_eq!(versions, ["v5", "v2"]);
    let bad: Result<Vec<admin::Task>, _> = c
        .list_tasks(
            P,
            D,
            None,
            &ListOptions::new().filters(Filters::new().eq("name", "a+b")),
        )
        .try_collect()
        .await;
    let err = bad.expect_err("plus in a value");
    assert!(err.message().contains("'+'"), "{err}");
    assert_eq!(
        admin.calls("ListTasks"),
        before_bad,
        "refused before sending"
    );
    Ok(())
}

#[tokio::test]
async fn launch_wait_and_read_data() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::succeed_after(Duration::from_millis(50)))
        .start()
        .await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    c.activate_launch_plan(&lp).await?;
    assert_eq!(
        c.get_active_launch_plan(P, D, "wf")
            .await?
            .id
            .map(|i| i.version)
            .as_deref(),
        Some("v1")
    );
    let id = c
        .launch(
            &lp,
            Some("Run-One"),
            HashMap::from([("x".to_owned(), int(21))]),
        )
        .await?;
    assert_eq!(id, ExecutionId::new(P, D, "run-one"));
    let done = c
        .wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(30)))
        .await?;
    assert_eq!(done.closure.map(|c| c.phase), Some(Phase::Succeeded as i32));
    let (inputs, outputs) = c.execution_data(&id).await?;
    assert_eq!(inputs.literals["x"], int(21));
    assert_eq!(outputs.literals["x"], int(21));
    let nodes: Vec<admin::NodeExecution> = c
        .list_node_executions(&id, None, &ListOptions::new())
        .try_collect()
        .await?;
    assert_eq!(nodes.len(), 3);
    let err = c
        .launch(&lp, Some("bad_name"), HashMap::new())
        .await
        .expect_err("name");
    assert!(err.message().contains("does not match regex"), "{err}");
    assert_eq!(
        admin.calls("CreateExecution"),
        1,
        "bad names never leave the client"
    );
    assert!(c
        .console_url(&id)
        .ends_with("/console/projects/flytesnacks/domains/development/executions/run-one"));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn wait_gives_up_at_its_timeout() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::hang())
        .start()
        .await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let id = c
        .launch(&lp, None, HashMap::from([("x".to_owned(), int(1))]))
        .await?;
    let err = c
        .wait_for_execution(&id, WaitOptions::timeout(Duration::from_millis(300)))
        .await
        .expect_err("hangs");
    assert!(err.is_timeout(), "{err}");
    c.terminate_execution(&id, "test over").await?;
    let done = c
        .wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(30)))
        .await?;
    assert_eq!(done.closure.map(|c| c.phase), Some(Phase::Aborted as i32));
    let err = c
        .terminate_execution(&id, "again")
        .await
        .expect_err("ended");
    assert!(err.is_failed_precondition());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_wait_with_no_practical_limit_does_not_panic() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::succeed_after(Duration::from_secs(90)))
        .start()
        .await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let id = c
        .launch(&lp, None, HashMap::from([("x".to_owned(), int(1))]))
        .await?;
    // `Duration::MAX` cannot be added to the clock: it means "no deadline", not a panic.
    let done = c
        .wait_for_execution(&id, WaitOptions::timeout(Duration::MAX))
        .await?;
    assert_eq!(done.closure.map(|c| c.phase), Some(Phase::Succeeded as i32));
    Ok(())
}

#[tokio::test]
async fn transient_errors_are_retried_and_others_are_not() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    admin.fail_next("GetVersion", Fault::Unavailable, 2);
    c.version().await?;
    assert_eq!(admin.calls("GetVersion"), 3);
    admin.fail_next("GetVersion", Fault::Unavailable, 10);
    let err = c.version().await.expect_err("gives up");
    assert!(err.is_transient());
    assert_eq!(
        admin.calls("GetVersion"),
        3 + 5,
        "max_retries 4: five attempts"
    );
    assert!(c.get_project("nope").await.is_err());
    assert_eq!(admin.calls("GetProject"), 1, "NOT_FOUND is not retried");
    Ok(())
}

#[tokio::test]
async fn unnamed_creates_are_named_by_the_client_so_a_repeat_cannot_double() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    admin.fail_next("CreateExecution", Fault::Unavailable, 1);
    let id = c
        .launch(&lp, None, HashMap::from([("x".to_owned(), int(1))]))
        .await?;
    assert_eq!(id.name.len(), 20, "named as FlyteAdmin names: {id}");
    assert_eq!(admin.calls("CreateExecution"), 2, "retried under that name");
    let raw = admin::ExecutionCreateRequest {
        project: lp.project.clone(),
        domain: lp.domain.clone(),
        spec: c.get_execution(&id).await?.spec,
        ..Default::default()
    };
    admin.fail_next("CreateExecution", Fault::Unavailable, 1);
    let err = c
        .admin_service()
        .create_execution(raw)
        .await
        .expect_err("an unnamed raw create is not repeated");
    assert_eq!(err.code(), tonic::Code::Unavailable);
    assert_eq!(admin.calls("CreateExecution"), 3);
    admin.fail_next("CreateExecution", Fault::Unavailable, 1);
    c.launch(
        &lp,
        Some("named"),
        HashMap::from([("x".to_owned(), int(1))]),
    )
    .await?;
    assert_eq!(
        admin.calls("CreateExecution"),
        5,
        "a named create is retried"
    );
    Ok(())
}

#[tokio::test]
async fn five_hundred_calls_through_thirty_percent_faults() -> TestResult {
    let admin = TestAdmin::builder().random_faults(0.3, 7).start().await?;
    let c = AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .retry(
            RetryPolicy::default()
                .max_retries(12)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()?;
    let lp = register(&c, "v1").await?;
    let mut launched = Vec::new();
    for i in 0..125 {
        let id = c
            .launch(
                &lp,
                Some(&format!("run-{i}")),
                HashMap::from([("x".to_owned(), int(i))]),
            )
            .await?;
        c.get_execution(&id).await?;
        c.execution_data(&id).await?;
        c.version().await?;
        launched.push(id);
    }
    let listed: Vec<admin::Execution> = c
        .list_executions(P, D, &ListOptions::new().page_size(50))
        .try_collect()
        .await?;
    let mut names: Vec<String> = listed
        .into_iter()
        .filter_map(|e| e.id.map(|i| i.name))
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 125, "every launch once, none twice");
    let calls = admin.all_calls();
    let total: u64 = calls.values().sum();
    assert!(
        total > 500,
        "retries happened: {total} calls for 500+ requests"
    );
    Ok(())
}

#[tokio::test]
async fn logs_in_when_the_server_asks() -> TestResult {
    let admin = TestAdmin::builder()
        .auth(AuthSettings::default().client("robot", "s3cret"))
        .start()
        .await?;
    let dir = tempfile::tempdir()?;
    let c = common::robot_client(&admin, "s3cret", dir.path()).await?;
    assert!(c.version().await?.starts_with("flyte-testkit"));
    assert_eq!(admin.token_requests("client_credentials"), 1);

    let no_secret = flyte_config::Config::from_yaml_str(&format!(
        "admin:\n  endpoint: dns:///{}\n  insecure: true\n  authType: ClientSecret\n  clientSecretLocation: /nonexistent/secret\n",
        admin.addr()
    ))?;
    let c = AdminClient::from_config(&no_secret)?;
    let err = c.version().await.expect_err("cannot log in");
    assert!(err.is_unauthenticated());
    assert!(err.message().contains("the config cannot log in"), "{err}");
    assert!(err.message().contains("/nonexistent/secret"), "{err}");
    let cause = std::error::Error::source(&err).ok_or("the login problem is the source")?;
    assert!(cause.to_string().contains("/nonexistent/secret"), "{cause}");
    Ok(())
}

#[tokio::test]
async fn json_inputs_are_checked_before_sending() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let inputs = serde_json::json!({"x": 4});
    let id = c
        .execute_launch_plan(&lp, None, inputs.as_object().ok_or("object")?)
        .await?;
    c.wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(30)))
        .await?;
    let (_, outputs) = c.execution_data(&id).await?;
    assert_eq!(
        flyte_admin_client::literals::literal_map_to_json(&outputs),
        serde_json::json!({"x": 4})
    );

    let bad = serde_json::json!({"x": "four"});
    let err = c
        .execute_launch_plan(&lp, None, bad.as_object().ok_or("object")?)
        .await
        .expect_err("bad input");
    assert!(
        err.message()
            .contains("inputs.x: expected an integer, found \"four\""),
        "{err}"
    );
    assert_eq!(
        admin.calls("CreateExecution"),
        1,
        "bad inputs never reach the server"
    );

    let spec =
        flyte_config::ExecSpec::from_yaml_str("task: double\nversion: v1\ninputs:\n  x: 9\n")?;
    let id = c.execute_spec(&spec, P, D, Some("from-file")).await?;
    c.wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(30)))
        .await?;
    let (inputs, _) = c.execution_data(&id).await?;
    assert_eq!(inputs.literals["x"], int(9));
    Ok(())
}

#[tokio::test]
async fn inspects_versions_names_and_the_tree_of_an_execution() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::succeed_after(Duration::from_millis(20)))
        .start()
        .await?;
    let c = client(&admin)?;
    register(&c, "v1").await?;
    let lp = register(&c, "v2").await?;

    let latest = c.latest_task(P, D, "double").await?;
    assert_eq!(latest.id.map(|i| i.version).as_deref(), Some("v2"));
    let latest = c.latest_workflow(P, D, "wf").await?;
    assert_eq!(latest.id.map(|i| i.version).as_deref(), Some("v2"));
    let latest = c.latest_launch_plan(P, D, "wf").await?;
    assert_eq!(latest.id.map(|i| i.version).as_deref(), Some("v2"));
    let err = c.latest_task(P, D, "missing").await.expect_err("none");
    assert!(err.is_not_found(), "{err}");
    assert!(
        err.message().contains("flytesnacks/development/missing"),
        "{err}"
    );

    let names: Vec<String> = c
        .list_task_names(P, D, &ListOptions::new())
        .map_ok(|n| n.name)
        .try_collect()
        .await?;
    assert_eq!(names, ["double"], "one name for two versions");
    let names: Vec<String> = c
        .list_launch_plan_names(P, D, &ListOptions::new())
        .map_ok(|n| n.name)
        .try_collect()
        .await?;
    assert_eq!(names, ["wf"]);
    let entity = c
        .get_named_entity(core::ResourceType::Workflow, P, D, "wf")
        .await?;
    assert_eq!(entity.id.map(|i| i.name).as_deref(), Some("wf"));
    c.update_named_entity(
        core::ResourceType::Workflow,
        P,
        D,
        "wf",
        admin::NamedEntityMetadata {
            description: "the demo".into(),
            ..Default::default()
        },
    )
    .await?;
    c.archive_named_entity(core::ResourceType::Workflow, P, D, "wf", true)
        .await?;
    let meta = c
        .get_named_entity(core::ResourceType::Workflow, P, D, "wf")
        .await?
        .metadata
        .unwrap_or_default();
    assert_eq!(
        meta.state,
        admin::NamedEntityState::NamedEntityArchived as i32
    );
    assert_eq!(
        meta.description, "the demo",
        "archiving keeps the description"
    );
    c.archive_named_entity(core::ResourceType::Workflow, P, D, "wf", false)
        .await?;
    assert!(c
        .console_entity_url(core::ResourceType::LaunchPlan, P, D, "wf")
        .ends_with("/console/projects/flytesnacks/domains/development/launch_plans/wf"));

    // A version with a description entity.
    let documented = TaskId::new(P, D, "documented", "v1");
    let mut spec = c.get_task(&TaskId::new(P, D, "double", "v1")).await?;
    let template = spec
        .closure
        .take()
        .and_then(|cl| cl.compiled_task)
        .and_then(|t| t.template);
    c.create_task(
        &documented,
        admin::TaskSpec {
            template,
            description: Some(admin::DescriptionEntity {
                short_description: "doubles x".into(),
                ..Default::default()
            }),
        },
    )
    .await?;
    let mut desc_id = documented.to_pb();
    desc_id.resource_type = core::ResourceType::Task as i32;
    let desc = c.get_description_entity(&desc_id).await?;
    assert_eq!(desc.short_description, "doubles x");
    let listed: Vec<admin::DescriptionEntity> = c
        .list_description_entities(
            core::ResourceType::Task,
            P,
            D,
            "documented",
            &ListOptions::new(),
        )
        .try_collect()
        .await?;
    assert_eq!(listed, [desc]);

    let id = c
        .launch(
            &lp,
            Some("inspect"),
            HashMap::from([("x".to_owned(), int(4))]),
        )
        .await?;
    c.wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(30)))
        .await?;
    let tree = c.execution_tree(&id).await?;
    let n0 = tree
        .iter()
        .find(|t| t.node.id.as_ref().is_some_and(|i| i.node_id == "n0"))
        .ok_or("node n0 in the tree")?;
    assert_eq!(n0.task_executions.len(), 1, "{n0:?}");
    let node_id = n0.node.id.clone().ok_or("node id")?;
    assert_eq!(c.get_node_execution(&node_id).await?, n0.node);
    let (inputs, outputs) = c.node_execution_data(&node_id).await?;
    assert_eq!(
        (inputs.literals["x"].clone(), outputs.literals["x"].clone()),
        (int(4), int(4))
    );
    let task_exec_id = n0.task_executions[0]
        .id
        .clone()
        .ok_or("task execution id")?;
    assert_eq!(
        c.get_task_execution(&task_exec_id).await?,
        n0.task_executions[0]
    );
    let (_, outputs) = c.task_execution_data(&task_exec_id).await?;
    assert_eq!(outputs.literals["x"], int(4));
    let err = c
        .dynamic_node_workflow(&node_id)
        .await
        .expect_err("not dynamic");
    // FlyteAdmin: NOT_FOUND, "node does not contain dynamic workflow".
    assert!(err.is_not_found(), "{err}");
    let err = c
        .create_download_link(&node_id, Duration::from_secs(60))
        .await
        .expect_err("the simulated task renders no deck");
    assert!(err.is_not_found(), "{err}");

    let span = c.execution_metrics(&id, 2).await?;
    assert!(
        span.start_time.is_some() && span.end_time.is_some(),
        "{span:?}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn watch_yields_each_phase_once_and_ends_at_the_terminal_one() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::succeed_after(Duration::from_millis(300)))
        .start()
        .await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let id = c
        .launch(&lp, None, HashMap::from([("x".to_owned(), int(3))]))
        .await?;
    let mut options = WaitOptions::timeout(Duration::from_secs(30));
    options.initial_interval = Duration::from_millis(10);
    options.max_interval = Duration::from_millis(20);
    let phases: Vec<i32> = c
        .watch_execution(&id, options)
        .map_ok(|e| e.closure.map_or(0, |c| c.phase))
        .try_collect()
        .await?;
    assert_eq!(
        phases.last(),
        Some(&(Phase::Succeeded as i32)),
        "{phases:?}"
    );
    assert!(phases.contains(&(Phase::Running as i32)), "{phases:?}");
    assert!(
        phases.windows(2).all(|w| w[0] != w[1]),
        "one item per change: {phases:?}"
    );
    assert!(
        admin.calls("GetExecution") > u64::try_from(phases.len())?,
        "polled more often than it yielded"
    );
    Ok(())
}

#[tokio::test]
async fn agents_are_listed_and_fetched_by_name() -> TestResult {
    let agent = admin::Agent {
        name: "sensor".into(),
        is_sync: false,
        supported_task_categories: vec![admin::TaskCategory {
            name: "sensor".into(),
            version: 0,
        }],
        ..Default::default()
    };
    let admin = TestAdmin::builder().agents([agent.clone()]).start().await?;
    let c = client(&admin)?;
    assert_eq!(c.list_agents().await?, std::slice::from_ref(&agent));
    assert_eq!(c.get_agent("sensor").await?, agent);
    let err = c.get_agent("bigquery").await.expect_err("unknown");
    assert!(
        err.is_not_found() && err.message().contains("bigquery"),
        "{err}"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn slow_attempts_are_cut_off_and_retried_within_the_overall_deadline() -> TestResult {
    let admin = TestAdmin::start().await?;
    let policy = RetryPolicy::default()
        .initial_backoff(Duration::from_millis(1))
        .per_attempt_timeout(Duration::from_millis(100));
    let c = AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .retry(policy)
        .build()?;
    // Two attempts that would hang for a minute: each is cut at 100 ms and retried.
    admin.fail_next(
        "GetVersion",
        Fault::DeadlineExceeded(Duration::from_secs(60)),
        2,
    );
    tokio::time::timeout(Duration::from_secs(20), c.version()).await??;
    assert_eq!(admin.calls("GetVersion"), 3);

    // With every attempt hanging, the overall deadline ends the retries early.
    let c = AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .retry(
            policy
                .max_retries(10)
                .overall_timeout(Duration::from_millis(350)),
        )
        .build()?;
    admin.fail_next(
        "GetProject",
        Fault::DeadlineExceeded(Duration::from_secs(60)),
        100,
    );
    let err = tokio::time::timeout(Duration::from_secs(20), c.get_project("flytesnacks"))
        .await?
        .expect_err("every attempt hangs");
    assert!(err.is_timeout(), "{err}");
    assert!(err.message().contains("perRetryTimeout"), "{err}");
    let attempts = admin.calls("GetProject");
    assert!(
        (1..=4).contains(&attempts),
        "the 350 ms deadline allows a few 100 ms attempts, not 11: {attempts}"
    );
    Ok(())
}
