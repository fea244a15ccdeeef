//! Executions: names, input merging, phases under an executor, data, terminate, relaunch, recover.

mod common;

use std::time::Duration;

use common::*;
use flyte_testkit::flyteidl::flyteidl::admin::{
    self, execution_closure::OutputResult, execution_metadata::ExecutionMode, ExecutionState,
    ResourceListRequest, WorkflowExecutionGetDataRequest, WorkflowExecutionGetRequest,
};
use flyte_testkit::flyteidl::flyteidl::core::{
    node_execution, task_execution, workflow_execution::Phase, ResourceType, SimpleType,
};
use flyte_testkit::{Executors, Plan, TestAdmin};
use prost::Message;
use tonic::Code;

fn lp() -> flyte_testkit::flyteidl::flyteidl::core::Identifier {
    id(ResourceType::LaunchPlan, "wf", "v1")
}

async fn setup(executor: Executors) -> Result<(TestAdmin, Client), Box<dyn std::error::Error>> {
    let admin = TestAdmin::builder().executor(executor).start().await?;
    let mut c = connect(&admin).await?;
    register_basic(&mut c, "v1").await?;
    Ok((admin, c))
}

#[tokio::test]
async fn an_execution_runs_to_success_with_echoed_outputs() -> TestResult {
    let (admin, mut c) = setup(Executors::default()).await?;
    let created = c
        .create_execution(exec_request(lp(), "", lits(&[("x", int(21))])))
        .await?
        .into_inner();
    let id = created.id.ok_or("no id")?;
    assert_eq!(id.name.len(), 20, "generated names are 20 characters");
    assert!(id.name.starts_with('a'));
    assert!(
        id.name[1..]
            .bytes()
            .all(|b| b"bcdfghjklmnpqrstvwxz2456789".contains(&b)),
        "{}",
        id.name
    );

    let done = admin.wait_for_terminal(&id).await.ok_or("gone")?;
    let closure = done.closure.ok_or("no closure")?;
    assert_eq!(closure.phase, Phase::Succeeded as i32);
    assert!(closure.started_at.is_some() && closure.duration.is_some());
    let Some(OutputResult::Outputs(blob)) = closure.output_result else {
        return Err("no outputs uri".into());
    };
    let Some(admin::literal_map_blob::Data::Uri(uri)) = blob.data else {
        return Err("no uri".into());
    };
    assert!(
        uri.starts_with("s3://flyte-testkit/metadata/propeller/flytesnacks-development-"),
        "{uri}"
    );
    let stored = admin
        .blob(&uri)
        .await
        .ok_or("outputs not written to the store")?;
    let from_store =
        flyte_testkit::flyteidl::flyteidl::core::LiteralMap::decode(stored.as_slice())?;

    let data = c
        .get_execution_data(WorkflowExecutionGetDataRequest {
            id: Some(id.clone()),
        })
        .await?
        .into_inner();
    let inputs = data.full_inputs.ok_or("no inputs")?;
    assert_eq!(inputs.literals["x"], int(21));
    assert_eq!(
        inputs.literals["greeting"],
        string("hi"),
        "launch plan default filled in"
    );
    let outputs = data.full_outputs.ok_or("no outputs")?;
    assert_eq!(
        outputs.literals["y"],
        int(0),
        "no input named y: a typed zero"
    );
    assert_eq!(
        outputs.literals["greeting"],
        string("hi"),
        "same name and type: echoed"
    );
    assert_eq!(outputs, from_store);
    Ok(())
}

