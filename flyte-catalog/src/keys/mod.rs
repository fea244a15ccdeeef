//! The cache keys flytepropeller 1.16 computes for a task, locally: the dataset id
//! ([`dataset_id`]), the artifact tag of an input map ([`artifact_tag`]), and the metadata
//! propeller writes on datasets and artifacts and reads back as the source execution.
//!
//! # How propeller computes them (flytepropeller `nodes/catalog/datacatalog/transformer.go`,
//! flyteplugins `catalog/hashing.go`, flytestdlib `pbhash`)
//! - Dataset: project and domain of the task, name `flyte_task-<task name>`, version
//!   `<cache version, trimmed of spaces>-<inputs hash>-<outputs hash>`, each hash the first 8
//!   characters of the unpadded URL-safe base64 of the `pbhash` of the interface's
//!   `VariableMap` (an empty map when there are no variables).
//! - Tag: `flyte_cached-<hash>`, the unpadded URL-safe base64 of the `pbhash` of the input
//!   `LiteralMap` without the task's `cache_ignore_input_vars`, each literal first "hashified":
//!   a literal with its `hash` field set stands for itself by that hash alone, and collections
//!   and maps are hashified item by item (losing their own metadata).
//! - `pbhash` is not a hash of the protobuf bytes: it is Ben Laurie's objecthash of the message's
//!   JSON as golang/protobuf's `jsonpb` writes it and Go's `encoding/json` reads it back. So map
//!   order, field order and unknown fields never matter, an `int64` is hashed as its decimal
//!   string and every other number as a float64; the details are in the `jsonpb` and
//!   `objecthash` modules' docs.
//!
//! # Two ways in
//! The typed functions take the `flyteidl` crate's structs, which prost encodes first. That crate
//! predates `Literal.offloaded_metadata` (field 8), so a literal read from the wire into its
//! structs has lost it; the `*_encoded` functions take the message's bytes as they were sent and
//! keep every field Flyte 1.16.8 knows.

mod jsonpb;
mod objecthash;
mod schema;

use std::collections::HashMap;

use base64::Engine as _;
use flyteidl::flyteidl::core::{
    catalog_metadata, CatalogArtifactTag, CatalogMetadata, Identifier, LiteralMap,
    NodeExecutionIdentifier, ResourceType, TaskExecutionIdentifier, TaskTemplate, TypedInterface,
    VariableMap, WorkflowExecutionIdentifier,
};
use prost::Message as _;
use serde_json::{Map, Value};

use crate::pb::{Artifact, DatasetId, Metadata, Tag};

/// The prefix of every dataset name propeller creates: `flyte_task-<task name>`.
pub const DATASET_NAME_PREFIX: &str = "flyte_task";
/// The prefix of every tag propeller creates: `flyte_cached-<input hash>`.
pub const ARTIFACT_TAG_PREFIX: &str = "flyte_cached";
/// Dataset metadata: the version of the task that created the dataset.
pub const TASK_VERSION_KEY: &str = "task-version";
/// Artifact metadata: the name of the execution that produced it.
pub const EXEC_NAME_KEY: &str = "execution-name";
/// Artifact metadata: the domain of the execution that produced it.
pub const EXEC_DOMAIN_KEY: &str = "exec-domain";
/// Artifact metadata: the project of the execution that produced it.
pub const EXEC_PROJECT_KEY: &str = "exec-project";
/// Artifact metadata: the node that produced it.
pub const EXEC_NODE_ID_KEY: &str = "exec-node";
/// Artifact metadata: the retry attempt that produced it.
pub const EXEC_TASK_ATTEMPT_KEY: &str = "exec-attempt";

/// How many characters of each interface hash the dataset version keeps.
const MAX_PARAM_HASH_LENGTH: usize = 8;

