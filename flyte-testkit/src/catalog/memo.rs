//! Propeller's memoization of task nodes (`nodes/executor.go` and `nodes/cache.go` at v1.16.8):
//! before a node runs, a discoverable task's outputs are looked up in the catalog by its
//! dataset and the tag of its inputs; a hit succeeds the node with the cached outputs, a miss
//! runs it and records its outputs when it succeeds, `overwrite_cache` runs it and replaces
//! the tagged artifact. The statuses and catalog keys land where FlyteAdmin puts them: the
//! node execution closure's `task_node_metadata` (a hit has no task execution at all).

use std::collections::BTreeMap;
use std::time::Duration;

use flyteidl::flyteidl::admin;
use flyteidl::flyteidl::core::{
    catalog_metadata, CatalogArtifactTag, CatalogCacheStatus, CatalogMetadata, CompiledTask,
    Identifier, LiteralMap, NodeExecutionIdentifier, ResourceType, TaskExecutionIdentifier,
    WorkflowExecutionIdentifier,
};

use super::keys;
use super::store::{Artifact, ArtifactHandle, CatalogStore, Dataset, DatasetKey};
use crate::literals::{castable, type_of};

/// Metadata keys propeller writes on datasets and artifacts (`datacatalog/transformer.go`).
const TASK_VERSION: &str = "task-version";
const EXEC_NAME: &str = "execution-name";
const EXEC_DOMAIN: &str = "exec-domain";
const EXEC_PROJECT: &str = "exec-project";
const EXEC_NODE: &str = "exec-node";
const EXEC_ATTEMPT: &str = "exec-attempt";

/// Propeller's heartbeat for reservations: its default workflow re-evaluation interval.
pub(crate) const RESERVATION_HEARTBEAT: Duration = Duration::from_secs(30);
/// DataCatalog's default: a reservation expires after this many missed heartbeats.
pub(crate) const HEARTBEAT_GRACE_MULTIPLIER: u32 = 3;
/// Propeller's maximum length of a task execution id (`task.IDMaxLength`), which bounds the
/// reservation owner id.
const ID_MAX_LENGTH: usize = 50;

/// What a task node is to the catalog, decided before it runs.
#[derive(Debug, Clone)]
pub(crate) enum Memo {
    /// The task is not discoverable: propeller never asks the catalog.
    Disabled,
    /// The node runs, then its outputs are put in the catalog (or replace the tagged ones).
    Run(Box<Pending>),
    /// The catalog had the outputs: the node succeeds with them without running.
    Hit {
        outputs: LiteralMap,
        key: CatalogMetadata,
    },
}

/// A node that runs and then records its outputs.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    task: Identifier,
    dataset: DatasetKey,
    tag: String,
    overwrite: bool,
    serializable: bool,
    /// The interface declares an output list, and it is empty: nothing to cache.
    no_outputs: bool,
}

impl Pending {
    /// Whether the task takes a reservation before it runs.
    pub(crate) fn serializable(&self) -> bool {
        self.serializable
    }
}

