//! flytectl's other YAML files: the execution spec (`--execFile`), the project file
//! (`create project --file`) and the six matchable-attribute files (`--attrFile`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Diagnostic, Result};
use crate::fields::{int_enum_field, prune, DecodeCx, Encoder, IntEnum, Section, Visitor};
use crate::value::Value;
use crate::{yaml, Error};

/// Reads `path` and decodes it into `T`. `strict` makes unknown keys errors.
fn decode_file<T: Section + Default>(path: &Path, strict: bool) -> Result<(T, Vec<Diagnostic>)> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    decode_str(&text, Some(path), strict)
}

fn decode_str<T: Section + Default>(
    text: &str,
    file: Option<&Path>,
    strict: bool,
) -> Result<(T, Vec<Diagnostic>)> {
    let root = yaml::parse(text).map_err(|e| Error::syntax(file, e))?;
    let mut target = T::default();
    let mut cx = DecodeCx::new(file, strict);
    cx.decode_root(root.as_ref(), &mut target);
    if cx.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Error::Invalid {
            diagnostics: cx.diagnostics,
        });
    }
    Ok((target, cx.diagnostics))
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| Error::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}

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

/// A project's state (`admin.Project.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ProjectState {
    /// Usable.
    #[default]
    Active,
    /// Hidden from lists; entities cannot be registered.
    Archived,
    /// Created by the system.
    SystemGenerated,
}

impl IntEnum for ProjectState {
    const VALUES: &'static [(&'static str, i64, Self)] = &[
        ("ACTIVE", 0, ProjectState::Active),
        ("ARCHIVED", 1, ProjectState::Archived),
        ("SYSTEM_GENERATED", 2, ProjectState::SystemGenerated),
    ];
}
int_enum_field!(ProjectState);

/// Labels or annotations as flytectl's files nest them: `{values: {k: v}}`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct KeyValues {
    /// `values`.
    pub values: BTreeMap<String, String>,
}

impl Section for KeyValues {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("values", &mut self.values);
    }
}

/// A project file for `flytectl create|update project --file` (an `admin.Project` in YAML).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ProjectFile {
    /// `id`: the project id (a DNS-1123 label).
    pub id: String,
    /// `name`: the display name.
    pub name: String,
    /// `description`.
    pub description: String,
    /// `labels`.
    pub labels: KeyValues,
    /// `state`: 0 active, 1 archived, 2 system generated.
    pub state: ProjectState,
    /// `org`.
    pub org: String,
    warnings: Vec<Diagnostic>,
}

impl Section for ProjectFile {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("id", &mut self.id);
        v.field("name", &mut self.name);
        v.field("description", &mut self.description);
        v.section("labels", &mut self.labels);
        v.field("state", &mut self.state);
        v.field("org", &mut self.org);
    }
}

impl ProjectFile {
    /// Parses a project file. Unknown keys are warnings, as flytectl ignores them.
    ///
    /// # Errors
    /// Syntax and type errors.
    pub fn from_yaml_str(text: &str) -> Result<Self> {
        let (mut p, w): (ProjectFile, _) = decode_str(text, None, false)?;
        p.warnings = w;
        Ok(p)
    }

    /// Reads a project file; see [`ProjectFile::from_yaml_str`].
    ///
    /// # Errors
    /// As [`ProjectFile::from_yaml_str`], and I/O errors.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let (mut p, w): (ProjectFile, _) = decode_file(path.as_ref(), false)?;
        p.warnings = w;
        Ok(p)
    }

    /// Unknown keys found while parsing.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The file as YAML.
    pub fn to_yaml_string(&self) -> String {
        let value = Encoder::encode(&mut self.clone(), false);
        let default = Encoder::encode(&mut ProjectFile::default(), false);
        yaml::emit(&prune(value, &default))
    }
}

/// FlyteAdmin's matchable resource types (`admin.MatchableResource`), numbered as in the proto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MatchableResource {
    /// 0: task resource defaults and limits.
    TaskResource,
    /// 1: cluster resource template values.
    ClusterResource,
    /// 2: execution queue tags.
    ExecutionQueue,
    /// 3: execution cluster label.
    ExecutionClusterLabel,
    /// 4: quality of service (no flytectl command).
    QualityOfServiceSpecification,
    /// 5: plugin overrides.
    PluginOverride,
    /// 6: workflow execution config.
    WorkflowExecutionConfig,
    /// 7: cluster assignment (no flytectl command).
    ClusterAssignment,
}

