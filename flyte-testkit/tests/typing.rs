//! Literal types as FlyteAdmin 1.16 checks them at registration and launch: the dataclass inputs
//! flytekit 1.14+ sends as a msgpack `Binary` for a `STRUCT` type with a JSON schema.

mod common;

use common::*;
use flyte_testkit::flyteidl::flyteidl::admin;
use flyte_testkit::flyteidl::flyteidl::core::{
    self, literal, scalar, Binary, Literal, LiteralType, Parameter, ParameterMap, ResourceType,
    Scalar, SimpleType, TypedInterface, Variable, VariableMap,
};
use flyte_testkit::TestAdmin;
use prost_types::{value::Kind, ListValue, Struct, Value};
use tonic::Code;

fn text(s: &str) -> Value {
    Value {
        kind: Some(Kind::StringValue(s.into())),
    }
}

fn object(fields: Vec<(&str, Value)>) -> Struct {
    Struct {
        fields: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    }
}

/// The JSON schema flytekit writes for `@dataclass class A: a: <field_type>`.
fn dataclass_schema(field_type: &str) -> Struct {
    let property = object(vec![("type", text(field_type))]);
    object(vec![
        ("title", text("A")),
        ("type", text("object")),
        (
            "properties",
            Value {
                kind: Some(Kind::StructValue(object(vec![(
                    "a",
                    Value {
                        kind: Some(Kind::StructValue(property)),
                    },
                )]))),
            },
        ),
        (
            "required",
            Value {
                kind: Some(Kind::ListValue(ListValue {
                    values: vec![text("a")],
                })),
            },
        ),
    ])
}

fn dataclass_type(field_type: &str) -> LiteralType {
    LiteralType {
        metadata: Some(dataclass_schema(field_type)),
        ..simple(SimpleType::Struct)
    }
}

/// `A(a=1)` as flytekit sends it: MessagePack `{"a": 1}` tagged `msgpack`.
fn dataclass_value(tag: &str) -> Literal {
    Literal {
        value: Some(literal::Value::Scalar(Box::new(Scalar {
            value: Some(scalar::Value::Binary(Binary {
                value: vec![0x81, 0xa1, b'a', 0x01],
                tag: tag.into(),
            })),
        }))),
        ..Literal::default()
    }
}

fn variables(entries: Vec<(&str, LiteralType)>) -> VariableMap {
    VariableMap {
        variables: entries
            .into_iter()
            .map(|(n, t)| {
                (
                    n.to_owned(),
                    Variable {
                        r#type: Some(t),
                        ..Variable::default()
                    },
                )
            })
            .collect(),
    }
}

/// Registers task and workflow `dc` with inputs `p: A` and `greeting: str`.
async fn register_dataclass_workflow(c: &mut Client) -> TestResult {
    let interface = TypedInterface {
        inputs: Some(variables(vec![
            ("p", dataclass_type("integer")),
            ("greeting", simple(SimpleType::String)),
        ])),
        outputs: Some(variables(vec![])),
    };
    let task = task_request("dc", "v1", interface.clone());
    let tid = task.id.clone().ok_or("no id")?;
    c.create_task(task).await?;
    c.create_workflow(workflow_request(
        "dc",
        "v1",
        interface,
        vec![task_node("n0", &tid)],
    ))
    .await?;
    Ok(())
}

/// A test kit with the `dc` task and workflow registered.
async fn setup() -> Result<(TestAdmin, Client), Box<dyn std::error::Error>> {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    register_dataclass_workflow(&mut c).await?;
    Ok((admin, c))
}

