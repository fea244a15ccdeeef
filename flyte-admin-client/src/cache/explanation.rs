//! Why a node was or was not served from the cache: the typed answer of
//! [`AdminClient::explain_cache`](crate::AdminClient::explain_cache), readable through
//! `Display`.

use std::fmt;

use flyte_catalog::pb::DatasetId;
use flyteidl::flyteidl::core::{self, CatalogCacheStatus};

use super::CatalogKey;

/// How many near artifacts an explanation lists unless told otherwise.
pub const DEFAULT_NEAREST: usize = 5;
/// How many artifacts an explanation reads in all, over the task's datasets (newest first in
/// each), unless told otherwise: each costs one call for its source's inputs.
pub const DEFAULT_SCAN: usize = 50;

/// Limits of [`AdminClient::explain_cache`](crate::AdminClient::explain_cache).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct ExplainOptions {
    pub(super) nearest: usize,
    pub(super) scan: usize,
}

impl Default for ExplainOptions {
    fn default() -> Self {
        ExplainOptions {
            nearest: DEFAULT_NEAREST,
            scan: DEFAULT_SCAN,
        }
    }
}

impl ExplainOptions {
    /// [`DEFAULT_NEAREST`] near artifacts from at most [`DEFAULT_SCAN`] read in all.
    pub fn new() -> Self {
        ExplainOptions::default()
    }
    /// How many near artifacts to list.
    pub fn nearest(mut self, n: usize) -> Self {
        self.nearest = n;
        self
    }
    /// How many artifacts of each dataset of the task to read, newest first (one call each
    /// for the inputs of the run that made it).
    pub fn scan(mut self, n: usize) -> Self {
        self.scan = n;
        self
    }
}

/// Why the node was (not) served from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheReason {
    /// The key was found: the node reused an earlier run's outputs without running.
    Hit,
    /// The node runs no task (a sub-workflow, branch, gate or launch plan node).
    NotATask,
    /// The task is not cached (its metadata is not `discoverable`).
    Disabled,
    /// The execution asked to recompute cached outputs (`overwrite_cache`): no lookup.
    Overwritten,
    /// No artifact had the key looked for when the node ran.
    Miss,
    /// Anything else the status tells: a lookup or put failure, a skipped lookup, a node that
    /// has not looked yet.
    Other,
}

/// The key propeller looks up for the node, computed as it does from the task's id, cache
/// version and interface and the node's inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpectedKey {
    /// The dataset.
    pub dataset: DatasetId,
    /// The tag of the node's inputs (`flyte_cached-<hash>`).
    pub tag: String,
    /// The inputs left out of the hash (`cache_ignore_input_vars`).
    pub ignored_inputs: Vec<String>,
}

/// An artifact of the task's datasets other than the one looked for, and how its key differs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NearArtifact {
    /// Its dataset.
    pub dataset: DatasetId,
    /// Its id.
    pub artifact_id: String,
    /// The tags pointing at it.
    pub tags: Vec<String>,
    /// The run that produced it, from the artifact's metadata.
    pub source: Option<core::TaskExecutionIdentifier>,
    /// The cache version its dataset was made under (the dataset version without the interface
    /// hash).
    pub cache_version: String,
    /// Whether its dataset is the one looked for (same cache version and interface).
    pub same_dataset: bool,
    /// Whether its dataset's interface hash is the node's task's.
    pub same_interface: bool,
    /// The inputs (not ignored) whose values differ from the node's, by name; `None` when the
    /// producing run's inputs could not be read.
    pub differing_inputs: Option<Vec<String>>,
}

/// A node's cache, explained: what FlyteAdmin reports, the key propeller looked for, why it
/// was (not) a hit, and the nearest artifacts of the same task's datasets.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CacheExplanation {
    /// The node execution.
    pub node: core::NodeExecutionIdentifier,
    /// The task it ran, when it runs one.
    pub task: Option<core::Identifier>,
    /// The cache status FlyteAdmin reports.
    pub status: Option<CatalogCacheStatus>,
    /// The catalog key FlyteAdmin reports.
    pub reported: Option<CatalogKey>,
    /// Why.
    pub reason: CacheReason,
    /// The key looked for (for a cached task).
    pub expected: Option<ExpectedKey>,
    /// The nearest other artifacts: same dataset first, then fewest differing inputs, then
    /// newest (none for a hit).
    pub nearest: Vec<NearArtifact>,
}

