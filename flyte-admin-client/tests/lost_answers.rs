//! Creates whose answer is lost after FlyteAdmin stored what they made: retried, they are
//! neither doubled nor reported as failures; a different request under a taken name is still an
//! error; a launch plan's concurrency limit is never taken for success; a message too large is
//! sent once.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::{fixture, int, patient_client as client, register, TestResult, D, P};
use flyte_admin_client::pb::{admin, core};
use flyte_admin_client::register::{Outcome, Package, RegisterOptions};
use flyte_admin_client::{AdminClient, ExecutionId, ListOptions, RetryPolicy, TaskId};
use flyte_testkit::{Fault, RandomFaults, TestAdmin};
use futures::TryStreamExt as _;

fn x(v: i64) -> HashMap<String, core::Literal> {
    [("x".to_owned(), int(v))].into_iter().collect()
}

fn boolean(b: bool) -> core::Literal {
    core::Literal {
        value: Some(core::literal::Value::Scalar(Box::new(core::Scalar {
            value: Some(core::scalar::Value::Primitive(core::Primitive {
                value: Some(core::primitive::Value::Boolean(b)),
            })),
        }))),
        ..Default::default()
    }
}

fn project(id: &str, name: &str) -> admin::Project {
    admin::Project {
        id: id.to_owned(),
        name: name.to_owned(),
        description: format!("{name}, registered through lost answers"),
        ..Default::default()
    }
}

/// A boolean signal on `exec`, as propeller makes one when a gate node is reached.
async fn make_signal(c: &AdminClient, exec: &ExecutionId, signal: &str) -> TestResult {
    c.signal_service()
        .get_or_create_signal(admin::SignalGetOrCreateRequest {
            id: Some(core::SignalIdentifier {
                signal_id: signal.to_owned(),
                execution_id: Some(exec.to_pb()),
            }),
            r#type: Some(core::LiteralType {
                r#type: Some(core::literal_type::Type::Simple(
                    core::SimpleType::Boolean as i32,
                )),
                ..Default::default()
            }),
        })
        .await?;
    Ok(())
}

async fn executions(c: &AdminClient) -> Result<Vec<admin::Execution>, flyte_admin_client::Error> {
    c.list_executions(P, D, &ListOptions::default())
        .try_collect()
        .await
}

fn mode_and_source(e: &admin::Execution) -> Option<(i32, ExecutionId)> {
    let m = e.spec.as_ref()?.metadata.as_ref()?;
    Some((
        m.mode,
        ExecutionId::from_pb(m.reference_execution.as_ref()?),
    ))
}

