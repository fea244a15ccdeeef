//! Rules on keys: unknown keys, known misplacements, `secrets-prefix`, placeholders.

use flyte_config::NodeRef;

use super::{at, placeholders, Context};
use crate::chart::{KeyTree, Known};
use crate::{Chart, Rule, Severity};

/// A key a guide or an old chart puts somewhere the chart ignores, and where it belongs.
struct Misplacement {
    chart: Chart,
    path: &'static str,
    why: &'static str,
}

const MISPLACED: &[Misplacement] = &[
    Misplacement {
        chart: Chart::FlyteBinary,
        path: "configuration.database.postgres",
        why: "`postgres:` is the layout of Flyte's own config file; flyte-binary reads \
              configuration.database.{host, port, dbname, username, password, passwordPath, \
              options} and ignores this block, so Flyte connects to its default database",
    },
    Misplacement {
        chart: Chart::FlyteBinary,
        path: "configuration.storage.type",
        why: "Flyte's own config layout; flyte-binary reads configuration.storage.provider \
              (s3, gcs or azure)",
    },
    Misplacement {
        chart: Chart::FlyteBinary,
        path: "configuration.storage.container",
        why: "Flyte's own config layout; flyte-binary reads configuration.storage.\
              metadataContainer and configuration.storage.userDataContainer",
    },
    Misplacement {
        chart: Chart::FlyteBinary,
        path: "configuration.storage.connection",
        why: "Flyte's own config layout; flyte-binary reads configuration.storage.\
              providerConfig.{s3, gcs, azure}",
    },
    Misplacement {
        chart: Chart::FlyteBinary,
        path: "configuration.storage.stow",
        why: "Flyte's own config layout; flyte-binary reads configuration.storage.\
              providerConfig.{s3, gcs, azure}, or put a stow block under configuration.inline.storage",
    },
    Misplacement {
        chart: Chart::FlyteCore,
        path: "flyteadmin.clusters",
        why: "flyte-core reads remote clusters from configmap.clusters.clusterConfigs (with \
              configmap.clusters.labelClusterMap) and ignores flyteadmin.clusters",
    },
    Misplacement {
        chart: Chart::FlyteCore,
        path: "storage.container",
        why: "Flyte's own config layout; flyte-core reads storage.bucketName",
    },
    Misplacement {
        chart: Chart::FlyteCore,
        path: "storage.connection",
        why: "Flyte's own config layout; flyte-core reads storage.s3 or storage.gcs, or a \
              whole Flyte storage block in storage.custom",
    },
];

pub(super) fn check(cx: &mut Context, root: NodeRef<'_>) {
    let tree = cx.chart.keys();
    let mut path = Vec::new();
    walk_keys(cx, &tree, root, &mut path);
    walk_scalars(cx, root, &mut Vec::new());
    flyte_config_keys(cx, root);
    secrets_prefix(cx, root);
}

/// Unknown keys inside the Flyte config sections this crate knows fully. Flyte (viper) matches
/// keys case-insensitively, so a key that differs only in case is not reported.
fn flyte_config_keys(cx: &mut Context, root: NodeRef<'_>) {
    let tree = KeyTree::flyte_config();
    for (prefix, config) in flyte_config_roots(cx.chart, root) {
        for (key, value) in config.entries() {
            let name = key.key_text().to_lowercase();
            if !tree.has_root(&name) {
                continue;
            }
            let mut path = vec![name];
            walk_flyte_keys(cx, &tree, &prefix, value, &mut path);
        }
    }
    // flyte-core writes configmap.clusters under a `clusters:` key of its own file.
    if let Some(clusters) = at(root, "configmap.clusters").filter(|_| cx.chart == Chart::FlyteCore)
    {
        walk_flyte_keys(
            cx,
            &tree,
            "configmap",
            clusters,
            &mut vec!["clusters".to_owned()],
        );
    }
}

