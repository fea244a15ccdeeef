//! Launching a batch with `execute_many`: every item launched once, each failure its own, the
//! bound on creates in flight kept, a stop after the first failure that abandons nothing sent,
//! and lost answers neither doubling an execution nor failing an item.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::{client, patient_client, register, TestResult, D, P};
use flyte_admin_client::{
    AdminClient, ExecutionId, LaunchItem, LaunchPlanId, Launched, ListOptions, TaskId,
    DEFAULT_LAUNCH_CONCURRENCY,
};
use flyte_testkit::{Fault, RandomFaults, TestAdmin};
use futures::{StreamExt, TryStreamExt};

fn x(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    [("x".to_owned(), v)].into_iter().collect()
}

fn items(lp: &LaunchPlanId, n: usize) -> Vec<LaunchItem> {
    (0..n)
        .map(|i| LaunchItem::launch_plan(lp.clone(), x(i.into())))
        .collect()
}

async fn listed(c: &AdminClient) -> Result<HashSet<ExecutionId>, flyte_admin_client::Error> {
    let all: Vec<_> = c
        .list_executions(P, D, &ListOptions::default())
        .try_collect()
        .await?;
    Ok(all
        .iter()
        .filter_map(|e| e.id.as_ref().map(ExecutionId::from_pb))
        .collect())
}

/// The results by index, each index at most once.
fn by_index(results: Vec<Launched>) -> Result<HashMap<usize, Launched>, String> {
    let mut out = HashMap::new();
    for r in results {
        let index = r.index;
        if out.insert(index, r).is_some() {
            return Err(format!("item {index} reported twice"));
        }
    }
    Ok(out)
}

/// The executions of the results, or the first item's error.
fn launched(results: &HashMap<usize, Launched>) -> Result<HashSet<ExecutionId>, String> {
    results
        .iter()
        .map(|(index, r)| {
            r.result
                .as_ref()
                .cloned()
                .map_err(|e| format!("item {index}: {e}"))
        })
        .collect()
}

#[tokio::test]
async fn every_item_is_launched_once_and_interfaces_are_read_once() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let task = TaskId::new(P, D, "double", "v1");
    let mut batch = items(&lp, 30);
    batch.push(LaunchItem::task(task, x(7.into())).name("the-task"));
    batch.push(LaunchItem::launch_plan(lp.clone(), x(8.into())).name("named-8"));

    let results = by_index(c.execute_many(batch).stream().collect().await)?;

    assert_eq!(results.len(), 32);
    let ids = launched(&results)?;
    for r in results.values() {
        assert_eq!(r.result.as_ref().ok().map(|id| &id.name), Some(&r.name));
    }
    assert_eq!(ids.len(), 32, "every item has its own execution");
    assert_eq!(results[&30].name, "the-task");
    assert_eq!(results[&31].name, "named-8");
    assert_eq!(listed(&c).await?, ids);
    assert_eq!(admin.calls("CreateExecution"), 32);
    assert_eq!(admin.calls("GetLaunchPlan"), 1, "one read for 31 items");
    assert_eq!(admin.calls("GetTask"), 1);
    Ok(())
}

