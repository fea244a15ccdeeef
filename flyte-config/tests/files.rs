//! flytectl's execution spec, project and attribute files.

use std::path::{Path, PathBuf};

use flyte_config::files::{
    AttributeScope, AttributeTarget, BoolValue, ClusterResourceAttributesFile,
    ExecutionClusterLabelFile, ExecutionQueueAttributesFile, KeyValuePair, MatchableResource,
    MissingPluginBehavior, PluginOverridesFile, ProjectState, TaskResourceAttributesFile,
    WorkflowExecutionConfigFile,
};
use flyte_config::{AttributeFile, Error, ExecSpec, ProjectFile, Value};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn exec_spec_for_a_task_keeps_inputs_as_yaml_values() -> TestResult {
    let spec = ExecSpec::from_path(fixture("exec-task.yaml"))?;
    assert_eq!(spec.task, "core.control_flow.merge_sort.merge");
    assert_eq!(spec.workflow, "");
    assert_eq!(spec.version, "v2");
    let inputs = spec.inputs();
    let get = |n: &str| inputs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(
        get("sorted_list1"),
        Some(Value::List(vec![
            Value::Int(0),
            Value::Int(2),
            Value::Int(4)
        ]))
    );
    assert_eq!(get("name"), Some(Value::String("hello".into())));
    assert_eq!(get("ratio"), Some(Value::Float(0.5)));
    assert_eq!(get("flag"), Some(Value::Bool(true)));
    assert_eq!(
        get("nested").and_then(|n| n.get("a").cloned()),
        Some(Value::List(vec![Value::Int(1), Value::Int(2)]))
    );
    assert!(spec.warnings().is_empty());
    Ok(())
}

#[test]
fn exec_spec_for_a_launch_plan_with_every_key() -> TestResult {
    let spec = ExecSpec::from_path(fixture("exec-workflow.yaml"))?;
    assert_eq!(spec.workflow, "core.flyte_basics.lp.go_greet");
    assert_eq!(spec.envs.get("FOO").map(String::as_str), Some("bar"));
    assert_eq!(spec.iam_role_arn, "arn:aws:iam::123:role/x");
    assert_eq!(spec.kube_service_acct, "runner");
    assert_eq!(spec.target_domain, "development");
    assert_eq!(spec.target_project, "flytesnacks");
    assert_eq!(spec.target_execution_cluster, "gpu-cluster");
    Ok(())
}

#[test]
fn exec_specs_round_trip() -> TestResult {
    for name in ["exec-task.yaml", "exec-workflow.yaml"] {
        let spec = ExecSpec::from_path(fixture(name))?;
        let text = spec.to_yaml_string();
        assert_eq!(ExecSpec::from_yaml_str(&text)?, spec, "{name}:\n{text}");
    }
    let mut built = ExecSpec::for_launch_plan("lp", "v1");
    built.inputs = Value::Map(vec![("x".into(), Value::Int(3))]);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("exec.yaml");
    built.write(&path)?;
    let text = std::fs::read_to_string(&path)?;
    assert!(
        !text.contains("task:"),
        "omitempty, as flytectl writes:\n{text}"
    );
    assert_eq!(ExecSpec::from_path(&path)?, built);
    Ok(())
}

#[test]
fn exec_spec_needs_exactly_one_of_task_and_workflow() {
    for text in ["version: v1\n", "task: t\nworkflow: w\nversion: v1\n"] {
        let err = ExecSpec::from_yaml_str(text).expect_err(text);
        assert!(err.to_string().contains("either task or workflow"), "{err}");
    }
    let err = ExecSpec::from_yaml_str("task: t\ninputs: [1, 2]\n").expect_err("list inputs");
    assert!(err.to_string().contains("inputs"), "{err}");
}

#[test]
fn exec_spec_unknown_keys_are_warnings() -> TestResult {
    let spec = ExecSpec::from_yaml_str("task: t\nversion: v1\nfancy: 1\n")?;
    assert_eq!(spec.warnings()[0].key, "fancy");
    Ok(())
}

