//! Executions: launching, reading, stopping, relaunching, their data and their nodes.

use std::collections::HashMap;

use flyteidl::flyteidl::admin::{self};
use flyteidl::flyteidl::core::{self, Literal, LiteralMap};

use super::{repeatable, scope, ExecutionOptions};
use crate::client::AdminClient;
use crate::error::{Code, Error, Result};
use crate::ids::{validate_execution_name, ExecutionId, LaunchPlanId, TaskId};
use crate::list::{ListOptions, Listing};
use crate::retry::Attempts;

impl AdminClient {
    /// Launches a launch plan or a task. A `name`, when given, is checked with FlyteAdmin's rule
    /// first; without one the client makes one as FlyteAdmin would
    /// ([`generate_execution_name`](crate::generate_execution_name)). Named either way, the call
    /// is retried on transient failures without starting a second execution: when a repeat
    /// meets ALREADY_EXISTS, the execution under the name is the result if it runs the same
    /// launch plan in the same mode (and, for a name you gave, with the same inputs), else the
    /// error stands. A launch plan's concurrency limit (also ALREADY_EXISTS) is never taken for
    /// success by its code: only an execution found under the name is.
    ///
    /// # Errors
    /// A bad name (before sending), FlyteAdmin's input checks, NOT_FOUND, ALREADY_EXISTS (the
    /// name is taken by a different execution, or the concurrency limit was reached).
    pub async fn create_execution(
        &self,
        project: &str,
        domain: &str,
        name: Option<&str>,
        spec: admin::ExecutionSpec,
        inputs: LiteralMap,
    ) -> Result<ExecutionId> {
        let given = name.is_some();
        let name = match name {
            Some(n) => validate_execution_name(n)
                .map_err(|e| self.invalid("CreateExecution", e.to_string()))?,
            None => self.new_execution_name("CreateExecution")?,
        };
        self.create_named(project, domain, name, given, spec, inputs)
            .await
    }

    /// [`AdminClient::create_execution`] under a checked `name`, `given` by the caller or made
    /// by the client (a repeat's ALREADY_EXISTS then needs no look at the inputs).
    pub(super) async fn create_named(
        &self,
        project: &str,
        domain: &str,
        name: String,
        given: bool,
        spec: admin::ExecutionSpec,
        inputs: LiteralMap,
    ) -> Result<ExecutionId> {
        // The execution lives in the organization of what it runs.
        let org = spec
            .launch_plan
            .as_ref()
            .map(|id| id.org.clone())
            .unwrap_or_default();
        let req = admin::ExecutionCreateRequest {
            project: project.to_owned(),
            domain: domain.to_owned(),
            name: name.clone(),
            spec: Some(spec.clone()),
            inputs: Some(inputs.clone()),
            org: org.clone(),
        };
        let (request, attempts) = repeatable(req);
        let result = self
            .unary("CreateExecution", self.admin().create_execution(request))
            .await;
        let id = ExecutionId::new(project, domain, name).with_org(org);
        let (e, existing) = match result {
            Ok(resp) => return self.created_id("CreateExecution", resp.id),
            Err(e) => self.made_earlier(e, &attempts, &id).await?,
        };
        let mode = |s: Option<&admin::ExecutionSpec>| {
            s.and_then(|s| s.metadata.as_ref()).map_or(0, |m| m.mode)
        };
        let same = existing.spec.as_ref().and_then(|s| s.launch_plan.as_ref())
            == spec.launch_plan.as_ref()
            && mode(existing.spec.as_ref()) == mode(Some(&spec));
        // A generated name is this call's own; a given one may have been used by another
        // launch of the same plan, which the inputs tell apart.
        let same = same
            && (!given || {
                let (stored, _) = self.execution_data(&id).await?;
                inputs
                    .literals
                    .iter()
                    .all(|(k, v)| stored.literals.get(k) == Some(v))
            });
        if same {
            Ok(id)
        } else {
            Err(e)
        }
    }

    /// A new execution name, or an error naming `rpc` when the system has no random numbers.
    pub(super) fn new_execution_name(&self, rpc: &'static str) -> Result<String> {
        crate::ids::generate_execution_name().ok_or_else(|| {
            Error::new(
                Code::Internal,
                rpc,
                &self.inner.endpoint,
                "no execution name given and the system's random number generator failed to make one",
            )
        })
    }

    /// The id in a create's answer.
    fn created_id(
        &self,
        rpc: &'static str,
        id: Option<core::WorkflowExecutionIdentifier>,
    ) -> Result<ExecutionId> {
        id.map(|id| ExecutionId::from_pb(&id))
            .ok_or_else(|| self.invalid(rpc, "the answer has no execution id"))
    }

