//! The five-minute tour: builds a small workflow in Rust (two container tasks and a launch
//! plan), registers it, launches it with inputs, shows its progress, waits, and prints the
//! outputs and the console URL.
//!
//! With no cluster and no config it starts the embedded test kit (an in-process FlyteAdmin on
//! 127.0.0.1) and says so. With `--config FILE`, `--endpoint HOST:PORT [--insecure]`,
//! `$FLYTECTL_CONFIG` or a `~/.flyte/config.yaml`, it runs the same steps against that Flyte.
//!
//! ```text
//! cargo run --example quickstart [-- --name you] [--project P --domain D] [--config FILE]
//! ```

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use flyte_admin_client::pb::core::workflow_execution::Phase;
use flyte_admin_client::pb::{admin, core};
use flyte_admin_client::{
    is_terminal, literals, AdminClient, ExecutionId, LaunchPlanId, TaskId, WorkflowId,
};
use flyte_examples::{fail, Connection};
use flyte_testkit::{ExecutionRun, Executors, Plan, TestAdmin};

const VERSION: &str = "quickstart-v1";
/// A small image with `sh`, `printf` and `tr`.
const IMAGE: &str = "docker.io/library/alpine:3.20";

#[derive(Parser, Debug)]
#[command(
    name = "quickstart",
    about = "Register, launch and watch a small workflow"
)]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    /// Who to greet (the workflow's input).
    #[arg(long, default_value = "world")]
    name: String,
    /// Project (default: the config's, else flytesnacks).
    #[arg(short, long)]
    project: Option<String>,
    /// Domain (default: the config's, else development).
    #[arg(short, long)]
    domain: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => fail(e),
    }
}

fn string_type() -> core::LiteralType {
    core::LiteralType {
        r#type: Some(core::literal_type::Type::Simple(
            core::SimpleType::String as i32,
        )),
        ..Default::default()
    }
}

fn vars(names: &[&str]) -> core::VariableMap {
    core::VariableMap {
        variables: names
            .iter()
            .map(|n| {
                (
                    (*n).to_owned(),
                    core::Variable {
                        r#type: Some(string_type()),
                        ..Default::default()
                    },
                )
            })
            .collect(),
    }
}

fn interface(input: &str, output: &str) -> core::TypedInterface {
    core::TypedInterface {
        inputs: Some(vars(&[input])),
        outputs: Some(vars(&[output])),
    }
}

/// A raw-container task: Flyte writes each input to /var/inputs/NAME and reads each output from
/// /var/outputs/NAME.
fn container_task(input: &str, output: &str, script: &str) -> admin::TaskSpec {
    admin::TaskSpec {
        template: Some(core::TaskTemplate {
            r#type: "raw-container".into(),
            metadata: Some(core::TaskMetadata {
                runtime: Some(core::RuntimeMetadata {
                    r#type: core::runtime_metadata::RuntimeType::Other as i32,
                    version: env!("CARGO_PKG_VERSION").into(),
                    flavor: "flyte-rs".into(),
                }),
                retries: Some(core::RetryStrategy { retries: 1 }),
                ..Default::default()
            }),
            interface: Some(interface(input, output)),
            target: Some(core::task_template::Target::Container(core::Container {
                image: IMAGE.into(),
                command: vec!["sh".into(), "-c".into(), script.into()],
                data_config: Some(core::DataLoadingConfig {
                    enabled: true,
                    input_path: "/var/inputs".into(),
                    output_path: "/var/outputs".into(),
                    format: core::data_loading_config::LiteralMapFormat::Json as i32,
                    io_strategy: Some(core::IoStrategy::default()),
                }),
                ..Default::default()
            })),
            ..Default::default()
        }),
        description: None,
    }
}

fn from_node(node: &str, var: &str) -> core::BindingData {
    core::BindingData {
        value: Some(core::binding_data::Value::Promise(core::OutputReference {
            node_id: node.into(),
            var: var.into(),
            attr_path: vec![],
        })),
        union: None,
    }
}

fn task_node(
    id: &str,
    task: &TaskId,
    input: &str,
    from: core::BindingData,
    upstream: &[&str],
) -> core::Node {
    core::Node {
        id: id.into(),
        metadata: Some(core::NodeMetadata {
            name: task.name.clone(),
            ..Default::default()
        }),
        inputs: vec![core::Binding {
            var: input.into(),
            binding: Some(from),
        }],
        upstream_node_ids: upstream.iter().map(|s| (*s).to_owned()).collect(),
        target: Some(core::node::Target::TaskNode(core::TaskNode {
            reference: Some(core::task_node::Reference::ReferenceId(task.to_pb())),
            overrides: None,
        })),
        ..Default::default()
    }
}

/// Registers, treating "already registered with the same spec" as done.
fn ok_if_exists(r: flyte_admin_client::Result<()>) -> flyte_admin_client::Result<()> {
    match r {
        Err(e) if e.is_already_exists() => Ok(()),
        other => other,
    }
}

