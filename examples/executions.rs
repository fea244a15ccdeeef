//! Lists, watches and terminates executions: `flytectl get execution` across every page, with
//! FlyteAdmin's filters.
//!
//! ```text
//! cargo run --example executions -- list --project P --domain D [--filter 'eq(phase,FAILED)']... [--limit N] [-o json]
//! cargo run --example executions -- watch NAME --project P --domain D
//! cargo run --example executions -- terminate NAME --project P --domain D --cause TEXT
//! ```

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use flyte_admin_client::pb::core::workflow_execution::Phase;
use flyte_admin_client::{ExecutionId, Filters, ListOptions, WaitOptions};
use flyte_examples::{fail, Connection};
use futures::StreamExt;

#[derive(Parser, Debug)]
#[command(
    name = "executions",
    about = "List, watch and terminate Flyte executions"
)]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    /// Project.
    #[arg(short, long, global = true)]
    project: Option<String>,
    /// Domain.
    #[arg(short, long, global = true)]
    domain: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Stream every execution (newest first).
    List {
        /// A FlyteAdmin filter, e.g. `eq(phase,FAILED)`; repeatable (AND).
        #[arg(long = "filter")]
        filters: Vec<String>,
        /// Stop after this many.
        #[arg(long)]
        limit: Option<usize>,
        /// Output: table or json (one object per line).
        #[arg(short, long, default_value = "table")]
        output: String,
    },
    /// Wait for an execution to end and print its phase.
    Watch {
        /// Execution name.
        name: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 3600)]
        timeout: u64,
    },
    /// Stop an execution.
    Terminate {
        /// Execution name.
        name: String,
        /// Why.
        #[arg(long, default_value = "terminated by flyte-rs")]
        cause: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => fail(e),
    }
}

fn phase_name(p: i32) -> &'static str {
    Phase::try_from(p).map_or("UNKNOWN", |p| p.as_str_name())
}

async fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let (client, config) = cli.connection.client()?;
    let project = cli
        .project
        .clone()
        .or_else(|| config.project().map(str::to_owned))
        .ok_or("no project: pass --project")?;
    let domain = cli
        .domain
        .clone()
        .or_else(|| config.domain().map(str::to_owned))
        .ok_or("no domain: pass --domain")?;
    match cli.command {
        Command::List {
            filters,
            limit,
            output,
        } => {
            let filters = filters.into_iter().fold(Filters::new(), Filters::raw);
            let opts = ListOptions::new()
                .filters(filters)
                .sort_by("created_at", true);
            let mut stream = client.list_executions(&project, &domain, &opts);
            if output != "json" {
                println!(
                    "{:<24} {:<12} {:<40} STARTED",
                    "NAME", "PHASE", "LAUNCH PLAN"
                );
            }
            let mut shown = 0;
            while let Some(e) = stream.next().await {
                let e = e?;
                if limit.is_some_and(|l| shown >= l) {
                    break;
                }
                shown += 1;
                let name = e.id.as_ref().map(|i| i.name.clone()).unwrap_or_default();
                let closure = e.closure.clone().unwrap_or_default();
                let lp = e
                    .spec
                    .as_ref()
                    .and_then(|s| s.launch_plan.as_ref())
                    .map(|l| format!("{}:{}", l.name, l.version))
                    .unwrap_or_default();
                let started = closure
                    .started_at
                    .map(|t| flyte_config::format_rfc3339(t.seconds, 0))
                    .unwrap_or_default();
                if output == "json" {
                    println!(
                        "{}",
                        serde_json::json!({"name": name, "phase": phase_name(closure.phase), "launch_plan": lp, "started_at": started})
                    );
                } else {
                    println!(
                        "{name:<24} {:<12} {lp:<40} {started}",
                        phase_name(closure.phase)
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Watch { name, timeout } => {
            let id = ExecutionId::new(&project, &domain, &name);
            let done = client
                .wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(timeout)))
                .await?;
            let phase = done.closure.map_or(0, |c| c.phase);
            println!("{id}: {}", phase_name(phase));
            Ok(if phase == Phase::Succeeded as i32 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Terminate { name, cause } => {
            let id = ExecutionId::new(&project, &domain, &name);
            client.terminate_execution(&id, &cause).await?;
            println!("{id}: terminating");
            Ok(ExitCode::SUCCESS)
        }
    }
}
