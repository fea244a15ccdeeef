//! The client against the test kit: construction, helpers, streams, retries, auth.

use std::collections::HashMap;
use std::time::Duration;

use flyte_admin_client::pb::admin;
use flyte_admin_client::pb::core::{self, workflow_execution::Phase};
use flyte_admin_client::{
    AdminClient, ExecutionId, Filters, LaunchPlanId, ListOptions, RetryPolicy, TaskId, WaitOptions,
    WorkflowId,
};
use flyte_testkit::{AuthSettings, Executors, Fault, TestAdmin};
use futures::TryStreamExt;

mod common;
use common::{client, TestResult};

const P: &str = "flytesnacks";
const D: &str = "development";

fn int_type() -> core::LiteralType {
    core::LiteralType {
        r#type: Some(core::literal_type::Type::Simple(
            core::SimpleType::Integer as i32,
        )),
        ..Default::default()
    }
}

fn int(v: i64) -> core::Literal {
    core::Literal {
        value: Some(core::literal::Value::Scalar(Box::new(core::Scalar {
            value: Some(core::scalar::Value::Primitive(core::Primitive {
                value: Some(core::primitive::Value::Integer(v)),
            })),
        }))),
        ..Default::default()
    }
}

fn iface() -> core::TypedInterface {
    let vars = |n: &str| core::VariableMap {
        variables: [(
            n.to_owned(),
            core::Variable {
                r#type: Some(int_type()),
                ..Default::default()
            },
        )]
        .into_iter()
        .collect(),
    };
    core::TypedInterface {
        inputs: Some(vars("x")),
        outputs: Some(vars("x")),
    }
}

