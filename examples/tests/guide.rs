//! The lines of a typical Flyte operations guide, each run with the example that replaces it
//! (`examples/README.md` has the table), against the test kit and, for the kubectl lines, the
//! mock Kubernetes API. `config init` is tested in `config_example.rs`, `register files` in
//! `register_example.rs`, `create project`/`get project` in `admin_examples.rs`.

use std::process::Output;
use std::time::Duration;

mod common;

use flyte_admin_client::pb::{admin, core};
use flyte_admin_client::{AdminClient, LaunchPlanId, WorkflowId};
use flyte_testkit::{Executors, MockKube, TestAdmin};
use serde_json::{json, Value};

type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn run(
    admin: &TestAdmin,
    name: &str,
    args: &[&str],
) -> Result<Output, Box<dyn std::error::Error>> {
    common::run_against(admin, name, args).await
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs and expects `status`; returns stdout and stderr.
async fn expect(
    status: i32,
    admin: &TestAdmin,
    name: &str,
    args: &[&str],
) -> Result<(String, String), Box<dyn std::error::Error>> {
    let out = run(admin, name, args).await?;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(status),
        "{name} {args:?}\nstdout: {stdout}\nstderr: {stderr}"
    );
    Ok((stdout, stderr))
}

/// Runs and expects status 0; returns stdout.
async fn ok(
    admin: &TestAdmin,
    name: &str,
    args: &[&str],
) -> Result<String, Box<dyn std::error::Error>> {
    Ok(expect(0, admin, name, args).await?.0)
}

/// Runs and expects status 1 with one line on stderr; returns it.
async fn fails(
    admin: &TestAdmin,
    name: &str,
    args: &[&str],
) -> Result<String, Box<dyn std::error::Error>> {
    let stderr = expect(1, admin, name, args).await?.1;
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    Ok(stderr)
}

fn client(admin: &TestAdmin) -> Result<AdminClient, Box<dyn std::error::Error>> {
    Ok(AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .build()?)
}

const PD: [&str; 4] = ["-p", "flytesnacks", "-d", "development"];

fn with<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    head.iter().chain(tail).copied().collect()
}

/// `flytectl create execution --execFile exec_spec.yaml -p P -d D`, with the file `flytectl
/// get launchplan --execFile` writes.
#[tokio::test]
async fn create_execution_from_an_exec_spec() -> TestResult {
    let admin = TestAdmin::start().await?;
    common::register_wf(&admin).await?;
    let dir = tempfile::tempdir()?;
    let spec = dir.path().join("exec_spec.yaml");
    std::fs::write(
        &spec,
        "iamRoleARN: \"\"\ninputs:\n  x: 3\nkubeServiceAcct: \"\"\ntargetDomain: \"\"\ntargetProject: \"\"\ntask: \"\"\nversion: v1\nworkflow: wf\n",
    )?;
    let spec = spec.to_str().ok_or("path")?;
    let stdout = ok(
        &admin,
        "launch",
        &with(&PD, &["--exec-file", spec, "--wait"]),
    )
    .await?;
    assert!(
        stdout.starts_with("execution flytesnacks:development:"),
        "{stdout}"
    );
    let last: Value = serde_json::from_str(stdout.lines().last().ok_or("no lines")?)?;
    assert_eq!(last, json!({"x": 3}));
    let table = ok(&admin, "executions", &with(&["list"], &PD)).await?;
    assert_eq!(table.lines().count(), 2, "{table}");
    assert!(
        table
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains(" SUCCEEDED ") && l.contains(" wf:v1 ")),
        "{table}"
    );
    assert!(table.lines().all(|l| l.len() <= 80), "{table}");
    Ok(())
}

