//! The test kit guide's example (flyte-testkit's crate docs quote it): a test of your own
//! automation that registers a workflow, launches it and checks its outputs, with no cluster.

use std::time::Duration;

use flyte_admin_client::build::{types, ContainerTask, LaunchPlan, Node, Source, Workflow};
use flyte_admin_client::pb::core::LiteralMap;
use flyte_admin_client::register::{Package, RegisterOptions};
use flyte_admin_client::{literals, AdminClient, LaunchPlanId, WaitOptions};
use flyte_testkit::{ExecutionRun, Executors, Plan, TestAdmin};
use serde_json::json;

// Kept compact on purpose: it is quoted in the docs as a whole test in under 30 lines.
#[rustfmt::skip]
#[tokio::test]
async fn my_pipeline_doubles_its_input() -> Result<(), Box<dyn std::error::Error>> {
    // The test kit plays FlyteAdmin; this executor plays the cluster: it doubles `x`.
    let double = |run: &ExecutionRun| {
        let x = literals::literal_map_to_json(&run.inputs)["x"].as_i64().unwrap_or(0);
        let y = literals::json_to_literal(&json!(2 * x), &types::integer(), "y").unwrap_or_default();
        Plan::succeed(Duration::from_millis(50), LiteralMap { literals: [("y".into(), y)].into() })
    };
    let admin = TestAdmin::builder().executor(Executors::custom(double)).start().await?;
    let client = AdminClient::builder().endpoint(admin.addr().to_string()).insecure(true).build()?;

    let task = ContainerTask::new("demo.double", "alpine:3.20").command(["sh", "-c", "..."])
        .input("x", types::integer()).output("y", types::integer());
    let wf = Workflow::new("demo.wf").input("x", types::integer())
        .node(Node::task("n0", &task).bind("x", Source::input("x")))
        .output("y", Source::output("n0", "y"));
    let mut package = Package::default();
    package.add_task(&task)?.add_workflow(&wf)?.add_launch_plan(&LaunchPlan::default_for(&wf))?;
    client.register(package, &RegisterOptions::new("flytesnacks", "development").version("v1")).await?;

    let lp = LaunchPlanId::new("flytesnacks", "development", "demo.wf", "v1");
    let id = client.execute_launch_plan(&lp, None, json!({"x": 21}).as_object().ok_or("inputs")?).await?;
    client.wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(30))).await?;
    let (_, outputs) = client.execution_data(&id).await?;
    assert_eq!(literals::literal_map_to_json(&outputs), json!({"y": 42}));
    Ok(())
}
