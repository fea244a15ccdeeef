//! AdminService: every RPC handed to the `impl Admin` of its resource's file.

use flyteidl::flyteidl::admin::*;
use flyteidl::flyteidl::service::admin_service_server::AdminService;
use tonic::Request;

use super::{Admin, R};

// Each body is an inherent method of the same name in the resource's file. Inherent methods take
// precedence over trait methods, so `self.create_task(request)` below calls that body, not itself.
#[tonic::async_trait]
impl AdminService for Admin {
    async fn create_task(&self, request: Request<TaskCreateRequest>) -> R<TaskCreateResponse> {
        self.create_task(request).await
    }

    async fn get_task(&self, request: Request<ObjectGetRequest>) -> R<Task> {
        self.get_task(request).await
    }

    async fn list_task_ids(
        &self,
        request: Request<NamedEntityIdentifierListRequest>,
    ) -> R<NamedEntityIdentifierList> {
        self.list_task_ids(request).await
    }

    async fn list_tasks(&self, request: Request<ResourceListRequest>) -> R<TaskList> {
        self.list_tasks(request).await
    }

    async fn create_workflow(
        &self,
        request: Request<WorkflowCreateRequest>,
    ) -> R<WorkflowCreateResponse> {
        self.create_workflow(request).await
    }

    async fn get_workflow(&self, request: Request<ObjectGetRequest>) -> R<Workflow> {
        self.get_workflow(request).await
    }

    async fn list_workflow_ids(
        &self,
        request: Request<NamedEntityIdentifierListRequest>,
    ) -> R<NamedEntityIdentifierList> {
        self.list_workflow_ids(request).await
    }

    async fn list_workflows(&self, request: Request<ResourceListRequest>) -> R<WorkflowList> {
        self.list_workflows(request).await
    }

    async fn create_launch_plan(
        &self,
        request: Request<LaunchPlanCreateRequest>,
    ) -> R<LaunchPlanCreateResponse> {
        self.create_launch_plan(request).await
    }

    async fn get_launch_plan(&self, request: Request<ObjectGetRequest>) -> R<LaunchPlan> {
        self.get_launch_plan(request).await
    }

    async fn get_active_launch_plan(
        &self,
        request: Request<ActiveLaunchPlanRequest>,
    ) -> R<LaunchPlan> {
        self.get_active_launch_plan(request).await
    }

    async fn list_active_launch_plans(
        &self,
        request: Request<ActiveLaunchPlanListRequest>,
    ) -> R<LaunchPlanList> {
        self.list_active_launch_plans(request).await
    }

    async fn list_launch_plan_ids(
        &self,
        request: Request<NamedEntityIdentifierListRequest>,
    ) -> R<NamedEntityIdentifierList> {
        self.list_launch_plan_ids(request).await
    }

    async fn list_launch_plans(&self, request: Request<ResourceListRequest>) -> R<LaunchPlanList> {
        self.list_launch_plans(request).await
    }

    async fn update_launch_plan(
        &self,
        request: Request<LaunchPlanUpdateRequest>,
    ) -> R<LaunchPlanUpdateResponse> {
        self.update_launch_plan(request).await
    }

    async fn create_execution(
        &self,
        request: Request<ExecutionCreateRequest>,
    ) -> R<ExecutionCreateResponse> {
        self.create_execution(request).await
    }

    async fn relaunch_execution(
        &self,
        request: Request<ExecutionRelaunchRequest>,
    ) -> R<ExecutionCreateResponse> {
        self.relaunch_execution(request).await
    }

    async fn recover_execution(
        &self,
        request: Request<ExecutionRecoverRequest>,
    ) -> R<ExecutionCreateResponse> {
        self.recover_execution(request).await
    }

    async fn get_execution(&self, request: Request<WorkflowExecutionGetRequest>) -> R<Execution> {
        self.get_execution(request).await
    }

    async fn update_execution(
        &self,
        request: Request<ExecutionUpdateRequest>,
    ) -> R<ExecutionUpdateResponse> {
        self.update_execution(request).await
    }

    async fn get_execution_data(
        &self,
        request: Request<WorkflowExecutionGetDataRequest>,
    ) -> R<WorkflowExecutionGetDataResponse> {
        self.get_execution_data(request).await
    }

    async fn list_executions(&self, request: Request<ResourceListRequest>) -> R<ExecutionList> {
        self.list_executions(request).await
    }

    async fn terminate_execution(
        &self,
        request: Request<ExecutionTerminateRequest>,
    ) -> R<ExecutionTerminateResponse> {
        self.terminate_execution(request).await
    }

    async fn get_node_execution(
        &self,
        request: Request<NodeExecutionGetRequest>,
    ) -> R<NodeExecution> {
        self.get_node_execution(request).await
    }

    async fn get_dynamic_node_workflow(
        &self,
        request: Request<GetDynamicNodeWorkflowRequest>,
    ) -> R<DynamicNodeWorkflowResponse> {
        self.get_dynamic_node_workflow(request).await
    }

    async fn list_node_executions(
        &self,
        request: Request<NodeExecutionListRequest>,
    ) -> R<NodeExecutionList> {
        self.list_node_executions(request).await
    }

    async fn list_node_executions_for_task(
        &self,
        request: Request<NodeExecutionForTaskListRequest>,
    ) -> R<NodeExecutionList> {
        self.list_node_executions_for_task(request).await
    }

