//! The onboard, secrets and doctor examples against the mock Kubernetes API (and the test kit
//! for FlyteAdmin), through a kubeconfig, as a user runs them.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, SystemTime};

mod common;

use flyte_testkit::{MockKube, TestAdmin};
use serde_json::json;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn run(name: &str, args: &[String]) -> Result<Output, Box<dyn std::error::Error>> {
    common::run_example(name, args.to_vec()).await
}

fn kubeconfig(kube: &MockKube, dir: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let path = dir.join("kubeconfig");
    std::fs::write(&path, kube.kubeconfig_yaml())?;
    Ok(path.to_string_lossy().into_owned())
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn secrets_create_list_delete_never_show_values() -> TestResult {
    let kube = MockKube::start().await?;
    kube.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml-team-development"}}));
    let dir = tempfile::tempdir()?;
    let kc = kubeconfig(&kube, dir.path())?;
    let token = dir.path().join("token");
    std::fs::write(&token, "file-s3cret")?;
    let token = token.to_string_lossy().into_owned();
    let out = run(
        "secrets",
        &args(&[
            "--kubeconfig",
            &kc,
            "create",
            "--project",
            "ml-team",
            "--domain",
            "development",
            "--name",
            "aws",
            "--from-literal",
            "access-key=literal-s3cret",
            "--from-file",
            &format!("token={token}"),
        ]),
    )
    .await?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "secret ml-team-development/aws: created (keys: access-key, token)"
    );
    let out = run(
        "secrets",
        &args(&[
            "--kubeconfig",
            &kc,
            "list",
            "--namespace",
            "ml-team-development",
        ]),
    )
    .await?;
    assert_eq!(
        text(&out.stdout).trim(),
        "aws: access-key, token  (flyte-rs)"
    );
    let delete = args(&[
        "--kubeconfig",
        &kc,
        "delete",
        "--namespace",
        "ml-team-development",
        "--name",
        "aws",
    ]);
    let out = run("secrets", &delete).await?;
    assert_eq!(
        text(&out.stdout).trim(),
        "secret ml-team-development/aws: deleted"
    );
    let out = run("secrets", &delete).await?;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: secret ml-team-development/aws: not found"
    );
    let out = run(
        "secrets",
        &args(&[
            "--kubeconfig",
            &kc,
            "create",
            "--namespace",
            "ml-team-development",
            "--name-prefix",
            "flyte-secret-",
            "--name",
            "DB",
            "--from-literal",
            "password=p",
        ]),
    )
    .await?;
    assert_eq!(
        text(&out.stdout).trim(),
        "secret ml-team-development/flyte-secret-db: created (keys: password)"
    );
    let out = run("secrets", &args(&["--kubeconfig", &kc, "list"])).await?;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--namespace NS, or --project P --domain D"));
    let everything = kube
        .requests()
        .iter()
        .map(|(m, p)| format!("{m} {p}"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!everything.contains("s3cret"), "values never in paths");
    Ok(())
}

#[tokio::test]
async fn secrets_errors_name_the_argument_never_the_value() -> TestResult {
    let kube = MockKube::start().await?;
    kube.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml-team-development"}}));
    let dir = tempfile::tempdir()?;
    let kc = kubeconfig(&kube, dir.path())?;
    let create = |extra: &[&str]| {
        let mut all = args(&[
            "--kubeconfig",
            &kc,
            "create",
            "--namespace",
            "ml-team-development",
            "--name",
            "aws",
        ]);
        all.extend(args(extra));
        all
    };
    // A value given without its key.
    let out = run(
        "secrets",
        &create(&["--from-literal", "user=me", "--from-literal", "hunter2"]),
    )
    .await?;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("--from-literal number 2 has no '='"),
        "{stderr}"
    );
    assert!(
        !stdout.contains("hunter2") && !stderr.contains("hunter2"),
        "{stdout}{stderr}"
    );

    // A file larger than a secret may hold is refused before anything is sent.
    let big = dir.path().join("big");
    std::fs::write(&big, "hunter2-".repeat(131_073))?;
    let out = run(
        "secrets",
        &create(&["--from-file", &format!("key={}", big.display())]),
    )
    .await?;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("larger than 1048576 bytes"), "{stderr}");
    assert!(
        !stdout.contains("hunter2") && !stderr.contains("hunter2"),
        "{stdout}{stderr}"
    );
    assert_eq!(kube.writes(), 0, "nothing was sent");
    assert!(kube
        .object("Secret", "ml-team-development", "aws")
        .is_none());
    Ok(())
}

fn rfc3339_ago(ago: Duration) -> String {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    flyte_config::format_rfc3339(i64::try_from(now - ago.as_secs()).unwrap_or(0), 0)
}

fn binary(kube: &MockKube, ready: i32) {
    kube.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flyte"}}));
    kube.insert(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "flyte-flyte-binary", "namespace": "flyte", "labels": {"app.kubernetes.io/name": "flyte-binary"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "flyte-binary"}},
                 "template": {"spec": {"containers": [{"name": "flyte", "image": "cr.flyte.org/flyteorg/flyte-binary:v1.16.8"}]}}},
        "status": {"readyReplicas": ready}
    }));
}

