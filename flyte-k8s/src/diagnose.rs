//! "Why is my execution stuck, or why did it fail?": one execution's FlyteWorkflow, its pods
//! (by the `execution-id` label propeller sets), their container statuses and the namespace's
//! events, turned into findings a person understands.

use std::fmt;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::core::v1::{ContainerStatus, Event, Pod};
use kube::api::{Api, ListParams, LogParams};

use crate::client::K8s;
use crate::error::{ObjectRef, Result};
use crate::finalizers::{among, TASK_FINALIZERS};
use crate::propeller::{FlyteWorkflowInfo, WorkflowPhase};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Severity {
    /// The reason it fails or is stuck.
    Error,
    /// Worth knowing; may be the reason.
    Warning,
    /// Context.
    Info,
}

/// One thing found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// How bad.
    pub severity: Severity,
    /// What it is about: `flyteworkflow NS/NAME`, `pod NAME`, `pod NAME container C`.
    pub subject: String,
    /// What is wrong, in words, with what to do where there is a usual fix.
    pub message: String,
}

/// `error`, `warning`, `info`.
impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.severity, self.subject, self.message)
    }
}

/// A pod of the execution.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PodSummary {
    /// Its name (propeller names task pods `{execution}-{node}-{attempt}`).
    pub name: String,
    /// Its phase (`Pending`, `Running`, `Succeeded`, `Failed`).
    pub phase: String,
    /// The node it runs (`node-id` label).
    pub node: String,
}

/// What was found about one execution.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnosis {
    /// The execution's namespace.
    pub namespace: String,
    /// The execution's name.
    pub execution: String,
    /// Its FlyteWorkflow, when it exists.
    pub workflow: Option<FlyteWorkflowInfo>,
    /// Its pods.
    pub pods: Vec<PodSummary>,
    /// The findings, errors first.
    pub findings: Vec<Finding>,
}

impl Diagnosis {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

const IMAGE_PULL: [&str; 3] = ["ErrImagePull", "ImagePullBackOff", "InvalidImageName"];

/// What an event's words mean, when they have a usual meaning.
fn event_finding(reason: &str, message: &str) -> Option<(Severity, String)> {
    let m = message.to_owned();
    if m.contains("exceeded quota") {
        return Some((
            Severity::Error,
            format!("the namespace's quota is used up: {m} (raise the ResourceQuota or lower the task's requests)"),
        ));
    }
    if m.contains("serviceaccount") && m.contains("not found") {
        return Some((
            Severity::Error,
            format!("missing service account: {m} (create it, e.g. with flyte-k8s tenancy, or fix the launch plan's service account)"),
        ));
    }
    if m.contains("secret") && m.contains("not found") {
        return Some((
            Severity::Error,
            format!("missing secret: {m} (create it in this namespace: the secrets example)"),
        ));
    }
    match reason {
        "FailedScheduling" => Some((Severity::Error, format!("cannot be scheduled: {m}"))),
        "FailedMount" | "FailedAttachVolume" => {
            Some((Severity::Error, format!("volume problem: {m}")))
        }
        "Evicted" => Some((Severity::Error, format!("evicted: {m}"))),
        "FailedCreate" => Some((Severity::Error, format!("pod could not be created: {m}"))),
        "BackOff" | "Unhealthy" => Some((Severity::Warning, m)),
        _ => None,
    }
}

impl K8s {
    /// Diagnoses execution `name` in `namespace` (see
    /// [`namespace_for`](crate::namespace_for) for a project and domain). `stuck_after` is how
    /// long without progress counts as stuck, as of now.
    ///
    /// # Errors
    /// The API's errors other than a missing FlyteWorkflow (which is a finding).
    pub async fn diagnose_execution(
        &self,
        namespace: &str,
        name: &str,
        stuck_after: Duration,
    ) -> Result<Diagnosis> {
        self.diagnose_execution_at(namespace, name, stuck_after, SystemTime::now())
            .await
    }

