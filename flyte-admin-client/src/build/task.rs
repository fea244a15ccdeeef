//! Container tasks and the compute resources they ask for.

use std::collections::HashMap;
use std::time::Duration;

use flyteidl::flyteidl::admin;
use flyteidl::flyteidl::core::{self, LiteralType, ResourceType};

use super::{check_names, fail, id, interface, BuildError, PodTemplate};

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
    cache_ignore_inputs: Vec<String>,
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
            cache_ignore_inputs: Vec::new(),
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
    /// Cache outputs under this cache version (flytekit's `cache=True, cache_version=...`):
    /// a run whose inputs match an earlier successful run of the same cache version and
    /// interface reuses its outputs instead of running. Change the version to invalidate
    /// what is cached.
    pub fn cache(mut self, version: impl Into<String>) -> Self {
        self.cache_version = Some(version.into());
        self
    }
    /// Run one instance at a time per cache key (flytekit's `cache_serialize`): concurrent
    /// runs with the same inputs wait for the first and reuse its outputs. Needs
    /// [`Self::cache`].
    pub fn cache_serializable(mut self, yes: bool) -> Self {
        self.cache_serializable = yes;
        self
    }
    /// Inputs left out of the cache key (flytekit's `cache_ignore_input_vars`): runs that
    /// differ only in these reuse each other's outputs. Replaces earlier calls; each name must
    /// be an input of the task. Needs [`Self::cache`].
    pub fn cache_ignore_inputs<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Self {
        self.cache_ignore_inputs = names.into_iter().map(Into::into).collect();
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

    /// The cache settings as flytekit checks them, and as propeller would fail them at run
    /// time: propeller trims spaces from the version and rejects what is left empty.
    fn check_cache(&self, entity: &str) -> Result<(), BuildError> {
        if self.cache_version.is_none() {
            if self.cache_serializable {
                return fail(entity, "cache_serializable needs cache(version)");
            }
            if !self.cache_ignore_inputs.is_empty() {
                return fail(entity, "cache_ignore_inputs needs cache(version)");
            }
        }
        if self
            .cache_version
            .as_deref()
            .is_some_and(|v| v.trim_matches(' ').is_empty())
        {
            return fail(
                entity,
                "an empty cache version (Flyte trims spaces from it and rejects what is left empty)",
            );
        }
        for name in &self.cache_ignore_inputs {
            if !self.inputs.iter().any(|(input, _)| input == name) {
                let inputs: Vec<&str> = self.inputs.iter().map(|(n, _)| n.as_str()).collect();
                return fail(
                    entity,
                    format!(
                        "cache_ignore_inputs names {name:?}, which is not an input (inputs: {})",
                        if inputs.is_empty() {
                            "none".to_owned()
                        } else {
                            inputs.join(", ")
                        }
                    ),
                );
            }
        }
        Ok(())
    }

    pub(crate) fn label(&self) -> String {
        format!("task {}", self.name)
    }

    /// The task as FlyteAdmin takes it.
    ///
    /// # Errors
    /// No name, image or command; bad variable names; resources that are not quantities; a
    /// cache version that is empty or only spaces; cache_serializable or ignored inputs without
    /// a cache version; an ignored input the task does not have; a pod template that is not a
    /// Kubernetes pod spec.
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
        self.check_cache(&entity)?;
        let resources = core::Resources {
            requests: self.requests.entries(&entity)?,
            limits: self.limits.entries(&entity)?,
        };
        let metadata = core::TaskMetadata {
            discoverable: self.cache_version.is_some(),
            discovery_version: self.cache_version.clone().unwrap_or_default(),
            cache_serializable: self.cache_serializable,
            cache_ignore_input_vars: self.cache_ignore_inputs.clone(),
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
