//! Gets, applies and deletes matchable attributes with flytectl's attribute files or flags: the
//! onboarding job of `flytectl update task-resource-attribute --attrFile tra.yaml` and
//! `flytectl update execution-cluster-label --value gpu-cluster`.
//!
//! ```text
//! cargo run --example attributes -- update task-resource-attribute --attr-file tra.yaml [--project ml --domain production]
//! cargo run --example attributes -- update execution-cluster-label --project ml --domain production --value gpu-cluster
//! cargo run --example attributes -- update task-resource-attribute -p ml -d production --default cpu=2 --limit memory=64Gi
//! cargo run --example attributes -- get task-resource-attribute --project ml --domain development [--workflow W] [-o yaml|json]
//! cargo run --example attributes -- get execution-queue-attribute --project ml --domain development --attr-file out.yaml
//! cargo run --example attributes -- delete task-resource-attribute --project ml --domain development
//! cargo run --example attributes -- list execution-queue-attribute
//! ```
//! Nouns: task-resource-attribute, cluster-resource-attribute, execution-queue-attribute,
//! execution-cluster-label, plugin-override, workflow-execution-config.
//! The scope is `--project`, `--domain` and `--workflow`, or the attribute file's `project`,
//! `domain` and `workflow` keys; the flags fill in what the file leaves out and must agree with
//! what it says. Without a domain the attributes are project-wide, as in flytectl. One-value
//! flags for `update`: `--value` (execution-cluster-label), `--tag` (execution-queue-attribute),
//! `--default`/`--limit` (task-resource-attribute), `--attribute` (cluster-resource-attribute),
//! `--max-parallelism`, `--k8s-service-account`, `--label`, `--env`, ... (workflow-execution-config);
//! plugin-override takes a file.
//! Every command takes `--config FILE`, or `--endpoint HOST:PORT [--insecure]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use flyte_admin_client::attributes::{self, NOUNS};
use flyte_admin_client::pb::admin::MatchingAttributes;
use flyte_config::files::{
    AttributeFile as _, AttributeTarget, ClusterResourceAttributesFile, ExecutionClusterLabelFile,
    ExecutionQueueAttributesFile, KeyValuePair, MatchableResource, ResourceQuantities,
    TaskResourceAttributesFile, WorkflowExecutionConfigFile,
};
use flyte_examples::{exit, out, outln, Connection};

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
    /// Project (else the attribute file's `project`).
    #[arg(short, long)]
    project: Option<String>,
    /// Domain (else the file's `domain`); without one, the attributes are project-wide.
    #[arg(short, long)]
    domain: Option<String>,
    /// Workflow name, for one workflow's attributes (else the file's `workflow`).
    #[arg(long)]
    workflow: Option<String>,
}

impl Scope {
    /// Where the command applies: these flags, filling in and checked against what the
    /// attribute file at `file` (if any) names. A flag and a file that disagree is an error
    /// naming both values; so is a missing project, or a workflow without a domain.
    fn target(&self, file: Option<(&Path, &AttributeTarget)>) -> Result<AttributeTarget, String> {
        let from_file = file.map(|(_, t)| t.clone()).unwrap_or_default();
        let where_file = file.map_or(String::new(), |(p, _)| format!(" in {}", p.display()));
        let pick = |key: &str, flag: &Option<String>, in_file: &str| match flag {
            Some(f) if !in_file.is_empty() && f != in_file => Err(format!(
                "--{key} {f:?} disagrees with {key}: {in_file:?}{where_file}; give one, or the same"
            )),
            Some(f) => Ok(f.clone()),
            None => Ok(in_file.to_owned()),
        };
        let mut t = AttributeTarget::default();
        t.project = pick("project", &self.project, &from_file.project)?;
        t.domain = pick("domain", &self.domain, &from_file.domain)?;
        t.workflow = pick("workflow", &self.workflow, &from_file.workflow)?;
        let or_file = if file.is_some() {
            format!(" or set it{where_file}")
        } else {
            String::new()
        };
        if t.project.is_empty() {
            return Err(format!("missing project: pass --project{or_file}"));
        }
        if !t.workflow.is_empty() && t.domain.is_empty() {
            return Err(format!(
                "missing domain: workflow {:?} needs one; pass --domain{or_file}",
                t.workflow
            ));
        }
        Ok(t)
    }
}