/// Why a key could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The task has no cache version (`metadata.discovery_version` empty or blank); propeller
    /// refuses the same.
    #[error("task {task:?} cannot have an empty cache version (discovery_version)")]
    EmptyCacheVersion {
        /// The task's name.
        task: String,
    },
    /// The task template has no id.
    #[error("the task template has no id")]
    MissingTaskId,
    /// A message could not be read or has a value jsonpb refuses to write (a bad `Timestamp`,
    /// a `Value` without a kind, ...): propeller fails the same way.
    #[error("cannot hash the message: {0}")]
    Malformed(String),
    /// A cached artifact whose data does not match the task's outputs.
    #[error("artifact {artifact:?} does not match the task's outputs: {reason}")]
    OutputsMismatch {
        /// The artifact's id.
        artifact: String,
        /// What differs.
        reason: String,
    },
    /// Artifact metadata whose `exec-attempt` is not a number.
    #[error("artifact metadata exec-attempt {value:?} is not an unsigned 32-bit number")]
    BadAttempt {
        /// The value found.
        value: String,
    },
}

fn encode_b64(hash: [u8; 32]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hash)
}

/// `pbhash.ComputeHash` of a `VariableMap`'s encoding, in unpadded URL-safe base64.
fn variable_map_hash(encoded: &[u8]) -> Result<String, KeyError> {
    let json = jsonpb::to_json(&schema::VARIABLE_MAP, encoded)?;
    Ok(encode_b64(objecthash::object_hash(&json)?))
}

/// The `<inputs>-<outputs>` part of a dataset version, from the interface's encoded input and
/// output `VariableMap`s (`None` for a missing map, the same as an empty one).
///
/// # Errors
/// [`KeyError::Malformed`] when a map cannot be read.
pub fn interface_hash_encoded(
    inputs: Option<&[u8]>,
    outputs: Option<&[u8]>,
) -> Result<String, KeyError> {
    let short = |encoded: Option<&[u8]>| -> Result<String, KeyError> {
        let mut hash = variable_map_hash(encoded.unwrap_or_default())?;
        hash.truncate(MAX_PARAM_HASH_LENGTH);
        Ok(hash)
    };
    Ok(format!("{}-{}", short(inputs)?, short(outputs)?))
}

/// The `<inputs>-<outputs>` part of a dataset version: the interface's signature hash.
///
/// # Errors
/// [`KeyError::Malformed`] for a value jsonpb would refuse.
pub fn interface_hash(interface: Option<&TypedInterface>) -> Result<String, KeyError> {
    let encode = |map: Option<&VariableMap>| map.map(|m| m.encode_to_vec());
    let inputs = encode(interface.and_then(|i| i.inputs.as_ref()));
    let outputs = encode(interface.and_then(|i| i.outputs.as_ref()));
    interface_hash_encoded(inputs.as_deref(), outputs.as_deref())
}

/// A dataset version, `<cache version>-<interface hash>`, from a hash made by
/// [`interface_hash`].
fn version(task: &str, cache_version: &str, interface_hash: String) -> Result<String, KeyError> {
    let cache_version = cache_version.trim_matches(' ');
    if cache_version.is_empty() {
        return Err(KeyError::EmptyCacheVersion {
            task: task.to_owned(),
        });
    }
    Ok(format!("{cache_version}-{interface_hash}"))
}

/// The dataset propeller caches `task` in at `cache_version` (the task metadata's
/// `discovery_version`) for this interface.
///
/// # Errors
/// [`KeyError::EmptyCacheVersion`] for a blank cache version, [`KeyError::Malformed`] for an
/// interface jsonpb would refuse.
pub fn dataset_id(
    task: &Identifier,
    cache_version: &str,
    interface: Option<&TypedInterface>,
) -> Result<DatasetId, KeyError> {
    let version = version(&task.name, cache_version, interface_hash(interface)?)?;
    Ok(dataset_id_with_version(task, version))
}

/// [`dataset_id`] with the interface's input and output `VariableMap`s as sent on the wire.
///
/// # Errors
/// As [`dataset_id`].
pub fn dataset_id_encoded(
    task: &Identifier,
    cache_version: &str,
    inputs: Option<&[u8]>,
    outputs: Option<&[u8]>,
) -> Result<DatasetId, KeyError> {
    let version = version(
        &task.name,
        cache_version,
        interface_hash_encoded(inputs, outputs)?,
    )?;
    Ok(dataset_id_with_version(task, version))
}