/// A second version of launch plan `wf`, with a default input, a schedule and a notification.
async fn register_wf_v2(admin: &TestAdmin) -> TestResult {
    let int_t = core::LiteralType {
        r#type: Some(core::literal_type::Type::Simple(
            core::SimpleType::Integer as i32,
        )),
        ..Default::default()
    };
    let seven = flyte_admin_client::literals::json_to_literal(&json!(7), &int_t, "x")?;
    let param = core::Parameter {
        var: Some(core::Variable {
            r#type: Some(int_t),
            ..Default::default()
        }),
        behavior: Some(core::parameter::Behavior::Default(seven)),
    };
    client(admin)?
        .create_launch_plan(
            &LaunchPlanId::new("flytesnacks", "development", "wf", "v2"),
            admin::LaunchPlanSpec {
                workflow_id: Some(
                    WorkflowId::new("flytesnacks", "development", "wf", "v1").to_pb(),
                ),
                default_inputs: Some(core::ParameterMap {
                    parameters: [("x".to_owned(), param)].into_iter().collect(),
                }),
                entity_metadata: Some(admin::LaunchPlanMetadata {
                    schedule: Some(admin::Schedule {
                        schedule_expression: Some(
                            admin::schedule::ScheduleExpression::CronExpression("0 * * * *".into()),
                        ),
                        ..Default::default()
                    }),
                    notifications: vec![admin::Notification {
                        phases: vec![core::workflow_execution::Phase::Failed as i32],
                        r#type: Some(admin::notification::Type::Email(admin::EmailNotification {
                            recipients_email: vec!["oncall@example.com".into()],
                        })),
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await?;
    Ok(())
}

fn json_lines(stdout: &str) -> Result<Vec<Value>, serde_json::Error> {
    stdout.lines().map(serde_json::from_str).collect()
}

/// `flytectl get launchplan -p P -d D` and `flytectl update launchplan --activate|--deactivate
/// -p P -d D NAME --version V`.
#[tokio::test]
async fn get_activate_and_deactivate_launch_plans() -> TestResult {
    let admin = TestAdmin::start().await?;
    common::register_wf(&admin).await?;
    register_wf_v2(&admin).await?;

    let table = ok(&admin, "launchplans", &with(&["list"], &PD)).await?;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("NAME "), "{table}");
    assert!(
        lines[1].starts_with("wf ")
            && lines[1].contains(" v2 ")
            && lines[1].contains("INACTIVE")
            && lines[1].contains("cron 0 * * * *"),
        "{table}"
    );
    assert!(lines[2].contains(" v1 "), "{table}");
    assert!(lines.iter().all(|l| l.len() <= 80), "{table}");
    let latest = json_lines(
        &ok(
            &admin,
            "launchplans",
            &with(&["list", "--latest", "-o", "json"], &PD),
        )
        .await?,
    )?;
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0]["version"], "v2");

    let said = ok(
        &admin,
        "launchplans",
        &with(&["activate", "wf", "--version", "v1"], &PD),
    )
    .await?;
    assert_eq!(said, "activated wf v1 (none was active)\n");
    let said = ok(&admin, "launchplans", &with(&["activate", "wf"], &PD)).await?;
    assert_eq!(said, "activated wf v2 (deactivated v1)\n");
    let active = json_lines(
        &ok(
            &admin,
            "launchplans",
            &with(&["list", "--active", "-o", "json"], &PD),
        )
        .await?,
    )?;
    assert_eq!(active.len(), 1, "{active:?}");
    assert_eq!(
        (active[0]["version"].as_str(), active[0]["state"].as_str()),
        (Some("v2"), Some("ACTIVE"))
    );

    let got: Value = serde_json::from_str(
        &ok(
            &admin,
            "launchplans",
            &with(&["get", "wf", "-o", "json"], &PD),
        )
        .await?,
    )?;
    assert_eq!(got["version"], "v2");
    assert_eq!(got["state"], "ACTIVE");
    assert_eq!(got["workflow"], "wf:v1");
    assert_eq!(
        got["inputs"]["x"],
        json!({"type": "integer", "required": false, "default": 7})
    );
    assert_eq!(got["outputs"]["x"], "integer");
    assert_eq!(got["fixed_inputs"], json!({}));
    assert_eq!(got["schedule"]["expression"], "cron 0 * * * *");
    assert_eq!(
        got["notifications"],
        json!([{"phases": ["FAILED"], "kind": "email", "recipients": ["oncall@example.com"]}])
    );
    let yaml = ok(
        &admin,
        "launchplans",
        &with(&["get", "wf", "--version", "v1", "-o", "yaml"], &PD),
    )
    .await?;
    assert!(
        yaml.contains("version: v1") && yaml.contains("state: INACTIVE"),
        "{yaml}"
    );
    let lines = ok(&admin, "launchplans", &with(&["get", "wf"], &PD)).await?;
    assert!(lines.contains("\n  x: integer = 7\n"), "{lines}");
    assert!(lines.contains("\nschedule: cron 0 * * * *\n"), "{lines}");
    assert!(
        lines.contains("\n  on FAILED: email oncall@example.com\n"),
        "{lines}"
    );

    let said = ok(&admin, "launchplans", &with(&["deactivate", "wf"], &PD)).await?;
    assert_eq!(said, "deactivated wf v2 (it was active)\n");
    let err = fails(&admin, "launchplans", &with(&["deactivate", "wf"], &PD)).await?;
    assert!(
        err.contains("no version of wf is active in flytesnacks/development"),
        "{err}"
    );
    let err = fails(&admin, "launchplans", &with(&["get", "nope"], &PD)).await?;
    assert!(err.contains("NOT_FOUND"), "{err}");
    Ok(())
}

