//! Gets, applies and deletes matchable attributes with flytectl's attribute files: the
//! onboarding job of `flytectl update task-resource-attribute --attrFile tra.yaml`.
//!
//! ```text
//! cargo run --example attributes -- update task-resource-attribute --attr-file tra.yaml
//! cargo run --example attributes -- get task-resource-attribute --project ml --domain development [--workflow W] [-o yaml|json]
//! cargo run --example attributes -- get execution-queue-attribute --project ml --domain development --attr-file out.yaml
//! cargo run --example attributes -- delete task-resource-attribute --project ml --domain development
//! cargo run --example attributes -- list execution-queue-attribute
//! ```
//! Nouns: task-resource-attribute, cluster-resource-attribute, execution-queue-attribute,
//! execution-cluster-label, plugin-override, workflow-execution-config.
//! Every command takes `--config FILE`, or `--endpoint HOST:PORT [--insecure]`.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use flyte_admin_client::attributes::{self, NOUNS};
use flyte_config::files::{AttributeTarget, MatchableResource};
use flyte_examples::{exit, Connection};

#[derive(Parser, Debug)]
#[command(
    name = "attributes",
    about = "Get, apply and delete matchable attributes with flytectl's attribute files"
)]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct Scope {
    /// Project.
    #[arg(long)]
    project: String,
    /// Domain; omit for project-wide attributes.
    #[arg(long, default_value = "")]
    domain: String,
    /// Workflow name, for one workflow's attributes.
    #[arg(long, default_value = "")]
    workflow: String,
}

impl Scope {
    fn target(&self) -> AttributeTarget {
        let mut t = AttributeTarget::default();
        t.project.clone_from(&self.project);
        t.domain.clone_from(&self.domain);
        t.workflow.clone_from(&self.workflow);
        t
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the attributes that apply at a scope, as an attribute file.
    Get {
        /// Attribute noun.
        noun: String,
        #[command(flatten)]
        scope: Scope,
        /// Write the file here instead of printing it.
        #[arg(long)]
        attr_file: Option<std::path::PathBuf>,
        /// Output format: yaml (flytectl's attribute file) or json.
        #[arg(short, long, default_value = "yaml", value_parser = ["yaml", "json"])]
        output: String,
    },
    /// Apply an attribute file (its project, domain and workflow say where).
    Update {
        /// Attribute noun.
        noun: String,
        /// flytectl attribute file.
        #[arg(long)]
        attr_file: std::path::PathBuf,
    },
    /// Delete the attributes set at exactly a scope.
    Delete {
        /// Attribute noun.
        noun: String,
        #[command(flatten)]
        scope: Scope,
    },
    /// Every scope that sets this attribute, most specific first.
    List {
        /// Attribute noun.
        noun: String,
    },
}

fn resource(noun: &str) -> Result<MatchableResource, String> {
    attributes::resource_for_noun(noun).ok_or_else(|| {
        format!(
            "unknown attribute {noun:?}; expected one of {}",
            NOUNS.join(", ")
        )
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    exit(run(Cli::parse()).await)
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    // Check the noun (and read the file) before connecting: bad input fails fast.
    match cli.command {
        Command::Get {
            noun,
            scope,
            attr_file,
            output,
        } => {
            let r = resource(&noun)?;
            let (client, _) = cli.connection.client()?;
            let (found, attrs) = client.get_attributes(&scope.target(), r).await?;
            let mut text = attributes::to_file(&found, &attrs)
                .ok_or_else(|| format!("{noun} has no attribute-file form"))?;
            if output == "json" {
                let value = flyte_config::Value::from_yaml_str(&text)?.to_json();
                text = serde_json::to_string_pretty(&value)? + "\n";
            }
            match attr_file {
                Some(path) => {
                    std::fs::write(&path, text)
                        .map_err(|e| format!("writing {}: {e}", path.display()))?;
                    println!("wrote {}", path.display());
                }
                None => print!("{text}"),
            }
        }
        Command::Update { noun, attr_file } => {
            resource(&noun)?;
            let text = std::fs::read_to_string(&attr_file)
                .map_err(|e| format!("reading {}: {e}", attr_file.display()))?;
            let (target, attrs) = attributes::parse_file(&noun, &text)
                .map_err(|e| format!("{}: {e}", attr_file.display()))?;
            let (client, _) = cli.connection.client()?;
            client.update_attributes(&target, attrs).await?;
            println!(
                "updated {noun} for {}",
                [&target.project, &target.domain, &target.workflow]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("/")
            );
        }
        Command::Delete { noun, scope } => {
            let r = resource(&noun)?;
            let (client, _) = cli.connection.client()?;
            client.delete_attributes(&scope.target(), r).await?;
            println!("deleted {noun}");
        }
        Command::List { noun } => {
            let r = resource(&noun)?;
            let (client, _) = cli.connection.client()?;
            let rows = client.list_matchable_attributes(r).await?;
            println!("{:<24} {:<16} WORKFLOW", "PROJECT", "DOMAIN");
            for row in rows {
                println!("{:<24} {:<16} {}", row.project, row.domain, row.workflow);
            }
        }
    }
    Ok(())
}