#[tokio::test]
async fn doctor_says_healthy_or_why_not() -> TestResult {
    let kube = MockKube::start().await?;
    binary(&kube, 1);
    let dir = tempfile::tempdir()?;
    let kc = kubeconfig(&kube, dir.path())?;
    let out = run("doctor", &args(&["--kubeconfig", &kc])).await?;
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("Flyte in namespace flyte: healthy"),
        "{stdout}"
    );
    assert!(stdout.contains("No stuck FlyteWorkflows"), "{stdout}");

    let kube = MockKube::start().await?;
    binary(&kube, 0);
    kube.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flytesnacks-development"}}));
    kube.insert(json!({"apiVersion": "flyte.lyft.com/v1alpha1", "kind": "FlyteWorkflow",
        "metadata": {"name": "abc", "namespace": "flytesnacks-development", "creationTimestamp": rfc3339_ago(Duration::from_secs(7200)), "finalizers": ["flyte-finalizer"]},
        "status": {"phase": 1, "lastUpdatedAt": rfc3339_ago(Duration::from_secs(5400))}}));
    kube.insert(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "abc-n0-0", "namespace": "flytesnacks-development", "labels": {"execution-id": "abc", "node-id": "n0"}},
        "status": {"phase": "Pending", "containerStatuses": [{"name": "main", "image": "ghcr.io/acme/x:v1", "imageID": "", "ready": false, "restartCount": 0,
                   "state": {"waiting": {"reason": "ErrImagePull", "message": "not found"}}}]}}));
    kube.insert(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "flyte-flyte-binary-7c9", "namespace": "flyte", "labels": {"app.kubernetes.io/name": "flyte-binary"}}, "status": {"phase": "Running"}}));
    kube.set_log(
        "flyte",
        "flyte-flyte-binary-7c9",
        "flyte",
        "Handling abc\nunrelated\nabc: task failed",
    );
    let kc = kubeconfig(&kube, dir.path())?;
    let out = run(
        "doctor",
        &args(&[
            "--kubeconfig",
            &kc,
            "--execution",
            "flytesnacks/development/abc",
            "--logs",
            "50",
            "-o",
            "json",
        ]),
    )
    .await?;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["verdict"], "down");
    assert_eq!(report["stuck"][0]["name"], "abc");
    assert_eq!(report["stuck"][0]["reason"], "not progressing");
    assert_eq!(
        report["propeller_log"],
        json!(["Handling abc", "abc: task failed"])
    );
    let findings = report["execution"]["findings"]
        .as_array()
        .ok_or("no findings")?;
    assert!(findings.iter().any(|f| f["message"]
        .as_str()
        .is_some_and(|m| m.contains("image ghcr.io/acme/x:v1 cannot be pulled"))));
    let out = run(
        "doctor",
        &args(&["--kubeconfig", &kc, "--execution", "abc"]),
    )
    .await?;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("expected PROJECT/DOMAIN/NAME"));
    Ok(())
}

#[tokio::test]
async fn doctor_reports_task_pods_held_in_terminating_and_frees_them() -> TestResult {
    let kube = MockKube::start().await?;
    binary(&kube, 1);
    let ns = "flytesnacks-development";
    kube.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
    kube.insert(json!({"apiVersion": "flyte.lyft.com/v1alpha1", "kind": "FlyteWorkflow",
        "metadata": {"name": "abc", "namespace": ns, "creationTimestamp": rfc3339_ago(Duration::from_secs(7200)),
                     "finalizers": ["example.com/backup", "flyte.org/finalizer"]},
        "status": {"phase": 3, "lastUpdatedAt": rfc3339_ago(Duration::from_secs(5400))}}));
    let deleted = rfc3339_ago(Duration::from_secs(3600));
    kube.insert(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "abc-n0-0", "namespace": ns, "deletionTimestamp": deleted,
                     "labels": {"execution-id": "abc", "node-id": "n0"},
                     "finalizers": ["flyte.org/finalizer-k8s", "example.com/keep"]},
        "status": {"phase": "Succeeded"}}));
    kube.insert(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "old-n1-0", "namespace": ns, "deletionTimestamp": deleted,
                     "labels": {"execution-id": "old", "node-id": "n1"}, "finalizers": ["flyte/flytek8s"]},
        "status": {"phase": "Failed"}}));
    let dir = tempfile::tempdir()?;
    let kc = kubeconfig(&kube, dir.path())?;

    let out = run("doctor", &args(&["--kubeconfig", &kc])).await?;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!(
            "Task pods held in Terminating by propeller's finalizer after their execution ended:\n  \
             {ns}/abc-n0-0 (execution abc, Success): flyte.org/finalizer-k8s\n  \
             {ns}/old-n1-0 (execution old, its FlyteWorkflow is gone): flyte/flytek8s\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "  {ns}/abc: finished but its finalizer is not released"
        )),
        "{stdout}"
    );
    assert_eq!(kube.writes(), 0, "reporting writes nothing");

    let out = run(
        "doctor",
        &args(&["--kubeconfig", &kc, "--free", "--dry-run", "-o", "json"]),
    )
    .await?;
    assert_eq!(out.status.code(), Some(1), "a dry run frees nothing");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        report["held_task_pods"]
            .as_array()
            .map(|a| a.iter().map(|p| p["name"].clone()).collect::<Vec<_>>()),
        Some(vec![json!("abc-n0-0"), json!("old-n1-0")])
    );
    assert_eq!(report["held_task_pods"][1]["workflow_phase"], json!(null));
    assert_eq!(
        report["freed"],
        json!([
            {"object": format!("flyteworkflow {ns}/abc"), "result": format!("flyteworkflow {ns}/abc: would update")},
            {"object": format!("pod {ns}/abc-n0-0"), "result": format!("pod {ns}/abc-n0-0: would update")},
            {"object": format!("pod {ns}/old-n1-0"), "result": format!("pod {ns}/old-n1-0: would update")},
        ])
    );
    assert!(kube.object("Pod", ns, "old-n1-0").is_some());

    let out = run("doctor", &args(&["--kubeconfig", &kc, "--free"])).await?;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!(
            "Freeing (propeller's finalizers only):\n  flyteworkflow {ns}/abc: updated\n  \
             pod {ns}/abc-n0-0: updated\n  pod {ns}/old-n1-0: updated\n"
        )),
        "{stdout}"
    );
    let finalizers = |kind: &str, name: &str| {
        kube.object(kind, ns, name)
            .map(|o| o["metadata"]["finalizers"].clone())
    };
    assert_eq!(
        finalizers("FlyteWorkflow", "abc"),
        Some(json!(["example.com/backup"]))
    );
    assert_eq!(
        finalizers("Pod", "abc-n0-0"),
        Some(json!(["example.com/keep"]))
    );
    assert_eq!(finalizers("Pod", "old-n1-0"), None, "deleted once freed");

    let out = run("doctor", &args(&["--kubeconfig", &kc])).await?;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("No task pods held in Terminating by propeller's finalizer."),
        "{stdout}"
    );
    assert!(stdout.contains("No stuck FlyteWorkflows"), "{stdout}");
    Ok(())
}

