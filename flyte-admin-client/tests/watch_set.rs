//! `watch_executions` and `wait_all` against the test kit, on paused time: a set of
//! executions watched with a few `ListExecutions` calls per poll.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use flyte_admin_client::pb::admin;
use flyte_admin_client::pb::core::{self, workflow_execution::Phase};
use flyte_admin_client::{AdminClient, Code, ExecutionId, LaunchPlanId, WaitOptions};
use flyte_testkit::{ExecutionRun, Executors, Fault, Plan, RandomFaults, TestAdmin};
use futures::TryStreamExt;

mod common;
use common::{client, int, register, TestResult, D, P};

/// Each execution runs `x` × 1,000 + 500 ms (its input `x`), then succeeds; `x` of 0 hangs.
fn by_input() -> Executors {
    Executors::custom(|run: &ExecutionRun| {
        let x = run
            .inputs
            .literals
            .get("x")
            .and_then(|l| match &l.value {
                Some(core::literal::Value::Scalar(s)) => match &s.value {
                    Some(core::scalar::Value::Primitive(p)) => match p.value {
                        Some(core::primitive::Value::Integer(x)) => Some(x),
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            })
            .unwrap_or(0);
        match u64::try_from(x) {
            Ok(x) if x > 0 => {
                Plan::succeed(Duration::from_millis(x * 1000 + 500), run.echo_outputs())
            }
            _ => Plan::hang(),
        }
    })
}

async fn start() -> Result<(TestAdmin, AdminClient, LaunchPlanId), Box<dyn std::error::Error>> {
    let admin = TestAdmin::builder().executor(by_input()).start().await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    Ok((admin, c, lp))
}

async fn launch_all(
    c: &AdminClient,
    lp: &LaunchPlanId,
    xs: &[i64],
) -> Result<Vec<ExecutionId>, Box<dyn std::error::Error>> {
    let mut ids = Vec::new();
    for (i, x) in xs.iter().enumerate() {
        let name = format!("e{i:03}");
        ids.push(
            c.launch(lp, Some(&name), HashMap::from([("x".to_owned(), int(*x))]))
                .await?,
        );
    }
    Ok(ids)
}

/// Polls every second, exactly.
fn every_second(timeout: Duration) -> WaitOptions {
    let mut options = WaitOptions::timeout(timeout);
    options.initial_interval = Duration::from_secs(1);
    options.max_interval = Duration::from_secs(1);
    options
}

fn name(e: &admin::Execution) -> String {
    e.id.as_ref().map(|i| i.name.clone()).unwrap_or_default()
}

fn phase(e: &admin::Execution) -> i32 {
    e.closure.as_ref().map_or(0, |c| c.phase)
}

/// The phases reported per execution name, in order.
fn by_name(items: &[admin::Execution]) -> BTreeMap<String, Vec<i32>> {
    let mut out: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for e in items {
        out.entry(name(e)).or_default().push(phase(e));
    }
    out
}

/// Each execution: no phase twice in a row, the terminal one last and once.
fn assert_each_reported_once(items: &[admin::Execution], expected: usize) {
    let phases = by_name(items);
    assert_eq!(phases.len(), expected, "{phases:?}");
    for (name, seen) in &phases {
        assert!(seen.windows(2).all(|w| w[0] != w[1]), "{name}: {seen:?}");
        assert_eq!(seen.last(), Some(&(Phase::Succeeded as i32)), "{name}");
        assert_eq!(
            seen.iter()
                .filter(|p| **p == Phase::Succeeded as i32)
                .count(),
            1,
            "{name}: {seen:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_set_of_one_yields_what_watch_execution_yields() -> TestResult {
    let (admin, c, lp) = start().await?;
    let options = every_second(Duration::from_secs(30));
    let single = launch_all(&c, &lp, &[2]).await?.remove(0);
    let one: Vec<(String, i32)> = c
        .watch_execution(&single, options)
        .map_ok(|e| (name(&e), phase(&e)))
        .try_collect()
        .await?;
    // The same run again, started the same way, through the set watch.
    let again = c
        .launch(
            &lp,
            Some("e000b"),
            HashMap::from([("x".to_owned(), int(2))]),
        )
        .await?;
    let set: Vec<(String, i32)> = c
        .watch_executions([&again], options)
        .map_ok(|e| (name(&e), phase(&e)))
        .try_collect()
        .await?;
    let phases = |v: &[(String, i32)]| v.iter().map(|(_, p)| *p).collect::<Vec<_>>();
    assert_eq!(phases(&set), phases(&one), "{set:?} vs {one:?}");
    assert_eq!(
        phases(&one).last(),
        Some(&(Phase::Succeeded as i32)),
        "{one:?}"
    );
    assert!(set.iter().all(|(n, _)| n == "e000b"));
    // The same number of polls: one call each.
    assert_eq!(admin.calls("ListExecutions"), admin.calls("GetExecution"));

    // And the same deadline error.
    let hung_a = c
        .launch(&lp, Some("h0"), HashMap::from([("x".to_owned(), int(0))]))
        .await?;
    let hung_b = c
        .launch(&lp, Some("h1"), HashMap::from([("x".to_owned(), int(0))]))
        .await?;
    let short = every_second(Duration::from_millis(2500));
    let single_err = c
        .wait_for_execution(&hung_a, short)
        .await
        .expect_err("hangs");
    let set_err = c.wait_all([&hung_b], short).await.expect_err("hangs");
    assert_eq!(
        (set_err.code(), single_err.code()),
        (Code::DeadlineExceeded, Code::DeadlineExceeded)
    );
    assert_eq!(
        set_err.message().replace("h1", "NAME"),
        single_err.message().replace("h0", "NAME")
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_set_shrinks_as_executions_end_and_calls_go_in_chunks() -> TestResult {
    let (admin, c, lp) = start().await?;
    // Execution i ends at i s + 500 ms: one between each two polls.
    let ids = launch_all(&c, &lp, &[1, 2, 3, 4, 5, 6, 7]).await?;
    let options = every_second(Duration::from_secs(60)).names_per_call(3);
    let items: Vec<admin::Execution> = c.watch_executions(&ids, options).try_collect().await?;
    assert_each_reported_once(&items, 7);
    // Polls at 0..=8 s ask for 7, 7, 7, 6, 5, 4, 3, 2, 1 names, 3 a call.
    let expected: u64 = [7u64, 7, 7, 6, 5, 4, 3, 2, 1]
        .iter()
        .map(|n| n.div_ceil(3))
        .sum();
    assert_eq!(admin.calls("ListExecutions"), expected);
    assert_eq!(admin.calls("GetExecution"), 0);
    // They ended in the order they were set to.
    let ended: Vec<String> = items
        .iter()
        .filter(|e| phase(e) == Phase::Succeeded as i32)
        .map(name)
        .collect();
    assert_eq!(
        ended,
        ["e000", "e001", "e002", "e003", "e004", "e005", "e006"]
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn wait_all_returns_every_final_execution_in_the_order_given() -> TestResult {
    let (admin, c, lp) = start().await?;
    let ids = launch_all(&c, &lp, &[3, 1, 2]).await?;
    // A repeated id is watched once.
    let mut asked = ids.clone();
    asked.push(ids[0].clone());
    let finals = c
        .wait_all(&asked, every_second(Duration::from_secs(60)))
        .await?;
    let names: Vec<String> = finals.iter().map(name).collect();
    assert_eq!(names, ["e000", "e001", "e002"]);
    assert!(finals.iter().all(|e| phase(e) == Phase::Succeeded as i32));
    // 3 names fit one call: one call per poll, polls at 0..=4 s.
    assert_eq!(admin.calls("ListExecutions"), 5);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn faults_during_a_watch_miss_nothing_and_repeat_nothing() -> TestResult {
    let (admin, c, lp) = start().await?;
    let ids = launch_all(&c, &lp, &[1, 2, 3, 4, 5, 6, 7, 1, 2, 3]).await?;
    // Lost answers (the server did the work) and refusals, scripted and at random.
    admin.fail_next("ListExecutions", Fault::LoseResponse, 2);
    admin.set_random_faults(RandomFaults::new(11).unavailable(0.15).lose_answers(0.15));
    let options = every_second(Duration::from_secs(60)).names_per_call(4);
    let items: Vec<admin::Execution> = c.watch_executions(&ids, options).try_collect().await?;
    admin.set_random_faults(RandomFaults::new(0));
    assert_each_reported_once(&items, 10);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_archived_member_is_still_followed_to_its_end() -> TestResult {
    let (admin, c, lp) = start().await?;
    let ids = launch_all(&c, &lp, &[2, 0]).await?;
    let (hung, running) = (ids[1].clone(), ids[0].clone());
    let mut watch = c.watch_executions(&ids, every_second(Duration::from_secs(60)));
    let first = watch.try_next().await?.ok_or("no first item")?;
    assert_eq!(phase(&first), Phase::Running as i32);
    // Archived while it runs: the list no longer shows it, so it is fetched on its own.
    c.archive_execution(&hung, true).await?;
    c.terminate_execution(&hung, "test").await?;
    let rest: Vec<admin::Execution> = watch.try_collect().await?;
    let phases = by_name(&rest);
    assert_eq!(
        phases[&hung.name].last(),
        Some(&(Phase::Aborted as i32)),
        "{phases:?}"
    );
    assert_eq!(
        phases[&running.name].last(),
        Some(&(Phase::Succeeded as i32)),
        "{phases:?}"
    );
    assert!(admin.calls("GetExecution") > 0);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_deadline_names_what_still_runs_after_reporting_what_ended() -> TestResult {
    let (_admin, c, lp) = start().await?;
    let ids = launch_all(&c, &lp, &[1, 0, 0]).await?;
    let mut watch = c.watch_executions(&ids, every_second(Duration::from_secs(5)));
    let mut items = Vec::new();
    let err = loop {
        match watch.try_next().await {
            Ok(Some(e)) => items.push(e),
            Ok(None) => return Err("the watch ended without its deadline".into()),
            Err(e) => break e,
        }
    };
    assert_eq!(err.code(), Code::DeadlineExceeded);
    assert!(
        err.message()
            .starts_with("2 executions still running after 5s: ")
            && err.message().contains(&ids[1].to_string())
            && err.message().contains(&ids[2].to_string()),
        "{err}"
    );
    assert_eq!(
        by_name(&items)["e000"].last(),
        Some(&(Phase::Succeeded as i32))
    );
    assert!(watch.try_next().await?.is_none(), "the stream ends");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn unknown_ids_and_unusable_names_are_clear_errors() -> TestResult {
    let (admin, c, lp) = start().await?;
    let ids = launch_all(&c, &lp, &[1]).await?;
    let unknown = ExecutionId::new(P, D, "nosuch");
    let err = c
        .wait_all([ids[0].clone(), unknown.clone()], WaitOptions::default())
        .await
        .expect_err("unknown id");
    assert!(err.is_not_found(), "{err}");
    assert!(err.message().contains(&unknown.to_string()), "{err}");

    let before = admin.calls("ListExecutions");
    let bad = ExecutionId::new(P, D, "a;b");
    let err = c
        .wait_all([bad], WaitOptions::default())
        .await
        .expect_err("bad name");
    assert!(err.is_invalid_argument(), "{err}");
    assert!(err.message().contains("\"a;b\""), "{err}");
    assert_eq!(admin.calls("ListExecutions"), before, "nothing was sent");

    let none: Vec<ExecutionId> = Vec::new();
    assert!(c.wait_all(&none, WaitOptions::default()).await?.is_empty());
    Ok(())
}
