//! Executions: create, relaunch, recover, get, update, data, list, terminate, metrics and
//! workflow events.

use flyteidl::flyteidl::admin::*;
use flyteidl::flyteidl::core::{span, workflow_execution, Span};
use tonic::{Request, Status};

use crate::errors::{invalid, missing, missing_execution};
use crate::executions::{self, exec_rows, validate_exec_id, ExecRow, EXECUTION_SCHEMA};
use crate::lists::{check_limit, filters_on, page};
use crate::registry::list_scope;
use crate::sent::{self, Key};

use super::{ok, principal, Admin, R};

// FlyteAdmin still fills the deprecated UrlBlob fields of the data responses; so do we.
#[allow(deprecated)]
impl Admin {
    pub(super) async fn create_execution(
        &self,
        request: Request<ExecutionCreateRequest>,
    ) -> R<ExecutionCreateResponse> {
        let who = principal(&request);
        let sent = sent::sent(&request);
        let id = executions::create_execution(&self.shared, request.into_inner(), &who)?;
        if let Some(sent) = sent {
            self.shared.db().keep_execution(&id, &sent);
        }
        ok(ExecutionCreateResponse { id: Some(id) })
    }

    pub(super) async fn relaunch_execution(
        &self,
        request: Request<ExecutionRelaunchRequest>,
    ) -> R<ExecutionCreateResponse> {
        let who = principal(&request);
        let req = request.into_inner();
        let id = executions::relaunch(
            &self.shared,
            req.id.as_ref(),
            &req.name,
            execution_metadata::ExecutionMode::Relaunch,
            Some(req.overwrite_cache),
            None,
            &who,
        )?;
        self.keep_relaunched(req.id.as_ref(), &id);
        ok(ExecutionCreateResponse { id: Some(id) })
    }

    pub(super) async fn recover_execution(
        &self,
        request: Request<ExecutionRecoverRequest>,
    ) -> R<ExecutionCreateResponse> {
        let who = principal(&request);
        let req = request.into_inner();
        let parent = req.metadata.and_then(|m| m.parent_node_execution);
        let id = executions::relaunch(
            &self.shared,
            req.id.as_ref(),
            &req.name,
            execution_metadata::ExecutionMode::Recovered,
            None,
            parent,
            &who,
        )?;
        self.keep_relaunched(req.id.as_ref(), &id);
        ok(ExecutionCreateResponse { id: Some(id) })
    }

    /// A relaunched or recovered execution keeps what its original's client sent.
    fn keep_relaunched(
        &self,
        original: Option<&flyteidl::flyteidl::core::WorkflowExecutionIdentifier>,
        id: &flyteidl::flyteidl::core::WorkflowExecutionIdentifier,
    ) {
        if let Some(original) = original {
            self.shared.db().keep_relaunched(original, id);
        }
    }

    pub(super) async fn get_execution(
        &self,
        request: Request<WorkflowExecutionGetRequest>,
    ) -> R<Execution> {
        let id = validate_exec_id(request.get_ref().id.as_ref())?;
        let db = self.shared.db();
        let rec = db
            .find_execution(&id)
            .ok_or_else(|| missing_execution(&id))?;
        let splices = db.sent.answer(Some(Key::execution(&id)));
        Ok(sent::respond(rec.value.execution.clone(), splices))
    }

    pub(super) async fn update_execution(
        &self,
        request: Request<ExecutionUpdateRequest>,
    ) -> R<ExecutionUpdateResponse> {
        let who = principal(&request);
        let req = request.into_inner();
        let id = validate_exec_id(req.id.as_ref())?;
        if ExecutionState::try_from(req.state).is_err() {
            return Err(invalid(format!("invalid value for state: {}", req.state)));
        }
        let mut db = self.shared.db();
        let rec = db
            .find_execution_mut(&id)
            .ok_or_else(|| missing_execution(&id))?;
        if let Some(c) = rec.value.execution.closure.as_mut() {
            c.state_change_details = Some(ExecutionStateChangeDetails {
                state: req.state,
                occurred_at: Some(crate::db::now()),
                principal: who,
            });
        }
        ok(ExecutionUpdateResponse {})
    }

    pub(super) async fn get_execution_data(
        &self,
        request: Request<WorkflowExecutionGetDataRequest>,
    ) -> R<WorkflowExecutionGetDataResponse> {
        let id = validate_exec_id(request.get_ref().id.as_ref())?;
        let db = self.shared.db();
        let rec = db
            .find_execution(&id)
            .ok_or_else(|| missing_execution(&id))?;
        let outputs = rec.value.outputs.clone().unwrap_or_default();
        let size = u64::try_from(prost::Message::encoded_len(&outputs)).unwrap_or(u64::MAX);
        let remote = self.shared.remote_data;
        // Outputs exist in the store once the execution wrote them.
        let blob = match rec.value.outputs.is_some() && remote.signed_urls {
            true => self
                .shared
                .store_path(&crate::executions::outputs_uri(
                    &self.shared,
                    &id,
                    "end-node",
                ))
                .map(|path| UrlBlob {
                    url: self
                        .shared
                        .sign(
                            path.as_ref(),
                            "GET",
                            std::time::Duration::from_secs(3600),
                            None,
                        )
                        .0,
                    bytes: i64::try_from(size).unwrap_or(i64::MAX),
                })
                .unwrap_or_default(),
            false => UrlBlob::default(),
        };
        let inline = remote.max_size_in_bytes.is_none_or(|max| size < max);
        ok(WorkflowExecutionGetDataResponse {
            outputs: Some(blob),
            inputs: Some(UrlBlob::default()),
            full_inputs: Some(rec.value.inputs.clone()),
            full_outputs: inline.then_some(outputs),
        })
    }