/// A launch plan for `dc` whose default for `p` has the given type and value.
fn launch_plan(
    name: &str,
    p_type: LiteralType,
    p_default: Literal,
) -> admin::LaunchPlanCreateRequest {
    let mut req = launch_plan_request(
        name,
        "v1",
        &id(ResourceType::Workflow, "dc", "v1"),
        &[("greeting", SimpleType::String, string("hi"))],
        &[],
    );
    if let Some(params) = req
        .spec
        .as_mut()
        .and_then(|s| s.default_inputs.as_mut())
        .map(|d: &mut ParameterMap| &mut d.parameters)
    {
        params.insert(
            "p".into(),
            Parameter {
                var: Some(Variable {
                    r#type: Some(p_type),
                    ..Variable::default()
                }),
                behavior: Some(core::parameter::Behavior::Default(p_default)),
            },
        );
    }
    req
}

#[tokio::test]
async fn a_dataclass_default_registers_and_a_mismatched_one_is_refused() -> TestResult {
    let (_admin, mut c) = setup().await?;

    c.create_launch_plan(launch_plan(
        "dc",
        dataclass_type("integer"),
        dataclass_value("msgpack"),
    ))
    .await?;
    let lp = c
        .get_launch_plan(admin::ObjectGetRequest {
            id: Some(id(ResourceType::LaunchPlan, "dc", "v1")),
        })
        .await?
        .into_inner();
    let expected = lp
        .closure
        .and_then(|c| c.expected_inputs)
        .ok_or("no expected inputs")?
        .parameters;
    assert_eq!(
        expected.get("p").and_then(|p| p.behavior.clone()),
        Some(core::parameter::Behavior::Default(dataclass_value(
            "msgpack"
        ))),
        "the dataclass default is kept as sent"
    );

    let schema_text = "simple:STRUCT metadata:{fields:{key:\"properties\" value:{struct_value:{fields:{key:\"a\" value:{struct_value:{fields:{key:\"type\" value:{string_value:\"integer\"}}}}}}}} fields:{key:\"required\" value:{list_value:{values:{string_value:\"a\"}}}} fields:{key:\"title\" value:{string_value:\"A\"}} fields:{key:\"type\" value:{string_value:\"object\"}}}";
    let cases = [
        (
            "untagged binary",
            launch_plan("raw", dataclass_type("integer"), dataclass_value("")),
            // FlyteAdmin names the parameter's type, then the default's.
            format!(
                "Type mismatch for Parameter p in default_inputs has type {schema_text}, expected simple:BINARY"
            ),
        ),
        (
            "integer default",
            launch_plan("int", dataclass_type("integer"), int(1)),
            format!(
                "Type mismatch for Parameter p in default_inputs has type {schema_text}, expected simple:INTEGER"
            ),
        ),
        (
            "another dataclass",
            launch_plan("other", dataclass_type("string"), dataclass_value("msgpack")),
            format!(
                "invalid default_input wrong type p, expected {}, got {schema_text} instead",
                schema_text.replace("\"integer\"", "\"string\"")
            ),
        ),
    ];
    for (name, req, message) in cases {
        let err = c.create_launch_plan(req).await.expect_err(name);
        assert_eq!(
            (err.code(), err.message()),
            (Code::InvalidArgument, message.as_str()),
            "{name}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn executions_take_dataclass_inputs_and_refuse_wrong_types() -> TestResult {
    let (_admin, mut c) = setup().await?;
    c.create_launch_plan(launch_plan_request(
        "dc",
        "v1",
        &id(ResourceType::Workflow, "dc", "v1"),
        &[("greeting", SimpleType::String, string("hi"))],
        &[],
    ))
    .await?;
    let lp = id(ResourceType::LaunchPlan, "dc", "v1");

    let created = c
        .create_execution(exec_request(
            lp.clone(),
            "with-dataclass",
            lits(&[("p", dataclass_value("msgpack"))]),
        ))
        .await?
        .into_inner();
    let data = c
        .get_execution_data(admin::WorkflowExecutionGetDataRequest {
            id: created.id.clone(),
        })
        .await?
        .into_inner();
    let inputs = data.full_inputs.ok_or("no inputs")?.literals;
    assert_eq!(inputs.get("p"), Some(&dataclass_value("msgpack")));
    assert_eq!(inputs.get("greeting"), Some(&string("hi")));

    let err = c
        .create_execution(exec_request(
            lp.clone(),
            "",
            lits(&[("p", dataclass_value("msgpack")), ("greeting", int(5))]),
        ))
        .await
        .expect_err("int for a string");
    assert_eq!(
        (err.code(), err.message()),
        (
            Code::InvalidArgument,
            "invalid greeting input wrong type. Expected simple:STRING, but got simple:INTEGER"
        )
    );

    let err = c
        .create_execution(exec_request(lp, "", lits(&[("p", dataclass_value(""))])))
        .await
        .expect_err("untagged binary");
    assert!(
        err.message()
            .starts_with("invalid p input wrong type. Expected simple:STRUCT metadata:{"),
        "{}",
        err.message()
    );
    assert!(
        err.message().ends_with(", but got simple:BINARY"),
        "{}",
        err.message()
    );
    Ok(())
}

fn bound(var: &str, value: core::binding_data::Value) -> core::Binding {
    core::Binding {
        var: var.into(),
        binding: Some(core::BindingData {
            value: Some(value),
            union: None,
        }),
    }
}

fn scalar_of(l: Literal) -> core::binding_data::Value {
    match l.value {
        Some(literal::Value::Scalar(s)) => core::binding_data::Value::Scalar(*s),
        _ => core::binding_data::Value::Collection(Default::default()),
    }
}

fn promise(node_id: &str, var: &str) -> core::binding_data::Value {
    core::binding_data::Value::Promise(core::OutputReference {
        node_id: node_id.into(),
        var: var.into(),
        attr_path: Vec::new(),
    })
}

#[tokio::test]
async fn workflow_bindings_are_type_checked_as_the_compiler_does() -> TestResult {
    let (_admin, mut c) = setup().await?;
    let tid = id(ResourceType::Task, "dc", "v1");
    let wf_interface = TypedInterface {
        inputs: Some(variables(vec![
            ("q", dataclass_type("integer")),
            ("n", simple(SimpleType::Integer)),
        ])),
        outputs: Some(variables(vec![])),
    };
    let workflow = |name: &str, p: core::binding_data::Value, greeting| {
        let mut node = task_node("n0", &tid);
        node.inputs = vec![bound("p", p), bound("greeting", greeting)];
        workflow_request(name, "v1", wf_interface.clone(), vec![node])
    };

    // A msgpack dataclass literal and a workflow input of the same dataclass both fit.
    c.create_workflow(workflow(
        "literal",
        scalar_of(dataclass_value("msgpack")),
        scalar_of(string("hi")),
    ))
    .await?;
    c.create_workflow(workflow(
        "promise",
        promise("start-node", "q"),
        scalar_of(string("hi")),
    ))
    .await?;

    let cases = [
        (
            "int literal for a string",
            workflow("bad-literal", promise("start-node", "q"), scalar_of(int(1))),
            "Code: MismatchingTypes, Node Id: n0, Description: Variable [greeting] (type [simple:INTEGER]) doesn't match expected type [simple:STRING].",
        ),
        (
            "int input for a string",
            workflow("bad-promise", promise("start-node", "q"), promise("start-node", "n")),
            "Code: MismatchingTypes, Node Id: n0, Description: The output variable 'n' has type [simple:INTEGER], but it's assigned to the input variable 'greeting' which has type type [simple:STRING].",
        ),
        (
            // flytekit names the workflow's inputs with an empty node id.
            "int input for a string, as flytekit binds it",
            workflow("bad-flytekit-promise", promise("", "q"), promise("", "n")),
            "Code: MismatchingTypes, Node Id: n0, Description: The output variable 'n' has type [simple:INTEGER], but it's assigned to the input variable 'greeting' which has type type [simple:STRING].",
        ),
        (
            "a list for a string",
            workflow(
                "bad-collection",
                promise("", "q"),
                core::binding_data::Value::Collection(core::BindingDataCollection {
                    bindings: vec![core::BindingData {
                        value: Some(scalar_of(string("a"))),
                        union: None,
                    }],
                }),
            ),
            "Code: MismatchingBindings, Node Id: n0, Description: Input [greeting] on node [n0] expects bindings of type [simple:STRING].  Received [*core.BindingData_Collection]",
        ),
    ];
    for (name, req, description) in cases {
        let err = c.create_workflow(req).await.expect_err(name);
        assert_eq!(err.code(), Code::InvalidArgument, "{name}");
        assert!(
            err.message()
                .starts_with("failed to compile workflow for [")
                && err
                    .message()
                    .ends_with(&format!("Collected Errors: 1\n\tError 0: {description}\n")),
            "{name}: {}",
            err.message()
        );
    }
    Ok(())
}

fn datetime(seconds: i64, nanos: i32) -> Literal {
    Literal {
        value: Some(literal::Value::Scalar(Box::new(Scalar {
            value: Some(scalar::Value::Primitive(core::Primitive {
                value: Some(core::primitive::Value::Datetime(prost_types::Timestamp {
                    seconds,
                    nanos,
                })),
            })),
        }))),
        ..Literal::default()
    }
}

#[tokio::test]
async fn datetimes_out_of_protobufs_range_are_refused() -> TestResult {
    let admin = TestAdmin::start().await?;
    let mut c = connect(&admin).await?;
    let interface = iface(&[("t", SimpleType::Datetime)], &[]);
    let task = task_request("when", "v1", interface.clone());
    let tid = task.id.clone().ok_or("no id")?;
    c.create_task(task).await?;
    let wid = id(ResourceType::Workflow, "when", "v1");
    c.create_workflow(workflow_request(
        "when",
        "v1",
        interface,
        vec![task_node("n0", &tid)],
    ))
    .await?;
    c.create_launch_plan(launch_plan_request(
        "when",
        "v1",
        &wid,
        &[("t", SimpleType::Datetime, datetime(0, 0))],
        &[],
    ))
    .await?;

    let cases = [
        (
            launch_plan_request(
                "early",
                "v1",
                &wid,
                &[("t", SimpleType::Datetime, datetime(-62_135_596_801, 0))],
                &[],
            ),
            "proto: timestamp (seconds:-62135596801) before 0001-01-01",
        ),
        (
            launch_plan_request("nanos", "v1", &wid, &[], &[("t", datetime(5, -1))]),
            "proto: timestamp (seconds:5 nanos:-1) has out-of-range nanos",
        ),
    ];
    for (req, message) in cases {
        let err = c.create_launch_plan(req).await.expect_err(message);
        assert_eq!(
            (err.code(), err.message()),
            (Code::InvalidArgument, message)
        );
    }
    let err = c
        .create_execution(exec_request(
            id(ResourceType::LaunchPlan, "when", "v1"),
            "",
            lits(&[("t", datetime(253_402_300_800, 0))]),
        ))
        .await
        .expect_err("late");
    assert_eq!(
        (err.code(), err.message()),
        (
            Code::InvalidArgument,
            "proto: timestamp (seconds:253402300800) after 9999-12-31"
        )
    );
    Ok(())
}

#[tokio::test]
async fn bindings_into_lists_enums_fields_and_launch_plans_are_checked() -> TestResult {
    let (_admin, mut c) = setup().await?;
    // A task taking a list of strings and an enum, and a launch plan of workflow `dc`.
    let color = LiteralType {
        r#type: Some(core::literal_type::Type::EnumType(core::EnumType {
            values: vec!["red".into(), "green".into()],
        })),
        ..LiteralType::default()
    };
    let strings = LiteralType {
        r#type: Some(core::literal_type::Type::CollectionType(Box::new(simple(
            SimpleType::String,
        )))),
        ..LiteralType::default()
    };
    let interface = TypedInterface {
        inputs: Some(variables(vec![("names", strings), ("c", color)])),
        outputs: Some(variables(vec![])),
    };
    let task = task_request("lists", "v1", interface);
    let tid = task.id.clone().ok_or("no id")?;
    c.create_task(task).await?;
    c.create_launch_plan(launch_plan_request(
        "dc",
        "v1",
        &id(ResourceType::Workflow, "dc", "v1"),
        &[],
        &[],
    ))
    .await?;
    let wf_interface = TypedInterface {
        inputs: Some(variables(vec![
            ("q", dataclass_type("integer")),
            ("n", simple(SimpleType::Integer)),
        ])),
        outputs: Some(variables(vec![])),
    };
    let list_of = |items: Vec<core::binding_data::Value>| {
        core::binding_data::Value::Collection(core::BindingDataCollection {
            bindings: items
                .into_iter()
                .map(|v| core::BindingData {
                    value: Some(v),
                    union: None,
                })
                .collect(),
        })
    };
    let lists_node = |names, c| {
        let mut node = task_node("n0", &tid);
        node.inputs = vec![bound("names", names), bound("c", c)];
        node
    };
    let lp_node = |greeting| core::Node {
        id: "n1".into(),
        inputs: vec![bound("p", promise("", "q")), bound("greeting", greeting)],
        target: Some(core::node::Target::WorkflowNode(core::WorkflowNode {
            reference: Some(core::workflow_node::Reference::LaunchplanRef(id(
                ResourceType::LaunchPlan,
                "dc",
                "v1",
            ))),
        })),
        ..core::Node::default()
    };
    let mixed = workflow_request(
        "lists-mixed",
        "v1",
        wf_interface.clone(),
        vec![
            lists_node(
                list_of(vec![scalar_of(string("a")), promise("", "q")]),
                scalar_of(string("green")),
            ),
            lp_node(scalar_of(string("hi"))),
        ],
    );
    // A dataclass where a string is expected, inside the list: refused; the rest fits.
    let err = c
        .create_workflow(mixed)
        .await
        .expect_err("a dataclass in a list of strings");
    assert!(
        err.message().contains(
            "Code: MismatchingTypes, Node Id: n0, Description: The output variable 'q' has type"
        ),
        "{}",
        err.message()
    );
    let good = workflow_request(
        "lists-good",
        "v1",
        wf_interface.clone(),
        vec![
            lists_node(
                list_of(vec![scalar_of(string("a"))]),
                scalar_of(string("green")),
            ),
            lp_node(scalar_of(string("hi"))),
        ],
    );
    c.create_workflow(good).await?;
    let cases = [
        (
            "an enum value that is not one of the enum's",
            vec![
                lists_node(list_of(vec![]), scalar_of(string("blue"))),
                lp_node(scalar_of(string("hi"))),
            ],
            "Code: IllegalEnumValue, Node Id: n0, Description: Input [c] on node [n0] is an Enum and expects value to be one of [[red green]].  Received [blue]",
        ),
        (
            "an int for a launch plan's string input",
            vec![
                lists_node(list_of(vec![]), scalar_of(string("red"))),
                lp_node(promise("", "n")),
            ],
            "Code: MismatchingTypes, Node Id: n1, Description: The output variable 'n' has type [simple:INTEGER], but it's assigned to the input variable 'greeting' which has type type [simple:STRING].",
        ),
    ];
    for (i, (name, nodes, description)) in cases.into_iter().enumerate() {
        let req = workflow_request(&format!("lists-bad-{i}"), "v1", wf_interface.clone(), nodes);
        let err = c.create_workflow(req).await.expect_err(name);
        assert!(
            err.message()
                .ends_with(&format!("Collected Errors: 1\n\tError 0: {description}\n")),
            "{name}: {}",
            err.message()
        );
    }
    Ok(())
}
