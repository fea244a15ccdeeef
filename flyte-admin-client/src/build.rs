//! Tasks, workflows and launch plans built in Rust, checked before anything is sent, and
//! registered like any package (or written as a pyflyte-compatible archive for flytectl).
//!
//! ```
//! use flyte_admin_client::build::{types, ContainerTask, LaunchPlan, Node, Source, Workflow};
//! use flyte_admin_client::register::Package;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let greet = ContainerTask::new("team.greet", "alpine:3.20")
//!     .command(["sh", "-c", "printf 'hello %s' \"$(cat /var/inputs/name)\" > /var/outputs/greeting"])
//!     .input("name", types::string())
//!     .output("greeting", types::string())
//!     .retries(2);
//! let wf = Workflow::new("team.hello")
//!     .input("name", types::string())
//!     .node(Node::task("greet", &greet).bind("name", Source::input("name")))
//!     .output("greeting", Source::output("greet", "greeting"));
//! let lp = LaunchPlan::new("team.hello.daily", &wf)
//!     .default_input("name", serde_json::json!("world"))
//!     .cron("0 6 * * *");
//! let mut package = Package::default();
//! package.add_task(&greet)?;
//! package.add_workflow(&wf)?;
//! package.add_launch_plan(&lp)?;
//! # Ok(()) }
//! ```
//!
//! Tasks are raw containers: Flyte writes each input to `/var/inputs/NAME` and reads each output
//! from `/var/outputs/NAME`. Identifiers carry only names; project, domain and version are
//! filled in at registration, as for pyflyte packages.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use flyteidl::flyteidl::admin;
use flyteidl::flyteidl::core::{self, literal_type, Identifier, LiteralType, ResourceType};
use serde_json::Value as Json;

use crate::register::{Entity, Package, PackageEntry};

/// Literal types for interfaces.
pub mod types {
    use flyteidl::flyteidl::core::{literal_type::Type, LiteralType, SimpleType};

    fn simple(t: SimpleType) -> LiteralType {
        LiteralType {
            r#type: Some(Type::Simple(t as i32)),
            ..Default::default()
        }
    }

    /// A 64-bit integer.
    pub fn integer() -> LiteralType {
        simple(SimpleType::Integer)
    }
    /// A 64-bit float.
    pub fn float() -> LiteralType {
        simple(SimpleType::Float)
    }
    /// A string.
    pub fn string() -> LiteralType {
        simple(SimpleType::String)
    }
    /// A boolean.
    pub fn boolean() -> LiteralType {
        simple(SimpleType::Boolean)
    }
    /// A point in time.
    pub fn datetime() -> LiteralType {
        simple(SimpleType::Datetime)
    }
    /// A duration.
    pub fn duration() -> LiteralType {
        simple(SimpleType::Duration)
    }
    /// A list of `item`.
    pub fn list(item: LiteralType) -> LiteralType {
        LiteralType {
            r#type: Some(Type::CollectionType(Box::new(item))),
            ..Default::default()
        }
    }
    /// A map from strings to `value`.
    pub fn map(value: LiteralType) -> LiteralType {
        LiteralType {
            r#type: Some(Type::MapValueType(Box::new(value))),
            ..Default::default()
        }
    }
}

/// Why an entity cannot be built: which one, where in it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{entity}: {message}")]
pub struct BuildError {
    /// The entity (`workflow team.hello`), and the node when it is one (`... node greet`).
    pub entity: String,
    /// What is wrong.
    pub message: String,
}

fn fail<T>(entity: &str, message: impl Into<String>) -> Result<T, BuildError> {
    Err(BuildError {
        entity: entity.to_owned(),
        message: message.into(),
    })
}

fn id(rt: ResourceType, name: &str) -> Identifier {
    Identifier {
        resource_type: rt as i32,
        name: name.to_owned(),
        ..Default::default()
    }
}

fn variables(vars: &[(String, LiteralType)]) -> core::VariableMap {
    core::VariableMap {
        variables: vars
            .iter()
            .map(|(n, t)| {
                (
                    n.clone(),
                    core::Variable {
                        r#type: Some(t.clone()),
                        description: String::new(),
                        ..Default::default()
                    },
                )
            })
            .collect(),
    }
}

fn interface(
    inputs: &[(String, LiteralType)],
    outputs: &[(String, LiteralType)],
) -> core::TypedInterface {
    core::TypedInterface {
        inputs: Some(variables(inputs)),
        outputs: Some(variables(outputs)),
    }
}

/// Variable names: non-empty, unique, shell- and path-safe (they become file names).
fn check_names(entity: &str, what: &str, vars: &[(String, LiteralType)]) -> Result<(), BuildError> {
    let mut seen = HashSet::new();
    for (name, _) in vars {
        if name.is_empty()
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || name.starts_with(|c: char| c.is_ascii_digit())
        {
            return fail(
                entity,
                format!("{what} {name:?}: use letters, digits and _ (not first a digit)"),
            );
        }
        if !seen.insert(name) {
            return fail(entity, format!("{what} {name:?} is declared twice"));
        }
    }
    Ok(())
}

fn same_type(a: &LiteralType, b: &LiteralType) -> bool {
    a.r#type == b.r#type
}

fn type_name(t: &LiteralType) -> String {
    use literal_type::Type as T;
    match &t.r#type {
        Some(T::Simple(s)) => core::SimpleType::try_from(*s)
            .map(|s| s.as_str_name().to_ascii_lowercase())
            .unwrap_or_else(|_| format!("simple type {s}")),
        Some(T::CollectionType(i)) => format!("list of {}", type_name(i)),
        Some(T::MapValueType(v)) => format!("map of {}", type_name(v)),
        Some(_) => "a complex type".to_owned(),
        None => "no type".to_owned(),
    }
}

/// Compute resources: Kubernetes quantities such as `500m`, `2`, `1Gi`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct Resources {
    cpu: Option<String>,
    memory: Option<String>,
    gpu: Option<String>,
    ephemeral_storage: Option<String>,
}

impl Resources {
    /// No resources set.
    pub fn new() -> Self {
        Resources::default()
    }
    /// CPU (`500m`, `2`).
    pub fn cpu(mut self, q: impl Into<String>) -> Self {
        self.cpu = Some(q.into());
        self
    }
    /// Memory (`512Mi`, `4Gi`).
    pub fn memory(mut self, q: impl Into<String>) -> Self {
        self.memory = Some(q.into());
        self
    }
    /// GPUs (`1`).
    pub fn gpu(mut self, q: impl Into<String>) -> Self {
        self.gpu = Some(q.into());
        self
    }
    /// Ephemeral storage (`10Gi`).
    pub fn ephemeral_storage(mut self, q: impl Into<String>) -> Self {
        self.ephemeral_storage = Some(q.into());
        self
    }