#[tokio::test]
async fn every_create_survives_lost_answers_once_without_a_duplicate() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let source = c.launch(&lp, Some("source"), x(0)).await?;
    let package = Package::open([fixture("demo.tgz")])?;
    let versions = ["p1", "p2", "p3"];

    // Three answers in ten are lost after the server stored the call's work; one call in ten is
    // refused before it is handled.
    admin.set_random_faults(RandomFaults::new(16).unavailable(0.1).lose_answers(0.3));
    let mut made = Vec::new();
    for n in 0..150 {
        let id = c
            .launch(&lp, None, x(n))
            .await
            .map_err(|e| format!("unnamed launch {n}: {e}"))?;
        made.push(id);
    }
    for n in 0..100 {
        let name = format!("named-{n}");
        let id = c
            .launch(&lp, Some(&name), x(n))
            .await
            .map_err(|e| format!("launch {name}: {e}"))?;
        assert_eq!(id.name, name);
        made.push(id);
    }
    let mut relaunched = Vec::new();
    let mut recovered = Vec::new();
    for n in 0..60 {
        let name = format!("again-{n}");
        let named = (n % 2 == 0).then_some(name.as_str());
        let id = c
            .relaunch_execution(&source, named, false)
            .await
            .map_err(|e| format!("relaunch {n}: {e}"))?;
        relaunched.push(id.clone());
        made.push(id);
        let name = format!("recovered-{n}");
        let named = (n % 2 == 0).then_some(name.as_str());
        let id = c
            .recover_execution(&source, named)
            .await
            .map_err(|e| format!("recover {n}: {e}"))?;
        recovered.push(id.clone());
        made.push(id);
    }
    for n in 0..60 {
        c.register_project(project(&format!("team-{n}"), &format!("Team {n}")))
            .await
            .map_err(|e| format!("project {n}: {e}"))?;
    }
    for n in 0..40 {
        let signal = format!("gate-{n}");
        make_signal(&c, &source, &signal).await?;
        c.set_signal(&source, &signal, boolean(n % 3 == 0))
            .await
            .map_err(|e| format!("signal {n}: {e}"))?;
    }
    for version in versions {
        let report = c
            .register(
                package.clone(),
                &RegisterOptions::new(P, D).version(version),
            )
            .await?;
        assert!(report.is_success(), "{report:#?}");
        assert!(report
            .entities
            .iter()
            .all(|r| matches!(r.outcome, Outcome::Registered | Outcome::AlreadyExisted)));
    }
    let lost = admin.calls("CreateExecution")
        + admin.calls("RelaunchExecution")
        + admin.calls("RecoverExecution");
    admin.set_random_faults(RandomFaults::new(0));
    assert!(lost > 370 + 60, "faults were injected: {lost} calls");

    // What exists: each create once, under the name it returned.
    let all = executions(&c).await?;
    assert_eq!(all.len(), 1 + 150 + 100 + 60 + 60, "no execution doubled");
    let listed: HashSet<ExecutionId> = all
        .iter()
        .filter_map(|e| e.id.as_ref().map(ExecutionId::from_pb))
        .collect();
    let returned: HashSet<ExecutionId> = made.iter().cloned().collect();
    assert_eq!(
        returned.len(),
        made.len(),
        "every create returned its own id"
    );
    assert!(returned.is_subset(&listed));
    for id in made.iter().take(150) {
        assert_eq!(id.name.len(), 20, "{id}");
        assert!(id.name.starts_with('a'), "{id}");
    }
    let by_id: HashMap<ExecutionId, &admin::Execution> = all
        .iter()
        .filter_map(|e| Some((ExecutionId::from_pb(e.id.as_ref()?), e)))
        .collect();
    for (ids, mode) in [
        (
            &relaunched,
            admin::execution_metadata::ExecutionMode::Relaunch,
        ),
        (
            &recovered,
            admin::execution_metadata::ExecutionMode::Recovered,
        ),
    ] {
        for id in ids {
            let e = by_id.get(id).ok_or("listed")?;
            assert_eq!(
                mode_and_source(e),
                Some((mode as i32, source.clone())),
                "{id}"
            );
        }
    }

    let projects: Vec<admin::Project> = c
        .list_projects(&ListOptions::default())
        .try_collect()
        .await?;
    assert_eq!(projects.len(), 1 + 60, "flytesnacks and each team once");

    let signals: Vec<admin::Signal> = c
        .list_signals(&source, &ListOptions::default())
        .try_collect()
        .await?;
    assert_eq!(signals.len(), 40);
    for s in &signals {
        let n: u32 =
            s.id.as_ref()
                .and_then(|i| i.signal_id.strip_prefix("gate-"))
                .ok_or("a gate signal")?
                .parse()?;
        assert_eq!(s.value, Some(boolean(n % 3 == 0)), "gate-{n}");
    }

    let opts = ListOptions::default();
    let tasks: Vec<admin::Task> = c.list_tasks(P, D, None, &opts).try_collect().await?;
    let workflows: Vec<admin::Workflow> = c.list_workflows(P, D, None, &opts).try_collect().await?;
    let plans: Vec<admin::LaunchPlan> =
        c.list_launch_plans(P, D, None, &opts).try_collect().await?;
    let in_package = |kind| {
        package
            .entries
            .iter()
            .filter(|e| e.entity.kind() == kind)
            .count()
    };
    use flyte_admin_client::register::EntityKind;
    // The `double` task, `wf` workflow and launch plan registered first, then each version.
    assert_eq!(
        (tasks.len(), workflows.len(), plans.len()),
        (
            1 + 3 * in_package(EntityKind::Task),
            1 + 3 * in_package(EntityKind::Workflow),
            1 + 3 * in_package(EntityKind::LaunchPlan),
        )
    );
    Ok(())
}

