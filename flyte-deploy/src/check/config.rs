//! Flyte's effective config: several YAML files merged as Flyte's config loader merges them,
//! with every value still knowing the file, line and column it came from.
//!
//! The facts (flytestdlib/config at Flyte v1.16.8): a service started with
//! `--config DIR/*.yaml` reads the files the glob matches, in the order Go's `filepath.Glob`
//! returns them (sorted byte-wise), and merges them one after the other with viper's
//! `MergeConfig` (`flytestdlib/config/viper/collection.go`, `MergeAllConfigs`). viper's merge
//! matches keys case-insensitively and keeps the spelling of the first file, merges a mapping
//! into a mapping key by key, lets a later scalar or list replace an earlier one whole, and
//! skips (with an error in the log) a later value whose YAML type differs from the earlier one.

use std::collections::HashMap;
use std::fmt::Write as _;

use flyte_config::{Document, NodeRef, Value};

use crate::lint::Error;

/// Where a value of the effective config was written: which file, which line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) file: usize,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// The origin of each node of an emitted document, by its (line, column) there.
pub(crate) type Positions = HashMap<(usize, usize), Origin>;

/// The YAML type viper compares before merging a value over another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Null,
    Bool,
    Int,
    Float,
    String,
    List,
    Map,
}

#[derive(Debug, Clone)]
enum Tree {
    Scalar {
        value: Value,
        text: String,
        at: Origin,
    },
    List {
        items: Vec<Tree>,
        at: Origin,
    },
    Map {
        entries: Vec<Entry>,
        at: Origin,
    },
}

#[derive(Debug, Clone)]
struct Entry {
    key: String,
    key_at: Origin,
    value: Tree,
}

impl Tree {
    fn read(node: NodeRef<'_>, file: usize) -> Tree {
        let at = Origin {
            file,
            line: node.line(),
            column: node.column(),
        };
        if node.is_map() {
            let mut entries: Vec<Entry> = Vec::new();
            for (k, v) in node.entries() {
                let entry = Entry {
                    key: k.key_text(),
                    key_at: Origin {
                        file,
                        line: k.line(),
                        column: k.column(),
                    },
                    value: Tree::read(v, file),
                };
                // A key written twice: YAML loaders keep the last.
                match entries.iter_mut().find(|e| e.key == entry.key) {
                    Some(old) => *old = entry,
                    None => entries.push(entry),
                }
            }
            return Tree::Map { entries, at };
        }
        if let Some(text) = node.as_scalar() {
            return Tree::Scalar {
                value: node.to_value(),
                text: text.to_owned(),
                at,
            };
        }
        let items: Vec<Tree> = node.items().map(|i| Tree::read(i, file)).collect();
        if items.is_empty() && node.is_null() {
            return Tree::Scalar {
                value: Value::Null,
                text: String::new(),
                at,
            };
        }
        Tree::List { items, at }
    }

    fn kind(&self) -> Type {
        match self {
            Tree::Map { .. } => Type::Map,
            Tree::List { .. } => Type::List,
            Tree::Scalar { value, .. } => match value {
                Value::Bool(_) => Type::Bool,
                Value::Int(_) => Type::Int,
                Value::Float(_) => Type::Float,
                Value::String(_) => Type::String,
                Value::List(_) => Type::List,
                Value::Map(_) => Type::Map,
                _ => Type::Null,
            },
        }
    }