impl MatchableResource {
    /// The proto enum number.
    pub fn number(self) -> i32 {
        self as i32
    }

    /// The flytectl noun for this resource, where flytectl has one.
    pub fn flytectl_noun(self) -> Option<&'static str> {
        Some(match self {
            MatchableResource::TaskResource => "task-resource-attribute",
            MatchableResource::ClusterResource => "cluster-resource-attribute",
            MatchableResource::ExecutionQueue => "execution-queue-attribute",
            MatchableResource::ExecutionClusterLabel => "execution-cluster-label",
            MatchableResource::PluginOverride => "plugin-override",
            MatchableResource::WorkflowExecutionConfig => "workflow-execution-config",
            _ => return None,
        })
    }
}

/// Where a matchable attribute applies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttributeScope {
    /// The whole project.
    Project {
        /// Project id.
        project: String,
    },
    /// One domain of a project.
    ProjectDomain {
        /// Project id.
        project: String,
        /// Domain.
        domain: String,
    },
    /// One workflow.
    Workflow {
        /// Project id.
        project: String,
        /// Domain.
        domain: String,
        /// Workflow name.
        workflow: String,
    },
}

/// The `project`, `domain` and `workflow` keys every attribute file starts with.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct AttributeTarget {
    /// `project`.
    pub project: String,
    /// `domain`: empty for project-level attributes.
    pub domain: String,
    /// `workflow`: empty unless the attribute is for one workflow.
    pub workflow: String,
}

impl AttributeTarget {
    fn visit_into(&mut self, v: &mut dyn Visitor) {
        v.field("project", &mut self.project);
        v.field("domain", &mut self.domain);
        v.field("workflow", &mut self.workflow);
    }

    /// The scope flytectl derives: workflow when set, else project-domain when the domain is
    /// set, else project.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the project is missing, or a workflow is given without a domain.
    pub fn scope(&self) -> Result<AttributeScope> {
        let fail = |m: &str| Error::Invalid {
            diagnostics: vec![Diagnostic::error("", m)],
        };
        if self.project.is_empty() {
            return Err(fail("project is required"));
        }
        Ok(match (self.domain.is_empty(), self.workflow.is_empty()) {
            (_, false) if self.domain.is_empty() => {
                return Err(fail("workflow attributes need a domain"))
            }
            (false, false) => AttributeScope::Workflow {
                project: self.project.clone(),
                domain: self.domain.clone(),
                workflow: self.workflow.clone(),
            },
            (false, true) => AttributeScope::ProjectDomain {
                project: self.project.clone(),
                domain: self.domain.clone(),
            },
            (true, _) => AttributeScope::Project {
                project: self.project.clone(),
            },
        })
    }
}

/// A flytectl attribute file (`--attrFile`): strict YAML, snake_case keys, unknown keys
/// rejected, as flytectl's `UnmarshalStrict` does.
pub trait AttributeFile: Sized {
    /// The resource this file configures.
    const RESOURCE: MatchableResource;

    /// The project, domain and workflow the file names.
    fn target(&self) -> &AttributeTarget;

    /// Parses the file's text.
    ///
    /// # Errors
    /// Syntax errors, unknown keys and type errors, each with its line.
    fn from_yaml_str(text: &str) -> Result<Self>;

    /// Reads the file.
    ///
    /// # Errors
    /// As [`AttributeFile::from_yaml_str`], and I/O errors.
    fn from_path(path: impl AsRef<Path>) -> Result<Self>;

    /// The file as YAML flytectl reads.
    fn to_yaml_string(&self) -> String;

    /// Writes the file.
    ///
    /// # Errors
    /// I/O errors.
    fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), &self.to_yaml_string())
    }
}

macro_rules! attribute_file {
    ($t:ident, $resource:expr, |$s:ident, $v:ident| $body:block) => {
        impl Section for $t {
            fn visit(&mut self, $v: &mut dyn Visitor) {
                self.target.visit_into($v);
                let $s = self;
                $body
            }
        }

        impl AttributeFile for $t {
            const RESOURCE: MatchableResource = $resource;

            fn target(&self) -> &AttributeTarget {
                &self.target
            }

            fn from_yaml_str(text: &str) -> Result<Self> {
                Ok(decode_str::<$t>(text, None, true)?.0)
            }

            fn from_path(path: impl AsRef<Path>) -> Result<Self> {
                Ok(decode_file::<$t>(path.as_ref(), true)?.0)
            }

            fn to_yaml_string(&self) -> String {
                let value = Encoder::encode(&mut self.clone(), false);
                let default = Encoder::encode(&mut $t::default(), false);
                yaml::emit(&prune(value, &default))
            }
        }
    };
}