/// Registers task `double`, workflow `wf` and launch plan `wf` at `version` through the client.
async fn register(
    c: &AdminClient,
    version: &str,
) -> Result<LaunchPlanId, Box<dyn std::error::Error>> {
    let task = TaskId::new(P, D, "double", version);
    c.create_task(
        &task,
        admin::TaskSpec {
            template: Some(core::TaskTemplate {
                r#type: "python-task".into(),
                metadata: Some(Default::default()),
                interface: Some(iface()),
                target: Some(core::task_template::Target::Container(core::Container {
                    image: "img".into(),
                    ..Default::default()
                })),
                ..Default::default()
            }),
            description: None,
        },
    )
    .await?;
    let wf = WorkflowId::new(P, D, "wf", version);
    let node = core::Node {
        id: "n0".into(),
        target: Some(core::node::Target::TaskNode(core::TaskNode {
            reference: Some(core::task_node::Reference::ReferenceId(task.to_pb())),
            overrides: None,
        })),
        ..Default::default()
    };
    c.create_workflow(
        &wf,
        admin::WorkflowSpec {
            template: Some(core::WorkflowTemplate {
                interface: Some(iface()),
                nodes: vec![node],
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await?;
    let lp = LaunchPlanId::new(P, D, "wf", version);
    c.create_launch_plan(
        &lp,
        admin::LaunchPlanSpec {
            workflow_id: Some(wf.to_pb()),
            ..Default::default()
        },
    )
    .await?;
    Ok(lp)
}

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
async fn unnamed_creates_are_never_repeated() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    admin.fail_next("CreateExecution", Fault::Unavailable, 1);
    let err = c
        .launch(&lp, None, HashMap::from([("x".to_owned(), int(1))]))
        .await
        .expect_err("no retry");
    assert!(err.is_transient());
    assert_eq!(admin.calls("CreateExecution"), 1);
    admin.fail_next("CreateExecution", Fault::Unavailable, 1);
    c.launch(
        &lp,
        Some("named"),
        HashMap::from([("x".to_owned(), int(1))]),
    )
    .await?;
    assert_eq!(
        admin.calls("CreateExecution"),
        3,
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
    assert!(err.is_invalid_argument(), "{err}");
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
async fn outputs_not_inline_come_from_the_signed_url() -> TestResult {
    use flyte_testkit::RemoteData;
    let admin = TestAdmin::builder()
        .remote_data(RemoteData::default().max_size_in_bytes(1).signed_urls(true))
        .start()
        .await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let id = c
        .launch(&lp, Some("big"), HashMap::from([("x".to_owned(), int(42))]))
        .await?;
    c.wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(30)))
        .await?;
    // FlyteAdmin's answer has no inline outputs, only a URL ...
    #[allow(deprecated)]
    let raw = c
        .admin_service()
        .get_execution_data(admin::WorkflowExecutionGetDataRequest {
            id: Some(id.to_pb()),
        })
        .await?
        .into_inner();
    assert!(raw.full_outputs.is_none());
    #[allow(deprecated)]
    let url = raw.outputs.map(|b| b.url).unwrap_or_default();
    assert!(url.contains("signature="), "{url}");
    // ... and the client reads the outputs from it.
    let (_, outputs) = c.execution_data(&id).await?;
    assert_eq!(outputs.literals["x"], int(42));

    // A failed download names the object, never the signature.
    use object_store::ObjectStoreExt as _;
    admin
        .store()
        .delete(&object_store::path::Path::from(
            "metadata/propeller/flytesnacks-development-big/end-node/data/0/outputs.pb",
        ))
        .await?;
    let err = c.execution_data(&id).await.expect_err("gone");
    let text = err.to_string();
    assert!(text.contains("end-node/data/0/outputs.pb"), "{text}");
    assert!(text.contains("404"), "{text}");
    assert!(!text.contains("signature"), "{text}");
    Ok(())
}

#[tokio::test]
async fn outputs_neither_inline_nor_signed_are_an_error_not_an_empty_map() -> TestResult {
    use flyte_testkit::RemoteData;
    let admin = TestAdmin::builder()
        .remote_data(RemoteData::default().max_size_in_bytes(1))
        .start()
        .await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let id = c
        .launch(&lp, None, HashMap::from([("x".to_owned(), int(1))]))
        .await?;
    c.wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(30)))
        .await?;
    let err = c.execution_data(&id).await.expect_err("no way to the data");
    assert_eq!(err.code(), flyte_admin_client::Code::Unavailable);
    assert!(err.message().contains("remoteData.maxSizeInBytes"), "{err}");
    assert!(
        err.message()
            .contains("s3://flyte-testkit/metadata/propeller/flytesnacks-development-")
            && err.message().contains("no blob store is configured"),
        "names where the outputs are and what is missing: {err}"
    );
    Ok(())
}

/// A test kit that returns no outputs inline and keeps `s3://flyte-testkit/...` in
/// `dir/flyte-testkit`, where a local FlyteStorage rooted at `dir` finds bucket flyte-testkit.
async fn kit_with_outputs_in_a_directory(
) -> Result<(tempfile::TempDir, TestAdmin), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let admin = TestAdmin::builder()
        .remote_data(flyte_testkit::RemoteData::default().max_size_in_bytes(1))
        .storage_dir(dir.path().join("flyte-testkit"))
        .start()
        .await?;
    Ok((dir, admin))
}

/// Registers the test workflow, runs execution `name` with `x` and waits for its end.
async fn run_to_the_end(
    c: &AdminClient,
    name: &str,
    x: i64,
) -> Result<ExecutionId, Box<dyn std::error::Error>> {
    let lp = register(c, "v1").await?;
    let id = c
        .launch(&lp, Some(name), HashMap::from([("x".to_owned(), int(x))]))
        .await?;
    c.wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(30)))
        .await?;
    Ok(id)
}

#[tokio::test]
async fn outputs_neither_inline_nor_signed_are_read_from_the_blob_store() -> TestResult {
    let (dir, admin) = kit_with_outputs_in_a_directory().await?;
    let c = AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .storage(flyte_storage::FlyteStorage::local(dir.path())?)
        .build()?;
    let id = run_to_the_end(&c, "stored", 7).await?;
    let (inputs, outputs) = c.execution_data(&id).await?;
    assert_eq!(outputs.literals["x"], int(7));
    assert_eq!(inputs.literals["x"], int(7), "inputs stay inline");

    // Gone from the store: the error names the object, not an empty map.
    std::fs::remove_file(
        dir.path()
            .join("flyte-testkit/metadata/propeller/flytesnacks-development-stored/end-node/data/0/outputs.pb"),
    )?;
    let err = c.execution_data(&id).await.expect_err("deleted");
    assert_eq!(err.code(), flyte_admin_client::Code::Unavailable);
    assert!(
        err.message()
            .contains("end-node/data/0/outputs.pb: not found"),
        "{err}"
    );
    Ok(())
}

