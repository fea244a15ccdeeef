//! The two Flyte charts and the tree of keys each one reads.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use flyte_config::NodeRef;

use crate::keys;

/// A Flyte Helm chart whose values this crate knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Chart {
    /// `flyte-binary`: every Flyte service in one deployment; Flyte's config under
    /// `configuration.inline`, the chart's own keys under `configuration.database`,
    /// `configuration.storage`, `configuration.auth`.
    FlyteBinary,
    /// `flyte-core`: one deployment per service; Flyte's config under `configmap.<section>`,
    /// databases under `db`, storage under `storage`.
    FlyteCore,
}

impl Chart {
    /// The chart's name as Helm spells it.
    pub fn name(self) -> &'static str {
        match self {
            Chart::FlyteBinary => "flyte-binary",
            Chart::FlyteCore => "flyte-core",
        }
    }

    /// Guesses the chart from the top-level keys of a values file: keys only flyte-binary reads
    /// (`configuration`, `deployment`, `flyte-core-components`) against keys only flyte-core
    /// reads (`flyteadmin`, `flytepropeller`, `configmap`, `db`, ...). `None` when neither
    /// side has more.
    pub fn guess(root: NodeRef<'_>) -> Option<Chart> {
        const BINARY: &[&str] = &[
            "configuration",
            "deployment",
            "flyte-core-components",
            "clusterResourceTemplates",
            "enabled_plugins",
        ];
        const CORE: &[&str] = &[
            "flyteadmin",
            "flytepropeller",
            "flytescheduler",
            "datacatalog",
            "flyteconsole",
            "configmap",
            "db",
            "cluster_resource_manager",
        ];
        let (mut binary, mut core) = (0, 0);
        for (key, _) in root.entries() {
            let key = key.key_text();
            binary += usize::from(BINARY.contains(&key.as_str()));
            core += usize::from(CORE.contains(&key.as_str()));
        }
        match binary.cmp(&core) {
            std::cmp::Ordering::Greater => Some(Chart::FlyteBinary),
            std::cmp::Ordering::Less => Some(Chart::FlyteCore),
            std::cmp::Ordering::Equal => None,
        }
    }

    /// The chart's key tree.
    pub(crate) fn keys(self) -> KeyTree {
        KeyTree::parse(match self {
            Chart::FlyteBinary => keys::FLYTE_BINARY,
            Chart::FlyteCore => keys::FLYTE_CORE,
        })
    }
}

impl fmt::Display for Chart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A chart name that is neither `flyte-binary` nor `flyte-core`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown chart {0:?}: expected flyte-binary or flyte-core")]
pub struct UnknownChart(pub String);

impl FromStr for Chart {
    type Err = UnknownChart;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "flyte-binary" => Ok(Chart::FlyteBinary),
            "flyte-core" => Ok(Chart::FlyteCore),
            other => Err(UnknownChart(other.to_owned())),
        }
    }
}

/// What the chart knows about one key path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Known {
    /// A key the chart reads; look at its children.
    Key,
    /// A key below which anything goes (labels, resources, Flyte's own config).
    Open,
    /// A key the chart does not read.
    Unknown,
}

/// Every known path (and every prefix of one), with whether it is free-form below.
#[derive(Debug)]
pub(crate) struct KeyTree {
    paths: BTreeMap<String, bool>,
}

impl KeyTree {
    /// The keys of the Flyte config sections that are fully known (`tasks`, `secrets`,
    /// `clusters`); anything else at the top of Flyte's config is open.
    pub(crate) fn flyte_config() -> KeyTree {
        KeyTree::parse(keys::FLYTE_CONFIG)
    }

    fn parse(table: &str) -> KeyTree {
        let mut paths = BTreeMap::new();
        for line in table.lines().filter(|l| !l.is_empty()) {
            let (path, open) = match line.strip_suffix(".*") {
                Some(p) => (p, true),
                None => (line, false),
            };
            let mut prefix = String::new();
            for segment in path.split('.') {
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(segment);
                paths.entry(prefix.clone()).or_insert(false);
            }
            paths.insert(path.to_owned(), open);
        }
        KeyTree { paths }
    }

    /// Whether `path` (its segments) is known; the caller walks down from the root, so every
    /// parent of `path` is already `Known::Key`.
    pub(crate) fn lookup(&self, path: &[String]) -> Known {
        match self.paths.get(&path.join(".")) {
            Some(true) => Known::Open,
            Some(false) => Known::Key,
            None => Known::Unknown,
        }
    }

    /// The names of the known keys directly under the dotted `parent` (`""` for the top).
    pub(crate) fn children<'t>(&'t self, parent: &'t str) -> impl Iterator<Item = String> + 't {
        self.paths.keys().filter_map(move |p| {
            let (p_parent, p_name) = p.rsplit_once('.').unwrap_or(("", p));
            (p_parent == parent).then(|| p_name.to_owned())
        })
    }

    /// Whether the tree lists `name` at its top.
    pub(crate) fn has_root(&self, name: &str) -> bool {
        self.paths.contains_key(name)
    }

    /// The known key closest to the unknown `path`: a sibling within a small edit distance,
    /// else the same name somewhere else in the tree.
    pub(crate) fn suggest(&self, path: &[String]) -> Option<String> {
        let (name, parent) = path.split_last()?;
        let parent = parent.join(".");
        let lowered = name.to_lowercase();
        let best = self
            .children(&parent)
            .map(|n| (distance(&lowered, &n.to_lowercase()), n))
            .min();
        let budget = (name.chars().count() / 3).max(2);
        if let Some((d, n)) = best {
            if d <= budget {
                return Some(if parent.is_empty() {
                    n
                } else {
                    format!("{parent}.{n}")
                });
            }
        }
        self.paths
            .keys()
            .find(|p| p.rsplit('.').next() == Some(name.as_str()))
            .cloned()
    }
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<String> {
        p.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn binary_tree_knows_the_database_keys_and_opens_inline() {
        let tree = Chart::FlyteBinary.keys();
        assert_eq!(
            tree.lookup(&segs("configuration.database.passwordPath")),
            Known::Key
        );
        assert_eq!(tree.lookup(&segs("configuration.inline")), Known::Open);
        assert_eq!(
            tree.lookup(&segs("configuration.database.postgres")),
            Known::Unknown
        );
    }

    #[test]
    fn suggestions_prefer_a_close_sibling_then_the_same_name_elsewhere() {
        let tree = Chart::FlyteCore.keys();
        assert_eq!(
            tree.suggest(&segs("flyteadmin.replicaCont")).as_deref(),
            Some("flyteadmin.replicaCount")
        );
        assert_eq!(
            tree.suggest(&segs("flyteadmin.clusters")).as_deref(),
            Some("configmap.clusters")
        );
        assert_eq!(tree.suggest(&segs("flyteadmin.zzzzzzzzzz")), None);
    }

    #[test]
    fn chart_names_parse_and_print() {
        assert_eq!("flyte-core".parse::<Chart>(), Ok(Chart::FlyteCore));
        assert_eq!(Chart::FlyteBinary.to_string(), "flyte-binary");
        assert!("flyte".parse::<Chart>().is_err());
    }
}
