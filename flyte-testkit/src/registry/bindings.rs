//! The type checks flytepropeller's compiler makes on a workflow's bindings
//! (`flytepropeller/pkg/compiler/validators/bindings.go`): every node's inputs whose interface
//! is known (task, array, sub-workflow and launch-plan nodes) and the workflow's outputs, bound
//! to literals, to workflow inputs (node id `""` or `start-node`), to other nodes' outputs
//! (with an index `o0[1]` or an attribute path into a dataclass), or to collections and maps of
//! those; enum literals must be one of the enum's values; a collection or map bound to a union
//! must fit exactly one variant. Outputs of branch and gate nodes are typed by the compiler
//! from their insides: bindings to them are left unchecked rather than guessed.

use flyteidl::flyteidl::core::{
    binding_data, literal_type, node, task_node, workflow_node, Binding, BindingData, CompiledTask,
    Identifier, LiteralType, Node, TypedInterface, WorkflowTemplate,
};

use crate::db::same_id;
use crate::literals::{castable, describe, describe_for_compiler, infer_scalar};

/// The compiler's name for the node that stands for the workflow's inputs.
const START_NODE: &str = "start-node";
/// The compiler's name for the node that stands for the workflow's outputs.
const END_NODE: &str = "end-node";

/// What the compiler knows of the entities a workflow refers to.
pub(super) struct Known<'a> {
    pub(super) tasks: &'a [CompiledTask],
    pub(super) sub_workflows: &'a [WorkflowTemplate],
    /// Launch plans by id, with their expected inputs and outputs as an interface.
    pub(super) launch_plans: &'a [(Identifier, TypedInterface)],
}

/// The compile errors of `template`'s bindings, each as the compiler prints one.
pub(super) fn binding_errors(template: &WorkflowTemplate, known: &Known<'_>) -> Vec<String> {
    let graph = Graph { template, known };
    let mut errors = Vec::new();
    for n in &template.nodes {
        let Some(inputs) = graph.interface(n).and_then(|i| i.inputs.as_ref()) else {
            continue;
        };
        for b in &n.inputs {
            if let Some(want) = inputs.variables.get(&b.var).and_then(|v| v.r#type.as_ref()) {
                let site = Site {
                    node_id: &n.id,
                    name: node_name(n),
                    var: &b.var,
                };
                errors.extend(graph.check_binding(&site, b, want));
            }
        }
    }
    let outputs = template.interface.as_ref().and_then(|i| i.outputs.as_ref());
    for b in &template.outputs {
        if let Some(want) = outputs
            .and_then(|o| o.variables.get(&b.var))
            .and_then(|v| v.r#type.as_ref())
        {
            let site = Site {
                node_id: END_NODE,
                name: None,
                var: &b.var,
            };
            errors.extend(graph.check_binding(&site, b, want));
        }
    }
    errors
}

/// FlyteAdmin's text for a failed compile: the collected errors, numbered.
pub(super) fn collected(errors: &[String]) -> String {
    let mut out = format!("Collected Errors: {}\n", errors.len());
    for (i, e) in errors.iter().enumerate() {
        out.push_str(&format!("\tError {i}: {e}\n"));
    }
    out
}

fn node_name(n: &Node) -> Option<&str> {
    n.metadata.as_ref().map(|m| m.name.as_str())
}

/// A variable as the compiler names it in errors: `<node name>.<var>` when the node has metadata.
fn qualified(name: Option<&str>, var: &str) -> String {
    name.map_or_else(|| var.to_owned(), |n| format!("{n}.{var}"))
}

/// Where a binding is: the node, its name, the input.
struct Site<'a> {
    node_id: &'a str,
    name: Option<&'a str>,
    var: &'a str,
}

impl Site<'_> {
    fn error(&self, code: &str, description: String) -> String {
        format!(
            "Code: {code}, Node Id: {}, Description: {description}",
            self.node_id
        )
    }
}

struct Graph<'a> {
    template: &'a WorkflowTemplate,
    known: &'a Known<'a>,
}