/// The cache version and the interface hash of a dataset version `<cache version>-<inputs
/// hash>-<outputs hash>`: each hash is 8 characters of URL-safe base64, which may hold `-`
/// itself, so the split counts from the end. A version not shaped so is all cache version.
pub(super) fn split_version(version: &str) -> (&str, &str) {
    const INTERFACE: usize = 8 + 1 + 8;
    let b = version.as_bytes();
    if b.len() > INTERFACE + 1 && b[b.len() - INTERFACE - 1] == b'-' && b[b.len() - 9] == b'-' {
        let cut = b.len() - INTERFACE;
        // The bytes at the cut are ASCII dashes, so both sides are on character boundaries.
        (&version[..cut - 1], &version[cut..])
    } else {
        (version, "")
    }
}

fn source_text(source: Option<&core::TaskExecutionIdentifier>) -> Option<String> {
    let node = source?.node_execution_id.as_ref()?;
    let exec = node.execution_id.as_ref()?;
    Some(format!(
        "{}:{}:{} node {}",
        exec.project, exec.domain, exec.name, node.node_id
    ))
}

impl fmt::Display for NearArtifact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "artifact {}", self.artifact_id)?;
        if let Some(source) = source_text(self.source.as_ref()) {
            write!(f, " from {source}")?;
        }
        if self.same_dataset {
            f.write_str(": same cache version")?;
        } else if self.same_interface {
            write!(f, ": cache version {:?}", self.cache_version)?;
        } else {
            write!(
                f,
                ": cache version {:?}, another interface",
                self.cache_version
            )?;
        }
        match &self.differing_inputs {
            Some(d) if d.is_empty() => f.write_str(", same inputs"),
            Some(d) => write!(f, ", inputs differ: {}", d.join(", ")),
            None => f.write_str(", inputs unknown"),
        }
    }
}

/// Several lines: the node and status, why, the key looked for, the nearest artifacts.
impl fmt::Display for CacheExplanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exec = self.node.execution_id.clone().unwrap_or_default();
        write!(
            f,
            "node {} of {}:{}:{}",
            self.node.node_id, exec.project, exec.domain, exec.name
        )?;
        if let Some(t) = &self.task {
            write!(f, " (task {} version {})", t.name, t.version)?;
        }
        let status = self.status.map_or("no cache status", |s| s.as_str_name());
        writeln!(f, ": {status}")?;
        let why = match self.reason {
            CacheReason::Hit => "a hit: it reused the outputs of an earlier run without running"
                .to_owned(),
            CacheReason::NotATask => "the node runs no task, so nothing is cached".to_owned(),
            CacheReason::Disabled => {
                "the task is not cached (its metadata is not discoverable: cache=True and a cache_version in flytekit)"
                    .to_owned()
            }
            CacheReason::Overwritten => {
                "the execution asked to overwrite the cache (overwrite_cache): it ran without looking and replaced the artifact"
                    .to_owned()
            }
            CacheReason::Miss => match &self.expected {
                Some(k) => format!(
                    "a miss: no artifact of dataset {} version {} had tag {} when it ran",
                    k.dataset.name, k.dataset.version, k.tag
                ),
                None => "a miss".to_owned(),
            },
            CacheReason::Other => format!("the status says it: {status}"),
        };
        writeln!(f, "why: {why}")?;
        if let Some(key) = &self.reported {
            writeln!(f, "reported key: {key}")?;
        }
        if let Some(k) = &self.expected {
            write!(
                f,
                "key looked for: dataset {}/{}/{} version {}, tag {}",
                k.dataset.project, k.dataset.domain, k.dataset.name, k.dataset.version, k.tag
            )?;
            if !k.ignored_inputs.is_empty() {
                write!(f, " (ignoring {})", k.ignored_inputs.join(", "))?;
            }
            writeln!(f)?;
        }
        if !self.nearest.is_empty() {
            writeln!(f, "nearest artifacts:")?;
            for a in &self.nearest {
                writeln!(f, "  {a}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::split_version;

    #[test]
    fn a_dataset_version_splits_into_cache_version_and_interface() {
        // Hashes may hold `-` themselves.
        assert_eq!(
            split_version("1.0-b-x-Ab-d_-12-345678-9"),
            ("1.0-b-x", "Ab-d_-12-345678-9")
        );
        assert_eq!(
            split_version("v2-aaaaaaaa-bbbbbbbb"),
            ("v2", "aaaaaaaa-bbbbbbbb")
        );
        assert_eq!(split_version("plain"), ("plain", ""));
        assert_eq!(
            split_version("aaaaaaaa-bbbbbbbb"),
            ("aaaaaaaa-bbbbbbbb", "")
        );
    }
}
