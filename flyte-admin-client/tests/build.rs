//! Tasks, workflows and launch plans built in Rust: checked before sending, registered into the
//! test kit (which compiles them as FlyteAdmin does), written as pyflyte-compatible archives.

mod common;

use std::time::Duration;

use common::{client, fixture, TestResult};
use flyte_admin_client::build::{
    types, BuildError, Compare, Condition, ContainerTask, LaunchPlan, Node, Notify, PodTemplate,
    RateUnit, Resources, Source, Workflow,
};
use flyte_admin_client::literals::LiteralError;
use flyte_admin_client::pb::core::workflow_execution::Phase;
use flyte_admin_client::pb::{admin, core};
use flyte_admin_client::register::{Entity, Outcome, Package, RegisterOptions};
use flyte_admin_client::{LaunchPlanId, TaskId, WorkflowId};
use flyte_testkit::TestAdmin;

fn double() -> ContainerTask {
    ContainerTask::new("rs.double", "alpine:3.20")
        .command([
            "sh",
            "-c",
            "echo $(( $(cat /var/inputs/x) * 2 )) > /var/outputs/y",
        ])
        .input("x", types::integer())
        .output("y", types::integer())
        .requests(Resources::new().cpu("500m").memory("256Mi"))
        .limits(Resources::new().cpu("1").memory("512Mi"))
        .env("MODE", "fast")
        .retries(2)
        .timeout(Duration::from_secs(600))
        .interruptible(true)
        .cache("1")
        .secret("aws", "access-key")
}

fn label() -> ContainerTask {
    ContainerTask::new("rs.label", "alpine:3.20")
        .command(["sh", "-c", "echo big > /var/outputs/text"])
        .input("y", types::integer())
        .output("text", types::string())
}

fn pipeline() -> Workflow {
    let double = double();
    let label = label();
    Workflow::new("rs.pipeline")
        .input("x", types::integer())
        .node(Node::task("twice", &double).bind("x", Source::input("x")))
        .node(Node::task("again", &double).bind("x", Source::output("twice", "y")))
        .node(Node::branch(
            "size",
            vec![(
                Condition::compare(
                    Source::output("again", "y"),
                    Compare::Gte,
                    Source::value(100),
                ),
                Node::task("big", &label).bind("y", Source::output("again", "y")),
            )],
            Some(Node::task("small", &label).bind("y", Source::value(0))),
        ))
        .output("y", Source::output("again", "y"))
        .output("size", Source::output("size", "text"))
}

fn package() -> Result<Package, BuildError> {
    let wf = pipeline();
    let nightly = LaunchPlan::new("rs.pipeline.nightly", &wf)
        .default_input("x", 21)
        .cron("0 3 * * *")
        .notify([Phase::Failed], Notify::email(["ops@example.com"]))
        .label("team", "data")
        .service_account("pipelines")
        .raw_output_prefix("s3://raw/rs");
    let mut p = Package::default();
    p.add_task(&double())?
        .add_task(&label())?
        .add_workflow(&wf)?
        .add_launch_plan(&LaunchPlan::default_for(&wf))?
        .add_launch_plan(&nightly)?;
    Ok(p)
}

#[tokio::test]
async fn rust_built_entities_register_and_compile() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let report = c
        .register(
            package()?,
            &RegisterOptions::new("flytesnacks", "development").version("b1"),
        )
        .await?;
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(report.count(Outcome::Registered), 5);
    let (p, d, v) = ("flytesnacks", "development", "b1");
    let task = c.get_task(&TaskId::new(p, d, "rs.double", v)).await?;
    let template = task
        .closure
        .and_then(|c| c.compiled_task)
        .and_then(|c| c.template)
        .ok_or("no template")?;
    let md = template.metadata.ok_or("no metadata")?;
    assert_eq!(
        (
            md.discoverable,
            md.discovery_version.as_str(),
            md.retries.map(|r| r.retries)
        ),
        (true, "1", Some(2))
    );
    let secrets = template
        .security_context
        .map(|s| s.secrets)
        .unwrap_or_default();
    assert_eq!(secrets[0].group, "aws");
    let wf = c
        .get_workflow(&WorkflowId::new(p, d, "rs.pipeline", v))
        .await?;
    let compiled = wf
        .closure
        .and_then(|c| c.compiled_workflow)
        .and_then(|c| c.primary)
        .and_then(|p| p.template)
        .ok_or("not compiled")?;
    assert_eq!(compiled.nodes.len(), 3);
    let lp = c
        .get_launch_plan(&LaunchPlanId::new(p, d, "rs.pipeline.nightly", v))
        .await?;
    let spec = lp.spec.ok_or("no spec")?;
    let schedule = spec
        .entity_metadata
        .and_then(|m| m.schedule)
        .ok_or("no schedule")?;
    assert!(matches!(
        schedule.schedule_expression,
        Some(admin::schedule::ScheduleExpression::CronSchedule(ref c)) if c.schedule == "0 3 * * *"
    ));
    assert_eq!(
        spec.raw_output_data_config
            .map(|r| r.output_location_prefix),
        Some("s3://raw/rs".to_owned())
    );
    Ok(())
}

