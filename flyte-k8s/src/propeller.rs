//! FlyteWorkflow custom resources (`flyteworkflows.flyte.lyft.com/v1alpha1`), the objects
//! flytepropeller executes: list them, find the stuck ones, free a stuck finalizer, and read
//! propeller's log for one execution.

use std::fmt;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, LogParams};
use kube::core::GroupVersionKind;
use kube::Resource as _;

use crate::client::{Change, K8s};
use crate::error::{Error, ObjectRef, Result};
use crate::finalizers::{among, WORKFLOW_FINALIZERS};

pub(crate) fn resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("flyte.lyft.com", "v1alpha1", "FlyteWorkflow"),
        "flyteworkflows",
    )
}

/// A FlyteWorkflow's phase, as propeller numbers them (`v1alpha1.WorkflowPhase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WorkflowPhase {
    /// Created, not yet started (0).
    Ready,
    /// Running (1).
    Running,
    /// Finishing successfully (2).
    Succeeding,
    /// Done (3).
    Success,
    /// Finishing with a failure (4).
    Failing,
    /// Failed (5).
    Failed,
    /// Aborted (6).
    Aborted,
    /// Timed out (7).
    TimedOut,
    /// Running its failure node (8).
    HandlingFailureNode,
    /// A number this version does not know.
    Other(i64),
}

impl WorkflowPhase {
    fn from_number(n: i64) -> WorkflowPhase {
        match n {
            0 => WorkflowPhase::Ready,
            1 => WorkflowPhase::Running,
            2 => WorkflowPhase::Succeeding,
            3 => WorkflowPhase::Success,
            4 => WorkflowPhase::Failing,
            5 => WorkflowPhase::Failed,
            6 => WorkflowPhase::Aborted,
            7 => WorkflowPhase::TimedOut,
            8 => WorkflowPhase::HandlingFailureNode,
            n => WorkflowPhase::Other(n),
        }
    }

    /// Whether propeller is done with it.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            WorkflowPhase::Success
                | WorkflowPhase::Failed
                | WorkflowPhase::Aborted
                | WorkflowPhase::TimedOut
        )
    }
}

impl fmt::Display for WorkflowPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkflowPhase::Other(n) => write!(f, "phase {n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// What flyte-rs reads of a FlyteWorkflow.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlyteWorkflowInfo {
    /// Its namespace (the execution's).
    pub namespace: String,
    /// Its name (the execution's name).
    pub name: String,
    /// Its phase; `None` when propeller never recorded one.
    pub phase: Option<WorkflowPhase>,
    /// When it was created.
    pub created: Option<SystemTime>,
    /// When propeller last updated its status.
    pub last_updated: Option<SystemTime>,
    /// Its finalizers (propeller's are [`WORKFLOW_FINALIZERS`](crate::WORKFLOW_FINALIZERS)).
    pub finalizers: Vec<String>,
    /// Propeller's status message, if any.
    pub message: String,
}

/// Why a FlyteWorkflow looks stuck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StuckReason {
    /// Not terminal, and its status has not changed for longer than the threshold.
    NotProgressing,
    /// Terminal, yet still holding propeller's finalizer longer than the threshold (it cannot be
    /// deleted; propeller may be down or the finalizer orphaned).
    FinalizerNotReleased,
    /// Created longer than the threshold ago and never picked up by propeller.
    NeverPickedUp,
}

impl fmt::Display for StuckReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StuckReason::NotProgressing => "not progressing",
            StuckReason::FinalizerNotReleased => "finished but its finalizer is not released",
            StuckReason::NeverPickedUp => "never picked up by propeller",
        })
    }
}

