//! Task executions: get, data, the list and task events.

use flyteidl::flyteidl::admin::*;
use tonic::{Request, Response, Status};

use crate::errors::{missing, not_found};
use crate::executions::{TaskRow, TASK_EXECUTION_SCHEMA};
use crate::lists::{check_limit, page};

use super::{ok, Admin, R};

// FlyteAdmin still fills the deprecated UrlBlob fields of the data responses; so do we.
#[allow(deprecated)]
impl Admin {
    pub(super) async fn create_task_event(
        &self,
        _: Request<TaskExecutionEventRequest>,
    ) -> R<TaskExecutionEventResponse> {
        Err(Status::unimplemented(
            "flyte-testkit records task executions itself; task events from a propeller are not simulated",
        ))
    }

    pub(super) async fn get_task_execution(
        &self,
        request: Request<TaskExecutionGetRequest>,
    ) -> R<TaskExecution> {
        let id = request.into_inner().id.ok_or_else(|| missing("id"))?;
        let rec = self.node_record(id.node_execution_id.as_ref())?;
        rec.task
            .filter(|t| {
                t.id.as_ref()
                    .is_some_and(|i| i.retry_attempt == id.retry_attempt)
            })
            .map(Response::new)
            .ok_or_else(|| not_found("missing entity of type task execution"))
    }

    pub(super) async fn list_task_executions(
        &self,
        request: Request<TaskExecutionListRequest>,
    ) -> R<TaskExecutionList> {
        let req = request.into_inner();
        let limit = check_limit(req.limit)?;
        let rec = self.node_record(req.node_execution_id.as_ref())?;
        let rows: Vec<TaskRow> = rec.task.into_iter().map(TaskRow).collect();
        let (rows, token) = page(
            rows,
            &TASK_EXECUTION_SCHEMA,
            &req.filters,
            req.sort_by.as_ref(),
            &req.token,
            Some(limit),
        )?;
        ok(TaskExecutionList {
            task_executions: rows.into_iter().map(|r| r.0).collect(),
            token,
        })
    }

    pub(super) async fn get_task_execution_data(
        &self,
        request: Request<TaskExecutionGetDataRequest>,
    ) -> R<TaskExecutionGetDataResponse> {
        let id = request.into_inner().id.ok_or_else(|| missing("id"))?;
        let rec = self.node_record(id.node_execution_id.as_ref())?;
        if rec.task.is_none() {
            return Err(not_found("missing entity of type task execution"));
        }
        let base = format!(
            "{}/{}",
            super::node_executions::flyte_url(id.node_execution_id.as_ref()),
            id.retry_attempt
        );
        ok(TaskExecutionGetDataResponse {
            inputs: Some(UrlBlob::default()),
            outputs: Some(UrlBlob::default()),
            full_inputs: Some(rec.inputs),
            full_outputs: Some(rec.outputs.unwrap_or_default()),
            flyte_urls: Some(FlyteUrLs {
                inputs: format!("{base}/i"),
                outputs: format!("{base}/o"),
                deck: String::new(),
            }),
        })
    }
}
