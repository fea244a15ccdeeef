//! The stand-in for flytepropeller: it moves an execution through its phases, stamps times as
//! FlyteAdmin does, and writes the outputs where propeller would.

use std::sync::Arc;

use flyteidl::flyteidl::admin::{
    self, execution_closure, node_execution_closure, task_execution_closure,
};
use flyteidl::flyteidl::core::{
    node_execution, task_execution, workflow_execution, CatalogCacheStatus,
    CompiledWorkflowClosure, LiteralMap, WorkflowExecutionIdentifier,
};
use tokio::sync::watch;

use super::gates::pass_gates;
use super::nodes::start_nodes;
use super::reservations::{spawn_heartbeat, wait_for_reservation, Reserved};
use super::{is_terminal, Shared};
use crate::catalog::{memo, Memo};
use crate::db::{duration_between, now, NodeKind, NodeRecord};
use crate::executor::{ExecutionRun, Outcome, Plan};

/// Plays propeller: QUEUED, RUNNING with node and task executions, then the executor's outcome.
pub(super) async fn drive(
    shared: Arc<Shared>,
    run: ExecutionRun,
    closure: CompiledWorkflowClosure,
    mut abort: watch::Receiver<bool>,
) {
    use workflow_execution::Phase as P;
    let template = closure
        .primary
        .as_ref()
        .and_then(|p| p.template.clone())
        .unwrap_or_default();
    tokio::task::yield_now().await;
    set_phase(&shared, &run.id, P::Queued, None, None);
    start_nodes(&shared, &run, &closure);
    if let Reserved::Aborted = wait_for_reservation(&shared, &run, &mut abort).await {
        return;
    }
    // A single-task execution whose task the catalog had never runs it: propeller succeeds
    // the node with the cached outputs, which are the execution's.
    let plan = match cached_task_outputs(&shared, &run) {
        Some(outputs) => Plan::succeed(std::time::Duration::ZERO, outputs),
        None => shared.executor.0.plan(&run),
    };
    set_phase(&shared, &run.id, P::Running, None, None);
    spawn_heartbeat(Arc::clone(&shared), run.id.clone());
    let mut abort_gates = abort.clone();
    let aborted = async move {
        while !*abort.borrow() {
            if abort.changed().await.is_err() {
                // The sender went away: the test kit is shutting down.
                std::future::pending::<()>().await;
            }
        }
    };
    // Gate nodes hold the run until their signal is set or their sleep is over.
    let gates = tokio::select! {
        result = pass_gates(&shared, &run.id, &template) => result,
        () = async {
            while !*abort_gates.borrow() {
                if abort_gates.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        } => {
            set_phase(&shared, &run.id, P::Aborted, None, None);
            return;
        }
    };
    if let Err(error) = gates {
        set_phase(&shared, &run.id, P::Failed, None, Some(error));
        return;
    }
    match plan.outcome {
        Outcome::Hang => {
            aborted.await;
            set_phase(&shared, &run.id, P::Aborted, None, None);
        }
        Outcome::Succeed(outputs) => {
            tokio::select! {
                () = aborted => set_phase(&shared, &run.id, P::Aborted, None, None),
                () = tokio::time::sleep(plan.duration) => {
                    write_outputs(&shared, &run.id, &outputs).await;
                    set_phase(&shared, &run.id, P::Succeeded, Some(outputs), None);
                }
            }
        }
        Outcome::Fail(error) => {
            tokio::select! {
                () = aborted => set_phase(&shared, &run.id, P::Aborted, None, None),
                () = tokio::time::sleep(plan.duration) => {
                    set_phase(&shared, &run.id, P::Failed, None, Some(error));
                }
            }
        }
    }
}

/// The cached outputs of a single-task execution's task node, when the catalog had them.
fn cached_task_outputs(shared: &Shared, run: &ExecutionRun) -> Option<LiteralMap> {
    run.task.as_ref()?;
    let db = shared.db();
    let rec = db.find_execution(&run.id)?;
    rec.value
        .nodes
        .iter()
        .filter(|n| n.parent.is_none() && n.kind == NodeKind::Other)
        .find_map(|n| match &n.memo {
            Some(Memo::Hit(h)) => Some(h.outputs.clone()),
            _ => None,
        })
}

pub(crate) fn outputs_uri(shared: &Shared, id: &WorkflowExecutionIdentifier, node: &str) -> String {
    format!(
        "{}/metadata/propeller/{}-{}-{}/{node}/data/0/outputs.pb",
        shared.storage_prefix, id.project, id.domain, id.name
    )
}

/// Writes the outputs as propeller does: a `LiteralMap` protobuf at the end node's outputs.pb;
/// and, as a task would have, the files, directories and datasets they name in the test kit's
/// store that are not there yet (empty; a directory holds one empty part, `00000`, where
/// flytekit writes a dataset's first part).
async fn write_outputs(shared: &Shared, id: &WorkflowExecutionIdentifier, outputs: &LiteralMap) {
    use object_store::ObjectStoreExt as _;
    use prost::Message;
    // Each node's outputs.pb, as its task (or propeller) writes it.
    let nodes: Vec<(String, LiteralMap)> = shared
        .db()
        .find_execution(id)
        .map(|rec| {
            rec.value
                .nodes
                .iter()
                .filter(|n| !matches!(n.kind, NodeKind::Start | NodeKind::End))
                .filter_map(|n| Some((n.node.id.as_ref()?.node_id.clone(), n.result.clone())))
                .collect()
        })
        .unwrap_or_default();
    let mut blobs = crate::outputs::blob_objects(outputs);
    for (node_id, result) in &nodes {
        blobs.extend(crate::outputs::blob_objects(result));
        if let Some(path) = shared.store_path(&outputs_uri(shared, id, node_id)) {
            let _ = shared.store.put(&path, result.encode_to_vec().into()).await;
        }
    }
    for (uri, directory) in blobs {
        let object = if directory {
            format!("{}/00000", uri.trim_end_matches('/'))
        } else {
            uri
        };
        let Some(path) = shared.store_path(&object) else {
            continue;
        };
        if directory {
            let prefix = shared.store_path(object.trim_end_matches("/00000"));
            let mut listing = shared.store.list(prefix.as_ref());
            if futures::StreamExt::next(&mut listing).await.is_some() {
                continue;
            }
        } else if shared.store.head(&path).await.is_ok() {
            continue;
        }
        // A store failure surfaces when the caller reads the object.
        let _ = shared.store.put(&path, Vec::new().into()).await;
    }
    let uri = outputs_uri(shared, id, "end-node");
    if let Some(path) = shared.store_path(&uri) {
        // A store failure surfaces as missing outputs when the caller reads them back.
        let _ = shared
            .store
            .put(&path, outputs.encode_to_vec().into())
            .await;
    }
}

/// Moves an execution (and its nodes) to `phase`, stamping times the way FlyteAdmin does.
pub(crate) fn set_phase(
    shared: &Shared,
    id: &WorkflowExecutionIdentifier,
    phase: workflow_execution::Phase,
    outputs: Option<LiteralMap>,
    error: Option<flyteidl::flyteidl::core::ExecutionError>,
) {
    use workflow_execution::Phase as P;
    let out_uri = outputs
        .as_ref()
        .map(|_| outputs_uri(shared, id, "end-node"));
    let mut db = shared.db();
    let Some(rec) = db.find_execution_mut(id) else {
        return;
    };
    shared.changes.send_modify(|n| *n += 1);
    let t = now();
    rec.updated = t.clone();
    let exec_inputs = rec.value.inputs.clone();
    let Some(closure) = rec.value.execution.closure.as_mut() else {
        return;
    };
    // Once terminated, only ABORTED may follow (the driver must not bring it back to RUNNING).
    if is_terminal(closure.phase) || closure.phase == P::Aborting as i32 && phase != P::Aborted {
        return;
    }
    closure.phase = phase as i32;
    closure.updated_at = Some(t.clone());
    if phase == P::Running && closure.started_at.is_none() {
        closure.started_at = Some(t.clone());
    }
    let terminal = is_terminal(phase as i32);
    if terminal {
        let start = closure.started_at.clone().unwrap_or_else(|| t.clone());
        closure.duration = Some(duration_between(&start, &t));
    }
    match (phase, &out_uri, &error) {
        (P::Succeeded, Some(uri), _) => {
            closure.output_result = Some(execution_closure::OutputResult::Outputs(
                admin::LiteralMapBlob {
                    data: Some(admin::literal_map_blob::Data::Uri(uri.clone())),
                },
            ));
        }
        (P::Failed, _, Some(e)) => {
            closure.output_result = Some(execution_closure::OutputResult::Error(e.clone()));
        }
        // TerminateExecution already recorded who aborted and why; keep that.
        (P::Aborted, _, _)
            if !matches!(
                closure.output_result,
                Some(execution_closure::OutputResult::AbortMetadata(_))
            ) =>
        {
            closure.output_result = Some(execution_closure::OutputResult::AbortMetadata(
                admin::AbortMetadata {
                    cause: rec.value.abort_cause.clone(),
                    principal: String::new(),
                },
            ));
        }
        _ => {}
    }
    if let Some(o) = outputs {
        rec.value.outputs = Some(o);
    }
    let exec_outputs = rec.value.outputs.clone();
    let (node_phase, task_phase) = match phase {
        P::Queued => (node_execution::Phase::Queued, task_execution::Phase::Queued),
        P::Running => (
            node_execution::Phase::Running,
            task_execution::Phase::Running,
        ),
        P::Succeeded => (
            node_execution::Phase::Succeeded,
            task_execution::Phase::Succeeded,
        ),
        P::Failed => (node_execution::Phase::Failed, task_execution::Phase::Failed),
        P::Aborted | P::Aborting => (
            node_execution::Phase::Aborted,
            task_execution::Phase::Aborted,
        ),
        _ => return,
    };
    if phase == P::Aborting {
        return;
    }
    let single_task = rec.value.task.is_some();
    let mut children = Vec::new();
    for n in &mut rec.value.nodes {
        let node_id = n
            .node
            .id
            .as_ref()
            .map(|i| i.node_id.clone())
            .unwrap_or_default();
        let top_level = n.parent.is_none();
        // A cache hit succeeds as the run starts, without running (so without a start time).
        if let Some(Memo::Hit(hit)) = &n.memo {
            let done = n
                .node
                .closure
                .as_ref()
                .is_some_and(|c| is_terminal_node(c.phase));
            if !done && matches!(phase, P::Running | P::Succeeded) {
                let uri = outputs_uri(shared, id, &node_id);
                let metadata =
                    memo::task_node_metadata(CatalogCacheStatus::CacheHit, Some(hit.key.clone()));
                if let Some(c) = n.node.closure.as_mut() {
                    c.phase = node_execution::Phase::Succeeded as i32;
                    c.updated_at = Some(t.clone());
                    c.output_result = Some(node_execution_closure::OutputResult::OutputUri(uri));
                    c.target_metadata = Some(
                        node_execution_closure::TargetMetadata::TaskNodeMetadata(metadata),
                    );
                }
                n.outputs = Some(n.result.clone());
                continue;
            }
        }
        // Start nodes are done as the run starts; start and end nodes never run (FlyteAdmin
        // gives them no start time).
        let (node_phase, runs) = match n.kind {
            NodeKind::Start if phase == P::Running => (node_execution::Phase::Succeeded, false),
            // An end node waits QUEUED until the run ends (propeller sends no RUNNING for it).
            NodeKind::End if !terminal => continue,
            NodeKind::Start | NodeKind::End => (node_phase, false),
            _ => (node_phase, true),
        };
        if let Some(c) = n.node.closure.as_mut() {
            if is_terminal_node(c.phase) {
                continue;
            }
            c.phase = node_phase as i32;
            c.updated_at = Some(t.clone());
            if runs && (node_phase == node_execution::Phase::Running || terminal) {
                c.started_at.get_or_insert_with(|| t.clone());
            }
            if runs && terminal {
                let start = c.started_at.clone().unwrap_or_else(|| t.clone());
                c.duration = Some(duration_between(&start, &t));
            }
            if let (Some(e), node_execution::Phase::Failed) = (&error, node_phase) {
                c.output_result = Some(node_execution_closure::OutputResult::Error(e.clone()));
            }
            if let (Some(child), node_execution::Phase::Running) = (&n.child, node_phase) {
                c.target_metadata = Some(
                    node_execution_closure::TargetMetadata::WorkflowNodeMetadata(
                        admin::WorkflowNodeMetadata {
                            execution_id: Some(child.clone()),
                        },
                    ),
                );
            }
        }
        if matches!(phase, P::Aborted | P::Failed) {
            children.extend(n.child.clone());
        }
        if node_phase == node_execution::Phase::Succeeded {
            let outputs = match n.kind {
                NodeKind::Start if top_level => exec_inputs.clone(),
                NodeKind::End if top_level => LiteralMap::default(),
                // A single-task execution's node is the task: its outputs are the run's.
                NodeKind::Other if top_level && single_task => {
                    exec_outputs.clone().unwrap_or_default()
                }
                _ => n.result.clone(),
            };
            if n.kind == NodeKind::End && top_level {
                n.inputs = exec_outputs.clone().unwrap_or_default();
            }
            if n.kind != NodeKind::End {
                let uri = outputs_uri(shared, id, &node_id);
                if let Some(c) = n.node.closure.as_mut() {
                    c.output_result = Some(node_execution_closure::OutputResult::OutputUri(uri));
                }
            }
            n.outputs = Some(outputs);
        }
        if let Some(metadata) = memo_metadata(shared, n, node_phase) {
            if let Some(c) = n.node.closure.as_mut() {
                c.target_metadata = Some(node_execution_closure::TargetMetadata::TaskNodeMetadata(
                    metadata,
                ));
            }
        }
        if let Some(task) = n.task.as_mut() {
            if let Some(c) = task.closure.as_mut() {
                c.phase = task_phase as i32;
                c.updated_at = Some(t.clone());
                if task_phase == task_execution::Phase::Running || terminal {
                    c.started_at.get_or_insert_with(|| t.clone());
                }
                if terminal {
                    let start = c.started_at.clone().unwrap_or_else(|| t.clone());
                    c.duration = Some(duration_between(&start, &t));
                }
                if let (Some(e), task_execution::Phase::Failed) = (&error, task_phase) {
                    c.output_result = Some(task_execution_closure::OutputResult::Error(e.clone()));
                }
                if let Some(m) = c.metadata.as_mut() {
                    for r in &mut m.external_resources {
                        r.phase = task_phase as i32;
                    }
                }
            }
        }
    }
    drop(db);
    // Propeller aborts the child executions of a run that is aborted or fails; a child that
    // already ended answers "already terminated", which is fine here.
    for child in children {
        let _ = super::terminate(shared, Some(&child), "parent execution ended", "");
    }
}

/// The `task_node_metadata` a task node shows as it moves to `phase`, with what propeller does
/// with the catalog on the way: a serializable task takes its reservation as it starts; a
/// succeeded node's outputs are put in the catalog and the reservation released. None when
/// FlyteAdmin's record does not change.
fn memo_metadata(
    shared: &Shared,
    n: &NodeRecord,
    phase: node_execution::Phase,
) -> Option<admin::TaskNodeMetadata> {
    let node = n.node.id.as_ref()?;
    let exec = node.execution_id.as_ref()?;
    let pending = match n.memo.as_ref()? {
        Memo::Hit(_) => return None,
        Memo::Disabled => None,
        Memo::Run(pending) => Some(pending),
    };
    match (phase, pending) {
        (node_execution::Phase::Running, Some(p)) if p.serializable() => {
            let owner = memo::reservation_owner(exec, &node.node_id);
            memo::reserve(&mut shared.catalog(), p, &owner, shared.clock.unix_now());
            Some(admin::TaskNodeMetadata::default())
        }
        (node_execution::Phase::Succeeded, Some(p)) => {
            let outputs = n.outputs.clone().unwrap_or_default();
            let mut catalog = shared.catalog();
            let (status, key) = memo::record(&mut catalog, p, node, &outputs, now());
            if p.serializable() {
                let owner = memo::reservation_owner(exec, &node.node_id);
                memo::release(&mut catalog, p, &owner);
            }
            Some(memo::task_node_metadata(status, key))
        }
        (node_execution::Phase::Running | node_execution::Phase::Succeeded, _) => {
            Some(admin::TaskNodeMetadata::default())
        }
        _ => None,
    }
}

fn is_terminal_node(phase: i32) -> bool {
    use node_execution::Phase as N;
    [
        N::Succeeded,
        N::Failed,
        N::Aborted,
        N::Skipped,
        N::TimedOut,
        N::Recovered,
    ]
    .iter()
    .any(|p| *p as i32 == phase)
}