    /// [`K8s::diagnose_execution`] as of `now`: whether the FlyteWorkflow is stuck is judged
    /// against this time (as [`FlyteWorkflowInfo::stuck`] does), for reports about a given
    /// moment and for tests that do not read the clock.
    ///
    /// # Errors
    /// The API's errors other than a missing FlyteWorkflow (which is a finding).
    pub async fn diagnose_execution_at(
        &self,
        namespace: &str,
        name: &str,
        stuck_after: Duration,
        now: SystemTime,
    ) -> Result<Diagnosis> {
        let mut findings = Vec::new();
        let wf_subject = format!("flyteworkflow {namespace}/{name}");
        let workflow = match self.flyteworkflow(namespace, name).await {
            Ok(wf) => Some(wf),
            Err(e) if e.is_not_found() => {
                findings.push(Finding {
                    severity: Severity::Warning,
                    subject: wf_subject.clone(),
                    message: "no FlyteWorkflow: propeller has not created it yet, or it was deleted after the execution ended (FlyteAdmin still has the execution's record)".to_owned(),
                });
                None
            }
            Err(e) => return Err(e),
        };
        if let Some(wf) = &workflow {
            let phase = wf
                .phase
                .map_or_else(|| "not started".to_owned(), |p| p.to_string());
            findings.push(Finding {
                severity: Severity::Info,
                subject: wf_subject.clone(),
                message: format!("phase {phase}"),
            });
            if let Some(reason) = wf.stuck(now, stuck_after) {
                findings.push(Finding {
                    severity: Severity::Error,
                    subject: wf_subject.clone(),
                    message: format!(
                        "stuck: {reason} for more than {}s (look at propeller's log and health)",
                        stuck_after.as_secs()
                    ),
                });
            }
            if !wf.message.is_empty() {
                let (severity, message) = event_finding("", &wf.message)
                    .unwrap_or((Severity::Warning, wf.message.clone()));
                findings.push(Finding {
                    severity,
                    subject: wf_subject.clone(),
                    message,
                });
            }
        }

        let pods_api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let pods = self
            .list_all(
                &pods_api,
                ListParams::default().labels(&format!("execution-id={name}")),
                ObjectRef::new("pod", Some(namespace), ""),
            )
            .await?;
        let mut summaries = Vec::new();
        for pod in &pods {
            let pod_name = pod.metadata.name.clone().unwrap_or_default();
            let subject = format!("pod {pod_name}");
            let status = pod.status.clone().unwrap_or_default();
            summaries.push(PodSummary {
                name: pod_name.clone(),
                phase: status.phase.clone().unwrap_or_default(),
                node: pod
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("node-id"))
                    .cloned()
                    .unwrap_or_default(),
            });
            let held = among(
                pod.metadata.finalizers.as_deref().unwrap_or_default(),
                &TASK_FINALIZERS,
            );
            let ended = workflow
                .as_ref()
                .is_none_or(|w| w.phase.is_some_and(WorkflowPhase::is_terminal));
            if pod.metadata.deletion_timestamp.is_some() && !held.is_empty() && ended {
                findings.push(Finding {
                    severity: Severity::Error,
                    subject: subject.clone(),
                    message: format!(
                        "stuck in Terminating: propeller's finalizer {} holds it although the execution ended (free it: K8s::free_task_pod, or the doctor example's --free)",
                        held.join(", ")
                    ),
                });
            }
            if status.reason.as_deref() == Some("Evicted") {
                findings.push(Finding {
                    severity: Severity::Error,
                    subject: subject.clone(),
                    message: format!("evicted: {}", status.message.clone().unwrap_or_default()),
                });
            }
            for c in status.conditions.iter().flatten() {
                if c.type_ == "PodScheduled" && c.status == "False" {
                    findings.push(Finding {
                        severity: Severity::Error,
                        subject: subject.clone(),
                        message: format!(
                            "cannot be scheduled ({}): {}",
                            c.reason.clone().unwrap_or_default(),
                            c.message.clone().unwrap_or_default()
                        ),
                    });
                }
            }
            let statuses = status
                .init_container_statuses
                .iter()
                .flatten()
                .chain(status.container_statuses.iter().flatten());
            for cs in statuses {
                self.container_findings(&pods_api, pod, &pod_name, cs, &mut findings)
                    .await?;
            }
        }

