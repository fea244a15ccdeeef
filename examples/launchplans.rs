//! Lists, shows, activates and deactivates launch plans: `flytectl get launchplan` and
//! `flytectl update launchplan --activate|--deactivate`.
//!
//! ```text
//! cargo run --example launchplans -- list -p P -d D [--name N] [--latest] [--active] [-o table|json]
//! cargo run --example launchplans -- get NAME -p P -d D [--version V] [-o table|json|yaml]
//! cargo run --example launchplans -- activate NAME -p P -d D [--version V]
//! cargo run --example launchplans -- deactivate NAME -p P -d D [--version V]
//! ```
//! `get` and `activate` without `--version` take the newest version; `deactivate` without it
//! takes the active one. Activating a version deactivates the name's other versions (FlyteAdmin
//! does it), and both commands say which version was active before.
//! Every command takes `--config FILE`, or `--endpoint HOST:PORT [--insecure]`.

use std::collections::HashSet;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use flyte_admin_client::pb::admin::{self, notification, schedule};
use flyte_admin_client::pb::core::{self, literal_type, parameter, workflow_execution};
use flyte_admin_client::{literals, AdminClient, LaunchPlanId, ListOptions, Listing};
use flyte_examples::{exit, outln, print_document, short_time, Connection, Format, ProjectDomain};
use futures::TryStreamExt;
use serde_json::{json, Value};

#[derive(Parser, Debug)]
#[command(
    name = "launchplans",
    about = "List, show, activate and deactivate Flyte launch plans"
)]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    scope: ProjectDomain,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Every version (newest first), or the newest of each name with --latest.
    List {
        /// Only this launch plan's versions.
        #[arg(long)]
        name: Option<String>,
        /// Only the newest version of each name.
        #[arg(long)]
        latest: bool,
        /// Only active versions (the ones whose schedules run).
        #[arg(long)]
        active: bool,
        /// Output: table, or json (one object per line).
        #[arg(short, long, value_enum, default_value_t)]
        output: Format,
    },
    /// One version: interface, defaults, fixed inputs, schedule, notifications and state.
    Get {
        /// Launch plan name.
        name: String,
        /// Version (default: the newest).
        #[arg(long)]
        version: Option<String>,
        /// Output: table (readable lines), json or yaml.
        #[arg(short, long, value_enum, default_value_t)]
        output: Format,
    },
    /// Activate a version (its schedule runs); the name's other versions are deactivated.
    Activate {
        /// Launch plan name.
        name: String,
        /// Version (default: the newest).
        #[arg(long)]
        version: Option<String>,
    },
    /// Deactivate a version (its schedule stops; it can still be launched).
    Deactivate {
        /// Launch plan name.
        name: String,
        /// Version (default: the active one).
        #[arg(long)]
        version: Option<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    exit(run(Cli::parse()).await)
}

fn state_name(lp: &admin::LaunchPlan) -> &'static str {
    let state = lp.closure.as_ref().map_or(0, |c| c.state);
    admin::LaunchPlanState::try_from(state).map_or("UNKNOWN", |s| s.as_str_name())
}

fn version_of(lp: &admin::LaunchPlan) -> &str {
    lp.id.as_ref().map_or("", |i| i.version.as_str())
}

fn schedule_of(lp: &admin::LaunchPlan) -> Option<&admin::Schedule> {
    lp.spec
        .as_ref()?
        .entity_metadata
        .as_ref()?
        .schedule
        .as_ref()
}

/// A schedule as written in flytekit: `cron 0 * * * *`, `every 5 MINUTE`.
fn describe_schedule(s: &admin::Schedule) -> String {
    match &s.schedule_expression {
        Some(schedule::ScheduleExpression::CronExpression(c)) => format!("cron {c}"),
        Some(schedule::ScheduleExpression::CronSchedule(c)) if c.offset.is_empty() => {
            format!("cron {}", c.schedule)
        }
        Some(schedule::ScheduleExpression::CronSchedule(c)) => {
            format!("cron {} offset {}", c.schedule, c.offset)
        }
        Some(schedule::ScheduleExpression::Rate(r)) => format!(
            "every {} {}",
            r.value,
            admin::FixedRateUnit::try_from(r.unit).map_or("UNKNOWN", |u| u.as_str_name())
        ),
        None => String::new(),
    }
}