#[tokio::test]
async fn node_and_task_executions_are_recorded() -> TestResult {
    let (admin, mut c) = setup(Executors::default()).await?;
    let id = c
        .create_execution(exec_request(lp(), "nodes", lits(&[("x", int(1))])))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    admin.wait_for_terminal(&id).await.ok_or("gone")?;
    let nodes = c
        .list_node_executions(admin::NodeExecutionListRequest {
            workflow_execution_id: Some(id.clone()),
            limit: 10,
            ..Default::default()
        })
        .await?
        .into_inner()
        .node_executions;
    let names: Vec<String> = nodes
        .iter()
        .filter_map(|n| n.id.as_ref().map(|i| i.node_id.clone()))
        .collect();
    assert_eq!(names, ["start-node", "n0", "end-node"]);
    assert!(nodes
        .iter()
        .all(|n| n.closure.as_ref().map(|c| c.phase)
            == Some(node_execution::Phase::Succeeded as i32)));
    let n0 = nodes[1].id.clone();
    let tasks = c
        .list_task_executions(admin::TaskExecutionListRequest {
            node_execution_id: n0.clone(),
            limit: 10,
            ..Default::default()
        })
        .await?
        .into_inner()
        .task_executions;
    assert_eq!(tasks.len(), 1);
    let task = &tasks[0];
    assert_eq!(
        task.closure.as_ref().map(|c| c.phase),
        Some(task_execution::Phase::Succeeded as i32)
    );
    assert_eq!(
        task.id
            .as_ref()
            .and_then(|i| i.task_id.as_ref())
            .map(|t| t.name.as_str()),
        Some("double")
    );
    let data = c
        .get_node_execution_data(admin::NodeExecutionGetDataRequest { id: n0 })
        .await?
        .into_inner();
    assert_eq!(data.full_inputs.ok_or("inputs")?.literals["x"], int(1));
    Ok(())
}

#[tokio::test]
async fn execution_names_follow_flyteadmins_rule() -> TestResult {
    let (_admin, mut c) = setup(Executors::default()).await?;
    let ok = c
        .create_execution(exec_request(lp(), "MyRun-1", lits(&[("x", int(1))])))
        .await?
        .into_inner();
    assert_eq!(
        ok.id.ok_or("id")?.name,
        "myrun-1",
        "lowercased, then checked"
    );
    for (name, message) in [
        (
            "my_run",
            "invalid name format: my_run, does not match regex '^[a-z][a-z\\-0-9]*$'",
        ),
        (
            "1abc",
            "invalid name format: 1abc, does not match regex '^[a-z][a-z\\-0-9]*$'",
        ),
        (&"a".repeat(64) as &str, "size of name exceeded length 63"),
    ] {
        let err = c
            .create_execution(exec_request(lp(), name, lits(&[("x", int(1))])))
            .await
            .expect_err(name);
        assert_eq!(
            (err.code(), err.message()),
            (Code::InvalidArgument, message)
        );
    }
    let err = c
        .create_execution(exec_request(lp(), "myrun-1", lits(&[("x", int(1))])))
        .await
        .expect_err("dup");
    assert_eq!(err.code(), Code::AlreadyExists);
    assert!(
        err.message()
            .starts_with("value with matching already exists ("),
        "{}",
        err.message()
    );
    Ok(())
}

#[tokio::test]
async fn inputs_are_merged_with_flyteadmins_errors() -> TestResult {
    let (_admin, mut c) = setup(Executors::default()).await?;
    let wid = id(ResourceType::Workflow, "wf", "v1");
    c.create_launch_plan(launch_plan_request(
        "fixed",
        "v1",
        &wid,
        &[],
        &[("greeting", string("fixed!"))],
    ))
    .await?;
    // A default and a fixed value for one input: the default is expected, so a value for it
    // reaches the fixed-input check.
    c.create_launch_plan(launch_plan_request(
        "both",
        "v1",
        &wid,
        &[("greeting", SimpleType::String, string("default"))],
        &[("greeting", string("fixed!"))],
    ))
    .await?;
    let cases = [
        (
            lp(),
            lits(&[("x", int(1)), ("nope", int(2))]),
            "invalid input nope",
        ),
        (lp(), lits(&[]), "expected_inputs x missing"),
        (
            lp(),
            lits(&[("x", string("one"))]),
            "invalid x input wrong type. Expected simple:INTEGER, but got simple:STRING",
        ),
        (
            id(ResourceType::LaunchPlan, "fixed", "v1"),
            lits(&[("x", int(1)), ("greeting", string("mine"))]),
            // FlyteAdmin leaves fixed inputs out of the expected ones.
            "invalid input greeting",
        ),
        (
            id(ResourceType::LaunchPlan, "both", "v1"),
            lits(&[("x", int(1)), ("greeting", string("mine"))]),
            "fixed_inputs greeting cannot be overridden",
        ),
    ];
    for (lp, inputs, message) in cases {
        let err = c
            .create_execution(exec_request(lp, "", inputs))
            .await
            .expect_err(message);
        assert_eq!(
            (err.code(), err.message()),
            (Code::InvalidArgument, message)
        );
    }
    let err = c
        .create_execution(exec_request(
            id(ResourceType::LaunchPlan, "wf", "v9"),
            "",
            lits(&[]),
        ))
        .await
        .expect_err("missing lp");
    assert_eq!(err.code(), Code::NotFound);
    let mut wrong = exec_request(lp(), "", lits(&[]));
    if let Some(s) = wrong.spec.as_mut() {
        s.launch_plan = Some(id(ResourceType::Workflow, "wf", "v1"));
    }
    let err = c
        .create_execution(wrong)
        .await
        .expect_err("workflow reference");
    assert!(
        err.message()
            .starts_with("Invalid reference entity resource type WORKFLOW"),
        "{}",
        err.message()
    );
    Ok(())
}

