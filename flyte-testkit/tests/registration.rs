//! Projects, tasks, workflows and launch plans behave as FlyteAdmin's validation says.

mod common;

use common::*;
use flyte_testkit::flyteidl::flyteidl::admin::{
    self, project::ProjectState, ActiveLaunchPlanListRequest, ActiveLaunchPlanRequest,
    LaunchPlanState, LaunchPlanUpdateRequest, NamedEntityIdentifier, ObjectGetRequest,
    ProjectListRequest,
};
use flyte_testkit::flyteidl::flyteidl::core::{
    self, node, ArrayNode, BranchNode, IfBlock, IfElseBlock, Node, ResourceType, SimpleType,
};
use flyte_testkit::TestAdmin;
use tonic::Code;

#[tokio::test]
async fn starts_with_flytesnacks_and_three_domains() -> TestResult {
    let admin = TestAdmin::start().await?;
    assert!(admin.endpoint().starts_with("http://127.0.0.1:"));
    let mut c = connect(&admin).await?;
    let projects = c
        .list_projects(ProjectListRequest::default())
        .await?
        .into_inner();
    assert_eq!(projects.projects.len(), 1);
    let p = &projects.projects[0];
    assert_eq!(p.id, "flytesnacks");
    let domains: Vec<&str> = p.domains.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(domains, ["development", "staging", "production"]);
    let version = c
        .get_version(admin::GetVersionRequest {})
        .await?
        .into_inner();
    assert!(version
        .control_plane_version
        .ok_or("no version")?
        .version
        .starts_with("flyte-testkit"));
    Ok(())
}

#[tokio::test]
async fn domains_come_from_server_config() -> TestResult {
    let admin = TestAdmin::builder()
        .domains(["dev", "prod"])
        .projects(["a"])
        .start()
        .await?;
    let mut c = connect(&admin).await?;
    let p = c
        .get_project(admin::ProjectGetRequest {
            id: "a".into(),
            org: String::new(),
        })
        .await?
        .into_inner();
    assert_eq!(
        p.domains.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["dev", "prod"]
    );
    Ok(())
}

#[tokio::test]
async fn project_validation_matches_flyteadmin() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    let register =
        |id: &str, name: &str, description: &str, domains: bool| admin::ProjectRegisterRequest {
            project: Some(admin::Project {
                id: id.into(),
                name: name.into(),
                description: description.into(),
                domains: if domains {
                    vec![admin::Domain {
                        id: "x".into(),
                        name: "x".into(),
                    }]
                } else {
                    vec![]
                },
                ..admin::Project::default()
            }),
        };
    let cases = [
        (
            register("Bad_Id", "n", "", false),
            "invalid project id [Bad_Id]: [a lowercase RFC 1123 label must consist of",
        ),
        (register("-x", "n", "", false), "invalid project id [-x]"),
        (register("ok", "", "", false), "missing project_name"),
        (
            register("ok", &"n".repeat(65), "", false),
            "project_name cannot exceed 64 characters",
        ),
        (
            register("ok", "n", &"d".repeat(301), false),
            "project_description cannot exceed 300 characters",
        ),
        (
            register("ok", "n", "", true),
            "Domains are currently only set system wide.",
        ),
    ];
    for (req, expected) in cases {
        let err = c.register_project(req).await.expect_err(expected);
        assert_eq!(err.code(), Code::InvalidArgument, "{expected}");
        assert!(
            err.message().starts_with(expected),
            "{} != {expected}",
            err.message()
        );
    }
    register_project(&mut c, "ml").await?;
    let err = register_project(&mut c, "ml").await.expect_err("duplicate");
    assert_eq!(err.code(), Code::AlreadyExists);
    Ok(())
}

