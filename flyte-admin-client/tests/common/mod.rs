//! Helpers the integration tests share.
// Each test binary uses some of these.
#![allow(dead_code)]

use std::time::Duration;

use flyte_admin_client::pb::{admin, core};
use flyte_admin_client::{AdminClient, LaunchPlanId, RetryPolicy, TaskId, WorkflowId};
use flyte_testkit::TestAdmin;

pub(crate) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A raw container task `name` adding integers `a` and `b` into `c`, with a string `note` it
/// does not use: the shape the cache tests mark cached.
pub(crate) fn adder(name: &str) -> flyte_admin_client::build::ContainerTask {
    use flyte_admin_client::build::{types, ContainerTask};
    ContainerTask::new(name, "alpine:3.20")
        .command([
            "sh",
            "-c",
            "echo $(( $(cat /var/inputs/a) + $(cat /var/inputs/b) )) > /var/outputs/c",
        ])
        .input("a", types::integer())
        .input("b", types::integer())
        .input("note", types::string())
        .output("c", types::integer())
}

/// A package made by pyflyte, from `tests/fixtures/pyflyte`.
pub(crate) fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pyflyte")
        .join(name)
}

/// A plaintext client for the test kit, retrying fast.
pub(crate) fn client(admin: &TestAdmin) -> Result<AdminClient, flyte_admin_client::Error> {
    AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
}

/// A client that retries at once, as often as 30 times: with 4 calls in 10 failing (random
/// faults), a call failing 31 times in a row (about 1 in 10^12) would be a false failure of the
/// test itself.
pub(crate) fn patient_client(admin: &TestAdmin) -> Result<AdminClient, flyte_admin_client::Error> {
    AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .retry(
            RetryPolicy::default()
                .max_retries(30)
                .initial_backoff(Duration::ZERO)
                .max_backoff(Duration::ZERO),
        )
        .build()
}

/// A client that logs in as `robot` with `secret` (client credentials), the secret in a file
/// under `dir` as flytectl's `clientSecretLocation`. Discovery goes over gRPC: the test kit
/// serves OAuth2 on its own HTTP port, where real FlyteAdmin shares one port.
pub(crate) async fn robot_client(
    admin: &TestAdmin,
    secret: &str,
    dir: &std::path::Path,
) -> Result<AdminClient, Box<dyn std::error::Error>> {
    let path = dir.join("secret");
    std::fs::write(&path, secret)?;
    let config = flyte_config::Config::from_yaml_str(&format!(
        "admin:\n  endpoint: dns:///{}\n  insecure: true\n  authType: ClientSecret\n  clientId: robot\n  clientSecretLocation: {}\n",
        admin.addr(),
        path.display()
    ))?;
    let channel = tonic::transport::Channel::from_shared(admin.endpoint())?
        .connect()
        .await?;
    let creds = flyte_auth::CredentialsBuilder::from_config(&config)?
        .grpc_channel(channel)
        .memory_cache()
        .build()?;
    Ok(AdminClient::builder()
        .config(&config)
        .credentials(creds)
        .build()?)
}

// An integer task, workflow and launch plan, registered through the client.

pub(crate) const P: &str = "flytesnacks";
pub(crate) const D: &str = "development";

pub(crate) fn int_type() -> core::LiteralType {
    core::LiteralType {
        r#type: Some(core::literal_type::Type::Simple(
            core::SimpleType::Integer as i32,
        )),
        ..Default::default()
    }
}

pub(crate) fn int(v: i64) -> core::Literal {
    core::Literal {
        value: Some(core::literal::Value::Scalar(Box::new(core::Scalar {
            value: Some(core::scalar::Value::Primitive(core::Primitive {
                value: Some(core::primitive::Value::Integer(v)),
            })),
        }))),
        ..Default::default()
    }
}

pub(crate) fn iface() -> core::TypedInterface {
    let vars = |n: &str| core::VariableMap {
        variables: [(
            n.to_owned(),
            core::Variable {
                r#type: Some(int_type()),
                ..Default::default()
            },
        )]
        .into_iter()
        .collect(),
    };
    core::TypedInterface {
        inputs: Some(vars("x")),
        outputs: Some(vars("x")),
    }
}

/// Registers task `double`, workflow `wf` and launch plan `wf` at `version` through the client.
pub(crate) async fn register(
    c: &AdminClient,
    version: &str,
) -> Result<LaunchPlanId, Box<dyn std::error::Error>> {
    register_in(c, version, "").await
}

/// As [`register`], in organization `org`.
pub(crate) async fn register_in(
    c: &AdminClient,
    version: &str,
    org: &str,
) -> Result<LaunchPlanId, Box<dyn std::error::Error>> {
    let task = TaskId::new(P, D, "double", version).with_org(org);
    c.create_task(
        &task,
        admin::TaskSpec {
            template: Some(core::TaskTemplate {
                r#type: "python-task".into(),
                metadata: Some(Default::default()),
                interface: Some(iface()),
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
    let wf = WorkflowId::new(P, D, "wf", version).with_org(org);
    // As flytekit writes it: the task's `x` from the workflow's, the workflow's `x` from n0's.
    let promise = |node_id: &str| core::Binding {
        var: "x".into(),
        binding: Some(core::BindingData {
            union: None,
            value: Some(core::binding_data::Value::Promise(core::OutputReference {
                node_id: node_id.into(),
                var: "x".into(),
                ..Default::default()
            })),
        }),
    };
    let node = core::Node {
        id: "n0".into(),
        inputs: vec![promise("")],
        target: Some(core::node::Target::TaskNode(core::TaskNode {
            reference: Some(core::task_node::Reference::ReferenceId(task.to_pb())),
            overrides: None,
        })),
        ..Default::default()
    };
    c.create_workflow(
        &wf,
        admin::WorkflowSpec {
            template: Some(core::WorkflowTemplate {
                interface: Some(iface()),
                nodes: vec![node],
                outputs: vec![promise("n0")],
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await?;
    let lp = LaunchPlanId::new(P, D, "wf", version).with_org(org);
    c.create_launch_plan(
        &lp,
        admin::LaunchPlanSpec {
            workflow_id: Some(wf.to_pb()),
            ..Default::default()
        },
    )
    .await?;
    Ok(lp)
}
