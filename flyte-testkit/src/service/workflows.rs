//! Workflows: create, get, and the two lists.

use flyteidl::flyteidl::admin::*;
use flyteidl::flyteidl::core::ResourceType;
use tonic::Request;

use crate::db::Db;

use crate::registry::{WorkflowRow, WORKFLOW_SCHEMA};
use crate::sent::{self, Key};

use super::{list_versions, ok, Admin, R};

fn key(id: &flyteidl::flyteidl::core::Identifier) -> Key {
    Key::entity(ResourceType::Workflow, id)
}

impl Admin {
    pub(super) async fn create_workflow(
        &self,
        request: Request<WorkflowCreateRequest>,
    ) -> R<WorkflowCreateResponse> {
        self.register(
            request,
            |r| r.id.clone(),
            Db::create_workflow,
            Db::keep_workflow,
        )?;
        ok(WorkflowCreateResponse {})
    }

    pub(super) async fn get_workflow(&self, request: Request<ObjectGetRequest>) -> R<Workflow> {
        let db = self.shared.db();
        let workflow = db.get_workflow(request.get_ref().id.as_ref())?;
        let splices = db.sent.answer(workflow.id.as_ref().map(key));
        Ok(sent::respond(workflow, splices))
    }

    pub(super) async fn list_workflow_ids(
        &self,
        request: Request<NamedEntityIdentifierListRequest>,
    ) -> R<NamedEntityIdentifierList> {
        self.list_ids(request.into_inner(), ResourceType::Workflow)
    }

    pub(super) async fn list_workflows(
        &self,
        request: Request<ResourceListRequest>,
    ) -> R<WorkflowList> {
        let req = request.into_inner();
        let db = self.shared.db();
        let (workflows, token) = list_versions(
            &db.workflows,
            |t| t.id.as_ref(),
            WorkflowRow,
            |r| r.0.value,
            &WORKFLOW_SCHEMA,
            &req,
        )?;
        let splices = db
            .sent
            .list(1, workflows.iter().map(|w| w.id.as_ref().map(key)));
        Ok(sent::respond(WorkflowList { workflows, token }, splices))
    }
}
