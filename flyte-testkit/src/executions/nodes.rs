//! Node and task executions: which ones propeller would report for a workflow, and their
//! records.

use flyteidl::flyteidl::admin::{
    NodeExecution, NodeExecutionClosure, NodeExecutionMetaData, TaskExecution, TaskExecutionClosure,
};
use flyteidl::flyteidl::core::{
    node, node_execution, task_execution, task_node, Identifier, LiteralMap, Node,
    NodeExecutionIdentifier, TaskExecutionIdentifier, WorkflowExecutionIdentifier,
    WorkflowTemplate,
};

use super::Shared;
use crate::db::{now, NodeRecord};
use crate::executor::ExecutionRun;

fn node_ids(id: &WorkflowExecutionIdentifier, node_id: &str) -> NodeExecutionIdentifier {
    NodeExecutionIdentifier {
        node_id: node_id.to_owned(),
        execution_id: Some(id.clone()),
    }
}

/// A node execution to record: its id, the node it runs, its task, and its parent node.
struct PlannedNode {
    node_id: String,
    spec_node_id: String,
    task: Option<Identifier>,
    parent: Option<String>,
    is_parent: bool,
}

fn task_of(n: &Node) -> Option<Identifier> {
    match &n.target {
        Some(node::Target::TaskNode(tn)) => tn
            .reference
            .as_ref()
            .map(|task_node::Reference::ReferenceId(id)| id.clone()),
        _ => None,
    }
}

/// The node executions propeller would report. Branch nodes are parents of the branch taken
/// (the first case: conditions are not evaluated). Array and workflow nodes are not recorded:
/// flyteidl 0.1.0 has no `is_array` flag and the simulation launches no child executions, so a
/// client such as FlyteRemote would mistake them for task nodes.
fn plan_nodes(template: &WorkflowTemplate) -> Vec<PlannedNode> {
    let plain = |id: &str, task: Option<Identifier>| PlannedNode {
        node_id: id.to_owned(),
        spec_node_id: id.to_owned(),
        task,
        parent: None,
        is_parent: false,
    };
    let mut out = vec![plain("start-node", None)];
    for n in &template.nodes {
        match &n.target {
            Some(node::Target::TaskNode(_)) | Some(node::Target::GateNode(_)) => {
                out.push(plain(&n.id, task_of(n)))
            }
            Some(node::Target::BranchNode(b)) => {
                let mut parent = plain(&n.id, None);
                parent.is_parent = true;
                out.push(parent);
                let taken = b
                    .if_else
                    .as_ref()
                    .and_then(|ie| ie.case.as_ref())
                    .and_then(|c| c.then_node.as_deref());
                if let Some(child) =
                    taken.filter(|c| matches!(c.target, Some(node::Target::TaskNode(_))))
                {
                    out.push(PlannedNode {
                        node_id: format!("{}-0-{}", n.id, child.id),
                        spec_node_id: child.id.clone(),
                        task: task_of(child),
                        parent: Some(n.id.clone()),
                        is_parent: false,
                    });
                }
            }
            _ => {}
        }
    }
    out.push(plain("end-node", None));
    out
}

pub(super) fn start_nodes(shared: &Shared, run: &ExecutionRun, template: &WorkflowTemplate) {
    let mut db = shared.db();
    let Some(rec) = db.find_execution_mut(&run.id) else {
        return;
    };
    let t = now();
    let inputs = run.inputs.clone();
    rec.value.nodes = plan_nodes(template)
        .into_iter()
        .map(|planned| {
            let nid = node_ids(&run.id, &planned.node_id);
            let node = NodeExecution {
                id: Some(nid.clone()),
                input_uri: String::new(),
                closure: Some(NodeExecutionClosure {
                    phase: node_execution::Phase::Queued as i32,
                    created_at: Some(t.clone()),
                    updated_at: Some(t.clone()),
                    ..NodeExecutionClosure::default()
                }),
                metadata: Some(NodeExecutionMetaData {
                    spec_node_id: planned.spec_node_id.clone(),
                    is_parent_node: planned.is_parent,
                    ..NodeExecutionMetaData::default()
                }),
            };
            let task = planned.task.map(|task_id| TaskExecution {
                id: Some(TaskExecutionIdentifier {
                    task_id: Some(task_id),
                    node_execution_id: Some(nid),
                    retry_attempt: 0,
                }),
                input_uri: String::new(),
                closure: Some(TaskExecutionClosure {
                    phase: task_execution::Phase::Queued as i32,
                    created_at: Some(t.clone()),
                    updated_at: Some(t.clone()),
                    task_type: "python-task".to_owned(),
                    ..TaskExecutionClosure::default()
                }),
                is_parent: false,
            });
            NodeRecord {
                node,
                task,
                inputs: if planned.node_id == "start-node" {
                    LiteralMap::default()
                } else {
                    inputs.clone()
                },
                outputs: None,
                parent: planned.parent,
            }
        })
        .collect();
}
