//! Builders for the entities tests register, and a client for the test kit.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;

use flyte_testkit::flyteidl::flyteidl::admin::{
    self, LaunchPlanCreateRequest, LaunchPlanSpec, ProjectRegisterRequest, TaskCreateRequest,
    TaskSpec, WorkflowCreateRequest, WorkflowSpec,
};
use flyte_testkit::flyteidl::flyteidl::core::{
    self, literal, literal_type, node, primitive, scalar, task_node, Identifier, Literal,
    LiteralMap, LiteralType, Node, Parameter, ParameterMap, Primitive, ResourceType, Scalar,
    SimpleType, TaskNode, TaskTemplate, TypedInterface, Variable, VariableMap,
    WorkflowExecutionIdentifier, WorkflowTemplate,
};
use flyte_testkit::flyteidl::flyteidl::service::admin_service_client::AdminServiceClient;
use flyte_testkit::TestAdmin;
use tonic::transport::Channel;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;
pub type Client = AdminServiceClient<Channel>;

pub const P: &str = "flytesnacks";
pub const D: &str = "development";

pub async fn connect(admin: &TestAdmin) -> Result<Client, Box<dyn std::error::Error>> {
    Ok(AdminServiceClient::connect(admin.endpoint()).await?)
}

pub fn id(t: ResourceType, name: &str, version: &str) -> Identifier {
    Identifier {
        resource_type: t as i32,
        project: P.into(),
        domain: D.into(),
        name: name.into(),
        version: version.into(),
        org: String::new(),
    }
}

pub fn simple(t: SimpleType) -> LiteralType {
    LiteralType {
        r#type: Some(literal_type::Type::Simple(t as i32)),
        ..LiteralType::default()
    }
}

pub fn vars(entries: &[(&str, SimpleType)]) -> VariableMap {
    VariableMap {
        variables: entries
            .iter()
            .map(|(n, t)| {
                (
                    (*n).to_owned(),
                    Variable {
                        r#type: Some(simple(*t)),
                        ..Variable::default()
                    },
                )
            })
            .collect(),
    }
}

pub fn iface(inputs: &[(&str, SimpleType)], outputs: &[(&str, SimpleType)]) -> TypedInterface {
    TypedInterface {
        inputs: Some(vars(inputs)),
        outputs: Some(vars(outputs)),
    }
}

pub fn int(v: i64) -> Literal {
    prim(primitive::Value::Integer(v))
}

pub fn string(v: &str) -> Literal {
    prim(primitive::Value::StringValue(v.into()))
}

fn prim(v: primitive::Value) -> Literal {
    Literal {
        value: Some(literal::Value::Scalar(Box::new(Scalar {
            value: Some(scalar::Value::Primitive(Primitive { value: Some(v) })),
        }))),
        ..Literal::default()
    }
}

pub fn lits(entries: &[(&str, Literal)]) -> LiteralMap {
    LiteralMap {
        literals: entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    }
}

pub fn task_request(name: &str, version: &str, interface: TypedInterface) -> TaskCreateRequest {
    let tid = id(ResourceType::Task, name, version);
    TaskCreateRequest {
        id: Some(tid.clone()),
        spec: Some(TaskSpec {
            template: Some(TaskTemplate {
                id: Some(tid),
                r#type: "python-task".into(),
                metadata: Some(core::TaskMetadata::default()),
                interface: Some(interface),
                target: Some(core::task_template::Target::Container(core::Container {
                    image: "ghcr.io/flyteorg/flytekit:py3.11".into(),
                    args: vec!["pyflyte-execute".into()],
                    ..core::Container::default()
                })),
                ..TaskTemplate::default()
            }),
            description: None,
        }),
    }
}

pub fn task_node(node_id: &str, task: &Identifier) -> Node {
    Node {
        id: node_id.into(),
        target: Some(node::Target::TaskNode(TaskNode {
            reference: Some(task_node::Reference::ReferenceId(task.clone())),
            overrides: None,
        })),
        ..Node::default()
    }
}