fn time(text: &str) -> Option<SystemTime> {
    let (secs, _) = flyte_config::parse_rfc3339(text)?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

impl FlyteWorkflowInfo {
    fn from_object(o: &DynamicObject) -> FlyteWorkflowInfo {
        let status = &o.data["status"];
        FlyteWorkflowInfo {
            namespace: o.metadata.namespace.clone().unwrap_or_default(),
            name: o.metadata.name.clone().unwrap_or_default(),
            phase: status["phase"].as_i64().map(WorkflowPhase::from_number),
            created: o.metadata.creation_timestamp.as_ref().and_then(|t| {
                let secs = u64::try_from(t.0.timestamp()).ok()?;
                Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
            }),
            last_updated: status["lastUpdatedAt"].as_str().and_then(time),
            finalizers: o.metadata.finalizers.clone().unwrap_or_default(),
            message: status["message"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// Why it looks stuck at `now`, given how long things may take.
    pub fn stuck(&self, now: SystemTime, threshold: Duration) -> Option<StuckReason> {
        let older = |t: Option<SystemTime>| {
            t.and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > threshold)
        };
        match self.phase {
            None if older(self.created) => Some(StuckReason::NeverPickedUp),
            Some(p) if p.is_terminal() => (!among(&self.finalizers, &WORKFLOW_FINALIZERS)
                .is_empty()
                && older(self.last_updated.or(self.created)))
            .then_some(StuckReason::FinalizerNotReleased),
            Some(WorkflowPhase::Ready) if self.last_updated.is_none() && older(self.created) => {
                Some(StuckReason::NeverPickedUp)
            }
            Some(_) if older(self.last_updated.or(self.created)) => {
                Some(StuckReason::NotProgressing)
            }
            _ => None,
        }
    }
}

impl K8s {
    /// The FlyteWorkflows in `namespace`, or in every namespace.
    ///
    /// # Errors
    /// The API's errors (a cluster without the CRD answers not found).
    pub async fn flyteworkflows(&self, namespace: Option<&str>) -> Result<Vec<FlyteWorkflowInfo>> {
        let ar = resource();
        let api: Api<DynamicObject> = match namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &ar),
            None => Api::all_with(self.client.clone(), &ar),
        };
        let list = self
            .list_all(
                &api,
                ListParams::default(),
                ObjectRef::new("flyteworkflow", namespace, ""),
            )
            .await?;
        let mut out: Vec<_> = list.iter().map(FlyteWorkflowInfo::from_object).collect();
        out.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        Ok(out)
    }

    /// One FlyteWorkflow.
    ///
    /// # Errors
    /// [`Error::NotFound`]; the API's errors.
    pub async fn flyteworkflow(&self, namespace: &str, name: &str) -> Result<FlyteWorkflowInfo> {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), namespace, &resource());
        let o = api.get(name).await.map_err(|e| {
            Error::from_kube(ObjectRef::new("flyteworkflow", Some(namespace), name), e)
        })?;
        Ok(FlyteWorkflowInfo::from_object(&o))
    }

    /// Removes propeller's finalizers ([`WORKFLOW_FINALIZERS`](crate::WORKFLOW_FINALIZERS):
    /// `flyte.org/finalizer` and the older `flyte-finalizer`) from a FlyteWorkflow so
    /// Kubernetes can delete it: for one that propeller will never release (see
    /// [`StuckReason::FinalizerNotReleased`]). Other controllers' finalizers stay. Refuses one
    /// that is not terminal, which propeller may still be working on.
    ///
    /// The write is one JSON patch guarded by the resourceVersion read: if the FlyteWorkflow
    /// changed in between, nothing is written and the answer is [`Error::Conflict`]. With none
    /// of propeller's finalizers on it, nothing is written and the change is
    /// [`Action::Unchanged`](crate::Action::Unchanged).
    ///
    /// # Errors
    /// [`Error::Invalid`] for a FlyteWorkflow that is still running; [`Error::Conflict`] when
    /// it changed after it was read; the API's errors.
    pub async fn remove_finalizers(&self, namespace: &str, name: &str) -> Result<Change> {
        let object = ObjectRef::new("flyteworkflow", Some(namespace), name);
        let ar = resource();
        let api: Api<DynamicObject> = Api::namespaced_with(self.client.clone(), namespace, &ar);
        let o = api
            .get(name)
            .await
            .map_err(|e| Error::from_kube(object.clone(), e))?;
        let wf = FlyteWorkflowInfo::from_object(&o);
        if !wf.phase.is_some_and(WorkflowPhase::is_terminal) {
            return Err(Error::invalid(format!(
                "{object} is {}: only a finished FlyteWorkflow's finalizer may be removed",
                wf.phase
                    .map_or_else(|| "not started".to_owned(), |p| p.to_string())
            )));
        }
        self.remove_finalizers_guarded(
            object,
            &DynamicObject::url_path(&ar, Some(namespace)),
            &o.metadata,
            &WORKFLOW_FINALIZERS,
        )
        .await
    }

    /// The lines of propeller's log that mention `execution` (its name), from the
    /// flytepropeller deployment's pods or, with flyte-binary, the binary's; at most
    /// `tail` lines are read from each pod.
    ///
    /// # Errors
    /// The API's errors.
    pub async fn propeller_log(
        &self,
        namespace: &str,
        execution: &str,
        tail: i64,
    ) -> Result<Vec<String>> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let mut lines = Vec::new();
        for selector in [
            "app.kubernetes.io/name=flytepropeller",
            "app.kubernetes.io/name=flyte-binary",
        ] {
            let found = self
                .list_all(
                    &pods,
                    ListParams::default().labels(selector),
                    ObjectRef::new("pod", Some(namespace), ""),
                )
                .await?;
            for p in found {
                let name = p.metadata.name.unwrap_or_default();
                let params = LogParams {
                    tail_lines: Some(tail),
                    ..LogParams::default()
                };
                let log = pods.logs(&name, &params).await.map_err(|e| {
                    Error::from_kube(ObjectRef::new("pod", Some(namespace), &name), e)
                })?;
                lines.extend(
                    log.lines()
                        .filter(|l| l.contains(execution))
                        .map(str::to_owned),
                );
            }
        }
        Ok(lines)
    }
}