#[test]
fn built_packages_are_written_as_pyflyte_archives() -> TestResult {
    let p = package()?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("rs.tgz");
    p.write_archive(&path)?;
    let back = Package::open([&path])?;
    let files: Vec<&str> = back.entries.iter().map(|e| e.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "00_rs.double_1.pb",
            "01_rs.label_1.pb",
            "02_rs.pipeline_2.pb",
            "03_rs.pipeline_3.pb",
            "04_rs.pipeline.nightly_3.pb"
        ]
    );
    let entities = |p: &Package| -> Vec<_> { p.entries.iter().map(|e| e.entity.clone()).collect() };
    assert_eq!(entities(&back), entities(&p));
    Ok(())
}

fn error(r: Result<impl std::fmt::Debug, BuildError>) -> String {
    match r {
        Err(e) => e.to_string(),
        Ok(v) => panic!("accepted: {v:?}"),
    }
}

#[test]
fn workflow_mistakes_are_named_by_node() {
    let d = double();
    let base = || Workflow::new("w").input("x", types::integer());
    let e = error(base().node(Node::task("n0", &d)).spec());
    assert_eq!(e, "workflow w node n0: input \"x\" is not bound");
    let e = error(
        base()
            .input("s", types::string())
            .node(Node::task("n0", &d).bind("x", Source::input("s")))
            .spec(),
    );
    assert!(
        e.contains("node n0 input x")
            && e.contains("expects integer, but workflow input \"s\" is string"),
        "{e}"
    );
    let e = error(
        base()
            .node(Node::task("n0", &d).bind("x", Source::output("n9", "y")))
            .spec(),
    );
    assert!(e.contains("node n0") && e.contains("no node \"n9\""), "{e}");
    let e = error(
        base()
            .node(Node::task("n0", &d).bind("x", Source::input("x")))
            .output("o", Source::output("n0", "z"))
            .spec(),
    );
    assert!(e.contains("node \"n0\" has no output \"z\""), "{e}");
    let e = error(
        base()
            .node(Node::task("a", &d).bind("x", Source::output("b", "y")))
            .node(Node::task("b", &d).bind("x", Source::output("a", "y")))
            .spec(),
    );
    assert!(
        e.contains("cycle") && e.contains('a') && e.contains('b'),
        "{e}"
    );
    let e = error(
        base()
            .node(Node::task("a", &d).bind("x", Source::input("x")))
            .node(Node::task("a", &d).bind("x", Source::input("x")))
            .spec(),
    );
    assert!(e.contains("\"a\" is used twice"), "{e}");
    let ten = base()
        .node(Node::task("n0", &d).bind("x", Source::value("ten")))
        .spec();
    // The conversion's error travels as the source.
    if let Err(e) = &ten {
        let cause = std::error::Error::source(e).map(|c| c.is::<LiteralError>());
        assert_eq!(cause, Some(true), "{e:?}");
    }
    let e = error(ten);
    assert!(e.contains("node n0 input x"), "{e}");
    let e = error(
        base()
            .node(
                Node::task("n0", &d)
                    .bind("x", Source::input("x"))
                    .bind("q", Source::input("x")),
            )
            .spec(),
    );
    assert!(
        e.contains("binds \"q\", which is not one of its inputs (x)"),
        "{e}"
    );
    let e = error(
        base()
            .node(Node::branch(
                "br",
                vec![(
                    Condition::compare(Source::input("x"), Compare::Eq, Source::value("one")),
                    Node::task("t", &d).bind("x", Source::input("x")),
                )],
                None,
            ))
            .spec(),
    );
    assert!(e.contains("node br") && e.contains("compares"), "{e}");

    // A task built in Rust must be in the package before a workflow that runs it.
    let mut p = Package::default();
    let wf = base().node(Node::task("n0", &d).bind("x", Source::input("x")));
    assert_eq!(
        error(p.add_workflow(&wf).map(|_| ())),
        "workflow w node n0: task rs.double is not in the package: add it first (or use Node::task_ref for a registered task)"
    );
}