fn dataset_id_with_version(task: &Identifier, version: String) -> DatasetId {
    DatasetId {
        project: task.project.clone(),
        domain: task.domain.clone(),
        name: format!("{DATASET_NAME_PREFIX}-{}", task.name),
        version,
        ..DatasetId::default()
    }
}

/// The dataset of a task template: its id, `metadata.discovery_version` and interface, as
/// propeller's `GetCatalogKey` reads them. Whether the task is cached at all
/// (`metadata.discoverable`) is the caller's question.
///
/// # Errors
/// [`KeyError::MissingTaskId`], and as [`dataset_id`].
pub fn dataset_id_for_task(template: &TaskTemplate) -> Result<DatasetId, KeyError> {
    let id = template.id.as_ref().ok_or(KeyError::MissingTaskId)?;
    let cache_version = template
        .metadata
        .as_ref()
        .map(|m| m.discovery_version.as_str())
        .unwrap_or_default();
    dataset_id(id, cache_version, template.interface.as_ref())
}

/// The cache-ignored input names of a task template (`metadata.cache_ignore_input_vars`).
pub fn cache_ignore_input_vars(template: &TaskTemplate) -> &[String] {
    template
        .metadata
        .as_ref()
        .map(|m| m.cache_ignore_input_vars.as_slice())
        .unwrap_or_default()
}

/// Propeller's `hashify`, on a literal's JSON: a literal with a hash is that hash alone;
/// collections and maps are rebuilt from their hashified items.
fn hashify(literal: Value) -> Value {
    let Value::Object(mut fields) = literal else {
        return literal;
    };
    if let Some(hash) = fields.remove("hash") {
        return Value::Object(Map::from_iter([("hash".to_owned(), hash)]));
    }
    if let Some(collection) = fields.get("collection") {
        let items: Vec<Value> = collection
            .get("literals")
            .and_then(Value::as_array)
            .map(|items| items.iter().cloned().map(hashify).collect())
            .unwrap_or_default();
        return wrap(
            "collection",
            "literals",
            (!items.is_empty()).then_some(Value::Array(items)),
        );
    }
    if let Some(map) = fields.get("map") {
        let items: Map<String, Value> = map
            .get("literals")
            .and_then(Value::as_object)
            .map(|items| {
                items
                    .iter()
                    .map(|(k, v)| (k.clone(), hashify(v.clone())))
                    .collect()
            })
            .unwrap_or_default();
        return wrap(
            "map",
            "literals",
            (!items.is_empty()).then_some(Value::Object(items)),
        );
    }
    Value::Object(fields)
}

/// `{outer: {inner: value}}`, or `{outer: {}}` without a value (jsonpb leaves empty lists and
/// maps out).
fn wrap(outer: &str, inner: &str, value: Option<Value>) -> Value {
    let mut body = Map::new();
    if let Some(value) = value {
        body.insert(inner.to_owned(), value);
    }
    Value::Object(Map::from_iter([(outer.to_owned(), Value::Object(body))]))
}

/// The input hash of an encoded `LiteralMap` (the part of the tag after `flyte_cached-`),
/// leaving out the inputs named in `cache_ignore_input_vars`. Empty bytes are the empty map.
///
/// # Errors
/// [`KeyError::Malformed`] when the bytes are not a `LiteralMap` or hold a value jsonpb would
/// refuse.
pub fn input_hash_encoded(
    inputs: &[u8],
    cache_ignore_input_vars: &[String],
) -> Result<String, KeyError> {
    let json = jsonpb::to_json(&schema::LITERAL_MAP, inputs)?;
    let literals: Map<String, Value> = match json {
        Value::Object(mut map) => match map.remove("literals") {
            Some(Value::Object(literals)) => literals,
            _ => Map::new(),
        },
        _ => Map::new(),
    };
    let kept: Map<String, Value> = literals
        .into_iter()
        .filter(|(name, _)| !cache_ignore_input_vars.contains(name))
        .map(|(name, literal)| (name, hashify(literal)))
        .collect();
    let mut map = Map::new();
    if !kept.is_empty() {
        map.insert("literals".to_owned(), Value::Object(kept));
    }
    Ok(encode_b64(objecthash::object_hash(&Value::Object(map))?))
}