#[tokio::test]
async fn archived_projects_hide_from_plain_lists_and_refuse_entities() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    register_project(&mut c, "old").await?;
    c.update_project(admin::Project {
        id: "old".into(),
        name: "old".into(),
        state: ProjectState::Archived as i32,
        ..admin::Project::default()
    })
    .await?;
    let ids = |ps: admin::Projects| ps.projects.into_iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!(
        ids(c
            .list_projects(ProjectListRequest::default())
            .await?
            .into_inner()),
        ["flytesnacks"]
    );
    let archived = c
        .list_projects(ProjectListRequest {
            filters: "eq(state,1)".into(),
            ..ProjectListRequest::default()
        })
        .await?
        .into_inner();
    assert_eq!(ids(archived), ["old"]);

    let mut task = task_request("t", "v1", iface(&[], &[]));
    if let Some(id) = task.id.as_mut() {
        id.project = "old".into();
    }
    let err = c.create_task(task.clone()).await.expect_err("inactive");
    assert_eq!(
        (err.code(), err.message()),
        (Code::InvalidArgument, "project [old] is not active")
    );
    if let Some(id) = task.id.as_mut() {
        id.project = "nope".into();
    }
    let err = c.create_task(task.clone()).await.expect_err("unknown");
    assert!(
        err.message().starts_with(
            "failed to validate that project [nope] and domain [development] are registered"
        ),
        "{}",
        err.message()
    );
    if let Some(id) = task.id.as_mut() {
        id.project = P.into();
        id.domain = "qa".into();
    }
    let err = c.create_task(task).await.expect_err("domain");
    assert_eq!(err.message(), "domain [qa] is unrecognized by system");
    let err = c
        .update_project(admin::Project {
            id: "ghost".into(),
            name: "g".into(),
            ..admin::Project::default()
        })
        .await
        .expect_err("missing");
    assert_eq!(
        (err.code(), err.message()),
        (Code::NotFound, "project [ghost] not found")
    );
    Ok(())
}

#[tokio::test]
async fn identical_registration_already_exists_and_different_is_invalid() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    let task = task_request("t", "v1", iface(&[("x", SimpleType::Integer)], &[]));
    c.create_task(task.clone()).await?;
    let err = c.create_task(task.clone()).await.expect_err("again");
    assert_eq!(
        (err.code(), err.message()),
        (
            Code::AlreadyExists,
            "task with identical structure already exists"
        )
    );
    let changed = task_request("t", "v1", iface(&[("x", SimpleType::String)], &[]));
    let err = c.create_task(changed).await.expect_err("changed");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().starts_with("t task with different structure already exists. (Please register a new version of the task):\n"), "{}", err.message());

    let got = c
        .get_task(ObjectGetRequest {
            id: task.id.clone(),
        })
        .await?
        .into_inner();
    let template = got
        .closure
        .and_then(|c| c.compiled_task)
        .and_then(|c| c.template)
        .ok_or("no template")?;
    assert_eq!(template.id, task.id);
    Ok(())
}

#[tokio::test]
async fn identifiers_are_checked() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    let mut t = task_request("t", "", iface(&[], &[]));
    let err = c.create_task(t.clone()).await.expect_err("no version");
    assert_eq!(err.message(), "missing version");
    if let Some(id) = t.id.as_mut() {
        id.version = "v1".into();
        id.resource_type = ResourceType::Workflow as i32;
    }
    let err = c.create_task(t).await.expect_err("type");
    assert!(
        err.message()
            .starts_with("unexpected resource type workflow for identifier ["),
        "{}",
        err.message()
    );
    let err = c
        .get_task(ObjectGetRequest {
            id: Some(id(ResourceType::Task, "ghost", "v1")),
        })
        .await
        .expect_err("missing");
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(
        err.message(),
        "missing entity of type TASK with identifier resource_type:TASK project:\"flytesnacks\" domain:\"development\" name:\"ghost\" version:\"v1\""
    );
    Ok(())
}

fn branch_and_array_nodes(task: &core::Identifier) -> Vec<Node> {
    let branch = Node {
        id: "b".into(),
        target: Some(node::Target::BranchNode(Box::new(BranchNode {
            if_else: Some(Box::new(IfElseBlock {
                case: Some(Box::new(IfBlock {
                    condition: None,
                    then_node: Some(Box::new(task_node("b-then", task))),
                })),
                other: vec![],
                default: None,
            })),
        }))),
        ..Node::default()
    };
    let array = Node {
        id: "a".into(),
        target: Some(node::Target::ArrayNode(Box::new(ArrayNode {
            node: Some(Box::new(task_node("a-sub", task))),
            ..ArrayNode::default()
        }))),
        ..Node::default()
    };
    vec![branch, array]
}

