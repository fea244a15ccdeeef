//! Watching a batch of executions: what `watch_executions` costs FlyteAdmin against one
//! `watch_execution` per execution, in calls and in how late the last end is seen.
//!
//! ```text
//! cargo bench -p flyte-admin-client --bench watch -- launch --endpoint HOST:PORT --count 1000 --prefix a
//! cargo bench -p flyte-admin-client --bench watch -- set|each --endpoint HOST:PORT --http URL --count 1000 --prefix a
//! ```
//! `launch` registers a task (once) and starts `--count` executions of it named PREFIX0,
//! PREFIX1, ... concurrently. `set` then watches them with one `watch_executions`, `each` with
//! one `watch_execution` per execution, all at once; both poll every 5 s. Each prints the
//! calls the test kit counted during the watch (its `GET /testkit/calls` on `--http`) and the
//! delay from the end of the execution that ended last (its `updated_at`) to the moment the
//! watch reported it, and the mean of that delay over all executions. `scripts/bench/watch.sh` runs all of it, and flytekit's FlyteRemote,
//! against the standalone test kit with added latency and executions ending at random times.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flyte_admin_client::pb::{admin, core};
use flyte_admin_client::{is_terminal, phase_of, AdminClient, ExecutionId, TaskId, WaitOptions};
use futures::{StreamExt, TryStreamExt};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

const PROJECT: &str = "flytesnacks";
const DOMAIN: &str = "development";
/// Launches in flight at once.
const LAUNCHING: usize = 64;

struct Args {
    mode: String,
    endpoint: String,
    http: String,
    count: usize,
    prefix: String,
}

fn args() -> BenchResult<Args> {
    let mut out = Args {
        mode: String::new(),
        endpoint: String::new(),
        http: String::new(),
        count: 1000,
        prefix: "a".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--endpoint" => out.endpoint = it.next().ok_or("--endpoint needs HOST:PORT")?,
            "--http" => out.http = it.next().ok_or("--http needs a URL")?,
            "--count" => out.count = it.next().ok_or("--count needs N")?.parse()?,
            "--prefix" => out.prefix = it.next().ok_or("--prefix needs a name prefix")?,
            "launch" | "set" | "each" => out.mode = a,
            // cargo bench passes --bench.
            _ => {}
        }
    }
    if out.mode.is_empty() || out.endpoint.is_empty() {
        return Err("usage: watch launch|set|each --endpoint HOST:PORT [--http URL] [--count N] [--prefix P]".into());
    }
    Ok(out)
}

fn ids(args: &Args) -> Vec<ExecutionId> {
    (0..args.count)
        .map(|i| ExecutionId::new(PROJECT, DOMAIN, format!("{}{i}", args.prefix)))
        .collect()
}

async fn launch(client: &AdminClient, args: &Args) -> BenchResult<()> {
    let task = TaskId::new(PROJECT, DOMAIN, "bench.sleep", "v1");
    let spec = admin::TaskSpec {
        template: Some(core::TaskTemplate {
            r#type: "python-task".into(),
            metadata: Some(Default::default()),
            interface: Some(core::TypedInterface::default()),
            target: Some(core::task_template::Target::Container(core::Container {
                image: "img".into(),
                ..Default::default()
            })),
            ..Default::default()
        }),
        description: None,
    };
    if let Err(e) = client.create_task(&task, spec).await {
        if !e.is_already_exists() {
            return Err(e.into());
        }
    }
    let no_inputs = serde_json::Map::new();
    futures::stream::iter(ids(args))
        .map(|id| {
            let (task, no_inputs) = (&task, &no_inputs);
            async move { client.execute_task(task, Some(&id.name), no_inputs).await }
        })
        .buffer_unordered(LAUNCHING)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

async fn calls(http: &str) -> BenchResult<HashMap<String, u64>> {
    let body = reqwest::get(format!("{http}/testkit/calls"))
        .await?
        .text()
        .await?;
    Ok(serde_json::from_str(&body)?)
}

fn seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// When FlyteAdmin last changed the execution: its end, for a final one.
fn ended_at(e: &admin::Execution) -> f64 {
    e.closure
        .as_ref()
        .and_then(|c| c.updated_at.as_ref())
        .map_or(0.0, |t| t.seconds as f64 + f64::from(t.nanos) / 1e9)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> BenchResult<()> {
    let args = args()?;
    let client = AdminClient::builder()
        .endpoint(&args.endpoint)
        .insecure(true)
        .build()?;
    if args.mode == "launch" {
        let start = std::time::Instant::now();
        launch(&client, &args).await?;
        println!(
            "launched {} executions in {:.2} s",
            args.count,
            start.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let mut options = WaitOptions::timeout(Duration::from_secs(600));
    options.initial_interval = Duration::from_secs(5);
    options.max_interval = Duration::from_secs(5);
    let ids = ids(&args);
    let before = calls(&args.http).await?;
    let start = std::time::Instant::now();
    // Each final execution with the time it was seen.
    let finals: Vec<(admin::Execution, f64)> = if args.mode == "set" {
        let mut out = Vec::new();
        let mut changes = client.watch_executions(&ids, options);
        while let Some(e) = changes.try_next().await? {
            if is_terminal(phase_of(&e)) {
                out.push((e, seconds(SystemTime::now())));
            }
        }
        out
    } else {
        futures::future::try_join_all(ids.iter().map(|id| {
            let client = client.clone();
            async move {
                let e = client.wait_for_execution(id, options).await?;
                Ok::<_, flyte_admin_client::Error>((e, seconds(SystemTime::now())))
            }
        }))
        .await?
    };
    let wall = start.elapsed().as_secs_f64();
    let after = calls(&args.http).await?;
    let mut spent: Vec<(String, u64)> = after
        .iter()
        .map(|(rpc, n)| (rpc.clone(), n - before.get(rpc).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    spent.sort();
    let total: u64 = spent.iter().map(|(_, n)| n).sum();
    let (last, seen) = finals
        .iter()
        .max_by(|a, b| ended_at(&a.0).total_cmp(&ended_at(&b.0)))
        .ok_or("no execution ended")?;
    let name = if args.mode == "set" {
        "watch_executions"
    } else {
        "watch_execution x N"
    };
    let mean = finals
        .iter()
        .map(|(e, seen)| seen - ended_at(e))
        .sum::<f64>()
        / finals.len() as f64;
    println!(
        "{name:<22} {} executions  calls {total:>6} ({})  last end -> seen {:.3} s  mean end -> seen {mean:.3} s  watch {wall:.1} s",
        finals.len(),
        spent
            .iter()
            .map(|(rpc, n)| format!("{rpc} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        seen - ended_at(last),
    );
    Ok(())
}
