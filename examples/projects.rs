//! Creates, lists, archives and activates Flyte projects: the onboarding job of `flytectl
//! create project` and `flytectl update project --archive`.
//!
//! ```text
//! cargo run --example projects -- create --id ml --name "Machine Learning" [--description D] [--label team=ml]...
//! cargo run --example projects -- list [-o json]
//! cargo run --example projects -- archive ml
//! cargo run --example projects -- activate ml
//! ```
//! Every command takes `--config FILE`, or `--endpoint HOST:PORT [--insecure]`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use flyte_admin_client::pb::admin;
use flyte_admin_client::ListOptions;
use flyte_examples::{exit, outln, Connection};
use futures::TryStreamExt;

#[derive(Parser, Debug)]
#[command(
    name = "projects",
    about = "Create, list, archive and activate Flyte projects"
)]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Register a project.
    Create {
        /// Project id: a DNS-1123 label (lowercase letters, digits, '-').
        #[arg(long)]
        id: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Labels, k=v; repeatable.
        #[arg(long = "label", value_parser = parse_label)]
        labels: Vec<(String, String)>,
    },
    /// List active projects.
    List {
        /// Output format: table or json (one project per line).
        #[arg(short, long, default_value = "table")]
        output: String,
    },
    /// Archive a project (hidden, no new registrations).
    Archive {
        /// Project id.
        id: String,
    },
    /// Activate an archived project.
    Activate {
        /// Project id.
        id: String,
    },
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected k=v, got {s:?}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    exit(run(Cli::parse()).await)
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let (client, _) = cli.connection.client()?;
    match cli.command {
        Command::Create {
            id,
            name,
            description,
            labels,
        } => {
            client
                .register_project(admin::Project {
                    id: id.clone(),
                    name,
                    description,
                    labels: Some(admin::Labels {
                        values: labels.into_iter().collect(),
                    }),
                    ..admin::Project::default()
                })
                .await?;
            outln!("project {id} created");
        }
        Command::List { output } => {
            // Rows are printed as the pages arrive; -o json is JSON lines, one project a line.
            let mut projects = client.list_projects(&ListOptions::new());
            if output != "json" {
                outln!("{:<24} {:<32} DESCRIPTION", "ID", "NAME");
            }
            while let Some(p) = projects.try_next().await? {
                if output == "json" {
                    outln!(
                        "{}",
                        serde_json::json!({
                            "id": p.id, "name": p.name, "description": p.description,
                            "domains": p.domains.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
                        })
                    );
                } else {
                    outln!("{:<24} {:<32} {}", p.id, p.name, p.description);
                }
            }
        }
        Command::Archive { id } => {
            client.archive_project(&id).await?;
            outln!("project {id} archived");
        }
        Command::Activate { id } => {
            client.activate_project(&id).await?;
            outln!("project {id} activated");
        }
    }
    Ok(())
}
