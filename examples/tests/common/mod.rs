//! Helpers the example tests share.

use std::path::{Path, PathBuf};

use flyte_admin_client::pb::{admin, core};
use flyte_admin_client::{LaunchPlanId, TaskId, WorkflowId};

/// The built example `name`: `cargo test` puts examples beside the test binaries
/// (`target/<profile>/examples`).
pub(crate) fn example(name: &str) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("test binary has no profile directory")?;
    let path = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        return Err(format!("{} is missing; run through `cargo test`", path.display()).into());
    }
    Ok(path)
}

/// Runs example `name` with `args`, an empty environment and a fresh `HOME`, as a user on a
/// clean machine would.
#[allow(dead_code)] // Not every test binary runs examples this way.
pub(crate) async fn run_example(
    name: &str,
    args: Vec<String>,
) -> Result<std::process::Output, Box<dyn std::error::Error>> {
    let bin = example(name)?;
    let home = tempfile::tempdir()?;
    let home_path = home.path().to_path_buf();
    Ok(tokio::task::spawn_blocking(move || {
        std::process::Command::new(bin)
            .args(args)
            .env_clear()
            .env("HOME", home_path)
            .output()
    })
    .await??)
}

/// Runs example `name` against the test kit (`--endpoint ADDR --insecure`, then `args`).
#[allow(dead_code)] // Not every test binary runs an example against the test kit.
pub(crate) async fn run_against(
    admin: &flyte_testkit::TestAdmin,
    name: &str,
    args: &[&str],
) -> Result<std::process::Output, Box<dyn std::error::Error>> {
    let mut full: Vec<String> = vec![
        "--endpoint".into(),
        admin.addr().to_string(),
        "--insecure".into(),
    ];
    full.extend(args.iter().map(|s| (*s).to_owned()));
    run_example(name, full).await
}

/// Registers task `t`, workflow `wf` and launch plan `wf` (version v1, inactive) in
/// flytesnacks/development, each taking and returning an integer `x`.
#[allow(dead_code)] // Not every test binary registers.
pub(crate) async fn register_wf(
    admin: &flyte_testkit::TestAdmin,
) -> Result<(), Box<dyn std::error::Error>> {
    let c = flyte_admin_client::AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .build()?;
    let int_t = core::LiteralType {
        r#type: Some(core::literal_type::Type::Simple(
            core::SimpleType::Integer as i32,
        )),
        ..Default::default()
    };
    let vars = core::VariableMap {
        variables: [(
            "x".to_owned(),
            core::Variable {
                r#type: Some(int_t),
                ..Default::default()
            },
        )]
        .into_iter()
        .collect(),
    };
    let iface = core::TypedInterface {
        inputs: Some(vars.clone()),
        outputs: Some(vars),
    };
    let task = TaskId::new("flytesnacks", "development", "t", "v1");
    c.create_task(
        &task,
        admin::TaskSpec {
            template: Some(core::TaskTemplate {
                r#type: "python-task".into(),
                metadata: Some(Default::default()),
                interface: Some(iface.clone()),
                target: Some(core::task_template::Target::Container(core::Container {
                    image: "img".into(),
                    ..Default::default()
                })),
                ..Default::default()
            }),
            description: None,
        },
    )
    .await?;
    let wf = WorkflowId::new("flytesnacks", "development", "wf", "v1");
    c.create_workflow(
        &wf,
        admin::WorkflowSpec {
            template: Some(core::WorkflowTemplate {
                interface: Some(iface),
                nodes: vec![core::Node {
                    id: "n0".into(),
                    target: Some(core::node::Target::TaskNode(core::TaskNode {
                        reference: Some(core::task_node::Reference::ReferenceId(task.to_pb())),
                        overrides: None,
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await?;
    c.create_launch_plan(
        &LaunchPlanId::new("flytesnacks", "development", "wf", "v1"),
        admin::LaunchPlanSpec {
            workflow_id: Some(wf.to_pb()),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}