    /// When a repeated create meets ALREADY_EXISTS, an earlier attempt of the same call may
    /// have made the execution before its answer was lost: the execution under `id`, with the
    /// error to return if it turns out to be another's. Any other failure, a first attempt's
    /// ALREADY_EXISTS (the name was taken before this call), and ALREADY_EXISTS with nothing
    /// under the name (a launch plan's concurrency limit) stay the error.
    async fn made_earlier(
        &self,
        e: Error,
        attempts: &Attempts,
        id: &ExecutionId,
    ) -> Result<(Error, admin::Execution)> {
        if !e.is_already_exists() || attempts.get() < 2 {
            return Err(e);
        }
        match self.get_execution(id).await {
            Ok(existing) => Ok((e, existing)),
            Err(not_found) if not_found.is_not_found() => Err(e),
            Err(other) => Err(other),
        }
    }

    /// The result of a relaunch or recovery (`mode`) of `source` as `new`: its answer's id, or,
    /// when a repeat met ALREADY_EXISTS, `new` if it is a `mode` of `source`.
    async fn derived(
        &self,
        rpc: &'static str,
        answer: Result<admin::ExecutionCreateResponse>,
        attempts: &Attempts,
        new: ExecutionId,
        mode: admin::execution_metadata::ExecutionMode,
        source: &ExecutionId,
    ) -> Result<ExecutionId> {
        let (e, existing) = match answer {
            Ok(resp) => return self.created_id(rpc, resp.id),
            Err(e) => self.made_earlier(e, attempts, &new).await?,
        };
        let same = existing
            .spec
            .as_ref()
            .and_then(|s| s.metadata.as_ref())
            .is_some_and(|m| {
                m.mode == mode as i32
                    && m.reference_execution
                        .as_ref()
                        .map(ExecutionId::from_pb)
                        .as_ref()
                        == Some(source)
            });
        if same {
            Ok(new)
        } else {
            Err(e)
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
        self.launch_with(launch_plan, name, inputs, &ExecutionOptions::new())
            .await
    }

    async fn launch_with(
        &self,
        launch_plan: &LaunchPlanId,
        name: Option<&str>,
        inputs: HashMap<String, Literal>,
        options: &ExecutionOptions,
    ) -> Result<ExecutionId> {
        self.create_execution(
            &launch_plan.project,
            &launch_plan.domain,
            name,
            options.manual_spec(launch_plan.to_pb()),
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
        self.execute_launch_plan_with(id, name, inputs, &ExecutionOptions::new())
            .await
    }

    /// [`AdminClient::execute_launch_plan`] with settings for the execution (such as
    /// [`ExecutionOptions::overwrite_cache`]).
    ///
    /// # Errors
    /// As [`AdminClient::execute_launch_plan`].
    pub async fn execute_launch_plan_with(
        &self,
        id: &LaunchPlanId,
        name: Option<&str>,
        inputs: &serde_json::Map<String, serde_json::Value>,
        options: &ExecutionOptions,
    ) -> Result<ExecutionId> {
        let types = self.launch_plan_input_types(id).await?;
        let literals = crate::literals::inputs_from_json(inputs, &types)
            .map_err(|e| self.invalid("CreateExecution", e.to_string()))?;
        self.launch_with(id, name, literals.literals, options).await
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
        self.execute_task_with(id, name, inputs, &ExecutionOptions::new())
            .await
    }

    /// [`AdminClient::execute_task`] with settings for the execution (such as
    /// [`ExecutionOptions::overwrite_cache`]).
    ///
    /// # Errors
    /// As [`AdminClient::execute_task`].
    pub async fn execute_task_with(
        &self,
        id: &TaskId,
        name: Option<&str>,
        inputs: &serde_json::Map<String, serde_json::Value>,
        options: &ExecutionOptions,
    ) -> Result<ExecutionId> {
        let types = self.task_input_types(id).await?;
        let literals = crate::literals::inputs_from_json(inputs, &types)
            .map_err(|e| self.invalid("CreateExecution", e.to_string()))?;
        self.create_execution(
            &id.project,
            &id.domain,
            name,
            options.manual_spec(id.to_pb()),
            literals,
        )
        .await
    }

    /// The types of a launch plan's expected inputs, by name.
    pub(super) async fn launch_plan_input_types(
        &self,
        id: &LaunchPlanId,
    ) -> Result<HashMap<String, core::LiteralType>> {
        let lp = self.get_launch_plan(id).await?;
        Ok(lp
            .closure
            .and_then(|c| c.expected_inputs)
            .map(|p| {
                p.parameters
                    .into_iter()
                    .map(|(k, param)| (k, param.var.and_then(|v| v.r#type).unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The types of a task's inputs, by name.
    pub(super) async fn task_input_types(
        &self,
        id: &TaskId,
    ) -> Result<HashMap<String, core::LiteralType>> {
        let task = self.get_task(id).await?;
        let interface = task
            .closure
            .and_then(|c| c.compiled_task)
            .and_then(|c| c.template)
            .and_then(|t| t.interface)
            .unwrap_or_default();
        Ok(crate::literals::input_types(&interface))
    }

    /// Launches what a flytectl exec-spec file (`--execFile`) describes, in `project` and
    /// `domain` unless the file names its targets; the file's `overwriteCache` is honoured.
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
        self.execute_spec_with(spec, project, domain, name, &ExecutionOptions::new())
            .await
    }

    /// [`AdminClient::execute_spec`] with settings for the execution; a setting the file turns
    /// on (`overwriteCache: true`) stays on.
    ///
    /// # Errors
    /// As [`AdminClient::execute_spec`].
    pub async fn execute_spec_with(
        &self,
        spec: &flyte_config::ExecSpec,
        project: &str,
        domain: &str,
        name: Option<&str>,
        options: &ExecutionOptions,
    ) -> Result<ExecutionId> {
        let item = super::batch::LaunchItem::from_spec(spec, project, domain);
        let options = options
            .clone()
            .overwrite_cache(options.overwrites_cache() || item.options.overwrites_cache());
        match &item.target {
            super::batch::Target::LaunchPlan(id) => {
                self.execute_launch_plan_with(id, name, &item.inputs, &options)
                    .await
            }
            super::batch::Target::Task(id) => {
                self.execute_task_with(id, name, &item.inputs, &options)
                    .await
            }
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
        self.list_executions_in(scope(project, domain, None), opts)
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

    /// Runs an execution again with its inputs (mode RELAUNCH), under `name` or one the client
    /// makes; with `overwrite_cache`, cached tasks are recomputed and their cached outputs
    /// replaced (the relaunch's own setting, as FlyteAdmin takes it: not the source's). Retried as [`AdminClient::create_execution`]: a repeat that meets ALREADY_EXISTS
    /// returns the execution under the name if it is a relaunch of `id`.
    ///
    /// # Errors
    /// A bad name (before sending), NOT_FOUND and the create path's failures.
    pub async fn relaunch_execution(
        &self,
        id: &ExecutionId,
        name: Option<&str>,
        overwrite_cache: bool,
    ) -> Result<ExecutionId> {
        const RPC: &str = "RelaunchExecution";
        let new = self.derived_id(RPC, id, name)?;
        let (request, attempts) = repeatable(admin::ExecutionRelaunchRequest {
            id: Some(id.to_pb()),
            name: new.name.clone(),
            overwrite_cache,
        });
        let answer = self
            .unary(RPC, self.admin().relaunch_execution(request))
            .await;
        let mode = admin::execution_metadata::ExecutionMode::Relaunch;
        self.derived(RPC, answer, &attempts, new, mode, id).await
    }

    /// Recovers a failed execution: successful nodes are copied, the rest re-run (mode
    /// RECOVERED), under `name` or one the client makes. Retried as
    /// [`AdminClient::relaunch_execution`].
    ///
    /// # Errors
    /// A bad name (before sending), NOT_FOUND and the create path's failures.
    pub async fn recover_execution(
        &self,
        id: &ExecutionId,
        name: Option<&str>,
    ) -> Result<ExecutionId> {
        const RPC: &str = "RecoverExecution";
        let new = self.derived_id(RPC, id, name)?;
        let (request, attempts) = repeatable(admin::ExecutionRecoverRequest {
            id: Some(id.to_pb()),
            name: new.name.clone(),
            metadata: None,
        });
        let answer = self
            .unary(RPC, self.admin().recover_execution(request))
            .await;
        let mode = admin::execution_metadata::ExecutionMode::Recovered;
        self.derived(RPC, answer, &attempts, new, mode, id).await
    }

    /// The id a relaunch or recovery of `source` gets: its project, domain and organization,
    /// under `name` (checked) or a new one.
    fn derived_id(
        &self,
        rpc: &'static str,
        source: &ExecutionId,
        name: Option<&str>,
    ) -> Result<ExecutionId> {
        let name = match name {
            Some(n) => validate_execution_name(n).map_err(|e| self.invalid(rpc, e.to_string()))?,
            None => self.new_execution_name(rpc)?,
        };
        Ok(ExecutionId::new(&source.project, &source.domain, name).with_org(&source.org))
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
}