/// Quantities of one resource set (`defaults` or `limits`).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ResourceQuantities {
    /// `cpu`, e.g. `"1"` or `"500m"`.
    pub cpu: String,
    /// `gpu`.
    pub gpu: String,
    /// `memory`, e.g. `"150Mi"`.
    pub memory: String,
    /// `storage`.
    pub storage: String,
    /// `ephemeral_storage`.
    pub ephemeral_storage: String,
}

impl Section for ResourceQuantities {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("cpu", &mut self.cpu);
        v.field("gpu", &mut self.gpu);
        v.field("memory", &mut self.memory);
        v.field("storage", &mut self.storage);
        v.field("ephemeral_storage", &mut self.ephemeral_storage);
    }
}

/// `task-resource-attribute` file: default and limit resources for tasks.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct TaskResourceAttributesFile {
    /// Where it applies.
    pub target: AttributeTarget,
    /// `defaults`.
    pub defaults: ResourceQuantities,
    /// `limits`.
    pub limits: ResourceQuantities,
}

attribute_file!(
    TaskResourceAttributesFile,
    MatchableResource::TaskResource,
    |s, v| {
        v.section("defaults", &mut s.defaults);
        v.section("limits", &mut s.limits);
    }
);

/// `cluster-resource-attribute` file: template values for the project's namespaces.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ClusterResourceAttributesFile {
    /// Where it applies.
    pub target: AttributeTarget,
    /// `attributes`.
    pub attributes: BTreeMap<String, String>,
}

attribute_file!(
    ClusterResourceAttributesFile,
    MatchableResource::ClusterResource,
    |s, v| {
        v.field("attributes", &mut s.attributes);
    }
);

/// `execution-queue-attribute` file: queue tags.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ExecutionQueueAttributesFile {
    /// Where it applies.
    pub target: AttributeTarget,
    /// `tags`.
    pub tags: Vec<String>,
}

attribute_file!(
    ExecutionQueueAttributesFile,
    MatchableResource::ExecutionQueue,
    |s, v| {
        v.field("tags", &mut s.tags);
    }
);

/// `execution-cluster-label` file: the label executions are routed by.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ExecutionClusterLabelFile {
    /// Where it applies.
    pub target: AttributeTarget,
    /// `value`.
    pub value: String,
}

attribute_file!(
    ExecutionClusterLabelFile,
    MatchableResource::ExecutionClusterLabel,
    |s, v| {
        v.field("value", &mut s.value);
    }
);

/// What happens when an overriding plugin is missing (`missing_plugin_behavior`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MissingPluginBehavior {
    /// 0: fail the task.
    #[default]
    Fail,
    /// 1: use the default plugin.
    UseDefault,
}

impl IntEnum for MissingPluginBehavior {
    const VALUES: &'static [(&'static str, i64, Self)] = &[
        ("FAIL", 0, MissingPluginBehavior::Fail),
        ("USE_DEFAULT", 1, MissingPluginBehavior::UseDefault),
    ];
}
int_enum_field!(MissingPluginBehavior);

/// One plugin override.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct PluginOverride {
    /// `task_type`.
    pub task_type: String,
    /// `plugin_id`: plugins to try, in order.
    pub plugin_id: Vec<String>,
    /// `missing_plugin_behavior`: 0 fail, 1 use default.
    pub missing_plugin_behavior: MissingPluginBehavior,
}

impl Section for PluginOverride {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("task_type", &mut self.task_type);
        v.field("plugin_id", &mut self.plugin_id);
        v.field("missing_plugin_behavior", &mut self.missing_plugin_behavior);
    }
}

/// `plugin-override` file.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct PluginOverridesFile {
    /// Where it applies.
    pub target: AttributeTarget,
    /// `overrides`.
    pub overrides: Vec<PluginOverride>,
}

attribute_file!(
    PluginOverridesFile,
    MatchableResource::PluginOverride,
    |s, v| {
        v.field("overrides", &mut s.overrides);
    }
);

/// `security_context.run_as`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct RunAs {
    /// `k8s_service_account`.
    pub k8s_service_account: String,
    /// `iam_role`.
    pub iam_role: String,
    /// `execution_identity`.
    pub execution_identity: String,
    /// `oauth2_client`, kept as written.
    pub oauth2_client: Value,
}