/// The guide's own attribute file, in the flow style guides print it.
const GUIDE_FILE: &str = "defaults: {cpu: \"2\", memory: 4Gi, gpu: \"0\"}\nlimits: {cpu: \"16\", memory: 64Gi, gpu: \"8\"}\n";

/// `flytectl update task-resource-attribute --project ml-team --domain production --attrFile
/// task-resource-attrs.yaml`, and every way flytectl's files come.
#[tokio::test]
async fn update_task_resource_attribute_with_the_guides_file() -> TestResult {
    let admin = TestAdmin::builder().projects(["ml-team"]).start().await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("task-resource-attrs.yaml");
    let f = file.to_str().ok_or("path")?;
    let scope = ["--project", "ml-team", "--domain", "production"];
    let get = with(&["get", "task-resource-attribute", "-o", "json"], &scope);

    std::fs::write(&file, GUIDE_FILE)?;
    let said = ok(
        &admin,
        "attributes",
        &with(
            &["update", "task-resource-attribute", "--attr-file", f],
            &scope,
        ),
    )
    .await?;
    assert_eq!(
        said,
        "updated task-resource-attribute for ml-team/production\n"
    );
    let got: Value = serde_json::from_str(&ok(&admin, "attributes", &get).await?)?;
    assert_eq!(
        got,
        json!({"project": "ml-team", "domain": "production",
               "defaults": {"cpu": "2", "gpu": "0", "memory": "4Gi"},
               "limits": {"cpu": "16", "gpu": "8", "memory": "64Gi"}})
    );

    // The same in block style, as JSON, and with the scope (or part of it) in the file.
    let forms = [
        ("block", "defaults:\n  cpu: \"1\"\n  memory: 1Gi\nlimits:\n  cpu: \"4\"\n  memory: 8Gi\n", &scope[..], "1Gi"),
        ("json", "{\"defaults\": {\"cpu\": \"1\", \"memory\": \"2Gi\"}, \"limits\": {\"cpu\": \"4\", \"memory\": \"8Gi\"}}", &scope[..], "2Gi"),
        ("whole scope in file", "project: ml-team\ndomain: production\ndefaults:\n  memory: 3Gi\nlimits:\n  memory: 8Gi\n", &[][..], "3Gi"),
        ("project in file", "project: ml-team\ndefaults:\n  memory: 5Gi\nlimits:\n  memory: 8Gi\n", &["-d", "production"][..], "5Gi"),
        ("agreeing flags", "project: ml-team\ndomain: production\ndefaults:\n  memory: 6Gi\nlimits:\n  memory: 8Gi\n", &scope[..], "6Gi"),
    ];
    for (form, body, flags, memory) in forms {
        std::fs::write(&file, body)?;
        let args = with(
            &["update", "task-resource-attribute", "--attr-file", f],
            flags,
        );
        ok(&admin, "attributes", &args).await?;
        let got: Value = serde_json::from_str(&ok(&admin, "attributes", &get).await?)?;
        assert_eq!(got["defaults"]["memory"], memory, "{form}: {got}");
    }

    // A file and a flag that disagree, and no project anywhere.
    std::fs::write(&file, "project: other-team\ndefaults:\n  cpu: \"1\"\n")?;
    let err = fails(
        &admin,
        "attributes",
        &with(
            &["update", "task-resource-attribute", "--attr-file", f],
            &scope,
        ),
    )
    .await?;
    assert!(
        err.contains("\"ml-team\"")
            && err.contains("\"other-team\"")
            && err.contains("task-resource-attrs.yaml"),
        "{err}"
    );
    std::fs::write(&file, GUIDE_FILE)?;
    let err = fails(
        &admin,
        "attributes",
        &[
            "update",
            "task-resource-attribute",
            "--attr-file",
            f,
            "--domain",
            "production",
        ],
    )
    .await?;
    assert!(
        err.contains("missing project: pass --project or set it in"),
        "{err}"
    );
    let err = fails(
        &admin,
        "attributes",
        &[
            "delete",
            "task-resource-attribute",
            "--workflow",
            "wf",
            "-p",
            "ml-team",
        ],
    )
    .await?;
    assert!(err.contains("missing domain"), "{err}");
    let out = run(
        &admin,
        "attributes",
        &["get", "task-resource-attribute", "-d", "production"],
    )
    .await?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("missing project: pass --project"),
        "{}",
        text(&out.stderr)
    );

    // Delete by the file's scope, with the flags filling in the domain.
    std::fs::write(&file, "project: ml-team\ndefaults:\n  cpu: \"1\"\n")?;
    let said = ok(
        &admin,
        "attributes",
        &[
            "delete",
            "task-resource-attribute",
            "--attr-file",
            f,
            "-d",
            "production",
        ],
    )
    .await?;
    assert_eq!(
        said,
        "deleted task-resource-attribute for ml-team/production\n"
    );
    let err = fails(&admin, "attributes", &get).await?;
    assert!(err.contains("NOT_FOUND"), "{err}");
    Ok(())
}

