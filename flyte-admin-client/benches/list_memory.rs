//! Peak memory of listing many executions: `list_executions` as a stream (each item dropped
//! once seen) against the same listing collected into a `Vec`, each in a child process of its
//! own whose peak resident set (`VmHWM` of `/proc/self/status`, Linux) is the measure, over
//! the first tenth of the executions and over all of them: a stream's peak stays flat.
//!
//! ```text
//! cargo bench -p flyte-admin-client --bench list_memory -- --endpoint 127.0.0.1:PORT --fill 100000
//! cargo bench -p flyte-admin-client --bench list_memory -- --endpoint 127.0.0.1:PORT
//! ```
//! `--fill N` first launches N executions of launch plan `wf` in flytesnacks/development with
//! `execute_many` (64 at a time). `scripts/bench/list_memory.sh` fills a standalone test kit
//! and runs this together with flytekit fetching every page. Prints one line per way and
//! size: executions read, the child's peak resident memory before and after, and the time.

use std::process::Command;
use std::time::Instant;

use flyte_admin_client::{AdminClient, LaunchItem, ListOptions};
use futures::{StreamExt, TryStreamExt};

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/peak.rs"]
mod peak;
use peak::peak_kib;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Executions per `ListExecutions` for every client: 10 times flytekit's default of 100, as the
/// test kit answers each call in time proportional to all the executions it holds (100,000 of
/// them would take a thousand calls of about half a second each at 100).
const PAGE: u32 = 1000;

fn client(endpoint: &str) -> BenchResult<AdminClient> {
    Ok(AdminClient::builder()
        .endpoint(endpoint)
        .insecure(true)
        .build()?)
}

/// In the child: read `take` executions one way, print `count<TAB>peak before<TAB>peak after<TAB>ms`.
async fn child(endpoint: &str, how: &str, take: usize) -> BenchResult<()> {
    let c = client(endpoint)?;
    c.version().await?;
    let before = peak_kib()?;
    let start = Instant::now();
    let listing = c
        .list_executions(common::P, common::D, &ListOptions::new().page_size(PAGE))
        .take(take);
    let count = match how {
        "stream" => {
            listing
                .try_fold(0usize, |n, _execution| async move { Ok(n + 1) })
                .await?
        }
        _ => {
            let all: Vec<_> = listing.try_collect().await?;
            all.len()
        }
    };
    let ms = start.elapsed().as_millis();
    println!("{count}\t{before}\t{}\t{ms}", peak_kib()?);
    Ok(())
}

/// Launches `n` executions, 64 at a time.
async fn fill(endpoint: &str, n: usize) -> BenchResult<()> {
    let c = client(endpoint)?;
    let lp = common::register(&c, "fill").await?;
    let start = Instant::now();
    let items = (0..n).map(|i| {
        let inputs = [("x".to_owned(), serde_json::Value::from(i))]
            .into_iter()
            .collect();
        LaunchItem::launch_plan(lp.clone(), inputs)
    });
    let mut results = c.execute_many(items).concurrency(64).stream();
    while let Some(r) = results.next().await {
        r.result?;
    }
    eprintln!(
        "filled {n} executions in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> BenchResult<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let endpoint = value("--endpoint").ok_or("--endpoint HOST:PORT (a test kit to list)")?;
    if let Some(how) = value("--child") {
        let take = value("--take").ok_or("--take N")?.parse()?;
        return child(&endpoint, &how, take).await;
    }
    if let Some(n) = value("--fill") {
        fill(&endpoint, n.parse()?).await?;
    }
    let total = client(&endpoint)?
        .list_executions(common::P, common::D, &ListOptions::new().page_size(PAGE))
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await?;
    let me = std::env::current_exe()?;
    println!("endpoint {endpoint}, {total} executions, pages of {PAGE}");
    println!("way\texecutions\tpeak RSS before (KiB)\tpeak RSS after (KiB)\ttime (ms)");
    for how in ["stream", "collect"] {
        for take in [total / 10, total] {
            let out = Command::new(&me)
                .args(["--endpoint", &endpoint, "--child", how])
                .args(["--take", &take.to_string()])
                .output()?;
            if !out.status.success() {
                return Err(format!("{how}: {}", String::from_utf8_lossy(&out.stderr)).into());
            }
            let line = String::from_utf8(out.stdout)?;
            println!("{how}\t{}", line.trim_end());
        }
    }
    Ok(())
}