#[test]
fn project_file() -> TestResult {
    let p = ProjectFile::from_path(fixture("project.yaml"))?;
    assert_eq!(p.id, "ml-team");
    assert_eq!(p.name, "Machine Learning");
    assert_eq!(p.description, "Models and pipelines of the ML team");
    assert_eq!(
        p.labels.values.get("cost-center").map(String::as_str),
        Some("42")
    );
    assert_eq!(p.state, ProjectState::Active);
    assert_eq!(ProjectFile::from_yaml_str(&p.to_yaml_string())?, p);
    let archived = ProjectFile::from_yaml_str("id: x\nstate: 1\n")?;
    assert_eq!(archived.state, ProjectState::Archived);
    let err = ProjectFile::from_yaml_str("id: x\nstate: 9\n").expect_err("bad state");
    assert!(
        err.to_string()
            .contains("2:8: state: expected one of 0 (ACTIVE)"),
        "{err}"
    );
    Ok(())
}

#[test]
fn task_resource_attributes() -> TestResult {
    let f = TaskResourceAttributesFile::from_path(fixture("tra.yaml"))?;
    assert_eq!(f.defaults.cpu, "1");
    assert_eq!(f.defaults.memory, "150Mi");
    assert_eq!(f.limits.cpu, "2");
    assert_eq!(f.limits.memory, "450Mi");
    assert_eq!(
        f.target().scope()?,
        AttributeScope::ProjectDomain {
            project: "flytesnacks".into(),
            domain: "development".into()
        }
    );
    assert_eq!(
        TaskResourceAttributesFile::RESOURCE,
        MatchableResource::TaskResource
    );
    Ok(())
}

#[test]
fn the_other_attribute_files() -> TestResult {
    let cra = ClusterResourceAttributesFile::from_path(fixture("cra.yaml"))?;
    assert_eq!(
        cra.attributes.get("buzz").map(String::as_str),
        Some("lightyear")
    );
    let eqa = ExecutionQueueAttributesFile::from_path(fixture("eqa.yaml"))?;
    assert_eq!(eqa.tags, ["foo", "bar", "buzz", "lightyear"]);
    let ecl = ExecutionClusterLabelFile::from_path(fixture("ecl.yaml"))?;
    assert_eq!(ecl.value, "foo");
    let po = PluginOverridesFile::from_path(fixture("po.yaml"))?;
    assert_eq!(po.overrides.len(), 1);
    assert_eq!(po.overrides[0].task_type, "python_task");
    assert_eq!(
        po.overrides[0].plugin_id,
        ["plugin_override1", "plugin_override2"]
    );
    assert_eq!(
        po.overrides[0].missing_plugin_behavior,
        MissingPluginBehavior::UseDefault
    );
    assert!(matches!(
        po.target().scope()?,
        AttributeScope::Workflow { .. }
    ));
    let wec = WorkflowExecutionConfigFile::from_path(fixture("wec.yaml"))?;
    assert_eq!(wec.max_parallelism, 5);
    assert_eq!(wec.security_context.run_as.k8s_service_account, "demo");
    assert_eq!(
        wec.raw_output_data_config.output_location_prefix,
        "s3://my-bucket/raw"
    );
    assert_eq!(
        wec.labels.values.get("team").map(String::as_str),
        Some("ml")
    );
    assert_eq!(
        wec.annotations.values.get("owner").map(String::as_str),
        Some("alice")
    );
    assert_eq!(wec.interruptible.0, Some(true));
    assert!(wec.overwrite_cache);
    assert_eq!(
        wec.envs.values,
        [
            KeyValuePair::new("FOO", "bar"),
            KeyValuePair::new("BAZ", "qux")
        ]
    );
    Ok(())
}

fn round_trip<T: AttributeFile + PartialEq + std::fmt::Debug>(name: &str) -> TestResult {
    let f = T::from_path(fixture(name))?;
    let text = f.to_yaml_string();
    assert_eq!(T::from_yaml_str(&text)?, f, "{name}:\n{text}");
    Ok(())
}

