//! Looking into what is registered and what ran: latest versions, entity names and metadata,
//! description entities, node and task executions with their data, the tree of an execution,
//! dynamic workflows, execution metrics and download links.

use flyteidl::flyteidl::admin;
use flyteidl::flyteidl::core::{self, LiteralMap, ResourceType};
use flyteidl::flyteidl::service;
use futures::future::BoxFuture;
use futures::{StreamExt as _, TryStreamExt as _};

use super::scope;
use crate::client::AdminClient;
use crate::error::{Code, Error, Result};
use crate::ids::ExecutionId;
use crate::list::{items, pages};
use crate::list::{ListOptions, Listing};

/// A node execution with its attempts and, for parent nodes (sub-workflows, dynamic nodes,
/// branches), the nodes it ran.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NodeTree {
    /// The node execution.
    pub node: admin::NodeExecution,
    /// Its task executions, one per attempt, oldest first.
    pub task_executions: Vec<admin::TaskExecution>,
    /// The node executions it started.
    pub children: Vec<NodeTree>,
}

impl NodeTree {
    /// The node's cache status as FlyteAdmin reports it ([`cache_status`](crate::cache::cache_status)):
    /// `None` for nodes that run no task.
    pub fn cache_status(&self) -> Option<crate::cache::CatalogCacheStatus> {
        crate::cache::cache_status(&self.node)
    }

    /// Where the node's outputs are cached ([`CatalogKey::of`](crate::cache::CatalogKey::of)):
    /// the dataset, the artifact's tag and the execution that produced it.
    pub fn catalog_key(&self) -> Option<crate::cache::CatalogKey> {
        crate::cache::CatalogKey::of(&self.node)
    }

    /// This node and every node under it, depth first.
    pub fn walk(&self) -> Vec<&NodeTree> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.walk());
        }
        out
    }
}

impl AdminClient {
    fn ids_stream(
        &self,
        rpc: &'static str,
        kind: ResourceType,
        project: &str,
        domain: &str,
        opts: &ListOptions,
    ) -> Listing<admin::NamedEntityIdentifier> {
        if let Some(problem) = opts.filters.problem() {
            return Listing::failed(self.invalid(rpc, problem));
        }
        let client = self.clone();
        let opts = opts.clone();
        let (project, domain) = (project.to_owned(), domain.to_owned());
        items(pages(move |token: String| {
            let client = client.clone();
            let req = admin::NamedEntityIdentifierListRequest {
                project: project.clone(),
                domain: domain.clone(),
                limit: opts.page_size,
                token,
                sort_by: opts.sort_pb(),
                filters: opts.filters.to_string(),
                org: String::new(),
            };
            async move {
                let resp = client
                    .unary(rpc, {
                        let mut svc = client.inner.admin.clone();
                        async move {
                            match kind {
                                ResourceType::Workflow => svc.list_workflow_ids(req).await,
                                ResourceType::LaunchPlan => svc.list_launch_plan_ids(req).await,
                                _ => svc.list_task_ids(req).await,
                            }
                        }
                    })
                    .await?;
                Ok((resp.entities, resp.token))
            }
        }))
    }

    /// The names of the tasks registered in a project and domain (one per name, not version).
    pub fn list_task_names(
        &self,
        project: &str,
        domain: &str,
        opts: &ListOptions,
    ) -> Listing<admin::NamedEntityIdentifier> {
        self.ids_stream("ListTaskIds", ResourceType::Task, project, domain, opts)
    }

    /// The names of the workflows registered in a project and domain.
    pub fn list_workflow_names(
        &self,
        project: &str,
        domain: &str,
        opts: &ListOptions,
    ) -> Listing<admin::NamedEntityIdentifier> {
        self.ids_stream(
            "ListWorkflowIds",
            ResourceType::Workflow,
            project,
            domain,
            opts,
        )
    }

    /// The names of the launch plans registered in a project and domain.
    pub fn list_launch_plan_names(
        &self,
        project: &str,
        domain: &str,
        opts: &ListOptions,
    ) -> Listing<admin::NamedEntityIdentifier> {
        self.ids_stream(
            "ListLaunchPlanIds",
            ResourceType::LaunchPlan,
            project,
            domain,
            opts,
        )
    }