/// `node` with each of `vars` bound to the workflow input of the same name, as flytekit binds
/// a task's arguments.
pub fn from_inputs(mut node: Node, vars: &[&str]) -> Node {
    use flyteidl::flyteidl::core::{binding_data, Binding, BindingData, OutputReference};
    node.inputs = vars
        .iter()
        .map(|v| Binding {
            var: (*v).to_owned(),
            binding: Some(BindingData {
                union: None,
                value: Some(binding_data::Value::Promise(OutputReference {
                    node_id: String::new(),
                    var: (*v).to_owned(),
                    ..OutputReference::default()
                })),
            }),
        })
        .collect();
    node
}

pub fn workflow_request(
    name: &str,
    version: &str,
    interface: TypedInterface,
    nodes: Vec<Node>,
) -> WorkflowCreateRequest {
    let wid = id(ResourceType::Workflow, name, version);
    WorkflowCreateRequest {
        id: Some(wid.clone()),
        spec: Some(WorkflowSpec {
            template: Some(WorkflowTemplate {
                id: Some(wid),
                interface: Some(interface),
                nodes,
                ..WorkflowTemplate::default()
            }),
            sub_workflows: Vec::new(),
            description: None,
        }),
    }
}

pub fn launch_plan_request(
    name: &str,
    version: &str,
    workflow: &Identifier,
    defaults: &[(&str, SimpleType, Literal)],
    fixed: &[(&str, Literal)],
) -> LaunchPlanCreateRequest {
    let parameters: HashMap<String, Parameter> = defaults
        .iter()
        .map(|(n, t, v)| {
            (
                (*n).to_owned(),
                Parameter {
                    var: Some(Variable {
                        r#type: Some(simple(*t)),
                        ..Variable::default()
                    }),
                    behavior: Some(core::parameter::Behavior::Default(v.clone())),
                },
            )
        })
        .collect();
    LaunchPlanCreateRequest {
        id: Some(id(ResourceType::LaunchPlan, name, version)),
        spec: Some(LaunchPlanSpec {
            workflow_id: Some(workflow.clone()),
            default_inputs: Some(ParameterMap { parameters }),
            fixed_inputs: Some(lits(fixed)),
            ..LaunchPlanSpec::default()
        }),
    }
}

/// Registers task `double` (x: int -> y: int), workflow `wf` (x, greeting -> y) and launch plan
/// `wf` with a default greeting, all at `version`.
pub async fn register_basic(
    client: &mut Client,
    version: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let task = task_request(
        "double",
        version,
        iface(&[("x", SimpleType::Integer)], &[("y", SimpleType::Integer)]),
    );
    let tid = task.id.clone().ok_or("no id")?;
    client.create_task(task).await?;
    let wf = workflow_request(
        "wf",
        version,
        iface(
            &[("x", SimpleType::Integer), ("greeting", SimpleType::String)],
            &[("y", SimpleType::Integer), ("greeting", SimpleType::String)],
        ),
        vec![from_inputs(task_node("n0", &tid), &["x"])],
    );
    let wid = wf.id.clone().ok_or("no id")?;
    client.create_workflow(wf).await?;
    client
        .create_launch_plan(launch_plan_request(
            "wf",
            version,
            &wid,
            &[("greeting", SimpleType::String, string("hi"))],
            &[],
        ))
        .await?;
    Ok(())
}

pub fn exec_request(
    lp: Identifier,
    name: &str,
    inputs: LiteralMap,
) -> admin::ExecutionCreateRequest {
    admin::ExecutionCreateRequest {
        project: P.into(),
        domain: D.into(),
        name: name.into(),
        spec: Some(admin::ExecutionSpec {
            launch_plan: Some(lp),
            metadata: Some(admin::ExecutionMetadata::default()),
            ..admin::ExecutionSpec::default()
        }),
        inputs: Some(inputs),
        org: String::new(),
    }
}

pub fn exec_id(name: &str) -> WorkflowExecutionIdentifier {
    WorkflowExecutionIdentifier {
        project: P.into(),
        domain: D.into(),
        name: name.into(),
        org: String::new(),
    }
}

pub async fn register_project(client: &mut Client, id: &str) -> Result<(), tonic::Status> {
    client
        .register_project(ProjectRegisterRequest {
            project: Some(admin::Project {
                id: id.into(),
                name: id.into(),
                ..admin::Project::default()
            }),
        })
        .await
        .map(|_| ())
}