impl Section for RunAs {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("iam_role", &mut self.iam_role);
        v.field("k8s_service_account", &mut self.k8s_service_account);
        v.field("oauth2_client", &mut self.oauth2_client);
        v.field("execution_identity", &mut self.execution_identity);
    }
}

/// `security_context`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct SecurityContext {
    /// `run_as`.
    pub run_as: RunAs,
    /// `secrets`, kept as written.
    pub secrets: Value,
    /// `tokens`, kept as written.
    pub tokens: Value,
}

impl Section for SecurityContext {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.section("run_as", &mut self.run_as);
        v.field("secrets", &mut self.secrets);
        v.field("tokens", &mut self.tokens);
    }
}

/// `raw_output_data_config`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct RawOutputDataConfig {
    /// `output_location_prefix`.
    pub output_location_prefix: String,
}

impl Section for RawOutputDataConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("output_location_prefix", &mut self.output_location_prefix);
    }
}

/// One `envs.values` entry.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct KeyValuePair {
    /// `key`.
    pub key: String,
    /// `value`.
    pub value: String,
}

impl KeyValuePair {
    /// A pair.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        KeyValuePair {
            key: key.into(),
            value: value.into(),
        }
    }
}

impl Section for KeyValuePair {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("key", &mut self.key);
        v.field("value", &mut self.value);
    }
}

/// `envs`: `{values: [{key, value}]}`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Envs {
    /// `values`.
    pub values: Vec<KeyValuePair>,
}

impl Section for Envs {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("values", &mut self.values);
    }
}

/// A protobuf `BoolValue` as Go's JSON writes it: `{value: true}`. A bare boolean is accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BoolValue(pub Option<bool>);

impl crate::fields::Field for BoolValue {
    fn decode(
        &mut self,
        node: &yaml::Node,
        w: &mut Vec<String>,
    ) -> std::result::Result<(), String> {
        match &node.kind {
            _ if node.is_null() => self.0 = None,
            yaml::Kind::Map(entries) => {
                let mut value = false;
                for (k, v) in entries {
                    if k.key_text() == "value" {
                        crate::fields::Field::decode(&mut value, v, w)?;
                    } else {
                        return Err(format!(
                            "unknown key {:?}; expected {{value: true|false}}",
                            k.key_text()
                        ));
                    }
                }
                self.0 = Some(value);
            }
            _ => {
                let mut value = false;
                crate::fields::Field::decode(&mut value, node, w)?;
                self.0 = Some(value);
            }
        }
        Ok(())
    }
    fn parse_text(&mut self, text: &str) -> std::result::Result<(), String> {
        let mut value = false;
        crate::fields::Field::parse_text(&mut value, text)?;
        self.0 = Some(value);
        Ok(())
    }
    fn encode(&self) -> Value {
        match self.0 {
            None => Value::Null,
            Some(b) => Value::Map(vec![("value".to_owned(), Value::Bool(b))]),
        }
    }
}

/// `workflow-execution-config` file.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct WorkflowExecutionConfigFile {
    /// Where it applies.
    pub target: AttributeTarget,
    /// `max_parallelism`: most nodes running at once.
    pub max_parallelism: i32,
    /// `security_context`.
    pub security_context: SecurityContext,
    /// `raw_output_data_config`.
    pub raw_output_data_config: RawOutputDataConfig,
    /// `labels`.
    pub labels: KeyValues,
    /// `annotations`.
    pub annotations: KeyValues,
    /// `interruptible`: `{value: bool}`; `None` when unset.
    pub interruptible: BoolValue,
    /// `overwrite_cache`.
    pub overwrite_cache: bool,
    /// `envs`.
    pub envs: Envs,
    /// `execution_env_assignments`, kept as written.
    pub execution_env_assignments: Value,
}

attribute_file!(
    WorkflowExecutionConfigFile,
    MatchableResource::WorkflowExecutionConfig,
    |s, v| {
        v.field("max_parallelism", &mut s.max_parallelism);
        v.section("security_context", &mut s.security_context);
        v.section("raw_output_data_config", &mut s.raw_output_data_config);
        v.section("labels", &mut s.labels);
        v.section("annotations", &mut s.annotations);
        v.field("interruptible", &mut s.interruptible);
        v.field("overwrite_cache", &mut s.overwrite_cache);
        v.section("envs", &mut s.envs);
        v.field(
            "execution_env_assignments",
            &mut s.execution_env_assignments,
        );
    }
);
