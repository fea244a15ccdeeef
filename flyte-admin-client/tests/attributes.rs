//! Matchable attributes through the client against the test kit: flytectl's files applied,
//! read back at the scope they were set, overridden per workflow and deleted.

use flyte_admin_client::attributes::{self, NOUNS};
use flyte_admin_client::Code;
use flyte_config::files::{AttributeTarget, MatchableResource};
use flyte_testkit::TestAdmin;

mod common;
use common::{client, TestResult};

const QUEUE_PD: &str = "project: flytesnacks\ndomain: development\ntags: [gpu, large]\n";
const QUEUE_WF: &str =
    "project: flytesnacks\ndomain: development\nworkflow: wf.train\ntags: [small]\n";

#[tokio::test]
async fn a_file_applied_reads_back_as_the_same_file() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let (target, attrs) = attributes::parse_file("execution-queue-attribute", QUEUE_PD)?;
    c.update_attributes(&target, attrs.clone()).await?;

    let (found, got) = c
        .get_attributes(&target, MatchableResource::ExecutionQueue)
        .await?;
    assert_eq!(found, target);
    assert_eq!(got, attrs);
    let written = attributes::to_file(&found, &got).ok_or("no file for a queue attribute")?;
    assert_eq!(
        attributes::parse_file("execution-queue-attribute", &written)?,
        (target, attrs)
    );
    Ok(())
}

#[tokio::test]
async fn workflow_scope_overrides_and_falls_back_after_delete() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    for text in [QUEUE_PD, QUEUE_WF] {
        let (target, attrs) = attributes::parse_file("execution-queue-attribute", text)?;
        c.update_attributes(&target, attrs).await?;
    }
    let (wf_target, wf_attrs) = attributes::parse_file("execution-queue-attribute", QUEUE_WF)?;
    let (found, got) = c
        .get_attributes(&wf_target, MatchableResource::ExecutionQueue)
        .await?;
    assert_eq!(found.workflow, "wf.train");
    assert_eq!(got, wf_attrs);

    let listed = c
        .list_matchable_attributes(MatchableResource::ExecutionQueue)
        .await?;
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0].workflow, "wf.train", "most specific first");

    c.delete_attributes(&wf_target, MatchableResource::ExecutionQueue)
        .await?;
    let (pd_target, pd_attrs) = attributes::parse_file("execution-queue-attribute", QUEUE_PD)?;
    let (_, got) = c
        .get_attributes(&pd_target, MatchableResource::ExecutionQueue)
        .await?;
    assert_eq!(got, pd_attrs);

    c.delete_attributes(&pd_target, MatchableResource::ExecutionQueue)
        .await?;
    let err = c
        .get_attributes(&pd_target, MatchableResource::ExecutionQueue)
        .await
        .expect_err("nothing left");
    assert_eq!(err.code(), Code::NotFound, "{err}");
    Ok(())
}

#[tokio::test]
async fn every_noun_applies_and_reads_back() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let files = [
        "project: flytesnacks\ndomain: development\ndefaults:\n  cpu: \"1\"\n  memory: 150Mi\nlimits:\n  cpu: \"2\"\n  memory: 450Mi\n",
        "project: flytesnacks\ndomain: development\nattributes:\n  projectQuotaCpu: \"8\"\n",
        QUEUE_PD,
        "project: flytesnacks\ndomain: development\nvalue: gpu-cluster\n",
        "project: flytesnacks\ndomain: development\noverrides:\n  - task_type: python_task\n    plugin_id: [k8s-array]\n    missing_plugin_behavior: 1\n",
        "project: flytesnacks\ndomain: development\nmax_parallelism: 7\nsecurity_context:\n  run_as:\n    k8s_service_account: trainer\n",
    ];
    for (noun, text) in NOUNS.iter().zip(files) {
        let (target, attrs) = attributes::parse_file(noun, text)?;
        c.update_attributes(&target, attrs.clone()).await?;
        let resource = attributes::resource_for_noun(noun).ok_or("noun")?;
        let (_, got) = c.get_attributes(&target, resource).await?;
        assert_eq!(got, attrs, "{noun}");
    }
    Ok(())
}

#[tokio::test]
async fn bad_targets_are_named_errors() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let (_, attrs) = attributes::parse_file("execution-queue-attribute", QUEUE_PD)?;

    let mut no_domain = AttributeTarget::default();
    no_domain.project = "flytesnacks".into();
    no_domain.workflow = "wf".into();
    let err = c
        .update_attributes(&no_domain, attrs.clone())
        .await
        .expect_err("workflow without domain");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.to_string().contains("need a domain"), "{err}");

    let err = c
        .update_attributes(&AttributeTarget::default(), attrs.clone())
        .await
        .expect_err("no project");
    assert!(err.to_string().contains("project is required"), "{err}");

    let mut unknown = AttributeTarget::default();
    unknown.project = "nope".into();
    unknown.domain = "development".into();
    let err = c
        .update_attributes(&unknown, attrs)
        .await
        .expect_err("unknown project");
    assert!(err.to_string().contains("nope"), "{err}");
    Ok(())
}