#[tokio::test]
async fn a_different_request_under_a_taken_name_is_still_an_error() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let other = register(&c, "v2").await?;
    let first = c.launch(&lp, Some("taken"), x(1)).await?;

    // The repeat of each call meets ALREADY_EXISTS; what is stored decides.
    for (what, launch, inputs) in [("other inputs", &lp, 2), ("another launch plan", &other, 1)] {
        admin.fail_next("CreateExecution", Fault::Unavailable, 1);
        let err = c
            .launch(launch, Some("taken"), x(inputs))
            .await
            .expect_err(what);
        assert!(err.is_already_exists(), "{what}: {err}");
    }
    // The same request, but the name was taken before this call: no attempt of its made it.
    let err = c
        .launch(&lp, Some("taken"), x(1))
        .await
        .expect_err("taken before");
    assert!(err.is_already_exists(), "{err}");
    // The same request whose first answer was lost: the execution it made.
    admin.fail_next("CreateExecution", Fault::LoseResponse, 1);
    let mine = c.launch(&lp, Some("mine"), x(1)).await?;
    assert_eq!(mine.name, "mine");
    assert_eq!(executions(&c).await?.len(), 2);

    // Relaunch and recover: the name holds a relaunch of another execution.
    let again = c.relaunch_execution(&first, Some("again"), false).await?;
    admin.fail_next("RelaunchExecution", Fault::Unavailable, 1);
    let err = c
        .relaunch_execution(&mine, Some("again"), false)
        .await
        .expect_err("a relaunch of another");
    assert!(err.is_already_exists(), "{err}");
    admin.fail_next("RecoverExecution", Fault::Unavailable, 1);
    let err = c
        .recover_execution(&first, Some("again"))
        .await
        .expect_err("a relaunch is no recovery");
    assert!(err.is_already_exists(), "{err}");
    assert_eq!(again, ExecutionId::new(P, D, "again"));
    admin.fail_next("RelaunchExecution", Fault::LoseResponse, 1);
    assert_eq!(
        c.relaunch_execution(&first, Some("again-2"), false).await?,
        ExecutionId::new(P, D, "again-2"),
        "its own relaunch, whose answer was lost"
    );

    // Projects: a different name or description under a registered id.
    c.register_project(project("team", "Team")).await?;
    admin.fail_next("RegisterProject", Fault::Unavailable, 1);
    let err = c
        .register_project(project("team", "Other team"))
        .await
        .expect_err("another project under the id");
    assert!(err.is_already_exists(), "{err}");
    let err = c
        .register_project(project("team", "Team"))
        .await
        .expect_err("registered before this call");
    assert!(err.is_already_exists(), "{err}");

    // Signals: FlyteAdmin overwrites; a server that refuses a second value keeps its first.
    make_signal(&c, &first, "gate").await?;
    c.set_signal(&first, "gate", boolean(false)).await?;
    let refuse = Fault::Status(
        tonic::Code::AlreadyExists,
        "signal value already set".into(),
    );
    admin.fail_next("SetSignal", Fault::Unavailable, 1);
    admin.fail_next("SetSignal", refuse.clone(), 1);
    let err = c
        .set_signal(&first, "gate", boolean(true))
        .await
        .expect_err("a different value is held");
    assert!(err.is_already_exists(), "{err}");
    admin.fail_next("SetSignal", Fault::Unavailable, 1);
    admin.fail_next("SetSignal", refuse, 1);
    c.set_signal(&first, "gate", boolean(false)).await?;
    assert_eq!(admin.calls("SetSignal"), 5);
    Ok(())
}

