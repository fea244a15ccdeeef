//! SignalService: the signals gate nodes wait on, stored, listed and set.

use std::sync::Arc;

use flyteidl::flyteidl::admin::*;
use flyteidl::flyteidl::service::signal_service_server::SignalService;
use tonic::Request;

use crate::db::Record;
use crate::errors::{invalid, missing, not_found};
use crate::executions::{validate_exec_id, Shared};
use crate::lists::check_limit;
use crate::literals;

use super::{ok, R};

/// SignalService: signals for gate nodes, stored and listed.
#[derive(Debug, Clone)]
pub(crate) struct Signals {
    pub(crate) shared: Arc<Shared>,
}

#[tonic::async_trait]
impl SignalService for Signals {
    async fn get_or_create_signal(&self, request: Request<SignalGetOrCreateRequest>) -> R<Signal> {
        let req = request.into_inner();
        let id = req.id.ok_or_else(|| missing("id"))?;
        if id.signal_id.is_empty() {
            return Err(missing("signal_id"));
        }
        validate_exec_id(id.execution_id.as_ref())?;
        let t = req.r#type.ok_or_else(|| missing("type"))?;
        let mut db = self.shared.db();
        if let Some(s) = db.signals.iter().find(|s| s.value.id.as_ref() == Some(&id)) {
            return ok(s.value.clone());
        }
        let signal = Signal {
            id: Some(id),
            r#type: Some(t),
            value: None,
        };
        db.signals.push(Record::new(signal.clone()));
        ok(signal)
    }

    async fn list_signals(&self, request: Request<SignalListRequest>) -> R<SignalList> {
        let req = request.into_inner();
        let exec = validate_exec_id(req.workflow_execution_id.as_ref())?;
        let limit = check_limit(req.limit)?;
        let offset = crate::lists::parse_token(&req.token, "ListSignals")?;
        let db = self.shared.db();
        let all: Vec<Signal> = db
            .signals
            .iter()
            .filter(|s| s.value.id.as_ref().and_then(|i| i.execution_id.as_ref()) == Some(&exec))
            .map(|s| s.value.clone())
            .collect();
        let page: Vec<Signal> = all.into_iter().skip(offset).take(limit).collect();
        let token = if page.len() == limit {
            (offset + limit).to_string()
        } else {
            String::new()
        };
        ok(SignalList {
            signals: page,
            token,
        })
    }

    async fn set_signal(&self, request: Request<SignalSetRequest>) -> R<SignalSetResponse> {
        let req = request.into_inner();
        let id = req.id.ok_or_else(|| missing("id"))?;
        let value = req.value.ok_or_else(|| missing("value"))?;
        let mut db = self.shared.db();
        let signal = db
            .signals
            .iter_mut()
            .find(|s| s.value.id.as_ref() == Some(&id))
            .ok_or_else(|| not_found("missing entity of type signal"))?;
        // Setting again overwrites, as FlyteAdmin's `UPDATE ... SET value` does: the last write
        // wins and a repeat is no error.
        let want = signal.value.r#type.clone().unwrap_or_default();
        let got = literals::require_type("", literals::infer(&value)).map_err(invalid)?;
        // FlyteAdmin asks whether the signal's type casts to the value's, and prints the value
        // and the signal type as stored: its serialized bytes.
        if !literals::castable(&want, &got) {
            return Err(invalid(format!(
                "requested signal value [{}] is not castable to existing signal type [{}]",
                literals::describe_literal(&value),
                literals::go_bytes(&literals::encode_type(&want))
            )));
        }
        signal.value.value = Some(value);
        drop(db);
        // Wakes executions waiting at a gate.
        self.shared.changes.send_modify(|n| *n += 1);
        ok(SignalSetResponse {})
    }
}