/// A literal type in words: `integer`, `list of string`, `map of float`.
fn type_name(t: Option<&core::LiteralType>) -> String {
    match t.and_then(|t| t.r#type.as_ref()) {
        Some(literal_type::Type::Simple(s)) => core::SimpleType::try_from(*s)
            .map_or("unknown", |s| s.as_str_name())
            .to_lowercase(),
        Some(literal_type::Type::CollectionType(inner)) => {
            format!("list of {}", type_name(Some(inner)))
        }
        Some(literal_type::Type::MapValueType(inner)) => {
            format!("map of {}", type_name(Some(inner)))
        }
        Some(literal_type::Type::Blob(_)) => "blob".into(),
        Some(literal_type::Type::Schema(_)) => "schema".into(),
        Some(literal_type::Type::StructuredDatasetType(_)) => "structured dataset".into(),
        Some(literal_type::Type::EnumType(e)) => format!("enum {}", e.values.join("|")),
        Some(literal_type::Type::UnionType(u)) => {
            let names: Vec<String> = u.variants.iter().map(|v| type_name(Some(v))).collect();
            format!("union of {}", names.join(", "))
        }
        None => "none".into(),
    }
}

/// The one-line summary `list` prints per version.
fn row(lp: &admin::LaunchPlan) -> Value {
    let id = lp.id.clone().unwrap_or_default();
    let workflow = lp
        .spec
        .as_ref()
        .and_then(|s| s.workflow_id.as_ref())
        .map(|w| format!("{}:{}", w.name, w.version))
        .unwrap_or_default();
    json!({
        "name": id.name,
        "version": id.version,
        "state": state_name(lp),
        "schedule": schedule_of(lp).map(describe_schedule),
        "workflow": workflow,
        "created_at": lp.closure.as_ref().and_then(|c| c.created_at.as_ref()).map(|t| flyte_config::format_rfc3339(t.seconds, 0)),
    })
}