        let events: Api<Event> = Api::namespaced(self.client.clone(), namespace);
        let mut involved: Vec<String> = summaries.iter().map(|p| p.name.clone()).collect();
        involved.push(name.to_owned());
        let list = self
            .list_all(
                &events,
                ListParams::default(),
                ObjectRef::new("event", Some(namespace), ""),
            )
            .await?;
        for ev in list {
            let Some(obj) = ev.involved_object.name.clone() else {
                continue;
            };
            if !involved.contains(&obj) && !obj.starts_with(&format!("{name}-")) {
                continue;
            }
            let message = ev.message.clone().unwrap_or_default();
            if let Some((severity, message)) =
                event_finding(ev.reason.as_deref().unwrap_or_default(), &message)
            {
                let kind = ev
                    .involved_object
                    .kind
                    .clone()
                    .unwrap_or_default()
                    .to_lowercase();
                findings.push(Finding {
                    severity,
                    subject: format!("{kind} {obj}"),
                    message,
                });
            }
        }
        if summaries.is_empty()
            && workflow
                .as_ref()
                .is_some_and(|w| w.phase.is_some_and(|p| !p.is_terminal()))
        {
            findings.push(Finding {
                severity: Severity::Warning,
                subject: wf_subject,
                message: "running, but no pod has the label execution-id=NAME yet (pods not created: see the events and propeller's log)".to_owned(),
            });
        }
        findings.sort_by_key(|f| f.severity);
        let mut seen = std::collections::HashSet::new();
        findings.retain(|f| seen.insert((f.subject.clone(), f.message.clone())));
        Ok(Diagnosis {
            namespace: namespace.to_owned(),
            execution: name.to_owned(),
            workflow,
            pods: summaries,
            findings,
        })
    }

    async fn container_findings(
        &self,
        pods: &Api<Pod>,
        pod: &Pod,
        pod_name: &str,
        cs: &ContainerStatus,
        findings: &mut Vec<Finding>,
    ) -> Result<()> {
        let subject = format!("pod {pod_name} container {}", cs.name);
        let waiting = cs.state.as_ref().and_then(|s| s.waiting.as_ref());
        let reason = waiting
            .and_then(|w| w.reason.as_deref())
            .unwrap_or_default();
        let message = waiting.and_then(|w| w.message.clone()).unwrap_or_default();
        if IMAGE_PULL.contains(&reason) {
            findings.push(Finding {
                severity: Severity::Error,
                subject: subject.clone(),
                message: format!(
                    "image {} cannot be pulled ({reason}): {message} (check the image name and tag, and the registry's pull secret)",
                    cs.image
                ),
            });
        }
        if reason == "CreateContainerConfigError" {
            let (severity, text) = event_finding("", &message).unwrap_or((
                Severity::Error,
                format!("the container cannot be configured: {message}"),
            ));
            findings.push(Finding {
                severity,
                subject: subject.clone(),
                message: text,
            });
        }
        let oom = [cs.state.as_ref(), cs.last_state.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(|s| s.terminated.as_ref())
            .any(|t| t.reason.as_deref() == Some("OOMKilled"));
        if oom {
            let limit = pod
                .spec
                .iter()
                .flat_map(|s| &s.containers)
                .find(|c| c.name == cs.name)
                .and_then(|c| c.resources.as_ref())
                .and_then(|r| r.limits.as_ref())
                .and_then(|l| l.get("memory"))
                .map_or_else(|| "none set".to_owned(), |q| q.0.clone());
            findings.push(Finding {
                severity: Severity::Error,
                subject: subject.clone(),
                message: format!(
                    "OOMKilled: it needed more memory than its limit ({limit}); raise the task's memory limit"
                ),
            });
        }
        let crash_loop = reason == "CrashLoopBackOff";
        let failed = cs
            .state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .filter(|t| t.exit_code != 0 && t.reason.as_deref() != Some("OOMKilled"));
        if crash_loop || failed.is_some() {
            let params = LogParams {
                container: Some(cs.name.clone()),
                tail_lines: Some(10),
                previous: crash_loop,
                ..LogParams::default()
            };
            let log = pods.logs(pod_name, &params).await.unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = if lines.is_empty() {
                String::new()
            } else {
                format!("; last log lines:\n  {}", lines.join("\n  "))
            };
            let what = match failed {
                Some(t) => format!("exited with code {}", t.exit_code),
                None => format!("crash loop ({} restarts)", cs.restart_count),
            };
            findings.push(Finding {
                severity: Severity::Error,
                subject,
                message: format!("{what}{tail}"),
            });
        }
        Ok(())
    }
}
