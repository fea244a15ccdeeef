//! Launching many executions: `execute_many` (at its default bound and at 64) against the same
//! launches made one after another, on the same FlyteAdmin, in one run.
//!
//! ```text
//! cargo bench -p flyte-admin-client --bench launch                     # in-process test kit, 5 ms a call
//! cargo bench -p flyte-admin-client --bench launch -- --endpoint 127.0.0.1:PORT [--n 1000] [--version V]
//! ```
//! `scripts/bench/launch.sh` runs it against the standalone test kit (`serve --latency-ms 5`)
//! together with flytekit's FlyteRemote. Registers task `double`, workflow and launch plan `wf`
//! at `--version` (default `bench`) in flytesnacks/development, then prints one line per way
//! of launching: executions, seconds, executions per second, and the speed-up over sequential.

use std::time::{Duration, Instant};

use flyte_admin_client::{AdminClient, LaunchItem, DEFAULT_LAUNCH_CONCURRENCY};
use futures::StreamExt;

#[path = "../tests/common/mod.rs"]
mod common;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

struct Args {
    endpoint: Option<String>,
    n: usize,
    version: String,
}

fn args() -> BenchResult<Args> {
    let mut out = Args {
        endpoint: None,
        n: 1000,
        version: "bench".to_owned(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--endpoint" => out.endpoint = Some(it.next().ok_or("--endpoint needs HOST:PORT")?),
            "--n" => out.n = it.next().ok_or("--n needs N")?.parse()?,
            "--version" => out.version = it.next().ok_or("--version needs V")?,
            // cargo bench passes --bench; filters are not used here.
            _ => {}
        }
    }
    Ok(out)
}

fn x(i: usize) -> serde_json::Map<String, serde_json::Value> {
    [("x".to_owned(), serde_json::Value::from(i))]
        .into_iter()
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> BenchResult<()> {
    let args = args()?;
    let _local;
    let endpoint = match &args.endpoint {
        Some(e) => e.clone(),
        None => {
            let admin = flyte_testkit::TestAdmin::builder()
                .latency(Duration::from_millis(5))
                .start()
                .await?;
            let e = admin.addr().to_string();
            _local = admin;
            e
        }
    };
    let client = AdminClient::builder()
        .endpoint(&endpoint)
        .insecure(true)
        .build()?;
    let lp = common::register(&client, &args.version).await?;
    // A warm connection for every way.
    client.version().await?;

    let n = args.n;
    // One at a time with inputs checked (reads the launch plan each time, as one launch must).
    let start = Instant::now();
    for i in 0..n {
        client.execute_launch_plan(&lp, None, &x(i)).await?;
    }
    let checked = start.elapsed();
    // One at a time, literals ready: one call each, the fastest sequential way.
    let start = Instant::now();
    for i in 0..n {
        let inputs = [("x".to_owned(), common::int(i64::try_from(i)?))].into();
        client.launch(&lp, None, inputs).await?;
    }
    let sequential = start.elapsed();

    let mut rows = vec![
        ("sequential execute_launch_plan", checked),
        ("sequential launch", sequential),
    ];
    for (label, bound) in [
        ("execute_many (default, 16)", DEFAULT_LAUNCH_CONCURRENCY),
        ("execute_many (64)", 64),
    ] {
        let items = (0..n).map(|i| LaunchItem::launch_plan(lp.clone(), x(i)));
        let start = Instant::now();
        let mut results = client.execute_many(items).concurrency(bound).stream();
        let mut ok = 0;
        while let Some(r) = results.next().await {
            r.result?;
            ok += 1;
        }
        let took = start.elapsed();
        if ok != n {
            return Err(format!("{label}: {ok} of {n} launched").into());
        }
        rows.push((label, took));
    }
    println!("endpoint {endpoint}, {n} executions per way");
    for (label, took) in rows {
        println!(
            "{label:<32} {n:>6} {:>8.3} s {:>9.1}/s  x{:.1} of sequential launch",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64(),
            sequential.as_secs_f64() / took.as_secs_f64()
        );
    }
    Ok(())
}