#[tokio::test]
async fn workflows_need_every_referenced_task_even_inside_branches_and_arrays() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    let task = id(ResourceType::Task, "inner", "v1");
    let wf = workflow_request("wf", "v1", iface(&[], &[]), branch_and_array_nodes(&task));
    let err = c
        .create_workflow(wf.clone())
        .await
        .expect_err("missing task");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "failed to compile workflow for [resource_type:WORKFLOW project:\"flytesnacks\" domain:\"development\" name:\"wf\" version:\"v1\"] with err: missing entity of type TASK with identifier resource_type:TASK project:\"flytesnacks\" domain:\"development\" name:\"inner\" version:\"v1\""
    );
    c.create_task(task_request("inner", "v1", iface(&[], &[])))
        .await?;
    c.create_workflow(wf.clone()).await?;
    let got = c
        .get_workflow(ObjectGetRequest { id: wf.id.clone() })
        .await?
        .into_inner();
    let closure = got
        .closure
        .and_then(|c| c.compiled_workflow)
        .ok_or("no closure")?;
    assert_eq!(
        closure.tasks.len(),
        1,
        "the compiled closure carries the referenced task"
    );
    let primary = closure.primary.ok_or("no primary")?;
    assert!(primary
        .connections
        .ok_or("no connections")?
        .upstream
        .contains_key("end-node"));
    let err = c.create_workflow(wf).await.expect_err("again");
    assert_eq!(err.code(), Code::AlreadyExists);
    Ok(())
}

#[tokio::test]
async fn sub_workflow_and_launch_plan_references_are_checked() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    let sub = id(ResourceType::Workflow, "sub", "v1");
    let node = Node {
        id: "s".into(),
        target: Some(node::Target::WorkflowNode(core::WorkflowNode {
            reference: Some(core::workflow_node::Reference::SubWorkflowRef(sub.clone())),
        })),
        ..Node::default()
    };
    let err = c
        .create_workflow(workflow_request(
            "parent",
            "v1",
            iface(&[], &[]),
            vec![node],
        ))
        .await
        .expect_err("sub");
    assert!(
        err.message()
            .contains("Referenced Workflow [resource_type:WORKFLOW"),
        "{}",
        err.message()
    );
    let lp_node = Node {
        id: "l".into(),
        target: Some(node::Target::WorkflowNode(core::WorkflowNode {
            reference: Some(core::workflow_node::Reference::LaunchplanRef(id(
                ResourceType::LaunchPlan,
                "child",
                "v1",
            ))),
        })),
        ..Node::default()
    };
    let err = c
        .create_workflow(workflow_request(
            "parent",
            "v1",
            iface(&[], &[]),
            vec![lp_node],
        ))
        .await
        .expect_err("lp");
    assert!(
        err.message().contains("missing entity of type LAUNCH_PLAN"),
        "{}",
        err.message()
    );
    Ok(())
}

#[tokio::test]
async fn launch_plans_compute_expected_inputs_and_start_inactive() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    let wid = id(ResourceType::Workflow, "wf", "v1");
    let err = c
        .create_launch_plan(launch_plan_request("wf", "v1", &wid, &[], &[]))
        .await
        .expect_err("no workflow");
    assert_eq!(err.code(), Code::NotFound);
    register_basic(&mut c, "v1").await?;
    let lp = c
        .get_launch_plan(ObjectGetRequest {
            id: Some(id(ResourceType::LaunchPlan, "wf", "v1")),
        })
        .await?
        .into_inner();
    let closure = lp.closure.ok_or("no closure")?;
    assert_eq!(closure.state, LaunchPlanState::Inactive as i32);
    let expected = closure.expected_inputs.ok_or("no expected")?.parameters;
    assert!(matches!(
        expected["x"].behavior,
        Some(core::parameter::Behavior::Required(true))
    ));
    assert!(matches!(
        expected["greeting"].behavior,
        Some(core::parameter::Behavior::Default(_))
    ));

    let bad = launch_plan_request(
        "bad",
        "v1",
        &wid,
        &[("nope", SimpleType::Integer, int(1))],
        &[],
    );
    let err = c.create_launch_plan(bad).await.expect_err("unexpected");
    assert_eq!(err.message(), "unexpected default_input nope");
    let bad = launch_plan_request("bad", "v1", &wid, &[], &[("x", string("one"))]);
    let err = c.create_launch_plan(bad).await.expect_err("wrong type");
    assert!(
        err.message()
            .starts_with("invalid fixed_input wrong type x"),
        "{}",
        err.message()
    );
    let different = launch_plan_request(
        "wf",
        "v1",
        &wid,
        &[("greeting", SimpleType::String, string("hello"))],
        &[],
    );
    let err = c
        .create_launch_plan(different)
        .await
        .expect_err("different");
    assert!(
        err.message()
            .starts_with("wf launch plan with different structure already exists."),
        "{}",
        err.message()
    );
    Ok(())
}

