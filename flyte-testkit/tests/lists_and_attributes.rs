//! Lists (limit, tokens, filters, sorting) and matchable attributes.

mod common;

use common::*;
use flyte_testkit::flyteidl::flyteidl::admin::{
    self, matching_attributes::Target, sort, MatchableResource, MatchingAttributes,
    NamedEntityIdentifier, PluginOverride, PluginOverrides, ResourceListRequest, Sort,
};
use flyte_testkit::flyteidl::flyteidl::core::ResourceType;
use flyte_testkit::TestAdmin;
use tonic::Code;

fn scope() -> Option<NamedEntityIdentifier> {
    Some(NamedEntityIdentifier {
        project: P.into(),
        domain: D.into(),
        ..Default::default()
    })
}

fn versions(list: admin::TaskList) -> Vec<String> {
    list.tasks
        .into_iter()
        .filter_map(|t| t.id.map(|i| i.version))
        .collect()
}

#[tokio::test]
async fn pages_follow_decimal_offset_tokens() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    for v in ["v1", "v2", "v3", "v4", "v5"] {
        c.create_task(task_request("t", v, iface(&[], &[]))).await?;
    }
    let req = |token: &str, limit: u32| ResourceListRequest {
        id: scope(),
        limit,
        token: token.into(),
        ..Default::default()
    };
    let first = c.list_tasks(req("", 2)).await?.into_inner();
    assert_eq!(first.token, "2");
    assert_eq!(versions(first), ["v1", "v2"]);
    let second = c.list_tasks(req("2", 2)).await?.into_inner();
    assert_eq!(second.token, "4");
    let last = c.list_tasks(req("4", 2)).await?.into_inner();
    assert_eq!(last.token, "", "a short page ends the list");
    assert_eq!(versions(last), ["v5"]);
    let exact = c.list_tasks(req("", 5)).await?.into_inner();
    assert_eq!(exact.token, "5", "a full last page still returns a token");
    assert!(c
        .list_tasks(req("5", 5))
        .await?
        .into_inner()
        .tasks
        .is_empty());

    let err = c.list_tasks(req("", 0)).await.expect_err("limit 0");
    assert_eq!(
        (err.code(), err.message()),
        (Code::InvalidArgument, "invalid value for limit")
    );
    let err = c.list_tasks(req("abc", 2)).await.expect_err("token");
    assert_eq!(err.message(), "invalid pagination token abc for ListTasks");
    let err = c
        .list_tasks(ResourceListRequest {
            limit: 1,
            ..Default::default()
        })
        .await
        .expect_err("no project");
    assert_eq!(err.message(), "missing project");
    Ok(())
}

#[tokio::test]
async fn filters_and_sorting_use_column_names() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    for (name, v) in [("a", "v1"), ("b", "v2"), ("a", "v3")] {
        c.create_task(task_request(name, v, iface(&[], &[])))
            .await?;
    }
    let req = |filters: &str, sort_by: Option<Sort>| ResourceListRequest {
        id: scope(),
        limit: 10,
        filters: filters.into(),
        sort_by,
        ..Default::default()
    };
    assert_eq!(
        versions(c.list_tasks(req("eq(name,a)", None)).await?.into_inner()),
        ["v1", "v3"]
    );
    assert_eq!(
        versions(
            c.list_tasks(req("value_in(version,v2;v3)+ne(name,b)", None))
                .await?
                .into_inner()
        ),
        ["v3"]
    );
    let desc = Sort {
        key: "version".into(),
        direction: sort::Direction::Descending as i32,
    };
    assert_eq!(
        versions(c.list_tasks(req("", Some(desc))).await?.into_inner()),
        ["v3", "v2", "v1"]
    );
    let by_name = ResourceListRequest {
        id: Some(NamedEntityIdentifier {
            project: P.into(),
            domain: D.into(),
            name: "b".into(),
            org: String::new(),
        }),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(versions(c.list_tasks(by_name).await?.into_inner()), ["v2"]);
    for (filters, message) in [
        ("like(name,a)", "unrecognized filter function: like"),
        ("eq(colour,red)", "'task.colour' is invalid filter"),
        (
            "eq(execution.phase,1)",
            "'execution' entity is not allowed in filters",
        ),
        ("name=a", "invalid value for filters"),
    ] {
        let err = c.list_tasks(req(filters, None)).await.expect_err(filters);
        assert_eq!(
            (err.code(), err.message()),
            (Code::InvalidArgument, message)
        );
    }
    let err = c
        .list_tasks(req(
            "",
            Some(Sort {
                key: "colour".into(),
                direction: 0,
            }),
        ))
        .await
        .expect_err("sort key");
    assert_eq!(err.message(), "invalid sort key 'colour'");
    Ok(())
}

