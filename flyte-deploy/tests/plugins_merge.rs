//! `tasks.task-plugins` merged with the chart's own `enabled_plugins` as Helm merges values:
//! the model's merge, and the lint findings that follow from it.

use flyte_deploy::model::{FlyteConfig, TaskPluginsConfig, TaskTypeDefaults, TaskTypeDefaultsForm};
use flyte_deploy::{Chart, Rule};

mod common;

use common::{lint, positions, TestResult};

fn task_plugins(text: &str) -> Result<TaskPluginsConfig, Box<dyn std::error::Error>> {
    FlyteConfig::read(text)?
        .tasks
        .and_then(|t| t.task_plugins)
        .ok_or_else(|| "no task-plugins".into())
}

#[test]
fn a_map_merges_key_by_key_and_a_list_replaces() -> TestResult {
    let chart = TaskPluginsConfig::chart_default();
    let mine = task_plugins(
        "tasks:\n  task-plugins:\n    default-for-task-types:\n      container_array: container\n      spark: spark\n",
    )?;
    let merged = mine.merged_over(&chart);
    assert_eq!(
        merged.enabled_plugins, chart.enabled_plugins,
        "the chart's list stays"
    );
    let defaults = merged.default_for_task_types.ok_or("no defaults")?;
    assert_eq!(defaults.form, TaskTypeDefaultsForm::Map);
    assert_eq!(
        defaults.entries,
        TaskTypeDefaults::map([
            ("container", "container"),
            ("sidecar", "sidecar"),
            ("container_array", "container"),
            ("spark", "spark"),
        ])
        .entries
    );

    let list = task_plugins(
        "tasks:\n  task-plugins:\n    enabled-plugins: [container]\n    default-for-task-types:\n      - container: container\n",
    )?;
    let merged = list.merged_over(&chart);
    assert_eq!(
        merged.enabled_plugins.as_deref(),
        Some(&["container".to_owned()][..])
    );
    assert_eq!(merged.default_for_task_types, list.default_for_task_types);
    assert_eq!(merged.defaults_not_enabled().count(), 0);
    Ok(())
}

#[test]
fn enabled_is_trimmed_case_insensitive_and_empty_means_all() -> TestResult {
    let p =
        task_plugins("tasks:\n  task-plugins:\n    enabled-plugins: [' K8S-Array ', container]\n")?;
    assert!(p.is_enabled("k8s-array"));
    assert!(!p.is_enabled("spark"));
    let all = task_plugins("tasks:\n  task-plugins:\n    enabled-plugins: []\n")?;
    assert!(all.is_enabled("spark"));
    let merged = p.merged_over(&TaskPluginsConfig::chart_default());
    let off: Vec<_> = merged.defaults_not_enabled().collect();
    assert_eq!(off, [("sidecar", "sidecar")]);
    Ok(())
}

#[test]
fn a_default_without_an_enabled_list_is_checked_against_the_charts_list() -> TestResult {
    let binary = "enabled_plugins:\n  tasks:\n    task-plugins:\n      default-for-task-types:\n        python-task: spark\n";
    let report = lint(Chart::FlyteBinary, binary)?;
    assert_eq!(positions(&report, Rule::PluginDefaultNotEnabled), [(5, 22)]);
    let message = &report.findings[0].message;
    assert!(
        message.contains(
            "the chart's list applies (container, sidecar, k8s-array, connector-service, echo)"
        ),
        "{message}"
    );

    let core = "configmap:\n  enabled_plugins:\n    tasks:\n      task-plugins:\n        default-for-task-types:\n          container_array: ECHO\n";
    let report = lint(Chart::FlyteCore, core)?;
    assert!(
        report.findings.is_empty(),
        "echo is in the chart's list: {:#?}",
        report.findings
    );
    let report = lint(Chart::FlyteCore, &core.replace("ECHO", "ray"))?;
    assert_eq!(positions(&report, Rule::PluginDefaultNotEnabled), [(6, 28)]);
    Ok(())
}
