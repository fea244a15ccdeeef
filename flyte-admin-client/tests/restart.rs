//! FlyteAdmin restarts (every upgrade rolls its pods): the test kit goes down on its address and
//! comes back on the same one with its state, while the client is in the middle of its work.
//! What was under way carries on within the retry policy's overall deadline, with nothing lost
//! or doubled; a server gone for longer is a clear error naming the endpoint.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use flyte_admin_client::pb::admin;
use flyte_admin_client::pb::core::workflow_execution::Phase;
use flyte_admin_client::register::{Outcome, Package, RegisterOptions};
use flyte_admin_client::{AdminClient, ListOptions, RetryPolicy, WaitOptions};
use flyte_testkit::{Executors, TestAdmin};
use futures::TryStreamExt as _;

mod common;
use common::{fixture, int, register, TestResult};

/// How long the server is down: longer than the default policy's whole backoff (about 1.5 s over
/// four retries), shorter than this policy's overall deadline.
const DOWN: Duration = Duration::from_secs(10);

/// A client whose retries outlast a pod's restart: up to 60 attempts, 2 s apart at most, and
/// 60 s in all.
fn patient(admin: &TestAdmin) -> Result<AdminClient, flyte_admin_client::Error> {
    AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .retry(policy())
        .build()
}

fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(60)
        .initial_backoff(Duration::from_millis(100))
        .max_backoff(Duration::from_secs(2))
        .overall_timeout(Duration::from_secs(60))
}

#[tokio::test(start_paused = true)]
async fn a_list_stream_carries_on_after_a_restart_with_every_item_once() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = patient(&admin)?;
    for i in 0..40 {
        c.register_project(admin::Project {
            id: format!("p{i:02}"),
            name: format!("P{i:02}"),
            ..Default::default()
        })
        .await?;
    }
    let started = tokio::time::Instant::now();
    let mut stream = c.list_projects(&ListOptions::new().page_size(3));
    let mut seen = Vec::new();
    // Seven items: two pages read and the third begun, so the stream is between pages.
    for _ in 0..7 {
        seen.push(stream.try_next().await?.ok_or("ended early")?.id);
    }
    let (rest, restarted) = tokio::join!(stream.try_collect::<Vec<_>>(), admin.restart(DOWN));
    restarted?;
    seen.extend(rest?.into_iter().map(|p| p.id));
    let mut expected: Vec<String> = (0..40).map(|i| format!("p{i:02}")).collect();
    expected.insert(0, "flytesnacks".into());
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "every project exactly once: {seen:?}");
    assert!(started.elapsed() < policy().overall_timeout);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_list_page_in_flight_when_the_server_goes_down_is_asked_for_again() -> TestResult {
    let admin = TestAdmin::builder()
        .latency(Duration::from_millis(100))
        .start()
        .await?;
    let c = patient(&admin)?;
    for i in 0..20 {
        c.register_project(admin::Project {
            id: format!("q{i:02}"),
            name: format!("Q{i:02}"),
            ..Default::default()
        })
        .await?;
    }
    let stream = c.list_projects(&ListOptions::new().page_size(2));
    // Each page takes 100 ms: the fourth is in flight when the server goes down at 350 ms.
    let (all, restarted) = tokio::join!(stream.try_collect::<Vec<_>>(), async {
        tokio::time::sleep(Duration::from_millis(350)).await;
        admin.restart(DOWN).await
    });
    restarted?;
    let ids: Vec<String> = all?.into_iter().map(|p| p.id).collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (21, 21), "{ids:?}");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_watch_carries_on_after_a_restart_and_sees_the_end() -> TestResult {
    let admin = TestAdmin::builder()
        .executor(Executors::succeed_after(Duration::from_secs(30)))
        .start()
        .await?;
    let c = patient(&admin)?;
    let lp = register(&c, "v1").await?;
    let id = c
        .launch(&lp, None, HashMap::from([("x".to_owned(), int(1))]))
        .await?;
    let mut watch = c.watch_execution(&id, WaitOptions::timeout(Duration::from_secs(600)));
    let first = watch.try_next().await?.ok_or("no first phase")?;
    assert!(!flyte_admin_client::is_terminal(
        flyte_admin_client::phase_of(&first)
    ));
    let (rest, restarted) = tokio::join!(watch.try_collect::<Vec<_>>(), async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        admin.restart(DOWN).await
    });
    restarted?;
    let last = rest?.pop().ok_or("no phase after the restart")?;
    assert_eq!(flyte_admin_client::phase_of(&last), Phase::Succeeded);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_concurrent_registration_completes_across_a_restart_with_nothing_doubled() -> TestResult {
    // Every call takes 50 ms, so calls are in flight when the server goes down.
    let admin = TestAdmin::builder()
        .latency(Duration::from_millis(50))
        .start()
        .await?;
    let c = patient(&admin)?;
    let options = RegisterOptions::new("flytesnacks", "development")
        .version("v1")
        .concurrency(4);
    let (report, restarted) = tokio::join!(
        c.register(Package::open([fixture("demo.tgz")])?, &options),
        async {
            tokio::time::sleep(Duration::from_millis(120)).await;
            admin.restart(DOWN).await
        }
    );
    restarted?;
    let report = report?;
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(report.entities.len(), 11, "{report:#?}");
    // A create whose answer the restart cut may have been stored: it is then found as it was.
    assert_eq!(
        report.count(Outcome::Registered) + report.count(Outcome::AlreadyExisted),
        11,
        "{report:#?}"
    );
    let tasks: Vec<admin::Task> = c
        .list_tasks("flytesnacks", "development", None, &ListOptions::new())
        .try_collect()
        .await?;
    let workflows: Vec<admin::Workflow> = c
        .list_workflows("flytesnacks", "development", None, &ListOptions::new())
        .try_collect()
        .await?;
    let launch_plans: Vec<admin::LaunchPlan> = c
        .list_launch_plans("flytesnacks", "development", None, &ListOptions::new())
        .try_collect()
        .await?;
    assert_eq!(
        tasks.len() + workflows.len() + launch_plans.len(),
        11,
        "each entity stored once"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_server_gone_longer_than_the_deadline_is_an_error_naming_the_endpoint() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .retry(policy().overall_timeout(Duration::from_secs(5)))
        .build()?;
    c.version().await?;
    admin.stop().await;
    let started = tokio::time::Instant::now();
    let err = c.version().await.expect_err("the server is gone");
    assert!(
        started.elapsed() <= Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(err.is_transient(), "{err}");
    let text = err.to_string();
    let endpoint = admin.addr().to_string();
    assert!(text.contains(&endpoint), "{text}");
    assert!(
        text.contains("connect") && text.contains(&endpoint),
        "says it could not connect, to which address: {text}"
    );
    Ok(())
}