#[tokio::test]
async fn execution_filters_join_the_launch_plan() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    register_basic(&mut c, "v1").await?;
    let lp = id(ResourceType::LaunchPlan, "wf", "v1");
    for name in ["e1", "e2"] {
        let id = c
            .create_execution(exec_request(lp.clone(), name, lits(&[("x", int(1))])))
            .await?
            .into_inner()
            .id
            .ok_or("id")?;
        admin.wait_for_terminal(&id).await.ok_or("gone")?;
    }
    let list = |filters: &str| ResourceListRequest {
        id: scope(),
        limit: 10,
        filters: filters.into(),
        ..Default::default()
    };
    let count = |l: admin::ExecutionList| l.executions.len();
    assert_eq!(
        count(
            c.list_executions(list("eq(launch_plan.name,wf)+eq(phase,SUCCEEDED)"))
                .await?
                .into_inner()
        ),
        2
    );
    assert_eq!(
        count(
            c.list_executions(list("eq(execution_name,e2)"))
                .await?
                .into_inner()
        ),
        1
    );
    assert_eq!(
        count(
            c.list_executions(list("value_in(phase,RUNNING;FAILED)"))
                .await?
                .into_inner()
        ),
        0
    );
    let err = c
        .list_executions(list("eq(name,e1)"))
        .await
        .expect_err("bare name");
    assert_eq!(err.message(), "'execution.name' is invalid filter");
    Ok(())
}

fn wec(parallelism: i32) -> Option<MatchingAttributes> {
    Some(MatchingAttributes {
        target: Some(Target::WorkflowExecutionConfig(
            admin::WorkflowExecutionConfig {
                max_parallelism: parallelism,
                ..Default::default()
            },
        )),
    })
}

fn parallelism(m: Option<MatchingAttributes>) -> i32 {
    match m.and_then(|m| m.target) {
        Some(Target::WorkflowExecutionConfig(w)) => w.max_parallelism,
        _ => -1,
    }
}

#[tokio::test]
async fn attributes_fall_back_from_specific_to_general() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    let t = MatchableResource::WorkflowExecutionConfig as i32;
    c.update_project_attributes(admin::ProjectAttributesUpdateRequest {
        attributes: Some(admin::ProjectAttributes {
            project: P.into(),
            matching_attributes: wec(5),
            org: String::new(),
        }),
    })
    .await?;
    let get_pd = admin::ProjectDomainAttributesGetRequest {
        project: P.into(),
        domain: D.into(),
        resource_type: t,
        org: String::new(),
    };
    let got = c
        .get_project_domain_attributes(get_pd.clone())
        .await?
        .into_inner()
        .attributes
        .ok_or("none")?;
    assert_eq!(
        (parallelism(got.matching_attributes), got.domain.as_str()),
        (5, ""),
        "falls back to the project row"
    );

    c.update_project_domain_attributes(admin::ProjectDomainAttributesUpdateRequest {
        attributes: Some(admin::ProjectDomainAttributes {
            project: P.into(),
            domain: D.into(),
            matching_attributes: wec(7),
            org: String::new(),
        }),
    })
    .await?;
    let got = c
        .get_project_domain_attributes(get_pd.clone())
        .await?
        .into_inner()
        .attributes
        .ok_or("none")?;
    assert_eq!(parallelism(got.matching_attributes), 7);
    let get_wf = admin::WorkflowAttributesGetRequest {
        project: P.into(),
        domain: D.into(),
        workflow: "wf".into(),
        resource_type: t,
        org: String::new(),
    };
    let got = c
        .get_workflow_attributes(get_wf.clone())
        .await?
        .into_inner()
        .attributes
        .ok_or("none")?;
    assert_eq!(
        parallelism(got.matching_attributes),
        7,
        "workflow falls back to project-domain"
    );

    // Update is an upsert.
    c.update_project_domain_attributes(admin::ProjectDomainAttributesUpdateRequest {
        attributes: Some(admin::ProjectDomainAttributes {
            project: P.into(),
            domain: D.into(),
            matching_attributes: wec(9),
            org: String::new(),
        }),
    })
    .await?;
    let listed = c
        .list_matchable_attributes(admin::ListMatchableAttributesRequest {
            resource_type: t,
            org: String::new(),
        })
        .await?
        .into_inner();
    assert_eq!(listed.configurations.len(), 2);
    assert_eq!(listed.configurations[0].domain, D, "most specific first");

    c.delete_project_domain_attributes(admin::ProjectDomainAttributesDeleteRequest {
        project: P.into(),
        domain: D.into(),
        resource_type: t,
        org: String::new(),
    })
    .await?;
    c.delete_project_domain_attributes(admin::ProjectDomainAttributesDeleteRequest {
        project: P.into(),
        domain: D.into(),
        resource_type: t,
        org: String::new(),
    })
    .await?;
    let got = c
        .get_project_domain_attributes(get_pd)
        .await?
        .into_inner()
        .attributes
        .ok_or("none")?;
    assert_eq!(parallelism(got.matching_attributes), 5);

    let err = c
        .get_workflow_attributes(admin::WorkflowAttributesGetRequest {
            resource_type: MatchableResource::ExecutionQueue as i32,
            ..get_wf
        })
        .await
        .expect_err("nothing stored");
    assert_eq!(err.code(), Code::NotFound);
    Ok(())
}

