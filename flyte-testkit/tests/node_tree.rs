//! The node tree of a run at its edges: start and end nodes as propeller reports them, launch-plan
//! children aborted with their parent, a child that cannot start, and registered workflows that
//! would make the tree grow without bound.

mod common;

use common::*;
use flyte_testkit::flyteidl::flyteidl::admin;
use flyte_testkit::flyteidl::flyteidl::core::{
    node, node_execution, workflow_execution, workflow_node, Identifier, Node, ResourceType,
    SimpleType, WorkflowNode, WorkflowTemplate,
};
use flyte_testkit::{Executors, TestAdmin};

fn nodes_of(
    id: &flyte_testkit::flyteidl::flyteidl::core::WorkflowExecutionIdentifier,
    parent: &str,
) -> admin::NodeExecutionListRequest {
    admin::NodeExecutionListRequest {
        workflow_execution_id: Some(id.clone()),
        limit: 100,
        unique_parent_id: parent.into(),
        ..Default::default()
    }
}

fn lp_node(node_id: &str, lp: &Identifier) -> Node {
    Node {
        id: node_id.into(),
        target: Some(node::Target::WorkflowNode(WorkflowNode {
            reference: Some(workflow_node::Reference::LaunchplanRef(lp.clone())),
        })),
        ..Node::default()
    }
}

/// Registers `parent`: one launch-plan node `n0` running launch plan `wf` (from
/// `register_basic`) with `x` from the parent's input.
async fn register_parent(c: &mut Client) -> TestResult {
    register_basic(c, "v1").await?;
    let lp = id(ResourceType::LaunchPlan, "wf", "v1");
    let wf = workflow_request(
        "parent",
        "v1",
        iface(&[("x", SimpleType::Integer)], &[]),
        vec![from_inputs(lp_node("n0", &lp), &["x"])],
    );
    let wid = wf.id.clone().ok_or("id")?;
    c.create_workflow(wf).await?;
    c.create_launch_plan(launch_plan_request("parent", "v1", &wid, &[], &[]))
        .await?;
    Ok(())
}

#[tokio::test]
async fn start_and_end_nodes_never_run_and_the_end_waits_for_the_run() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::hang())
        .start()
        .await?;
    let mut c = connect(&admin).await?;
    register_basic(&mut c, "v1").await?;
    let exec = c
        .create_execution(exec_request(
            id(ResourceType::LaunchPlan, "wf", "v1"),
            "running",
            lits(&[("x", int(1))]),
        ))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    admin
        .wait_for_phase(&exec, workflow_execution::Phase::Running)
        .await
        .ok_or("gone")?;
    let nodes = c
        .list_node_executions(nodes_of(&exec, ""))
        .await?
        .into_inner();
    let by_id = |name: &str| {
        nodes
            .node_executions
            .iter()
            .find(|n| n.id.as_ref().is_some_and(|i| i.node_id == name))
            .and_then(|n| n.closure.clone())
            .ok_or(format!("no {name}"))
    };
    let start = by_id("start-node")?;
    assert_eq!(start.phase, node_execution::Phase::Succeeded as i32);
    assert!(start.started_at.is_none() && start.duration.is_none());
    assert_eq!(
        by_id("end-node")?.phase,
        node_execution::Phase::Queued as i32
    );
    assert_eq!(by_id("n0")?.phase, node_execution::Phase::Running as i32);
    assert!(by_id("n0")?.started_at.is_some());
    Ok(())
}

#[tokio::test]
async fn aborting_a_run_aborts_its_launch_plan_childs() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::hang())
        .start()
        .await?;
    let mut c = connect(&admin).await?;
    register_parent(&mut c).await?;
    let exec = c
        .create_execution(exec_request(
            id(ResourceType::LaunchPlan, "parent", "v1"),
            "parent-run",
            lits(&[("x", int(2))]),
        ))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    admin
        .wait_for_phase(&exec, workflow_execution::Phase::Running)
        .await
        .ok_or("gone")?;
    let got = c
        .get_node_execution(admin::NodeExecutionGetRequest {
            id: Some(
                flyte_testkit::flyteidl::flyteidl::core::NodeExecutionIdentifier {
                    node_id: "n0".into(),
                    execution_id: Some(exec.clone()),
                },
            ),
        })
        .await?
        .into_inner();
    let child = match got.closure.and_then(|c| c.target_metadata) {
        Some(admin::node_execution_closure::TargetMetadata::WorkflowNodeMetadata(w)) => {
            w.execution_id.ok_or("no child")?
        }
        other => return Err(format!("{other:?}").into()),
    };
    // The child got the node's input through the binding, and knows its parent.
    let (child_exec, data) = (
        c.get_execution(admin::WorkflowExecutionGetRequest {
            id: Some(child.clone()),
        })
        .await?
        .into_inner(),
        c.get_execution_data(admin::WorkflowExecutionGetDataRequest {
            id: Some(child.clone()),
        })
        .await?
        .into_inner(),
    );
    let metadata = child_exec.spec.and_then(|s| s.metadata).unwrap_or_default();
    assert_eq!(metadata.nesting, 1);
    assert_eq!(
        data.full_inputs.map(|i| i.literals.get("x").cloned()),
        Some(Some(int(2)))
    );
    c.terminate_execution(admin::ExecutionTerminateRequest {
        id: Some(exec.clone()),
        cause: "done".into(),
    })
    .await?;
    let child = admin.wait_for_terminal(&child).await.ok_or("child gone")?;
    assert_eq!(
        child.closure.map(|c| c.phase),
        Some(workflow_execution::Phase::Aborted as i32)
    );
    Ok(())
}

