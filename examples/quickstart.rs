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
use flyte_admin_client::build::{
    types, BuildError, ContainerTask, LaunchPlan, Node, Source, Workflow,
};
use flyte_admin_client::pb::core::workflow_execution::Phase;
use flyte_admin_client::pb::{admin, core};
use flyte_admin_client::register::{Package, RegisterOptions};
use flyte_admin_client::{is_terminal, literals, AdminClient, ExecutionId, LaunchPlanId};
use flyte_examples::{fail, outln, Connection};
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

/// The workflow, built in Rust: two raw-container tasks (Flyte writes each input to
/// /var/inputs/NAME and reads each output from /var/outputs/NAME) and a launch plan.
fn package() -> Result<Package, BuildError> {
    let greet = ContainerTask::new("quickstart.greet", IMAGE)
        .command([
            "sh",
            "-c",
            r#"printf 'hello %s' "$(cat /var/inputs/name)" > /var/outputs/greeting"#,
        ])
        .input("name", types::string())
        .output("greeting", types::string())
        .retries(1);
    let shout = ContainerTask::new("quickstart.shout", IMAGE)
        .command([
            "sh",
            "-c",
            "tr a-z A-Z < /var/inputs/greeting > /var/outputs/loud",
        ])
        .input("greeting", types::string())
        .output("loud", types::string())
        .retries(1);
    let hello = Workflow::new("quickstart.hello")
        .input("name", types::string())
        .node(Node::task("n0", &greet).bind("name", Source::input("name")))
        .node(Node::task("n1", &shout).bind("greeting", Source::output("n0", "greeting")))
        .output("loud", Source::output("n1", "loud"));
    let mut package = Package::default();
    package
        .add_task(&greet)?
        .add_task(&shout)?
        .add_workflow(&hello)?
        .add_launch_plan(&LaunchPlan::default_for(&hello))?;
    Ok(package)
}

/// Registers the package; already registered (same spec, same version) counts as done.
async fn register(
    client: &AdminClient,
    project: &str,
    domain: &str,
) -> Result<LaunchPlanId, Box<dyn std::error::Error>> {
    let options = RegisterOptions::new(project, domain).version(VERSION);
    let report = client.register(package()?, &options).await?;
    for row in &report.entities {
        outln!(
            "  {:<11} {:<17} {:?}",
            row.kind.as_str(),
            row.id.name,
            row.outcome
        );
    }
    if let Some(row) = report.entities.iter().find(|r| !r.outcome.is_success()) {
        return Err(format!("{} {}: {}", row.kind, row.id.name, row.message).into());
    }
    Ok(LaunchPlanId::new(
        project,
        domain,
        "quickstart.hello",
        VERSION,
    ))
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
            literals::json_to_literal(&serde_json::json!(loud), &types::string(), "outputs.loud")
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
    outln!("flyte-rs quickstart");
    let mut embedded = None;
    let (client, project, domain) = if real_flyte_configured(&cli) {
        let (client, config) = cli.connection.client()?;
        outln!(
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
        outln!(
            "No Flyte configured: using the embedded test kit, an in-process FlyteAdmin on {}.",
            admin.addr()
        );
        outln!("(It checks and stores what you register and simulates executions; pass --config or --endpoint for a real Flyte.)");
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

    outln!("Registering tasks quickstart.greet and quickstart.shout, workflow and launch plan quickstart.hello ({VERSION}) in {project}/{domain}");
    let lp = register(&client, &project, &domain).await?;
    let inputs = serde_json::json!({"name": cli.name});
    outln!("Launching {} with {inputs}", lp.name);
    let id = client
        .execute_launch_plan(&lp, None, inputs.as_object().ok_or("inputs")?)
        .await?;
    outln!("Execution {id}");
    let phase = watch(&client, &id).await?;
    let (_, outputs) = client.execution_data(&id).await?;
    outln!("Outputs: {}", literals::literal_map_to_json(&outputs));
    if embedded.is_some() {
        outln!(
            "Console URL on a real Flyte (the test kit serves no console): {}",
            client.console_url(&id)
        );
    } else {
        outln!("Console: {}", client.console_url(&id));
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
            outln!(
                "  {}",
                Phase::try_from(closure.phase).map_or("UNKNOWN", |p| p.as_str_name())
            );
            last = Some(closure.phase);
        }
        if is_terminal(Phase::try_from(closure.phase).unwrap_or(Phase::Undefined)) {
            if let Some(admin::execution_closure::OutputResult::Error(e)) = closure.output_result {
                outln!("  {}: {}", e.code, e.message);
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
