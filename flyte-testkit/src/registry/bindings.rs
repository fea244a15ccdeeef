//! The type checks flytepropeller's compiler makes on a workflow's bindings
//! (`flytepropeller/pkg/compiler/validators/bindings.go`), for the bindings whose types are
//! known without compiling the whole graph: a task node's inputs bound to a literal, to a
//! workflow input or to another task node's output, and the workflow's outputs bound to task
//! node outputs. Bindings through collections, maps, attribute paths, indexes and other node
//! kinds are left unchecked rather than guessed.

use flyteidl::flyteidl::core::{
    binding_data, node, task_node, Binding, CompiledTask, Identifier, LiteralType, Node,
    TypedInterface, WorkflowTemplate,
};

use crate::db::same_id;
use crate::literals::{castable, describe_for_compiler, infer_scalar};

/// The compiler's name for the node that stands for the workflow's inputs.
const START_NODE: &str = "start-node";
/// The compiler's name for the node that stands for the workflow's outputs.
const END_NODE: &str = "end-node";

/// The compile errors of `template`'s bindings, each as the compiler prints one.
pub(super) fn binding_errors(template: &WorkflowTemplate, tasks: &[CompiledTask]) -> Vec<String> {
    let graph = Graph { template, tasks };
    let mut errors = Vec::new();
    for n in &template.nodes {
        let Some(inputs) = graph.task_interface(n).and_then(|i| i.inputs.as_ref()) else {
            continue;
        };
        for b in &n.inputs {
            if let Some(want) = inputs.variables.get(&b.var).and_then(|v| v.r#type.as_ref()) {
                errors.extend(graph.check(&n.id, node_name(n), b, want));
            }
        }
    }
    let outputs = template.interface.as_ref().and_then(|i| i.outputs.as_ref());
    for b in &template.outputs {
        if let Some(want) = outputs
            .and_then(|o| o.variables.get(&b.var))
            .and_then(|v| v.r#type.as_ref())
        {
            errors.extend(graph.check(END_NODE, None, b, want));
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

struct Graph<'a> {
    template: &'a WorkflowTemplate,
    tasks: &'a [CompiledTask],
}

impl Graph<'_> {
    fn task_interface(&self, n: &Node) -> Option<&TypedInterface> {
        let Some(node::Target::TaskNode(t)) = &n.target else {
            return None;
        };
        let Some(task_node::Reference::ReferenceId(id)) = &t.reference else {
            return None;
        };
        self.task(id)?.interface.as_ref()
    }

    fn task(&self, id: &Identifier) -> Option<&flyteidl::flyteidl::core::TaskTemplate> {
        self.tasks
            .iter()
            .filter_map(|c| c.template.as_ref())
            .find(|t| same_id(t.id.as_ref(), id))
    }

    /// The type of a promise's source, with the source node's name, when it is known.
    fn promise_source(&self, node_id: &str, var: &str) -> Option<(Option<&str>, &LiteralType)> {
        let (name, vars) = if node_id == START_NODE {
            (None, self.template.interface.as_ref()?.inputs.as_ref()?)
        } else {
            let up = self.template.nodes.iter().find(|n| n.id == node_id)?;
            (node_name(up), self.task_interface(up)?.outputs.as_ref()?)
        };
        Some((name, vars.variables.get(var)?.r#type.as_ref()?))
    }

    fn check(
        &self,
        node_id: &str,
        name: Option<&str>,
        b: &Binding,
        want: &LiteralType,
    ) -> Option<String> {
        let value = b.binding.as_ref()?.value.as_ref()?;
        let description = match value {
            binding_data::Value::Scalar(s) => {
                let got = infer_scalar(s)?;
                if castable(&got, want) {
                    return None;
                }
                format!(
                    "Variable [{}] (type [{}]) doesn't match expected type [{}].",
                    b.var,
                    describe_for_compiler(&got),
                    describe_for_compiler(want)
                )
            }
            binding_data::Value::Promise(p) => {
                // An index (`o0[1]`) or an attribute path needs the compiler's parser: unchecked.
                if !p.attr_path.is_empty() || p.var.contains(['[', '.']) {
                    return None;
                }
                let (up_name, got) = self.promise_source(&p.node_id, &p.var)?;
                if castable(got, want) {
                    return None;
                }
                format!(
                    "The output variable '{}' has type [{}], but it's assigned to the input variable '{}' which has type type [{}].",
                    qualified(up_name, &p.var),
                    describe_for_compiler(got),
                    qualified(name, &b.var),
                    describe_for_compiler(want)
                )
            }
            _ => return None,
        };
        Some(format!(
            "Code: MismatchingTypes, Node Id: {node_id}, Description: {description}"
        ))
    }
}