    fn entries(&self, entity: &str) -> Result<Vec<core::resources::ResourceEntry>, BuildError> {
        use core::resources::ResourceName as R;
        let mut out = Vec::new();
        for (name, value) in [
            (R::Cpu, &self.cpu),
            (R::Memory, &self.memory),
            (R::Gpu, &self.gpu),
            (R::EphemeralStorage, &self.ephemeral_storage),
        ] {
            let Some(v) = value else { continue };
            if !flyte_config::is_quantity(v) {
                return fail(
                    entity,
                    format!(
                        "{} {v:?} is not a Kubernetes quantity (like 500m, 2, 1Gi)",
                        name.as_str_name().to_ascii_lowercase()
                    ),
                );
            }
            out.push(core::resources::ResourceEntry {
                name: name as i32,
                value: v.clone(),
            });
        }
        Ok(out)
    }
}

/// A task that runs a container image.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct ContainerTask {
    name: String,
    image: String,
    command: Vec<String>,
    args: Vec<String>,
    inputs: Vec<(String, LiteralType)>,
    outputs: Vec<(String, LiteralType)>,
    requests: Resources,
    limits: Resources,
    env: Vec<(String, String)>,
    retries: u32,
    timeout: Option<Duration>,
    interruptible: Option<bool>,
    cache_version: Option<String>,
    cache_serializable: bool,
    secrets: Vec<(String, String)>,
    pod_template_name: String,
    pod_template: Option<PodTemplate>,
}