/// The values `update` sets without a file, as guides write `flytectl update
/// execution-cluster-label --value gpu-cluster`. Each flag belongs to one noun.
#[derive(Args, Debug)]
struct Values {
    /// execution-cluster-label: the label.
    #[arg(long)]
    value: Option<String>,
    /// execution-queue-attribute: a queue tag; repeatable.
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// task-resource-attribute: a default, NAME=QUANTITY (cpu, gpu, memory, storage,
    /// ephemeral_storage); repeatable.
    #[arg(long = "default", value_parser = parse_pair)]
    defaults: Vec<(String, String)>,
    /// task-resource-attribute: a limit, NAME=QUANTITY; repeatable.
    #[arg(long = "limit", value_parser = parse_pair)]
    limits: Vec<(String, String)>,
    /// cluster-resource-attribute: a template value, KEY=VALUE; repeatable.
    #[arg(long = "attribute", value_parser = parse_pair)]
    attributes: Vec<(String, String)>,
    /// workflow-execution-config: most nodes running at once.
    #[arg(long)]
    max_parallelism: Option<i32>,
    /// workflow-execution-config: the Kubernetes service account executions run as.
    #[arg(long)]
    k8s_service_account: Option<String>,
    /// workflow-execution-config: the IAM role executions assume.
    #[arg(long)]
    iam_role: Option<String>,
    /// workflow-execution-config: where raw outputs go (output_location_prefix).
    #[arg(long)]
    raw_output_prefix: Option<String>,
    /// workflow-execution-config: run on interruptible (spot) nodes, true or false.
    #[arg(long)]
    interruptible: Option<bool>,
    /// workflow-execution-config: recompute cached outputs.
    #[arg(long)]
    overwrite_cache: bool,
    /// workflow-execution-config: a label, KEY=VALUE; repeatable.
    #[arg(long = "label", value_parser = parse_pair)]
    labels: Vec<(String, String)>,
    /// workflow-execution-config: an annotation, KEY=VALUE; repeatable.
    #[arg(long = "annotation", value_parser = parse_pair)]
    annotations: Vec<(String, String)>,
    /// workflow-execution-config: an environment variable, KEY=VALUE; repeatable.
    #[arg(long = "env", value_parser = parse_pair)]
    envs: Vec<(String, String)>,
}

const CLUSTER_LABEL: &str = "execution-cluster-label";
const QUEUE: &str = "execution-queue-attribute";
const TASK_RESOURCE: &str = "task-resource-attribute";
const CLUSTER_RESOURCE: &str = "cluster-resource-attribute";
const EXEC_CONFIG: &str = "workflow-execution-config";

impl Values {
    /// The flags given, each with the noun it belongs to.
    fn given(&self) -> Vec<(&'static str, &'static str)> {
        let wec = [
            ("--max-parallelism", self.max_parallelism.is_some()),
            ("--k8s-service-account", self.k8s_service_account.is_some()),
            ("--iam-role", self.iam_role.is_some()),
            ("--raw-output-prefix", self.raw_output_prefix.is_some()),
            ("--interruptible", self.interruptible.is_some()),
            ("--overwrite-cache", self.overwrite_cache),
            ("--label", !self.labels.is_empty()),
            ("--annotation", !self.annotations.is_empty()),
            ("--env", !self.envs.is_empty()),
        ];
        [
            ("--value", CLUSTER_LABEL, self.value.is_some()),
            ("--tag", QUEUE, !self.tags.is_empty()),
            ("--default", TASK_RESOURCE, !self.defaults.is_empty()),
            ("--limit", TASK_RESOURCE, !self.limits.is_empty()),
            ("--attribute", CLUSTER_RESOURCE, !self.attributes.is_empty()),
        ]
        .into_iter()
        .chain(wec.map(|(flag, set)| (flag, EXEC_CONFIG, set)))
        .filter(|(_, _, set)| *set)
        .map(|(flag, noun, _)| (flag, noun))
        .collect()
    }

    /// The attribute file these flags make for `noun`, as flytectl would read it.
    fn to_file(&self, noun: &str, target: AttributeTarget) -> Result<String, String> {
        if let Some((flag, other)) = self.given().into_iter().find(|(_, n)| *n != noun) {
            return Err(format!("{flag} sets {other}, not {noun}"));
        }
        Ok(match noun {
            CLUSTER_LABEL => {
                let mut f = ExecutionClusterLabelFile::default();
                f.target = target;
                f.value
                    .clone_from(self.value.as_ref().ok_or("pass --value LABEL")?);
                f.to_yaml_string()
            }
            QUEUE => {
                let mut f = ExecutionQueueAttributesFile::default();
                f.target = target;
                f.tags.clone_from(&self.tags);
                f.to_yaml_string()
            }
            TASK_RESOURCE => {
                let mut f = TaskResourceAttributesFile::default();
                f.target = target;
                set_quantities(&mut f.defaults, &self.defaults, "--default")?;
                set_quantities(&mut f.limits, &self.limits, "--limit")?;
                f.to_yaml_string()
            }
            CLUSTER_RESOURCE => {
                let mut f = ClusterResourceAttributesFile::default();
                f.target = target;
                f.attributes = self.attributes.iter().cloned().collect();
                f.to_yaml_string()
            }
            EXEC_CONFIG => {
                let mut f = WorkflowExecutionConfigFile::default();
                f.target = target;
                f.max_parallelism = self.max_parallelism.unwrap_or_default();
                let run_as = &mut f.security_context.run_as;
                run_as.k8s_service_account = self.k8s_service_account.clone().unwrap_or_default();
                run_as.iam_role = self.iam_role.clone().unwrap_or_default();
                f.raw_output_data_config.output_location_prefix =
                    self.raw_output_prefix.clone().unwrap_or_default();
                f.interruptible = self.interruptible.into();
                f.overwrite_cache = self.overwrite_cache;
                f.labels.values = self.labels.iter().cloned().collect();
                f.annotations.values = self.annotations.iter().cloned().collect();
                f.envs.values = self
                    .envs
                    .iter()
                    .map(|(k, v)| KeyValuePair::new(k, v))
                    .collect();
                f.to_yaml_string()
            }
            _ => return Err(format!("{noun} is set with --attr-file FILE only")),
        })
    }
}

