//! Deployment health, stuck FlyteWorkflows and execution diagnosis, from fixtures of
//! deployments, pods, events and FlyteWorkflows in realistic states on the mock Kubernetes API.

use std::time::{Duration, SystemTime};

use flyte_k8s::{Action, Error, Layout, Severity, StuckReason, Verdict, WorkflowPhase};
use flyte_testkit::MockKube;
use serde_json::{json, Value};

mod common;
use common::connect;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The moment the tests judge "stuck" at: fixtures are dated relative to it, and no test reads
/// the clock. 2026-06-01T00:00:00Z.
const NOW_SECS: u64 = 1_780_272_000;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(NOW_SECS)
}

/// RFC 3339 for `ago` before [`now`].
fn ago(ago: Duration) -> String {
    flyte_config::format_rfc3339(i64::try_from(NOW_SECS - ago.as_secs()).unwrap_or(0), 0)
}

fn namespace(kube: &MockKube, name: &str) {
    kube.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}));
}

fn deployment(name: &str, app: &str, desired: i32, ready: i32, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "flyte", "labels": {"app.kubernetes.io/name": app}},
        "spec": {"replicas": desired, "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
                 "template": {"metadata": {"labels": {"app.kubernetes.io/name": app}},
                              "spec": {"containers": [{"name": app, "image": image}]}}},
        "status": {"replicas": desired, "readyReplicas": ready}
    })
}

fn pod(name: &str, ns: &str, labels: Value, status: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": ns, "labels": labels},
           "spec": {"containers": [{"name": "main", "image": "ghcr.io/acme/train:v3",
                                    "resources": {"limits": {"memory": "1Gi"}}}]},
           "status": status})
}

