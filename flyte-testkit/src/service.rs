//! The gRPC services: AdminService in full, and the other services flyte-rs talks to.

use std::sync::Arc;

use flyteidl::flyteidl::admin::*;
use flyteidl::flyteidl::core::{span, workflow_execution, ResourceType, Span};
use flyteidl::flyteidl::service::admin_service_server::AdminService;
use flyteidl::flyteidl::service::{
    identity_service_server::IdentityService, signal_service_server::SignalService,
    UserInfoRequest, UserInfoResponse,
};
use tonic::{Request, Response, Status};

use crate::attributes::Scope;
use crate::db::Record;
use crate::errors::{invalid, missing, missing_execution, not_found};
use crate::executions::{
    self, exec_rows, validate_exec_id, ExecRow, NodeRow, Shared, TaskRow, EXECUTION_SCHEMA,
    NODE_EXECUTION_SCHEMA, TASK_EXECUTION_SCHEMA,
};
use crate::lists::{check_limit, filters_on, page, Row, Schema};
use crate::registry::{
    self, in_scope, is_active, list_scope, DescriptionRow, LaunchPlanRow, WorkflowRow,
    DESCRIPTION_SCHEMA, LAUNCH_PLAN_SCHEMA, NAMED_ENTITY_SCHEMA, TASK_SCHEMA, WORKFLOW_SCHEMA,
};

type R<T> = Result<Response<T>, Status>;

fn ok<T>(t: T) -> R<T> {
    Ok(Response::new(t))
}

/// The version the test kit reports, so clients can tell it from a real FlyteAdmin.
pub(crate) const VERSION: &str = concat!("flyte-testkit-", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone)]
pub(crate) struct Admin {
    pub(crate) shared: Arc<Shared>,
}

/// The authenticated subject of a request, set by the auth layer; empty without auth.
pub(crate) fn principal<T>(req: &Request<T>) -> String {
    req.extensions()
        .get::<crate::Subject>()
        .map(|s| s.0.clone())
        .unwrap_or_default()
}

fn named_ids(rows: Vec<registry::NamedRow>) -> Vec<NamedEntityIdentifier> {
    rows.into_iter().filter_map(|r| r.0.id).collect()
}

/// A page of the versions of one resource kind in the request's scope (project, domain and,
/// when given, name): ListTasks, ListWorkflows and ListLaunchPlans alike.
fn list_versions<T: Clone, W: Row + Clone>(
    records: &[Record<T>],
    id_of: impl Fn(&T) -> Option<&flyteidl::flyteidl::core::Identifier>,
    wrap: impl Fn(Record<T>) -> W,
    unwrap: impl Fn(W) -> T,
    schema: &Schema,
    req: &ResourceListRequest,
) -> Result<(Vec<T>, String), Status> {
    let scope = list_scope(req.id.as_ref())?;
    let limit = check_limit(req.limit)?;
    let rows: Vec<W> = records
        .iter()
        .filter(|r| in_scope(id_of(&r.value), &scope))
        .map(|r| wrap(r.clone()))
        .collect();
    let (rows, token) = page(
        rows,
        schema,
        &req.filters,
        req.sort_by.as_ref(),
        &req.token,
        Some(limit),
    )?;
    Ok((rows.into_iter().map(unwrap).collect(), token))
}

impl Admin {
    fn list_ids(
        &self,
        req: NamedEntityIdentifierListRequest,
        t: ResourceType,
    ) -> R<NamedEntityIdentifierList> {
        if req.project.is_empty() {
            return Err(missing("project"));
        }
        if req.domain.is_empty() {
            return Err(missing("domain"));
        }
        let limit = check_limit(req.limit)?;
        let db = self.shared.db();
        let rows = db.named_entities(t as i32, &req.project, &req.domain);
        let (rows, token) = page(
            rows,
            &NAMED_ENTITY_SCHEMA,
            &req.filters,
            req.sort_by.as_ref(),
            &req.token,
            Some(limit),
        )?;
        ok(NamedEntityIdentifierList {
            entities: named_ids(rows),
            token,
        })
    }

