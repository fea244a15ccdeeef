//! Task plugin rules: `tasks.task-plugins` as propeller reads it.

use flyte_config::NodeRef;

use super::{at, entry, is_true, text, Context};
use crate::model::{read_node, TaskPluginsConfig};
use crate::values::TaskPlugins;
use crate::{Chart, Rule, Severity};

/// The connector plugin's names: `connector-service`, and `agent-service` before Flyte 1.14.
const CONNECTOR_PLUGINS: &[&str] = &["connector-service", "agent-service"];

/// flyte-core's operator toggles for the plugins that need an operator the chart installs.
const OPERATORS: &[(&str, &str)] = &[
    ("spark", "sparkoperator.enabled"),
    ("dask", "daskoperator.enabled"),
    ("databricks", "databricks.enabled"),
];

pub(super) fn check(cx: &mut Context, root: NodeRef<'_>) {
    let places: &[&str] = match cx.chart {
        Chart::FlyteBinary => &[
            "enabled_plugins.tasks.task-plugins",
            "configuration.inline.tasks.task-plugins",
        ],
        Chart::FlyteCore => &["configmap.enabled_plugins.tasks.task-plugins"],
    };
    for place in places {
        let Some(block) = at(root, place) else {
            continue;
        };
        let plugins = TaskPlugins::read(block);
        check_block(cx, root, place, block, &plugins);
        if !place.starts_with("configuration.inline") {
            chart_defaults(cx, place, block, &plugins);
        }
    }
}

fn check_block(
    cx: &mut Context,
    root: NodeRef<'_>,
    place: &str,
    block: NodeRef<'_>,
    plugins: &TaskPlugins<'_>,
) {
    // Propeller treats an empty list as "every plugin enabled", so nothing below applies.
    if plugins.enabled.is_empty() {
        return;
    }
    for default in &plugins.defaults {
        if !plugins.is_enabled(&default.plugin) {
            cx.push(
                Rule::PluginDefaultNotEnabled,
                Severity::Error,
                &format!("{place}.default-for-task-types.{}", default.task_type),
                default.node,
                format!(
                    "task type {:?} defaults to plugin {:?}, which is not in enabled-plugins; \
                     flytepropeller refuses to start",
                    default.task_type, default.plugin
                ),
            );
        }
    }
    let Some((list_key, _)) = entry(block, "enabled-plugins") else {
        return;
    };
    let list_path = format!("{place}.enabled-plugins");
    if !plugins.is_enabled("container") {
        cx.push(
            Rule::PluginContainerNotEnabled,
            Severity::Error,
            &list_path,
            list_key,
            "`container` is not enabled; plain Python tasks will not run".to_owned(),
        );
    }
    if let Some(name) = CONNECTOR_PLUGINS.iter().find(|n| plugins.is_enabled(n)) {
        if !has_connector_endpoint(cx.chart, root) {
            cx.push(
                Rule::PluginConnectorWithoutEndpoint,
                Severity::Warning,
                &list_path,
                list_key,
                format!(
                    "{name} is enabled but no connector endpoint is configured; tasks for \
                     connectors will fail"
                ),
            );
        }
    }
    if cx.chart == Chart::FlyteCore {
        for (plugin, toggle) in OPERATORS {
            if plugins.is_enabled(plugin) && !is_true(root, toggle) {
                cx.push(
                    Rule::PluginOperatorOff,
                    Severity::Error,
                    &list_path,
                    list_key,
                    format!(
                        "plugin {plugin} is enabled but {toggle} is not true: the chart neither \
                         installs its operator nor renders its plugin config"
                    ),
                );
            }
        }
    }
}

/// What Helm hands propeller when it merges this block over the chart's own `enabled_plugins`
/// ([`TaskPluginsConfig::merged_over`]): the chart's task types stay mapped unless the file
/// remaps them (or writes the list form), and the chart's `enabled-plugins` stays unless the
/// file writes its own. The file's own mappings against its own list are `check_block`'s.
fn chart_defaults(cx: &mut Context, place: &str, block: NodeRef<'_>, plugins: &TaskPlugins<'_>) {
    // A block of the wrong shape is reported by the key rules; nothing to merge.
    let Ok(mine) = read_node::<TaskPluginsConfig>(block) else {
        return;
    };
    let chart = TaskPluginsConfig::chart_default();
    let merged = mine.merged_over(&chart);
    let own_list = mine.enabled_plugins.is_some();
    for (task_type, plugin) in merged.defaults_not_enabled() {
        let own = plugins
            .defaults
            .iter()
            .rev()
            .find(|d| d.task_type == task_type);
        match (own, own_list) {
            (Some(_), true) => {}
            (Some(default), false) => {
                cx.push(
                    Rule::PluginDefaultNotEnabled,
                    Severity::Error,
                    &format!("{place}.default-for-task-types.{task_type}"),
                    default.node,
                    format!(
                    "task type {task_type:?} defaults to plugin {plugin:?}, but this file sets no \
                     enabled-plugins, so the chart's list applies ({}) and it is not in it; \
                     flytepropeller refuses to start: add enabled-plugins with {plugin:?}",
                    chart.enabled_plugins.as_deref().unwrap_or_default().join(", ")
                ),
                )
            }
            (None, _) => {
                if let Some((list_key, _)) = entry(block, "enabled-plugins") {
                    cx.push(
                        Rule::PluginDefaultNotEnabled,
                        Severity::Error,
                        &format!("{place}.enabled-plugins"),
                        list_key,
                        format!(
                            "the chart's own default-for-task-types maps {task_type:?} to \
                             {plugin:?} (Helm merges it with this file), but {plugin:?} is not \
                             in enabled-plugins; flytepropeller refuses to start: enable it or \
                             map {task_type} yourself"
                        ),
                    );
                }
            }
        }
    }
}

/// Whether a connector endpoint reaches flytepropeller's config.
fn has_connector_endpoint(chart: Chart, root: NodeRef<'_>) -> bool {
    let inline = |prefix: &str| {
        [
            "plugins.connector-service.defaultConnector.endpoint",
            "plugins.agent-service.defaultAgent.endpoint",
        ]
        .iter()
        .any(|p| text(root, &format!("{prefix}{p}")).is_some())
    };
    match chart {
        // The chart's default endpoint (k8s://flyteconnector.flyte:8000) stays unless emptied.
        Chart::FlyteBinary => {
            let set = entry(
                root,
                "configuration.connectorService.defaultConnector.endpoint",
            )
            .is_none_or(|_| {
                text(
                    root,
                    "configuration.connectorService.defaultConnector.endpoint",
                )
                .is_some()
            });
            set || inline("configuration.inline.")
        }
        // flyte-core renders flyteconnector.plugin_config only when flyteconnector.enabled.
        // Any configmap section becomes a file propeller reads, so any may hold the endpoint.
        Chart::FlyteCore => {
            is_true(root, "flyteconnector.enabled")
                || at(root, "configmap").is_some_and(|c| {
                    c.entries()
                        .any(|(k, _)| inline(&format!("configmap.{}.", k.key_text())))
                })
        }
    }
}
