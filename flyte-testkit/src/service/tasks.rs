//! Tasks: create, get, and the two lists.

use flyteidl::flyteidl::admin::*;
use flyteidl::flyteidl::core::ResourceType;
use tonic::Request;

use crate::registry::{self, TASK_SCHEMA};

use super::{list_versions, ok, Admin, R};

impl Admin {
    pub(super) async fn create_task(
        &self,
        request: Request<TaskCreateRequest>,
    ) -> R<TaskCreateResponse> {
        self.shared.db().create_task(request.into_inner())?;
        ok(TaskCreateResponse {})
    }

    pub(super) async fn get_task(&self, request: Request<ObjectGetRequest>) -> R<Task> {
        ok(self.shared.db().get_task(request.get_ref().id.as_ref())?)
    }

    pub(super) async fn list_task_ids(
        &self,
        request: Request<NamedEntityIdentifierListRequest>,
    ) -> R<NamedEntityIdentifierList> {
        self.list_ids(request.into_inner(), ResourceType::Task)
    }

    pub(super) async fn list_tasks(&self, request: Request<ResourceListRequest>) -> R<TaskList> {
        let req = request.into_inner();
        let db = self.shared.db();
        let (tasks, token) = list_versions(
            &db.tasks,
            |t| t.id.as_ref(),
            registry::TaskRow,
            |r| r.0.value,
            &TASK_SCHEMA,
            &req,
        )?;
        ok(TaskList { tasks, token })
    }
}
