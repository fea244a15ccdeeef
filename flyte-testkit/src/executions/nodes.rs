//! Node and task executions: the records of the node tree ([`super::tree`]) propeller would
//! report for a run, and the child executions its launch-plan nodes start.

use std::sync::Arc;

use flyteidl::flyteidl::admin::{
    self, NodeExecution, NodeExecutionClosure, NodeExecutionMetaData, TaskExecution,
    TaskExecutionClosure,
};
use flyteidl::flyteidl::core::{
    node_execution, task_execution, workflow_execution, CompiledWorkflowClosure, Identifier,
    LiteralMap, NodeExecutionIdentifier, TaskExecutionIdentifier, WorkflowExecutionIdentifier,
};
use flyteidl::flyteidl::event::{ExternalResourceInfo, TaskExecutionMetadata};

use super::tree::{Kind, Planned, Planner};
use super::Shared;
use crate::catalog::Memo;
use crate::db::{now, NodeKind, NodeRecord};
use crate::executor::ExecutionRun;

fn node_ids(id: &WorkflowExecutionIdentifier, node_id: &str) -> NodeExecutionIdentifier {
    NodeExecutionIdentifier {
        node_id: node_id.to_owned(),
        execution_id: Some(id.clone()),
    }
}

/// Records the node tree of `run` (all QUEUED), then starts the child executions of its
/// launch-plan nodes.
pub(super) fn start_nodes(
    shared: &Arc<Shared>,
    run: &ExecutionRun,
    closure: &CompiledWorkflowClosure,
) {
    let mut children = Vec::new();
    {
        let mut db = shared.db();
        let overwrite = db
            .find_execution(&run.id)
            .and_then(|rec| rec.value.execution.spec.as_ref())
            .is_some_and(|spec| spec.overwrite_cache);
        let catalog = shared.catalog();
        let planned = Planner::new(
            &db,
            closure,
            &shared.dynamic,
            &run.id,
            &run.raw_output_prefix,
        )
        .catalog(&catalog, overwrite)
        .plan(&run.inputs);
        drop(catalog);
        let Some(rec) = db.find_execution_mut(&run.id) else {
            return;
        };
        // Terminated before it started: propeller starts nothing more.
        let phase = rec.value.execution.closure.as_ref().map_or(0, |c| c.phase);
        if super::is_terminal(phase) || phase == workflow_execution::Phase::Aborting as i32 {
            return;
        }
        let nesting = rec
            .value
            .execution
            .spec
            .as_ref()
            .and_then(|s| s.metadata.as_ref())
            .map_or(0, |m| m.nesting);
        let t = now();
        rec.value.nodes = planned
            .into_iter()
            .map(|p| {
                if let Kind::LaunchPlan { launch_plan, child } = &p.kind {
                    let request =
                        child_request(&run.id, &p.node_id, launch_plan, child, nesting, &p.inputs);
                    children.push((p.node_id.clone(), request));
                }
                record(&run.id, p, &t)
            })
            .collect();
    }
    for (node_id, request) in children {
        // A child that cannot start (its inputs refused, its name taken) leaves the node
        // without a child execution, so nothing points at an execution that does not exist.
        if super::create_execution(shared, request, "").is_err() {
            let mut db = shared.db();
            if let Some(rec) = db.find_execution_mut(&run.id) {
                let node = rec
                    .value
                    .nodes
                    .iter_mut()
                    .find(|n| n.node.id.as_ref().is_some_and(|i| i.node_id == node_id));
                if let Some(n) = node {
                    n.child = None;
                }
            }
        }
    }
}

fn child_request(
    parent: &WorkflowExecutionIdentifier,
    node_id: &str,
    launch_plan: &Identifier,
    child: &WorkflowExecutionIdentifier,
    nesting: u32,
    inputs: &LiteralMap,
) -> admin::ExecutionCreateRequest {
    admin::ExecutionCreateRequest {
        project: child.project.clone(),
        domain: child.domain.clone(),
        name: child.name.clone(),
        org: child.org.clone(),
        spec: Some(admin::ExecutionSpec {
            launch_plan: Some(launch_plan.clone()),
            metadata: Some(admin::ExecutionMetadata {
                mode: admin::execution_metadata::ExecutionMode::ChildWorkflow as i32,
                nesting: nesting + 1,
                parent_node_execution: Some(node_ids(parent, node_id)),
                ..admin::ExecutionMetadata::default()
            }),
            ..admin::ExecutionSpec::default()
        }),
        inputs: Some(inputs.clone()),
    }
}

