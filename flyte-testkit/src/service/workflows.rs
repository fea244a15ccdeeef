//! Workflows: create, get, and the two lists.

use flyteidl::flyteidl::admin::*;
use flyteidl::flyteidl::core::ResourceType;
use tonic::Request;

use crate::registry::{WorkflowRow, WORKFLOW_SCHEMA};

use super::{list_versions, ok, Admin, R};

impl Admin {
    pub(super) async fn create_workflow(
        &self,
        request: Request<WorkflowCreateRequest>,
    ) -> R<WorkflowCreateResponse> {
        self.shared.db().create_workflow(request.into_inner())?;
        ok(WorkflowCreateResponse {})
    }

    pub(super) async fn get_workflow(&self, request: Request<ObjectGetRequest>) -> R<Workflow> {
        ok(self
            .shared
            .db()
            .get_workflow(request.get_ref().id.as_ref())?)
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
        ok(WorkflowList { workflows, token })
    }
}