    fn node_record(
        &self,
        id: Option<&flyteidl::flyteidl::core::NodeExecutionIdentifier>,
    ) -> Result<crate::db::NodeRecord, Status> {
        let id = id.ok_or_else(|| missing("id"))?;
        let exec_id = validate_exec_id(id.execution_id.as_ref())?;
        if id.node_id.is_empty() {
            return Err(missing("node_id"));
        }
        let db = self.shared.db();
        let rec = db
            .find_execution(&exec_id)
            .ok_or_else(|| missing_execution(&exec_id))?;
        rec.value
            .nodes
            .iter()
            .find(|n| n.node.id.as_ref().is_some_and(|i| i.node_id == id.node_id))
            .cloned()
            .ok_or_else(|| not_found(format!(
                "missing entity of type node execution with identifier node_id:{:?} execution_id:{{{}}}",
                id.node_id,
                crate::errors::exec_id_text(&exec_id)
            )))
    }
}

// FlyteAdmin still fills the deprecated UrlBlob fields of the data responses; so do we.
#[allow(deprecated)]
#[tonic::async_trait]
impl AdminService for Admin {
    async fn create_task(&self, request: Request<TaskCreateRequest>) -> R<TaskCreateResponse> {
        self.shared.db().create_task(request.into_inner())?;
        ok(TaskCreateResponse {})
    }

    async fn get_task(&self, request: Request<ObjectGetRequest>) -> R<Task> {
        ok(self.shared.db().get_task(request.get_ref().id.as_ref())?)
    }

    async fn list_task_ids(
        &self,
        request: Request<NamedEntityIdentifierListRequest>,
    ) -> R<NamedEntityIdentifierList> {
        self.list_ids(request.into_inner(), ResourceType::Task)
    }