/// Decides what the catalog does for a node running `task` with `inputs`: propeller's
/// `IsCacheable`, then `CheckCatalogCache` (skipped under `overwrite_cache`).
pub(crate) fn check(
    store: &CatalogStore,
    task: &CompiledTask,
    inputs: &LiteralMap,
    overwrite: bool,
) -> Memo {
    let Some(template) = task.template.as_ref() else {
        return Memo::Disabled;
    };
    let metadata = template.metadata.clone().unwrap_or_default();
    if !metadata.discoverable {
        return Memo::Disabled;
    }
    let interface = template.interface.clone().unwrap_or_default();
    let id = template.id.clone().unwrap_or_default();
    // Propeller reads no inputs for a task that declares none.
    let inputs = if interface.inputs.is_some() {
        inputs.clone()
    } else {
        LiteralMap::default()
    };
    // A key propeller cannot compute (an empty cache version) fails its catalog call; the
    // test kit runs such a node uncached instead.
    let (Ok(dataset), Ok(tag)) = (
        keys::dataset_for_task(&id, &metadata.discovery_version, &interface),
        keys::tag_for_inputs(&inputs, &metadata.cache_ignore_input_vars),
    ) else {
        return Memo::Disabled;
    };
    let no_outputs = interface
        .outputs
        .as_ref()
        .is_some_and(|o| o.variables.is_empty());
    let pending = Pending {
        task: id.clone(),
        dataset,
        tag,
        overwrite,
        serializable: metadata.cache_serializable,
        no_outputs,
    };
    if overwrite {
        return Memo::Run(Box::new(pending));
    }
    let (Ok(ds), Ok(artifact)) = (
        store.dataset(&pending.dataset),
        store.artifact_by_tag(&pending.dataset, &pending.tag),
    ) else {
        return Memo::Run(Box::new(pending));
    };
    let artifact = store.with_tags(&artifact);
    let declared = interface.outputs.map(|o| o.variables).unwrap_or_default();
    let mut outputs = LiteralMap::default();
    if !declared.is_empty() {
        // Propeller refuses an artifact that does not fit the interface (and fails the node);
        // the test kit runs the node instead.
        if declared.len() != artifact.data.len() {
            return Memo::Run(Box::new(pending));
        }
        for (name, value) in &artifact.data {
            let fits = declared
                .get(name)
                .and_then(|v| v.r#type.as_ref())
                .is_some_and(|want| castable(&type_of(value), want));
            if !fits {
                return Memo::Run(Box::new(pending));
            }
            outputs.literals.insert(name.clone(), value.clone());
        }
    }
    let source = source_from_metadata(&ds.metadata, &artifact.metadata, &id);
    Memo::Hit {
        outputs,
        key: catalog_metadata(
            &ds.id,
            artifact.tags.first().map(|t| (&artifact.id, t)),
            source,
        ),
    }
}

/// Records a succeeded node's `outputs` (propeller's `WriteCatalogCache`): `Put` (a new
/// artifact and its tag), or under `overwrite_cache` `Update` (the tagged artifact's data
/// replaced, or a new one when there is none). Returns the status and key FlyteAdmin shows.
pub(crate) fn record(
    store: &mut CatalogStore,
    pending: &Pending,
    node: &NodeExecutionIdentifier,
    outputs: &LiteralMap,
    created_at: prost_types::Timestamp,
) -> (CatalogCacheStatus, Option<CatalogMetadata>) {
    if pending.no_outputs {
        return (CatalogCacheStatus::CacheDisabled, None);
    }
    let source = TaskExecutionIdentifier {
        task_id: Some(pending.task.clone()),
        node_execution_id: Some(node.clone()),
        retry_attempt: 0,
    };
    let dataset = Dataset {
        id: pending.dataset.clone(),
        metadata: dataset_metadata(&source),
        partition_keys: Vec::new(),
    };
    if let Err(e) = store.create_dataset(dataset) {
        if !e.is_already_exists() {
            return (CatalogCacheStatus::CachePutFailure, None);
        }
    }
    let mut data: Vec<_> = outputs
        .literals
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    data.sort_by(|a, b| a.0.cmp(&b.0));
    if pending.overwrite {
        let updated = store.update_artifact(
            &pending.dataset,
            ArtifactHandle::Tag(&pending.tag),
            data.clone(),
            Some(artifact_metadata(&source)),
        );
        match updated {
            Ok(artifact_id) => {
                // Propeller reports the run that wrote the artifact as its source.
                let current = source_from_metadata(
                    &dataset_metadata(&source),
                    &artifact_metadata(&source),
                    &pending.task,
                );
                let key = catalog_metadata(
                    &pending.dataset,
                    Some((&artifact_id, &pending.tag)),
                    current,
                );
                return (CatalogCacheStatus::CachePopulated, Some(key));
            }
            Err(e) if !e.is_not_found() => return (CatalogCacheStatus::CachePutFailure, None),
            Err(_) => {}
        }
    }
    let artifact = Artifact {
        id: store.new_artifact_id(),
        dataset: pending.dataset.clone(),
        data,
        metadata: artifact_metadata(&source),
        partitions: Vec::new(),
        tags: Vec::new(),
        created_at,
    };
    let artifact_id = artifact.id.clone();
    if store.create_artifact(artifact).is_err() {
        return (CatalogCacheStatus::CachePutFailure, None);
    }
    // A tag another run added first stays where it is (propeller treats it as idempotent).
    if let Err(e) = store.add_tag(&pending.dataset, &pending.tag, &artifact_id) {
        if !e.is_already_exists() {
            return (CatalogCacheStatus::CachePutFailure, None);
        }
    }
    let key = catalog_metadata(&pending.dataset, Some((&artifact_id, &pending.tag)), None);
    (CatalogCacheStatus::CachePopulated, Some(key))
}

/// The owner propeller names in a reservation: the execution, the node's unique id and the
/// attempt, shortened to 50 characters as its ids are.
pub(crate) fn reservation_owner(exec: &WorkflowExecutionIdentifier, node_id: &str) -> String {
    crate::executions::fixed_length_id(&format!("{}-{node_id}-0", exec.name), ID_MAX_LENGTH)
}

/// Takes (or extends) the reservation of a serializable node; whether it holds it now.
pub(crate) fn reserve(store: &mut CatalogStore, pending: &Pending, owner: &str, now: u64) -> bool {
    let r = store.get_or_extend_reservation(
        &pending.dataset,
        &pending.tag,
        owner,
        RESERVATION_HEARTBEAT,
        now,
        HEARTBEAT_GRACE_MULTIPLIER,
    );
    r.owner == owner
}

/// Releases a serializable node's reservation after it succeeded; one it no longer holds is
/// fine (propeller ignores the failure).
pub(crate) fn release(store: &mut CatalogStore, pending: &Pending, owner: &str) {
    let _ = store.release_reservation(&pending.dataset, &pending.tag, owner);
}

/// The `task_node_metadata` FlyteAdmin records for a task node: the checkpoint (none in the
/// test kit), and the cache status only when the event carried a catalog key.
pub(crate) fn task_node_metadata(
    status: CatalogCacheStatus,
    key: Option<CatalogMetadata>,
) -> admin::TaskNodeMetadata {
    match key {
        Some(key) => admin::TaskNodeMetadata {
            cache_status: status as i32,
            catalog_key: Some(key),
            checkpoint_uri: String::new(),
        },
        None => admin::TaskNodeMetadata::default(),
    }
}

fn dataset_metadata(source: &TaskExecutionIdentifier) -> BTreeMap<String, String> {
    let version = source
        .task_id
        .as_ref()
        .map(|t| t.version.clone())
        .unwrap_or_default();
    [(TASK_VERSION.to_owned(), version)].into()
}

fn artifact_metadata(source: &TaskExecutionIdentifier) -> BTreeMap<String, String> {
    let node = source.node_execution_id.clone().unwrap_or_default();
    let exec = node.execution_id.unwrap_or_default();
    [
        (EXEC_PROJECT, exec.project),
        (EXEC_DOMAIN, exec.domain),
        (EXEC_NAME, exec.name),
        (EXEC_NODE, node.node_id),
        (EXEC_ATTEMPT, source.retry_attempt.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The run that wrote an artifact, from the dataset's and artifact's metadata, with
/// propeller's defaults for what is missing (`GetSourceFromMetadata`).
fn source_from_metadata(
    dataset: &BTreeMap<String, String>,
    artifact: &BTreeMap<String, String>,
    current: &Identifier,
) -> Option<TaskExecutionIdentifier> {
    let get = |m: &BTreeMap<String, String>, k: &str, default: &str| {
        m.get(k).cloned().unwrap_or_else(|| default.to_owned())
    };
    // Propeller fails the lookup on an attempt that is not a number; the test kit only ever
    // writes numbers, and reports no source for anything else.
    let attempt = get(artifact, EXEC_ATTEMPT, "0").parse::<u32>().ok()?;
    Some(TaskExecutionIdentifier {
        task_id: Some(Identifier {
            resource_type: current.resource_type,
            project: current.project.clone(),
            domain: current.domain.clone(),
            name: current.name.clone(),
            version: get(dataset, TASK_VERSION, "unknown"),
            org: String::new(),
        }),
        node_execution_id: Some(NodeExecutionIdentifier {
            node_id: get(artifact, EXEC_NODE, "unknown"),
            execution_id: Some(WorkflowExecutionIdentifier {
                project: get(artifact, EXEC_PROJECT, &current.project),
                domain: get(artifact, EXEC_DOMAIN, &current.domain),
                name: get(artifact, EXEC_NAME, "unknown"),
                org: String::new(),
            }),
        }),
        retry_attempt: attempt,
    })
}

/// Propeller's `EventCatalogMetadata`: the dataset as an identifier, the tag, the source.
fn catalog_metadata(
    dataset: &DatasetKey,
    tag: Option<(&String, &String)>,
    source: Option<TaskExecutionIdentifier>,
) -> CatalogMetadata {
    CatalogMetadata {
        dataset_id: Some(Identifier {
            resource_type: ResourceType::Dataset as i32,
            project: dataset.project.clone(),
            domain: dataset.domain.clone(),
            name: dataset.name.clone(),
            version: dataset.version.clone(),
            org: String::new(),
        }),
        artifact_tag: tag.map(|(artifact_id, name)| CatalogArtifactTag {
            artifact_id: artifact_id.clone(),
            name: name.clone(),
        }),
        source_execution: source.map(catalog_metadata::SourceExecution::SourceTaskExecution),
    }
}
