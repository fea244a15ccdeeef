//! Freeing what propeller's finalizers hold: only propeller's finalizers go, other
//! controllers' stay, and an object that changed after it was read is a conflict, not
//! overwritten. FlyteWorkflows and task pods stuck in Terminating, on the mock Kubernetes API.

use flyte_k8s::{Action, Error, HeldTaskPod, WorkflowPhase, TASK_FINALIZERS, WORKFLOW_FINALIZERS};
use flyte_testkit::MockKube;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams};
use serde_json::{json, Value};

mod common;
use common::connect;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const NS: &str = "flytesnacks-development";

fn fixtures(kube: &MockKube) {
    kube.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}));
    for (name, phase) in [("done", 3), ("running", 1)] {
        kube.insert(json!({
            "apiVersion": "flyte.lyft.com/v1alpha1", "kind": "FlyteWorkflow",
            "metadata": {"name": name, "namespace": NS,
                         "finalizers": ["example.com/backup", "flyte-finalizer", "flyte.org/finalizer"],
                         "labels": {"execution-id": name}},
            "status": {"phase": phase},
        }));
    }
}

fn task_pod(name: &str, execution: Option<&str>, finalizers: &[&str], deleting: bool) -> Value {
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "finalizers": finalizers, "labels": {"node-id": "n0"}},
        "spec": {"containers": [{"name": "main", "image": "ghcr.io/acme/train:v3"}]},
        "status": {"phase": "Succeeded"}});
    if let Some(e) = execution {
        pod["metadata"]["labels"]["execution-id"] = json!(e);
    }
    if deleting {
        pod["metadata"]["deletionTimestamp"] = json!("2026-05-31T00:00:00Z");
    }
    pod
}

fn finalizers(kube: &MockKube, kind: &str, name: &str) -> Result<Value, String> {
    let o = kube
        .object(kind, NS, name)
        .ok_or(format!("{kind} {name} is gone"))?;
    Ok(o["metadata"]["finalizers"].clone())
}

#[tokio::test]
async fn only_propellers_finalizers_go_under_both_names() -> TestResult {
    let kube = MockKube::start().await?;
    fixtures(&kube);
    let dir = tempfile::tempdir()?;
    let k8s = connect(&kube, &dir, None).await?;
    let before = kube
        .object("FlyteWorkflow", NS, "done")
        .ok_or("no fixture")?;

    let change = k8s.remove_finalizers(NS, "done").await?;
    assert_eq!(change.action, Action::Updated);
    let after = kube.object("FlyteWorkflow", NS, "done").ok_or("deleted")?;
    assert_eq!(
        after["metadata"]["finalizers"],
        json!(["example.com/backup"])
    );
    assert_ne!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );

    // Nothing of propeller's left: nothing is written, and the answer says so.
    let writes = kube.writes();
    let again = k8s.remove_finalizers(NS, "done").await?;
    assert_eq!(again.action, Action::Unchanged);
    assert_eq!(
        again.to_string(),
        format!("flyteworkflow {NS}/done: unchanged")
    );
    assert_eq!(kube.writes(), writes);
    assert_eq!(kube.object("FlyteWorkflow", NS, "done"), Some(after));
    assert_eq!(
        WORKFLOW_FINALIZERS,
        ["flyte.org/finalizer", "flyte-finalizer"]
    );
    Ok(())
}

#[tokio::test]
async fn a_workflow_that_changed_after_it_was_read_is_a_conflict_left_as_it_is() -> TestResult {
    let kube = MockKube::start().await?;
    fixtures(&kube);
    let dir = tempfile::tempdir()?;
    let k8s = connect(&kube, &dir, None).await?;
    // Another controller adds its finalizer between our read and our write.
    let raced = json!([
        "example.com/audit",
        "example.com/backup",
        "flyte-finalizer",
        "flyte.org/finalizer"
    ]);
    kube.write_after_next_get(
        "FlyteWorkflow",
        NS,
        "done",
        json!({"metadata": {"finalizers": raced}}),
    );
    let e = k8s
        .remove_finalizers(NS, "done")
        .await
        .expect_err("changed after the read");
    assert!(e.is_conflict(), "{e:?}");
    let message = e.to_string();
    assert!(
        message.starts_with(&format!(
            "flyteworkflow {NS}/done: conflict: it changed after it was read at resourceVersion"
        )),
        "{message}"
    );
    assert!(message.contains("nothing was removed"), "{message}");
    assert_eq!(finalizers(&kube, "FlyteWorkflow", "done")?, raced);

    // A 409 from the API server is the same conflict, and is not retried.
    kube.conflict_next("flyteworkflows", 1);
    let writes = kube.writes();
    let e = k8s.remove_finalizers(NS, "done").await.expect_err("409");
    assert!(matches!(e, Error::Conflict { .. }), "{e:?}");
    assert_eq!(kube.writes(), writes + 1, "one write, not retried");
    assert_eq!(finalizers(&kube, "FlyteWorkflow", "done")?, raced);

    // Read afresh, it goes through.
    k8s.remove_finalizers(NS, "done").await?;
    assert_eq!(
        finalizers(&kube, "FlyteWorkflow", "done")?,
        json!(["example.com/audit", "example.com/backup"])
    );
    Ok(())
}

