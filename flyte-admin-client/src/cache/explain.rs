//! Gathering a node's cache explanation: the node and its execution from FlyteAdmin, the task
//! from the execution's compiled workflow, the key computed locally with flyte-catalog, and
//! the task's other artifacts from DataCatalog with the inputs of the runs that made them.

use std::collections::BTreeSet;

use flyte_catalog::pb::{Artifact, Dataset, DatasetId};
use flyteidl::flyteidl::admin;
use flyteidl::flyteidl::core::{self, CatalogCacheStatus, LiteralMap, TaskTemplate};
use futures::{StreamExt as _, TryStreamExt as _};

use super::explanation::split_version;
use super::{
    cache_status, CacheExplanation, CacheReason, CatalogKey, ExpectedKey, ExplainOptions,
    NearArtifact,
};
use crate::catalog::{CatalogQuery, DataCatalogClient};
use crate::client::AdminClient;
use crate::error::{Code, Error, Result};
use crate::ids::ExecutionId;
use crate::list::ListOptions;

impl AdminClient {
    /// Explains a node's cache: its status and catalog key as FlyteAdmin reports them, and
    /// why. For a cached task that missed, the key propeller looked for (computed from the
    /// task's id, cache version and interface and the node's inputs, with
    /// [`flyte_catalog`]'s functions) and the nearest artifacts of the task's datasets in
    /// `catalog` (other cache versions, other inputs), each with the inputs that differ from
    /// the node's where the inputs of the run that made it can be read.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), flyte_admin_client::Error> {
    /// use flyte_admin_client::cache::ExplainOptions;
    /// use flyte_admin_client::catalog::DataCatalogClient;
    /// use flyte_admin_client::{AdminClient, ExecutionId};
    ///
    /// let admin = AdminClient::try_default()?;
    /// let catalog = DataCatalogClient::new(&admin);
    /// let id = ExecutionId::new("flytesnacks", "development", "a1b2c3");
    /// let why = admin.explain_cache(&catalog, &id, "n0", &ExplainOptions::new()).await?;
    /// println!("{why}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// NOT_FOUND for an unknown execution or node; the calls' failures; INVALID_ARGUMENT when
    /// the task's key cannot be computed (its interface or the node's inputs hold a value
    /// propeller could not hash either).
    pub async fn explain_cache(
        &self,
        catalog: &DataCatalogClient,
        execution: &ExecutionId,
        node_id: &str,
        options: &ExplainOptions,
    ) -> Result<CacheExplanation> {
        let node_ref = core::NodeExecutionIdentifier {
            node_id: node_id.to_owned(),
            execution_id: Some(execution.to_pb()),
        };
        let node = self.get_node_execution(&node_ref).await?;
        let status = cache_status(&node);
        let mut explanation = CacheExplanation {
            node: node_ref.clone(),
            task: None,
            status,
            reported: CatalogKey::of(&node),
            reason: CacheReason::NotATask,
            expected: None,
            nearest: Vec::new(),
        };
        let exec = self.get_execution(execution).await?;
        let Some(template) = self.node_task(&exec, &node).await? else {
            return Ok(explanation);
        };
        explanation.task = template.id.clone();
        let discoverable = template.metadata.as_ref().is_some_and(|m| m.discoverable);
        if !discoverable {
            explanation.reason = CacheReason::Disabled;
            return Ok(explanation);
        }
        let overwrite = exec.spec.as_ref().is_some_and(|s| s.overwrite_cache);
        explanation.reason = match status {
            Some(CatalogCacheStatus::CacheHit) => CacheReason::Hit,
            _ if overwrite => CacheReason::Overwritten,
            Some(CatalogCacheStatus::CachePopulated | CatalogCacheStatus::CacheMiss) => {
                CacheReason::Miss
            }
            // FlyteAdmin records a status only with a catalog key, and propeller's miss carries
            // none: a cached node that looked (it left QUEUED) and shows no status missed, and
            // is running or failed before it could populate.
            None | Some(CatalogCacheStatus::CacheDisabled) if looked_up(&node) => CacheReason::Miss,
            _ => CacheReason::Other,
        };
        let (inputs, _) = self.node_execution_data(&node_ref).await?;
        let ignored = flyte_catalog::cache_ignore_input_vars(&template).to_vec();
        let key_error = |e: flyte_catalog::KeyError| {
            Error::new(
                Code::InvalidArgument,
                "ExplainCache",
                self.endpoint(),
                format!("the cache key of node {node_id} cannot be computed: {e}"),
            )
            .with_source(e)
        };
        let dataset = flyte_catalog::dataset_id_for_task(&template).map_err(key_error)?;
        let tag = flyte_catalog::artifact_tag(Some(&inputs), &ignored).map_err(key_error)?;
        let expected = ExpectedKey {
            dataset,
            tag,
            ignored_inputs: ignored,
        };
        // A hit and a forced run are explained by themselves; a miss by what else is cached.
        if !matches!(
            explanation.reason,
            CacheReason::Hit | CacheReason::Overwritten
        ) {
            let task = template.id.clone().unwrap_or_default();
            explanation.nearest = self
                .nearest(catalog, &task, &node_ref, &inputs, &expected, options)
                .await?;
        }
        explanation.expected = Some(expected);
        Ok(explanation)
    }