    /// viper's merge of `later` over `self`.
    fn merge(&mut self, later: Tree) {
        let Tree::Map { entries, .. } = self else {
            return;
        };
        let Tree::Map {
            entries: later_entries,
            ..
        } = later
        else {
            return;
        };
        for entry in later_entries {
            let existing = entries
                .iter_mut()
                .find(|e| e.key.eq_ignore_ascii_case(&entry.key));
            match existing {
                None => entries.push(entry),
                Some(old) if old.value.kind() != entry.value.kind() => {}
                Some(old) if old.value.kind() == Type::Map => old.value.merge(entry.value),
                // The value in force was written by the later file: point there.
                Some(old) => {
                    old.key_at = entry.key_at;
                    old.value = entry.value;
                }
            }
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Tree::Scalar { value, .. } => value.clone(),
            Tree::List { items, .. } => Value::List(items.iter().map(Tree::to_value).collect()),
            Tree::Map { entries, .. } => Value::Map(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_value()))
                    .collect(),
            ),
        }
    }

    /// Writes the tree as block YAML at `indent`, after a key (`inline`) or a list dash.
    fn emit(&self, out: &mut String, indent: usize) {
        match self {
            Tree::Scalar { value, text, .. } => {
                out.push(' ');
                match value {
                    Value::String(s) => quote(out, s),
                    Value::Null => out.push_str("null"),
                    _ => out.push_str(text),
                }
                out.push('\n');
            }
            Tree::List { items, .. } if items.is_empty() => out.push_str(" []\n"),
            Tree::Map { entries, .. } if entries.is_empty() => out.push_str(" {}\n"),
            Tree::List { items, .. } => {
                out.push('\n');
                for item in items {
                    let _ = write!(out, "{:indent$}-", "");
                    item.emit(out, indent + 2);
                }
            }
            Tree::Map { entries, .. } => {
                out.push('\n');
                for e in entries {
                    let _ = write!(out, "{:indent$}", "");
                    quote(out, &e.key);
                    out.push(':');
                    e.value.emit(out, indent + 2);
                }
            }
        }
    }

    /// Records where each node of `node` (the emitted copy of this tree) came from.
    fn map_positions(&self, node: NodeRef<'_>, into: &mut Positions) {
        let at = match self {
            Tree::Scalar { at, .. } | Tree::List { at, .. } | Tree::Map { at, .. } => *at,
        };
        into.insert((node.line(), node.column()), at);
        match self {
            Tree::Scalar { .. } => {}
            Tree::List { items, .. } => {
                for (tree, node) in items.iter().zip(node.items()) {
                    tree.map_positions(node, into);
                }
            }
            Tree::Map { entries, .. } => {
                for (entry, (k, v)) in entries.iter().zip(node.entries()) {
                    into.insert((k.line(), k.column()), entry.key_at);
                    entry.value.map_positions(v, into);
                }
            }
        }
    }
}

/// A YAML double-quoted scalar (JSON's escapes, which YAML shares).
fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Flyte's config as a service sees it after merging its files, each value remembering the file,
/// line and column it came from.
///
/// Merge the files in the order the service reads them ([`MergedConfig::merge`]), then lint the
/// result with [`Linter::lint_flyte_config`](crate::Linter::lint_flyte_config).
///
/// ```
/// use flyte_deploy::MergedConfig;
///
/// let mut config = MergedConfig::new();
/// config.merge("000-core.yaml", "storage:\n  type: stow\n  container: a\n")?;
/// config.merge("100-inline-config.yaml", "Storage:\n  container: b\n")?;
/// assert_eq!(config.to_yaml(), "\"storage\":\n  \"type\": \"stow\"\n  \"container\": \"b\"\n");
/// # Ok::<(), flyte_deploy::LintError>(())
/// ```
#[derive(Clone, Default)]
pub struct MergedConfig {
    files: Vec<String>,
    tree: Option<Tree>,
}

/// The file names only: the values come from ConfigMaps that may hold passwords, keys and
/// client secrets ([`MergedConfig::to_yaml`] writes them out on purpose).
impl std::fmt::Debug for MergedConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MergedConfig")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl MergedConfig {
    /// An empty config: no files.
    pub fn new() -> MergedConfig {
        MergedConfig::default()
    }

    /// Merges one more file over what is merged so far, as Flyte's loader does (see the module
    /// facts). `name` is how findings name the file. An empty file merges nothing.
    ///
    /// # Errors
    /// [`Error::Yaml`] when `text` is not YAML, [`Error::NotAMapping`] when its top is not a
    /// mapping (Flyte refuses to start then); nothing is merged.
    pub fn merge(&mut self, name: impl Into<String>, text: &str) -> Result<(), Error> {
        let doc = Document::parse(text).map_err(Error::Yaml)?;
        let file = self.files.len();
        let tree = match doc.root().filter(|r| !r.is_null()) {
            Some(root) if !root.is_map() => {
                return Err(Error::NotAMapping {
                    line: root.line(),
                    column: root.column(),
                })
            }
            Some(root) => Some(Tree::read(root, file)),
            None => None,
        };
        self.files.push(name.into());
        match (&mut self.tree, tree) {
            (Some(merged), Some(tree)) => merged.merge(tree),
            (slot @ None, tree) => *slot = tree,
            (Some(_), None) => {}
        }
        Ok(())
    }

    /// The files merged so far, in order; findings name them by their index here.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The effective config as YAML (keys and strings quoted), for reading or diffing.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        if let Some(Tree::Map { entries, .. }) = &self.tree {
            for e in entries {
                quote(&mut out, &e.key);
                out.push(':');
                e.value.emit(&mut out, 2);
            }
        }
        out
    }

    /// The effective config as an untyped value (`Value::Null` when no file had anything).
    pub fn value(&self) -> Value {
        self.tree.as_ref().map(Tree::to_value).unwrap_or_default()
    }

    /// Where the value at a dotted path (keys compared case-insensitively, as viper does) was
    /// written: its key's origin.
    pub(crate) fn origin(&self, path: &str) -> Option<Origin> {
        let mut here = self.tree.as_ref()?;
        let mut found = None;
        for segment in path.split('.') {
            let Tree::Map { entries, .. } = here else {
                return None;
            };
            let entry = entries
                .iter()
                .find(|e| e.key.eq_ignore_ascii_case(segment))?;
            found = Some(entry.key_at);
            here = &entry.value;
        }
        found
    }

    /// The config as the YAML document `head` continues (`head` ends with the key the config
    /// goes under, `path` names that key from the top, `indent` is the config's indentation),
    /// and the origin of each node of the config by its (line, column) in that document.
    pub(crate) fn wrapped(
        &self,
        head: &str,
        indent: usize,
        path: &[&str],
    ) -> Result<(String, Positions), Error> {
        let mut text = head.trim_end_matches('\n').to_owned();
        match &self.tree {
            Some(tree) => tree.emit(&mut text, indent),
            None => text.push_str(" {}\n"),
        }
        let mut positions = HashMap::new();
        if let Some(tree) = &self.tree {
            let doc = Document::parse(&text).map_err(Error::Yaml)?;
            let mut node = doc.root();
            for key in path {
                node = node.and_then(|n| n.get(key));
            }
            if let Some(node) = node {
                tree.map_positions(node, &mut positions);
            }
        }
        Ok((text, positions))
    }
}

