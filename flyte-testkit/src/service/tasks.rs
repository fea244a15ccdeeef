//! Tasks: create, get, and the two lists.

use flyteidl::flyteidl::admin::*;
use flyteidl::flyteidl::core::ResourceType;
use tonic::Request;

use crate::db::Db;

use crate::registry::{self, TASK_SCHEMA};
use crate::sent::{self, Key};

use super::{list_versions, ok, Admin, R};

fn key(id: &flyteidl::flyteidl::core::Identifier) -> Key {
    Key::entity(ResourceType::Task, id)
}

impl Admin {
    pub(super) async fn create_task(
        &self,
        request: Request<TaskCreateRequest>,
    ) -> R<TaskCreateResponse> {
        self.register(request, |r| r.id.clone(), Db::create_task, Db::keep_task)?;
        ok(TaskCreateResponse {})
    }

    pub(super) async fn get_task(&self, request: Request<ObjectGetRequest>) -> R<Task> {
        let db = self.shared.db();
        let task = db.get_task(request.get_ref().id.as_ref())?;
        let splices = db.sent.answer(task.id.as_ref().map(key));
        Ok(sent::respond(task, splices))
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
        let splices = db
            .sent
            .list(1, tasks.iter().map(|t| t.id.as_ref().map(key)));
        Ok(sent::respond(TaskList { tasks, token }, splices))
    }
}