/// Everything `get` shows, as one JSON object.
fn details(lp: &admin::LaunchPlan) -> Value {
    let spec = lp.spec.clone().unwrap_or_default();
    let closure = lp.closure.clone().unwrap_or_default();
    let mut inputs = serde_json::Map::new();
    let params = closure
        .expected_inputs
        .as_ref()
        .or(spec.default_inputs.as_ref());
    for (name, p) in params.map(|p| &p.parameters).into_iter().flatten() {
        let mut input = json!({
            "type": type_name(p.var.as_ref().and_then(|v| v.r#type.as_ref())),
            "required": matches!(p.behavior, Some(parameter::Behavior::Required(true))),
        });
        if let Some(parameter::Behavior::Default(d)) = &p.behavior {
            input["default"] = literals::literal_to_json(d);
        }
        inputs.insert(name.clone(), input);
    }
    let outputs: serde_json::Map<String, Value> = closure
        .expected_outputs
        .iter()
        .flat_map(|o| &o.variables)
        .map(|(k, v)| (k.clone(), type_name(v.r#type.as_ref()).into()))
        .collect();
    let notifications: Vec<Value> = spec
        .entity_metadata
        .iter()
        .flat_map(|m| &m.notifications)
        .map(|n| {
            let phases: Vec<&str> = n
                .phases
                .iter()
                .map(|p| {
                    workflow_execution::Phase::try_from(*p).map_or("UNKNOWN", |p| p.as_str_name())
                })
                .collect();
            let (kind, to) = match &n.r#type {
                Some(notification::Type::Email(e)) => ("email", &e.recipients_email),
                Some(notification::Type::Slack(s)) => ("slack", &s.recipients_email),
                Some(notification::Type::PagerDuty(p)) => ("pager_duty", &p.recipients_email),
                None => ("none", &Vec::new()),
            };
            json!({"phases": phases, "kind": kind, "recipients": to})
        })
        .collect();
    let mut out = row(lp);
    out["project"] = lp.id.as_ref().map_or("", |i| i.project.as_str()).into();
    out["domain"] = lp.id.as_ref().map_or("", |i| i.domain.as_str()).into();
    out["inputs"] = inputs.into();
    out["fixed_inputs"] = spec
        .fixed_inputs
        .as_ref()
        .map_or(json!({}), literals::literal_map_to_json);
    out["outputs"] = outputs.into();
    out["schedule"] = match schedule_of(lp) {
        Some(s) => json!({
            "expression": describe_schedule(s),
            "kickoff_time_input_arg": s.kickoff_time_input_arg,
        }),
        None => Value::Null,
    };
    out["notifications"] = notifications.into();
    out
}

/// `key: value` lines for people; nested values as compact JSON.
fn print_lines(v: &Value) {
    for (k, v) in v.as_object().into_iter().flatten() {
        match v {
            Value::String(s) => outln!("{k}: {s}"),
            Value::Null => outln!("{k}: -"),
            Value::Object(s) if k == "schedule" => {
                outln!("{k}: {}", s["expression"].as_str().unwrap_or(""));
            }
            Value::Array(list) if k == "notifications" => {
                outln!("{k}:");
                for n in list {
                    let phases: Vec<&str> = n["phases"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    let to: Vec<&str> = n["recipients"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    outln!(
                        "  on {}: {} {}",
                        phases.join(", "),
                        n["kind"].as_str().unwrap_or(""),
                        to.join(", ")
                    );
                }
            }
            Value::Object(m) if k == "inputs" => {
                outln!("{k}:");
                for (name, input) in m {
                    let default = match input.get("default") {
                        Some(d) => format!(" = {d}"),
                        None if input["required"] == true => " (required)".into(),
                        None => String::new(),
                    };
                    outln!(
                        "  {name}: {}{default}",
                        input["type"].as_str().unwrap_or("")
                    );
                }
            }
            other => outln!("{k}: {other}"),
        }
    }
}

async fn newest(
    client: &AdminClient,
    project: &str,
    domain: &str,
    name: &str,
) -> Result<admin::LaunchPlan, Box<dyn std::error::Error>> {
    Ok(client.latest_launch_plan(project, domain, name).await?)
}

/// The active version of `name`, or none.
async fn active_version(
    client: &AdminClient,
    project: &str,
    domain: &str,
    name: &str,
) -> Result<Option<String>, Box<dyn std::error::Error>> {
    match client.get_active_launch_plan(project, domain, name).await {
        Ok(lp) => Ok(Some(version_of(&lp).to_owned())),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let (client, config) = cli.connection.client()?;
    let (project, domain) = cli.scope.resolve(&config)?;
    match cli.command {
        Command::List {
            name,
            latest,
            active,
            output,
        } => {
            let newest_first = ListOptions::new().sort_by("created_at", true);
            let mut plans: Listing<admin::LaunchPlan> = if active {
                client.list_active_launch_plans(&project, &domain, &newest_first)
            } else {
                client.list_launch_plans(&project, &domain, name.as_deref(), &newest_first)
            };
            if output == Format::Table {
                outln!(
                    "{:<22} {:<12} {:<8} {:<16} CREATED",
                    "NAME",
                    "VERSION",
                    "STATE",
                    "SCHEDULE"
                );
            }
            let mut seen = HashSet::new();
            while let Some(lp) = plans.try_next().await? {
                let id = lp.id.clone().unwrap_or_default();
                if name.as_ref().is_some_and(|n| *n != id.name)
                    || (latest && !seen.insert(id.name.clone()))
                {
                    continue;
                }
                if output == Format::Table {
                    outln!(
                        "{:<22} {:<12} {:<8} {:<16} {}",
                        id.name,
                        id.version,
                        state_name(&lp),
                        schedule_of(&lp).map(describe_schedule).unwrap_or_default(),
                        short_time(
                            lp.closure
                                .as_ref()
                                .and_then(|c| c.created_at.as_ref())
                                .map(|t| t.seconds)
                        )
                    );
                } else {
                    outln!("{}", row(&lp));
                }
            }
        }
        Command::Get {
            name,
            version,
            output,
        } => {
            let lp = match version {
                Some(v) => {
                    client
                        .get_launch_plan(&LaunchPlanId::new(&project, &domain, &name, v))
                        .await?
                }
                None => newest(&client, &project, &domain, &name).await?,
            };
            let v = details(&lp);
            match output {
                Format::Table => print_lines(&v),
                other => print_document(&v, other)?,
            }
        }
        Command::Activate { name, version } => {
            let version = match version {
                Some(v) => v,
                None => version_of(&newest(&client, &project, &domain, &name).await?).to_owned(),
            };
            let before = active_version(&client, &project, &domain, &name).await?;
            let id = LaunchPlanId::new(&project, &domain, &name, &version);
            client.activate_launch_plan(&id).await?;
            match before {
                Some(b) if b == version => outln!("{name} {version} was already active"),
                Some(b) => outln!("activated {name} {version} (deactivated {b})"),
                None => outln!("activated {name} {version} (none was active)"),
            }
        }
        Command::Deactivate { name, version } => {
            let before = active_version(&client, &project, &domain, &name).await?;
            let version = match (version, &before) {
                (Some(v), _) => v,
                (None, Some(b)) => b.clone(),
                (None, None) => {
                    return Err(
                        format!("no version of {name} is active in {project}/{domain}").into(),
                    )
                }
            };
            let id = LaunchPlanId::new(&project, &domain, &name, &version);
            client.deactivate_launch_plan(&id).await?;
            match before {
                Some(b) if b == version => outln!("deactivated {name} {version} (it was active)"),
                Some(b) => outln!("deactivated {name} {version} ({b} is the active version)"),
                None => outln!("deactivated {name} {version} (none was active)"),
            }
        }
    }
    Ok(())
}