/// `flytectl update execution-cluster-label --project ml-team --domain production --value
/// gpu-cluster`, and the other one-value nouns with their flags.
#[tokio::test]
async fn update_one_value_attributes_with_flags() -> TestResult {
    let admin = TestAdmin::builder().projects(["ml-team"]).start().await?;
    let scope = ["--project", "ml-team", "--domain", "production"];
    let cases: [(&str, &[&str], Value); 4] = [
        (
            "execution-cluster-label",
            &["--value", "gpu-cluster"],
            json!({"value": "gpu-cluster"}),
        ),
        (
            "execution-queue-attribute",
            &["--tag", "gpu", "--tag", "critical"],
            json!({"tags": ["gpu", "critical"]}),
        ),
        (
            "task-resource-attribute",
            &["--default", "cpu=2", "--limit", "memory=64Gi"],
            json!({"defaults": {"cpu": "2"}, "limits": {"memory": "64Gi"}}),
        ),
        (
            "workflow-execution-config",
            &["--max-parallelism", "5", "--k8s-service-account", "demo"],
            json!({"max_parallelism": 5, "security_context": {"run_as": {"k8s_service_account": "demo"}}}),
        ),
    ];
    for (noun, flags, want) in cases {
        let said = ok(
            &admin,
            "attributes",
            &with(&with(&["update", noun], &scope), flags),
        )
        .await?;
        assert_eq!(said, format!("updated {noun} for ml-team/production\n"));
        let got: Value = serde_json::from_str(
            &ok(
                &admin,
                "attributes",
                &with(&["get", noun, "-o", "json"], &scope),
            )
            .await?,
        )?;
        for (k, v) in want.as_object().ok_or("object")? {
            assert_eq!(&got[k], v, "{noun}: {got}");
        }
    }
    let err = fails(
        &admin,
        "attributes",
        &with(
            &["update", "task-resource-attribute", "--value", "x"],
            &scope,
        ),
    )
    .await?;
    assert!(
        err.contains("--value sets execution-cluster-label, not task-resource-attribute"),
        "{err}"
    );
    let err = fails(
        &admin,
        "attributes",
        &with(&["update", "execution-cluster-label"], &scope),
    )
    .await?;
    assert!(err.contains("pass --value LABEL"), "{err}");
    // Without a domain the label is project-wide, and the command says so.
    let said = ok(
        &admin,
        "attributes",
        &[
            "update",
            "execution-cluster-label",
            "-p",
            "ml-team",
            "--value",
            "cpu-pool",
        ],
    )
    .await?;
    assert_eq!(
        said,
        "updated execution-cluster-label for ml-team (all domains)\n"
    );
    let got = ok(
        &admin,
        "attributes",
        &[
            "get",
            "execution-cluster-label",
            "-p",
            "ml-team",
            "-d",
            "development",
        ],
    )
    .await?;
    assert!(
        got.contains("value: cpu-pool"),
        "development inherits it: {got}"
    );
    let err = fails(
        &admin,
        "attributes",
        &with(
            &["update", "task-resource-attribute", "--default", "cpus=2"],
            &scope,
        ),
    )
    .await?;
    assert!(err.contains("--default cpus=2: expected cpu, gpu"), "{err}");
    Ok(())
}