#[tokio::test]
async fn a_bad_item_fails_alone_with_its_own_error() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let mut batch = items(&lp, 10);
    batch[3] = LaunchItem::launch_plan(lp.clone(), x("three".into()));
    batch[6] = LaunchItem::launch_plan(LaunchPlanId::new(P, D, "missing", "v1"), x(6.into()));
    batch[8] = LaunchItem::launch_plan(lp.clone(), x(8.into())).name("Not A Name");

    let results = by_index(c.execute_many(batch).stream().collect().await)?;

    assert_eq!(results.len(), 10);
    let bad_input = results[&3]
        .result
        .as_ref()
        .expect_err("a string for an int");
    assert!(bad_input.is_invalid_argument(), "{bad_input}");
    assert!(
        bad_input.message().contains('x'),
        "names the input: {bad_input}"
    );
    let missing = results[&6]
        .result
        .as_ref()
        .expect_err("no such launch plan");
    assert!(missing.is_not_found(), "{missing}");
    assert!(missing.message().contains("missing"), "{missing}");
    let bad_name = results[&8].result.as_ref().expect_err("a bad name");
    assert!(bad_name.is_invalid_argument(), "{bad_name}");
    assert_eq!(results[&8].name, "Not A Name");
    for i in [0, 1, 2, 4, 5, 7, 9] {
        assert!(
            results[&i].result.is_ok(),
            "item {i}: {:?}",
            results[&i].result
        );
    }
    // The bad items were refused before sending; the rest were launched.
    assert_eq!(admin.calls("CreateExecution"), 7);
    assert_eq!(listed(&c).await?.len(), 7);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn stop_on_first_error_starts_nothing_more_and_finishes_what_was_sent() -> TestResult {
    // Every call takes 50 ms, so the creates started before the failure are still in flight
    // when it is seen.
    let admin = TestAdmin::builder()
        .latency(Duration::from_millis(50))
        .start()
        .await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let mut batch = items(&lp, 20);
    batch[1] = LaunchItem::launch_plan(lp.clone(), x("one".into()));

    let results = by_index(
        c.execute_many(batch)
            .concurrency(4)
            .stop_on_first_error(true)
            .stream()
            .collect()
            .await,
    )?;

    // Items 0..=3 were started together; 1 failed before sending, and nothing after it began.
    let mut indexes: Vec<usize> = results.keys().copied().collect();
    indexes.sort_unstable();
    assert_eq!(indexes, [0, 1, 2, 3]);
    assert!(results[&1].result.is_err());
    let sent: HashSet<ExecutionId> = [0, 2, 3]
        .iter()
        .map(|i| {
            results[i]
                .result
                .as_ref()
                .cloned()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    assert_eq!(admin.calls("CreateExecution"), 3);
    assert_eq!(
        listed(&c).await?,
        sent,
        "what was in flight finished and was reported"
    );
    Ok(())
}

#[tokio::test]
async fn without_stop_every_item_is_tried_after_a_failure() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let mut batch = items(&lp, 8);
    batch[0] = LaunchItem::launch_plan(lp.clone(), x("zero".into()));
    let results = by_index(
        c.execute_many(batch)
            .concurrency(2)
            .stream()
            .collect()
            .await,
    )?;
    assert_eq!(results.len(), 8);
    assert_eq!(results.values().filter(|r| r.result.is_ok()).count(), 7);
    Ok(())
}

#[tokio::test]
async fn lost_answers_neither_double_nor_fail_an_item() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = patient_client(&admin)?;
    let lp = register(&c, "v1").await?;
    let mut batch = items(&lp, 200);
    for (i, item) in batch.iter_mut().enumerate().take(40) {
        *item = item.clone().name(format!("named-{i}"));
    }
    admin.set_random_faults(RandomFaults::new(20).unavailable(0.1).lose_answers(0.3));

    let results = by_index(
        c.execute_many(batch)
            .concurrency(32)
            .stream()
            .collect()
            .await,
    )?;

    let creates = admin.calls("CreateExecution");
    admin.set_random_faults(RandomFaults::new(0));
    assert!(
        creates > 200 + 60,
        "faults were injected: {creates} creates"
    );
    assert_eq!(results.len(), 200);
    let ids = launched(&results)?;
    assert_eq!(ids.len(), 200, "every item its own execution");
    assert_eq!(listed(&c).await?, ids, "no execution doubled");
    Ok(())
}

/// Creates in flight: those the test kit has received minus those answered.
#[tokio::test(start_paused = true)]
async fn no_more_creates_are_in_flight_than_the_bound() -> TestResult {
    for (bound, n) in [(Some(4), 20), (None, 40)] {
        let admin = TestAdmin::start().await?;
        let c = client(&admin)?;
        let lp = register(&c, "v1").await?;
        // Each create is stored when it arrives and answered 2 s later.
        admin.fail_next(
            "CreateExecution",
            Fault::LateResponse(Duration::from_secs(2)),
            n,
        );
        let batch = c.execute_many(items(&lp, n));
        let batch = match bound {
            Some(b) => batch.concurrency(b),
            None => batch,
        };
        let bound = bound.unwrap_or(DEFAULT_LAUNCH_CONCURRENCY);
        let started = tokio::time::Instant::now();
        let mut results = batch.stream();

        // Before any answer: exactly the bound has been sent.
        let first = tokio::time::timeout(Duration::from_secs(1), results.next()).await;
        assert!(first.is_err(), "no answer within 1 s");
        assert_eq!(admin.calls("CreateExecution"), bound as u64);

        let mut answered = 0u64;
        let mut most = 0u64;
        while let Some(r) = results.next().await {
            r.result?;
            answered += 1;
            // The one just answered freed a place, which may be taken already.
            let in_flight = admin.calls("CreateExecution") - answered + 1;
            most = most.max(in_flight);
        }
        assert_eq!(answered, n as u64);
        assert_eq!(most, bound as u64, "in flight at most {bound}");
        // In waves of `bound`: far less than one create after another would take.
        let waves = n.div_ceil(bound) as u32;
        assert!(started.elapsed() < Duration::from_secs(2) * (waves + 1));
        assert_eq!(admin.calls("CreateExecution"), n as u64);
    }
    Ok(())
}

#[tokio::test]
async fn a_name_given_twice_launches_once_and_fails_the_repeat() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let batch = vec![
        LaunchItem::launch_plan(lp.clone(), x(1.into())).name("nightly"),
        LaunchItem::launch_plan(lp.clone(), x(1.into())).name("nightly"),
        LaunchItem::launch_plan(lp.clone(), x(2.into())).name("other"),
    ];

    let results = by_index(c.execute_many(batch).stream().collect().await)?;

    assert!(results[&0].result.is_ok(), "{:?}", results[&0].result);
    let repeat = results[&1]
        .result
        .as_ref()
        .expect_err("the same name again");
    assert!(repeat.is_invalid_argument(), "{repeat}");
    assert!(repeat.message().contains("item 0"), "{repeat}");
    assert!(results[&2].result.is_ok(), "{:?}", results[&2].result);
    assert_eq!(
        admin.calls("CreateExecution"),
        2,
        "the repeat is never sent"
    );
    assert_eq!(listed(&c).await?.len(), 2);
    Ok(())
}