#[tokio::test]
async fn activating_a_version_deactivates_the_previous_one() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    register_basic(&mut c, "v1").await?;
    register_basic(&mut c, "v2").await?;
    let named = NamedEntityIdentifier {
        project: P.into(),
        domain: D.into(),
        name: "wf".into(),
        org: String::new(),
    };
    let err = c
        .get_active_launch_plan(ActiveLaunchPlanRequest {
            id: Some(named.clone()),
        })
        .await
        .expect_err("none");
    assert_eq!(
        (err.code(), err.message()),
        (
            Code::NotFound,
            "No active launch plan could be found: flytesnacks:development:wf"
        )
    );
    for v in ["v1", "v2"] {
        c.update_launch_plan(LaunchPlanUpdateRequest {
            id: Some(id(ResourceType::LaunchPlan, "wf", v)),
            state: LaunchPlanState::Active as i32,
        })
        .await?;
    }
    let active = c
        .get_active_launch_plan(ActiveLaunchPlanRequest { id: Some(named) })
        .await?
        .into_inner();
    assert_eq!(active.id.ok_or("no id")?.version, "v2");
    let listed = c
        .list_active_launch_plans(ActiveLaunchPlanListRequest {
            project: P.into(),
            domain: D.into(),
            limit: 10,
            ..ActiveLaunchPlanListRequest::default()
        })
        .await?
        .into_inner();
    assert_eq!(
        listed.launch_plans.len(),
        1,
        "at most one active version per name"
    );
    let v1 = c
        .get_launch_plan(ObjectGetRequest {
            id: Some(id(ResourceType::LaunchPlan, "wf", "v1")),
        })
        .await?
        .into_inner();
    assert_eq!(
        v1.closure.ok_or("closure")?.state,
        LaunchPlanState::Inactive as i32
    );
    let err = c
        .update_launch_plan(LaunchPlanUpdateRequest {
            id: Some(id(ResourceType::LaunchPlan, "wf", "v9")),
            state: 1,
        })
        .await
        .expect_err("missing");
    assert_eq!(err.code(), Code::NotFound);
    Ok(())
}

#[tokio::test]
async fn named_entities_list_and_archive() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    register_basic(&mut c, "v1").await?;
    register_basic(&mut c, "v2").await?;
    let list = c
        .list_named_entities(admin::NamedEntityListRequest {
            resource_type: ResourceType::Workflow as i32,
            project: P.into(),
            domain: D.into(),
            limit: 10,
            ..admin::NamedEntityListRequest::default()
        })
        .await?
        .into_inner();
    assert_eq!(list.entities.len(), 1, "one name for two versions");
    let named = NamedEntityIdentifier {
        project: P.into(),
        domain: D.into(),
        name: "wf".into(),
        org: String::new(),
    };
    c.update_named_entity(admin::NamedEntityUpdateRequest {
        resource_type: ResourceType::Workflow as i32,
        id: Some(named.clone()),
        metadata: Some(admin::NamedEntityMetadata {
            description: "archived!".into(),
            state: 1,
        }),
    })
    .await?;
    let got = c
        .get_named_entity(admin::NamedEntityGetRequest {
            resource_type: ResourceType::Workflow as i32,
            id: Some(named),
        })
        .await?
        .into_inner();
    assert_eq!(got.metadata.ok_or("no metadata")?.description, "archived!");
    let ids = c
        .list_task_ids(admin::NamedEntityIdentifierListRequest {
            project: P.into(),
            domain: D.into(),
            limit: 10,
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!(
        ids.entities
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
        ["double"]
    );
    Ok(())
}

#[tokio::test]
async fn description_entities_are_kept() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    let mut t = task_request("described", "v1", iface(&[], &[]));
    if let Some(spec) = t.spec.as_mut() {
        spec.description = Some(admin::DescriptionEntity {
            short_description: "does things".into(),
            ..Default::default()
        });
    }
    c.create_task(t).await?;
    let d = c
        .get_description_entity(ObjectGetRequest {
            id: Some(id(ResourceType::Task, "described", "v1")),
        })
        .await?
        .into_inner();
    assert_eq!(d.short_description, "does things");
    let task = c
        .get_task(ObjectGetRequest {
            id: Some(id(ResourceType::Task, "described", "v1")),
        })
        .await?
        .into_inner();
    assert_eq!(task.short_description, "does things");
    Ok(())
}