#[tokio::test]
async fn plugin_overrides_merge_and_bad_updates_fail() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    let overrides = |task_type: &str, plugin: &str| {
        Some(MatchingAttributes {
            target: Some(Target::PluginOverrides(PluginOverrides {
                overrides: vec![PluginOverride {
                    task_type: task_type.into(),
                    plugin_id: vec![plugin.into()],
                    missing_plugin_behavior: 0,
                }],
            })),
        })
    };
    for (tt, plugin) in [("python_task", "a"), ("spark", "b"), ("python_task", "c")] {
        c.update_project_attributes(admin::ProjectAttributesUpdateRequest {
            attributes: Some(admin::ProjectAttributes {
                project: P.into(),
                matching_attributes: overrides(tt, plugin),
                org: String::new(),
            }),
        })
        .await?;
    }
    let got = c
        .get_project_attributes(admin::ProjectAttributesGetRequest {
            project: P.into(),
            resource_type: MatchableResource::PluginOverride as i32,
            org: String::new(),
        })
        .await?
        .into_inner();
    let Some(Target::PluginOverrides(p)) = got
        .attributes
        .and_then(|a| a.matching_attributes)
        .and_then(|m| m.target)
    else {
        return Err("no overrides".into());
    };
    let mut pairs: Vec<(String, String)> = p
        .overrides
        .into_iter()
        .map(|o| (o.task_type, o.plugin_id.join(",")))
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("python_task".to_owned(), "c".to_owned()),
            ("spark".to_owned(), "b".to_owned())
        ]
    );

    let err = c
        .update_project_attributes(admin::ProjectAttributesUpdateRequest {
            attributes: Some(admin::ProjectAttributes {
                project: P.into(),
                matching_attributes: None,
                org: String::new(),
            }),
        })
        .await
        .expect_err("no attributes");
    assert_eq!(err.message(), "missing matching_attributes");
    let err = c
        .update_project_domain_attributes(admin::ProjectDomainAttributesUpdateRequest {
            attributes: Some(admin::ProjectDomainAttributes {
                project: P.into(),
                domain: "qa".into(),
                matching_attributes: wec(1),
                org: String::new(),
            }),
        })
        .await
        .expect_err("domain");
    assert_eq!(err.message(), "domain [qa] is unrecognized by system");
    // Workflow execution config answers the defaults when nothing is stored.
    let defaults = c
        .get_project_attributes(admin::ProjectAttributesGetRequest {
            project: P.into(),
            resource_type: MatchableResource::WorkflowExecutionConfig as i32,
            org: String::new(),
        })
        .await?
        .into_inner();
    assert_eq!(
        parallelism(defaults.attributes.and_then(|a| a.matching_attributes)),
        0
    );
    Ok(())
}
