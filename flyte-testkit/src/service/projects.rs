//! Projects: register, update, get and list.

use flyteidl::flyteidl::admin::*;
use tonic::Request;

use super::{ok, Admin, R};

impl Admin {
    pub(super) async fn register_project(
        &self,
        request: Request<ProjectRegisterRequest>,
    ) -> R<ProjectRegisterResponse> {
        self.shared.db().register_project(request.into_inner())?;
        ok(ProjectRegisterResponse {})
    }

    pub(super) async fn update_project(
        &self,
        request: Request<Project>,
    ) -> R<ProjectUpdateResponse> {
        self.shared.db().update_project(request.into_inner())?;
        ok(ProjectUpdateResponse {})
    }

    pub(super) async fn get_project(&self, request: Request<ProjectGetRequest>) -> R<Project> {
        ok(self.shared.db().get_project(&request.get_ref().id)?)
    }

    pub(super) async fn list_projects(&self, request: Request<ProjectListRequest>) -> R<Projects> {
        ok(self.shared.db().list_projects(request.get_ref())?)
    }
}