#[tokio::test]
async fn task_pods_held_after_their_execution_ended_are_found_and_freed() -> TestResult {
    let kube = MockKube::start().await?;
    fixtures(&kube);
    let k8s_fin = TASK_FINALIZERS[0];
    let old_fin = TASK_FINALIZERS[1];
    assert_eq!(
        TASK_FINALIZERS,
        ["flyte.org/finalizer-k8s", "flyte/flytek8s"]
    );
    kube.insert(task_pod(
        "done-n0-0",
        Some("done"),
        &[k8s_fin, "example.com/keep"],
        true,
    ));
    kube.insert(task_pod("gone-n0-0", Some("gone"), &[old_fin], true));
    kube.insert(task_pod("running-n0-0", Some("running"), &[k8s_fin], true));
    kube.insert(task_pod(
        "done-n2-0",
        Some("done"),
        &["example.com/keep"],
        true,
    ));
    kube.insert(task_pod("not-flyte", None, &[k8s_fin], true));
    // Deleted through the API: Kubernetes marks it and the finalizer holds it.
    kube.insert(task_pod("done-n1-0", Some("done"), &[k8s_fin], false));
    let dir = tempfile::tempdir()?;
    let k8s = connect(&kube, &dir, None).await?;
    let e = k8s
        .free_task_pod(NS, "done-n1-0")
        .await
        .expect_err("not being deleted");
    assert!(
        e.is_invalid() && e.to_string().contains("not being deleted"),
        "{e}"
    );
    let pods: Api<Pod> = Api::namespaced(k8s.client().clone(), NS);
    pods.delete("done-n1-0", &DeleteParams::default()).await?;

    let held = k8s.held_task_pods(None).await?;
    let names: Vec<(&str, &str, Option<WorkflowPhase>, Vec<String>)> = held
        .iter()
        .map(|p: &HeldTaskPod| {
            (
                p.name.as_str(),
                p.execution.as_str(),
                p.workflow_phase,
                p.finalizers.clone(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            (
                "done-n0-0",
                "done",
                Some(WorkflowPhase::Success),
                vec![k8s_fin.to_owned()]
            ),
            (
                "done-n1-0",
                "done",
                Some(WorkflowPhase::Success),
                vec![k8s_fin.to_owned()]
            ),
            ("gone-n0-0", "gone", None, vec![old_fin.to_owned()]),
        ]
    );
    assert_eq!(held[0].node, "n0");
    assert!(held[0].deleting_since.is_some());
    assert_eq!(k8s.held_task_pods(Some("elsewhere")).await?, []);

    // The execution's diagnosis says so too, for the held pods only.
    let d = k8s
        .diagnose_execution(NS, "done", std::time::Duration::from_secs(1800))
        .await?;
    let terminating: Vec<&str> = d
        .findings
        .iter()
        .filter(|f| {
            f.message.starts_with(
                "stuck in Terminating: propeller's finalizer flyte.org/finalizer-k8s holds it",
            )
        })
        .map(|f| f.subject.as_str())
        .collect();
    assert_eq!(
        terminating,
        ["pod done-n0-0", "pod done-n1-0"],
        "{:?}",
        d.findings
    );

    // Freed: propeller's finalizer goes, another controller's stays (and keeps the pod).
    assert_eq!(
        k8s.free_task_pod(NS, "done-n0-0").await?.action,
        Action::Updated
    );
    assert_eq!(
        finalizers(&kube, "Pod", "done-n0-0")?,
        json!(["example.com/keep"])
    );
    // With its last finalizer gone, Kubernetes finishes the deletion.
    assert_eq!(
        k8s.free_task_pod(NS, "gone-n0-0").await?.action,
        Action::Updated
    );
    assert!(kube.object("Pod", NS, "gone-n0-0").is_none());
    assert_eq!(
        k8s.free_task_pod(NS, "done-n2-0").await?.action,
        Action::Unchanged
    );

    // A pod whose execution runs, or that is no task pod, is refused and left alone.
    for (name, why) in [
        ("running-n0-0", "its execution running is Running"),
        ("not-flyte", "has no execution-id label"),
    ] {
        let e = k8s.free_task_pod(NS, name).await.expect_err(name);
        assert!(e.is_invalid() && e.to_string().contains(why), "{e}");
        assert_eq!(finalizers(&kube, "Pod", name)?, json!([k8s_fin]));
    }

    // A pod that changed after it was read is a conflict and keeps its finalizers.
    kube.write_after_next_get(
        "Pod",
        NS,
        "done-n1-0",
        json!({"metadata": {"labels": {"touched": "yes"}}}),
    );
    let e = k8s
        .free_task_pod(NS, "done-n1-0")
        .await
        .expect_err("changed after the read");
    assert!(e.is_conflict(), "{e:?}");
    assert_eq!(finalizers(&kube, "Pod", "done-n1-0")?, json!([k8s_fin]));
    k8s.free_task_pod(NS, "done-n1-0").await?;
    assert!(kube.object("Pod", NS, "done-n1-0").is_none());
    assert_eq!(k8s.held_task_pods(None).await?, []);
    Ok(())
}