/// `flytectl get execution NAME --details`, `flytectl create execution --relaunch NAME` and
/// `--recover NAME`.
#[tokio::test]
async fn get_relaunch_and_recover_an_execution() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::fail(Duration::ZERO, "USER:Boom", "it broke"))
        .start()
        .await?;
    common::register_wf(&admin).await?;
    let stdout = ok(
        &admin,
        "launch",
        &with(
            &PD,
            &["--launch-plan", "wf", "--input", "x=4", "--name", "first"],
        ),
    )
    .await?;
    assert_eq!(stdout, "execution flytesnacks:development:first\n");
    let first = flyte_admin_client::ExecutionId::new("flytesnacks", "development", "first");
    admin
        .wait_for_terminal(&first.to_pb())
        .await
        .ok_or("no execution first")?;

    let got: Value = serde_json::from_str(
        &ok(
            &admin,
            "executions",
            &with(&["get", "first", "--nodes", "-o", "json"], &PD),
        )
        .await?,
    )?;
    assert_eq!(got["phase"], "FAILED");
    assert_eq!(got["launch_plan"], "wf:v1");
    assert_eq!(got["error"]["code"], "USER:Boom");
    assert_eq!(got["error"]["message"], "it broke");
    assert_eq!(got["inputs"], json!({"x": 4}));
    assert_eq!(got["outputs"], json!({}));
    let nodes = got["nodes"].as_array().ok_or("nodes")?;
    let n0 = nodes
        .iter()
        .find(|n| n["node_id"] == "n0")
        .ok_or("no node n0")?;
    assert_eq!(n0["phase"], "FAILED", "{got}");
    assert!(n0["attempts"].as_u64() >= Some(1), "{got}");
    assert_eq!(n0["error"]["message"], "it broke", "{got}");

    let table = ok(
        &admin,
        "executions",
        &with(&["get", "first", "--nodes"], &PD),
    )
    .await?;
    assert!(table.contains("phase: FAILED\n"), "{table}");
    assert!(table.contains("inputs: {\"x\":4}\n"), "{table}");
    let node_line = table
        .lines()
        .find(|l| l.starts_with("n0 "))
        .ok_or(table.clone())?;
    assert!(node_line.contains("FAILED"), "{table}");
    assert!(table.contains("  error: USER:Boom"), "{table}");
    assert!(table.lines().all(|l| l.len() <= 80), "{table}");

    let out = run(
        &admin,
        "executions",
        &with(
            &["relaunch", "first", "--name", "second", "--wait"],
            &[
                "--timeout",
                "18446744073709551615",
                "-p",
                "flytesnacks",
                "-d",
                "development",
            ],
        ),
    )
    .await?;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "it fails again: {stdout}{}",
        text(&out.stderr)
    );
    assert!(
        stdout.starts_with("execution flytesnacks:development:second\n"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some("{}"));
    assert!(
        text(&out.stderr).contains("USER:Boom: it broke"),
        "{}",
        text(&out.stderr)
    );
    let again: Value = serde_json::from_str(
        &ok(
            &admin,
            "executions",
            &with(&["get", "second", "-o", "json"], &PD),
        )
        .await?,
    )?;
    assert_eq!(
        (again["mode"].as_str(), again["inputs"].clone()),
        (Some("RELAUNCH"), json!({"x": 4}))
    );

    let said = ok(
        &admin,
        "executions",
        &with(&["recover", "first", "--name", "third"], &PD),
    )
    .await?;
    assert_eq!(said, "execution flytesnacks:development:third\n");
    // A --timeout past any clock (u64::MAX seconds) waits as long as it takes, no panic.
    let (stdout, stderr) = expect(
        1,
        &admin,
        "executions",
        &with(
            &["watch", "third", "--timeout", "18446744073709551615"],
            &PD,
        ),
    )
    .await?;
    assert_eq!(
        stdout, "flytesnacks:development:third: FAILED\n",
        "{stderr}"
    );
    let yaml = ok(
        &admin,
        "executions",
        &with(&["get", "first", "-o", "yaml"], &PD),
    )
    .await?;
    assert!(
        yaml.contains("phase: FAILED\n") && yaml.contains("kind: USER\n"),
        "{yaml}"
    );
    let err = fails(&admin, "executions", &with(&["get", "nope"], &PD)).await?;
    assert!(err.contains("NOT_FOUND"), "{err}");
    Ok(())
}