#[tokio::test]
async fn onboard_twice_changes_nothing_the_second_time() -> TestResult {
    let admin = TestAdmin::start().await?;
    let kube = MockKube::start().await?;
    let dir = tempfile::tempdir()?;
    let kc = kubeconfig(&kube, dir.path())?;
    let file = dir.path().join("team.yaml");
    std::fs::write(
        &file,
        "project: {id: ml-team, name: ML Team, description: Search models}\n\
         domains: [development, production]\n\
         namespaceLabels: {cost-center: \"42\"}\n\
         quota: {cpu: \"64\", memory: 256Gi}\n\
         containerLimits: {defaultCpu: 500m, defaultMemory: 1Gi}\n\
         serviceAccount: {name: default, annotations: {eks.amazonaws.com/role-arn: \"arn:aws:iam::1:role/ml\"}}\n\
         taskResources: {defaults: {cpu: 500m, memory: 1Gi}, limits: {cpu: \"8\", memory: 64Gi}}\n",
    )?;
    let file = file.to_string_lossy().into_owned();
    let endpoint = admin.addr().to_string();
    let base = |extra: &[&str]| {
        let mut a = args(&[
            &file,
            "--endpoint",
            &endpoint,
            "--insecure",
            "--kubeconfig",
            &kc,
        ]);
        a.extend(args(extra));
        a
    };

    let out = run("onboard", &base(&["--dry-run"])).await?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dry = text(&out.stdout);
    assert!(dry.contains("project ml-team: would register"), "{dry}");
    assert!(
        dry.contains("namespace ml-team-production: would create"),
        "{dry}"
    );
    assert!(
        dry.contains("task resource attributes ml-team/development: would set"),
        "{dry}"
    );
    assert!(kube
        .object("Namespace", "", "ml-team-development")
        .is_none());
    assert_eq!(admin.calls("RegisterProject"), 0);

    let out = run("onboard", &base(&[])).await?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let first = text(&out.stdout);
    assert!(first.contains("project ml-team: registered"), "{first}");
    assert!(
        first.contains("serviceaccount ml-team-development/default: created"),
        "{first}"
    );
    assert!(
        first.contains("task resource attributes ml-team/production: set"),
        "{first}"
    );
    assert!(kube
        .object("ResourceQuota", "ml-team-production", "project-quota")
        .is_some());

    let writes = kube.writes();
    let out = run("onboard", &base(&[])).await?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let second = text(&out.stdout);
    assert!(
        second.lines().all(|l| l.ends_with("unchanged")),
        "the second run changes nothing:\n{second}"
    );
    assert_eq!(kube.writes(), writes);

    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "project: {id: ml-team}\nquotas: {cpu: 1}\n")?;
    let out = run(
        "onboard",
        &args(&[
            &bad.to_string_lossy(),
            "--endpoint",
            &endpoint,
            "--insecure",
            "--kubeconfig",
            &kc,
        ]),
    )
    .await?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("file.quotas: unknown key"),
        "{}",
        text(&out.stderr)
    );
    Ok(())
}
