//! What FlyteAdmin reports of a task node's cache: its status and catalog key.

use std::fmt;

use flyteidl::flyteidl::admin::{self, node_execution_closure::TargetMetadata};
use flyteidl::flyteidl::core::{self, catalog_metadata::SourceExecution, CatalogCacheStatus};

/// The cache status FlyteAdmin reports for a node execution (`closure.task_node_metadata
/// .cache_status`): `None` for nodes that run no task (sub-workflows, branches, gates) and for a
/// status this version of Flyte's IDL does not know.
pub fn cache_status(node: &admin::NodeExecution) -> Option<CatalogCacheStatus> {
    CatalogCacheStatus::try_from(task_node_metadata(node)?.cache_status).ok()
}

fn task_node_metadata(node: &admin::NodeExecution) -> Option<&admin::TaskNodeMetadata> {
    match node.closure.as_ref()?.target_metadata.as_ref()? {
        TargetMetadata::TaskNodeMetadata(t) => Some(t),
        TargetMetadata::WorkflowNodeMetadata(_) => None,
    }
}

/// Where a task node's outputs are cached in DataCatalog, as FlyteAdmin reports it
/// (`closure.task_node_metadata.catalog_key`): the dataset of the task's cache version and
/// interface, the artifact's tag (the hash of the inputs), and the task execution that
/// produced the artifact (for a hit, an earlier execution's).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CatalogKey {
    /// The dataset: the task's project and domain, name `flyte_task-<task name>`, version
    /// `<cache version>-<interface hash>`.
    pub dataset: core::Identifier,
    /// The artifact's tag, `flyte_cached-<inputs hash>`; empty when none was reported.
    pub tag: String,
    /// The artifact the tag pointed at; empty when none was reported.
    pub artifact_id: String,
    /// The task execution that produced the artifact.
    pub source: Option<core::TaskExecutionIdentifier>,
}

impl CatalogKey {
    /// The key of a node execution; `None` when FlyteAdmin reports none (caching disabled, a
    /// node that runs no task, a node still running).
    pub fn of(node: &admin::NodeExecution) -> Option<CatalogKey> {
        task_node_metadata(node)?
            .catalog_key
            .as_ref()
            .and_then(CatalogKey::from_pb)
    }

    /// The key in FlyteAdmin's message; `None` when it names no dataset.
    pub fn from_pb(md: &core::CatalogMetadata) -> Option<CatalogKey> {
        let dataset = md.dataset_id.clone()?;
        let tag = md.artifact_tag.clone().unwrap_or_default();
        Some(CatalogKey {
            dataset,
            tag: tag.name,
            artifact_id: tag.artifact_id,
            source: md.source_execution.as_ref().map(|s| match s {
                SourceExecution::SourceTaskExecution(t) => t.clone(),
            }),
        })
    }

    /// The execution and node that produced the artifact, as `project:domain:name node N
    /// attempt A`.
    pub fn source_text(&self) -> Option<String> {
        let source = self.source.as_ref()?;
        let node = source.node_execution_id.as_ref()?;
        let exec = node.execution_id.as_ref()?;
        Some(format!(
            "{}:{}:{} node {} attempt {}",
            exec.project, exec.domain, exec.name, node.node_id, source.retry_attempt
        ))
    }
}

/// `dataset P/D/NAME version V, tag T (from EXECUTION node N attempt A)`.
impl fmt::Display for CatalogKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.dataset;
        write!(
            f,
            "dataset {}/{}/{} version {}",
            d.project, d.domain, d.name, d.version
        )?;
        if !self.tag.is_empty() {
            write!(f, ", tag {}", self.tag)?;
        }
        if let Some(source) = self.source_text() {
            write!(f, " (from {source})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(target: TargetMetadata) -> admin::NodeExecution {
        admin::NodeExecution {
            closure: Some(admin::NodeExecutionClosure {
                target_metadata: Some(target),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_hit_names_its_dataset_tag_and_source() {
        let source = core::TaskExecutionIdentifier {
            retry_attempt: 1,
            node_execution_id: Some(core::NodeExecutionIdentifier {
                node_id: "n0".into(),
                execution_id: Some(core::WorkflowExecutionIdentifier {
                    project: "p".into(),
                    domain: "d".into(),
                    name: "first".into(),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        };
        let hit = node(TargetMetadata::TaskNodeMetadata(admin::TaskNodeMetadata {
            cache_status: CatalogCacheStatus::CacheHit as i32,
            catalog_key: Some(core::CatalogMetadata {
                dataset_id: Some(core::Identifier {
                    resource_type: core::ResourceType::Dataset as i32,
                    project: "p".into(),
                    domain: "d".into(),
                    name: "flyte_task-rs.add".into(),
                    version: "1-abc-def".into(),
                    ..Default::default()
                }),
                artifact_tag: Some(core::CatalogArtifactTag {
                    artifact_id: "a1".into(),
                    name: "flyte_cached-xyz".into(),
                }),
                source_execution: Some(SourceExecution::SourceTaskExecution(source.clone())),
            }),
            checkpoint_uri: String::new(),
        }));
        assert_eq!(cache_status(&hit), Some(CatalogCacheStatus::CacheHit));
        let key = CatalogKey::of(&hit).expect("a key");
        assert_eq!(
            (key.tag.as_str(), key.artifact_id.as_str(), key.source),
            ("flyte_cached-xyz", "a1", Some(source))
        );
        assert_eq!(
            CatalogKey::of(&hit).map(|k| k.to_string()).as_deref(),
            Some(
                "dataset p/d/flyte_task-rs.add version 1-abc-def, tag flyte_cached-xyz \
                 (from p:d:first node n0 attempt 1)"
            )
        );
    }

    #[test]
    fn nodes_without_a_task_or_key_report_none() {
        let sub = node(TargetMetadata::WorkflowNodeMetadata(
            admin::WorkflowNodeMetadata::default(),
        ));
        assert_eq!((cache_status(&sub), CatalogKey::of(&sub)), (None, None));
        let disabled = node(TargetMetadata::TaskNodeMetadata(
            admin::TaskNodeMetadata::default(),
        ));
        assert_eq!(
            (cache_status(&disabled), CatalogKey::of(&disabled)),
            (Some(CatalogCacheStatus::CacheDisabled), None)
        );
        assert_eq!(cache_status(&admin::NodeExecution::default()), None);
    }
}