/// `kubectl create secret generic`, `kubectl get pods` (Flyte's, and an execution's) and
/// `kubectl logs` of propeller, against the mock Kubernetes API.
#[tokio::test]
async fn kubectl_secret_pods_and_propeller_logs() -> TestResult {
    let kube = MockKube::start().await?;
    let dir = tempfile::tempdir()?;
    let kc = dir.path().join("kubeconfig");
    std::fs::write(&kc, kube.kubeconfig_yaml())?;
    let kc = kc.to_str().ok_or("path")?;
    let ns = "ml-team-production";
    kube.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
    kube.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flyte"}}));
    kube.insert(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "flyte-flyte-binary", "namespace": "flyte", "labels": {"app.kubernetes.io/name": "flyte-binary"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "flyte-binary"}},
                 "template": {"spec": {"containers": [{"name": "flyte", "image": "cr.flyte.org/flyteorg/flyte-binary:v1.16.8"}]}}},
        "status": {"readyReplicas": 1}
    }));
    kube.insert(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "flyte-flyte-binary-7c9", "namespace": "flyte", "labels": {"app.kubernetes.io/name": "flyte-binary"}}, "status": {"phase": "Running"}}));
    kube.insert(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "abc-n0-0", "namespace": ns, "labels": {"execution-id": "abc", "node-id": "n0"}}, "status": {"phase": "Running"}}));
    kube.set_log(
        "flyte",
        "flyte-flyte-binary-7c9",
        "flyte",
        "Handling abc\nunrelated\nabc: node n0 running",
    );

    // kubectl create secret generic aws --from-literal=access-key=... -n ml-team-production
    let out = common::run_example(
        "secrets",
        strings(&[
            "--kubeconfig",
            kc,
            "create",
            "--project",
            "ml-team",
            "--domain",
            "production",
            "--name",
            "aws",
            "--from-literal",
            "access-key=s3cret",
        ]),
    )
    .await?;
    assert_eq!(
        text(&out.stdout),
        "secret ml-team-production/aws: created (keys: access-key)\n",
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stdout).contains("s3cret") && !text(&out.stderr).contains("s3cret"));

    // kubectl get pods -n flyte
    let out = common::run_example("doctor", strings(&["--kubeconfig", kc])).await?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("flyte-binary    1/1 ready"),
        "{}",
        text(&out.stdout)
    );

    // kubectl get pods -n ml-team-production -l execution-id=abc; kubectl logs -n flyte flyte-flyte-binary-7c9 | grep abc
    let out = common::run_example(
        "doctor",
        strings(&[
            "--kubeconfig",
            kc,
            "--execution",
            "ml-team/production/abc",
            "--logs",
            "50",
            "-o",
            "json",
        ]),
    )
    .await?;
    let report: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        report["execution"]["pods"],
        json!([{"name": "abc-n0-0", "phase": "Running", "node": "n0"}]),
        "{report}"
    );
    assert_eq!(
        report["propeller_log"],
        json!(["Handling abc", "abc: node n0 running"])
    );
    Ok(())
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}
