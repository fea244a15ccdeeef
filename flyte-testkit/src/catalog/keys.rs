//! The cache keys of a task node, as propeller computes them: the seam to flyte-catalog's key
//! functions.

use flyteidl::flyteidl::core::{Identifier, LiteralMap, TypedInterface};

use super::store::DatasetKey;

/// A task's dataset: `flyte_task-<name>`, version `<cache version>-<signature hash>`.
pub(crate) fn dataset_for_task(
    task: &Identifier,
    cache_version: &str,
    interface: &TypedInterface,
) -> Result<DatasetKey, String> {
    let version = cache_version.trim_matches(' ');
    if version.is_empty() {
        return Err(format!(
            "task cannot have an empty discoveryVersion {cache_version}"
        ));
    }
    use prost::Message as _;
    use sha2::Digest as _;
    let short = |bytes: Vec<u8>| {
        let h = sha2::Sha256::digest(bytes);
        data_encoding::BASE64URL_NOPAD.encode(&h)[..8].to_owned()
    };
    let sorted = |m: &Option<flyteidl::flyteidl::core::VariableMap>| {
        let mut vars: Vec<_> = m.iter().flat_map(|m| m.variables.iter()).collect();
        vars.sort_by(|a, b| a.0.cmp(b.0));
        vars.into_iter()
            .flat_map(|(k, v)| [k.as_bytes().to_vec(), v.encode_to_vec()])
            .flatten()
            .collect::<Vec<u8>>()
    };
    let inputs = short(sorted(&interface.inputs));
    let outputs = short(sorted(&interface.outputs));
    Ok(DatasetKey {
        project: task.project.clone(),
        name: format!("flyte_task-{}", task.name),
        domain: task.domain.clone(),
        version: format!("{version}-{inputs}-{outputs}"),
        uuid: String::new(),
    })
}

/// The tag of a run's inputs: `flyte_cached-<hash of the inputs not ignored>`.
pub(crate) fn tag_for_inputs(inputs: &LiteralMap, ignore: &[String]) -> Result<String, String> {
    use prost::Message as _;
    use sha2::Digest as _;
    let mut kept: Vec<_> = inputs
        .literals
        .iter()
        .filter(|(k, _)| !ignore.contains(k))
        .collect();
    kept.sort_by(|a, b| a.0.cmp(b.0));
    let mut h = sha2::Sha256::new();
    for (k, v) in kept {
        h.update(k.as_bytes());
        h.update(v.encode_to_vec());
    }
    Ok(format!(
        "flyte_cached-{}",
        data_encoding::BASE64URL_NOPAD.encode(&h.finalize())
    ))
}