#[tokio::test]
async fn inactive_launch_plans_can_still_be_executed() -> TestResult {
    let (admin, mut c) = setup(Executors::default()).await?;
    let id = c
        .create_execution(exec_request(lp(), "", lits(&[("x", int(1))])))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    let done = admin.wait_for_terminal(&id).await.ok_or("gone")?;
    assert_eq!(
        done.closure.ok_or("closure")?.phase,
        Phase::Succeeded as i32
    );
    Ok(())
}

#[tokio::test]
async fn a_task_can_be_launched_alone() -> TestResult {
    let (admin, mut c) = setup(Executors::default()).await?;
    let task = id(ResourceType::Task, "double", "v1");
    let id = c
        .create_execution(exec_request(task, "", lits(&[("x", int(4))])))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    let done = admin.wait_for_terminal(&id).await.ok_or("gone")?;
    let closure = done.closure.ok_or("closure")?;
    assert_eq!(closure.phase, Phase::Succeeded as i32);
    assert_eq!(closure.workflow_id.ok_or("wf")?.name, ".flytegen.double");
    let err = c
        .create_execution(exec_request(id_task("ghost"), "", lits(&[])))
        .await
        .expect_err("missing task");
    assert_eq!(err.code(), Code::NotFound);
    Ok(())
}

fn id_task(name: &str) -> flyte_testkit::flyteidl::flyteidl::core::Identifier {
    id(ResourceType::Task, name, "v1")
}

