//! The types and node kinds modern flytekit uses (tests/fixtures/pyflyte/shapes.tgz, made by
//! flytekit 1.16.31), registered and run against the test kit: dataclass inputs and outputs as
//! msgpack, launch plan defaults kept as sent, and the node tree of every node kind.

mod common;

use std::time::Duration;

use common::{client, fixture, TestResult};
use flyte_admin_client::literals::literal_to_json;
use flyte_admin_client::pb::{admin, core};
use flyte_admin_client::register::{Package, RegisterOptions};
use flyte_admin_client::{AdminClient, ExecutionId, LaunchPlanId, NodeTree, WaitOptions};
use flyte_testkit::TestAdmin;
use serde_json::{json, Map, Value};

const P: &str = "flytesnacks";
const D: &str = "development";

/// A test kit holding the shapes package, told that `fan` is a dynamic task yielding two `sq`s.
async fn registered() -> Result<(TestAdmin, AdminClient), Box<dyn std::error::Error>> {
    let admin = TestAdmin::builder()
        .dynamic_task(
            "shapes.nodes_wf.fan",
            ["shapes.nodes_wf.sq", "shapes.nodes_wf.sq"],
        )
        .start()
        .await?;
    let c = client(&admin)?;
    c.register(
        Package::open([fixture("shapes.tgz")])?,
        &RegisterOptions::new(P, D).version("v1"),
    )
    .await?;
    Ok((admin, c))
}

async fn run(
    c: &AdminClient,
    launch_plan: &str,
    inputs: Value,
) -> Result<ExecutionId, Box<dyn std::error::Error>> {
    let inputs: Map<String, Value> = match inputs {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let id = c
        .execute_launch_plan(&LaunchPlanId::new(P, D, launch_plan, "v1"), None, &inputs)
        .await?;
    let done = c
        .wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(30)))
        .await?;
    let phase = done.closure.map(|c| c.phase);
    assert_eq!(
        phase,
        Some(core::workflow_execution::Phase::Succeeded as i32)
    );
    Ok(id)
}

fn binary_tag(lit: &core::Literal) -> Option<&str> {
    match &lit.value {
        Some(core::literal::Value::Scalar(s)) => match &s.value {
            Some(core::scalar::Value::Binary(b)) => Some(b.tag.as_str()),
            _ => None,
        },
        _ => None,
    }
}

#[tokio::test]
async fn dataclasses_go_in_and_come_out_as_flytekit_writes_them() -> TestResult {
    let (_admin, c) = registered().await?;
    let shape = json!({"name": "tri", "corners": [{"x": 1, "y": 2.5}], "origin": {"x": 0, "y": 0.0},
        "tags": {"k": "v"}, "note": null});
    let id = run(&c, "shapes.types_wf.shape_wf", json!({"s": shape, "by": 2})).await?;
    let (inputs, outputs) = c.execution_data(&id).await?;
    // The JSON input went in as flytekit 1.16 sends a dataclass: msgpack, for the STRUCT type.
    assert_eq!(binary_tag(&inputs.literals["s"]), Some("msgpack"));
    assert_eq!(literal_to_json(&inputs.literals["s"]), shape);
    // The simulated output holds every field of the declared schema, at its default or zero.
    assert_eq!(binary_tag(&outputs.literals["o0"]), Some("msgpack"));
    assert_eq!(
        literal_to_json(&outputs.literals["o0"]),
        json!({"name": "", "corners": [], "origin": {"x": 0, "y": 0.0}, "tags": {}, "note": null})
    );
    Ok(())
}

#[tokio::test]
async fn a_launch_plans_dataclass_defaults_reach_the_run_as_sent() -> TestResult {
    let (_admin, c) = registered().await?;
    let lp = c
        .get_launch_plan(&LaunchPlanId::new(P, D, "shape_defaults", "v1"))
        .await?;
    let default = lp
        .spec
        .and_then(|s| s.default_inputs)
        .and_then(|p| p.parameters.get("s").cloned())
        .and_then(|p| p.behavior)
        .ok_or("no default for s")?;
    let core::parameter::Behavior::Default(default) = default else {
        return Err("s is required".into());
    };
    let id = run(&c, "shape_defaults", json!({})).await?;
    let (inputs, _) = c.execution_data(&id).await?;
    assert_eq!(inputs.literals["s"], default);
    assert_eq!(literal_to_json(&default)["name"], "square");
    Ok(())
}

fn ids(tree: &[NodeTree]) -> Vec<String> {
    tree.iter()
        .filter_map(|t| t.node.id.as_ref().map(|i| i.node_id.clone()))
        .collect()
}

fn meta(t: &NodeTree) -> admin::NodeExecutionMetaData {
    t.node.metadata.clone().unwrap_or_default()
}

