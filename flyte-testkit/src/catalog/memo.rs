//! Propeller's memoization of task nodes (`nodes/executor.go` and `nodes/cache.go` at v1.16.8):
//! before a node runs, a discoverable task's outputs are looked up in the catalog by its
//! dataset and the tag of its inputs; a hit succeeds the node with the cached outputs, a miss
//! runs it and records its outputs when it succeeds, `overwrite_cache` runs it and replaces
//! the tagged artifact. The statuses and catalog keys land where FlyteAdmin puts them: the
//! node execution closure's `task_node_metadata` (a hit has no task execution at all).

use std::time::Duration;

use flyte_catalog::pb::{Artifact, ArtifactData, Dataset, DatasetId, ReservationId, Tag};
use flyte_catalog::{
    artifact_metadata, artifact_tag, catalog_metadata, dataset_id, dataset_metadata,
    source_from_metadata,
};
use flyteidl::flyteidl::admin;
use flyteidl::flyteidl::core::{
    CatalogCacheStatus, CatalogMetadata, CompiledTask, Identifier, LiteralMap,
    NodeExecutionIdentifier, TaskExecutionIdentifier, TypedInterface, WorkflowExecutionIdentifier,
};

use super::store::{ArtifactHandle, CatalogStore};
use crate::literals::{castable, type_of};

/// The heartbeat of a reservation: propeller asks for its workflow re-evaluation interval
/// (10s by default), DataCatalog grants at most its `max-reservation-heartbeat` (10s).
pub(crate) const RESERVATION_HEARTBEAT: Duration = Duration::from_secs(10);
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
    Hit(Box<Hit>),
}

/// A cache hit: the cached outputs and the catalog key FlyteAdmin shows.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) outputs: LiteralMap,
    pub(crate) key: CatalogMetadata,
}

/// A node that runs and then records its outputs.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    task: Identifier,
    dataset: DatasetId,
    tag: String,
    overwrite: bool,
    serializable: bool,
    /// The interface declares an output list, and it is empty: nothing to cache.
    no_outputs: bool,
    interface: TypedInterface,
}

impl Pending {
    /// Whether the task takes a reservation before it runs.
    pub(crate) fn serializable(&self) -> bool {
        self.serializable && !self.overwrite
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
        dataset_id(&id, &metadata.discovery_version, Some(&interface)),
        artifact_tag(Some(&inputs), &metadata.cache_ignore_input_vars),
    ) else {
        return Memo::Disabled;
    };
    let no_outputs = interface
        .outputs
        .as_ref()
        .is_some_and(|o| o.variables.is_empty());
    let pending = Pending {
        task: id,
        dataset,
        tag,
        overwrite,
        serializable: metadata.cache_serializable,
        no_outputs,
        interface,
    };
    if overwrite {
        return Memo::Run(Box::new(pending));
    }
    lookup(store, &pending).unwrap_or_else(|| Memo::Run(Box::new(pending)))
}