fn record(
    exec: &WorkflowExecutionIdentifier,
    p: Planned,
    t: &prost_types::Timestamp,
) -> NodeRecord {
    let nid = node_ids(exec, &p.node_id);
    let (is_parent, is_dynamic, is_array) = match &p.kind {
        Kind::Workflow | Kind::Branch => (true, false, false),
        Kind::Dynamic { .. } => (true, true, false),
        Kind::Array { .. } => (false, false, true),
        _ => (false, false, false),
    };
    let closure = NodeExecutionClosure {
        phase: node_execution::Phase::Queued as i32,
        created_at: Some(t.clone()),
        updated_at: Some(t.clone()),
        ..NodeExecutionClosure::default()
    };
    let node = NodeExecution {
        id: Some(nid.clone()),
        input_uri: String::new(),
        closure: Some(closure),
        metadata: Some(NodeExecutionMetaData {
            retry_group: if p.parent.is_some() { "0" } else { "" }.to_owned(),
            spec_node_id: p.spec_node_id.clone(),
            is_parent_node: is_parent,
            is_dynamic,
            is_array,
        }),
    };
    let task_execution = |task: &Identifier, task_type: &str, metadata| TaskExecution {
        id: Some(TaskExecutionIdentifier {
            task_id: Some(task.clone()),
            node_execution_id: Some(nid.clone()),
            retry_attempt: 0,
        }),
        input_uri: String::new(),
        closure: Some(TaskExecutionClosure {
            phase: task_execution::Phase::Queued as i32,
            created_at: Some(t.clone()),
            updated_at: Some(t.clone()),
            task_type: task_type.to_owned(),
            metadata: Some(metadata),
            event_version: 1,
            ..TaskExecutionClosure::default()
        }),
        is_parent: false,
    };
    let generated_name = format!("{}-{}-0", exec.name, p.node_id);
    let (task, dynamic_workflow, child) = match &p.kind {
        Kind::Task { task, task_type }
        | Kind::Dynamic {
            task, task_type, ..
        } => {
            let metadata = TaskExecutionMetadata {
                generated_name,
                plugin_identifier: "container".to_owned(),
                ..TaskExecutionMetadata::default()
            };
            let dynamic = match &p.kind {
                Kind::Dynamic { workflow, .. } => Some((**workflow).clone()),
                _ => None,
            };
            (
                Some(task_execution(task, task_type, metadata)),
                dynamic,
                None,
            )
        }
        Kind::Array {
            task: Some(task),
            size,
        } => {
            let prefix = fixed_length_50(&format!("{}-{}-0", exec.name, p.node_id));
            let external_resources = (0..*size)
                .map(|i| ExternalResourceInfo {
                    external_id: format!("{prefix}-n{i}-0"),
                    index: u32::try_from(i).unwrap_or(u32::MAX),
                    retry_attempt: 0,
                    phase: task_execution::Phase::Queued as i32,
                    ..ExternalResourceInfo::default()
                })
                .collect();
            let metadata = TaskExecutionMetadata {
                generated_name,
                external_resources,
                plugin_identifier: "k8s-array".to_owned(),
                ..TaskExecutionMetadata::default()
            };
            (
                Some(task_execution(task, "container_array", metadata)),
                None,
                None,
            )
        }
        Kind::LaunchPlan { child, .. } => (None, None, Some(child.clone())),
        _ => (None, None, None),
    };
    // A cache hit never reaches the task handler: no task execution.
    let task = task.filter(|_| !matches!(p.memo, Some(Memo::Hit(_))));
    NodeRecord {
        node,
        task,
        inputs: p.inputs,
        outputs: None,
        result: p.outputs,
        parent: p.parent,
        kind: match p.kind {
            Kind::Start => NodeKind::Start,
            Kind::End => NodeKind::End,
            Kind::Branch => NodeKind::Branch,
            _ => NodeKind::Other,
        },
        dynamic_workflow,
        child,
        memo: p.memo,
    }
}

/// Propeller's 50-character form of the array node's generated name, external ids' prefix.
fn fixed_length_50(joined: &str) -> String {
    super::tree::fixed_length_id(joined, 50)
}
