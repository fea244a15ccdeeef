//! Task pods stuck in Terminating: with `plugins.k8s.inject-finalizer` on, propeller puts its
//! finalizer ([`TASK_FINALIZERS`]) on each task pod and removes it when it is done with the
//! pod. When the execution ended without that (propeller down or restarted at the wrong moment,
//! the FlyteWorkflow deleted), a deleted pod stays in Terminating for good. Such pods are found
//! by the labels propeller puts on every task pod: `execution-id` (the execution's name, which
//! is its FlyteWorkflow's name, in the same namespace) and `node-id`.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::Resource as _;

use crate::client::{Change, K8s};
use crate::error::{Error, ObjectRef, Result};
use crate::finalizers::{among, TASK_FINALIZERS};
use crate::propeller::{FlyteWorkflowInfo, WorkflowPhase};

/// The label propeller puts on a task pod naming its execution (and FlyteWorkflow).
const EXECUTION_LABEL: &str = "execution-id";
/// The label propeller puts on a task pod naming its node.
const NODE_LABEL: &str = "node-id";

/// A task pod Kubernetes is deleting but propeller's finalizer holds, although its execution
/// has ended: nothing will ever remove the finalizer. [`K8s::free_task_pod`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeldTaskPod {
    /// Its namespace (the execution's).
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Its execution (`execution-id` label), which is also its FlyteWorkflow's name.
    pub execution: String,
    /// Its node (`node-id` label; empty without one).
    pub node: String,
    /// When its deletion was asked for.
    pub deleting_since: Option<SystemTime>,
    /// Propeller's finalizers on it (other controllers' are not listed and are kept).
    pub finalizers: Vec<String>,
    /// How its execution ended: the FlyteWorkflow's terminal phase, or `None` when the
    /// FlyteWorkflow is gone.
    pub workflow_phase: Option<WorkflowPhase>,
}

/// Whether an execution is over, as its FlyteWorkflow says: gone or terminal. `Err` carries
/// the phase of one still in progress (`None`: not started).
fn ended(wf: Option<&FlyteWorkflowInfo>) -> Result<Option<WorkflowPhase>, Option<WorkflowPhase>> {
    match wf {
        None => Ok(None),
        Some(w) => match w.phase {
            Some(p) if p.is_terminal() => Ok(Some(p)),
            other => Err(other),
        },
    }
}

impl K8s {
    /// The FlyteWorkflow named `execution` in `namespace`, or `None` when it is gone.
    async fn workflow_if_any(
        &self,
        namespace: &str,
        execution: &str,
    ) -> Result<Option<FlyteWorkflowInfo>> {
        match self.flyteworkflow(namespace, execution).await {
            Ok(wf) => Ok(Some(wf)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The task pods in `namespace` (or every namespace) that are being deleted, held by
    /// propeller's finalizer, and whose execution has ended (its FlyteWorkflow is gone or
    /// terminal), sorted by namespace and name.
    ///
    /// # Errors
    /// The API's errors (listing pods, reading FlyteWorkflows).
    pub async fn held_task_pods(&self, namespace: Option<&str>) -> Result<Vec<HeldTaskPod>> {
        let api: Api<Pod> = match namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        };
        let pods = self
            .list_all(
                &api,
                ListParams::default().labels(EXECUTION_LABEL),
                ObjectRef::new("pod", namespace, ""),
            )
            .await?;
        let mut workflows: HashMap<(String, String), Option<FlyteWorkflowInfo>> = HashMap::new();
        let mut held = Vec::new();
        for pod in pods {
            let meta = &pod.metadata;
            let finalizers = among(
                meta.finalizers.as_deref().unwrap_or_default(),
                &TASK_FINALIZERS,
            );
            let (Some(deleting), false) = (&meta.deletion_timestamp, finalizers.is_empty()) else {
                continue;
            };
            let label = |key: &str| {
                meta.labels
                    .as_ref()
                    .and_then(|l| l.get(key))
                    .cloned()
                    .unwrap_or_default()
            };
            let ns = meta.namespace.clone().unwrap_or_default();
            let execution = label(EXECUTION_LABEL);
            let key = (ns.clone(), execution.clone());
            if !workflows.contains_key(&key) {
                let wf = self.workflow_if_any(&ns, &execution).await?;
                workflows.insert(key.clone(), wf);
            }
            let Ok(workflow_phase) = ended(workflows.get(&key).and_then(Option::as_ref)) else {
                continue;
            };
            held.push(HeldTaskPod {
                namespace: ns,
                name: meta.name.clone().unwrap_or_default(),
                execution,
                node: label(NODE_LABEL),
                deleting_since: u64::try_from(deleting.0.timestamp())
                    .ok()
                    .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s)),
                finalizers,
                workflow_phase,
            });
        }
        held.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        Ok(held)
    }

    /// Frees a task pod held in Terminating by propeller's finalizer (see
    /// [`K8s::held_task_pods`]): removes propeller's finalizers
    /// ([`TASK_FINALIZERS`](crate::TASK_FINALIZERS)) and keeps other controllers', so
    /// Kubernetes can finish deleting it. Refuses a pod that is not being deleted, is not a
    /// task pod, or whose execution has not ended, as propeller may still need it.
    ///
    /// The write is one JSON patch guarded by the resourceVersion read, as
    /// [`K8s::remove_finalizers`] writes: a pod that changed in between is [`Error::Conflict`]
    /// and is not written. A pod without propeller's finalizers is
    /// [`Action::Unchanged`](crate::Action::Unchanged).
    ///
    /// # Errors
    /// [`Error::Invalid`] for a pod it refuses; [`Error::Conflict`] when the pod changed after
    /// it was read; the API's errors.
    pub async fn free_task_pod(&self, namespace: &str, name: &str) -> Result<Change> {
        let object = ObjectRef::new("pod", Some(namespace), name);
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let pod = api
            .get(name)
            .await
            .map_err(|e| Error::from_kube(object.clone(), e))?;
        let Some(execution) = pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(EXECUTION_LABEL))
        else {
            return Err(Error::invalid(format!(
                "{object} has no {EXECUTION_LABEL} label: not a Flyte task pod"
            )));
        };
        if pod.metadata.deletion_timestamp.is_none() {
            return Err(Error::invalid(format!(
                "{object} is not being deleted: propeller removes its finalizer when it is done \
                 with it"
            )));
        }
        let wf = self.workflow_if_any(namespace, execution).await?;
        if let Err(phase) = ended(wf.as_ref()) {
            return Err(Error::invalid(format!(
                "{object}: its execution {execution} is {}: propeller may still need the pod",
                phase.map_or_else(|| "not started".to_owned(), |p| p.to_string())
            )));
        }
        self.remove_finalizers_guarded(
            object,
            &Pod::url_path(&(), Some(namespace)),
            &pod.metadata,
            &TASK_FINALIZERS,
        )
        .await
    }
}