/// The hit for `pending`'s key, when the catalog has outputs that fit the task's interface.
pub(crate) fn lookup(store: &CatalogStore, pending: &Pending) -> Option<Memo> {
    let ds = store.dataset(&pending.dataset).ok()?;
    let artifact = store.artifact_by_tag(&pending.dataset, &pending.tag).ok()?;
    let declared = pending
        .interface
        .outputs
        .as_ref()
        .map(|o| &o.variables)
        .filter(|v| !v.is_empty());
    let mut outputs = LiteralMap::default();
    if let Some(declared) = declared {
        // Propeller refuses an artifact that does not fit the interface (and fails the node);
        // the test kit runs the node instead.
        if declared.len() != artifact.data.len() {
            return None;
        }
        for data in &artifact.data {
            let want = declared.get(&data.name).and_then(|v| v.r#type.as_ref())?;
            let value = data.value.as_ref()?;
            if !castable(&type_of(value), want) {
                return None;
            }
            outputs.literals.insert(data.name.clone(), value.clone());
        }
    }
    // Propeller fails the lookup on an attempt that is not a number; the test kit runs the
    // node instead.
    let source = source_from_metadata(
        ds.metadata.as_ref(),
        artifact.metadata.as_ref(),
        &pending.task,
    )
    .ok()?;
    let id = ds.id.clone().unwrap_or_default();
    Some(Memo::Hit(Box::new(Hit {
        outputs,
        key: catalog_metadata(&id, artifact.tags.first(), Some(source)),
    })))
}

/// Records a succeeded node's `outputs` (propeller's `WriteCatalogCache`): `Put` (a new
/// artifact and its tag), or under `overwrite_cache` `Update` (the tagged artifact's data
/// replaced, or a new one when there is none). Returns the status and key FlyteAdmin shows.
pub(crate) fn record(
    store: &mut CatalogStore,
    pending: &Pending,
    node: &NodeExecutionIdentifier,
    outputs: &LiteralMap,
    now: prost_types::Timestamp,
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
        id: Some(pending.dataset.clone()),
        metadata: Some(dataset_metadata(Some(&source))),
        partition_keys: Vec::new(),
    };
    if let Err(e) = store.create_dataset(dataset) {
        if !e.is_already_exists() {
            return (CatalogCacheStatus::CachePutFailure, None);
        }
    }
    let mut data: Vec<ArtifactData> = outputs
        .literals
        .iter()
        .map(|(name, value)| ArtifactData {
            name: name.clone(),
            value: Some(value.clone()),
        })
        .collect();
    data.sort_by(|a, b| a.name.cmp(&b.name));
    if pending.overwrite {
        let updated = store.update_artifact(
            Some(&pending.dataset),
            ArtifactHandle::Tag(&pending.tag),
            data.clone(),
            Some(artifact_metadata(Some(&source))),
        );
        match updated {
            Ok(artifact_id) => {
                // Propeller names the run that rewrote the artifact as its source.
                let current = source_from_metadata(
                    Some(&dataset_metadata(Some(&source))),
                    Some(&artifact_metadata(Some(&source))),
                    &pending.task,
                )
                .ok();
                let tag = tag(pending, artifact_id);
                let key = catalog_metadata(&pending.dataset, Some(&tag), current);
                return (CatalogCacheStatus::CachePopulated, Some(key));
            }
            Err(e) if !e.is_not_found() => return (CatalogCacheStatus::CachePutFailure, None),
            Err(_) => {}
        }
    }
    let artifact = Artifact {
        id: store.new_uuid(),
        dataset: Some(pending.dataset.clone()),
        data,
        metadata: Some(artifact_metadata(Some(&source))),
        ..Artifact::default()
    };
    let artifact_id = artifact.id.clone();
    if store.create_artifact(artifact, now).is_err() {
        return (CatalogCacheStatus::CachePutFailure, None);
    }
    let tag = tag(pending, artifact_id);
    // A tag another run added first stays where it is (propeller treats that as success).
    if let Err(e) = store.add_tag(&tag) {
        if !e.is_already_exists() {
            return (CatalogCacheStatus::CachePutFailure, None);
        }
    }
    let key = catalog_metadata(&pending.dataset, Some(&tag), None);
    (CatalogCacheStatus::CachePopulated, Some(key))
}

fn tag(pending: &Pending, artifact_id: String) -> Tag {
    Tag {
        name: pending.tag.clone(),
        artifact_id,
        dataset: Some(pending.dataset.clone()),
    }
}

fn reservation_id(pending: &Pending) -> ReservationId {
    ReservationId {
        dataset_id: Some(pending.dataset.clone()),
        tag_name: pending.tag.clone(),
    }
}

/// The owner propeller names in a reservation: the execution, the node's unique id and the
/// attempt, shortened to 50 characters as its ids are.
pub(crate) fn reservation_owner(exec: &WorkflowExecutionIdentifier, node_id: &str) -> String {
    crate::executions::fixed_length_id(&format!("{}-{node_id}-0", exec.name), ID_MAX_LENGTH)
}

/// Takes (or extends) the reservation of a serializable node; whether it holds it now.
pub(crate) fn reserve(store: &mut CatalogStore, pending: &Pending, owner: &str, now: u64) -> bool {
    let r = store.get_or_extend_reservation(
        &reservation_id(pending),
        owner,
        RESERVATION_HEARTBEAT,
        now,
        HEARTBEAT_GRACE_MULTIPLIER,
    );
    r.owner_id == owner
}

/// Releases a serializable node's reservation after it succeeded.
pub(crate) fn release(store: &mut CatalogStore, pending: &Pending, owner: &str) {
    store.release_reservation(&reservation_id(pending), owner);
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