/// The input hash of `inputs` (`None` is the empty map), leaving out the inputs named in
/// `cache_ignore_input_vars`.
///
/// # Errors
/// [`KeyError::Malformed`] for a value jsonpb would refuse (a `Timestamp` with nanos out of
/// range, a struct `Value` without a kind, ...).
pub fn input_hash(
    inputs: Option<&LiteralMap>,
    cache_ignore_input_vars: &[String],
) -> Result<String, KeyError> {
    let encoded = inputs.map(|m| m.encode_to_vec()).unwrap_or_default();
    input_hash_encoded(&encoded, cache_ignore_input_vars)
}

/// The tag propeller looks up and writes for `inputs`: `flyte_cached-<input hash>`.
///
/// # Errors
/// As [`input_hash`].
pub fn artifact_tag(
    inputs: Option<&LiteralMap>,
    cache_ignore_input_vars: &[String],
) -> Result<String, KeyError> {
    Ok(format!(
        "{ARTIFACT_TAG_PREFIX}-{}",
        input_hash(inputs, cache_ignore_input_vars)?
    ))
}

/// [`artifact_tag`] of an encoded `LiteralMap`, every field kept.
///
/// # Errors
/// As [`input_hash_encoded`].
pub fn artifact_tag_encoded(
    inputs: &[u8],
    cache_ignore_input_vars: &[String],
) -> Result<String, KeyError> {
    Ok(format!(
        "{ARTIFACT_TAG_PREFIX}-{}",
        input_hash_encoded(inputs, cache_ignore_input_vars)?
    ))
}

/// The metadata propeller writes on a dataset it creates: the creating task's version.
pub fn dataset_metadata(source: Option<&TaskExecutionIdentifier>) -> Metadata {
    let Some(source) = source else {
        return Metadata::default();
    };
    let version = source
        .task_id
        .as_ref()
        .map(|t| t.version.clone())
        .unwrap_or_default();
    Metadata {
        key_map: HashMap::from([(TASK_VERSION_KEY.to_owned(), version)]),
    }
}

/// The metadata propeller writes on an artifact: the execution, node and attempt that produced
/// it.
pub fn artifact_metadata(source: Option<&TaskExecutionIdentifier>) -> Metadata {
    let Some(source) = source else {
        return Metadata::default();
    };
    let node = source.node_execution_id.clone().unwrap_or_default();
    let execution = node.execution_id.unwrap_or_default();
    Metadata {
        key_map: HashMap::from([
            (EXEC_PROJECT_KEY.to_owned(), execution.project),
            (EXEC_DOMAIN_KEY.to_owned(), execution.domain),
            (EXEC_NAME_KEY.to_owned(), execution.name),
            (EXEC_NODE_ID_KEY.to_owned(), node.node_id),
            (
                EXEC_TASK_ATTEMPT_KEY.to_owned(),
                source.retry_attempt.to_string(),
            ),
        ]),
    }
}