async fn register(
    client: &AdminClient,
    project: &str,
    domain: &str,
) -> Result<LaunchPlanId, Box<dyn std::error::Error>> {
    let greet = TaskId::new(project, domain, "quickstart.greet", VERSION);
    let shout = TaskId::new(project, domain, "quickstart.shout", VERSION);
    ok_if_exists(
        client
            .create_task(
                &greet,
                container_task(
                    "name",
                    "greeting",
                    r#"printf 'hello %s' "$(cat /var/inputs/name)" > /var/outputs/greeting"#,
                ),
            )
            .await,
    )?;
    ok_if_exists(
        client
            .create_task(
                &shout,
                container_task(
                    "greeting",
                    "loud",
                    "tr a-z A-Z < /var/inputs/greeting > /var/outputs/loud",
                ),
            )
            .await,
    )?;
    let wf = WorkflowId::new(project, domain, "quickstart.hello", VERSION);
    let workflow_input = core::BindingData {
        value: Some(core::binding_data::Value::Promise(core::OutputReference {
            node_id: "start-node".into(),
            var: "name".into(),
            attr_path: vec![],
        })),
        union: None,
    };
    let template = core::WorkflowTemplate {
        interface: Some(interface("name", "loud")),
        nodes: vec![
            task_node("n0", &greet, "name", workflow_input, &[]),
            task_node(
                "n1",
                &shout,
                "greeting",
                from_node("n0", "greeting"),
                &["n0"],
            ),
        ],
        outputs: vec![core::Binding {
            var: "loud".into(),
            binding: Some(from_node("n1", "loud")),
        }],
        metadata: Some(core::WorkflowMetadata::default()),
        metadata_defaults: Some(core::WorkflowMetadataDefaults::default()),
        ..Default::default()
    };
    ok_if_exists(
        client
            .create_workflow(
                &wf,
                admin::WorkflowSpec {
                    template: Some(template),
                    ..Default::default()
                },
            )
            .await,
    )?;
    let lp = LaunchPlanId::new(project, domain, "quickstart.hello", VERSION);
    ok_if_exists(
        client
            .create_launch_plan(
                &lp,
                admin::LaunchPlanSpec {
                    workflow_id: Some(wf.to_pb()),
                    ..Default::default()
                },
            )
            .await,
    )?;
    Ok(lp)
}

/// What the two containers would compute, for the embedded test kit, which runs no containers.
fn simulate(run: &ExecutionRun) -> Plan {
    let name = literals::literal_map_to_json(&run.inputs)["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let loud = format!("hello {name}").to_uppercase();
    let outputs = core::LiteralMap {
        literals: HashMap::from([(
            "loud".to_owned(),
            literals::json_to_literal(&serde_json::json!(loud), &string_type(), "outputs.loud")
                .unwrap_or_default(),
        )]),
    };
    Plan::succeed(Duration::from_millis(600), outputs)
}

fn real_flyte_configured(cli: &Cli) -> bool {
    cli.connection.config.is_some()
        || cli.connection.endpoint.is_some()
        || std::env::var_os("FLYTECTL_CONFIG").is_some_and(|v| !v.is_empty())
        || flyte_config::InitOptions::default_path().is_some_and(|p| p.exists())
}

async fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    println!("flyte-rs quickstart");
    let mut embedded = None;
    let (client, project, domain) = if real_flyte_configured(&cli) {
        let (client, config) = cli.connection.client()?;
        println!(
            "Using FlyteAdmin at {} (config: {})",
            client.endpoint(),
            config.source()
        );
        let project = cli
            .project
            .clone()
            .or_else(|| config.project().map(str::to_owned))
            .unwrap_or_else(|| "flytesnacks".into());
        let domain = cli
            .domain
            .clone()
            .or_else(|| config.domain().map(str::to_owned))
            .unwrap_or_else(|| "development".into());
        (client, project, domain)
    } else {
        let admin = TestAdmin::builder()
            .executor(Executors::custom(simulate))
            .start()
            .await?;
        println!(
            "No Flyte configured: using the embedded test kit, an in-process FlyteAdmin on {}.",
            admin.addr()
        );
        println!("(It checks and stores what you register and simulates executions; pass --config or --endpoint for a real Flyte.)");
        let client = AdminClient::builder()
            .endpoint(admin.addr().to_string())
            .insecure(true)
            .console(admin.endpoint())
            .build()?;
        embedded = Some(admin);
        (
            client,
            cli.project.clone().unwrap_or_else(|| "flytesnacks".into()),
            cli.domain.clone().unwrap_or_else(|| "development".into()),
        )
    };

    println!("Registering tasks quickstart.greet and quickstart.shout, workflow and launch plan quickstart.hello ({VERSION}) in {project}/{domain}");
    let lp = register(&client, &project, &domain).await?;
    let inputs = serde_json::json!({"name": cli.name});
    println!("Launching {} with {inputs}", lp.name);
    let id = client
        .execute_launch_plan(&lp, None, inputs.as_object().ok_or("inputs")?)
        .await?;
    println!("Execution {id}");
    let phase = watch(&client, &id).await?;
    let (_, outputs) = client.execution_data(&id).await?;
    println!("Outputs: {}", literals::literal_map_to_json(&outputs));
    if embedded.is_some() {
        println!(
            "Console URL on a real Flyte (the test kit serves no console): {}",
            client.console_url(&id)
        );
    } else {
        println!("Console: {}", client.console_url(&id));
    }
    drop(embedded);
    Ok(if phase == Phase::Succeeded as i32 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn watch(client: &AdminClient, id: &ExecutionId) -> Result<i32, Box<dyn std::error::Error>> {
    let mut last = None;
    let mut interval = Duration::from_millis(100);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3600);
    loop {
        let closure = client.get_execution(id).await?.closure.unwrap_or_default();
        if last != Some(closure.phase) {
            println!(
                "  {}",
                Phase::try_from(closure.phase).map_or("UNKNOWN", |p| p.as_str_name())
            );
            last = Some(closure.phase);
        }
        if is_terminal(closure.phase) {
            if let Some(admin::execution_closure::OutputResult::Error(e)) = closure.output_result {
                println!("  {}: {}", e.code, e.message);
            }
            return Ok(closure.phase);
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!("{id} did not finish within an hour").into());
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(Duration::from_secs(5));
    }
}
