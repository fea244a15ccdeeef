//! FlyteAdmin's version, who the server thinks you are, and projects.

use flyteidl::flyteidl::admin::{self, project::ProjectState};
use flyteidl::flyteidl::service;

use super::repeatable;
use crate::client::AdminClient;
use crate::error::Result;
use crate::list::{ListOptions, Listing};

impl AdminClient {
    /// FlyteAdmin's version.
    ///
    /// # Errors
    /// The call's failure.
    pub async fn version(&self) -> Result<String> {
        let resp = self
            .unary("GetVersion", {
                let mut svc = self.inner.admin.clone();
                async move { svc.get_version(admin::GetVersionRequest {}).await }
            })
            .await?;
        Ok(resp
            .control_plane_version
            .map(|v| v.version)
            .unwrap_or_default())
    }

    /// Who the server thinks you are.
    ///
    /// # Errors
    /// The call's failure.
    pub async fn user_info(&self) -> Result<service::UserInfoResponse> {
        self.unary("UserInfo", {
            let mut svc = self.inner.identity.clone();
            async move { svc.user_info(service::UserInfoRequest {}).await }
        })
        .await
    }

    // -----------------------------------------------------------------------------------------
    // Projects

    /// Registers a project. Retried on transient failures: when a repeat meets ALREADY_EXISTS
    /// and the project as stored has the same name, description and labels, an earlier attempt
    /// registered it and its answer was lost, so the call succeeds.
    ///
    /// # Errors
    /// FlyteAdmin's validation (id a DNS-1123 label, name required, ...), ALREADY_EXISTS (the
    /// project existed before this call, or exists with a different name, description or labels).
    pub async fn register_project(&self, project: admin::Project) -> Result<()> {
        let (request, attempts) = repeatable(admin::ProjectRegisterRequest {
            project: Some(project.clone()),
        });
        let e = match self
            .unary("RegisterProject", self.admin().register_project(request))
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if e.is_already_exists() && attempts.get() > 1 => e,
            Err(e) => return Err(e),
        };
        let stored = self.get_project(&project.id).await?;
        let same = stored.name == project.name
            && stored.description == project.description
            && stored.labels.unwrap_or_default().values
                == project.labels.unwrap_or_default().values;
        if same {
            Ok(())
        } else {
            Err(e)
        }
    }

    /// One project, with the server's domains.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn get_project(&self, id: &str) -> Result<admin::Project> {
        self.unary("GetProject", {
            let mut svc = self.inner.admin.clone();
            let req = admin::ProjectGetRequest {
                id: id.to_owned(),
                org: String::new(),
            };
            async move { svc.get_project(req).await }
        })
        .await
    }

    /// Every project (archived ones only when filtered for).
    pub fn list_projects(&self, opts: &ListOptions) -> Listing<admin::Project> {
        list_stream!(
            self,
            "ListProjects",
            opts,
            |token| |o: &ListOptions| admin::ProjectListRequest {
                limit: o.page_size,
                token: token.clone(),
                filters: o.filters.to_string(),
                sort_by: o.sort_pb(),
                org: String::new(),
            },
            list_projects,
            projects
        )
    }

    /// Replaces a project's name, description, labels and state.
    ///
    /// # Errors
    /// NOT_FOUND, validation.
    pub async fn update_project(&self, project: admin::Project) -> Result<()> {
        self.unary("UpdateProject", {
            let mut svc = self.inner.admin.clone();
            let req = project;
            async move { svc.update_project(req).await }
        })
        .await
        .map(|_| ())
    }

    async fn set_project_state(&self, id: &str, state: ProjectState) -> Result<()> {
        let mut p = self.get_project(id).await?;
        p.state = state as i32;
        p.domains.clear();
        self.update_project(p).await
    }

    /// Archives a project: hidden from lists, no new registrations.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn archive_project(&self, id: &str) -> Result<()> {
        self.set_project_state(id, ProjectState::Archived).await
    }

    /// Makes an archived project active again.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn activate_project(&self, id: &str) -> Result<()> {
        self.set_project_state(id, ProjectState::Active).await
    }
}