    async fn latest<T, S>(&self, rpc: &'static str, what: &str, stream: S) -> Result<T>
    where
        S: futures::Stream<Item = Result<T>> + Unpin,
    {
        let mut stream = stream;
        match stream.try_next().await? {
            Some(t) => Ok(t),
            None => Err(Error::new(
                Code::NotFound,
                rpc,
                self.endpoint(),
                format!("no version of {what} is registered"),
            )),
        }
    }

    fn newest_first() -> ListOptions {
        ListOptions::new().page_size(1).sort_by("created_at", true)
    }

    /// The most recently registered version of a task, as `flytectl get task --latest`.
    ///
    /// # Errors
    /// NOT_FOUND when no version exists.
    pub async fn latest_task(
        &self,
        project: &str,
        domain: &str,
        name: &str,
    ) -> Result<admin::Task> {
        let s = self.list_tasks(project, domain, Some(name), &Self::newest_first());
        self.latest(
            "ListTasks",
            &format!("task {project}/{domain}/{name}"),
            s.take(1),
        )
        .await
    }

    /// The most recently registered version of a workflow.
    ///
    /// # Errors
    /// NOT_FOUND when no version exists.
    pub async fn latest_workflow(
        &self,
        project: &str,
        domain: &str,
        name: &str,
    ) -> Result<admin::Workflow> {
        let s = self.list_workflows(project, domain, Some(name), &Self::newest_first());
        self.latest(
            "ListWorkflows",
            &format!("workflow {project}/{domain}/{name}"),
            s.take(1),
        )
        .await
    }

    /// The most recently registered version of a launch plan (active or not).
    ///
    /// # Errors
    /// NOT_FOUND when no version exists.
    pub async fn latest_launch_plan(
        &self,
        project: &str,
        domain: &str,
        name: &str,
    ) -> Result<admin::LaunchPlan> {
        let s = self.list_launch_plans(project, domain, Some(name), &Self::newest_first());
        self.latest(
            "ListLaunchPlans",
            &format!("launch plan {project}/{domain}/{name}"),
            s.take(1),
        )
        .await
    }

    /// A named entity's metadata (description, state) for a task, workflow or launch plan name.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn get_named_entity(
        &self,
        kind: ResourceType,
        project: &str,
        domain: &str,
        name: &str,
    ) -> Result<admin::NamedEntity> {
        self.unary("GetNamedEntity", {
            let mut svc = self.inner.admin.clone();
            let req = admin::NamedEntityGetRequest {
                resource_type: kind as i32,
                id: Some(scope(project, domain, Some(name))),
            };
            async move { svc.get_named_entity(req).await }
        })
        .await
    }

