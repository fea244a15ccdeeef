//! Lists follow FlyteAdmin's page tokens to the end.

use futures::TryStreamExt as _;

use flyte_admin_client::pb::{admin, core};
use flyte_admin_client::{ExecutionId, ListOptions};
use flyte_testkit::TestAdmin;

mod common;
use common::{client, TestResult};

#[tokio::test]
async fn list_signals_follows_every_page() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let exec = ExecutionId::new("flytesnacks", "development", "gated");
    let other = ExecutionId::new("flytesnacks", "development", "elsewhere");
    let bool_type = core::LiteralType {
        r#type: Some(core::literal_type::Type::Simple(
            core::SimpleType::Boolean as i32,
        )),
        ..Default::default()
    };
    for (execution, n) in [(&exec, 7), (&other, 2)] {
        for i in 0..n {
            c.signal_service()
                .get_or_create_signal(admin::SignalGetOrCreateRequest {
                    id: Some(core::SignalIdentifier {
                        signal_id: format!("gate-{i}"),
                        execution_id: Some(execution.to_pb()),
                    }),
                    r#type: Some(bool_type.clone()),
                })
                .await?;
        }
    }
    let signals: Vec<admin::Signal> = c
        .list_signals(&exec, &ListOptions::new().page_size(3))
        .try_collect()
        .await?;
    let mut ids: Vec<String> = signals
        .iter()
        .filter_map(|s| s.id.as_ref().map(|i| i.signal_id.clone()))
        .collect();
    ids.sort();
    let want: Vec<String> = (0..7).map(|i| format!("gate-{i}")).collect();
    assert_eq!(ids, want, "every signal of the execution once, no other's");
    assert_eq!(admin.calls("ListSignals"), 3, "pages of 3, 3 and 1");
    Ok(())
}