#[test]
fn task_and_launch_plan_mistakes_are_named() {
    assert!(error(ContainerTask::new("t", "img").spec()).contains("no command"));
    let e = error(
        ContainerTask::new("t", "img")
            .command(["true"])
            .requests(Resources::new().memory("lots"))
            .spec(),
    );
    assert!(
        e.contains("task t: memory \"lots\" is not a Kubernetes quantity"),
        "{e}"
    );
    let e = error(
        ContainerTask::new("t", "img")
            .command(["true"])
            .input("a b", types::integer())
            .spec(),
    );
    assert!(e.contains("input \"a b\""), "{e}");

    let wf = pipeline();
    let e = error(LaunchPlan::new("lp", &wf).default_input("nope", 1).spec());
    assert!(
        e.contains(
            "launch plan lp: default input \"nope\" is not an input of workflow rs.pipeline"
        ),
        "{e}"
    );
    let e = error(LaunchPlan::new("lp", &wf).fixed_input("x", "ten").spec());
    assert!(
        e.contains("launch plan lp") && e.contains("fixed input x"),
        "{e}"
    );
    let e = error(LaunchPlan::new("lp", &wf).cron("0 3 * * *").spec());
    assert!(
        e.contains("scheduled, but inputs [\"x\"] have no default or fixed value"),
        "{e}"
    );
    let e = error(
        LaunchPlan::new("lp", &wf)
            .default_input("x", 1)
            .cron("every day")
            .spec(),
    );
    assert!(e.contains("cron expression \"every day\""), "{e}");
    let e = error(
        LaunchPlan::new("lp", &wf)
            .default_input("x", 1)
            .rate(0, RateUnit::Hour)
            .spec(),
    );
    assert!(e.contains("a rate of 0"), "{e}");
    let ok = LaunchPlan::new("lp", &wf)
        .fixed_input("x", 5)
        .rate(2, RateUnit::Hour)
        .spec();
    assert!(ok.is_ok(), "{ok:?}");
    // A launch plan of a broken workflow carries the workflow's error.
    let broken = Workflow::new("broken").output("o", Source::input("missing"));
    let e = error(LaunchPlan::new("lp", &broken).spec());
    assert!(
        e.contains("workflow broken") && e.contains("no workflow input \"missing\""),
        "{e}"
    );
}

#[test]
fn branch_conditions_become_branch_inputs() -> TestResult {
    let spec = pipeline().spec()?;
    let template = spec.template.ok_or("no template")?;
    let branch = template
        .nodes
        .iter()
        .find(|n| n.id == "size")
        .ok_or("no branch")?;
    assert_eq!(branch.inputs.len(), 1);
    assert_eq!(branch.inputs[0].var, ".0");
    assert_eq!(branch.upstream_node_ids, ["again"]);
    let outputs: Vec<&String> = template
        .interface
        .as_ref()
        .and_then(|i| i.outputs.as_ref())
        .map(|o| o.variables.keys().collect())
        .unwrap_or_default();
    assert_eq!(outputs.len(), 2);
    let Some(core::node::Target::BranchNode(b)) = &branch.target else {
        return Err("not a branch".into());
    };
    let ie = b.if_else.as_ref().ok_or("no if_else")?;
    assert!(matches!(
        ie.default,
        Some(core::if_else_block::Default::ElseNode(_))
    ));
    Ok(())
}

/// The tasks of `fixtures/pyflyte/src/podtemplate/tasks.py`, built here.
fn pod_template_tasks() -> [ContainerTask; 2] {
    let render = ContainerTask::new("podtemplate.render", "alpine:3.20")
        .command(["sh", "-c", "cat /var/inputs/name > /var/outputs/out"])
        .args(["--verbose"])
        .input("name", types::string())
        .output("out", types::string())
        .requests(Resources::new().cpu("500m").memory("256Mi"))
        .limits(Resources::new().cpu("1").memory("512Mi"))
        .env("MODE", "render")
        .pod_template(
            PodTemplate::new(serde_json::json!({
                "containers": [
                    {
                        "name": "main",
                        "env": [{"name": "FROM_TEMPLATE", "value": "1"}],
                        "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
                    },
                    {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "infinity"]},
                ],
                "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
                "volumes": [{"name": "scratch", "emptyDir": {}}],
                "nodeSelector": {"pool": "batch"},
            }))
            .primary_container_name("main")
            .label("team", "ml")
            .annotation("cost-center", "42"),
        );
    let plain = ContainerTask::new("podtemplate.plain", "alpine:3.20")
        .command(["true"])
        .pod_template(PodTemplate::new(
            serde_json::json!({"nodeSelector": {"pool": "batch"}}),
        ));
    [render, plain]
}