/// The task execution that produced a cached artifact, as propeller reads it back from the
/// dataset's and the artifact's metadata: what is missing is `unknown` (or the current task's
/// project and domain), a missing attempt is 0.
///
/// # Errors
/// [`KeyError::BadAttempt`] when `exec-attempt` is not a number.
pub fn source_from_metadata(
    dataset: Option<&Metadata>,
    artifact: Option<&Metadata>,
    current: &Identifier,
) -> Result<TaskExecutionIdentifier, KeyError> {
    let get = |md: Option<&Metadata>, key: &str, default: &str| -> String {
        md.and_then(|m| m.key_map.get(key))
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    };
    let attempt = get(artifact, EXEC_TASK_ATTEMPT_KEY, "0");
    let retry_attempt = attempt
        .parse::<u32>()
        .map_err(|_| KeyError::BadAttempt { value: attempt })?;
    Ok(TaskExecutionIdentifier {
        task_id: Some(Identifier {
            resource_type: current.resource_type,
            project: current.project.clone(),
            domain: current.domain.clone(),
            name: current.name.clone(),
            version: get(dataset, TASK_VERSION_KEY, "unknown"),
            ..Identifier::default()
        }),
        retry_attempt,
        node_execution_id: Some(NodeExecutionIdentifier {
            node_id: get(artifact, EXEC_NODE_ID_KEY, "unknown"),
            execution_id: Some(WorkflowExecutionIdentifier {
                project: get(artifact, EXEC_PROJECT_KEY, &current.project),
                domain: get(artifact, EXEC_DOMAIN_KEY, &current.domain),
                name: get(artifact, EXEC_NAME_KEY, "unknown"),
                ..WorkflowExecutionIdentifier::default()
            }),
        }),
    })
}

/// A dataset id as the `Identifier` (resource type `DATASET`) that node and task executions
/// carry in their catalog key.
pub fn dataset_identifier(dataset: &DatasetId) -> Identifier {
    Identifier {
        resource_type: ResourceType::Dataset as i32,
        project: dataset.project.clone(),
        domain: dataset.domain.clone(),
        name: dataset.name.clone(),
        version: dataset.version.clone(),
        ..Identifier::default()
    }
}

/// The catalog key propeller reports on a node or task execution: the dataset, the tag (with
/// its artifact) and, for a hit or an overwrite, the execution that produced the artifact.
pub fn catalog_metadata(
    dataset: &DatasetId,
    tag: Option<&Tag>,
    source: Option<TaskExecutionIdentifier>,
) -> CatalogMetadata {
    CatalogMetadata {
        dataset_id: Some(dataset_identifier(dataset)),
        artifact_tag: tag.map(|t| CatalogArtifactTag {
            artifact_id: t.artifact_id.clone(),
            name: t.name.clone(),
        }),
        source_execution: source.map(catalog_metadata::SourceExecution::SourceTaskExecution),
    }
}

/// The task outputs a cached artifact holds, as propeller reads them on a hit: one datum per
/// output of the interface, each named after an output (an interface without outputs reads as
/// no outputs, whatever the artifact holds). Propeller also checks that each literal's type
/// can be cast to the output's type; that check is left to the caller.
///
/// # Errors
/// [`KeyError::OutputsMismatch`] when the counts differ or a datum names no output.
pub fn outputs_from_artifact(
    interface: Option<&TypedInterface>,
    artifact: &Artifact,
) -> Result<LiteralMap, KeyError> {
    let outputs = interface
        .and_then(|i| i.outputs.as_ref())
        .map(|o| &o.variables)
        .filter(|v| !v.is_empty());
    let Some(outputs) = outputs else {
        return Ok(LiteralMap::default());
    };
    let mismatch = |reason: String| KeyError::OutputsMismatch {
        artifact: artifact.id.clone(),
        reason,
    };
    if outputs.len() != artifact.data.len() {
        return Err(mismatch(format!(
            "the task has {} outputs, the artifact {} data",
            outputs.len(),
            artifact.data.len()
        )));
    }
    let mut literals = HashMap::with_capacity(outputs.len());
    for datum in &artifact.data {
        if !outputs.contains_key(&datum.name) {
            let mut names: Vec<&str> = outputs.keys().map(String::as_str).collect();
            names.sort_unstable();
            return Err(mismatch(format!(
                "datum {:?} is not one of the outputs {names:?}",
                datum.name
            )));
        }
        literals.insert(datum.name.clone(), datum.value.clone().unwrap_or_default());
    }
    Ok(LiteralMap { literals })
}

#[cfg(test)]
mod tests;