#[tokio::test]
async fn every_node_kind_appears_in_the_tree() -> TestResult {
    let (_admin, c) = registered().await?;

    // map_task: one array node, one task execution with an external resource per element.
    let id = run(&c, "shapes.nodes_wf.map_wf", json!({"xs": [1, 2, 3]})).await?;
    let tree = c.execution_tree(&id).await?;
    assert_eq!(ids(&tree), ["start-node", "n0", "n1", "end-node"]);
    let array = &tree[1];
    assert!(meta(array).is_array && !meta(array).is_parent_node);
    assert!(array.children.is_empty());
    let [task] = array.task_executions.as_slice() else {
        return Err(format!("{:?}", array.task_executions).into());
    };
    let closure = task.closure.clone().unwrap_or_default();
    assert_eq!(closure.task_type, "container_array");
    let indexes: Vec<u32> = closure
        .metadata
        .map(|m| m.external_resources.iter().map(|r| r.index).collect())
        .unwrap_or_default();
    assert_eq!(indexes, [0, 1, 2]);

    // A dynamic task: a parent over the workflow it yielded, which its data returns.
    let id = run(&c, "shapes.nodes_wf.dynamic_wf", json!({"n": 2})).await?;
    let tree = c.execution_tree(&id).await?;
    let dynamic = &tree[1];
    assert!(meta(dynamic).is_dynamic && meta(dynamic).is_parent_node);
    assert_eq!(
        ids(&dynamic.children),
        ["n0-0-start-node", "n0-0-dn0", "n0-0-dn1", "n0-0-end-node"]
    );
    assert_eq!(meta(&dynamic.children[1]).spec_node_id, "dn0");
    assert_eq!(meta(&dynamic.children[1]).retry_group, "0");
    assert_eq!(dynamic.children[1].task_executions.len(), 1);
    let node_id = dynamic.node.id.clone().ok_or("id")?;
    let compiled = c.dynamic_node_workflow(&node_id).await?;
    let template = compiled
        .primary
        .and_then(|p| p.template)
        .unwrap_or_default();
    let nodes: Vec<&str> = template.nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(nodes, ["dn0", "dn1"]);
    assert!(compiled.tasks.iter().any(|t| t
        .template
        .as_ref()
        .and_then(|t| t.id.as_ref())
        .is_some_and(|i| i.name == "shapes.nodes_wf.sq")));

    // Sub-workflows: parents over their own start, nodes and end.
    let id = run(&c, "shapes.nodes_wf.sub_wf", json!({"x": 3})).await?;
    let tree = c.execution_tree(&id).await?;
    assert_eq!(ids(&tree), ["start-node", "n0", "n1", "end-node"]);
    assert!(meta(&tree[2]).is_parent_node);
    assert_eq!(
        ids(&tree[2].children),
        ["n1-0-start-node", "n1-0-n0", "n1-0-end-node"]
    );
    assert_eq!(tree[2].children[1].task_executions.len(), 1);

    // A launch plan node starts a child execution of its own.
    let id = run(&c, "shapes.nodes_wf.lp_wf", json!({"x": 2})).await?;
    let tree = c.execution_tree(&id).await?;
    let lp_node = &tree[1];
    let child = match lp_node
        .node
        .closure
        .as_ref()
        .and_then(|c| c.target_metadata.clone())
    {
        Some(admin::node_execution_closure::TargetMetadata::WorkflowNodeMetadata(w)) => {
            w.execution_id.ok_or("no child id")?
        }
        other => return Err(format!("{other:?}").into()),
    };
    let child = c
        .get_execution(&ExecutionId::new(child.project, child.domain, child.name))
        .await?;
    let metadata = child.spec.and_then(|s| s.metadata).unwrap_or_default();
    assert_eq!(
        metadata.mode,
        admin::execution_metadata::ExecutionMode::ChildWorkflow as i32
    );
    assert_eq!(
        metadata.parent_node_execution.map(|n| n.node_id).as_deref(),
        Some("n0")
    );

    // A branch: the condition is evaluated (x < 0 takes the else node, a sub-workflow, named
    // n0-n1 by FlyteAdmin's compiler); ids over 20 characters are hashed as propeller does.
    let id = run(&c, "shapes.nodes_wf.branch_wf", json!({"x": -4})).await?;
    let tree = c.execution_tree(&id).await?;
    let branch = &tree[1];
    assert_eq!(ids(&branch.children), ["n0-0-n0-n1"]);
    assert_eq!(meta(&branch.children[0]).spec_node_id, "n0-n1");
    let grandchildren = ids(&branch.children[0].children);
    assert_eq!(grandchildren.len(), 3);
    // `n0-0-n0-n1-0-start-node` is over 20 characters: `f` and a 7-letter hash.
    let hashed = |g: &str| g.len() == 8 && g.starts_with('f');
    assert!(
        hashed(&grandchildren[0]) && hashed(&grandchildren[2]),
        "{grandchildren:?}"
    );
    assert_eq!(grandchildren[1], "n0-0-n0-n1-0-n0");
    let id = run(&c, "shapes.nodes_wf.branch_wf", json!({"x": 4})).await?;
    let tree = c.execution_tree(&id).await?;
    assert_eq!(ids(&tree[1].children), ["n0-0-n0-n0"]);
    Ok(())
}
