//! Typed helpers: projects, tasks, workflows, launch plans, named entities, executions, node and
//! task executions, signals, the data proxy, version and user info.

use std::collections::HashMap;
use std::time::Duration;

use flyteidl::flyteidl::admin::{self, project::ProjectState};
use flyteidl::flyteidl::core::{
    self, workflow_execution::Phase, Literal, LiteralMap, ResourceType,
};
use flyteidl::flyteidl::service;
use futures::stream::BoxStream;

use crate::client::AdminClient;
use crate::error::Result;
use crate::ids::{validate_execution_name, ExecutionId, LaunchPlanId, TaskId, WorkflowId};
use crate::list::{items, pages, ListOptions, Listing};
use crate::retry::{Attempts, Idempotent};

/// A request the retry layer may repeat when it names what it creates: a repeat then meets
/// ALREADY_EXISTS instead of starting a second execution.
fn named<T>(message: T, has_name: bool) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if has_name {
        request.extensions_mut().insert(Idempotent);
    }
    request
}

fn scope(project: &str, domain: &str, name: Option<&str>) -> admin::NamedEntityIdentifier {
    admin::NamedEntityIdentifier {
        project: project.to_owned(),
        domain: domain.to_owned(),
        name: name.unwrap_or_default().to_owned(),
        org: String::new(),
    }
}

/// Whether an execution phase is final (SUCCEEDED, FAILED, ABORTED, TIMED_OUT).
pub fn is_terminal(phase: i32) -> bool {
    [
        Phase::Succeeded,
        Phase::Failed,
        Phase::Aborted,
        Phase::TimedOut,
    ]
    .iter()
    .any(|p| *p as i32 == phase)
}

/// How [`AdminClient::wait_for_execution`] polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitOptions {
    /// Give up after this long.
    pub timeout: Duration,
    /// The first poll interval; it grows by half each poll.
    pub initial_interval: Duration,
    /// The longest poll interval.
    pub max_interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(3600),
            initial_interval: Duration::from_millis(200),
            max_interval: Duration::from_secs(10),
        }
    }
}

impl WaitOptions {
    /// Waits up to `timeout`.
    pub fn timeout(timeout: Duration) -> Self {
        WaitOptions {
            timeout,
            ..WaitOptions::default()
        }
    }
}

macro_rules! list_stream {
    ($self:ident, $rpc:literal, $opts:ident, |$req_token:ident| $make:expr, $method:ident, $field:ident) => {{
        if let Some(problem) = $opts.filters.problem() {
            return Listing::failed($self.invalid($rpc, problem));
        }
        let client = $self.clone();
        let opts = $opts.clone();
        items(pages(move |$req_token: String| {
            let client = client.clone();
            let req = {
                let opts = &opts;
                $make(opts)
            };
            async move {
                let resp = client
                    .unary($rpc, {
                        let mut svc = client.inner.admin.clone();
                        let req = req.clone();
                        async move { svc.$method(req).await }
                    })
                    .await?;
                Ok((resp.$field, resp.token))
            }
        }))
    }};
}

use futures::{StreamExt as _, TryStreamExt as _};

mod data;
mod inspect;
pub use inspect::NodeTree;

impl AdminClient {
    // -----------------------------------------------------------------------------------------
    // Version and identity

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