/// A finding of [`Linter::lint_flyte_config`](crate::Linter::lint_flyte_config): the file of
/// the [`MergedConfig`] it is in, and the finding with the line and column in that file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigFinding {
    /// The file's index in [`MergedConfig::files`].
    pub file: usize,
    /// The finding; `path` is the dotted path in Flyte's config (`tasks.task-plugins`).
    pub finding: crate::Finding,
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn later_files_merge_maps_replace_lists_and_skip_other_types() -> TestResult {
        let mut config = MergedConfig::new();
        config.merge(
            "a.yaml",
            "tasks:\n  task-plugins:\n    enabled-plugins: [container, sidecar]\ndatabase:\n  port: 5432\n",
        )?;
        config.merge(
            "b.yaml",
            "Tasks:\n  task-plugins:\n    enabled-plugins: [ray]\n    default-for-task-types: {ray: ray}\ndatabase:\n  port: \"6543\"\n",
        )?;
        let value = config.value();
        let plugins = value
            .get("tasks")
            .and_then(|t| t.get("task-plugins"))
            .ok_or("no task-plugins")?;
        assert_eq!(
            plugins.get("enabled-plugins"),
            Some(&Value::List(vec!["ray".into()]))
        );
        assert!(plugins.get("default-for-task-types").is_some());
        // A string over an int is skipped by viper: the first file's port stays.
        assert_eq!(
            value.get("database").and_then(|d| d.get("port")),
            Some(&Value::Int(5432))
        );
        let origin = config
            .origin("TASKS.task-plugins.enabled-plugins")
            .ok_or("no origin")?;
        assert_eq!((origin.file, origin.line, origin.column), (1, 3, 5));
        Ok(())
    }

    #[test]
    fn the_wrapped_document_maps_every_node_back_to_its_file() -> TestResult {
        let mut config = MergedConfig::new();
        config.merge("a.yaml", "x:\n  y: 1\n")?;
        config.merge("b.yaml", "x:\n  z: \"q\\n\"\n  w:\n  - 1\n")?;
        let (text, positions) = config.wrapped(
            "configuration:\n  inline:\n",
            4,
            &["configuration", "inline"],
        )?;
        let doc = Document::parse(&text)?;
        let z = doc
            .root()
            .and_then(|r| r.get("configuration"))
            .and_then(|c| c.get("inline"))
            .and_then(|i| i.get("x"))
            .and_then(|x| x.get("z"))
            .ok_or("no z")?;
        assert_eq!(z.as_scalar(), Some("q\n"));
        let origin = positions
            .get(&(z.line(), z.column()))
            .ok_or("z not mapped")?;
        assert_eq!((origin.file, origin.line, origin.column), (1, 2, 6));
        Ok(())
    }

    #[test]
    fn a_file_that_is_not_a_mapping_is_refused_and_not_merged() {
        let mut config = MergedConfig::new();
        assert!(matches!(
            config.merge("a.yaml", "- 1\n"),
            Err(Error::NotAMapping { line: 1, column: 1 })
        ));
        assert!(config.files().is_empty());
    }
}