fn walk_flyte_keys(
    cx: &mut Context,
    tree: &KeyTree,
    prefix: &str,
    node: NodeRef<'_>,
    path: &mut Vec<String>,
) {
    for (key, value) in node.entries() {
        let written = key.key_text();
        let known = tree.lookup(&[path.as_slice(), std::slice::from_ref(&written)].concat());
        let name = if known == Known::Unknown {
            // Try the spelling Flyte would accept, case aside.
            let parent = path.join(".");
            let exact = tree
                .children(&parent)
                .find(|k| k.eq_ignore_ascii_case(&written));
            exact.unwrap_or(written)
        } else {
            written
        };
        path.push(name);
        match tree.lookup(path) {
            Known::Open => {}
            Known::Key => walk_flyte_keys(cx, tree, prefix, value, path),
            Known::Unknown => {
                let shown = format!("{prefix}.{}", path.join("."));
                let what = "Flyte's config has no such key, so Flyte ignores it";
                unknown_key(cx, tree, path, &shown, key, what);
            }
        }
        path.pop();
    }
}

/// Where each chart keeps Flyte's own config files: flyte-binary's `configuration.inline`,
/// each of flyte-core's `configmap.<section>` but `clusters` (the chart nests that one itself).
fn flyte_config_roots(chart: Chart, root: NodeRef<'_>) -> Vec<(String, NodeRef<'_>)> {
    match chart {
        Chart::FlyteBinary => at(root, "configuration.inline")
            .map(|n| ("configuration.inline".to_owned(), n))
            .into_iter()
            .collect(),
        Chart::FlyteCore => at(root, "configmap")
            .into_iter()
            .flat_map(|c| c.entries())
            .filter(|(k, _)| k.key_text() != "clusters")
            .map(|(k, v)| (format!("configmap.{}", k.key_text()), v))
            .collect(),
    }
}

fn walk_keys(cx: &mut Context, tree: &KeyTree, node: NodeRef<'_>, path: &mut Vec<String>) {
    for (key, value) in node.entries() {
        path.push(key.key_text());
        let dotted = path.join(".");
        if let Some(m) = MISPLACED
            .iter()
            .find(|m| m.chart == cx.chart && m.path == dotted)
        {
            cx.push(
                Rule::MisplacedKey,
                Severity::Error,
                &dotted,
                key,
                m.why.to_owned(),
            );
        } else {
            match tree.lookup(path) {
                Known::Open => {}
                Known::Key => walk_keys(cx, tree, value, path),
                Known::Unknown => {
                    let what = format!("{} does not read this key", cx.chart);
                    unknown_key(cx, tree, path, &dotted, key, &what);
                }
            }
        }
        path.pop();
    }
}

/// Reports the unknown key at `path` (shown as `shown`) with the closest known key.
fn unknown_key(
    cx: &mut Context,
    tree: &KeyTree,
    path: &[String],
    shown: &str,
    key: NodeRef<'_>,
    what: &str,
) {
    let hint = tree
        .suggest(path)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    cx.push(
        Rule::UnknownKey,
        Severity::Warning,
        shown,
        key,
        format!("{what}{hint}"),
    );
}

/// Every scalar, keys included, in open sections and lists too: a placeholder is wrong anywhere.
fn walk_scalars(cx: &mut Context, node: NodeRef<'_>, path: &mut Vec<String>) {
    if let Some(text) = node.as_scalar() {
        for name in placeholders(text) {
            cx.push(
                Rule::Placeholder,
                Severity::Error,
                &path.join("."),
                node,
                format!("{name} is a starter-file placeholder; replace it with a real value"),
            );
        }
        return;
    }
    for (i, item) in node.items().enumerate() {
        path.push(i.to_string());
        walk_scalars(cx, item, path);
        path.pop();
    }
    for (key, value) in node.entries() {
        path.push(key.key_text());
        walk_scalars(cx, key, path);
        walk_scalars(cx, value, path);
        path.pop();
    }
}

/// `secrets-prefix` wherever Flyte's config lives in the chart.
fn secrets_prefix(cx: &mut Context, root: NodeRef<'_>) {
    for (prefix, section) in flyte_config_roots(cx.chart, root) {
        let Some(value) = at(section, "secrets.secrets-prefix") else {
            continue;
        };
        let text = value.as_scalar().unwrap_or_default();
        if !text.starts_with('/') {
            cx.push(
                Rule::SecretsPrefixNotAPath,
                Severity::Error,
                &format!("{prefix}.secrets.secrets-prefix"),
                value,
                format!(
                    "secrets-prefix is the path under which flytepropeller's secret manager \
                     looks for mounted secret files (default /etc/secrets), not a prefix of \
                     Kubernetes secret names; {text:?} is not a path"
                ),
            );
        }
    }
}