#[tokio::test]
async fn failures_carry_the_executors_error() -> TestResult {
    let (admin, mut c) = setup(Executors::fail(Duration::ZERO, "USER:Boom", "it broke")).await?;
    let id = c
        .create_execution(exec_request(lp(), "", lits(&[("x", int(1))])))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    let done = admin.wait_for_terminal(&id).await.ok_or("gone")?;
    let closure = done.closure.ok_or("closure")?;
    assert_eq!(closure.phase, Phase::Failed as i32);
    let Some(OutputResult::Error(e)) = closure.output_result else {
        return Err("no error".into());
    };
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("USER:Boom", "it broke")
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn durations_follow_tokio_time() -> TestResult {
    let (admin, mut c) = setup(Executors::succeed_after(Duration::from_secs(3600))).await?;
    let id = c
        .create_execution(exec_request(lp(), "", lits(&[("x", int(1))])))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    let running = admin
        .wait_for_phase(&id, Phase::Running)
        .await
        .ok_or("gone")?;
    assert_eq!(
        running.closure.ok_or("closure")?.phase,
        Phase::Running as i32
    );
    let done = admin.wait_for_terminal(&id).await.ok_or("gone")?;
    assert_eq!(
        done.closure.ok_or("closure")?.phase,
        Phase::Succeeded as i32
    );
    Ok(())
}

#[tokio::test]
async fn terminate_aborts_and_refuses_twice() -> TestResult {
    let (admin, mut c) = setup(Executors::hang()).await?;
    let id = c
        .create_execution(exec_request(lp(), "", lits(&[("x", int(1))])))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    admin
        .wait_for_phase(&id, Phase::Running)
        .await
        .ok_or("gone")?;
    c.terminate_execution(admin::ExecutionTerminateRequest {
        id: Some(id.clone()),
        cause: "enough".into(),
    })
    .await?;
    let done = admin.wait_for_terminal(&id).await.ok_or("gone")?;
    let closure = done.closure.ok_or("closure")?;
    assert_eq!(closure.phase, Phase::Aborted as i32);
    let Some(OutputResult::AbortMetadata(m)) = closure.output_result else {
        return Err("no abort metadata".into());
    };
    assert_eq!(m.cause, "enough");
    let err = c
        .terminate_execution(admin::ExecutionTerminateRequest {
            id: Some(id),
            cause: "again".into(),
        })
        .await
        .expect_err("terminal");
    assert_eq!(
        (err.code(), err.message()),
        (
            Code::FailedPrecondition,
            "Cannot abort an already terminated workflow execution"
        )
    );
    let err = c
        .terminate_execution(admin::ExecutionTerminateRequest {
            id: Some(exec_id("ghost")),
            cause: String::new(),
        })
        .await
        .expect_err("missing");
    assert_eq!(err.code(), Code::NotFound);
    Ok(())
}

#[tokio::test]
async fn relaunch_and_recover_reuse_user_inputs() -> TestResult {
    let (admin, mut c) = setup(Executors::default()).await?;
    let first = c
        .create_execution(exec_request(lp(), "first", lits(&[("x", int(5))])))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    admin.wait_for_terminal(&first).await.ok_or("gone")?;
    let again = c
        .relaunch_execution(admin::ExecutionRelaunchRequest {
            id: Some(first.clone()),
            name: "second".into(),
            overwrite_cache: true,
        })
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    let second = admin.wait_for_terminal(&again).await.ok_or("gone")?;
    let spec = second.spec.ok_or("spec")?;
    let meta = spec.metadata.ok_or("metadata")?;
    assert_eq!(meta.mode, ExecutionMode::Relaunch as i32);
    assert_eq!(
        meta.reference_execution.as_ref().map(|r| r.name.as_str()),
        Some("first")
    );
    assert!(spec.overwrite_cache);
    let data = c
        .get_execution_data(WorkflowExecutionGetDataRequest { id: Some(again) })
        .await?
        .into_inner();
    assert_eq!(data.full_inputs.ok_or("inputs")?.literals["x"], int(5));

    let recovered = c
        .recover_execution(admin::ExecutionRecoverRequest {
            id: Some(first),
            name: String::new(),
            metadata: None,
        })
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    let r = admin.wait_for_terminal(&recovered).await.ok_or("gone")?;
    assert_eq!(
        r.spec.and_then(|s| s.metadata).map(|m| m.mode),
        Some(ExecutionMode::Recovered as i32)
    );
    Ok(())
}

#[tokio::test]
async fn archived_executions_hide_unless_filtered_by_state() -> TestResult {
    let (admin, mut c) = setup(Executors::default()).await?;
    for name in ["keep", "hide"] {
        let id = c
            .create_execution(exec_request(lp(), name, lits(&[("x", int(1))])))
            .await?
            .into_inner()
            .id
            .ok_or("id")?;
        admin.wait_for_terminal(&id).await.ok_or("gone")?;
    }
    c.update_execution(admin::ExecutionUpdateRequest {
        id: Some(exec_id("hide")),
        state: ExecutionState::ExecutionArchived as i32,
    })
    .await?;
    let list = |filters: &str| ResourceListRequest {
        id: Some(admin::NamedEntityIdentifier {
            project: P.into(),
            domain: D.into(),
            ..Default::default()
        }),
        limit: 10,
        filters: filters.into(),
        ..Default::default()
    };
    let names = |l: admin::ExecutionList| {
        l.executions
            .into_iter()
            .filter_map(|e| e.id.map(|i| i.name))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(c.list_executions(list("")).await?.into_inner()),
        ["keep"]
    );
    assert_eq!(
        names(c.list_executions(list("eq(state,1)")).await?.into_inner()),
        ["hide"]
    );
    let got = c
        .get_execution(WorkflowExecutionGetRequest {
            id: Some(exec_id("hide")),
        })
        .await?
        .into_inner();
    assert_eq!(
        got.closure
            .and_then(|c| c.state_change_details)
            .map(|s| s.state),
        Some(1)
    );
    Ok(())
}

#[tokio::test]
async fn a_custom_executor_decides_per_execution() -> TestResult {
    let executor = Executors::custom(|run: &flyte_testkit::ExecutionRun| {
        if run.inputs.literals.get("x") == Some(&int(0)) {
            Plan::fail(Duration::ZERO, "USER:ZeroX", "x must not be zero")
        } else {
            Plan::succeed(Duration::ZERO, lits(&[("y", int(42))]))
        }
    });
    let (admin, mut c) = setup(executor).await?;
    let bad = c
        .create_execution(exec_request(lp(), "zero", lits(&[("x", int(0))])))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    let good = c
        .create_execution(exec_request(lp(), "one", lits(&[("x", int(1))])))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    assert_eq!(
        admin
            .wait_for_terminal(&bad)
            .await
            .and_then(|e| e.closure)
            .map(|c| c.phase),
        Some(Phase::Failed as i32)
    );
    admin.wait_for_terminal(&good).await.ok_or("gone")?;
    let data = c
        .get_execution_data(WorkflowExecutionGetDataRequest { id: Some(good) })
        .await?
        .into_inner();
    assert_eq!(data.full_outputs.ok_or("outputs")?.literals["y"], int(42));
    Ok(())
}

#[tokio::test]
async fn workflow_events_can_drive_phases_by_hand() -> TestResult {
    let (admin, mut c) = setup(Executors::hang()).await?;
    let id = c
        .create_execution(exec_request(lp(), "", lits(&[("x", int(1))])))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    admin
        .wait_for_phase(&id, Phase::Running)
        .await
        .ok_or("gone")?;
    c.create_workflow_event(admin::WorkflowExecutionEventRequest {
        request_id: "r1".into(),
        event: Some(
            flyte_testkit::flyteidl::flyteidl::event::WorkflowExecutionEvent {
                execution_id: Some(id.clone()),
                phase: Phase::Succeeded as i32,
                ..Default::default()
            },
        ),
    })
    .await?;
    let done = admin.wait_for_terminal(&id).await.ok_or("gone")?;
    assert_eq!(
        done.closure.ok_or("closure")?.phase,
        Phase::Succeeded as i32
    );
    let err = c
        .create_workflow_event(admin::WorkflowExecutionEventRequest {
            request_id: "r2".into(),
            event: Some(
                flyte_testkit::flyteidl::flyteidl::event::WorkflowExecutionEvent {
                    execution_id: Some(id),
                    phase: Phase::Running as i32,
                    ..Default::default()
                },
            ),
        })
        .await
        .expect_err("terminal");
    assert_eq!(err.code(), Code::FailedPrecondition);
    Ok(())
}

#[tokio::test]
async fn branch_nodes_are_parents_of_the_branch_taken() -> TestResult {
    use flyte_testkit::flyteidl::flyteidl::core::{node, BranchNode, IfBlock, IfElseBlock, Node};
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    let task = id(ResourceType::Task, "double", "v1");
    c.create_task(task_request("double", "v1", iface(&[], &[])))
        .await?;
    let branch = Node {
        id: "b".into(),
        target: Some(node::Target::BranchNode(Box::new(BranchNode {
            if_else: Some(Box::new(IfElseBlock {
                case: Some(Box::new(IfBlock {
                    condition: None,
                    then_node: Some(Box::new(task_node("then", &task))),
                })),
                other: vec![],
                default: None,
            })),
        }))),
        ..Node::default()
    };
    let wf = workflow_request("branchy", "v1", iface(&[], &[]), vec![branch]);
    let wid = wf.id.clone().ok_or("id")?;
    c.create_workflow(wf).await?;
    c.create_launch_plan(launch_plan_request("branchy", "v1", &wid, &[], &[]))
        .await?;
    let id = c
        .create_execution(exec_request(
            id(ResourceType::LaunchPlan, "branchy", "v1"),
            "",
            lits(&[]),
        ))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    admin.wait_for_terminal(&id).await.ok_or("gone")?;
    let list = |parent: &str| admin::NodeExecutionListRequest {
        workflow_execution_id: Some(id.clone()),
        limit: 10,
        unique_parent_id: parent.into(),
        ..Default::default()
    };
    let top = c
        .list_node_executions(list(""))
        .await?
        .into_inner()
        .node_executions;
    let names: Vec<String> = top
        .iter()
        .filter_map(|n| n.id.as_ref().map(|i| i.node_id.clone()))
        .collect();
    assert_eq!(names, ["start-node", "b", "end-node"]);
    assert!(top[1].metadata.as_ref().is_some_and(|m| m.is_parent_node));
    let children = c
        .list_node_executions(list("b"))
        .await?
        .into_inner()
        .node_executions;
    // FlyteAdmin's compiler names a branch's inner nodes `<branch>-<node>`; propeller runs the
    // one taken as a child, `<parent>-<attempt>-<spec id>`.
    assert_eq!(children.len(), 1);
    assert_eq!(
        children[0].id.as_ref().map(|i| i.node_id.as_str()),
        Some("b-0-b-then")
    );
    assert_eq!(
        children[0]
            .metadata
            .as_ref()
            .map(|m| m.spec_node_id.as_str()),
        Some("b-then")
    );
    // FlyteAdmin marks a branch node a parent in lists (it has children), not in Get.
    let got = c
        .get_node_execution(admin::NodeExecutionGetRequest {
            id: top[1].id.clone(),
        })
        .await?
        .into_inner();
    assert!(got.metadata.is_some_and(|m| !m.is_parent_node));
    let err = c
        .list_node_executions(list("nope"))
        .await
        .expect_err("an unknown parent");
    assert_eq!(err.code(), tonic::Code::NotFound);
    Ok(())
}

fn gate_workflow(
    name: &str,
    condition: flyte_testkit::flyteidl::flyteidl::core::gate_node::Condition,
) -> admin::WorkflowCreateRequest {
    use flyte_testkit::flyteidl::flyteidl::core::{node, GateNode, Node};
    let gate = Node {
        id: "approve".into(),
        target: Some(node::Target::GateNode(GateNode {
            condition: Some(condition),
        })),
        ..Node::default()
    };
    workflow_request(name, "v1", iface(&[], &[]), vec![gate])
}

#[tokio::test]
async fn gate_nodes_wait_for_their_signal() -> TestResult {
    use flyte_testkit::flyteidl::flyteidl::core::{
        gate_node::Condition, ApproveCondition, SignalIdentifier,
    };
    use flyte_testkit::flyteidl::flyteidl::service::signal_service_client::SignalServiceClient;
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    let mut signals = SignalServiceClient::connect(admin.endpoint()).await?;
    let wf = gate_workflow(
        "gated",
        Condition::Approve(ApproveCondition {
            signal_id: "ok-to-go".into(),
        }),
    );
    let wid = wf.id.clone().ok_or("id")?;
    c.create_workflow(wf).await?;
    c.create_launch_plan(launch_plan_request("gated", "v1", &wid, &[], &[]))
        .await?;
    let lp = id(ResourceType::LaunchPlan, "gated", "v1");
    for (name, approve, phase) in [
        ("yes", true, Phase::Succeeded),
        ("no", false, Phase::Failed),
    ] {
        let exec = c
            .create_execution(exec_request(lp.clone(), name, lits(&[])))
            .await?
            .into_inner()
            .id
            .ok_or("id")?;
        admin
            .wait_for_phase(&exec, Phase::Running)
            .await
            .ok_or("gone")?;
        // The signal exists once the gate is reached; list until it appears.
        let sid = SignalIdentifier {
            signal_id: "ok-to-go".into(),
            execution_id: Some(exec.clone()),
        };
        let mut listed = Vec::new();
        for _ in 0..1000 {
            listed = signals
                .list_signals(admin::SignalListRequest {
                    workflow_execution_id: Some(exec.clone()),
                    limit: 10,
                    ..Default::default()
                })
                .await?
                .into_inner()
                .signals;
            if !listed.is_empty() {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(listed.len(), 1);
        assert_eq!(
            admin
                .execution(&exec)
                .and_then(|e| e.closure)
                .map(|c| c.phase),
            Some(Phase::Running as i32),
            "held at the gate"
        );
        let err = signals
            .set_signal(admin::SignalSetRequest {
                id: Some(sid.clone()),
                value: Some(int(1)),
            })
            .await
            .expect_err("wrong type");
        // FlyteAdmin prints the value and the stored type's bytes (simple = BOOLEAN).
        assert_eq!(
            (err.code(), err.message()),
            (
                Code::InvalidArgument,
                "requested signal value [scalar:{primitive:{integer:1}}] is not castable to existing signal type [[8 4]]"
            )
        );
        let set = admin::SignalSetRequest {
            id: Some(sid),
            value: Some(boolean(approve)),
        };
        signals.set_signal(set.clone()).await?;
        let done = admin.wait_for_terminal(&exec).await.ok_or("gone")?;
        assert_eq!(done.closure.ok_or("closure")?.phase, phase as i32, "{name}");
        // As FlyteAdmin: setting again is no error (a retry after a lost answer).
        signals.set_signal(set).await?;
    }
    Ok(())
}

fn boolean(b: bool) -> flyte_testkit::flyteidl::flyteidl::core::Literal {
    use flyte_testkit::flyteidl::flyteidl::core::{
        literal, primitive, scalar, Literal, Primitive, Scalar,
    };
    Literal {
        value: Some(literal::Value::Scalar(Box::new(Scalar {
            value: Some(scalar::Value::Primitive(Primitive {
                value: Some(primitive::Value::Boolean(b)),
            })),
        }))),
        ..Literal::default()
    }
}