    pub(super) async fn list_executions(
        &self,
        request: Request<ResourceListRequest>,
    ) -> R<ExecutionList> {
        let req = request.into_inner();
        let scope = list_scope(req.id.as_ref())?;
        let limit = check_limit(req.limit)?;
        let db = self.shared.db();
        // Archived executions are hidden unless the caller filters on state.
        let rows: Vec<ExecRow> = exec_rows(
            &db,
            &scope.project,
            &scope.domain,
            &scope.name,
            filters_on(&req.filters, "state"),
        );
        let (rows, token) = page(
            rows,
            &EXECUTION_SCHEMA,
            &req.filters,
            req.sort_by.as_ref(),
            &req.token,
            Some(limit),
        )?;
        let executions: Vec<Execution> = rows.into_iter().map(|r| r.execution).collect();
        let splices = db.sent.list(
            1,
            executions.iter().map(|e| e.id.as_ref().map(Key::execution)),
        );
        Ok(sent::respond(ExecutionList { executions, token }, splices))
    }

    pub(super) async fn terminate_execution(
        &self,
        request: Request<ExecutionTerminateRequest>,
    ) -> R<ExecutionTerminateResponse> {
        let who = principal(&request);
        let req = request.into_inner();
        executions::terminate(&self.shared, req.id.as_ref(), &req.cause, &who)?;
        ok(ExecutionTerminateResponse {})
    }

    pub(super) async fn create_workflow_event(
        &self,
        request: Request<WorkflowExecutionEventRequest>,
    ) -> R<WorkflowExecutionEventResponse> {
        let event = request.into_inner().event.ok_or_else(|| missing("event"))?;
        let id = validate_exec_id(event.execution_id.as_ref())?;
        let phase = workflow_execution::Phase::try_from(event.phase)
            .map_err(|_| invalid(format!("invalid value for phase: {}", event.phase)))?;
        {
            let db = self.shared.db();
            let rec = db
                .find_execution(&id)
                .ok_or_else(|| missing_execution(&id))?;
            let current = rec.value.execution.closure.as_ref().map_or(0, |c| c.phase);
            if [4, 6, 7, 8].contains(&current) {
                return Err(Status::failed_precondition(format!(
                    "Invalid phase change from {} to {} for workflow execution {{{}}}",
                    workflow_execution::Phase::try_from(current)
                        .map_or("UNKNOWN", |p| p.as_str_name()),
                    phase.as_str_name(),
                    crate::errors::exec_id_text(&id)
                )));
            }
        }
        use flyteidl::flyteidl::event::workflow_execution_event::OutputResult as O;
        let (outputs, error) = match event.output_result {
            Some(O::OutputData(d)) => (Some(d), None),
            Some(O::Error(e)) => (None, Some(e)),
            _ => (None, None),
        };
        let outputs = match (phase, outputs) {
            (workflow_execution::Phase::Succeeded, None) => Some(Default::default()),
            (_, o) => o,
        };
        executions::set_phase(&self.shared, &id, phase, outputs, error);
        ok(WorkflowExecutionEventResponse {})
    }

    pub(super) async fn get_execution_metrics(
        &self,
        request: Request<WorkflowExecutionGetMetricsRequest>,
    ) -> R<WorkflowExecutionGetMetricsResponse> {
        let id = validate_exec_id(request.get_ref().id.as_ref())?;
        let db = self.shared.db();
        let rec = db
            .find_execution(&id)
            .ok_or_else(|| missing_execution(&id))?;
        let c = rec.value.execution.closure.clone().unwrap_or_default();
        let end = |started: &Option<prost_types::Timestamp>, d: &Option<prost_types::Duration>| {
            started.as_ref().map(|s| {
                let d = d.clone().unwrap_or_default();
                prost_types::Timestamp {
                    seconds: s.seconds + d.seconds,
                    nanos: s.nanos + d.nanos,
                }
            })
        };
        let spans = rec
            .value
            .nodes
            .iter()
            .filter_map(|n| {
                let nc = n.node.closure.clone()?;
                Some(Span {
                    start_time: nc.started_at.clone(),
                    end_time: end(&nc.started_at, &nc.duration),
                    spans: Vec::new(),
                    id: n.node.id.clone().map(span::Id::NodeId),
                })
            })
            .collect();
        ok(WorkflowExecutionGetMetricsResponse {
            span: Some(Span {
                start_time: c.started_at.clone(),
                end_time: end(&c.started_at, &c.duration),
                spans,
                id: Some(span::Id::WorkflowId(id)),
            }),
        })
    }
}