    /// Registers a project.
    ///
    /// # Errors
    /// FlyteAdmin's validation (id a DNS-1123 label, name required, ...), ALREADY_EXISTS.
    pub async fn register_project(&self, project: admin::Project) -> Result<()> {
        self.unary("RegisterProject", {
            let mut svc = self.inner.admin.clone();
            let req = admin::ProjectRegisterRequest {
                project: Some(project.clone()),
            };
            async move { svc.register_project(req).await }
        })
        .await
        .map(|_| ())
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
            let req = project.clone();
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

    // -----------------------------------------------------------------------------------------
    // Tasks, workflows, launch plans

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
                spec: Some(spec.clone()),
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
                spec: Some(spec.clone()),
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
                spec: Some(spec.clone()),
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
                metadata: Some(metadata.clone()),
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

    // -----------------------------------------------------------------------------------------
    // Executions

    /// Launches a launch plan or a task. A `name`, when given, is checked with FlyteAdmin's rule
    /// first. The call is retried only when a name was given (so a retry cannot start a second
    /// execution); a retry that meets ALREADY_EXISTS returns the existing execution if it runs
    /// the same launch plan with the same inputs, else the error.
    ///
    /// # Errors
    /// A bad name (before sending), FlyteAdmin's input checks, NOT_FOUND, ALREADY_EXISTS.
    pub async fn create_execution(
        &self,
        project: &str,
        domain: &str,
        name: Option<&str>,
        spec: admin::ExecutionSpec,
        inputs: LiteralMap,
    ) -> Result<ExecutionId> {
        let name = match name {
            Some(n) => Some(
                validate_execution_name(n)
                    .map_err(|e| self.invalid("CreateExecution", e.to_string()))?,
            ),
            None => None,
        };
        let req = admin::ExecutionCreateRequest {
            project: project.to_owned(),
            domain: domain.to_owned(),
            name: name.clone().unwrap_or_default(),
            spec: Some(spec.clone()),
            inputs: Some(inputs.clone()),
            org: String::new(),
        };
        let attempts = Attempts::default();
        let mut request = named(req, name.is_some());
        request.extensions_mut().insert(attempts.clone());
        let result = self
            .unary("CreateExecution", self.admin().create_execution(request))
            .await;
        match (result, name) {
            (Ok(resp), _) => resp
                .id
                .map(|id| ExecutionId::from_pb(&id))
                .ok_or_else(|| self.invalid("CreateExecution", "the answer has no execution id")),
            // Our own earlier attempt may have created it before its answer was lost.
            (Err(e), Some(name)) if e.is_already_exists() && attempts.get() > 1 => {
                let id = ExecutionId::new(project, domain, name);
                let existing = self.get_execution(&id).await?;
                let data = self.execution_data(&id).await?;
                let same_lp = existing.spec.as_ref().and_then(|s| s.launch_plan.as_ref())
                    == spec.launch_plan.as_ref();
                let same_inputs = inputs
                    .literals
                    .iter()
                    .all(|(k, v)| data.0.literals.get(k) == Some(v));
                if same_lp && same_inputs {
                    Ok(id)
                } else {
                    Err(e)
                }
            }
            (Err(e), _) => Err(e),
        }
    }

    /// Launches `launch_plan` with `inputs` (launch plan defaults fill the rest).
    ///
    /// # Errors
    /// As [`AdminClient::create_execution`].
    pub async fn launch(
        &self,
        launch_plan: &LaunchPlanId,
        name: Option<&str>,
        inputs: HashMap<String, Literal>,
    ) -> Result<ExecutionId> {
        let spec = admin::ExecutionSpec {
            launch_plan: Some(launch_plan.to_pb()),
            metadata: Some(admin::ExecutionMetadata {
                mode: admin::execution_metadata::ExecutionMode::Manual as i32,
                principal: "flyte-rs".to_owned(),
                ..admin::ExecutionMetadata::default()
            }),
            ..admin::ExecutionSpec::default()
        };
        self.create_execution(
            &launch_plan.project,
            &launch_plan.domain,
            name,
            spec,
            LiteralMap { literals: inputs },
        )
        .await
    }

    /// Launches a launch plan with JSON inputs, checked against its expected inputs first
    /// (`inputs.xs[2]: expected an integer, found "a"` never reaches the server).
    ///
    /// # Errors
    /// Inputs that do not fit, then as [`AdminClient::create_execution`].
    pub async fn execute_launch_plan(
        &self,
        id: &LaunchPlanId,
        name: Option<&str>,
        inputs: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<ExecutionId> {
        let lp = self.get_launch_plan(id).await?;
        let types: HashMap<String, core::LiteralType> = lp
            .closure
            .and_then(|c| c.expected_inputs)
            .map(|p| {
                p.parameters
                    .into_iter()
                    .map(|(k, param)| (k, param.var.and_then(|v| v.r#type).unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default();
        let literals = crate::literals::inputs_from_json(inputs, &types)
            .map_err(|e| self.invalid("CreateExecution", e.to_string()))?;
        self.launch(id, name, literals.literals).await
    }

    /// Launches a single task with JSON inputs, checked against its interface first.
    ///
    /// # Errors
    /// Inputs that do not fit, then as [`AdminClient::create_execution`].
    pub async fn execute_task(
        &self,
        id: &TaskId,
        name: Option<&str>,
        inputs: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<ExecutionId> {
        let task = self.get_task(id).await?;
        let interface = task
            .closure
            .and_then(|c| c.compiled_task)
            .and_then(|c| c.template)
            .and_then(|t| t.interface)
            .unwrap_or_default();
        let literals =
            crate::literals::inputs_from_json(inputs, &crate::literals::input_types(&interface))
                .map_err(|e| self.invalid("CreateExecution", e.to_string()))?;
        let spec = admin::ExecutionSpec {
            launch_plan: Some(id.to_pb()),
            metadata: Some(admin::ExecutionMetadata {
                mode: admin::execution_metadata::ExecutionMode::Manual as i32,
                principal: "flyte-rs".to_owned(),
                ..admin::ExecutionMetadata::default()
            }),
            ..admin::ExecutionSpec::default()
        };
        self.create_execution(&id.project, &id.domain, name, spec, literals)
            .await
    }

    /// Launches what a flytectl exec-spec file (`--execFile`) describes, in `project` and
    /// `domain` unless the file names its targets.
    ///
    /// # Errors
    /// As [`AdminClient::execute_launch_plan`] and [`AdminClient::execute_task`].
    pub async fn execute_spec(
        &self,
        spec: &flyte_config::ExecSpec,
        project: &str,
        domain: &str,
        name: Option<&str>,
    ) -> Result<ExecutionId> {
        let project = if spec.target_project.is_empty() {
            project
        } else {
            &spec.target_project
        };
        let domain = if spec.target_domain.is_empty() {
            domain
        } else {
            &spec.target_domain
        };
        let inputs: serde_json::Map<String, serde_json::Value> = spec
            .inputs()
            .iter()
            .map(|(k, v)| (k.clone(), yaml_to_json(v)))
            .collect();
        if spec.task.is_empty() {
            self.execute_launch_plan(
                &LaunchPlanId::new(project, domain, &spec.workflow, &spec.version),
                name,
                &inputs,
            )
            .await
        } else {
            self.execute_task(
                &TaskId::new(project, domain, &spec.task, &spec.version),
                name,
                &inputs,
            )
            .await
        }
    }

    /// One execution.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn get_execution(&self, id: &ExecutionId) -> Result<admin::Execution> {
        self.unary("GetExecution", {
            let mut svc = self.inner.admin.clone();
            let req = admin::WorkflowExecutionGetRequest {
                id: Some(id.to_pb()),
            };
            async move { svc.get_execution(req).await }
        })
        .await
    }

    /// Executions of a project and domain (archived ones only when filtered on `state`).
    pub fn list_executions(
        &self,
        project: &str,
        domain: &str,
        opts: &ListOptions,
    ) -> Listing<admin::Execution> {
        let id = scope(project, domain, None);
        list_stream!(
            self,
            "ListExecutions",
            opts,
            |token| |o: &ListOptions| admin::ResourceListRequest {
                id: Some(id.clone()),
                limit: o.page_size,
                token: token.clone(),
                filters: o.filters.to_string(),
                sort_by: o.sort_pb(),
            },
            list_executions,
            executions
        )
    }

    /// Stops an execution; it goes ABORTING, then ABORTED.
    ///
    /// # Errors
    /// FAILED_PRECONDITION when it already ended, NOT_FOUND.
    pub async fn terminate_execution(&self, id: &ExecutionId, cause: &str) -> Result<()> {
        self.unary("TerminateExecution", {
            let mut svc = self.inner.admin.clone();
            let req = admin::ExecutionTerminateRequest {
                id: Some(id.to_pb()),
                cause: cause.to_owned(),
            };
            async move { svc.terminate_execution(req).await }
        })
        .await
        .map(|_| ())
    }

    /// Runs an execution again with its inputs (mode RELAUNCH). Not retried unless named.
    ///
    /// # Errors
    /// NOT_FOUND and the create path's failures.
    pub async fn relaunch_execution(
        &self,
        id: &ExecutionId,
        name: Option<&str>,
        overwrite_cache: bool,
    ) -> Result<ExecutionId> {
        let resp = self
            .unary(
                "RelaunchExecution",
                self.admin().relaunch_execution(named(
                    admin::ExecutionRelaunchRequest {
                        id: Some(id.to_pb()),
                        name: name.unwrap_or_default().to_owned(),
                        overwrite_cache,
                    },
                    name.is_some(),
                )),
            )
            .await?;
        resp.id
            .map(|i| ExecutionId::from_pb(&i))
            .ok_or_else(|| self.invalid("RelaunchExecution", "the answer has no execution id"))
    }

    /// Recovers a failed execution: successful nodes are copied, the rest re-run (mode RECOVERED).
    ///
    /// # Errors
    /// NOT_FOUND and the create path's failures.
    pub async fn recover_execution(
        &self,
        id: &ExecutionId,
        name: Option<&str>,
    ) -> Result<ExecutionId> {
        let resp = self
            .unary(
                "RecoverExecution",
                self.admin().recover_execution(named(
                    admin::ExecutionRecoverRequest {
                        id: Some(id.to_pb()),
                        name: name.unwrap_or_default().to_owned(),
                        metadata: None,
                    },
                    name.is_some(),
                )),
            )
            .await?;
        resp.id
            .map(|i| ExecutionId::from_pb(&i))
            .ok_or_else(|| self.invalid("RecoverExecution", "the answer has no execution id"))
    }

    /// Archives (or, with `false`, un-archives) an execution.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn archive_execution(&self, id: &ExecutionId, archived: bool) -> Result<()> {
        let state = if archived {
            admin::ExecutionState::ExecutionArchived
        } else {
            admin::ExecutionState::ExecutionActive
        };
        self.unary("UpdateExecution", {
            let mut svc = self.inner.admin.clone();
            let req = admin::ExecutionUpdateRequest {
                id: Some(id.to_pb()),
                state: state as i32,
            };
            async move { svc.update_execution(req).await }
        })
        .await
        .map(|_| ())
    }

    /// The execution's inputs and outputs: inline (`full_inputs`, `full_outputs`) when FlyteAdmin
    /// returns them so, else downloaded from the signed URL it gives (`remoteData.signedUrls`),
    /// else read from the blob store with the client's [`FlyteStorage`](flyte_storage::FlyteStorage)
    /// (the config's `storage` section, or [`AdminClientBuilder::storage`](crate::AdminClientBuilder::storage)),
    /// offloaded literals resolved.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures; a failed download (the URL's host and path named,
    /// never its signature); UNAVAILABLE when the data is in none of those places or the blob
    /// store cannot be read (the URI and the reason named).
    pub async fn execution_data(&self, id: &ExecutionId) -> Result<(LiteralMap, LiteralMap)> {
        let req = admin::WorkflowExecutionGetDataRequest {
            id: Some(id.to_pb()),
        };
        let resp = self.data_answer("GetExecutionData", req).await?;
        // Here the outputs' URL comes first.
        self.data_pair(
            "GetExecutionData",
            &format!("execution {id}"),
            [
                (resp.full_inputs, resp.url_2),
                (resp.full_outputs, resp.url_1),
            ],
            || self.execution_data_uris(id),
        )
        .await
    }

    /// The node executions of an execution (top level, or the children of `parent`).
    pub fn list_node_executions(
        &self,
        id: &ExecutionId,
        parent: Option<&str>,
        opts: &ListOptions,
    ) -> Listing<admin::NodeExecution> {
        let exec = id.to_pb();
        let parent = parent.unwrap_or_default().to_owned();
        list_stream!(
            self,
            "ListNodeExecutions",
            opts,
            |token| |o: &ListOptions| admin::NodeExecutionListRequest {
                workflow_execution_id: Some(exec.clone()),
                limit: o.page_size,
                token: token.clone(),
                filters: o.filters.to_string(),
                sort_by: o.sort_pb(),
                unique_parent_id: parent.clone(),
            },
            list_node_executions,
            node_executions
        )
    }

    /// The task executions (attempts) of a node execution.
    pub fn list_task_executions(
        &self,
        node: &core::NodeExecutionIdentifier,
        opts: &ListOptions,
    ) -> Listing<admin::TaskExecution> {
        let node = node.clone();
        list_stream!(
            self,
            "ListTaskExecutions",
            opts,
            |token| |o: &ListOptions| admin::TaskExecutionListRequest {
                node_execution_id: Some(node.clone()),
                limit: o.page_size,
                token: token.clone(),
                filters: o.filters.to_string(),
                sort_by: o.sort_pb(),
            },
            list_task_executions,
            task_executions
        )
    }

    /// Polls until the execution ends (or `options.timeout` passes), fast at first, then
    /// backing off, and returns it.
    ///
    /// # Errors
    /// DEADLINE_EXCEEDED after the timeout, and the calls' failures.
    pub async fn wait_for_execution(
        &self,
        id: &ExecutionId,
        options: WaitOptions,
    ) -> Result<admin::Execution> {
        let mut changes = self.watch_execution(id, options);
        let mut last = None;
        while let Some(execution) = changes.try_next().await? {
            last = Some(execution);
        }
        last.ok_or_else(|| {
            crate::Error::new(
                crate::Code::Internal,
                "GetExecution",
                self.endpoint(),
                format!("execution {id}: the watch ended without a phase"),
            )
        })
    }

    /// The execution each time its phase changes (the first poll always), polling as
    /// [`AdminClient::wait_for_execution`] does; the stream ends after the terminal phase.
    ///
    /// # Errors
    /// An item is DEADLINE_EXCEEDED when `options.timeout` passes first (then the stream
    /// ends), or the failure of a poll.
    pub fn watch_execution(
        &self,
        id: &ExecutionId,
        options: WaitOptions,
    ) -> BoxStream<'static, Result<admin::Execution>> {
        struct Watch {
            client: AdminClient,
            id: ExecutionId,
            deadline: tokio::time::Instant,
            interval: Duration,
            max_interval: Duration,
            timeout: Duration,
            last_phase: Option<i32>,
            sleep: Option<Duration>,
            done: bool,
        }
        let state = Watch {
            client: self.clone(),
            id: id.clone(),
            deadline: tokio::time::Instant::now() + options.timeout,
            interval: options.initial_interval,
            max_interval: options.max_interval,
            timeout: options.timeout,
            last_phase: None,
            sleep: None,
            done: false,
        };
        futures::stream::try_unfold(state, |mut w| async move {
            if w.done {
                return Ok(None);
            }
            loop {
                if let Some(pause) = w.sleep.take() {
                    tokio::time::sleep(pause).await;
                }
                let execution = w.client.get_execution(&w.id).await?;
                let phase = execution.closure.as_ref().map_or(0, |c| c.phase);
                if is_terminal(phase) {
                    w.done = true;
                    return Ok(Some((execution, w)));
                }
                let now = tokio::time::Instant::now();
                if now >= w.deadline {
                    return Err(crate::Error::new(
                        crate::Code::DeadlineExceeded,
                        "GetExecution",
                        w.client.endpoint(),
                        format!(
                            "execution {} still {} after {:?}",
                            w.id,
                            Phase::try_from(phase).map_or("UNKNOWN", |p| p.as_str_name()),
                            w.timeout
                        ),
                    ));
                }
                w.sleep = Some(w.interval.min(w.deadline - now));
                w.interval = (w.interval + w.interval / 2).min(w.max_interval);
                if w.last_phase.replace(phase) != Some(phase) {
                    return Ok(Some((execution, w)));
                }
            }
        })
        .boxed()
    }

    /// The console's page for an execution, when the console URL is known (`console.endpoint`,
    /// else the admin endpoint over https).
    pub fn console_url(&self, id: &ExecutionId) -> String {
        format!(
            "{}/console/projects/{}/domains/{}/executions/{}",
            self.console_base(),
            id.project,
            id.domain,
            id.name
        )
    }

    /// The console's page for a task, workflow or launch plan name.
    pub fn console_entity_url(
        &self,
        resource_type: ResourceType,
        project: &str,
        domain: &str,
        name: &str,
    ) -> String {
        let kind = match resource_type {
            ResourceType::Task => "tasks",
            ResourceType::LaunchPlan => "launch_plans",
            _ => "workflows",
        };
        format!(
            "{}/console/projects/{project}/domains/{domain}/{kind}/{name}",
            self.console_base()
        )
    }

    fn console_base(&self) -> String {
        self.inner
            .console
            .clone()
            .unwrap_or_else(|| format!("https://{}", self.endpoint()))
    }

    // -----------------------------------------------------------------------------------------
    // Signals and the data proxy

    /// Signals of an execution (gate nodes).
    ///
    /// # Errors
    /// The call's failures.
    pub async fn list_signals(&self, id: &ExecutionId) -> Result<Vec<admin::Signal>> {
        let resp = self
            .unary("ListSignals", {
                let mut svc = self.inner.signals.clone();
                let req = admin::SignalListRequest {
                    workflow_execution_id: Some(id.to_pb()),
                    limit: 1000,
                    ..admin::SignalListRequest::default()
                };
                async move { svc.list_signals(req).await }
            })
            .await?;
        Ok(resp.signals)
    }

    /// Sets a signal's value; for approvals, a boolean.
    ///
    /// # Errors
    /// A value of the wrong type, ALREADY_EXISTS when already set, NOT_FOUND.
    pub async fn set_signal(
        &self,
        id: &ExecutionId,
        signal_id: &str,
        value: Literal,
    ) -> Result<()> {
        self.unary("SetSignal", {
            let mut svc = self.inner.signals.clone();
            let req = admin::SignalSetRequest {
                id: Some(core::SignalIdentifier {
                    signal_id: signal_id.to_owned(),
                    execution_id: Some(id.to_pb()),
                }),
                value: Some(value.clone()),
            };
            async move { svc.set_signal(req).await }
        })
        .await
        .map(|_| ())
    }

    /// Approves (`true`) or rejects an approval gate.
    ///
    /// # Errors
    /// As [`AdminClient::set_signal`].
    pub async fn approve(&self, id: &ExecutionId, signal_id: &str, approve: bool) -> Result<()> {
        let value = Literal {
            value: Some(core::literal::Value::Scalar(Box::new(core::Scalar {
                value: Some(core::scalar::Value::Primitive(core::Primitive {
                    value: Some(core::primitive::Value::Boolean(approve)),
                })),
            }))),
            ..Literal::default()
        };
        self.set_signal(id, signal_id, value).await
    }

    /// A signed URL to upload a file of MD5 `content_md5` (fast registration, inputs).
    ///
    /// # Errors
    /// FlyteAdmin's checks (project and domain required, md5 or filename_root required).
    pub async fn create_upload_location(
        &self,
        project: &str,
        domain: &str,
        filename: &str,
        content_md5: &[u8],
        filename_root: Option<&str>,
    ) -> Result<service::CreateUploadLocationResponse> {
        self.unary("CreateUploadLocation", {
            let mut svc = self.inner.data_proxy.clone();
            let req = service::CreateUploadLocationRequest {
                project: project.to_owned(),
                domain: domain.to_owned(),
                filename: filename.to_owned(),
                content_md5: content_md5.to_vec(),
                filename_root: filename_root.unwrap_or_default().to_owned(),
                ..service::CreateUploadLocationRequest::default()
            };
            async move { svc.create_upload_location(req).await }
        })
        .await
    }

    /// Data behind a `flyte://` URL: a literal map, a literal, or signed URLs.
    ///
    /// # Errors
    /// The call's failures.
    pub async fn get_data(&self, flyte_url: &str) -> Result<service::GetDataResponse> {
        self.unary("GetData", {
            let mut svc = self.inner.data_proxy.clone();
            let req = service::GetDataRequest {
                flyte_url: flyte_url.to_owned(),
            };
            async move { svc.get_data(req).await }
        })
        .await
    }
}

/// A YAML value from flytectl's files as JSON.
pub fn yaml_to_json(v: &flyte_config::Value) -> serde_json::Value {
    use flyte_config::Value as Y;
    match v {
        Y::Bool(b) => serde_json::Value::Bool(*b),
        Y::Int(i) => serde_json::Value::from(*i),
        Y::Float(f) => serde_json::Number::from_f64(*f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Y::String(s) => serde_json::Value::String(s.clone()),
        Y::List(items) => serde_json::Value::Array(items.iter().map(yaml_to_json).collect()),
        Y::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), yaml_to_json(v)))
                .collect(),
        ),
        _ => serde_json::Value::Null,
    }
}
