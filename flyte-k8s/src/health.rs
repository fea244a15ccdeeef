//! The health of a Flyte deployment in one namespace: which layout it is (flyte-binary or
//! flyte-core), and for each component its replicas, restarts, crash loops and images, summed
//! up in one verdict with its reasons.

use std::fmt;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};

use crate::client::K8s;
use crate::error::{ObjectRef, Result};

/// How Flyte was installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Layout {
    /// The `flyte-binary` chart: one deployment runs every component.
    FlyteBinary,
    /// The `flyte-core` chart: a deployment per component.
    FlyteCore,
    /// No Flyte component found.
    NotFound,
}

/// The components flyte-rs recognises, by the names the charts give their deployments.
const COMPONENTS: [(&str, bool); 8] = [
    // (name, required for Flyte to work)
    ("flyte-binary", true),
    ("flyteadmin", true),
    ("flytepropeller", true),
    ("datacatalog", false),
    ("flyteconsole", false),
    ("flytescheduler", false),
    ("flyteconnector", false),
    ("flyteagent", false),
];

/// Restarts (without a crash loop now) that make a component worth a look.
const RESTARTS_WORTH_A_LOOK: i32 = 5;

/// One component's state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComponentHealth {
    /// `flyteadmin`, `flytepropeller`, `flyte-binary`, ...
    pub component: String,
    /// The deployment's name.
    pub deployment: String,
    /// Replicas wanted.
    pub desired: i32,
    /// Replicas ready.
    pub ready: i32,
    /// Container restarts over its pods.
    pub restarts: i32,
    /// Pods whose containers are in CrashLoopBackOff.
    pub crash_looping: Vec<String>,
    /// The images it runs (their tags are the version).
    pub images: Vec<String>,
    /// Whether Flyte does not work without it.
    pub required: bool,
}

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Every component has its replicas ready and nothing crash-loops.
    Healthy,
    /// Flyte works, but something is short or restarting.
    Degraded,
    /// A required component has no ready replica, or nothing was found.
    Down,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Healthy => "healthy",
            Verdict::Degraded => "degraded",
            Verdict::Down => "down",
        })
    }
}

/// The health of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Health {
    /// The namespace looked at.
    pub namespace: String,
    /// The layout found.
    pub layout: Layout,
    /// Each component found.
    pub components: Vec<ComponentHealth>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why, one line each, worst first.
    pub reasons: Vec<String>,
}

/// The component a deployment is, from its `app.kubernetes.io/name` label or its name.
fn component_of(d: &Deployment) -> Option<(&'static str, bool)> {
    let label = d
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("app.kubernetes.io/name"))
        .map(String::as_str);
    let name = d.metadata.name.as_deref().unwrap_or_default();
    COMPONENTS
        .iter()
        .copied()
        .find(|(c, _)| label == Some(*c) || name == *c || name.ends_with(&format!("-{c}")))
}

impl K8s {
    /// Looks at the Flyte deployment in `namespace` (the charts' default is `flyte`).
    ///
    /// # Errors
    /// The API's errors (listing deployments and pods needs `list` on both).
    pub async fn deployment_health(&self, namespace: &str) -> Result<Health> {
        let deployments: Api<Deployment> = Api::namespaced(self.client.clone(), namespace);
        let list = self
            .list_all(
                &deployments,
                ListParams::default(),
                ObjectRef::new("deployment", Some(namespace), ""),
            )
            .await?;
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let mut components = Vec::new();
        for d in &list {
            let Some((component, required)) = component_of(d) else {
                continue;
            };
            let spec = d.spec.as_ref();
            let selector = spec
                .and_then(|s| s.selector.match_labels.as_ref())
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            let mut restarts = 0;
            let mut crash_looping = Vec::new();
            if !selector.is_empty() {
                let found = self
                    .list_all(
                        &pods,
                        ListParams::default().labels(&selector),
                        ObjectRef::new("pod", Some(namespace), ""),
                    )
                    .await?;
                for p in found {
                    let statuses = p
                        .status
                        .and_then(|s| s.container_statuses)
                        .unwrap_or_default();
                    restarts += statuses.iter().map(|c| c.restart_count).sum::<i32>();
                    if statuses.iter().any(|c| {
                        c.state
                            .as_ref()
                            .and_then(|s| s.waiting.as_ref())
                            .and_then(|w| w.reason.as_deref())
                            == Some("CrashLoopBackOff")
                    }) {
                        crash_looping.push(p.metadata.name.unwrap_or_default());
                    }
                }
            }
            components.push(ComponentHealth {
                component: component.to_owned(),
                deployment: d.metadata.name.clone().unwrap_or_default(),
                desired: spec.and_then(|s| s.replicas).unwrap_or(1),
                ready: d
                    .status
                    .as_ref()
                    .and_then(|s| s.ready_replicas)
                    .unwrap_or(0),
                restarts,
                crash_looping,
                images: spec
                    .map(|s| {
                        s.template
                            .spec
                            .iter()
                            .flat_map(|p| &p.containers)
                            .filter_map(|c| c.image.clone())
                            .collect()
                    })
                    .unwrap_or_default(),
                required,
            });
        }
        Ok(judge(namespace, components))
    }
}

/// The verdict and its reasons.
fn judge(namespace: &str, mut components: Vec<ComponentHealth>) -> Health {
    components.sort_by(|a, b| a.component.cmp(&b.component));
    let has = |c: &str| components.iter().any(|x| x.component == c);
    let layout = if has("flyte-binary") {
        Layout::FlyteBinary
    } else if has("flyteadmin") || has("flytepropeller") {
        Layout::FlyteCore
    } else {
        Layout::NotFound
    };
    let mut down = Vec::new();
    let mut degraded = Vec::new();
    if layout == Layout::NotFound {
        down.push(format!(
            "no Flyte deployment in namespace {namespace} (looked for flyte-binary, flyteadmin, flytepropeller)"
        ));
    }
    if layout == Layout::FlyteCore {
        for c in ["flyteadmin", "flytepropeller"] {
            if !has(c) {
                down.push(format!("{c} is missing"));
            }
        }
    }
    for c in &components {
        if c.desired > 0 && c.ready == 0 && c.required {
            down.push(format!(
                "{}: no replica ready (0/{})",
                c.component, c.desired
            ));
        } else if c.ready < c.desired {
            degraded.push(format!(
                "{}: {}/{} replicas ready",
                c.component, c.ready, c.desired
            ));
        }
        if !c.crash_looping.is_empty() {
            degraded.push(format!(
                "{}: crash looping ({}), {} restarts",
                c.component,
                c.crash_looping.join(", "),
                c.restarts
            ));
        } else if c.restarts >= RESTARTS_WORTH_A_LOOK {
            degraded.push(format!(
                "{}: {} container restarts",
                c.component, c.restarts
            ));
        }
    }
    let verdict = if !down.is_empty() {
        Verdict::Down
    } else if !degraded.is_empty() {
        Verdict::Degraded
    } else {
        Verdict::Healthy
    };
    down.extend(degraded);
    Health {
        namespace: namespace.to_owned(),
        layout,
        components,
        verdict,
        reasons: down,
    }
}