#[tokio::test]
async fn registration_after_lost_answers_succeeds_and_a_different_structure_fails() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let package = Package::open([fixture("demo.tgz")])?;
    for rpc in ["CreateTask", "CreateWorkflow", "CreateLaunchPlan"] {
        admin.fail_next(rpc, Fault::LoseResponse, 2);
    }
    let options = RegisterOptions::new(P, D).version("v1").concurrency(1);
    let report = c.register(package.clone(), &options).await?;
    assert!(report.is_success(), "{report:#?}");
    let repeated: Vec<_> = report
        .entities
        .iter()
        .filter(|r| r.outcome == Outcome::AlreadyExisted)
        .collect();
    assert_eq!(
        repeated.len(),
        3,
        "the first of each kind, its first two answers lost, met its own work"
    );
    let tasks: Vec<admin::Task> = c
        .list_tasks(P, D, None, &ListOptions::default())
        .try_collect()
        .await?;
    assert_eq!(tasks.len(), 4, "each task once");

    // A different task under a registered id: the repeat after a lost answer still fails.
    let entry = package
        .entries
        .iter()
        .find(|e| e.entity.id().name == "demo.hello.double")
        .ok_or("the task")?;
    let flyte_admin_client::register::Entity::Task(spec) = &entry.entity else {
        return Err("not a task".into());
    };
    let mut clash = spec.clone();
    let template = clash.template.as_mut().ok_or("a template")?;
    if let Some(core::task_template::Target::Container(c)) = template.target.as_mut() {
        c.args.push("--changed".to_owned());
    }
    let id = TaskId::new(P, D, "demo.hello.double", "v2");
    template.id = Some(id.to_pb());
    c.create_task(&id, clash).await?;
    let mut only = Package::default();
    only.entries.push(entry.clone());
    admin.fail_next("CreateTask", Fault::LoseResponse, 1);
    let before = admin.calls("CreateTask");
    let report = c
        .register(only, &RegisterOptions::new(P, D).version("v2"))
        .await?;
    assert!(!report.is_success());
    let row = report.entities.first().ok_or("one row")?;
    assert_eq!(row.outcome, Outcome::Failed);
    assert!(row.message.contains("different structure"), "{row:?}");
    assert_eq!(admin.calls("CreateTask") - before, 2, "repeated once");
    Ok(())
}

#[tokio::test]
async fn a_concurrency_limit_is_never_taken_for_success() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let limit = "concurrency limit (1) reached for launch plan wf; skipping execution";
    admin.fail_next("CreateExecution", Fault::Unavailable, 1);
    admin.fail_next(
        "CreateExecution",
        Fault::Status(tonic::Code::AlreadyExists, limit.into()),
        1,
    );
    let err = c.launch(&lp, None, x(1)).await.expect_err("skipped");
    assert!(err.is_already_exists(), "{err}");
    assert!(err.message().contains("concurrency limit"), "{err}");
    assert_eq!(executions(&c).await?.len(), 0, "nothing was started");
    assert_eq!(admin.calls("GetExecution"), 1, "checked under its name");
    Ok(())
}

#[tokio::test]
async fn a_message_too_large_is_sent_once_and_other_resource_exhausted_is_retried() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    // Over grpc-go's 4 MiB: the test kit answers as FlyteAdmin, "received message larger than max".
    let big = core::Literal {
        value: Some(core::literal::Value::Scalar(Box::new(core::Scalar {
            value: Some(core::scalar::Value::Primitive(core::Primitive {
                value: Some(core::primitive::Value::StringValue("x".repeat(5 << 20))),
            })),
        }))),
        ..Default::default()
    };
    let inputs = [("x".to_owned(), big)].into_iter().collect();
    let err = c.launch(&lp, None, inputs).await.expect_err("too large");
    assert_eq!(err.code(), flyte_admin_client::Code::ResourceExhausted);
    assert!(err.message().contains("larger than max"), "{err}");
    assert!(!err.is_transient());
    assert_eq!(admin.calls("CreateExecution"), 1, "sent once");

    let too_large = "grpc: trying to send message larger than max (5242880 vs. 4194304)";
    admin.fail_next(
        "RegisterProject",
        Fault::Status(tonic::Code::ResourceExhausted, too_large.into()),
        1,
    );
    let err = c
        .register_project(project("team", "Team"))
        .await
        .expect_err("too large");
    assert!(!err.is_transient(), "{err}");
    assert_eq!(admin.calls("RegisterProject"), 1, "sent once");

    admin.fail_next("RegisterProject", Fault::ResourceExhausted, 2);
    c.register_project(project("team", "Team")).await?;
    assert_eq!(
        admin.calls("RegisterProject"),
        1 + 3,
        "rate limited twice, then registered"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_answer_later_than_the_attempts_deadline_is_not_doubled() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .retry(RetryPolicy::default().per_attempt_timeout(Duration::from_secs(1)))
        .build()?;
    let lp = register(&c, "v1").await?;
    admin.fail_next(
        "CreateExecution",
        Fault::LateResponse(Duration::from_secs(5)),
        1,
    );
    let id = c.launch(&lp, None, x(1)).await?;
    assert_eq!(
        admin.calls("CreateExecution"),
        2,
        "given up on once, then repeated"
    );
    let all = executions(&c).await?;
    assert_eq!(all.len(), 1, "one execution");
    assert_eq!(all[0].id.as_ref().map(ExecutionId::from_pb), Some(id));
    Ok(())
}
