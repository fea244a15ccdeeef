//! The execution spec file (`--execFile`).

use std::collections::BTreeMap;
use std::path::Path;

use super::codec::{decode_file, decode_str, write_file};
use crate::error::{Diagnostic, Result};
use crate::fields::{Encoder, Section, Visitor};
use crate::value::Value;
use crate::{yaml, Error};

/// Drops keys whose value is empty (Go's `omitempty`).
fn omit_empty(value: Value, keys: &[&str]) -> Value {
    match value {
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .filter(|(k, v)| {
                    !keys.contains(&k.as_str())
                        || !matches!(v, Value::Null)
                            && v != &Value::String(String::new())
                            && v != &Value::Map(Vec::new())
                            && v != &Value::List(Vec::new())
                })
                .collect(),
        ),
        other => other,
    }
}

/// An execution spec file, as `flytectl get task|launchplan --execFile` writes it and
/// `flytectl create execution --execFile` reads it.
///
/// Exactly one of `task` and `workflow` (a launch plan name) is set. Inputs stay untyped YAML
/// here; the admin client converts them with the entity's interface.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ExecSpec {
    /// `task`: the task to launch.
    pub task: String,
    /// `workflow`: the launch plan to launch (flytectl calls it workflow).
    pub workflow: String,
    /// `version`: the entity's version.
    pub version: String,
    /// `inputs`: input name to YAML value.
    pub inputs: Value,
    /// `envs`: environment variables for the execution.
    pub envs: BTreeMap<String, String>,
    /// `kubeServiceAcct`: Kubernetes service account to run as.
    pub kube_service_acct: String,
    /// `iamRoleARN`: IAM role to run as.
    pub iam_role_arn: String,
    /// `targetProject`: project to run in (default: the entity's).
    pub target_project: String,
    /// `targetDomain`: domain to run in.
    pub target_domain: String,
    /// `targetExecutionCluster`: execution cluster label.
    pub target_execution_cluster: String,
    /// `clusterPool`: cluster pool assignment.
    pub cluster_pool: String,
    /// `overwriteCache`: re-run cached tasks.
    pub overwrite_cache: bool,
    warnings: Vec<Diagnostic>,
}

impl Section for ExecSpec {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("envs", &mut self.envs);
        v.field("iamRoleARN", &mut self.iam_role_arn);
        v.field("inputs", &mut self.inputs);
        v.field("kubeServiceAcct", &mut self.kube_service_acct);
        v.field("targetDomain", &mut self.target_domain);
        v.field("targetExecutionCluster", &mut self.target_execution_cluster);
        v.field("targetProject", &mut self.target_project);
        v.field("task", &mut self.task);
        v.field("version", &mut self.version);
        v.field("workflow", &mut self.workflow);
        v.field("clusterPool", &mut self.cluster_pool);
        v.field("overwriteCache", &mut self.overwrite_cache);
    }
}

impl ExecSpec {
    /// A spec launching the task `name` at `version`.
    pub fn for_task(name: impl Into<String>, version: impl Into<String>) -> Self {
        ExecSpec {
            task: name.into(),
            version: version.into(),
            inputs: Value::Map(Vec::new()),
            ..ExecSpec::default()
        }
    }

    /// A spec launching the launch plan `name` at `version`.
    pub fn for_launch_plan(name: impl Into<String>, version: impl Into<String>) -> Self {
        ExecSpec {
            workflow: name.into(),
            version: version.into(),
            inputs: Value::Map(Vec::new()),
            ..ExecSpec::default()
        }
    }

    /// Parses a spec. Unknown keys are warnings, as flytectl ignores them.
    ///
    /// # Errors
    /// Syntax and type errors, inputs that are not a mapping, and a spec naming neither or
    /// both of `task` and `workflow`.
    pub fn from_yaml_str(text: &str) -> Result<Self> {
        Self::finish(decode_str(text, None, false)?, None)
    }

    /// Reads a spec file; see [`ExecSpec::from_yaml_str`].
    ///
    /// # Errors
    /// As [`ExecSpec::from_yaml_str`], and I/O errors.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::finish(decode_file(path, false)?, Some(path))
    }

    fn finish(
        (mut spec, warnings): (ExecSpec, Vec<Diagnostic>),
        file: Option<&Path>,
    ) -> Result<Self> {
        let mut problems = Vec::new();
        if !matches!(spec.inputs, Value::Map(_) | Value::Null) {
            problems.push(Diagnostic::error(
                "inputs",
                "expected a mapping of input names to values",
            ));
        }
        if spec.task.is_empty() == spec.workflow.is_empty() {
            problems.push(Diagnostic::error(
                "",
                "either task or workflow must be set to launch an execution, and not both",
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid {
                diagnostics: problems.into_iter().map(|d| d.in_file(file)).collect(),
            });
        }
        if spec.inputs == Value::Null {
            spec.inputs = Value::Map(Vec::new());
        }
        spec.warnings = warnings;
        Ok(spec)
    }

    /// Unknown keys and other problems that did not stop parsing.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The inputs as name and value pairs.
    pub fn inputs(&self) -> &[(String, Value)] {
        match &self.inputs {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The spec as flytectl writes it (keys sorted, empty `task`/`workflow` left out).
    pub fn to_yaml_string(&self) -> String {
        let value = Encoder::encode(&mut self.clone(), false);
        yaml::emit(&omit_empty(value, &["task", "workflow", "clusterPool"]))
    }

    /// Writes the spec to `path`.
    ///
    /// # Errors
    /// I/O errors.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), &self.to_yaml_string())
    }
}