#[tokio::test]
async fn flyte_core_health_names_what_is_short_and_what_crashes() -> TestResult {
    let kube = MockKube::start().await?;
    namespace(&kube, "flyte");
    kube.insert(deployment(
        "flyteadmin",
        "flyteadmin",
        2,
        2,
        "cr.flyte.org/flyteorg/flyteadmin:v1.16.8",
    ));
    kube.insert(deployment(
        "flytepropeller",
        "flytepropeller",
        1,
        1,
        "cr.flyte.org/flyteorg/flytepropeller:v1.16.8",
    ));
    kube.insert(deployment(
        "datacatalog",
        "datacatalog",
        1,
        0,
        "cr.flyte.org/flyteorg/datacatalog:v1.16.8",
    ));
    kube.insert(deployment("unrelated", "redis", 1, 1, "redis:7"));
    kube.insert(pod(
        "flytepropeller-5d9c-abcde",
        "flyte",
        json!({"app.kubernetes.io/name": "flytepropeller"}),
        json!({"phase": "Running", "containerStatuses": [{"name": "flytepropeller", "image": "x", "imageID": "", "ready": false, "restartCount": 7,
               "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}),
    ));
    let dir = tempfile::tempdir()?;
    let h = connect(&kube, &dir, None)
        .await?
        .deployment_health("flyte")
        .await?;
    assert_eq!(h.layout, Layout::FlyteCore);
    assert_eq!(h.verdict, Verdict::Degraded);
    let names: Vec<&str> = h.components.iter().map(|c| c.component.as_str()).collect();
    assert_eq!(names, ["datacatalog", "flyteadmin", "flytepropeller"]);
    assert_eq!(
        h.reasons,
        [
            "datacatalog: 0/1 replicas ready",
            "flytepropeller: crash looping (flytepropeller-5d9c-abcde), 7 restarts"
        ]
    );
    let admin = h
        .components
        .iter()
        .find(|c| c.component == "flyteadmin")
        .ok_or("admin")?;
    assert_eq!(admin.images, ["cr.flyte.org/flyteorg/flyteadmin:v1.16.8"]);
    Ok(())
}

#[tokio::test]
async fn flyte_binary_down_and_nothing_found() -> TestResult {
    let kube = MockKube::start().await?;
    namespace(&kube, "flyte");
    kube.insert(deployment(
        "flyte-flyte-binary",
        "flyte-binary",
        1,
        0,
        "cr.flyte.org/flyteorg/flyte-binary:v1.16.8",
    ));
    let dir = tempfile::tempdir()?;
    let k8s = connect(&kube, &dir, None).await?;
    let h = k8s.deployment_health("flyte").await?;
    assert_eq!((h.layout, h.verdict), (Layout::FlyteBinary, Verdict::Down));
    assert_eq!(h.reasons, ["flyte-binary: no replica ready (0/1)"]);
    let none = k8s.deployment_health("elsewhere").await?;
    assert_eq!(
        (none.layout, none.verdict),
        (Layout::NotFound, Verdict::Down)
    );
    assert!(none.reasons[0].contains("no Flyte deployment in namespace elsewhere"));
    kube.deny("list", "deployments");
    let e = k8s.deployment_health("flyte").await.expect_err("rbac");
    assert!(
        e.is_forbidden() && e.to_string().starts_with("deployment flyte/(list)"),
        "{e}"
    );
    Ok(())
}

fn flyteworkflow(
    ns: &str,
    name: &str,
    created: Duration,
    status: Option<Value>,
    finalizers: &[&str],
) -> Value {
    let mut o = json!({
        "apiVersion": "flyte.lyft.com/v1alpha1", "kind": "FlyteWorkflow",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": ago(created),
                     "finalizers": finalizers, "labels": {"execution-id": name}},
    });
    if let Some(s) = status {
        o["status"] = s;
    }
    o
}

fn stuck_fixtures(kube: &MockKube) {
    namespace(kube, "flytesnacks-development");
    let h = Duration::from_secs(3600);
    kube.insert(flyteworkflow(
        "flytesnacks-development",
        "old-running",
        3 * h,
        Some(json!({"phase": 1, "lastUpdatedAt": ago(2 * h)})),
        &["flyte-finalizer"],
    ));
    kube.insert(flyteworkflow(
        "flytesnacks-development",
        "fresh-running",
        h,
        Some(json!({"phase": 1, "lastUpdatedAt": ago(Duration::from_secs(30))})),
        &["flyte-finalizer"],
    ));
    kube.insert(flyteworkflow(
        "flytesnacks-development",
        "done-held",
        5 * h,
        Some(json!({"phase": 3, "lastUpdatedAt": ago(4 * h)})),
        &["flyte-finalizer"],
    ));
    kube.insert(flyteworkflow(
        "flytesnacks-development",
        "never-started",
        2 * h,
        None,
        &[],
    ));
}

#[tokio::test]
async fn stuck_flyteworkflows_are_flagged_and_a_held_finalizer_freed() -> TestResult {
    let kube = MockKube::start().await?;
    stuck_fixtures(&kube);
    let dir = tempfile::tempdir()?;
    let k8s = connect(&kube, &dir, None).await?;
    let all = k8s.flyteworkflows(None).await?;
    let verdicts: Vec<(String, Option<StuckReason>)> = all
        .iter()
        .map(|w| (w.name.clone(), w.stuck(now(), Duration::from_secs(1800))))
        .collect();
    assert_eq!(
        verdicts,
        [
            (
                "done-held".to_owned(),
                Some(StuckReason::FinalizerNotReleased)
            ),
            ("fresh-running".to_owned(), None),
            ("never-started".to_owned(), Some(StuckReason::NeverPickedUp)),
            ("old-running".to_owned(), Some(StuckReason::NotProgressing)),
        ]
    );
    assert_eq!(all[0].phase, Some(WorkflowPhase::Success));

    let e = k8s
        .remove_finalizers("flytesnacks-development", "old-running")
        .await
        .expect_err("still running");
    assert!(
        matches!(e, Error::Invalid { .. }) && e.to_string().contains("Running"),
        "{e}"
    );
    let dry = k8s
        .clone()
        .dry_run(true)
        .remove_finalizers("flytesnacks-development", "done-held")
        .await?;
    assert_eq!(
        dry.to_string(),
        "flyteworkflow flytesnacks-development/done-held: would update"
    );
    let held = kube
        .object("FlyteWorkflow", "flytesnacks-development", "done-held")
        .ok_or("gone")?;
    assert_eq!(held["metadata"]["finalizers"], json!(["flyte-finalizer"]));
    let c = k8s
        .remove_finalizers("flytesnacks-development", "done-held")
        .await?;
    assert_eq!(c.action, Action::Updated);
    let freed = kube
        .object("FlyteWorkflow", "flytesnacks-development", "done-held")
        .ok_or("gone")?;
    assert!(freed["metadata"]["finalizers"].is_null(), "{freed}");
    Ok(())
}

#[tokio::test]
async fn propellers_log_is_filtered_to_one_execution() -> TestResult {
    let kube = MockKube::start().await?;
    namespace(&kube, "flyte");
    kube.insert(pod(
        "flytepropeller-1",
        "flyte",
        json!({"app.kubernetes.io/name": "flytepropeller"}),
        json!({"phase": "Running"}),
    ));
    kube.set_log("flyte", "flytepropeller-1", "main", "{\"msg\":\"Handling Workflow [abc123]\"}\n{\"msg\":\"other [zzz]\"}\n{\"msg\":\"abc123 node n0 failed\"}");
    let dir = tempfile::tempdir()?;
    let lines = connect(&kube, &dir, None)
        .await?
        .propeller_log("flyte", "abc123", 100)
        .await?;
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.contains("abc123")));
    Ok(())
}

#[tokio::test]
async fn a_failing_execution_is_explained_pod_by_pod() -> TestResult {
    let kube = MockKube::start().await?;
    let ns = "flytesnacks-development";
    namespace(&kube, ns);
    let h = Duration::from_secs(3600);
    kube.insert(flyteworkflow(
        ns,
        "abc",
        h,
        Some(json!({"phase": 1, "lastUpdatedAt": ago(Duration::from_secs(10))})),
        &["flyte-finalizer"],
    ));
    let labels = |node: &str| json!({"execution-id": "abc", "node-id": node});
    let waiting = |reason: &str, message: &str| {
        json!({"phase": "Pending", "containerStatuses": [{"name": "main", "image": "ghcr.io/acme/train:v3", "imageID": "", "ready": false, "restartCount": 0,
               "state": {"waiting": {"reason": reason, "message": message}}}]})
    };
    kube.insert(pod(
        "abc-n0-0",
        ns,
        labels("n0"),
        waiting(
            "ImagePullBackOff",
            "Back-off pulling image \"ghcr.io/acme/train:v3\"",
        ),
    ));
    kube.insert(pod("abc-n1-0", ns, labels("n1"), json!({"phase": "Running", "containerStatuses": [{"name": "main", "image": "x", "imageID": "", "ready": false, "restartCount": 1,
        "state": {"running": {}}, "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]})));
    kube.insert(pod("abc-n2-0", ns, labels("n2"), json!({"phase": "Running", "containerStatuses": [{"name": "main", "image": "x", "imageID": "", "ready": false, "restartCount": 4,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]})));
    kube.set_log(
        ns,
        "abc-n2-0",
        "main",
        "starting\nTraceback (most recent call last):\nKeyError: 'AWS_REGION'",
    );
    kube.insert(pod("abc-n3-0", ns, labels("n3"), json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
        "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."}]})));
    kube.insert(pod(
        "abc-n4-0",
        ns,
        labels("n4"),
        waiting("CreateContainerConfigError", "secret \"aws\" not found"),
    ));
    kube.insert(json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "abc.1", "namespace": ns},
        "involvedObject": {"kind": "FlyteWorkflow", "name": "abc", "namespace": ns}, "reason": "FailedCreate",
        "message": "pods \"abc-n5-0\" is forbidden: exceeded quota: project-quota, requested: limits.memory=64Gi, used: limits.memory=200Gi, limited: limits.memory=256Gi"}));
    kube.insert(json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "other.1", "namespace": ns},
        "involvedObject": {"kind": "Pod", "name": "someone-else-n0-0", "namespace": ns}, "reason": "FailedScheduling", "message": "not ours"}));
    let dir = tempfile::tempdir()?;
    let d = connect(&kube, &dir, None)
        .await?
        .diagnose_execution_at(ns, "abc", Duration::from_secs(1800), now())
        .await?;
    assert!(d.has_errors());
    assert_eq!(d.pods.len(), 5);
    let text: Vec<String> = d.findings.iter().map(ToString::to_string).collect();
    let find = |needle: &str| {
        text.iter()
            .find(|t| t.contains(needle))
            .cloned()
            .ok_or(format!("no finding with {needle:?} in {text:#?}"))
    };
    assert!(
        find("image ghcr.io/acme/train:v3 cannot be pulled (ImagePullBackOff)")?
            .starts_with("error: pod abc-n0-0 container main")
    );
    assert!(find("OOMKilled")?.contains("limit (1Gi)"));
    let crash = find("crash loop (4 restarts)")?;
    assert!(crash.contains("KeyError: 'AWS_REGION'"), "{crash}");
    assert!(find("cannot be scheduled (Unschedulable)")?.contains("Insufficient nvidia.com/gpu"));
    assert!(find("missing secret")?.contains("secret \"aws\" not found"));
    assert!(find("quota is used up")?.starts_with("error: flyteworkflow abc"));
    assert!(text.iter().all(|t| !t.contains("not ours")));
    assert_eq!(d.findings.last().map(|f| f.severity), Some(Severity::Info));
    assert!(
        text.iter().all(|t| !t.contains("stuck:")),
        "updated 10s before now: {text:#?}"
    );

    // An hour later without an update, the same execution is stuck.
    let later = connect(&kube, &dir, None)
        .await?
        .diagnose_execution_at(ns, "abc", Duration::from_secs(1800), now() + h)
        .await?;
    assert!(
        later.findings.iter().any(|f| f.to_string()
            == "error: flyteworkflow flytesnacks-development/abc: stuck: not progressing for more than 1800s (look at propeller's log and health)"),
        "{:#?}",
        later.findings
    );

    let gone = connect(&kube, &dir, None)
        .await?
        .diagnose_execution_at(ns, "nope", Duration::from_secs(60), now())
        .await?;
    assert!(gone.workflow.is_none());
    assert!(gone.findings[0].message.contains("no FlyteWorkflow"));
    Ok(())
}