fn template(spec: admin::TaskSpec) -> Result<core::TaskTemplate, &'static str> {
    spec.template.ok_or("no template")
}

#[test]
fn pod_templates_are_built_as_flytekit_builds_them() -> TestResult {
    // The same tasks serialized by flytekit 1.16.31 (`pyflyte package`, see the fixture README).
    let flytekit = Package::open([fixture("podtemplate.tgz")])?;
    let ours = pod_template_tasks();
    assert_eq!(flytekit.entries.len(), ours.len());
    for (entry, task) in flytekit.entries.iter().zip(&ours) {
        let Entity::Task(theirs) = &entry.entity else {
            return Err(format!("{} is not a task", entry.file).into());
        };
        let (theirs, ours) = (template(theirs.clone())?, template(task.spec()?)?);
        assert_eq!(ours.id, theirs.id);
        assert_eq!(ours.r#type, theirs.r#type);
        // flytekit describes each variable by its name; the types are what must agree.
        let types = |t: &core::TaskTemplate| {
            let i = t.interface.clone().unwrap_or_default();
            [i.inputs, i.outputs].map(|m| {
                let vars = m.unwrap_or_default().variables.into_iter();
                vars.map(|(name, v)| (name, v.r#type))
                    .collect::<std::collections::BTreeMap<_, _>>()
            })
        };
        assert_eq!(types(&ours), types(&theirs), "{}", task.name());
        // The pod (spec with the primary container merged, metadata, data loading) and the
        // primary container's name in the config, exactly; no container beside the pod.
        assert_eq!(ours.target, theirs.target, "{}", task.name());
        assert_eq!(ours.config, theirs.config, "{}", task.name());
    }
    Ok(())
}

#[tokio::test]
async fn a_pod_template_task_registers_and_reads_back_as_a_pod() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let mut package = Package::default();
    for task in pod_template_tasks() {
        package.add_task(&task)?;
    }
    let report = c
        .register(
            package,
            &RegisterOptions::new("flytesnacks", "development").version("p1"),
        )
        .await?;
    assert!(report.is_success(), "{report:#?}");
    let task = c
        .get_task(&TaskId::new(
            "flytesnacks",
            "development",
            "podtemplate.render",
            "p1",
        ))
        .await?;
    let template = task
        .closure
        .and_then(|c| c.compiled_task)
        .and_then(|t| t.template)
        .ok_or("no template")?;
    let Some(core::task_template::Target::K8sPod(pod)) = template.target else {
        return Err(format!("not a pod: {:?}", template.target).into());
    };
    let spec = json(&prost_types::Value {
        kind: pod.pod_spec.map(prost_types::value::Kind::StructValue),
    });
    let containers = &spec["containers"];
    assert_eq!(containers[0]["name"], "main");
    assert_eq!(containers[0]["image"], "alpine:3.20", "the task's image");
    assert_eq!(containers[0]["args"], serde_json::json!(["--verbose"]));
    assert_eq!(containers[1]["image"], "busybox:1.36", "the sidecar's own");
    assert_eq!(template.config["primary_container_name"], "main");
    Ok(())
}

/// A protobuf `Value` as JSON.
fn json(v: &prost_types::Value) -> serde_json::Value {
    use prost_types::value::Kind;
    match &v.kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => (*b).into(),
        Some(Kind::NumberValue(n)) => (*n).into(),
        Some(Kind::StringValue(s)) => s.as_str().into(),
        Some(Kind::ListValue(l)) => l.values.iter().map(json).collect(),
        Some(Kind::StructValue(s)) => s.fields.iter().map(|(k, v)| (k.clone(), json(v))).collect(),
    }
}

#[test]
fn pod_template_mistakes_are_named() {
    let task = |spec: serde_json::Value| {
        ContainerTask::new("rs.pod", "alpine:3.20")
            .command(["true"])
            .pod_template(PodTemplate::new(spec))
            .spec()
    };
    let cases = [
        (
            task(serde_json::json!(["not", "a", "spec"])),
            "task rs.pod: pod template: the pod spec is a list, not an object (a Kubernetes PodSpec)",
        ),
        (
            task(serde_json::json!({"containers": {"name": "primary"}})),
            "task rs.pod: pod template: containers is an object, not a list",
        ),
        (
            task(serde_json::json!({"containers": [{"name": "a"}, {"image": "b"}]})),
            "task rs.pod: pod template: container 1 has no name",
        ),
        (
            task(serde_json::json!({"containers": [{"name": "primary", "image": 3}]})),
            "task rs.pod: pod template: container \"primary\" has an image that is a number, not a string",
        ),
        (
            task(serde_json::json!({"containers": [{"name": "primary", "env": "A=1"}]})),
            "task rs.pod: pod template: container \"primary\" has env that is a string, not a list",
        ),
        (
            ContainerTask::new("rs.pod", "alpine:3.20")
                .command(["true"])
                .pod_template(PodTemplate::new(serde_json::json!({})).primary_container_name(" "))
                .spec(),
            "task rs.pod: pod template: no primary container name",
        ),
    ];
    for (result, expected) in cases {
        assert_eq!(error(result), expected);
    }
}

/// The tasks of `cached.tgz` (see the fixture README), built in Rust.
fn cached_tasks() -> [ContainerTask; 2] {
    let add = common::adder("cached.add")
        .cache("1.0")
        .cache_serializable(true)
        .cache_ignore_inputs(["note", "b"]);
    let echo = ContainerTask::new("cached.echo", "alpine:3.20")
        .command(["sh", "-c", "cat /var/inputs/text > /var/outputs/text"])
        .input("text", types::string())
        .output("text", types::string())
        .cache("v2");
    [add, echo]
}

#[test]
fn cached_tasks_are_built_as_flytekit_builds_them() -> TestResult {
    let flytekit = Package::open([fixture("cached.tgz")])?;
    let ours = cached_tasks();
    assert_eq!(flytekit.entries.len(), ours.len());
    // What propeller reads to memoize: whether, under which version, serialized or not, and
    // which inputs stay out of the key (in flytekit's order).
    let cache = |t: core::TaskTemplate| {
        let md = t.metadata.unwrap_or_default();
        (
            md.discoverable,
            md.discovery_version,
            md.cache_serializable,
            md.cache_ignore_input_vars,
        )
    };
    for (entry, task) in flytekit.entries.iter().zip(&ours) {
        let Entity::Task(theirs) = &entry.entity else {
            return Err(format!("{} is not a task", entry.file).into());
        };
        let (theirs, ours) = (template(theirs.clone())?, template(task.spec()?)?);
        assert_eq!(ours.id, theirs.id);
        assert_eq!(cache(ours), cache(theirs), "{}", task.name());
    }
    // An uncached task says so as flytekit does: nothing set.
    let plain = template(label().spec()?)?;
    assert_eq!(cache(plain), (false, String::new(), false, Vec::new()));
    Ok(())
}

#[test]
fn cache_mistakes_are_named() {
    let task = || {
        ContainerTask::new("t", "img")
            .command(["true"])
            .input("a", types::integer())
    };
    let e = error(task().cache("").spec());
    assert!(e.contains("task t: an empty cache version"), "{e}");
    // Propeller trims spaces and fails every run of such a task; it is refused here instead.
    let e = error(task().cache("  ").spec());
    assert!(e.contains("task t: an empty cache version"), "{e}");
    let e = error(task().cache_serializable(true).spec());
    assert!(
        e.contains("task t: cache_serializable needs cache(version)"),
        "{e}"
    );
    let e = error(task().cache_ignore_inputs(["a"]).spec());
    assert!(
        e.contains("task t: cache_ignore_inputs needs cache(version)"),
        "{e}"
    );
    let e = error(task().cache("1").cache_ignore_inputs(["a", "b"]).spec());
    assert!(
        e.contains("task t: cache_ignore_inputs names \"b\", which is not an input (inputs: a)"),
        "{e}"
    );
    let ok = task().cache(" 1 ").cache_ignore_inputs(["a"]).spec();
    assert!(ok.is_ok(), "{ok:?}");
}
