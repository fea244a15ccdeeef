//! Gate nodes: the signals they wait for, and approvals that fail a run when rejected.

use flyteidl::flyteidl::admin::{self};
use flyteidl::flyteidl::core::{node, WorkflowExecutionIdentifier, WorkflowTemplate};

use super::Shared;
use crate::db::Record;

/// Creates the signals of the gate nodes and waits for each gate in turn. A rejected approval
/// fails the execution, as propeller does.
pub(super) async fn pass_gates(
    shared: &Shared,
    id: &WorkflowExecutionIdentifier,
    template: &WorkflowTemplate,
) -> std::result::Result<(), flyteidl::flyteidl::core::ExecutionError> {
    use flyteidl::flyteidl::core::{
        gate_node::Condition, literal_type, LiteralType, SignalIdentifier, SimpleType,
    };
    for n in &template.nodes {
        let Some(node::Target::GateNode(gate)) = &n.target else {
            continue;
        };
        let (signal_id, kind, approval) = match &gate.condition {
            Some(Condition::Sleep(s)) => {
                let d = s.duration.clone().unwrap_or_default();
                let secs = u64::try_from(d.seconds).unwrap_or(0);
                let nanos = u32::try_from(d.nanos).unwrap_or(0);
                tokio::time::sleep(std::time::Duration::new(secs, nanos)).await;
                continue;
            }
            Some(Condition::Signal(s)) => (
                s.signal_id.clone(),
                s.r#type.clone().unwrap_or_default(),
                false,
            ),
            Some(Condition::Approve(a)) => (
                a.signal_id.clone(),
                LiteralType {
                    r#type: Some(literal_type::Type::Simple(SimpleType::Boolean as i32)),
                    ..LiteralType::default()
                },
                true,
            ),
            None => continue,
        };
        let sid = SignalIdentifier {
            signal_id: signal_id.clone(),
            execution_id: Some(id.clone()),
        };
        let mut changes = shared.changes.subscribe();
        {
            let mut db = shared.db();
            if !db.signals.iter().any(|s| s.value.id.as_ref() == Some(&sid)) {
                db.signals.push(Record::new(admin::Signal {
                    id: Some(sid.clone()),
                    r#type: Some(kind),
                    value: None,
                }));
            }
        }
        let value = loop {
            let current = shared
                .db()
                .signals
                .iter()
                .find(|s| s.value.id.as_ref() == Some(&sid))
                .and_then(|s| s.value.value.clone());
            if let Some(v) = current {
                break v;
            }
            if changes.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let rejected = approval && value == crate::literals::boolean(false);
        if rejected {
            return Err(flyteidl::flyteidl::core::ExecutionError {
                code: "Rejected".to_owned(),
                message: format!("approval [{signal_id}] of node [{}] was rejected", n.id),
                error_uri: String::new(),
                kind: flyteidl::flyteidl::core::execution_error::ErrorKind::User as i32,
            });
        }
    }
    Ok(())
}
