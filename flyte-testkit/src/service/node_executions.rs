//! Node executions: get, data, the lists, dynamic workflows and node events.

use flyteidl::flyteidl::admin::*;
use tonic::{Request, Status};

use crate::db::NodeKind;
use crate::errors::{missing, missing_execution, not_found};
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
        let rec = self.node_record(request.get_ref().id.as_ref())?;
        let mut node = rec.node;
        // FlyteAdmin marks a branch node a parent only when it lists it with its children.
        if rec.kind == NodeKind::Branch {
            if let Some(m) = node.metadata.as_mut() {
                m.is_parent_node = false;
            }
        }
        ok(node)
    }

    pub(super) async fn get_dynamic_node_workflow(
        &self,
        request: Request<GetDynamicNodeWorkflowRequest>,
    ) -> R<DynamicNodeWorkflowResponse> {
        let rec = self.node_record(request.get_ref().id.as_ref())?;
        match rec.dynamic_workflow {
            Some(d) => ok(DynamicNodeWorkflowResponse {
                compiled_workflow: d.compiled_workflow,
            }),
            None => Err(not_found("node does not contain dynamic workflow")),
        }
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
        if let Some(parent) = parent {
            let known = rec
                .value
                .nodes
                .iter()
                .any(|n| n.node.id.as_ref().is_some_and(|i| i.node_id == parent));
            if !known {
                return Err(not_found(format!(
                    "missing entity of type node execution with identifier node_id:{parent:?} execution_id:{{{}}}",
                    crate::errors::exec_id_text(&exec_id)
                )));
            }
        }
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
        let id = request.into_inner().id;
        let rec = self.node_record(id.as_ref())?;
        let base = flyte_url(id.as_ref());
        ok(NodeExecutionGetDataResponse {
            inputs: Some(UrlBlob::default()),
            outputs: Some(UrlBlob::default()),
            full_inputs: Some(rec.inputs),
            full_outputs: Some(rec.outputs.unwrap_or_default()),
            dynamic_workflow: rec.dynamic_workflow,
            flyte_urls: Some(FlyteUrLs {
                inputs: format!("{base}/i"),
                outputs: format!("{base}/o"),
                deck: String::new(),
            }),
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

/// `flyte://v1/<project>/<domain>/<execution>/<node>`: FlyteAdmin's data URL of a node, the
/// prefix of its inputs (`/i`), outputs (`/o`) and, per attempt, its task's.
pub(super) fn flyte_url(id: Option<&flyteidl::flyteidl::core::NodeExecutionIdentifier>) -> String {
    let node = id.map(|i| i.node_id.as_str()).unwrap_or_default();
    let exec = id.and_then(|i| i.execution_id.as_ref());
    format!(
        "flyte://v1/{}/{}/{}/{node}",
        exec.map(|e| e.project.as_str()).unwrap_or_default(),
        exec.map(|e| e.domain.as_str()).unwrap_or_default(),
        exec.map(|e| e.name.as_str()).unwrap_or_default(),
    )
}