    /// The description entity (long description, source code link) of one version.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn get_description_entity(
        &self,
        id: &core::Identifier,
    ) -> Result<admin::DescriptionEntity> {
        self.unary("GetDescriptionEntity", {
            let mut svc = self.inner.admin.clone();
            let req = admin::ObjectGetRequest {
                id: Some(id.clone()),
            };
            async move { svc.get_description_entity(req).await }
        })
        .await
    }

    /// Description entities of a task or workflow name, every version.
    pub fn list_description_entities(
        &self,
        kind: ResourceType,
        project: &str,
        domain: &str,
        name: &str,
        opts: &ListOptions,
    ) -> Listing<admin::DescriptionEntity> {
        let id = scope(project, domain, Some(name));
        list_stream!(
            self,
            "ListDescriptionEntities",
            opts,
            |token| |o: &ListOptions| admin::DescriptionEntityListRequest {
                resource_type: kind as i32,
                id: Some(id.clone()),
                limit: o.page_size,
                token: token.clone(),
                filters: o.filters.to_string(),
                sort_by: o.sort_pb(),
            },
            list_description_entities,
            description_entities
        )
    }

    /// The execution's timeline as spans, `depth` levels of nodes deep.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn execution_metrics(&self, id: &ExecutionId, depth: i32) -> Result<core::Span> {
        let resp = self
            .unary("GetExecutionMetrics", {
                let mut svc = self.inner.admin.clone();
                let req = admin::WorkflowExecutionGetMetricsRequest {
                    id: Some(id.to_pb()),
                    depth,
                };
                async move { svc.get_execution_metrics(req).await }
            })
            .await?;
        Ok(resp.span.unwrap_or_default())
    }

    /// One node execution.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn get_node_execution(
        &self,
        id: &core::NodeExecutionIdentifier,
    ) -> Result<admin::NodeExecution> {
        self.unary("GetNodeExecution", {
            let mut svc = self.inner.admin.clone();
            let req = admin::NodeExecutionGetRequest {
                id: Some(id.clone()),
            };
            async move { svc.get_node_execution(req).await }
        })
        .await
    }

    /// A node execution's inputs and outputs: inline, else from a signed URL, else from the
    /// blob store (`input_uri` and the closure's output URI), as [`AdminClient::execution_data`].
    ///
    /// # Errors
    /// NOT_FOUND and the calls' failures; UNAVAILABLE when the data cannot be reached.
    pub async fn node_execution_data(
        &self,
        id: &core::NodeExecutionIdentifier,
    ) -> Result<(LiteralMap, LiteralMap)> {
        let req = admin::NodeExecutionGetDataRequest {
            id: Some(id.clone()),
        };
        let resp = self.data_answer("GetNodeExecutionData", req).await?;
        self.data_pair(
            "GetNodeExecutionData",
            &format!("node execution {}", id.node_id),
            [
                (resp.full_inputs, resp.url_1),
                (resp.full_outputs, resp.url_2),
            ],
            || self.node_execution_data_uris(id),
        )
        .await
    }

    /// The workflow a dynamic node generated.
    ///
    /// # Errors
    /// NOT_FOUND when the node does not exist or is not dynamic (FlyteAdmin's "node does not
    /// contain dynamic workflow"), and the call's failures.
    pub async fn dynamic_node_workflow(
        &self,
        id: &core::NodeExecutionIdentifier,
    ) -> Result<core::CompiledWorkflowClosure> {
        let resp = self
            .unary("GetDynamicNodeWorkflow", {
                let mut svc = self.inner.admin.clone();
                let req = admin::GetDynamicNodeWorkflowRequest {
                    id: Some(id.clone()),
                };
                async move { svc.get_dynamic_node_workflow(req).await }
            })
            .await?;
        Ok(resp.compiled_workflow.unwrap_or_default())
    }

    /// The node executions a task execution started (map tasks, dynamic tasks).
    pub fn list_node_executions_for_task(
        &self,
        id: &core::TaskExecutionIdentifier,
        opts: &ListOptions,
    ) -> Listing<admin::NodeExecution> {
        let id = id.clone();
        list_stream!(
            self,
            "ListNodeExecutionsForTask",
            opts,
            |token| |o: &ListOptions| admin::NodeExecutionForTaskListRequest {
                task_execution_id: Some(id.clone()),
                limit: o.page_size,
                token: token.clone(),
                filters: o.filters.to_string(),
                sort_by: o.sort_pb(),
            },
            list_node_executions_for_task,
            node_executions
        )
    }

    /// One task execution (attempt).
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn get_task_execution(
        &self,
        id: &core::TaskExecutionIdentifier,
    ) -> Result<admin::TaskExecution> {
        self.unary("GetTaskExecution", {
            let mut svc = self.inner.admin.clone();
            let req = admin::TaskExecutionGetRequest {
                id: Some(id.clone()),
            };
            async move { svc.get_task_execution(req).await }
        })
        .await
    }

    /// A task execution's inputs and outputs: inline, else from a signed URL, else from the
    /// blob store (`input_uri` and the closure's output URI), as [`AdminClient::execution_data`].
    ///
    /// # Errors
    /// NOT_FOUND and the calls' failures; UNAVAILABLE when the data cannot be reached.
    pub async fn task_execution_data(
        &self,
        id: &core::TaskExecutionIdentifier,
    ) -> Result<(LiteralMap, LiteralMap)> {
        let resp = self
            .data_answer(
                "GetTaskExecutionData",
                admin::TaskExecutionGetDataRequest {
                    id: Some(id.clone()),
                },
            )
            .await?;
        self.data_pair(
            "GetTaskExecutionData",
            &format!(
                "task execution of node {}",
                id.node_execution_id
                    .as_ref()
                    .map_or("", |n| n.node_id.as_str())
            ),
            [
                (resp.full_inputs, resp.url_1),
                (resp.full_outputs, resp.url_2),
            ],
            || self.task_execution_data_uris(id),
        )
        .await
    }

    /// Every node of an execution with its attempts, parent nodes holding their children:
    /// what `flytectl get execution --details` shows, without its one-page limit.
    ///
    /// # Errors
    /// NOT_FOUND and the calls' failures.
    pub async fn execution_tree(&self, id: &ExecutionId) -> Result<Vec<NodeTree>> {
        self.tree_level(id.clone(), None).await
    }

    fn tree_level(
        &self,
        id: ExecutionId,
        parent: Option<String>,
    ) -> BoxFuture<'_, Result<Vec<NodeTree>>> {
        Box::pin(async move {
            let nodes: Vec<admin::NodeExecution> = self
                .list_node_executions(&id, parent.as_deref(), &ListOptions::new())
                .try_collect()
                .await?;
            let mut out = Vec::with_capacity(nodes.len());
            for node in nodes {
                let node_id = node.id.clone().unwrap_or_default();
                let task_executions = self
                    .list_task_executions(&node_id, &ListOptions::new())
                    .try_collect()
                    .await?;
                let is_parent = node.metadata.as_ref().is_some_and(|m| m.is_parent_node);
                let children = if is_parent {
                    self.tree_level(id.clone(), Some(node_id.node_id.clone()))
                        .await?
                } else {
                    Vec::new()
                };
                out.push(NodeTree {
                    node,
                    task_executions,
                    children,
                });
            }
            Ok(out)
        })
    }

    /// A signed link to a node execution's artifact (its Flyte Deck), valid for `expires_in`.
    ///
    /// # Errors
    /// NOT_FOUND, an artifact the node did not produce, and the call's failures.
    pub async fn create_download_link(
        &self,
        node: &core::NodeExecutionIdentifier,
        expires_in: std::time::Duration,
    ) -> Result<service::CreateDownloadLinkResponse> {
        let expires = prost_types::Duration {
            seconds: i64::try_from(expires_in.as_secs()).unwrap_or(i64::MAX),
            nanos: i32::try_from(expires_in.subsec_nanos()).unwrap_or(0),
        };
        self.unary("CreateDownloadLink", {
            let mut svc = self.inner.data_proxy.clone();
            let req = service::CreateDownloadLinkRequest {
                artifact_type: service::ArtifactType::Deck as i32,
                expires_in: Some(expires.clone()),
                source: Some(
                    service::create_download_link_request::Source::NodeExecutionId(node.clone()),
                ),
            };
            async move { svc.create_download_link(req).await }
        })
        .await
    }

    /// The agents the deployment runs (AgentMetadataService), with the task types each serves.
    ///
    /// # Errors
    /// UNIMPLEMENTED where the deployment serves no agent metadata, and the call's failures.
    pub async fn list_agents(&self) -> Result<Vec<admin::Agent>> {
        let resp = self
            .unary("ListAgents", {
                let mut svc = self.inner.agents.clone();
                async move { svc.list_agents(admin::ListAgentsRequest {}).await }
            })
            .await?;
        Ok(resp.agents)
    }

    /// One agent by name.
    ///
    /// # Errors
    /// NOT_FOUND and the call's failures.
    pub async fn get_agent(&self, name: &str) -> Result<admin::Agent> {
        let resp = self
            .unary("GetAgent", {
                let mut svc = self.inner.agents.clone();
                let req = admin::GetAgentRequest {
                    name: name.to_owned(),
                };
                async move { svc.get_agent(req).await }
            })
            .await?;
        Ok(resp.agent.unwrap_or_default())
    }
}