    async fn get_node_execution_data(
        &self,
        request: Request<NodeExecutionGetDataRequest>,
    ) -> R<NodeExecutionGetDataResponse> {
        self.get_node_execution_data(request).await
    }

    async fn register_project(
        &self,
        request: Request<ProjectRegisterRequest>,
    ) -> R<ProjectRegisterResponse> {
        self.register_project(request).await
    }

    async fn update_project(&self, request: Request<Project>) -> R<ProjectUpdateResponse> {
        self.update_project(request).await
    }

    async fn get_project(&self, request: Request<ProjectGetRequest>) -> R<Project> {
        self.get_project(request).await
    }

    async fn list_projects(&self, request: Request<ProjectListRequest>) -> R<Projects> {
        self.list_projects(request).await
    }

    async fn create_workflow_event(
        &self,
        request: Request<WorkflowExecutionEventRequest>,
    ) -> R<WorkflowExecutionEventResponse> {
        self.create_workflow_event(request).await
    }

    async fn create_node_event(
        &self,
        request: Request<NodeExecutionEventRequest>,
    ) -> R<NodeExecutionEventResponse> {
        self.create_node_event(request).await
    }

    async fn create_task_event(
        &self,
        request: Request<TaskExecutionEventRequest>,
    ) -> R<TaskExecutionEventResponse> {
        self.create_task_event(request).await
    }

    async fn get_task_execution(
        &self,
        request: Request<TaskExecutionGetRequest>,
    ) -> R<TaskExecution> {
        self.get_task_execution(request).await
    }

    async fn list_task_executions(
        &self,
        request: Request<TaskExecutionListRequest>,
    ) -> R<TaskExecutionList> {
        self.list_task_executions(request).await
    }

    async fn get_task_execution_data(
        &self,
        request: Request<TaskExecutionGetDataRequest>,
    ) -> R<TaskExecutionGetDataResponse> {
        self.get_task_execution_data(request).await
    }

    async fn update_project_domain_attributes(
        &self,
        request: Request<ProjectDomainAttributesUpdateRequest>,
    ) -> R<ProjectDomainAttributesUpdateResponse> {
        self.update_project_domain_attributes(request).await
    }

    async fn get_project_domain_attributes(
        &self,
        request: Request<ProjectDomainAttributesGetRequest>,
    ) -> R<ProjectDomainAttributesGetResponse> {
        self.get_project_domain_attributes(request).await
    }

    async fn delete_project_domain_attributes(
        &self,
        request: Request<ProjectDomainAttributesDeleteRequest>,
    ) -> R<ProjectDomainAttributesDeleteResponse> {
        self.delete_project_domain_attributes(request).await
    }

    async fn update_project_attributes(
        &self,
        request: Request<ProjectAttributesUpdateRequest>,
    ) -> R<ProjectAttributesUpdateResponse> {
        self.update_project_attributes(request).await
    }

    async fn get_project_attributes(
        &self,
        request: Request<ProjectAttributesGetRequest>,
    ) -> R<ProjectAttributesGetResponse> {
        self.get_project_attributes(request).await
    }

    async fn delete_project_attributes(
        &self,
        request: Request<ProjectAttributesDeleteRequest>,
    ) -> R<ProjectAttributesDeleteResponse> {
        self.delete_project_attributes(request).await
    }

    async fn update_workflow_attributes(
        &self,
        request: Request<WorkflowAttributesUpdateRequest>,
    ) -> R<WorkflowAttributesUpdateResponse> {
        self.update_workflow_attributes(request).await
    }

    async fn get_workflow_attributes(
        &self,
        request: Request<WorkflowAttributesGetRequest>,
    ) -> R<WorkflowAttributesGetResponse> {
        self.get_workflow_attributes(request).await
    }

    async fn delete_workflow_attributes(
        &self,
        request: Request<WorkflowAttributesDeleteRequest>,
    ) -> R<WorkflowAttributesDeleteResponse> {
        self.delete_workflow_attributes(request).await
    }

    async fn list_matchable_attributes(
        &self,
        request: Request<ListMatchableAttributesRequest>,
    ) -> R<ListMatchableAttributesResponse> {
        self.list_matchable_attributes(request).await
    }

    async fn list_named_entities(
        &self,
        request: Request<NamedEntityListRequest>,
    ) -> R<NamedEntityList> {
        self.list_named_entities(request).await
    }

    async fn get_named_entity(&self, request: Request<NamedEntityGetRequest>) -> R<NamedEntity> {
        self.get_named_entity(request).await
    }

    async fn update_named_entity(
        &self,
        request: Request<NamedEntityUpdateRequest>,
    ) -> R<NamedEntityUpdateResponse> {
        self.update_named_entity(request).await
    }

    async fn get_version(&self, request: Request<GetVersionRequest>) -> R<GetVersionResponse> {
        self.get_version(request).await
    }

    async fn get_description_entity(
        &self,
        request: Request<ObjectGetRequest>,
    ) -> R<DescriptionEntity> {
        self.get_description_entity(request).await
    }

    async fn list_description_entities(
        &self,
        request: Request<DescriptionEntityListRequest>,
    ) -> R<DescriptionEntityList> {
        self.list_description_entities(request).await
    }

    async fn get_execution_metrics(
        &self,
        request: Request<WorkflowExecutionGetMetricsRequest>,
    ) -> R<WorkflowExecutionGetMetricsResponse> {
        self.get_execution_metrics(request).await
    }
}
