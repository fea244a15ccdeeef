//! Why a task was (not) served from Flyte's cache, and what is cached: `explain` tells, for
//! each task node of an execution (or one), its cache status, the catalog key FlyteAdmin
//! reports, the key propeller looked for (computed locally as propeller does) and the nearest
//! artifacts of the task's datasets with the inputs that differ; `list` shows the artifacts of
//! a task's datasets (every cache version) in DataCatalog.
//!
//! ```text
//! cargo run --example cache -- explain EXECUTION --project P --domain D [--node ID] [--nearest N]
//! cargo run --example cache -- list --project P --domain D --task NAME [-o json]
//! ```
//! DataCatalog is reached through FlyteAdmin's endpoint (as the config names it), or at
//! `--catalog-endpoint` (a port-forward to `localhost:8089`, or
//! `datacatalog.flyte.svc.cluster.local:89` from inside the cluster; plaintext with
//! `--catalog-insecure`). To recompute a bad cached result, launch again with
//! `launch --overwrite-cache` or `executions relaunch NAME --overwrite-cache`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use flyte_admin_client::cache::ExplainOptions;
use flyte_admin_client::catalog::{CatalogQuery, DataCatalogClient};
use flyte_admin_client::{AdminClient, ExecutionId, NodeTree};
use flyte_examples::{exit, outln, short_time, Connection, ProjectDomain};
use futures::TryStreamExt;
use serde_json::json;

#[derive(Parser, Debug)]
#[command(
    name = "cache",
    about = "Explain Flyte's task cache and list what it holds"
)]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    scope: ProjectDomain,
    /// DataCatalog's endpoint, when it is not behind FlyteAdmin's (host:port).
    #[arg(long, global = true)]
    catalog_endpoint: Option<String>,
    /// Plaintext gRPC to --catalog-endpoint.
    #[arg(long, global = true)]
    catalog_insecure: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Why each task node of an execution was (not) a cache hit.
    Explain {
        /// Execution name.
        execution: String,
        /// Only this node (default: every task node, sub-workflows included).
        #[arg(long)]
        node: Option<String>,
        /// How many near artifacts to show per node.
        #[arg(long, default_value_t = flyte_admin_client::cache::DEFAULT_NEAREST)]
        nearest: usize,
    },
    /// The artifacts of a task's datasets, newest first.
    List {
        /// Task name.
        #[arg(long)]
        task: String,
        /// Output: table or json (one object per line).
        #[arg(short, long, default_value = "table")]
        output: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    exit(run(Cli::parse()).await)
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let (client, config) = cli.connection.client()?;
    let (project, domain) = cli.scope.resolve(&config)?;
    let catalog = match &cli.catalog_endpoint {
        Some(endpoint) => DataCatalogClient::from_builder(
            AdminClient::builder()
                .config(&config)
                .endpoint(endpoint.as_str())
                .insecure(cli.catalog_insecure),
        )?,
        None => DataCatalogClient::new(&client),
    };
    match cli.command {
        Command::Explain {
            execution,
            node,
            nearest,
        } => {
            let id = ExecutionId::new(&project, &domain, &execution);
            let nodes = match node {
                Some(n) => vec![n],
                None => task_nodes(&client.execution_tree(&id).await?),
            };
            if nodes.is_empty() {
                outln!("execution {id} ran no task node");
            }
            let options = ExplainOptions::new().nearest(nearest);
            for (i, node) in nodes.iter().enumerate() {
                let why = client.explain_cache(&catalog, &id, node, &options).await?;
                if i > 0 {
                    outln!();
                }
                flyte_examples::out!("{why}");
            }
            Ok(())
        }
        Command::List { task, output } => list(&catalog, &project, &domain, &task, &output).await,
    }
}

/// The ids of the nodes that ran (or would have run) a task, depth first.
fn task_nodes(tree: &[NodeTree]) -> Vec<String> {
    tree.iter()
        .flat_map(NodeTree::walk)
        .filter(|t| t.cache_status().is_some())
        .filter_map(|t| t.node.id.as_ref().map(|n| n.node_id.clone()))
        .collect()
}

async fn list(
    catalog: &DataCatalogClient,
    project: &str,
    domain: &str,
    task: &str,
    output: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let query = CatalogQuery::new()
        .project(project)
        .domain(domain)
        .task(task);
    let mut datasets = catalog.list_datasets(query);
    if output != "json" {
        outln!("{:<28} {:<16} SOURCE", "VERSION", "CREATED");
    }
    let task_id = flyte_admin_client::pb::core::Identifier {
        resource_type: flyte_admin_client::pb::core::ResourceType::Task as i32,
        project: project.to_owned(),
        domain: domain.to_owned(),
        name: task.to_owned(),
        ..Default::default()
    };
    while let Some(dataset) = datasets.try_next().await? {
        let Some(id) = dataset.id.clone() else {
            continue;
        };
        let mut artifacts = catalog.list_artifacts(&id, CatalogQuery::new());
        while let Some(a) = artifacts.try_next().await? {
            let source = flyte_admin_client::catalog::source_from_metadata(
                dataset.metadata.as_ref(),
                a.metadata.as_ref(),
                &task_id,
            )
            .ok()
            .and_then(|s| s.node_execution_id)
            .map(|n| {
                let e = n.execution_id.unwrap_or_default();
                format!("{}/{}", e.name, n.node_id)
            })
            .unwrap_or_default();
            let tags: Vec<&str> = a.tags.iter().map(|t| t.name.as_str()).collect();
            let created = a.created_at.as_ref().map(|t| t.seconds);
            if output == "json" {
                outln!(
                    "{}",
                    json!({
                        "dataset": {"project": id.project, "domain": id.domain, "name": id.name, "version": id.version},
                        "artifact_id": a.id,
                        "tags": tags,
                        "created_at": created.map(|s| flyte_config::format_rfc3339(s, 0)),
                        "source": source,
                    })
                );
            } else {
                outln!("{:<28} {:<16} {source}", id.version, short_time(created));
                outln!("  artifact: {}", a.id);
                for tag in tags {
                    outln!("  tag: {tag}");
                }
            }
        }
    }
    Ok(())
}