impl ContainerTask {
    /// A task `name` running `image`.
    pub fn new(name: impl Into<String>, image: impl Into<String>) -> Self {
        ContainerTask {
            name: name.into(),
            image: image.into(),
            command: Vec::new(),
            args: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            requests: Resources::default(),
            limits: Resources::default(),
            env: Vec::new(),
            retries: 0,
            timeout: None,
            interruptible: None,
            cache_version: None,
            cache_serializable: false,
            secrets: Vec::new(),
            pod_template_name: String::new(),
            pod_template: None,
        }
    }
    /// The container's command.
    pub fn command<S: Into<String>>(mut self, command: impl IntoIterator<Item = S>) -> Self {
        self.command = command.into_iter().map(Into::into).collect();
        self
    }
    /// The container's arguments.
    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args = args.into_iter().map(Into::into).collect();
        self
    }
    /// An input, written to `/var/inputs/NAME`.
    pub fn input(mut self, name: impl Into<String>, ty: LiteralType) -> Self {
        self.inputs.push((name.into(), ty));
        self
    }
    /// An output, read from `/var/outputs/NAME`.
    pub fn output(mut self, name: impl Into<String>, ty: LiteralType) -> Self {
        self.outputs.push((name.into(), ty));
        self
    }
    /// Resource requests.
    pub fn requests(mut self, r: Resources) -> Self {
        self.requests = r;
        self
    }
    /// Resource limits.
    pub fn limits(mut self, r: Resources) -> Self {
        self.limits = r;
        self
    }
    /// An environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
    /// Retries after a recoverable failure.
    pub fn retries(mut self, n: u32) -> Self {
        self.retries = n;
        self
    }
    /// The longest one attempt may run.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }
    /// Whether it may run on interruptible (spot) nodes.
    pub fn interruptible(mut self, yes: bool) -> Self {
        self.interruptible = Some(yes);
        self
    }
    /// Cache outputs under this cache version.
    pub fn cache(mut self, version: impl Into<String>) -> Self {
        self.cache_version = Some(version.into());
        self
    }
    /// Run one instance at a time per cache key.
    pub fn cache_serializable(mut self, yes: bool) -> Self {
        self.cache_serializable = yes;
        self
    }
    /// A secret the task needs: key `key` of group `group` (a Kubernetes secret named after the
    /// group).
    pub fn secret(mut self, group: impl Into<String>, key: impl Into<String>) -> Self {
        self.secrets.push((group.into(), key.into()));
        self
    }
    /// A pod template (registered with the cluster) to base the task's pod on.
    pub fn pod_template_name(mut self, name: impl Into<String>) -> Self {
        self.pod_template_name = name.into();
        self
    }
    /// A pod template carried by the task itself: the task runs as this pod, its primary
    /// container taking the task's image (unless the template names one), command, args,
    /// resources and environment. With [`Self::pod_template_name`] too, Flyte applies the
    /// cluster's template first and this one over it.
    pub fn pod_template(mut self, template: PodTemplate) -> Self {
        self.pod_template = Some(template);
        self
    }

    /// The task's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its typed interface.
    pub fn interface(&self) -> core::TypedInterface {
        interface(&self.inputs, &self.outputs)
    }

    fn label(&self) -> String {
        format!("task {}", self.name)
    }

    /// The task as FlyteAdmin takes it.
    ///
    /// # Errors
    /// No name, image or command; bad variable names; resources that are not quantities; a
    /// cache flag without a cache version; a pod template that is not a Kubernetes pod spec.
    pub fn spec(&self) -> Result<admin::TaskSpec, BuildError> {
        let entity = self.label();
        if self.name.trim().is_empty() {
            return fail("task", "no name");
        }
        if self.image.trim().is_empty() {
            return fail(&entity, "no image");
        }
        if self.command.is_empty() {
            return fail(&entity, "no command: a raw container task runs its command");
        }
        check_names(&entity, "input", &self.inputs)?;
        check_names(&entity, "output", &self.outputs)?;
        if self.cache_serializable && self.cache_version.is_none() {
            return fail(&entity, "cache_serializable needs cache(version)");
        }
        if self.cache_version.as_deref().is_some_and(str::is_empty) {
            return fail(&entity, "an empty cache version");
        }
        let resources = core::Resources {
            requests: self.requests.entries(&entity)?,
            limits: self.limits.entries(&entity)?,
        };
        let metadata = core::TaskMetadata {
            discoverable: self.cache_version.is_some(),
            discovery_version: self.cache_version.clone().unwrap_or_default(),
            cache_serializable: self.cache_serializable,
            runtime: Some(core::RuntimeMetadata {
                r#type: core::runtime_metadata::RuntimeType::Other as i32,
                version: env!("CARGO_PKG_VERSION").to_owned(),
                flavor: "flyte-rs".to_owned(),
            }),
            retries: Some(core::RetryStrategy {
                retries: self.retries,
            }),
            timeout: self.timeout.map(|d| prost_types::Duration {
                seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                nanos: i32::try_from(d.subsec_nanos()).unwrap_or(0),
            }),
            interruptible_value: self
                .interruptible
                .map(core::task_metadata::InterruptibleValue::Interruptible),
            pod_template_name: self.pod_template_name.clone(),
            ..Default::default()
        };
        let security_context = (!self.secrets.is_empty()).then(|| core::SecurityContext {
            secrets: self
                .secrets
                .iter()
                .map(|(group, key)| core::Secret {
                    group: group.clone(),
                    key: key.clone(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        });
        let data_config = core::DataLoadingConfig {
            enabled: true,
            input_path: "/var/inputs".to_owned(),
            output_path: "/var/outputs".to_owned(),
            format: core::data_loading_config::LiteralMapFormat::Json as i32,
            io_strategy: None,
        };
        let container = core::Container {
            image: self.image.clone(),
            command: self.command.clone(),
            args: self.args.clone(),
            resources: Some(resources),
            env: self
                .env
                .iter()
                .map(|(k, v)| core::KeyValuePair {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
            data_config: Some(data_config),
            ..Default::default()
        };
        // As flytekit: with a pod template the task is the pod, its primary container merged
        // in, and the template's primary container name in the task's config.
        let (target, config) = match &self.pod_template {
            None => (
                core::task_template::Target::Container(container),
                HashMap::new(),
            ),
            Some(template) => (
                core::task_template::Target::K8sPod(template.k8s_pod(&entity, container)?),
                HashMap::from([(
                    "primary_container_name".to_owned(),
                    template.primary_container_name.clone(),
                )]),
            ),
        };
        Ok(admin::TaskSpec {
            template: Some(core::TaskTemplate {
                id: Some(id(ResourceType::Task, &self.name)),
                r#type: "raw-container".to_owned(),
                metadata: Some(metadata),
                interface: Some(self.interface()),
                security_context,
                target: Some(target),
                config,
                ..Default::default()
            }),
            description: None,
        })
    }
}

/// A Kubernetes pod template carried by a task (flytekit's `PodTemplate`): a pod spec, the name
/// of its primary container (the one that runs the task), and labels and annotations for the pod.
///
/// The pod spec is JSON in the Kubernetes API's shape (camelCase), as `kubectl` shows it; with
/// k8s-openapi, `serde_json::to_value(&pod_spec)`.
///
/// ```
/// use flyte_admin_client::build::{ContainerTask, PodTemplate};
/// let task = ContainerTask::new("team.train", "ghcr.io/team/train:1")
///     .command(["python", "train.py"])
///     .pod_template(
///         PodTemplate::new(serde_json::json!({
///             "nodeSelector": {"pool": "gpu"},
///             "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
///         }))
///         .label("team", "ml"),
///     );
/// assert!(task.spec().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct PodTemplate {
    pod_spec: Json,
    primary_container_name: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

impl PodTemplate {
    /// The primary container's name unless told otherwise, as flytekit's.
    pub const DEFAULT_PRIMARY_CONTAINER_NAME: &'static str = "primary";

    /// A template with this pod spec (a JSON object; `{}` for none).
    pub fn new(pod_spec: impl Into<Json>) -> Self {
        PodTemplate {
            pod_spec: pod_spec.into(),
            primary_container_name: Self::DEFAULT_PRIMARY_CONTAINER_NAME.to_owned(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
        }
    }
    /// The container in the pod spec that runs the task; added to the pod when the spec has
    /// no container of that name.
    pub fn primary_container_name(mut self, name: impl Into<String>) -> Self {
        self.primary_container_name = name.into();
        self
    }
    /// A label on the pod.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }
    /// An annotation on the pod.
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// The task's pod: the template's spec with the task's container merged into the primary
    /// container, field by field as flytekit merges them.
    fn k8s_pod(&self, entity: &str, task: core::Container) -> Result<core::K8sPod, BuildError> {
        let bad = |what: String| fail(entity, format!("pod template: {what}"));
        let primary = self.primary_container_name.as_str();
        if primary.trim().is_empty() {
            return bad("no primary container name".into());
        }
        let Json::Object(mut spec) = self.pod_spec.clone() else {
            return bad(format!(
                "the pod spec is {}, not an object (a Kubernetes PodSpec)",
                json_kind(&self.pod_spec)
            ));
        };
        let containers = spec
            .entry("containers")
            .or_insert_with(|| Json::Array(Vec::new()));
        if containers.is_null() {
            *containers = Json::Array(Vec::new());
        }
        let Json::Array(containers) = containers else {
            return bad(format!(
                "containers is {}, not a list",
                json_kind(containers)
            ));
        };
        let mut found = None;
        for (i, c) in containers.iter().enumerate() {
            let name = c.get("name").and_then(Json::as_str).unwrap_or_default();
            if name.is_empty() {
                return bad(format!("container {i} has no name"));
            }
            if name == primary {
                found = Some(i);
            }
        }
        let at = found.unwrap_or_else(|| {
            containers.push(serde_json::json!({ "name": primary }));
            containers.len() - 1
        });
        let Some(Json::Object(c)) = containers.get_mut(at) else {
            return bad(format!("container {primary:?} is not an object"));
        };
        match c.get("image") {
            None | Some(Json::Null) => {
                c.insert("image".into(), Json::from(task.image));
            }
            Some(Json::String(_)) => {}
            Some(other) => {
                return bad(format!(
                    "container {primary:?} has an image that is {}, not a string",
                    json_kind(other)
                ))
            }
        }
        for (key, values) in [("command", task.command), ("args", task.args)] {
            if values.is_empty() {
                c.remove(key);
            } else {
                c.insert(key.into(), Json::from(values));
            }
        }
        let resources = task.resources.unwrap_or_default();
        if !resources.requests.is_empty() || !resources.limits.is_empty() {
            let by_name = |entries: &[core::resources::ResourceEntry]| {
                entries
                    .iter()
                    .map(|e| {
                        let name = core::resources::ResourceName::try_from(e.name)
                            .map_or("unknown", |n| n.as_str_name());
                        (
                            name.to_ascii_lowercase().replace('_', "-"),
                            Json::from(e.value.clone()),
                        )
                    })
                    .collect::<serde_json::Map<_, _>>()
            };
            c.insert(
                "resources".into(),
                serde_json::json!({
                    "limits": by_name(&resources.limits),
                    "requests": by_name(&resources.requests),
                }),
            );
        }
        let mut env: Vec<Json> = task
            .env
            .into_iter()
            .map(|kv| serde_json::json!({ "name": kv.key, "value": kv.value }))
            .collect();
        match c.remove("env") {
            None | Some(Json::Null) => {}
            Some(Json::Array(own)) => env.extend(own),
            Some(other) => {
                return bad(format!(
                    "container {primary:?} has env that is {}, not a list",
                    json_kind(&other)
                ))
            }
        }
        c.insert("env".into(), Json::Array(env));
        Ok(core::K8sPod {
            metadata: Some(core::K8sObjectMetadata {
                labels: self.labels.clone().into_iter().collect(),
                annotations: self.annotations.clone().into_iter().collect(),
            }),
            pod_spec: Some(crate::literals::to_struct(&spec)),
            data_config: task.data_config,
        })
    }
}

/// What kind of JSON value this is, for errors.
fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// Where a node input, a branch operand or a workflow output comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A workflow input.
    Input(String),
    /// An output of another node.
    Output {
        /// The node.
        node: String,
        /// Its output.
        var: String,
    },
    /// A constant, as JSON, typed by what receives it.
    Value(Json),
}

impl Source {
    /// Workflow input `name`.
    pub fn input(name: impl Into<String>) -> Self {
        Source::Input(name.into())
    }
    /// Output `var` of node `node`.
    pub fn output(node: impl Into<String>, var: impl Into<String>) -> Self {
        Source::Output {
            node: node.into(),
            var: var.into(),
        }
    }
    /// A constant.
    pub fn value(v: impl Into<Json>) -> Self {
        Source::Value(v.into())
    }
}

/// A comparison operator of a branch condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

/// A branch condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `left OP right`; each side a workflow input, a node output or a constant (a primitive).
    Compare(Source, Compare, Source),
    /// Both.
    And(Box<Condition>, Box<Condition>),
    /// Either.
    Or(Box<Condition>, Box<Condition>),
}

impl Condition {
    /// `left OP right`.
    pub fn compare(left: Source, op: Compare, right: Source) -> Self {
        Condition::Compare(left, op, right)
    }
    /// This and `other`.
    pub fn and(self, other: Condition) -> Self {
        Condition::And(Box::new(self), Box::new(other))
    }
    /// This or `other`.
    pub fn or(self, other: Condition) -> Self {
        Condition::Or(Box::new(self), Box::new(other))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// A task, by name (built with the package: its interface is known).
    Task {
        name: String,
        interface: core::TypedInterface,
        local: bool,
    },
    /// A launch plan, run as a child execution.
    LaunchPlan {
        name: String,
        interface: core::TypedInterface,
    },
    /// The first case whose condition holds runs its node.
    Branch {
        cases: Vec<(Condition, Node)>,
        otherwise: Option<Box<Node>>,
    },
}

/// A workflow node.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct Node {
    id: String,
    target: Target,
    bindings: Vec<(String, Source)>,
}

impl Node {
    fn with_target(id: impl Into<String>, target: Target) -> Self {
        Node {
            id: id.into(),
            target,
            bindings: Vec::new(),
        }
    }

    /// Runs `task`, which must be in the package before the workflow.
    pub fn task(id: impl Into<String>, task: &ContainerTask) -> Self {
        Node::with_target(
            id,
            Target::Task {
                name: task.name.clone(),
                interface: task.interface(),
                local: true,
            },
        )
    }
    /// Runs a task already registered, by name and interface (its version is the package's).
    pub fn task_ref(
        id: impl Into<String>,
        name: impl Into<String>,
        interface: core::TypedInterface,
    ) -> Self {
        Node::with_target(
            id,
            Target::Task {
                name: name.into(),
                interface,
                local: false,
            },
        )
    }
    /// Runs a launch plan as a child execution, by name and its workflow's interface.
    pub fn launch_plan(
        id: impl Into<String>,
        name: impl Into<String>,
        interface: core::TypedInterface,
    ) -> Self {
        Node::with_target(
            id,
            Target::LaunchPlan {
                name: name.into(),
                interface,
            },
        )
    }
    /// A branch: the first case whose condition holds runs its node, else `otherwise`, else
    /// the execution fails. Every case's node must have the same outputs; they are the
    /// branch's.
    pub fn branch(
        id: impl Into<String>,
        cases: Vec<(Condition, Node)>,
        otherwise: Option<Node>,
    ) -> Self {
        Node::with_target(
            id,
            Target::Branch {
                cases,
                otherwise: otherwise.map(Box::new),
            },
        )
    }
    /// Binds input `var` of the node's task or launch plan.
    pub fn bind(mut self, var: impl Into<String>, source: Source) -> Self {
        self.bindings.push((var.into(), source));
        self
    }

    /// The node's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A workflow: inputs, nodes wired from them and from each other, outputs.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct Workflow {
    name: String,
    inputs: Vec<(String, LiteralType)>,
    nodes: Vec<Node>,
    outputs: Vec<(String, Source)>,
}

/// What the checks know while building a workflow: the types of inputs and node outputs.
struct Scope<'a> {
    entity: String,
    inputs: HashMap<&'a str, &'a LiteralType>,
    outputs: HashMap<String, HashMap<String, LiteralType>>,
}

impl Scope<'_> {
    /// An error at `at` (a node, an input, an output) of this workflow.
    fn err(&self, at: &str, message: impl Into<String>) -> BuildError {
        BuildError {
            entity: format!("{} {at}", self.entity),
            message: message.into(),
        }
    }

    /// The type of a source; `want` types a constant.
    fn type_of(
        &self,
        at: &str,
        s: &Source,
        want: Option<&LiteralType>,
    ) -> Result<LiteralType, BuildError> {
        match s {
            Source::Input(name) => self
                .inputs
                .get(name.as_str())
                .map(|t| (*t).clone())
                .ok_or_else(|| self.err(at, format!("no workflow input {name:?}"))),
            Source::Output { node, var } => {
                let outs = self
                    .outputs
                    .get(node)
                    .ok_or_else(|| self.err(at, format!("no node {node:?}")))?;
                outs.get(var)
                    .cloned()
                    .ok_or_else(|| self.err(at, format!("node {node:?} has no output {var:?}")))
            }
            Source::Value(v) => match want {
                Some(t) => {
                    crate::literals::json_to_literal(v, t, at)
                        .map_err(|e| self.err(at, e.to_string()))?;
                    Ok(t.clone())
                }
                None => Ok(primitive_type(v).ok_or_else(|| {
                    self.err(
                        at,
                        format!("a constant operand must be a number, string or boolean, not {v}"),
                    )
                })?),
            },
        }
    }

    /// The binding of a source into a variable of type `ty`.
    fn binding(
        &self,
        at: &str,
        s: &Source,
        ty: &LiteralType,
    ) -> Result<core::BindingData, BuildError> {
        let (node, var) = match s {
            Source::Input(name) => ("start-node", name.as_str()),
            Source::Output { node, var } => (node.as_str(), var.as_str()),
            // A constant is typed by converting it, once.
            Source::Value(v) => {
                let lit = crate::literals::json_to_literal(v, ty, at)
                    .map_err(|e| self.err(at, e.to_string()))?;
                return Ok(literal_binding(lit));
            }
        };
        let got = self.type_of(at, s, Some(ty))?;
        if !same_type(&got, ty) {
            return Err(self.err(
                at,
                format!(
                    "expects {}, but {} is {}",
                    type_name(ty),
                    describe(s),
                    type_name(&got)
                ),
            ));
        }
        Ok(promise(node, var))
    }
}

fn describe(s: &Source) -> String {
    match s {
        Source::Input(n) => format!("workflow input {n:?}"),
        Source::Output { node, var } => format!("output {var:?} of node {node:?}"),
        Source::Value(v) => format!("the constant {v}"),
    }
}

fn primitive_type(v: &Json) -> Option<LiteralType> {
    match v {
        Json::Bool(_) => Some(types::boolean()),
        Json::Number(n) if n.is_i64() || n.is_u64() => Some(types::integer()),
        Json::Number(_) => Some(types::float()),
        Json::String(_) => Some(types::string()),
        _ => None,
    }
}

fn promise(node: &str, var: &str) -> core::BindingData {
    core::BindingData {
        value: Some(core::binding_data::Value::Promise(core::OutputReference {
            node_id: node.to_owned(),
            var: var.to_owned(),
            attr_path: Vec::new(),
        })),
        union: None,
    }
}

fn literal_binding(lit: core::Literal) -> core::BindingData {
    use core::binding_data::Value as B;
    let value = match lit.value {
        Some(core::literal::Value::Scalar(s)) => B::Scalar(*s),
        Some(core::literal::Value::Collection(c)) => B::Collection(core::BindingDataCollection {
            bindings: c.literals.into_iter().map(literal_binding).collect(),
        }),
        Some(core::literal::Value::Map(m)) => B::Map(core::BindingDataMap {
            bindings: m
                .literals
                .into_iter()
                .map(|(k, v)| (k, literal_binding(v)))
                .collect(),
        }),
        None => B::Scalar(core::Scalar::default()),
    };
    core::BindingData {
        value: Some(value),
        union: None,
    }
}

fn outputs_of(i: &core::TypedInterface) -> HashMap<String, LiteralType> {
    i.outputs
        .iter()
        .flat_map(|o| &o.variables)
        .filter_map(|(k, v)| Some((k.clone(), v.r#type.clone()?)))
        .collect()
}

fn inputs_of(i: &core::TypedInterface) -> BTreeMap<String, LiteralType> {
    i.inputs
        .iter()
        .flat_map(|o| &o.variables)
        .filter_map(|(k, v)| Some((k.clone(), v.r#type.clone()?)))
        .collect()
}

/// The nodes a source needs first.
fn upstream(s: &Source, out: &mut Vec<String>) {
    if let Source::Output { node, .. } = s {
        out.push(node.clone());
    }
}

fn condition_upstream(c: &Condition, out: &mut Vec<String>) {
    match c {
        Condition::Compare(l, _, r) => {
            upstream(l, out);
            upstream(r, out);
        }
        Condition::And(a, b) | Condition::Or(a, b) => {
            condition_upstream(a, out);
            condition_upstream(b, out);
        }
    }
}

impl Workflow {
    /// A workflow `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Workflow {
            name: name.into(),
            inputs: Vec::new(),
            nodes: Vec::new(),
            outputs: Vec::new(),
        }
    }
    /// An input.
    pub fn input(mut self, name: impl Into<String>, ty: LiteralType) -> Self {
        self.inputs.push((name.into(), ty));
        self
    }
    /// A node.
    pub fn node(mut self, node: Node) -> Self {
        self.nodes.push(node);
        self
    }
    /// An output and where it comes from.
    pub fn output(mut self, name: impl Into<String>, source: Source) -> Self {
        self.outputs.push((name.into(), source));
        self
    }

    /// The workflow's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tasks its nodes run that were built with it (for [`Package::add_workflow`]).
    fn local_tasks(&self) -> Vec<(&str, &str)> {
        fn walk<'a>(n: &'a Node, out: &mut Vec<(&'a str, &'a str)>) {
            match &n.target {
                Target::Task {
                    name, local: true, ..
                } => out.push((n.id.as_str(), name.as_str())),
                Target::Branch { cases, otherwise } => {
                    for (_, c) in cases {
                        walk(c, out);
                    }
                    if let Some(o) = otherwise {
                        walk(o, out);
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        for n in &self.nodes {
            walk(n, &mut out);
        }
        out
    }

    /// Its interface: inputs as declared, outputs typed by their sources.
    ///
    /// # Errors
    /// As [`Workflow::spec`].
    pub fn interface(&self) -> Result<core::TypedInterface, BuildError> {
        self.spec()?
            .template
            .and_then(|t| t.interface)
            .ok_or_else(|| BuildError {
                entity: format!("workflow {}", self.name),
                message: "no interface".to_owned(),
            })
    }

    /// The outputs a node offers, and the checked node.
    fn build_node(
        &self,
        scope: &Scope<'_>,
        n: &Node,
    ) -> Result<(core::Node, HashMap<String, LiteralType>), BuildError> {
        let at = format!("node {}", n.id);
        let entity = format!("{} {at}", scope.entity);
        let mut deps = Vec::new();
        let (target, iface_inputs, outputs, mut extra_inputs) = match &n.target {
            Target::Task {
                name, interface, ..
            } => (
                core::node::Target::TaskNode(core::TaskNode {
                    reference: Some(core::task_node::Reference::ReferenceId(id(
                        ResourceType::Task,
                        name,
                    ))),
                    overrides: None,
                }),
                inputs_of(interface),
                outputs_of(interface),
                Vec::new(),
            ),
            Target::LaunchPlan { name, interface } => (
                core::node::Target::WorkflowNode(core::WorkflowNode {
                    reference: Some(core::workflow_node::Reference::LaunchplanRef(id(
                        ResourceType::LaunchPlan,
                        name,
                    ))),
                }),
                inputs_of(interface),
                outputs_of(interface),
                Vec::new(),
            ),
            Target::Branch { cases, otherwise } => {
                if cases.is_empty() {
                    return fail(&entity, "a branch needs at least one case");
                }
                let mut operands: Vec<core::Binding> = Vec::new();
                let mut then_outputs: Option<HashMap<String, LiteralType>> = None;
                let mut blocks = Vec::new();
                let mut then_nodes = Vec::new();
                for (cond, node) in cases {
                    let expr = self.condition(scope, &at, cond, &mut operands)?;
                    condition_upstream(cond, &mut deps);
                    let (built, outs) = self.build_node(scope, node)?;
                    match &then_outputs {
                        None => then_outputs = Some(outs),
                        Some(first) if *first != outs => {
                            return fail(
                                &entity,
                                format!(
                                    "case node {} has other outputs than the first case",
                                    node.id
                                ),
                            );
                        }
                        Some(_) => {}
                    }
                    deps.extend(built.upstream_node_ids.iter().cloned());
                    then_nodes.push(built.clone());
                    blocks.push(core::IfBlock {
                        condition: Some(expr),
                        then_node: Some(Box::new(built)),
                    });
                }
                let default = match otherwise {
                    Some(o) => {
                        let (built, outs) = self.build_node(scope, o)?;
                        if Some(&outs) != then_outputs.as_ref() {
                            return fail(
                                &entity,
                                format!("otherwise node {} has other outputs than the cases", o.id),
                            );
                        }
                        deps.extend(built.upstream_node_ids.iter().cloned());
                        Some(core::if_else_block::Default::ElseNode(Box::new(built)))
                    }
                    None => Some(core::if_else_block::Default::Error(core::Error {
                        failed_node_id: n.id.clone(),
                        message: format!("no case of branch {} matched", n.id),
                    })),
                };
                let mut blocks = blocks.into_iter();
                let case = blocks.next().map(Box::new);
                let target = core::node::Target::BranchNode(Box::new(core::BranchNode {
                    if_else: Some(Box::new(core::IfElseBlock {
                        case,
                        other: blocks.collect(),
                        default,
                    })),
                }));
                (
                    target,
                    BTreeMap::new(),
                    then_outputs.unwrap_or_default(),
                    operands,
                )
            }
        };
        if !matches!(n.target, Target::Branch { .. }) {
            let mut bound = HashSet::new();
            for (var, _) in &n.bindings {
                if !iface_inputs.contains_key(var) {
                    return fail(
                        &entity,
                        format!(
                            "binds {var:?}, which is not one of its inputs ({})",
                            iface_inputs.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
                if !bound.insert(var) {
                    return fail(&entity, format!("binds {var:?} twice"));
                }
            }
            for var in iface_inputs.keys() {
                if !bound.contains(var) {
                    return fail(&entity, format!("input {var:?} is not bound"));
                }
            }
        } else if !n.bindings.is_empty() {
            return fail(
                &entity,
                "a branch takes no bindings; bind the nodes of its cases",
            );
        }
        let mut inputs = Vec::new();
        for (var, source) in &n.bindings {
            let ty = &iface_inputs[var];
            inputs.push(core::Binding {
                var: var.clone(),
                binding: Some(scope.binding(&format!("{at} input {var}"), source, ty)?),
            });
            upstream(source, &mut deps);
        }
        inputs.append(&mut extra_inputs);
        deps.sort();
        deps.dedup();
        deps.retain(|d| d != &n.id);
        Ok((
            core::Node {
                id: n.id.clone(),
                metadata: Some(core::NodeMetadata {
                    name: n.id.clone(),
                    ..Default::default()
                }),
                inputs,
                upstream_node_ids: deps,
                target: Some(target),
                ..Default::default()
            },
            outputs,
        ))
    }

    /// A condition as a boolean expression; operands that are not constants become inputs of
    /// the branch node (`.0`, `.1`, ...), as pyflyte names them `.x`.
    fn condition(
        &self,
        scope: &Scope<'_>,
        at: &str,
        c: &Condition,
        operands: &mut Vec<core::Binding>,
    ) -> Result<core::BooleanExpression, BuildError> {
        use core::boolean_expression::Expr;
        use core::comparison_expression::Operator as Op;
        Ok(core::BooleanExpression {
            expr: Some(match c {
                Condition::Compare(l, op, r) => {
                    let lt = scope.type_of(at, l, None)?;
                    let rt = scope.type_of(at, r, None)?;
                    if !same_type(&lt, &rt) {
                        return Err(scope.err(
                            at,
                            format!(
                                "compares {} ({}) with {} ({})",
                                describe(l),
                                type_name(&lt),
                                describe(r),
                                type_name(&rt)
                            ),
                        ));
                    }
                    if !matches!(lt.r#type, Some(literal_type::Type::Simple(_))) {
                        return Err(scope.err(
                            at,
                            format!(
                                "{} is {}: conditions compare primitives",
                                describe(l),
                                type_name(&lt)
                            ),
                        ));
                    }
                    let mut operand = |s: &Source,
                                       ty: &LiteralType|
                     -> Result<core::Operand, BuildError> {
                        use core::operand::Val;
                        Ok(core::Operand {
                            val: Some(match s {
                                Source::Value(v) => {
                                    let lit = crate::literals::json_to_literal(v, ty, at)
                                        .map_err(|e| scope.err(at, e.to_string()))?;
                                    let primitive = match lit.value {
                                        Some(core::literal::Value::Scalar(s)) => s.value,
                                        _ => None,
                                    };
                                    let Some(core::scalar::Value::Primitive(p)) = primitive else {
                                        return Err(
                                            scope.err(at, "a constant operand must be a primitive")
                                        );
                                    };
                                    Val::Primitive(p)
                                }
                                other => {
                                    let var = format!(".{}", operands.len());
                                    operands.push(core::Binding {
                                        var: var.clone(),
                                        binding: Some(scope.binding(at, other, ty)?),
                                    });
                                    Val::Var(var)
                                }
                            }),
                        })
                    };
                    let left = operand(l, &lt)?;
                    let right = operand(r, &rt)?;
                    Expr::Comparison(core::ComparisonExpression {
                        operator: match op {
                            Compare::Eq => Op::Eq,
                            Compare::Ne => Op::Neq,
                            Compare::Gt => Op::Gt,
                            Compare::Gte => Op::Gte,
                            Compare::Lt => Op::Lt,
                            Compare::Lte => Op::Lte,
                        } as i32,
                        left_value: Some(left),
                        right_value: Some(right),
                    })
                }
                Condition::And(a, b) | Condition::Or(a, b) => {
                    let op = if matches!(c, Condition::And(..)) {
                        core::conjunction_expression::LogicalOperator::And
                    } else {
                        core::conjunction_expression::LogicalOperator::Or
                    };
                    Expr::Conjunction(Box::new(core::ConjunctionExpression {
                        operator: op as i32,
                        left_expression: Some(Box::new(self.condition(scope, at, a, operands)?)),
                        right_expression: Some(Box::new(self.condition(scope, at, b, operands)?)),
                    }))
                }
            }),
        })
    }

    /// The workflow as FlyteAdmin takes it.
    ///
    /// # Errors
    /// Bad names, duplicate or reserved node ids, unbound or unknown inputs, type mismatches,
    /// references to unknown nodes or outputs, and cycles; each error names the node.
    pub fn spec(&self) -> Result<admin::WorkflowSpec, BuildError> {
        let entity = format!("workflow {}", self.name);
        if self.name.trim().is_empty() {
            return fail("workflow", "no name");
        }
        check_names(&entity, "input", &self.inputs)?;
        let out_names: Vec<(String, LiteralType)> = self
            .outputs
            .iter()
            .map(|(n, _)| (n.clone(), types::string()))
            .collect();
        check_names(&entity, "output", &out_names)?;
        let mut seen = HashSet::new();
        for n in &self.nodes {
            if n.id.is_empty() || n.id == "start-node" || n.id == "end-node" {
                return fail(&entity, format!("node id {:?} is empty or reserved", n.id));
            }
            if !seen.insert(n.id.as_str()) {
                return fail(&entity, format!("node id {:?} is used twice", n.id));
            }
        }
        // Node outputs are typed in dependency order; a node that needs one not yet typed waits.
        let mut scope = Scope {
            entity: entity.clone(),
            inputs: self.inputs.iter().map(|(n, t)| (n.as_str(), t)).collect(),
            outputs: HashMap::new(),
        };
        let mut built: HashMap<&str, core::Node> = HashMap::new();
        let mut pending: Vec<&Node> = self.nodes.iter().collect();
        while !pending.is_empty() {
            let before = pending.len();
            let mut waiting = Vec::new();
            for n in pending {
                let mut needs = Vec::new();
                for (_, s) in &n.bindings {
                    upstream(s, &mut needs);
                }
                if let Target::Branch { cases, otherwise } = &n.target {
                    for (c, node) in cases {
                        condition_upstream(c, &mut needs);
                        for (_, s) in &node.bindings {
                            upstream(s, &mut needs);
                        }
                    }
                    for (_, s) in otherwise.iter().flat_map(|o| &o.bindings) {
                        upstream(s, &mut needs);
                    }
                }
                let ready = needs
                    .iter()
                    .all(|d| scope.outputs.contains_key(d) || !seen.contains(d.as_str()));
                if ready {
                    let (node, outs) = self.build_node(&scope, n)?;
                    scope.outputs.insert(n.id.clone(), outs);
                    built.insert(n.id.as_str(), node);
                } else {
                    waiting.push(n);
                }
            }
            if waiting.len() == before {
                let names: Vec<&str> = waiting.iter().map(|n| n.id.as_str()).collect();
                return fail(
                    &entity,
                    format!("nodes {} depend on each other in a cycle", names.join(", ")),
                );
            }
            pending = waiting;
        }
        let mut outputs = Vec::new();
        let mut output_types = Vec::new();
        for (name, source) in &self.outputs {
            let ty = scope.type_of(&format!("output {name}"), source, None)?;
            outputs.push(core::Binding {
                var: name.clone(),
                binding: Some(scope.binding(&format!("output {name}"), source, &ty)?),
            });
            output_types.push((name.clone(), ty));
        }
        let nodes = self
            .nodes
            .iter()
            .filter_map(|n| built.remove(n.id.as_str()))
            .collect();
        Ok(admin::WorkflowSpec {
            template: Some(core::WorkflowTemplate {
                id: Some(id(ResourceType::Workflow, &self.name)),
                metadata: Some(core::WorkflowMetadata::default()),
                interface: Some(interface(&self.inputs, &output_types)),
                nodes,
                outputs,
                metadata_defaults: Some(core::WorkflowMetadataDefaults::default()),
                ..Default::default()
            }),
            sub_workflows: Vec::new(),
            description: None,
        })
    }
}

/// A launch plan's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// A cron expression (five fields, or `@hourly`, `@daily`, ...).
    Cron(String),
    /// Every `value` `unit`s.
    Rate {
        /// How many.
        value: u32,
        /// Minutes, hours or days.
        unit: RateUnit,
    },
}

/// The unit of a [`Schedule::Rate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateUnit {
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days.
    Day,
}

/// Where a notification goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notify {
    /// Email addresses.
    Email(Vec<String>),
    /// Slack addresses.
    Slack(Vec<String>),
    /// PagerDuty addresses.
    PagerDuty(Vec<String>),
}

/// A launch plan of a workflow: defaults, fixed inputs, a schedule, notifications and how its
/// executions run.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct LaunchPlan {
    name: String,
    workflow: String,
    workflow_interface: Result<core::TypedInterface, BuildError>,
    defaults: Vec<(String, Json)>,
    fixed: Vec<(String, Json)>,
    schedule: Option<Schedule>,
    kickoff_input: Option<String>,
    notifications: Vec<(Vec<core::workflow_execution::Phase>, Notify)>,
    labels: Vec<(String, String)>,
    annotations: Vec<(String, String)>,
    service_account: String,
    iam_role: String,
    raw_output_prefix: String,
    max_parallelism: i32,
}

impl LaunchPlan {
    /// A launch plan `name` of `workflow`.
    pub fn new(name: impl Into<String>, workflow: &Workflow) -> Self {
        LaunchPlan {
            name: name.into(),
            workflow: workflow.name.clone(),
            workflow_interface: workflow.interface(),
            defaults: Vec::new(),
            fixed: Vec::new(),
            schedule: None,
            kickoff_input: None,
            notifications: Vec::new(),
            labels: Vec::new(),
            annotations: Vec::new(),
            service_account: String::new(),
            iam_role: String::new(),
            raw_output_prefix: String::new(),
            max_parallelism: 0,
        }
    }
    /// The workflow's default launch plan, named like it (what pyflyte packages beside each
    /// workflow).
    pub fn default_for(workflow: &Workflow) -> Self {
        LaunchPlan::new(workflow.name.clone(), workflow)
    }
    /// A default for input `name` (JSON, typed by the workflow's interface); callers may
    /// override it.
    pub fn default_input(mut self, name: impl Into<String>, value: impl Into<Json>) -> Self {
        self.defaults.push((name.into(), value.into()));
        self
    }
    /// A fixed input: callers may not override it.
    pub fn fixed_input(mut self, name: impl Into<String>, value: impl Into<Json>) -> Self {
        self.fixed.push((name.into(), value.into()));
        self
    }
    /// Run on a cron schedule.
    pub fn cron(mut self, expression: impl Into<String>) -> Self {
        self.schedule = Some(Schedule::Cron(expression.into()));
        self
    }
    /// Run every `value` `unit`s.
    pub fn rate(mut self, value: u32, unit: RateUnit) -> Self {
        self.schedule = Some(Schedule::Rate { value, unit });
        self
    }
    /// The datetime input that receives each scheduled run's time.
    pub fn kickoff_input(mut self, name: impl Into<String>) -> Self {
        self.kickoff_input = Some(name.into());
        self
    }
    /// Notify when an execution reaches one of `phases`.
    pub fn notify(
        mut self,
        phases: impl IntoIterator<Item = core::workflow_execution::Phase>,
        to: Notify,
    ) -> Self {
        self.notifications.push((phases.into_iter().collect(), to));
        self
    }
    /// A label on every execution.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.push((key.into(), value.into()));
        self
    }
    /// An annotation on every execution.
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.push((key.into(), value.into()));
        self
    }
    /// Executions run as this Kubernetes service account.
    pub fn service_account(mut self, sa: impl Into<String>) -> Self {
        self.service_account = sa.into();
        self
    }
    /// Executions assume this IAM role.
    pub fn iam_role(mut self, role: impl Into<String>) -> Self {
        self.iam_role = role.into();
        self
    }
    /// Raw outputs go under this prefix.
    pub fn raw_output_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.raw_output_prefix = prefix.into();
        self
    }
    /// At most this many nodes of an execution run at once.
    pub fn max_parallelism(mut self, n: i32) -> Self {
        self.max_parallelism = n;
        self
    }

    /// The launch plan's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn literals(
        &self,
        entity: &str,
        what: &str,
        values: &[(String, Json)],
        types: &BTreeMap<String, LiteralType>,
    ) -> Result<core::LiteralMap, BuildError> {
        let mut out = HashMap::new();
        for (name, v) in values {
            let ty = types.get(name).ok_or_else(|| BuildError {
                entity: entity.to_owned(),
                message: format!(
                    "{what} input {name:?} is not an input of workflow {}",
                    self.workflow
                ),
            })?;
            let lit = crate::literals::json_to_literal(v, ty, &format!("{what} input {name}"))
                .map_err(|e| BuildError {
                    entity: entity.to_owned(),
                    message: e.to_string(),
                })?;
            if out.insert(name.clone(), lit).is_some() {
                return fail(entity, format!("{what} input {name:?} is given twice"));
            }
        }
        Ok(core::LiteralMap { literals: out })
    }

    /// The launch plan as FlyteAdmin takes it.
    ///
    /// # Errors
    /// The workflow's own errors; inputs the workflow does not have or of the wrong type; a
    /// scheduled plan with inputs that have no value (flytectl's check); a malformed cron
    /// expression or a zero rate.
    #[allow(deprecated)]
    pub fn spec(&self) -> Result<admin::LaunchPlan, BuildError> {
        let entity = format!("launch plan {}", self.name);
        if self.name.trim().is_empty() {
            return fail("launch plan", "no name");
        }
        let iface = self.workflow_interface.clone()?;
        let types = inputs_of(&iface);
        let defaults = self.literals(&entity, "default", &self.defaults, &types)?;
        let fixed = self.literals(&entity, "fixed", &self.fixed, &types)?;
        if let Some(both) = fixed
            .literals
            .keys()
            .find(|k| defaults.literals.contains_key(*k))
        {
            return fail(&entity, format!("input {both:?} is both default and fixed"));
        }
        let schedule = match &self.schedule {
            None => None,
            Some(s) => {
                let expr = match s {
                    Schedule::Cron(c) => {
                        let fields = c.split_whitespace().count();
                        if !(fields == 5 || (fields == 1 && c.starts_with('@'))) {
                            return fail(&entity, format!("cron expression {c:?}: expected five fields (minute hour day month weekday) or @hourly, @daily, ..."));
                        }
                        admin::schedule::ScheduleExpression::CronSchedule(admin::CronSchedule {
                            schedule: c.clone(),
                            offset: String::new(),
                        })
                    }
                    Schedule::Rate { value, unit } => {
                        if *value == 0 {
                            return fail(&entity, "a rate of 0");
                        }
                        admin::schedule::ScheduleExpression::Rate(admin::FixedRate {
                            value: *value,
                            unit: match unit {
                                RateUnit::Minute => admin::FixedRateUnit::Minute,
                                RateUnit::Hour => admin::FixedRateUnit::Hour,
                                RateUnit::Day => admin::FixedRateUnit::Day,
                            } as i32,
                        })
                    }
                };
                let kickoff = self.kickoff_input.clone().unwrap_or_default();
                if !kickoff.is_empty()
                    && types
                        .get(&kickoff)
                        .is_none_or(|t| !same_type(t, &types::datetime()))
                {
                    return fail(
                        &entity,
                        format!(
                            "kickoff input {kickoff:?} must be a datetime input of the workflow"
                        ),
                    );
                }
                let missing: Vec<&String> = types
                    .keys()
                    .filter(|k| {
                        **k != kickoff
                            && !defaults.literals.contains_key(*k)
                            && !fixed.literals.contains_key(*k)
                    })
                    .collect();
                if !missing.is_empty() {
                    return fail(
                        &entity,
                        format!("scheduled, but inputs {missing:?} have no default or fixed value"),
                    );
                }
                Some(admin::Schedule {
                    kickoff_time_input_arg: kickoff,
                    schedule_expression: Some(expr),
                })
            }
        };
        let parameters = types
            .iter()
            .filter(|(k, _)| !fixed.literals.contains_key(*k))
            .map(|(k, t)| {
                let default = defaults.literals.get(k).cloned();
                let parameter = core::Parameter {
                    var: Some(core::Variable {
                        r#type: Some(t.clone()),
                        ..Default::default()
                    }),
                    behavior: Some(match default {
                        Some(d) => core::parameter::Behavior::Default(d),
                        None => core::parameter::Behavior::Required(true),
                    }),
                };
                (k.clone(), parameter)
            })
            .collect();
        let notifications = self
            .notifications
            .iter()
            .map(|(phases, to)| admin::Notification {
                phases: phases.iter().map(|p| *p as i32).collect(),
                r#type: Some(match to {
                    Notify::Email(r) => {
                        admin::notification::Type::Email(admin::EmailNotification {
                            recipients_email: r.clone(),
                        })
                    }
                    Notify::Slack(r) => {
                        admin::notification::Type::Slack(admin::SlackNotification {
                            recipients_email: r.clone(),
                        })
                    }
                    Notify::PagerDuty(r) => {
                        admin::notification::Type::PagerDuty(admin::PagerDutyNotification {
                            recipients_email: r.clone(),
                        })
                    }
                }),
            })
            .collect();
        let run_as = (!self.service_account.is_empty() || !self.iam_role.is_empty()).then(|| {
            core::Identity {
                iam_role: self.iam_role.clone(),
                k8s_service_account: self.service_account.clone(),
                ..Default::default()
            }
        });
        Ok(admin::LaunchPlan {
            id: Some(id(ResourceType::LaunchPlan, &self.name)),
            spec: Some(admin::LaunchPlanSpec {
                workflow_id: Some(id(ResourceType::Workflow, &self.workflow)),
                entity_metadata: Some(admin::LaunchPlanMetadata {
                    schedule,
                    notifications,
                    ..Default::default()
                }),
                default_inputs: Some(core::ParameterMap { parameters }),
                fixed_inputs: Some(fixed),
                labels: Some(admin::Labels {
                    values: self.labels.iter().cloned().collect(),
                }),
                annotations: Some(admin::Annotations {
                    values: self.annotations.iter().cloned().collect(),
                }),
                auth_role: run_as.as_ref().map(|r| admin::AuthRole {
                    assumable_iam_role: r.iam_role.clone(),
                    kubernetes_service_account: r.k8s_service_account.clone(),
                }),
                security_context: run_as.map(|r| core::SecurityContext {
                    run_as: Some(r),
                    ..Default::default()
                }),
                raw_output_data_config: (!self.raw_output_prefix.is_empty()).then(|| {
                    admin::RawOutputDataConfig {
                        output_location_prefix: self.raw_output_prefix.clone(),
                    }
                }),
                max_parallelism: self.max_parallelism,
                ..Default::default()
            }),
            closure: None,
        })
    }
}

impl Package {
    fn push(&mut self, kind: u8, name: &str, entity: Entity) {
        let file = format!("{:03}_{name}_{kind}.pb", self.entries.len());
        self.entries.push(PackageEntry::new(file, entity));
    }

    fn has(&self, rt: ResourceType, name: &str) -> bool {
        self.entries.iter().any(|e| {
            let id = e.entity.id();
            id.resource_type == rt as i32 && id.name == name
        })
    }

    /// Adds a task.
    ///
    /// # Errors
    /// [`ContainerTask::spec`]'s; a task of that name already in the package.
    pub fn add_task(&mut self, task: &ContainerTask) -> Result<&mut Self, BuildError> {
        let spec = task.spec()?;
        if self.has(ResourceType::Task, &task.name) {
            return fail(&task.label(), "is already in the package");
        }
        self.push(1, &task.name, Entity::Task(spec));
        Ok(self)
    }

    /// Adds a workflow, after the tasks it runs.
    ///
    /// # Errors
    /// [`Workflow::spec`]'s; a node running a task built in Rust that is not in the package
    /// yet; a workflow of that name already in it.
    pub fn add_workflow(&mut self, workflow: &Workflow) -> Result<&mut Self, BuildError> {
        let spec = workflow.spec()?;
        let entity = format!("workflow {}", workflow.name);
        for (node, task) in workflow.local_tasks() {
            if !self.has(ResourceType::Task, task) {
                return fail(&format!("{entity} node {node}"), format!("task {task} is not in the package: add it first (or use Node::task_ref for a registered task)"));
            }
        }
        if self.has(ResourceType::Workflow, &workflow.name) {
            return fail(&entity, "is already in the package");
        }
        self.push(2, &workflow.name, Entity::Workflow(spec));
        Ok(self)
    }

    /// Adds a launch plan, after its workflow.
    ///
    /// # Errors
    /// [`LaunchPlan::spec`]'s; its workflow not in the package; a launch plan of that name
    /// already in it.
    pub fn add_launch_plan(&mut self, lp: &LaunchPlan) -> Result<&mut Self, BuildError> {
        let spec = lp.spec()?;
        let entity = format!("launch plan {}", lp.name);
        if !self.has(ResourceType::Workflow, &lp.workflow) {
            return fail(
                &entity,
                format!(
                    "workflow {} is not in the package: add it first",
                    lp.workflow
                ),
            );
        }
        if self.has(ResourceType::LaunchPlan, &lp.name) {
            return fail(&entity, "is already in the package");
        }
        self.push(3, &lp.name, Entity::LaunchPlan(spec));
        Ok(self)
    }
}
