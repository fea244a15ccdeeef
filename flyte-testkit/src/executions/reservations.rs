//! Cache serialization (`cache_serializable`): while another execution holds the reservation of
//! the same cache key, propeller keeps the node waiting and looks the key up again each round,
//! so the waiting run hits what the first one wrote instead of computing it a second time.

use flyteidl::flyteidl::core::{node_execution, workflow_execution, WorkflowExecutionIdentifier};
use tokio::sync::watch;

use super::Shared;
use crate::catalog::memo::{self, RESERVATION_HEARTBEAT};
use crate::catalog::Memo;
use crate::db::NodeKind;
use crate::executor::ExecutionRun;

/// What the wait ended with.
pub(super) enum Reserved {
    /// The run may go on: it holds the reservation, hit the cache meanwhile, or needs none.
    Proceed,
    /// The run was terminated while it waited.
    Aborted,
}

/// Holds a single-task execution of a serializable cached task until it gets the reservation of
/// its key or the key is in the catalog (then the node is a hit). Workflow nodes take their
/// reservation as they start, without waiting.
pub(super) async fn wait_for_reservation(
    shared: &Shared,
    run: &ExecutionRun,
    abort: &mut watch::Receiver<bool>,
) -> Reserved {
    if run.task.is_none() {
        return Reserved::Proceed;
    }
    loop {
        let mut changes = shared.changes.subscribe();
        if settle(shared, run) {
            return Reserved::Proceed;
        }
        tokio::select! {
            _ = changes.changed() => {}
            () = tokio::time::sleep(RESERVATION_HEARTBEAT) => {}
            _ = abort.changed() => {}
        }
        if *abort.borrow() {
            super::set_phase(
                shared,
                &run.id,
                workflow_execution::Phase::Aborted,
                None,
                None,
            );
            return Reserved::Aborted;
        }
    }
}

/// One round: whether the run may go on (it needs no reservation, the key is now cached and
/// the node became a hit, or it took the reservation).
fn settle(shared: &Shared, run: &ExecutionRun) -> bool {
    let mut db = shared.db();
    let Some(rec) = db.find_execution_mut(&run.id) else {
        return true;
    };
    let node = rec
        .value
        .nodes
        .iter_mut()
        .find(|n| n.parent.is_none() && n.kind == NodeKind::Other);
    let Some(node) = node else {
        return true;
    };
    let Some(Memo::Run(pending)) = &node.memo else {
        return true;
    };
    if !pending.serializable() {
        return true;
    }
    let node_id = node
        .node
        .id
        .as_ref()
        .map(|i| i.node_id.clone())
        .unwrap_or_default();
    let mut catalog = shared.catalog();
    if let Some(hit) = memo::lookup(&catalog, pending) {
        if let Memo::Hit(h) = &hit {
            node.result = h.outputs.clone();
        }
        node.memo = Some(hit);
        node.task = None;
        return true;
    }
    let owner = memo::reservation_owner(&run.id, &node_id);
    memo::reserve(&mut catalog, pending, &owner, shared.clock.unix_now())
}

/// Extends the reservations the run's running serializable nodes hold every heartbeat, as
/// propeller does each round, until the run ends.
pub(super) fn spawn_heartbeat(shared: std::sync::Arc<Shared>, id: WorkflowExecutionIdentifier) {
    let serialized = shared.db().find_execution(&id).is_some_and(|rec| {
        rec.value
            .nodes
            .iter()
            .any(|n| matches!(&n.memo, Some(Memo::Run(p)) if p.serializable()))
    });
    if !serialized {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(RESERVATION_HEARTBEAT).await;
            let db = shared.db();
            let Some(rec) = db.find_execution(&id) else {
                return;
            };
            let phase = rec.value.execution.closure.as_ref().map_or(0, |c| c.phase);
            if super::is_terminal(phase) {
                return;
            }
            let mut catalog = shared.catalog();
            for n in &rec.value.nodes {
                let running = n
                    .node
                    .closure
                    .as_ref()
                    .is_some_and(|c| c.phase == node_execution::Phase::Running as i32);
                let (Some(Memo::Run(pending)), Some(node), true) = (&n.memo, &n.node.id, running)
                else {
                    continue;
                };
                if pending.serializable() {
                    let owner = memo::reservation_owner(&id, &node.node_id);
                    memo::reserve(&mut catalog, pending, &owner, shared.clock.unix_now());
                }
            }
        }
    });
}