    /// The template of the task a node runs: from the execution's compiled workflow (a node
    /// served from the cache has no task execution to name it), else from its latest attempt.
    async fn node_task(
        &self,
        exec: &admin::Execution,
        node: &admin::NodeExecution,
    ) -> Result<Option<TaskTemplate>> {
        let node_id = node.id.as_ref().map_or("", |n| n.node_id.as_str());
        let spec_id = node
            .metadata
            .as_ref()
            .map(|m| m.spec_node_id.as_str())
            .filter(|s| !s.is_empty())
            .unwrap_or(node_id);
        if let Some(wf) = exec.closure.as_ref().and_then(|c| c.workflow_id.as_ref()) {
            let workflow = self.get_workflow(&crate::WorkflowId::from_pb(wf)).await?;
            let compiled = workflow.closure.and_then(|c| c.compiled_workflow);
            if let Some(template) = compiled.and_then(|c| compiled_task(&c, spec_id)) {
                return Ok(Some(template));
            }
        }
        let Some(node_ref) = node.id.as_ref() else {
            return Ok(None);
        };
        let attempts: Vec<admin::TaskExecution> = self
            .list_task_executions(node_ref, &ListOptions::new())
            .try_collect()
            .await?;
        let Some(task_id) = attempts
            .last()
            .and_then(|t| t.id.as_ref())
            .and_then(|id| id.task_id.as_ref())
        else {
            return Ok(None);
        };
        let task = self.get_task(&crate::TaskId::from_pb(task_id)).await?;
        Ok(task
            .closure
            .and_then(|c| c.compiled_task)
            .and_then(|c| c.template))
    }