    async fn list_tasks(&self, request: Request<ResourceListRequest>) -> R<TaskList> {
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

    async fn create_workflow(
        &self,
        request: Request<WorkflowCreateRequest>,
    ) -> R<WorkflowCreateResponse> {
        self.shared.db().create_workflow(request.into_inner())?;
        ok(WorkflowCreateResponse {})
    }

    async fn get_workflow(&self, request: Request<ObjectGetRequest>) -> R<Workflow> {
        ok(self
            .shared
            .db()
            .get_workflow(request.get_ref().id.as_ref())?)
    }

    async fn list_workflow_ids(
        &self,
        request: Request<NamedEntityIdentifierListRequest>,
    ) -> R<NamedEntityIdentifierList> {
        self.list_ids(request.into_inner(), ResourceType::Workflow)
    }

    async fn list_workflows(&self, request: Request<ResourceListRequest>) -> R<WorkflowList> {
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

    async fn create_launch_plan(
        &self,
        request: Request<LaunchPlanCreateRequest>,
    ) -> R<LaunchPlanCreateResponse> {
        self.shared.db().create_launch_plan(request.into_inner())?;
        ok(LaunchPlanCreateResponse {})
    }

    async fn get_launch_plan(&self, request: Request<ObjectGetRequest>) -> R<LaunchPlan> {
        ok(self
            .shared
            .db()
            .get_launch_plan(request.get_ref().id.as_ref())?)
    }

    async fn get_active_launch_plan(
        &self,
        request: Request<ActiveLaunchPlanRequest>,
    ) -> R<LaunchPlan> {
        ok(self
            .shared
            .db()
            .get_active_launch_plan(request.get_ref().id.as_ref())?)
    }

    async fn list_active_launch_plans(
        &self,
        request: Request<ActiveLaunchPlanListRequest>,
    ) -> R<LaunchPlanList> {
        let req = request.into_inner();
        if req.project.is_empty() {
            return Err(missing("project"));
        }
        if req.domain.is_empty() {
            return Err(missing("domain"));
        }
        let limit = check_limit(req.limit)?;
        let db = self.shared.db();
        let rows: Vec<LaunchPlanRow> = db
            .launch_plans
            .iter()
            .filter(|lp| {
                lp.value
                    .id
                    .as_ref()
                    .is_some_and(|i| i.project == req.project && i.domain == req.domain)
                    && is_active(&lp.value)
            })
            .map(|lp| LaunchPlanRow(lp.clone()))
            .collect();
        let (rows, token) = page(
            rows,
            &LAUNCH_PLAN_SCHEMA,
            "",
            req.sort_by.as_ref(),
            &req.token,
            Some(limit),
        )?;
        ok(LaunchPlanList {
            launch_plans: rows.into_iter().map(|r| r.0.value).collect(),
            token,
        })
    }

    async fn list_launch_plan_ids(
        &self,
        request: Request<NamedEntityIdentifierListRequest>,
    ) -> R<NamedEntityIdentifierList> {
        self.list_ids(request.into_inner(), ResourceType::LaunchPlan)
    }

    async fn list_launch_plans(&self, request: Request<ResourceListRequest>) -> R<LaunchPlanList> {
        let req = request.into_inner();
        let db = self.shared.db();
        let (launch_plans, token) = list_versions(
            &db.launch_plans,
            |t| t.id.as_ref(),
            LaunchPlanRow,
            |r| r.0.value,
            &LAUNCH_PLAN_SCHEMA,
            &req,
        )?;
        ok(LaunchPlanList {
            launch_plans,
            token,
        })
    }

    async fn update_launch_plan(
        &self,
        request: Request<LaunchPlanUpdateRequest>,
    ) -> R<LaunchPlanUpdateResponse> {
        self.shared.db().update_launch_plan(request.into_inner())?;
        ok(LaunchPlanUpdateResponse {})
    }

    async fn create_execution(
        &self,
        request: Request<ExecutionCreateRequest>,
    ) -> R<ExecutionCreateResponse> {
        let who = principal(&request);
        let id = executions::create_execution(&self.shared, request.into_inner(), &who)?;
        ok(ExecutionCreateResponse { id: Some(id) })
    }

    async fn relaunch_execution(
        &self,
        request: Request<ExecutionRelaunchRequest>,
    ) -> R<ExecutionCreateResponse> {
        let who = principal(&request);
        let req = request.into_inner();
        let id = executions::relaunch(
            &self.shared,
            req.id.as_ref(),
            &req.name,
            execution_metadata::ExecutionMode::Relaunch,
            req.overwrite_cache,
            None,
            &who,
        )?;
        ok(ExecutionCreateResponse { id: Some(id) })
    }

    async fn recover_execution(
        &self,
        request: Request<ExecutionRecoverRequest>,
    ) -> R<ExecutionCreateResponse> {
        let who = principal(&request);
        let req = request.into_inner();
        let parent = req.metadata.and_then(|m| m.parent_node_execution);
        let id = executions::relaunch(
            &self.shared,
            req.id.as_ref(),
            &req.name,
            execution_metadata::ExecutionMode::Recovered,
            false,
            parent,
            &who,
        )?;
        ok(ExecutionCreateResponse { id: Some(id) })
    }

    async fn get_execution(&self, request: Request<WorkflowExecutionGetRequest>) -> R<Execution> {
        let id = validate_exec_id(request.get_ref().id.as_ref())?;
        let db = self.shared.db();
        let rec = db
            .find_execution(&id)
            .ok_or_else(|| missing_execution(&id))?;
        ok(rec.value.execution.clone())
    }

    async fn update_execution(
        &self,
        request: Request<ExecutionUpdateRequest>,
    ) -> R<ExecutionUpdateResponse> {
        let who = principal(&request);
        let req = request.into_inner();
        let id = validate_exec_id(req.id.as_ref())?;
        if ExecutionState::try_from(req.state).is_err() {
            return Err(invalid(format!("invalid value for state: {}", req.state)));
        }
        let mut db = self.shared.db();
        let rec = db
            .find_execution_mut(&id)
            .ok_or_else(|| missing_execution(&id))?;
        if let Some(c) = rec.value.execution.closure.as_mut() {
            c.state_change_details = Some(ExecutionStateChangeDetails {
                state: req.state,
                occurred_at: Some(crate::db::now()),
                principal: who,
            });
        }
        ok(ExecutionUpdateResponse {})
    }

    async fn get_execution_data(
        &self,
        request: Request<WorkflowExecutionGetDataRequest>,
    ) -> R<WorkflowExecutionGetDataResponse> {
        let id = validate_exec_id(request.get_ref().id.as_ref())?;
        let db = self.shared.db();
        let rec = db
            .find_execution(&id)
            .ok_or_else(|| missing_execution(&id))?;
        let outputs = rec.value.outputs.clone().unwrap_or_default();
        let size = u64::try_from(prost::Message::encoded_len(&outputs)).unwrap_or(u64::MAX);
        let remote = self.shared.remote_data;
        // Outputs exist in the store once the execution wrote them.
        let blob = match rec.value.outputs.is_some() && remote.signed_urls {
            true => self
                .shared
                .store_path(&crate::executions::outputs_uri(
                    &self.shared,
                    &id,
                    "end-node",
                ))
                .map(|path| UrlBlob {
                    url: self
                        .shared
                        .sign(
                            path.as_ref(),
                            "GET",
                            std::time::Duration::from_secs(3600),
                            None,
                        )
                        .0,
                    bytes: i64::try_from(size).unwrap_or(i64::MAX),
                })
                .unwrap_or_default(),
            false => UrlBlob::default(),
        };
        let inline = remote.max_size_in_bytes.is_none_or(|max| size < max);
        ok(WorkflowExecutionGetDataResponse {
            outputs: Some(blob),
            inputs: Some(UrlBlob::default()),
            full_inputs: Some(rec.value.inputs.clone()),
            full_outputs: inline.then_some(outputs),
        })
    }

    async fn list_executions(&self, request: Request<ResourceListRequest>) -> R<ExecutionList> {
        let req = request.into_inner();
        let scope = list_scope(req.id.as_ref())?;
        let limit = check_limit(req.limit)?;
        let db = self.shared.db();
        // Archived executions are hidden unless the caller filters on state.
        let rows: Vec<ExecRow> = exec_rows(
            &db,
            &scope.project,
            &scope.domain,
            &scope.name,
            filters_on(&req.filters, "state"),
        );
        let (rows, token) = page(
            rows,
            &EXECUTION_SCHEMA,
            &req.filters,
            req.sort_by.as_ref(),
            &req.token,
            Some(limit),
        )?;
        ok(ExecutionList {
            executions: rows.into_iter().map(|r| r.execution).collect(),
            token,
        })
    }

    async fn terminate_execution(
        &self,
        request: Request<ExecutionTerminateRequest>,
    ) -> R<ExecutionTerminateResponse> {
        let who = principal(&request);
        let req = request.into_inner();
        executions::terminate(&self.shared, req.id.as_ref(), &req.cause, &who)?;
        ok(ExecutionTerminateResponse {})
    }

    async fn get_node_execution(
        &self,
        request: Request<NodeExecutionGetRequest>,
    ) -> R<NodeExecution> {
        ok(self.node_record(request.get_ref().id.as_ref())?.node)
    }

    async fn get_dynamic_node_workflow(
        &self,
        request: Request<GetDynamicNodeWorkflowRequest>,
    ) -> R<DynamicNodeWorkflowResponse> {
        let rec = self.node_record(request.get_ref().id.as_ref())?;
        Err(invalid(format!(
            "node [{}] is not a dynamic node; flyte-testkit does not simulate dynamic workflows",
            rec.node.id.map(|i| i.node_id).unwrap_or_default()
        )))
    }

    async fn list_node_executions(
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

    async fn list_node_executions_for_task(
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

    async fn get_node_execution_data(
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

    async fn register_project(
        &self,
        request: Request<ProjectRegisterRequest>,
    ) -> R<ProjectRegisterResponse> {
        self.shared.db().register_project(request.into_inner())?;
        ok(ProjectRegisterResponse {})
    }

    async fn update_project(&self, request: Request<Project>) -> R<ProjectUpdateResponse> {
        self.shared.db().update_project(request.into_inner())?;
        ok(ProjectUpdateResponse {})
    }

    async fn get_project(&self, request: Request<ProjectGetRequest>) -> R<Project> {
        ok(self.shared.db().get_project(&request.get_ref().id)?)
    }

    async fn list_projects(&self, request: Request<ProjectListRequest>) -> R<Projects> {
        ok(self.shared.db().list_projects(request.get_ref())?)
    }

    async fn create_workflow_event(
        &self,
        request: Request<WorkflowExecutionEventRequest>,
    ) -> R<WorkflowExecutionEventResponse> {
        let event = request.into_inner().event.ok_or_else(|| missing("event"))?;
        let id = validate_exec_id(event.execution_id.as_ref())?;
        let phase = workflow_execution::Phase::try_from(event.phase)
            .map_err(|_| invalid(format!("invalid value for phase: {}", event.phase)))?;
        {
            let db = self.shared.db();
            let rec = db
                .find_execution(&id)
                .ok_or_else(|| missing_execution(&id))?;
            let current = rec.value.execution.closure.as_ref().map_or(0, |c| c.phase);
            if [4, 6, 7, 8].contains(&current) {
                return Err(Status::failed_precondition(format!(
                    "Invalid phase change from {} to {} for workflow execution {{{}}}",
                    workflow_execution::Phase::try_from(current)
                        .map_or("UNKNOWN", |p| p.as_str_name()),
                    phase.as_str_name(),
                    crate::errors::exec_id_text(&id)
                )));
            }
        }
        use flyteidl::flyteidl::event::workflow_execution_event::OutputResult as O;
        let (outputs, error) = match event.output_result {
            Some(O::OutputData(d)) => (Some(d), None),
            Some(O::Error(e)) => (None, Some(e)),
            _ => (None, None),
        };
        let outputs = match (phase, outputs) {
            (workflow_execution::Phase::Succeeded, None) => Some(Default::default()),
            (_, o) => o,
        };
        executions::set_phase(&self.shared, &id, phase, outputs, error);
        ok(WorkflowExecutionEventResponse {})
    }

    async fn create_node_event(
        &self,
        _: Request<NodeExecutionEventRequest>,
    ) -> R<NodeExecutionEventResponse> {
        Err(Status::unimplemented(
            "flyte-testkit records node executions itself; node events from a propeller are not simulated",
        ))
    }

    async fn create_task_event(
        &self,
        _: Request<TaskExecutionEventRequest>,
    ) -> R<TaskExecutionEventResponse> {
        Err(Status::unimplemented(
            "flyte-testkit records task executions itself; task events from a propeller are not simulated",
        ))
    }

    async fn get_task_execution(
        &self,
        request: Request<TaskExecutionGetRequest>,
    ) -> R<TaskExecution> {
        let id = request.into_inner().id.ok_or_else(|| missing("id"))?;
        let rec = self.node_record(id.node_execution_id.as_ref())?;
        rec.task
            .filter(|t| {
                t.id.as_ref()
                    .is_some_and(|i| i.retry_attempt == id.retry_attempt)
            })
            .map(Response::new)
            .ok_or_else(|| not_found("missing entity of type task execution"))
    }

    async fn list_task_executions(
        &self,
        request: Request<TaskExecutionListRequest>,
    ) -> R<TaskExecutionList> {
        let req = request.into_inner();
        let limit = check_limit(req.limit)?;
        let rec = self.node_record(req.node_execution_id.as_ref())?;
        let rows: Vec<TaskRow> = rec.task.into_iter().map(TaskRow).collect();
        let (rows, token) = page(
            rows,
            &TASK_EXECUTION_SCHEMA,
            &req.filters,
            req.sort_by.as_ref(),
            &req.token,
            Some(limit),
        )?;
        ok(TaskExecutionList {
            task_executions: rows.into_iter().map(|r| r.0).collect(),
            token,
        })
    }

    async fn get_task_execution_data(
        &self,
        request: Request<TaskExecutionGetDataRequest>,
    ) -> R<TaskExecutionGetDataResponse> {
        let id = request.into_inner().id.ok_or_else(|| missing("id"))?;
        let rec = self.node_record(id.node_execution_id.as_ref())?;
        if rec.task.is_none() {
            return Err(not_found("missing entity of type task execution"));
        }
        ok(TaskExecutionGetDataResponse {
            inputs: Some(UrlBlob::default()),
            outputs: Some(UrlBlob::default()),
            full_inputs: Some(rec.inputs),
            full_outputs: Some(rec.outputs.unwrap_or_default()),
            flyte_urls: None,
        })
    }

    async fn update_project_domain_attributes(
        &self,
        request: Request<ProjectDomainAttributesUpdateRequest>,
    ) -> R<ProjectDomainAttributesUpdateResponse> {
        let a = request
            .into_inner()
            .attributes
            .ok_or_else(|| missing("attributes"))?;
        if a.domain.is_empty() {
            return Err(missing("domain"));
        }
        let scope = Scope {
            project: a.project,
            domain: a.domain,
            org: a.org,
            ..Scope::default()
        };
        self.shared
            .db()
            .upsert_attributes(scope, a.matching_attributes)?;
        ok(ProjectDomainAttributesUpdateResponse {})
    }

    async fn get_project_domain_attributes(
        &self,
        request: Request<ProjectDomainAttributesGetRequest>,
    ) -> R<ProjectDomainAttributesGetResponse> {
        let r = request.into_inner();
        if r.domain.is_empty() {
            return Err(missing("domain"));
        }
        let scope = Scope {
            project: r.project,
            domain: r.domain,
            org: r.org,
            ..Scope::default()
        };
        let row = self
            .shared
            .db()
            .get_attributes(&scope, r.resource_type, false)?;
        ok(ProjectDomainAttributesGetResponse {
            attributes: Some(ProjectDomainAttributes {
                project: row.project,
                domain: row.domain,
                matching_attributes: Some(row.attributes),
                org: row.org,
            }),
        })
    }

    async fn delete_project_domain_attributes(
        &self,
        request: Request<ProjectDomainAttributesDeleteRequest>,
    ) -> R<ProjectDomainAttributesDeleteResponse> {
        let r = request.into_inner();
        if r.domain.is_empty() {
            return Err(missing("domain"));
        }
        let scope = Scope {
            project: r.project,
            domain: r.domain,
            org: r.org,
            ..Scope::default()
        };
        self.shared
            .db()
            .delete_attributes(&scope, r.resource_type)?;
        ok(ProjectDomainAttributesDeleteResponse {})
    }

    async fn update_project_attributes(
        &self,
        request: Request<ProjectAttributesUpdateRequest>,
    ) -> R<ProjectAttributesUpdateResponse> {
        let a = request
            .into_inner()
            .attributes
            .ok_or_else(|| missing("attributes"))?;
        let scope = Scope {
            project: a.project,
            org: a.org,
            ..Scope::default()
        };
        self.shared
            .db()
            .upsert_attributes(scope, a.matching_attributes)?;
        ok(ProjectAttributesUpdateResponse {})
    }

    async fn get_project_attributes(
        &self,
        request: Request<ProjectAttributesGetRequest>,
    ) -> R<ProjectAttributesGetResponse> {
        let r = request.into_inner();
        let scope = Scope {
            project: r.project.clone(),
            org: r.org.clone(),
            ..Scope::default()
        };
        let found = self
            .shared
            .db()
            .get_attributes(&scope, r.resource_type, true);
        let row = match found {
            Ok(row) => row,
            // With nothing stored, workflow execution config answers the server's defaults.
            Err(e)
                if e.code() == tonic::Code::NotFound
                    && r.resource_type == MatchableResource::WorkflowExecutionConfig as i32 =>
            {
                crate::db::AttributeRecord {
                    project: r.project,
                    domain: String::new(),
                    workflow: String::new(),
                    launch_plan: String::new(),
                    resource_type: r.resource_type,
                    org: r.org,
                    attributes: MatchingAttributes {
                        target: Some(matching_attributes::Target::WorkflowExecutionConfig(
                            WorkflowExecutionConfig::default(),
                        )),
                    },
                }
            }
            Err(e) => return Err(e),
        };
        ok(ProjectAttributesGetResponse {
            attributes: Some(ProjectAttributes {
                project: row.project,
                matching_attributes: Some(row.attributes),
                org: row.org,
            }),
        })
    }

    async fn delete_project_attributes(
        &self,
        request: Request<ProjectAttributesDeleteRequest>,
    ) -> R<ProjectAttributesDeleteResponse> {
        let r = request.into_inner();
        let scope = Scope {
            project: r.project,
            org: r.org,
            ..Scope::default()
        };
        self.shared
            .db()
            .delete_attributes(&scope, r.resource_type)?;
        ok(ProjectAttributesDeleteResponse {})
    }

    async fn update_workflow_attributes(
        &self,
        request: Request<WorkflowAttributesUpdateRequest>,
    ) -> R<WorkflowAttributesUpdateResponse> {
        let a = request
            .into_inner()
            .attributes
            .ok_or_else(|| missing("attributes"))?;
        if a.workflow.is_empty() {
            return Err(missing("name"));
        }
        let scope = Scope {
            project: a.project,
            domain: a.domain,
            workflow: a.workflow,
            org: a.org,
        };
        self.shared
            .db()
            .upsert_attributes(scope, a.matching_attributes)?;
        ok(WorkflowAttributesUpdateResponse {})
    }

    async fn get_workflow_attributes(
        &self,
        request: Request<WorkflowAttributesGetRequest>,
    ) -> R<WorkflowAttributesGetResponse> {
        let r = request.into_inner();
        if r.workflow.is_empty() {
            return Err(missing("name"));
        }
        let scope = Scope {
            project: r.project,
            domain: r.domain,
            workflow: r.workflow,
            org: r.org,
        };
        let row = self
            .shared
            .db()
            .get_attributes(&scope, r.resource_type, false)?;
        ok(WorkflowAttributesGetResponse {
            attributes: Some(WorkflowAttributes {
                project: row.project,
                domain: row.domain,
                workflow: row.workflow,
                matching_attributes: Some(row.attributes),
                org: row.org,
            }),
        })
    }

    async fn delete_workflow_attributes(
        &self,
        request: Request<WorkflowAttributesDeleteRequest>,
    ) -> R<WorkflowAttributesDeleteResponse> {
        let r = request.into_inner();
        if r.workflow.is_empty() {
            return Err(missing("name"));
        }
        let scope = Scope {
            project: r.project,
            domain: r.domain,
            workflow: r.workflow,
            org: r.org,
        };
        self.shared
            .db()
            .delete_attributes(&scope, r.resource_type)?;
        ok(WorkflowAttributesDeleteResponse {})
    }

    async fn list_matchable_attributes(
        &self,
        request: Request<ListMatchableAttributesRequest>,
    ) -> R<ListMatchableAttributesResponse> {
        let configurations = self
            .shared
            .db()
            .list_attributes(request.get_ref().resource_type)?;
        ok(ListMatchableAttributesResponse { configurations })
    }

    async fn list_named_entities(
        &self,
        request: Request<NamedEntityListRequest>,
    ) -> R<NamedEntityList> {
        let req = request.into_inner();
        if req.project.is_empty() {
            return Err(missing("project"));
        }
        if req.domain.is_empty() {
            return Err(missing("domain"));
        }
        let limit = check_limit(req.limit)?;
        let db = self.shared.db();
        let rows = db.named_entities(req.resource_type, &req.project, &req.domain);
        let (rows, token) = page(
            rows,
            &NAMED_ENTITY_SCHEMA,
            &req.filters,
            req.sort_by.as_ref(),
            &req.token,
            Some(limit),
        )?;
        ok(NamedEntityList {
            entities: rows.into_iter().map(|r| r.0).collect(),
            token,
        })
    }

    async fn get_named_entity(&self, request: Request<NamedEntityGetRequest>) -> R<NamedEntity> {
        ok(self.shared.db().get_named_entity(request.get_ref())?)
    }

    async fn update_named_entity(
        &self,
        request: Request<NamedEntityUpdateRequest>,
    ) -> R<NamedEntityUpdateResponse> {
        self.shared.db().update_named_entity(request.into_inner())?;
        ok(NamedEntityUpdateResponse {})
    }

    async fn get_version(&self, _: Request<GetVersionRequest>) -> R<GetVersionResponse> {
        ok(GetVersionResponse {
            control_plane_version: Some(Version {
                build: "flyte-testkit".to_owned(),
                version: VERSION.to_owned(),
                build_time: String::new(),
            }),
        })
    }

    async fn get_description_entity(
        &self,
        request: Request<ObjectGetRequest>,
    ) -> R<DescriptionEntity> {
        ok(self
            .shared
            .db()
            .get_description(request.get_ref().id.as_ref())?)
    }

    async fn list_description_entities(
        &self,
        request: Request<DescriptionEntityListRequest>,
    ) -> R<DescriptionEntityList> {
        let req = request.into_inner();
        let scope = list_scope(req.id.as_ref())?;
        let limit = check_limit(req.limit)?;
        let db = self.shared.db();
        let rows: Vec<DescriptionRow> = db
            .descriptions
            .iter()
            .filter(|d| {
                in_scope(d.value.id.as_ref(), &scope)
                    && d.value
                        .id
                        .as_ref()
                        .is_some_and(|i| i.resource_type == req.resource_type)
            })
            .map(|d: &Record<DescriptionEntity>| DescriptionRow(d.clone()))
            .collect();
        let (rows, token) = page(
            rows,
            &DESCRIPTION_SCHEMA,
            &req.filters,
            req.sort_by.as_ref(),
            &req.token,
            Some(limit),
        )?;
        ok(DescriptionEntityList {
            description_entities: rows.into_iter().map(|r| r.0.value).collect(),
            token,
        })
    }

    async fn get_execution_metrics(
        &self,
        request: Request<WorkflowExecutionGetMetricsRequest>,
    ) -> R<WorkflowExecutionGetMetricsResponse> {
        let id = validate_exec_id(request.get_ref().id.as_ref())?;
        let db = self.shared.db();
        let rec = db
            .find_execution(&id)
            .ok_or_else(|| missing_execution(&id))?;
        let c = rec.value.execution.closure.clone().unwrap_or_default();
        let end = |started: &Option<prost_types::Timestamp>, d: &Option<prost_types::Duration>| {
            started.as_ref().map(|s| {
                let d = d.clone().unwrap_or_default();
                prost_types::Timestamp {
                    seconds: s.seconds + d.seconds,
                    nanos: s.nanos + d.nanos,
                }
            })
        };
        let spans = rec
            .value
            .nodes
            .iter()
            .filter_map(|n| {
                let nc = n.node.closure.clone()?;
                Some(Span {
                    start_time: nc.started_at.clone(),
                    end_time: end(&nc.started_at, &nc.duration),
                    spans: Vec::new(),
                    id: n.node.id.clone().map(span::Id::NodeId),
                })
            })
            .collect();
        ok(WorkflowExecutionGetMetricsResponse {
            span: Some(Span {
                start_time: c.started_at.clone(),
                end_time: end(&c.started_at, &c.duration),
                spans,
                id: Some(span::Id::WorkflowId(id)),
            }),
        })
    }
}

/// IdentityService: the authenticated subject.
#[derive(Debug, Clone)]
pub(crate) struct Identity;

#[tonic::async_trait]
impl IdentityService for Identity {
    async fn user_info(&self, request: Request<UserInfoRequest>) -> R<UserInfoResponse> {
        let subject = principal(&request);
        ok(UserInfoResponse {
            subject: subject.clone(),
            name: subject.clone(),
            preferred_username: subject,
            ..UserInfoResponse::default()
        })
    }
}

/// SignalService: signals for gate nodes, stored and listed.
#[derive(Debug, Clone)]
pub(crate) struct Signals {
    pub(crate) shared: Arc<Shared>,
}

#[tonic::async_trait]
impl SignalService for Signals {
    async fn get_or_create_signal(&self, request: Request<SignalGetOrCreateRequest>) -> R<Signal> {
        let req = request.into_inner();
        let id = req.id.ok_or_else(|| missing("id"))?;
        if id.signal_id.is_empty() {
            return Err(missing("signal_id"));
        }
        validate_exec_id(id.execution_id.as_ref())?;
        let t = req.r#type.ok_or_else(|| missing("type"))?;
        let mut db = self.shared.db();
        if let Some(s) = db.signals.iter().find(|s| s.value.id.as_ref() == Some(&id)) {
            return ok(s.value.clone());
        }
        let signal = Signal {
            id: Some(id),
            r#type: Some(t),
            value: None,
        };
        db.signals.push(Record::new(signal.clone()));
        ok(signal)
    }

    async fn list_signals(&self, request: Request<SignalListRequest>) -> R<SignalList> {
        let req = request.into_inner();
        let exec = validate_exec_id(req.workflow_execution_id.as_ref())?;
        let limit = check_limit(req.limit)?;
        let offset = crate::lists::parse_token(&req.token, "ListSignals")?;
        let db = self.shared.db();
        let all: Vec<Signal> = db
            .signals
            .iter()
            .filter(|s| s.value.id.as_ref().and_then(|i| i.execution_id.as_ref()) == Some(&exec))
            .map(|s| s.value.clone())
            .collect();
        let page: Vec<Signal> = all.into_iter().skip(offset).take(limit).collect();
        let token = if page.len() == limit {
            (offset + limit).to_string()
        } else {
            String::new()
        };
        ok(SignalList {
            signals: page,
            token,
        })
    }

    async fn set_signal(&self, request: Request<SignalSetRequest>) -> R<SignalSetResponse> {
        let req = request.into_inner();
        let id = req.id.ok_or_else(|| missing("id"))?;
        let value = req.value.ok_or_else(|| missing("value"))?;
        let mut db = self.shared.db();
        let signal = db
            .signals
            .iter_mut()
            .find(|s| s.value.id.as_ref() == Some(&id))
            .ok_or_else(|| not_found("missing entity of type signal"))?;
        if signal.value.value.is_some() {
            return Err(Status::already_exists("signal value already set"));
        }
        let want = signal.value.r#type.clone().unwrap_or_default();
        let got = crate::literals::type_of(&value);
        if !crate::literals::castable(&got, &want) {
            return Err(invalid(format!(
                "requested signal value type [{}] does not match existing signal type [{}]",
                crate::literals::describe(&got),
                crate::literals::describe(&want)
            )));
        }
        signal.value.value = Some(value);
        drop(db);
        // Wakes executions waiting at a gate.
        self.shared.changes.send_modify(|n| *n += 1);
        ok(SignalSetResponse {})
    }
}
