//! Node executions: get, data, the lists, dynamic workflows and node events.

use flyteidl::flyteidl::admin::*;
use tonic::{Request, Status};

use crate::errors::{invalid, missing, missing_execution};
use crate::executions::{validate_exec_id, NodeRow, NODE_EXECUTION_SCHEMA};
use crate::lists::{check_limit, page};

use super::{ok, Admin, R};

// FlyteAdmin still fills the deprecated UrlBlob fields of the data responses; so do we.
#[allow(deprecated)]
impl Admin {
    pub(super) async fn get_node_execution(
        &self,
        request: Request<NodeExecutionGetRequest>,
    ) -> R<NodeExecution> {
        ok(self.node_record(request.get_ref().id.as_ref())?.node)
    }

    pub(super) async fn get_dynamic_node_workflow(
        &self,
        request: Request<GetDynamicNodeWorkflowRequest>,
    ) -> R<DynamicNodeWorkflowResponse> {
        let rec = self.node_record(request.get_ref().id.as_ref())?;
        Err(invalid(format!(
            "node [{}] is not a dynamic node; flyte-testkit does not simulate dynamic workflows",
            rec.node.id.map(|i| i.node_id).unwrap_or_default()
        )))
    }

    pub(super) async fn list_node_executions(
        &self,
        request: Request<NodeExecutionListRequest>,
    ) -> R<NodeExecutionList> {
        let req = request.into_inner();
        let exec_id = validate_exec_id(req.workflow_execution_id.as_ref())?;
        let limit = check_limit(req.limit)?;
        let db = self.shared.db();
        let rec = db
            .find_execution(&exec_id)
            .ok_or_else(|| missing_execution(&exec_id))?;
        // Without a parent id, the top-level nodes; with one, that node's children.
        let parent = (!req.unique_parent_id.is_empty()).then_some(req.unique_parent_id.as_str());
        let rows: Vec<NodeRow> = rec
            .value
            .nodes
            .iter()
            .filter(|n| n.parent.as_deref() == parent)
            .map(|n| NodeRow(n.node.clone()))
            .collect();
        let (rows, token) = page(
            rows,
            &NODE_EXECUTION_SCHEMA,
            &req.filters,
            req.sort_by.as_ref(),
            &req.token,
            Some(limit),
        )?;
        ok(NodeExecutionList {
            node_executions: rows.into_iter().map(|r| r.0).collect(),
            token,
        })
    }

    pub(super) async fn list_node_executions_for_task(
        &self,
        request: Request<NodeExecutionForTaskListRequest>,
    ) -> R<NodeExecutionList> {
        let req = request.into_inner();
        let task_id = req
            .task_execution_id
            .ok_or_else(|| missing("task_execution_id"))?;
        check_limit(req.limit)?;
        self.node_record(task_id.node_execution_id.as_ref())?;
        ok(NodeExecutionList {
            node_executions: Vec::new(),
            token: String::new(),
        })
    }

    pub(super) async fn get_node_execution_data(
        &self,
        request: Request<NodeExecutionGetDataRequest>,
    ) -> R<NodeExecutionGetDataResponse> {
        let rec = self.node_record(request.get_ref().id.as_ref())?;
        ok(NodeExecutionGetDataResponse {
            inputs: Some(UrlBlob::default()),
            outputs: Some(UrlBlob::default()),
            full_inputs: Some(rec.inputs),
            full_outputs: Some(rec.outputs.unwrap_or_default()),
            dynamic_workflow: None,
            flyte_urls: None,
        })
    }

    pub(super) async fn create_node_event(
        &self,
        _: Request<NodeExecutionEventRequest>,
    ) -> R<NodeExecutionEventResponse> {
        Err(Status::unimplemented(
            "flyte-testkit records node executions itself; node events from a propeller are not simulated",
        ))
    }
}