fn set_quantities(
    q: &mut ResourceQuantities,
    pairs: &[(String, String)],
    flag: &str,
) -> Result<(), String> {
    for (name, quantity) in pairs {
        let slot = match name.as_str() {
            "cpu" => &mut q.cpu,
            "gpu" => &mut q.gpu,
            "memory" => &mut q.memory,
            "storage" => &mut q.storage,
            "ephemeral_storage" | "ephemeral-storage" => &mut q.ephemeral_storage,
            _ => {
                return Err(format!(
                "{flag} {name}={quantity}: expected cpu, gpu, memory, storage or ephemeral_storage"
            ))
            }
        };
        slot.clone_from(quantity);
    }
    Ok(())
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
}

// Parsed once per run: the size of `Update`'s flags costs nothing worth boxing them for.
#[allow(clippy::large_enum_variant)]
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
        attr_file: Option<PathBuf>,
        /// Output format: yaml (flytectl's attribute file) or json.
        #[arg(short, long, default_value = "yaml", value_parser = ["yaml", "json"])]
        output: String,
    },
    /// Set the attributes at a scope from an attribute file, or from value flags
    /// (`--value`, `--tag`, `--default`/`--limit`, ...), replacing what was there.
    Update {
        /// Attribute noun.
        noun: String,
        #[command(flatten)]
        scope: Scope,
        /// flytectl attribute file; --project, --domain and --workflow fill what it leaves out.
        #[arg(long)]
        attr_file: Option<PathBuf>,
        #[command(flatten)]
        values: Values,
    },
    /// Delete the attributes set at exactly a scope.
    Delete {
        /// Attribute noun.
        noun: String,
        #[command(flatten)]
        scope: Scope,
        /// Take the scope from this attribute file, as flytectl does.
        #[arg(long)]
        attr_file: Option<PathBuf>,
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

/// Reads the attribute file of kind `noun`, with what it sets.
fn read_file(
    noun: &str,
    path: &Path,
) -> Result<(AttributeTarget, MatchingAttributes), Box<dyn std::error::Error>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    Ok(attributes::parse_file(noun, &text).map_err(|e| format!("{}: {e}", path.display()))?)
}

/// `project/domain/workflow`, or `project (all domains)`.
fn describe(t: &AttributeTarget) -> String {
    let parts: Vec<&str> = [&t.project, &t.domain, &t.workflow]
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(String::as_str)
        .collect();
    if t.domain.is_empty() {
        format!("{} (all domains)", t.project)
    } else {
        parts.join("/")
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    exit(run(Cli::parse()).await)
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    // Check the noun, the file and the scope before connecting: bad input fails fast.
    match cli.command {
        Command::Get {
            noun,
            scope,
            attr_file,
            output,
        } => {
            let r = resource(&noun)?;
            let target = scope.target(None)?;
            let (client, _) = cli.connection.client()?;
            let (found, attrs) = client.get_attributes(&target, r).await?;
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
                    outln!("wrote {}", path.display());
                }
                None => out!("{text}"),
            }
        }
        Command::Update {
            noun,
            scope,
            attr_file,
            values,
        } => {
            resource(&noun)?;
            let (target, attrs) = match &attr_file {
                Some(path) => {
                    if let Some((flag, _)) = values.given().first() {
                        return Err(format!("{flag} and --attr-file: give one or the other").into());
                    }
                    let (in_file, attrs) = read_file(&noun, path)?;
                    (scope.target(Some((path, &in_file)))?, attrs)
                }
                None => {
                    let target = scope.target(None)?;
                    let text = values.to_file(&noun, target.clone())?;
                    (target, attributes::parse_file(&noun, &text)?.1)
                }
            };
            let (client, _) = cli.connection.client()?;
            client.update_attributes(&target, attrs).await?;
            outln!("updated {noun} for {}", describe(&target));
        }
        Command::Delete {
            noun,
            scope,
            attr_file,
        } => {
            let r = resource(&noun)?;
            let target = match &attr_file {
                Some(path) => scope.target(Some((path, &read_file(&noun, path)?.0)))?,
                None => scope.target(None)?,
            };
            let (client, _) = cli.connection.client()?;
            client.delete_attributes(&target, r).await?;
            outln!("deleted {noun} for {}", describe(&target));
        }
        Command::List { noun } => {
            let r = resource(&noun)?;
            let (client, _) = cli.connection.client()?;
            let rows = client.list_matchable_attributes(r).await?;
            outln!("{:<24} {:<16} WORKFLOW", "PROJECT", "DOMAIN");
            for row in rows {
                outln!("{:<24} {:<16} {}", row.project, row.domain, row.workflow);
            }
        }
    }
    Ok(())
}
