//! Tasks, workflows and launch plans, and their names (named entities).

use flyteidl::flyteidl::admin::{self};
use flyteidl::flyteidl::core::ResourceType;

use super::scope;
use crate::client::AdminClient;
use crate::error::Result;
use crate::ids::{LaunchPlanId, TaskId, WorkflowId};
use crate::list::{ListOptions, Listing};

impl AdminClient {
    /// Registers a task. ALREADY_EXISTS ([`crate::Error::is_already_exists`]) means an identical
    /// task is registered.
    ///
    /// # Errors
    /// Validation, ALREADY_EXISTS, "different structure".
    pub async fn create_task(&self, id: &TaskId, spec: admin::TaskSpec) -> Result<()> {
        self.unary("CreateTask", {
            let mut svc = self.inner.admin.clone();
            let req = admin::TaskCreateRequest {
                id: Some(id.to_pb()),
                spec: Some(spec),
            };
            async move { svc.create_task(req).await }
        })
        .await
        .map(|_| ())
    }

    /// One task version.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn get_task(&self, id: &TaskId) -> Result<admin::Task> {
        self.unary("GetTask", {
            let mut svc = self.inner.admin.clone();
            let req = admin::ObjectGetRequest {
                id: Some(id.to_pb()),
            };
            async move { svc.get_task(req).await }
        })
        .await
    }

    /// Task versions in a project and domain, of one name when given.
    pub fn list_tasks(
        &self,
        project: &str,
        domain: &str,
        name: Option<&str>,
        opts: &ListOptions,
    ) -> Listing<admin::Task> {
        let id = scope(project, domain, name);
        list_stream!(
            self,
            "ListTasks",
            opts,
            |token| |o: &ListOptions| admin::ResourceListRequest {
                id: Some(id.clone()),
                limit: o.page_size,
                token: token.clone(),
                filters: o.filters.to_string(),
                sort_by: o.sort_pb(),
            },
            list_tasks,
            tasks
        )
    }

    /// Registers a workflow; every task, sub-workflow and launch plan it references must exist.
    ///
    /// # Errors
    /// "failed to compile workflow", ALREADY_EXISTS, "different structure".
    pub async fn create_workflow(&self, id: &WorkflowId, spec: admin::WorkflowSpec) -> Result<()> {
        self.unary("CreateWorkflow", {
            let mut svc = self.inner.admin.clone();
            let req = admin::WorkflowCreateRequest {
                id: Some(id.to_pb()),
                spec: Some(spec),
            };
            async move { svc.create_workflow(req).await }
        })
        .await
        .map(|_| ())
    }

    /// One workflow version with its compiled closure.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn get_workflow(&self, id: &WorkflowId) -> Result<admin::Workflow> {
        self.unary("GetWorkflow", {
            let mut svc = self.inner.admin.clone();
            let req = admin::ObjectGetRequest {
                id: Some(id.to_pb()),
            };
            async move { svc.get_workflow(req).await }
        })
        .await
    }

    /// Workflow versions in a project and domain, of one name when given.
    pub fn list_workflows(
        &self,
        project: &str,
        domain: &str,
        name: Option<&str>,
        opts: &ListOptions,
    ) -> Listing<admin::Workflow> {
        let id = scope(project, domain, name);
        list_stream!(
            self,
            "ListWorkflows",
            opts,
            |token| |o: &ListOptions| admin::ResourceListRequest {
                id: Some(id.clone()),
                limit: o.page_size,
                token: token.clone(),
                filters: o.filters.to_string(),
                sort_by: o.sort_pb(),
            },
            list_workflows,
            workflows
        )
    }

    /// Registers a launch plan (stored INACTIVE).
    ///
    /// # Errors
    /// NOT_FOUND for a missing workflow, input checks, ALREADY_EXISTS, "different structure".
    pub async fn create_launch_plan(
        &self,
        id: &LaunchPlanId,
        spec: admin::LaunchPlanSpec,
    ) -> Result<()> {
        self.unary("CreateLaunchPlan", {
            let mut svc = self.inner.admin.clone();
            let req = admin::LaunchPlanCreateRequest {
                id: Some(id.to_pb()),
                spec: Some(spec),
            };
            async move { svc.create_launch_plan(req).await }
        })
        .await
        .map(|_| ())
    }

    /// One launch plan version.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn get_launch_plan(&self, id: &LaunchPlanId) -> Result<admin::LaunchPlan> {
        self.unary("GetLaunchPlan", {
            let mut svc = self.inner.admin.clone();
            let req = admin::ObjectGetRequest {
                id: Some(id.to_pb()),
            };
            async move { svc.get_launch_plan(req).await }
        })
        .await
    }

    /// Launch plan versions in a project and domain, of one name when given.
    pub fn list_launch_plans(
        &self,
        project: &str,
        domain: &str,
        name: Option<&str>,
        opts: &ListOptions,
    ) -> Listing<admin::LaunchPlan> {
        let id = scope(project, domain, name);
        list_stream!(
            self,
            "ListLaunchPlans",
            opts,
            |token| |o: &ListOptions| admin::ResourceListRequest {
                id: Some(id.clone()),
                limit: o.page_size,
                token: token.clone(),
                filters: o.filters.to_string(),
                sort_by: o.sort_pb(),
            },
            list_launch_plans,
            launch_plans
        )
    }

    async fn set_launch_plan_state(
        &self,
        id: &LaunchPlanId,
        state: admin::LaunchPlanState,
    ) -> Result<()> {
        self.unary("UpdateLaunchPlan", {
            let mut svc = self.inner.admin.clone();
            let req = admin::LaunchPlanUpdateRequest {
                id: Some(id.to_pb()),
                state: state as i32,
            };
            async move { svc.update_launch_plan(req).await }
        })
        .await
        .map(|_| ())
    }

    /// Activates a version; the previously active version of the name is deactivated at once.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn activate_launch_plan(&self, id: &LaunchPlanId) -> Result<()> {
        self.set_launch_plan_state(id, admin::LaunchPlanState::Active)
            .await
    }

    /// Deactivates a version (its schedule stops; it can still be launched).
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn deactivate_launch_plan(&self, id: &LaunchPlanId) -> Result<()> {
        self.set_launch_plan_state(id, admin::LaunchPlanState::Inactive)
            .await
    }

    /// The active version of a launch plan name.
    ///
    /// # Errors
    /// NOT_FOUND when none is active.
    pub async fn get_active_launch_plan(
        &self,
        project: &str,
        domain: &str,
        name: &str,
    ) -> Result<admin::LaunchPlan> {
        self.unary("GetActiveLaunchPlan", {
            let mut svc = self.inner.admin.clone();
            let req = admin::ActiveLaunchPlanRequest {
                id: Some(scope(project, domain, Some(name))),
            };
            async move { svc.get_active_launch_plan(req).await }
        })
        .await
    }

    /// Active launch plans of a project and domain.
    pub fn list_active_launch_plans(
        &self,
        project: &str,
        domain: &str,
        opts: &ListOptions,
    ) -> Listing<admin::LaunchPlan> {
        let (project, domain) = (project.to_owned(), domain.to_owned());
        list_stream!(
            self,
            "ListActiveLaunchPlans",
            opts,
            |token| |o: &ListOptions| admin::ActiveLaunchPlanListRequest {
                project: project.clone(),
                domain: domain.clone(),
                limit: o.page_size,
                token: token.clone(),
                sort_by: o.sort_pb(),
                org: String::new(),
            },
            list_active_launch_plans,
            launch_plans
        )
    }

    /// Names of tasks, workflows or launch plans (`resource_type`) in a project and domain,
    /// with their metadata (description, archived state).
    pub fn list_named_entities(
        &self,
        resource_type: ResourceType,
        project: &str,
        domain: &str,
        opts: &ListOptions,
    ) -> Listing<admin::NamedEntity> {
        let (project, domain) = (project.to_owned(), domain.to_owned());
        list_stream!(
            self,
            "ListNamedEntities",
            opts,
            |token| |o: &ListOptions| admin::NamedEntityListRequest {
                resource_type: resource_type as i32,
                project: project.clone(),
                domain: domain.clone(),
                limit: o.page_size,
                token: token.clone(),
                sort_by: o.sort_pb(),
                filters: o.filters.to_string(),
                org: String::new(),
            },
            list_named_entities,
            entities
        )
    }

    /// Sets a name's description and state (archive with state 1).
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn update_named_entity(
        &self,
        resource_type: ResourceType,
        project: &str,
        domain: &str,
        name: &str,
        metadata: admin::NamedEntityMetadata,
    ) -> Result<()> {
        self.unary("UpdateNamedEntity", {
            let mut svc = self.inner.admin.clone();
            let req = admin::NamedEntityUpdateRequest {
                resource_type: resource_type as i32,
                id: Some(scope(project, domain, Some(name))),
                metadata: Some(metadata),
            };
            async move { svc.update_named_entity(req).await }
        })
        .await
        .map(|_| ())
    }

    /// Archives (hides from the console and active lists) or restores every version of a task,
    /// workflow or launch plan name, keeping its description.
    ///
    /// # Errors
    /// NOT_FOUND and the calls' failures.
    pub async fn archive_named_entity(
        &self,
        resource_type: ResourceType,
        project: &str,
        domain: &str,
        name: &str,
        archived: bool,
    ) -> Result<()> {
        let mut metadata = self
            .get_named_entity(resource_type, project, domain, name)
            .await?
            .metadata
            .unwrap_or_default();
        metadata.state = if archived {
            admin::NamedEntityState::NamedEntityArchived
        } else {
            admin::NamedEntityState::NamedEntityActive
        } as i32;
        self.update_named_entity(resource_type, project, domain, name, metadata)
            .await
    }
}