#[tokio::test]
async fn a_child_that_cannot_start_leaves_no_link_to_it() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    // The child launch plan needs `x`, which the node does not bind: its launch is refused.
    register_basic(&mut c, "v1").await?;
    let lp = id(ResourceType::LaunchPlan, "wf", "v1");
    let wf = workflow_request("unbound", "v1", iface(&[], &[]), vec![lp_node("n0", &lp)]);
    let wid = wf.id.clone().ok_or("id")?;
    c.create_workflow(wf).await?;
    c.create_launch_plan(launch_plan_request("unbound", "v1", &wid, &[], &[]))
        .await?;
    let exec = c
        .create_execution(exec_request(
            id(ResourceType::LaunchPlan, "unbound", "v1"),
            "",
            lits(&[]),
        ))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    admin.wait_for_terminal(&exec).await.ok_or("gone")?;
    let nodes = c
        .list_node_executions(nodes_of(&exec, ""))
        .await?
        .into_inner();
    let n0 = nodes
        .node_executions
        .iter()
        .find(|n| n.id.as_ref().is_some_and(|i| i.node_id == "n0"))
        .ok_or("n0")?;
    assert!(n0
        .closure
        .as_ref()
        .is_some_and(|c| c.target_metadata.is_none()));
    let listed = c
        .list_executions(admin::ResourceListRequest {
            id: Some(admin::NamedEntityIdentifier {
                project: P.into(),
                domain: D.into(),
                ..Default::default()
            }),
            limit: 100,
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!(listed.executions.len(), 1, "only the parent exists");
    Ok(())
}

#[tokio::test]
async fn a_sub_workflow_that_runs_itself_in_many_nodes_is_bounded() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    // S's ten nodes each run S: expanded in full, 10^16 nodes.
    let sub_id = id(ResourceType::Workflow, "again", "v1");
    let again = |i: usize| Node {
        id: format!("n{i}"),
        target: Some(node::Target::WorkflowNode(WorkflowNode {
            reference: Some(workflow_node::Reference::SubWorkflowRef(sub_id.clone())),
        })),
        ..Node::default()
    };
    let sub = WorkflowTemplate {
        id: Some(sub_id.clone()),
        interface: Some(iface(&[], &[])),
        nodes: (0..10).map(again).collect(),
        ..WorkflowTemplate::default()
    };
    let mut wf = workflow_request("outer", "v1", iface(&[], &[]), vec![again(0)]);
    if let Some(spec) = wf.spec.as_mut() {
        spec.sub_workflows = vec![sub];
    }
    let wid = wf.id.clone().ok_or("id")?;
    c.create_workflow(wf).await?;
    c.create_launch_plan(launch_plan_request("outer", "v1", &wid, &[], &[]))
        .await?;
    let exec = c
        .create_execution(exec_request(
            id(ResourceType::LaunchPlan, "outer", "v1"),
            "",
            lits(&[]),
        ))
        .await?
        .into_inner()
        .id
        .ok_or("id")?;
    let done = admin.wait_for_terminal(&exec).await.ok_or("gone")?;
    assert_eq!(
        done.closure.map(|c| c.phase),
        Some(workflow_execution::Phase::Succeeded as i32)
    );
    // Expansion stops at the node budget (depth first: the first branch is expanded deepest),
    // every workflow still has its start and end, and the server still answers.
    let children = c
        .list_node_executions(nodes_of(&exec, "n0"))
        .await?
        .into_inner();
    let names: Vec<String> = children
        .node_executions
        .iter()
        .filter_map(|n| n.id.as_ref().map(|i| i.node_id.clone()))
        .collect();
    assert!(names.len() <= 12, "{names:?}");
    assert_eq!(names.first().map(String::as_str), Some("n0-0-start-node"));
    assert_eq!(names.get(1).map(String::as_str), Some("n0-0-n0"));
    assert_eq!(names.last().map(String::as_str), Some("n0-0-end-node"));
    Ok(())
}