#[test]
fn attribute_files_round_trip() -> TestResult {
    round_trip::<TaskResourceAttributesFile>("tra.yaml")?;
    round_trip::<ClusterResourceAttributesFile>("cra.yaml")?;
    round_trip::<ExecutionQueueAttributesFile>("eqa.yaml")?;
    round_trip::<ExecutionClusterLabelFile>("ecl.yaml")?;
    round_trip::<PluginOverridesFile>("po.yaml")?;
    round_trip::<WorkflowExecutionConfigFile>("wec.yaml")?;
    let text = PluginOverridesFile::from_path(fixture("po.yaml"))?.to_yaml_string();
    assert!(
        text.contains("missing_plugin_behavior: 1"),
        "enums as numbers, as flytectl writes:\n{text}"
    );
    let text = WorkflowExecutionConfigFile::from_path(fixture("wec.yaml"))?.to_yaml_string();
    assert!(text.contains("interruptible:\n  value: true"), "{text}");
    Ok(())
}

#[test]
fn attribute_files_reject_unknown_keys_with_their_line() {
    let err = TaskResourceAttributesFile::from_yaml_str(
        "project: p\ndomain: d\ndefaults:\n  cpu: \"1\"\n  cpus: \"2\"\n",
    )
    .expect_err("strict");
    assert_eq!(err.to_string(), "5:3: defaults.cpus: unknown key");
    let err = PluginOverridesFile::from_yaml_str(
        "project: p\noverrides:\n  - task_type: t\n    plugin: [x]\n    missing_plugin_behavior: 3\n",
    )
    .expect_err("strict");
    let all: Vec<String> = err.diagnostics().iter().map(ToString::to_string).collect();
    assert_eq!(
        all,
        [
            "4:5: overrides[0].plugin: unknown key",
            "5:30: overrides[0].missing_plugin_behavior: expected one of 0 (FAIL), 1 (USE_DEFAULT), found \"3\""
        ]
    );
}

#[test]
fn attribute_scope_rules() -> TestResult {
    let f = ExecutionClusterLabelFile::from_yaml_str("project: p\nvalue: v\n")?;
    assert_eq!(
        f.target().scope()?,
        AttributeScope::Project {
            project: "p".into()
        }
    );
    let f = ExecutionClusterLabelFile::from_yaml_str("project: p\nworkflow: w\nvalue: v\n")?;
    assert!(matches!(f.target().scope(), Err(Error::Invalid { .. })));
    let f = ExecutionClusterLabelFile::from_yaml_str("value: v\n")?;
    assert!(f.target().scope().is_err());
    Ok(())
}

#[test]
fn a_bare_boolean_for_interruptible_is_accepted() -> TestResult {
    let f = WorkflowExecutionConfigFile::from_yaml_str("project: p\ninterruptible: false\n")?;
    assert_eq!(f.interruptible.0, Some(false));
    Ok(())
}

#[test]
fn attribute_targets_built_in_code_have_flytectls_scopes() -> TestResult {
    assert_eq!(
        AttributeTarget::new("p").scope()?,
        AttributeScope::Project {
            project: "p".into()
        }
    );
    assert_eq!(
        AttributeTarget::new("p").domain("d").scope()?,
        AttributeScope::ProjectDomain {
            project: "p".into(),
            domain: "d".into()
        }
    );
    assert_eq!(
        AttributeTarget::new("p")
            .domain("d")
            .workflow("w")
            .scope()?,
        AttributeScope::Workflow {
            project: "p".into(),
            domain: "d".into(),
            workflow: "w".into()
        }
    );
    assert!(AttributeTarget::new("p").workflow("w").scope().is_err());
    Ok(())
}

#[test]
fn interruptible_built_in_code_is_written_as_flytectl_writes_it() -> TestResult {
    let mut f = WorkflowExecutionConfigFile::default();
    f.target = AttributeTarget::new("p").domain("d");
    f.interruptible = BoolValue::from(false);
    let text = f.to_yaml_string();
    assert!(text.contains("interruptible:\n  value: false"), "{text}");
    let back = WorkflowExecutionConfigFile::from_yaml_str(&text)?;
    assert_eq!(back.interruptible.get(), Some(false));
    assert_eq!(back, f);

    f.interruptible = BoolValue::new(None);
    let text = f.to_yaml_string();
    assert!(
        !text.contains("interruptible"),
        "unset is left out:\n{text}"
    );
    assert_eq!(Option::<bool>::from(f.interruptible), None);
    assert_eq!(BoolValue::from(Some(true)).get(), Some(true));
    Ok(())
}