/// A `LiteralMap` of raw `Literal` bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct RawMap {
    #[prost(map = "string, bytes", tag = "1")]
    literals: HashMap<String, Vec<u8>>,
}

#[tokio::test]
async fn offloaded_outputs_behind_a_signed_url_are_read_from_the_blob_store() -> TestResult {
    use object_store::ObjectStoreExt as _;
    use prost::Message as _;
    let dir = tempfile::tempdir()?;
    let admin = TestAdmin::builder()
        .remote_data(
            flyte_testkit::RemoteData::default()
                .max_size_in_bytes(1)
                .signed_urls(true),
        )
        .storage_dir(dir.path().join("flyte-testkit"))
        .start()
        .await?;
    let with_store = AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .storage(flyte_storage::FlyteStorage::local(dir.path())?)
        .build()?;
    let id = run_to_the_end(&with_store, "offloaded", 5).await?;
    // As propeller offloads a large output: the map holds a pointer, the value its own file.
    let store = admin.store();
    let path = |p: &str| object_store::path::Path::from(p);
    store
        .put(
            &path("offloaded/x.pb"),
            int(4_000_000_000).encode_to_vec().into(),
        )
        .await?;
    let pointer =
        flyte_storage::offloaded_literal("s3://flyte-testkit/offloaded/x.pb", 16, Some(int_type()));
    let outputs = RawMap {
        literals: HashMap::from([("x".to_owned(), pointer)]),
    };
    store
        .put(
            &path(
                "metadata/propeller/flytesnacks-development-offloaded/end-node/data/0/outputs.pb",
            ),
            outputs.encode_to_vec().into(),
        )
        .await?;
    let (_, outputs) = with_store.execution_data(&id).await?;
    assert_eq!(outputs.literals["x"], int(4_000_000_000));

    // Without a blob store the pointer cannot be followed: an error, not a literal with no value.
    let err = client(&admin)?
        .execution_data(&id)
        .await
        .expect_err("no store");
    assert!(
        err.message()
            .contains("offloaded literals, stored apart at s3://flyte-testkit/offloaded/x.pb")
            && err.message().contains("no blob store is configured"),
        "{err}"
    );
    Ok(())
}

/// A gRPC server on 127.0.0.1 whose only method is `GetExecutionData`, answering `answer` (the
/// encoded response) as it is: the test kit decodes what it stores with the `flyteidl` crate, so
/// it cannot hand out a literal with fields the crate lacks.
async fn execution_data_server(
    answer: Vec<u8>,
) -> Result<std::net::SocketAddr, Box<dyn std::error::Error>> {
    use tonic::codegen::http;

    /// Bytes in, bytes out.
    #[derive(Clone, Copy, Default)]
    struct Raw;
    impl tonic::codec::Codec for Raw {
        type Encode = Vec<u8>;
        type Decode = Vec<u8>;
        type Encoder = Raw;
        type Decoder = Raw;
        fn encoder(&mut self) -> Raw {
            Raw
        }
        fn decoder(&mut self) -> Raw {
            Raw
        }
    }
    impl tonic::codec::Encoder for Raw {
        type Item = Vec<u8>;
        type Error = tonic::Status;
        fn encode(
            &mut self,
            item: Vec<u8>,
            dst: &mut tonic::codec::EncodeBuf<'_>,
        ) -> Result<(), tonic::Status> {
            prost::bytes::BufMut::put_slice(dst, &item);
            Ok(())
        }
    }
    impl tonic::codec::Decoder for Raw {
        type Item = Vec<u8>;
        type Error = tonic::Status;
        fn decode(
            &mut self,
            src: &mut tonic::codec::DecodeBuf<'_>,
        ) -> Result<Option<Vec<u8>>, tonic::Status> {
            let n = prost::bytes::Buf::remaining(src);
            Ok(Some(prost::bytes::Buf::copy_to_bytes(src, n).to_vec()))
        }
    }

    #[derive(Clone)]
    struct Admin(Vec<u8>);
    impl tonic::server::NamedService for Admin {
        const NAME: &'static str = "flyteidl.service.AdminService";
    }
    impl tower::Service<http::Request<tonic::transport::Body>> for Admin {
        type Response = http::Response<tonic::body::BoxBody>;
        type Error = std::convert::Infallible;
        type Future = std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
        >;
        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Self::Error>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn call(&mut self, req: http::Request<tonic::transport::Body>) -> Self::Future {
            let answer = self.0.clone();
            Box::pin(async move {
                if req.uri().path() != "/flyteidl.service.AdminService/GetExecutionData" {
                    return Ok(tonic::Status::unimplemented("only GetExecutionData").to_http());
                }
                let reply = tower::service_fn(move |_: tonic::Request<Vec<u8>>| {
                    let answer = answer.clone();
                    async move { Ok::<_, tonic::Status>(tonic::Response::new(answer)) }
                });
                Ok(tonic::server::Grpc::new(Raw).unary(reply, req).await)
            })
        }
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let incoming = futures::stream::unfold(listener, |l| async move {
        Some((l.accept().await.map(|(s, _)| s), l))
    });
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(Admin(answer))
            .serve_with_incoming(incoming),
    );
    Ok(addr)
}