impl Graph<'_> {
    /// The interface of what a node runs, when the compiler knows it without compiling inside.
    fn interface(&self, n: &Node) -> Option<&TypedInterface> {
        match &n.target {
            Some(node::Target::TaskNode(t)) => {
                let Some(task_node::Reference::ReferenceId(id)) = &t.reference else {
                    return None;
                };
                self.known
                    .tasks
                    .iter()
                    .filter_map(|c| c.template.as_ref())
                    .find(|t| same_id(t.id.as_ref(), id))?
                    .interface
                    .as_ref()
            }
            // flytekit registers a map task as an `-arraynode` task whose interface is already
            // the list-typed one the array node is bound with.
            Some(node::Target::ArrayNode(a)) => self.interface(a.node.as_deref()?),
            Some(node::Target::WorkflowNode(w)) => match &w.reference {
                Some(workflow_node::Reference::SubWorkflowRef(id)) => self
                    .known
                    .sub_workflows
                    .iter()
                    .find(|s| same_id(s.id.as_ref(), id))?
                    .interface
                    .as_ref(),
                Some(workflow_node::Reference::LaunchplanRef(id)) => self
                    .known
                    .launch_plans
                    .iter()
                    .find(|(lp, _)| same_id(Some(lp), id))
                    .map(|(_, i)| i),
                None => None,
            },
            _ => None,
        }
    }

    /// The type of a promise's source variable, with the source node's name, when it is known.
    fn promise_source(&self, node_id: &str, var: &str) -> Option<(Option<&str>, &LiteralType)> {
        let (name, vars) = if node_id.is_empty() || node_id == START_NODE {
            (None, self.template.interface.as_ref()?.inputs.as_ref()?)
        } else {
            let up = self.template.nodes.iter().find(|n| n.id == node_id)?;
            (node_name(up), self.interface(up)?.outputs.as_ref()?)
        };
        Some((name, vars.variables.get(var)?.r#type.as_ref()?))
    }

    fn check_binding(&self, site: &Site<'_>, b: &Binding, want: &LiteralType) -> Vec<String> {
        match &b.binding {
            Some(data) => self.check(site, data, want),
            None => Vec::new(),
        }
    }

    /// The errors of one binding (recursively through collections and maps) against `want`.
    fn check(&self, site: &Site<'_>, data: &BindingData, want: &LiteralType) -> Vec<String> {
        let Some(value) = &data.value else {
            return Vec::new();
        };
        let is_direct = matches!(
            value,
            binding_data::Value::Scalar(_) | binding_data::Value::Promise(_)
        );
        // Collections and maps bound to a union must fit exactly one variant.
        if let (false, Some(literal_type::Type::UnionType(u))) = (is_direct, &want.r#type) {
            let fits: Vec<&LiteralType> = u
                .variants
                .iter()
                .filter(|v| self.check(site, data, v).is_empty())
                .collect();
            return match fits.as_slice() {
                [_] => Vec::new(),
                [] => vec![site.error(
                    "IncompatibleBindingUnionValue",
                    format!(
                        "Input [{}] on node [{}] expects bindings of union type [{}].  Received [{}] which does not match any of the variants.",
                        site.var, site.node_id, describe(want), describe_binding(data)
                    ),
                )],
                [first, second, ..] => vec![site.error(
                    "AmbiguousBindingUnionValue",
                    format!(
                        "Input [{}] on node [{}] expects bindings of union type [{}].  Received [{}] which is ambiguous as both variants [{}] and [{}] match.",
                        site.var, site.node_id, describe(want), describe_binding(data),
                        describe(first), describe(second)
                    ),
                )],
            };
        }
        match value {
            binding_data::Value::Collection(c) => match &want.r#type {
                Some(literal_type::Type::CollectionType(inner)) => c
                    .bindings
                    .iter()
                    .flat_map(|b| self.check(site, b, inner))
                    .collect(),
                _ => vec![self.mismatching_bindings(site, want, "*core.BindingData_Collection")],
            },
            binding_data::Value::Map(m) => match &want.r#type {
                Some(literal_type::Type::MapValueType(inner)) => m
                    .bindings
                    .values()
                    .flat_map(|b| self.check(site, b, inner))
                    .collect(),
                _ => vec![self.mismatching_bindings(site, want, "*core.BindingData_Map")],
            },
            binding_data::Value::Scalar(s) => {
                let Some(got) = infer_scalar(s) else {
                    return Vec::new();
                };
                let mut errors = Vec::new();
                if !castable(&got, want) {
                    errors.push(site.error(
                        "MismatchingTypes",
                        format!(
                            "Variable [{}] (type [{}]) doesn't match expected type [{}].",
                            site.var,
                            describe_for_compiler(&got),
                            describe_for_compiler(want)
                        ),
                    ));
                }
                if let Some(literal_type::Type::EnumType(e)) = &want.r#type {
                    let value = match &s.value {
                        Some(flyteidl::flyteidl::core::scalar::Value::Primitive(p)) => {
                            match &p.value {
                                Some(flyteidl::flyteidl::core::primitive::Value::StringValue(
                                    v,
                                )) => v.as_str(),
                                _ => "",
                            }
                        }
                        _ => "",
                    };
                    if !e.values.iter().any(|v| v == value) {
                        errors.push(site.error(
                            "IllegalEnumValue",
                            format!(
                                "Input [{}] on node [{}] is an Enum and expects value to be one of [{}].  Received [{value}]",
                                site.var,
                                site.node_id,
                                go_list(&e.values)
                            ),
                        ));
                    }
                }
                errors
            }
            binding_data::Value::Promise(p) => {
                // `o0[1]`: an element of the collection `o0`.
                let (var, indexed) = match p.var.split_once('[') {
                    Some((name, rest)) if rest.ends_with(']') => (name, true),
                    _ => (p.var.as_str(), false),
                };
                let Some((up_name, source)) = self.promise_source(&p.node_id, var) else {
                    return Vec::new();
                };
                let from = qualified(up_name, &p.var);
                let to = qualified(site.name, site.var);
                let mismatch = |got: &LiteralType| {
                    site.error(
                        "MismatchingTypes",
                        format!(
                            "The output variable '{from}' has type [{}], but it's assigned to the input variable '{to}' which has type type [{}].",
                            describe_for_compiler(got),
                            describe_for_compiler(want)
                        ),
                    )
                };
                let mut got = source;
                if indexed {
                    match &got.r#type {
                        Some(literal_type::Type::CollectionType(inner)) => got = inner,
                        _ => return vec![mismatch(got)],
                    }
                }
                for attr in &p.attr_path {
                    let key = match &attr.value {
                        Some(flyteidl::flyteidl::core::promise_attribute::Value::StringValue(
                            k,
                        )) => k.as_str(),
                        _ => "",
                    };
                    got = match &got.r#type {
                        Some(literal_type::Type::CollectionType(inner))
                        | Some(literal_type::Type::MapValueType(inner)) => inner,
                        _ => match got.structure.as_ref().map(|s| &s.dataclass_type) {
                            Some(fields) if !fields.is_empty() => match fields.get(key) {
                                Some(field) => field,
                                None => {
                                    return vec![site.error(
                                        "FieldNotFound",
                                        format!(
                                            "Variable [{}] (type [{}]) doesn't have field [{key}].",
                                            p.var,
                                            describe(got)
                                        ),
                                    )]
                                }
                            },
                            // Go keeps the type as it is when it cannot look inside.
                            _ => got,
                        },
                    };
                }
                if castable(got, want) {
                    Vec::new()
                } else {
                    vec![mismatch(got)]
                }
            }
        }
    }

    fn mismatching_bindings(&self, site: &Site<'_>, want: &LiteralType, received: &str) -> String {
        site.error(
            "MismatchingBindings",
            format!(
                "Input [{}] on node [{}] expects bindings of type [{}].  Received [{received}]",
                site.var,
                site.node_id,
                describe(want)
            ),
        )
    }
}

/// A binding, briefly, for error texts.
fn describe_binding(data: &BindingData) -> String {
    match &data.value {
        Some(binding_data::Value::Collection(c)) => {
            format!("collection:{{{} bindings}}", c.bindings.len())
        }
        Some(binding_data::Value::Map(m)) => format!("map:{{{} bindings}}", m.bindings.len()),
        Some(binding_data::Value::Promise(p)) => {
            format!("promise:{{node_id:{:?} var:{:?}}}", p.node_id, p.var)
        }
        Some(binding_data::Value::Scalar(_)) => "scalar".to_owned(),
        None => String::new(),
    }
}

/// A list of strings as Go's `%v` prints a `[]string`: `[a b c]`.
fn go_list(values: &[String]) -> String {
    format!("[{}]", values.join(" "))
}