    /// The artifacts of the task's datasets other than the node's own, nearest first.
    async fn nearest(
        &self,
        catalog: &DataCatalogClient,
        task: &core::Identifier,
        node: &core::NodeExecutionIdentifier,
        inputs: &LiteralMap,
        expected: &ExpectedKey,
        options: &ExplainOptions,
    ) -> Result<Vec<NearArtifact>> {
        if options.nearest == 0 {
            return Ok(Vec::new());
        }
        // One budget over every dataset and artifact read: each artifact may cost a call.
        let page = u32::try_from(options.scan.clamp(1, 100)).unwrap_or(100);
        let query = CatalogQuery::new()
            .project(&task.project)
            .domain(&task.domain)
            .task(&task.name)
            .page_size(page);
        let datasets: Vec<Dataset> = catalog
            .list_datasets(query)
            .take(options.scan)
            .try_collect()
            .await?;
        let (_, interface) = split_version(&expected.dataset.version);
        let mut found = Vec::new();
        let mut budget = options.scan;
        for dataset in datasets {
            if budget == 0 {
                break;
            }
            let Some(id) = dataset.id.clone() else {
                continue;
            };
            let artifacts: Vec<Artifact> = catalog
                .list_artifacts(&id, CatalogQuery::new().page_size(page))
                .take(budget)
                .try_collect()
                .await?;
            budget -= artifacts.len();
            let (cache_version, their_interface) = split_version(&id.version);
            for artifact in artifacts {
                let source = flyte_catalog::source_from_metadata(
                    dataset.metadata.as_ref(),
                    artifact.metadata.as_ref(),
                    task,
                )
                .ok();
                // What this node wrote itself explains nothing about its lookup.
                if source.as_ref().and_then(|s| s.node_execution_id.as_ref()) == Some(node) {
                    continue;
                }
                let differing_inputs = match source
                    .as_ref()
                    .and_then(|s| s.node_execution_id.as_ref())
                {
                    Some(producer) => self
                        .node_execution_data(producer)
                        .await
                        .ok()
                        .map(|(theirs, _)| differing(inputs, &theirs, &expected.ignored_inputs)),
                    None => None,
                };
                found.push((
                    artifact.created_at.as_ref().map_or(0, |t| t.seconds),
                    NearArtifact {
                        same_dataset: same_dataset(&id, &expected.dataset),
                        same_interface: their_interface == interface,
                        cache_version: cache_version.to_owned(),
                        dataset: id.clone(),
                        artifact_id: artifact.id,
                        tags: artifact.tags.into_iter().map(|t| t.name).collect(),
                        source,
                        differing_inputs,
                    },
                ));
            }
        }
        found.sort_by_key(|(created, a)| {
            (
                !a.same_dataset,
                a.differing_inputs.as_ref().map_or(usize::MAX, Vec::len),
                std::cmp::Reverse(*created),
            )
        });
        Ok(found
            .into_iter()
            .take(options.nearest)
            .map(|(_, a)| a)
            .collect())
    }
}

fn same_dataset(a: &DatasetId, b: &DatasetId) -> bool {
    (&a.project, &a.domain, &a.name, &a.version) == (&b.project, &b.domain, &b.name, &b.version)
}

/// The compiled template of the task that node `spec_id` runs, in the primary workflow or a
/// sub-workflow.
fn compiled_task(closure: &core::CompiledWorkflowClosure, spec_id: &str) -> Option<TaskTemplate> {
    let workflows = closure.primary.iter().chain(&closure.sub_workflows);
    let task_id = workflows
        .filter_map(|w| w.template.as_ref())
        .flat_map(|t| &t.nodes)
        .find(|n| n.id == spec_id)
        .and_then(|n| match &n.target {
            Some(core::node::Target::TaskNode(t)) => t
                .reference
                .as_ref()
                .map(|core::task_node::Reference::ReferenceId(id)| id),
            _ => None,
        })?;
    closure
        .tasks
        .iter()
        .filter_map(|t| t.template.as_ref())
        .find(|t| t.id.as_ref() == Some(task_id))
        .cloned()
}

/// The inputs, not ignored, whose values hash differently (as propeller hashes them), by name.
fn differing(ours: &LiteralMap, theirs: &LiteralMap, ignored: &[String]) -> Vec<String> {
    let names: BTreeSet<&String> = ours.literals.keys().chain(theirs.literals.keys()).collect();
    let hash = |m: &LiteralMap, name: &String| {
        m.literals.get(name).map(|v| {
            let one = LiteralMap {
                literals: [(name.clone(), v.clone())].into_iter().collect(),
            };
            flyte_catalog::input_hash(Some(&one), &[]).unwrap_or_default()
        })
    };
    names
        .into_iter()
        .filter(|n| !ignored.contains(n))
        .filter(|n| hash(ours, n) != hash(theirs, n))
        .cloned()
        .collect()
}

/// Whether the node got past the cache lookup propeller makes before it runs a task: any phase
/// after QUEUED.
fn looked_up(node: &admin::NodeExecution) -> bool {
    use flyteidl::flyteidl::core::node_execution::Phase;
    let phase = node.closure.as_ref().map_or(0, |c| c.phase);
    !matches!(
        Phase::try_from(phase),
        Ok(Phase::Undefined | Phase::Queued) | Err(_)
    )
}