#[tokio::test]
async fn offloaded_outputs_inline_in_flyteadmins_answer_are_read_from_the_blob_store() -> TestResult
{
    use prost::Message as _;
    /// `WorkflowExecutionGetDataResponse` with its inline maps as raw bytes.
    #[derive(Clone, PartialEq, prost::Message)]
    struct Answer {
        #[prost(bytes = "vec", tag = "3")]
        full_inputs: Vec<u8>,
        #[prost(bytes = "vec", tag = "4")]
        full_outputs: Vec<u8>,
    }
    let dir = tempfile::tempdir()?;
    let storage = flyte_storage::FlyteStorage::local(dir.path())?;
    storage
        .put("s3://bucket/offloaded/big.pb", int(7).encode_to_vec())
        .await?;
    let outputs = RawMap {
        literals: HashMap::from([
            ("small".to_owned(), int(1).encode_to_vec()),
            (
                "big".to_owned(),
                flyte_storage::offloaded_literal("s3://bucket/offloaded/big.pb", 16, None),
            ),
        ]),
    };
    let answer = Answer {
        full_inputs: RawMap {
            literals: HashMap::from([("x".to_owned(), int(1).encode_to_vec())]),
        }
        .encode_to_vec(),
        full_outputs: outputs.encode_to_vec(),
    };
    let addr = execution_data_server(answer.encode_to_vec()).await?;
    let id = ExecutionId::new("flytesnacks", "development", "inline");
    let with_store = AdminClient::builder()
        .endpoint(addr.to_string())
        .insecure(true)
        .storage(storage)
        .build()?;
    let (_, got) = with_store.execution_data(&id).await?;
    assert_eq!(got.literals["small"], int(1));
    assert_eq!(
        got.literals["big"],
        int(7),
        "resolved, not a literal with no value"
    );
    let without = AdminClient::builder()
        .endpoint(addr.to_string())
        .insecure(true)
        .build()?;
    let err = without.execution_data(&id).await.expect_err("no store");
    assert!(
        err.message()
            .contains("stored apart at s3://bucket/offloaded/big.pb"),
        "{err}"
    );
    Ok(())
}

#[tokio::test]
async fn the_configs_storage_section_is_where_large_outputs_are_read() -> TestResult {
    let (dir, admin) = kit_with_outputs_in_a_directory().await?;
    let endpoint = admin.addr();
    let config = |storage: &str| {
        flyte_config::Config::from_yaml_str(&format!(
            "admin:\n  endpoint: dns:///{endpoint}\n  insecure: true\nstorage:\n{storage}"
        ))
    };
    let local = format!(
        "  type: stow\n  stow:\n    kind: local\n    config:\n      path: {}\n",
        dir.path().display()
    );
    let c = AdminClient::from_config(&config(&local)?)?;
    let id = run_to_the_end(&c, "cfg", 3).await?;
    assert_eq!(c.execution_data(&id).await?.1.literals["x"], int(3));

    // A storage section this build cannot use: the client still works, and the error comes
    // when the blob store is needed, saying what is wrong with the section.
    let c = AdminClient::from_config(&config("  type: local\n")?)?;
    let err = c.execution_data(&id).await.expect_err("no usable store");
    assert!(
        err.message().contains("storage section cannot be used")
            && err.message().contains("storage.stow.config.path"),
        "{err}"
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
