//! Every list follows the API's pages to the end: with a page size smaller than what there is,
//! each object arrives exactly once, over several requests that send `limit` and `continue`.

use std::time::Duration;

use flyte_testkit::MockKube;
use serde_json::json;

mod common;
use common::connect;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The list requests (GETs of `path`) served so far, as their queries.
fn lists(kube: &MockKube, path: &str) -> Vec<String> {
    kube.requests()
        .into_iter()
        .filter(|(m, _)| m == "GET")
        .filter_map(|(_, p)| {
            let (at, query) = p.split_once('?').unwrap_or((&p, ""));
            (at == path).then(|| query.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn tenants_secrets_workflows_and_pods_arrive_once_over_several_pages() -> TestResult {
    let kube = MockKube::start().await?;
    let dir = tempfile::tempdir()?;
    let k8s = connect(&kube, &dir, None).await?.page_size(3);

    let projects: Vec<String> = (0..7).map(|i| format!("p{i}")).collect();
    for p in &projects {
        kube.insert(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": format!("{p}-development"),
            "labels": {"app.kubernetes.io/managed-by": "flyte-rs", "flyte.org/project": p,
                       "flyte.org/domain": "development"}}}),
        );
    }
    let tenants: Vec<String> = k8s
        .list_tenants(None)
        .await?
        .into_iter()
        .map(|t| t.namespace)
        .collect();
    let want: Vec<String> = projects
        .iter()
        .map(|p| format!("{p}-development"))
        .collect();
    assert_eq!(tenants, want);
    let pages = lists(&kube, "/api/v1/namespaces");
    assert_eq!(pages.len(), 3, "7 namespaces, 3 a page: {pages:#?}");
    assert!(pages.iter().all(|q| q.contains("limit=3")), "{pages:#?}");
    assert_eq!(
        pages.iter().filter(|q| q.contains("continue=")).count(),
        2,
        "{pages:#?}"
    );

    let ns = "p0-development";
    let secrets: Vec<String> = (0..10).map(|i| format!("s{i:02}")).collect();
    for s in &secrets {
        kube.insert(
            json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": s, "namespace": ns}, "data": {"k": "eA=="}}),
        );
    }
    let listed: Vec<String> = k8s
        .list_secrets(ns)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(listed, secrets);
    assert_eq!(
        lists(&kube, &format!("/api/v1/namespaces/{ns}/secrets")).len(),
        4
    );

    // Across namespaces: pages run from one namespace into the next.
    let mut workflows = Vec::new();
    for (i, p) in projects.iter().enumerate().take(3) {
        for j in 0..=i {
            let name = format!("wf{j}");
            kube.insert(
                json!({"apiVersion": "flyte.lyft.com/v1alpha1", "kind": "FlyteWorkflow",
                "metadata": {"name": name, "namespace": format!("{p}-development")},
                "status": {"phase": 3}}),
            );
            workflows.push(format!("{p}-development/{name}"));
        }
    }
    let listed: Vec<String> = k8s
        .flyteworkflows(None)
        .await?
        .into_iter()
        .map(|w| format!("{}/{}", w.namespace, w.name))
        .collect();
    assert_eq!(listed, workflows);
    assert_eq!(
        lists(&kube, "/apis/flyte.lyft.com/v1alpha1/flyteworkflows").len(),
        2
    );

    // A label selector and pages together.
    for i in 0..5 {
        kube.insert(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("abc-n{i}-0"), "namespace": ns,
                         "labels": {"execution-id": "abc", "node-id": format!("n{i}")}},
            "status": {"phase": "Succeeded"}}));
        kube.insert(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("other-n{i}-0"), "namespace": ns,
                         "labels": {"execution-id": "other"}},
            "status": {"phase": "Succeeded"}}));
    }
    let d = k8s
        .diagnose_execution(ns, "abc", Duration::from_secs(1800))
        .await?;
    let pods: Vec<&str> = d.pods.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        pods,
        ["abc-n0-0", "abc-n1-0", "abc-n2-0", "abc-n3-0", "abc-n4-0"]
    );
    assert_eq!(
        lists(&kube, &format!("/api/v1/namespaces/{ns}/pods")).len(),
        2
    );
    Ok(())
}
