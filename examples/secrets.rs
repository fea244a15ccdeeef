//! Creates, lists and deletes the Kubernetes secrets that Flyte tasks request: a task's
//! `Secret(group, key)` is key `key` of the secret named `group` in the execution's namespace
//! (`{project}-{domain}` by default). Values come from literals, files or environment
//! variables and are never printed; `list` shows names and keys only.
//!
//! ```text
//! cargo run --example secrets -- [--kubeconfig FILE] [--context C] \
//!     create (--namespace NS | --project P --domain D) --name GROUP \
//!     (--from-literal KEY=VALUE | --from-file KEY=PATH | --from-env KEY=VAR)... [--dry-run]
//! cargo run --example secrets -- list (--namespace NS | --project P --domain D)
//! cargo run --example secrets -- delete (--namespace NS | --project P --domain D) --name GROUP
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use flyte_examples::{exit, outln, KubeArgs};
use flyte_k8s::{namespace_for, task_secret_name, SecretValue, DEFAULT_NAMESPACE_TEMPLATE};

#[derive(Parser, Debug)]
#[command(name = "secrets", about = "Kubernetes secrets for Flyte tasks")]
struct Cli {
    #[command(flatten)]
    kube: KubeArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct Where {
    /// The namespace.
    #[arg(short, long, conflicts_with_all = ["project", "domain"])]
    namespace: Option<String>,
    /// The project (with --domain): its executions' namespace.
    #[arg(short, long, requires = "domain")]
    project: Option<String>,
    /// The domain (with --project).
    #[arg(short, long, requires = "project")]
    domain: Option<String>,
    /// flyteadmin's namespace template.
    #[arg(long, default_value = DEFAULT_NAMESPACE_TEMPLATE)]
    namespace_template: String,
    /// A prefix before the group in secret names (e.g. flyte-secret-), when the deployment's
    /// secret manager uses one.
    #[arg(long, default_value = "")]
    name_prefix: String,
}

impl Where {
    fn namespace(&self) -> Result<String, String> {
        match (&self.namespace, &self.project, &self.domain) {
            (Some(ns), _, _) => Ok(ns.clone()),
            (None, Some(p), Some(d)) => Ok(namespace_for(&self.namespace_template, p, d)),
            _ => Err("say where: --namespace NS, or --project P --domain D".to_owned()),
        }
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create or update a secret with exactly the given keys.
    Create {
        #[command(flatten)]
        at: Where,
        /// The secret's name: the task's secret group.
        #[arg(long)]
        name: String,
        /// KEY=VALUE (the value is never printed).
        #[arg(long = "from-literal")]
        literals: Vec<String>,
        /// KEY=PATH: the file's content.
        #[arg(long = "from-file")]
        files: Vec<String>,
        /// KEY=VAR: the environment variable's value.
        #[arg(long = "from-env")]
        envs: Vec<String>,
        /// Check with the API server; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Names and keys of the secrets (never values).
    List {
        #[command(flatten)]
        at: Where,
    },
    /// Delete a secret.
    Delete {
        #[command(flatten)]
        at: Where,
        /// The secret's name.
        #[arg(long)]
        name: String,
        /// Check with the API server; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `KEY=...` of the `position`-th (from 1) `--from-{kind}`. Without an `=` the argument may be
/// a bare secret value, so the error names the flag and its position, never the text.
fn split(kind: &str, position: usize, pair: &str) -> Result<(String, String), String> {
    pair.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| {
            format!(
                "--from-{kind} number {position} has no '=': it takes KEY=... \
                 (the argument is not shown, as it may be a secret)"
            )
        })
}

#[tokio::main]
async fn main() -> ExitCode {
    exit(run(Cli::parse()).await)
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Create {
            at,
            name,
            literals,
            files,
            envs,
            dry_run,
        } => {
            let ns = at.namespace()?;
            let mut data = BTreeMap::new();
            for (i, l) in literals.iter().enumerate() {
                let (k, v) = split("literal", i + 1, l)?;
                data.insert(k, SecretValue::new(v));
            }
            for (i, f) in files.iter().enumerate() {
                let (k, path) = split("file", i + 1, f)?;
                data.insert(k, SecretValue::from_file(path)?);
            }
            for (i, e) in envs.iter().enumerate() {
                let (k, var) = split("env", i + 1, e)?;
                data.insert(k, SecretValue::from_env(&var)?);
            }
            let keys: Vec<&String> = data.keys().collect();
            let k8s = cli.kube.client().await?.dry_run(dry_run);
            let change = k8s
                .apply_secret(&ns, &task_secret_name(&at.name_prefix, &name), &data)
                .await?;
            outln!(
                "{change} (keys: {})",
                keys.iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Command::List { at } => {
            let ns = at.namespace()?;
            let k8s = cli.kube.client().await?;
            for s in k8s.list_secrets(&ns).await? {
                let managed = if s.managed { "  (flyte-rs)" } else { "" };
                outln!("{}: {}{managed}", s.name, s.keys.join(", "));
            }
        }
        Command::Delete { at, name, dry_run } => {
            let ns = at.namespace()?;
            let k8s = cli.kube.client().await?.dry_run(dry_run);
            outln!(
                "{}",
                k8s.delete_secret(&ns, &task_secret_name(&at.name_prefix, &name))
                    .await?
            );
        }
    }
    Ok(())
}
