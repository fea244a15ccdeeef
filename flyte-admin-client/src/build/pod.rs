//! Pod templates: a task's Kubernetes pod, with the task's container merged in.

use std::collections::BTreeMap;

use flyteidl::flyteidl::core;
use serde_json::Value as Json;

use super::{fail, BuildError};

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
    pub(super) primary_container_name: String,
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
    pub(super) fn k8s_pod(
        &self,
        entity: &str,
        task: core::Container,
    ) -> Result<core::K8sPod, BuildError> {
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
