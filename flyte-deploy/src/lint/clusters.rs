//! Multi-cluster rules on flyteadmin's `clusters` config: flyte-core's `configmap.clusters`,
//! flyte-binary's `configuration.inline.clusters`.

use std::collections::HashSet;

use flyte_config::{NodeRef, Value};

use super::{at, entry, is_true, text, Context};
use crate::{Chart, Rule, Severity};

pub(super) fn check(cx: &mut Context, root: NodeRef<'_>) {
    let base = match cx.chart {
        Chart::FlyteBinary => "configuration.inline.clusters",
        Chart::FlyteCore => "configmap.clusters",
    };
    let Some(clusters) = at(root, base) else {
        return;
    };
    let mut names = HashSet::new();
    for item in at(clusters, "clusterConfigs")
        .into_iter()
        .flat_map(NodeRef::items)
    {
        let name = text(item, "name").unwrap_or_default().to_owned();
        let path = format!("{base}.clusterConfigs[{name}]");
        if let Some((_, node)) = entry(item, "name") {
            if !names.insert(name.clone()) {
                cx.push(
                    Rule::ClusterDuplicateName,
                    Severity::Error,
                    &path,
                    node,
                    format!("a second cluster named {name:?}; names must be unique"),
                );
            }
        }
        if let Some((_, endpoint)) = entry(item, "endpoint").filter(|_| !is_true(item, "inCluster"))
        {
            let url = endpoint.as_scalar().unwrap_or_default();
            if !url.starts_with("https://") {
                cx.push(
                    Rule::ClusterEndpointNotHttps,
                    Severity::Error,
                    &format!("{path}.endpoint"),
                    endpoint,
                    format!("{url:?} is not an https URL of the cluster's API server"),
                );
            }
        }
        if let Some((key, _)) = entry(item, "auth") {
            let missing: Vec<&str> = ["tokenPath", "certPath"]
                .into_iter()
                .filter(|k| text(item, &format!("auth.{k}")).is_none())
                .collect();
            if !missing.is_empty() {
                cx.push(
                    Rule::ClusterAuthIncomplete,
                    Severity::Error,
                    &format!("{path}.auth"),
                    key,
                    format!(
                        "flyteadmin authenticates to a remote cluster with the token file at \
                         tokenPath and the CA file at certPath; {} not set",
                        missing.join(" and ")
                    ),
                );
            }
        }
    }
    for (label, entities) in at(clusters, "labelClusterMap")
        .into_iter()
        .flat_map(NodeRef::entries)
    {
        let label = label.key_text();
        for entity in entities.items() {
            if let Some((_, id)) = entry(entity, "id") {
                let id_text = id.as_scalar().unwrap_or_default();
                if !names.contains(id_text) {
                    cx.push(
                        Rule::ClusterLabelUnknown,
                        Severity::Error,
                        &format!("{base}.labelClusterMap.{label}"),
                        id,
                        format!("cluster {id_text:?} is not in {base}.clusterConfigs"),
                    );
                }
            }
            if let Some((_, weight)) = entry(entity, "weight") {
                let positive = match weight.to_value() {
                    Value::Int(w) => w > 0,
                    Value::Float(w) => w > 0.0,
                    _ => false,
                };
                if !positive {
                    cx.push(
                        Rule::ClusterWeightNotPositive,
                        Severity::Error,
                        &format!("{base}.labelClusterMap.{label}"),
                        weight,
                        format!("weight {} must be a number above 0", weight.to_value()),
                    );
                }
            }
        }
    }
}
