//! Entities and executions of an organization: the org is sent when set and comes back.

use std::collections::HashMap;

use flyte_testkit::TestAdmin;

mod common;
use common::{client, int, register_in, TestResult};

#[tokio::test]
async fn a_launch_plan_of_an_organization_launches_there() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let lp = register_in(&c, "v1", "acme").await?;
    assert_eq!(
        c.get_launch_plan(&lp).await?.id.map(|i| i.org),
        Some("acme".into())
    );
    let id = c
        .launch(
            &lp,
            Some("in-acme"),
            HashMap::from([("x".to_owned(), int(1))]),
        )
        .await?;
    assert_eq!(
        id.org, "acme",
        "the execution is created in the launch plan's org"
    );
    let execution = c.get_execution(&id).await?;
    assert_eq!(execution.id.map(|i| i.org), Some("acme".into()));
    Ok(())
}
