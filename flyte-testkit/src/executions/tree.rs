//! The tree of node executions propeller would report for a workflow, with each node's inputs
//! and outputs: what FlyteAdmin 1.16 shows for every node kind.
//!
//! - Node ids as propeller makes them: a top-level node keeps its id; a child is
//!   `<parent>-<attempt>-<id>` (`n1-0-n0`); an id over 20 characters becomes `f` and a 7-letter
//!   hash of it. Children carry `retry_group` "0" and their parent's id.
//! - Task nodes: one task execution, of the task's type.
//! - Array nodes (`map_task`): one node (`is_array`), one task execution of type
//!   `container_array` with an external resource per element; no child nodes.
//! - Sub-workflow nodes: a parent (`is_parent_node`) over the sub-workflow's own start node,
//!   nodes and end node.
//! - Launch-plan nodes: a child execution of their own (mode CHILD_WORKFLOW), named by
//!   `workflow_node_metadata`.
//! - Branch nodes: a parent over the branch taken (conditions evaluated on the inputs; the first
//!   case when they cannot be).
//! - Tasks declared dynamic ([`TestAdminBuilder::dynamic_task`](crate::TestAdminBuilder::dynamic_task)):
//!   a parent (`is_parent_node`, `is_dynamic`) over the generated workflow's nodes `dn0`,
//!   `dn1`..., whose compiled closure `GetNodeExecutionData` returns.
//! - Gate nodes: one node, no task execution.
//!
//! Inputs follow the bindings (workflow inputs, upstream outputs, literals); outputs are what a
//! task would write for its declared types ([`crate::outputs`]), or the input of the same name.

use std::collections::HashMap;

use flyteidl::flyteidl::admin::DynamicWorkflowNodeMetadata;
use flyteidl::flyteidl::core::{
    self, binding_data, boolean_expression, comparison_expression, conjunction_expression, literal,
    node, operand, primitive, scalar, task_node, workflow_node, Binding, BindingData,
    BooleanExpression, CompiledTask, CompiledWorkflow, CompiledWorkflowClosure, Identifier,
    Literal, LiteralCollection, LiteralMap, Node, ResourceType, TypedInterface,
    WorkflowExecutionIdentifier, WorkflowTemplate,
};

use crate::catalog::{memo, CatalogStore, Memo};
use crate::db::{same_id, Db};
use crate::literals::{castable, type_of};
use crate::outputs::Sampler;

/// What kind of node an execution is, with what its records need.
#[derive(Debug, Clone)]
pub(super) enum Kind {
    Start,
    End,
    Task {
        task: Identifier,
        task_type: String,
    },
    Array {
        /// The mapped task; none when the array maps a launch plan or sub-workflow.
        task: Option<Identifier>,
        size: usize,
    },
    Dynamic {
        task: Identifier,
        task_type: String,
        workflow: Box<DynamicWorkflowNodeMetadata>,
    },
    Workflow,
    Branch,
    LaunchPlan {
        launch_plan: Identifier,
        child: WorkflowExecutionIdentifier,
    },
    Gate,
}

/// One node execution to record.
#[derive(Debug, Clone)]
pub(super) struct Planned {
    pub(super) node_id: String,
    pub(super) spec_node_id: String,
    pub(super) parent: Option<String>,
    pub(super) kind: Kind,
    pub(super) inputs: LiteralMap,
    pub(super) outputs: LiteralMap,
    /// What the catalog does for a task node (none for other nodes).
    pub(super) memo: Option<Memo>,
}

/// Walks a compiled workflow the way propeller runs it.
pub(super) struct Planner<'a> {
    db: &'a Db,
    closure: &'a CompiledWorkflowClosure,
    dynamic: &'a HashMap<String, Vec<String>>,
    exec: &'a WorkflowExecutionIdentifier,
    sampler: Sampler<'a>,
    out: Vec<Planned>,
    /// The catalog task nodes are looked up in, and whether the run overwrites the cache.
    catalog: Option<(&'a CatalogStore, bool)>,
}

/// Outputs of the nodes run so far in one workflow, by node id; `start-node` holds its inputs.
type Scope = HashMap<String, LiteralMap>;

/// Sub-workflows nested deeper than this are not expanded (a registered closure is data: a
/// cycle must not recurse forever).
const MAX_DEPTH: usize = 16;

/// A run records at most this many node executions: a sub-workflow whose nodes each run it
/// again (or a dynamic task yielding itself) would otherwise grow exponentially with depth.
pub(super) const MAX_NODES: usize = 10_000;

impl<'a> Planner<'a> {
    pub(super) fn new(
        db: &'a Db,
        closure: &'a CompiledWorkflowClosure,
        dynamic: &'a HashMap<String, Vec<String>>,
        exec: &'a WorkflowExecutionIdentifier,
        raw_output_prefix: &'a str,
    ) -> Self {
        Planner {
            db,
            closure,
            dynamic,
            exec,
            sampler: Sampler::new(raw_output_prefix),
            out: Vec::new(),
            catalog: None,
        }
    }

    /// Looks cacheable task nodes up in `catalog` (propeller's memoization); under
    /// `overwrite` they run and replace what is cached.
    pub(super) fn catalog(mut self, catalog: &'a CatalogStore, overwrite: bool) -> Self {
        self.catalog = Some((catalog, overwrite));
        self
    }

    /// The node executions of the primary workflow run with `inputs`, parents before children.
    pub(super) fn plan(mut self, inputs: &LiteralMap) -> Vec<Planned> {
        let primary = self
            .closure
            .primary
            .as_ref()
            .and_then(|p| p.template.clone())
            .unwrap_or_default();
        self.workflow(&primary, None, inputs, 0);
        self.out
    }

    /// Records a workflow's start node, nodes and end node under `parent`; returns its outputs.
    fn workflow(
        &mut self,
        template: &WorkflowTemplate,
        parent: Option<&str>,
        inputs: &LiteralMap,
        depth: usize,
    ) -> LiteralMap {
        if self.out.len() >= MAX_NODES {
            return LiteralMap::default();
        }
        let mut scope = Scope::new();
        scope.insert("start-node".to_owned(), inputs.clone());
        self.push(parent, "start-node", Kind::Start, LiteralMap::default());
        self.set_outputs(inputs.clone());
        for n in in_order(&template.nodes) {
            let node_inputs = resolve_all(&n.inputs, &scope);
            let outputs = self.node(n, parent, node_inputs, &scope, depth);
            scope.insert(n.id.clone(), outputs);
        }
        let outputs = resolve_all(&template.outputs, &scope);
        self.push(parent, "end-node", Kind::End, outputs.clone());
        outputs
    }

    fn node(
        &mut self,
        n: &Node,
        parent: Option<&str>,
        inputs: LiteralMap,
        scope: &Scope,
        depth: usize,
    ) -> LiteralMap {
        use node::Target;
        if self.out.len() >= MAX_NODES {
            return LiteralMap::default();
        }
        let id = unique_id(parent, &n.id);
        match &n.target {
            Some(Target::TaskNode(t)) => {
                let Some(task_node::Reference::ReferenceId(task)) = &t.reference else {
                    return LiteralMap::default();
                };
                let template = self.task(task);
                let task_type = template
                    .as_ref()
                    .and_then(|c| c.template.as_ref())
                    .map(|t| t.r#type.clone())
                    .unwrap_or_else(|| "python-task".to_owned());
                let interface = interface_of(template.as_ref());
                // Dynamic tasks are run, never memoized, by the test kit.
                let memo = match (self.catalog, &template) {
                    _ if self.dynamic.contains_key(&task.name) => None,
                    (Some((catalog, overwrite)), Some(t)) => {
                        Some(memo::check(catalog, t, &inputs, overwrite))
                    }
                    _ => Some(Memo::Disabled),
                };
                let outputs = match &memo {
                    Some(Memo::Hit(h)) => h.outputs.clone(),
                    _ => self.echo(&interface, &inputs),
                };
                let children = self.dynamic.get(&task.name).cloned();
                let kind = match children {
                    Some(children) if depth < MAX_DEPTH => {
                        let workflow = self.dynamic_workflow(task, &id, &interface, &children);
                        Kind::Dynamic {
                            task: task.clone(),
                            task_type,
                            workflow: Box::new(workflow),
                        }
                    }
                    _ => Kind::Task {
                        task: task.clone(),
                        task_type,
                    },
                };
                let dynamic = match &kind {
                    Kind::Dynamic { workflow, .. } => workflow
                        .compiled_workflow
                        .as_ref()
                        .and_then(|c| c.primary.as_ref())
                        .and_then(|p| p.template.clone()),
                    _ => None,
                };
                self.push(parent, &n.id, kind, inputs.clone());
                let at = self.out.len() - 1;
                self.out[at].memo = memo;
                if let Some(generated) = dynamic {
                    self.workflow(&generated, Some(&id), &inputs, depth + 1);
                }
                self.out[at].outputs = outputs.clone();
                outputs
            }
            Some(Target::ArrayNode(a)) => {
                let task = a.node.as_deref().and_then(|inner| match &inner.target {
                    Some(Target::TaskNode(t)) => t
                        .reference
                        .as_ref()
                        .map(|task_node::Reference::ReferenceId(task)| task.clone()),
                    _ => None,
                });
                let size = inputs
                    .literals
                    .values()
                    .filter_map(|l| match &l.value {
                        Some(literal::Value::Collection(c)) => Some(c.literals.len()),
                        _ => None,
                    })
                    .max()
                    .unwrap_or(0);
                let interface = interface_of(task.as_ref().and_then(|t| self.task(t)).as_ref());
                let outputs = self.array_outputs(&interface, size);
                let kind = Kind::Array { task, size };
                self.push(parent, &n.id, kind, inputs);
                self.set_outputs(outputs.clone());
                outputs
            }
            Some(Target::WorkflowNode(w)) => match &w.reference {
                Some(workflow_node::Reference::SubWorkflowRef(wf)) => {
                    let sub = self
                        .closure
                        .sub_workflows
                        .iter()
                        .filter_map(|s| s.template.as_ref())
                        .find(|t| t.id.as_ref().is_some_and(|i| same_id(Some(i), wf)))
                        .cloned();
                    self.push(parent, &n.id, Kind::Workflow, inputs.clone());
                    let at = self.out.len() - 1;
                    let outputs = match sub {
                        Some(sub) if depth < MAX_DEPTH => {
                            self.workflow(&sub, Some(&id), &inputs, depth + 1)
                        }
                        _ => LiteralMap::default(),
                    };
                    self.out[at].outputs = outputs.clone();
                    outputs
                }
                Some(workflow_node::Reference::LaunchplanRef(lp)) => {
                    let interface = self
                        .db
                        .find_launch_plan(lp)
                        .and_then(|r| r.value.closure.as_ref())
                        .map(|c| TypedInterface {
                            inputs: None,
                            outputs: c.expected_outputs.clone(),
                        })
                        .unwrap_or_default();
                    let outputs = self.echo(&interface, &inputs);
                    let child = WorkflowExecutionIdentifier {
                        name: child_execution_name(&self.exec.name, &id),
                        ..self.exec.clone()
                    };
                    let kind = Kind::LaunchPlan {
                        launch_plan: lp.clone(),
                        child,
                    };
                    self.push(parent, &n.id, kind, inputs);
                    self.set_outputs(outputs.clone());
                    outputs
                }
                None => LiteralMap::default(),
            },
            Some(Target::BranchNode(b)) => {
                self.push(parent, &n.id, Kind::Branch, inputs.clone());
                let at = self.out.len() - 1;
                // The first case that holds; when none can be told to hold, the first that
                // cannot be decided; else the else node.
                let taken = b.if_else.as_ref().and_then(|ie| {
                    let cases: Vec<&core::IfBlock> = ie
                        .case
                        .as_deref()
                        .into_iter()
                        .chain(ie.other.iter())
                        .collect();
                    let holds = |c: &&core::IfBlock| {
                        c.condition.as_ref().and_then(|e| evaluate(e, &inputs))
                    };
                    let chosen = cases
                        .iter()
                        .find(|c| holds(c) == Some(true))
                        .or_else(|| cases.iter().find(|c| holds(c).is_none()));
                    match chosen {
                        Some(c) => c.then_node.as_deref(),
                        None => match &ie.default {
                            Some(core::if_else_block::Default::ElseNode(e)) => Some(e.as_ref()),
                            _ => None,
                        },
                    }
                });
                let outputs = match taken {
                    Some(child) if depth < MAX_DEPTH => {
                        let child_inputs = resolve_all(&child.inputs, scope);
                        self.node(child, Some(&id), child_inputs, scope, depth + 1)
                    }
                    _ => LiteralMap::default(),
                };
                self.out[at].outputs = outputs.clone();
                outputs
            }
            Some(Target::GateNode(_)) => {
                self.push(parent, &n.id, Kind::Gate, inputs);
                LiteralMap::default()
            }
            None => LiteralMap::default(),
        }
    }

    fn push(&mut self, parent: Option<&str>, spec_id: &str, kind: Kind, inputs: LiteralMap) {
        self.out.push(Planned {
            node_id: unique_id(parent, spec_id),
            spec_node_id: spec_id.to_owned(),
            parent: parent.map(str::to_owned),
            kind,
            inputs,
            outputs: LiteralMap::default(),
            memo: None,
        });
    }

    fn set_outputs(&mut self, outputs: LiteralMap) {
        if let Some(last) = self.out.last_mut() {
            last.outputs = outputs;
        }
    }

    /// A task's compiled template: from the workflow's closure, else the registry.
    fn task(&self, id: &Identifier) -> Option<CompiledTask> {
        self.closure
            .tasks
            .iter()
            .find(|t| {
                t.template
                    .as_ref()
                    .and_then(|t| t.id.as_ref())
                    .is_some_and(|i| same_id(Some(i), id))
            })
            .cloned()
            .or_else(|| {
                self.db
                    .find_task(id)
                    .and_then(|t| t.value.closure.as_ref())
                    .and_then(|c| c.compiled_task.clone())
            })
    }

    /// Each declared output: the input of the same name when its type fits, else what a task
    /// would write for the type.
    fn echo(&mut self, interface: &TypedInterface, inputs: &LiteralMap) -> LiteralMap {
        let literals = declared_outputs(interface)
            .into_iter()
            .map(|(name, want)| {
                let value = match inputs.literals.get(&name) {
                    Some(lit) if castable(&type_of(lit), &want) => lit.clone(),
                    _ => self.sampler.value(&want, &name),
                };
                (name, value)
            })
            .collect();
        LiteralMap { literals }
    }

    /// An array node's outputs: each declared output (a collection type in the `-arraynode`
    /// task's interface) holds one value per element.
    fn array_outputs(&mut self, interface: &TypedInterface, size: usize) -> LiteralMap {
        use core::literal_type::Type as T;
        let literals = declared_outputs(interface)
            .into_iter()
            .map(|(name, want)| {
                let element = match &want.r#type {
                    Some(T::CollectionType(inner)) => (**inner).clone(),
                    _ => want,
                };
                let items = (0..size)
                    .map(|_| self.sampler.value(&element, &name))
                    .collect();
                let lit = Literal {
                    value: Some(literal::Value::Collection(LiteralCollection {
                        literals: items,
                    })),
                    ..Literal::default()
                };
                (name, lit)
            })
            .collect();
        LiteralMap { literals }
    }

    /// The workflow a dynamic task yields: one node per declared child task (`dn0`, `dn1`...),
    /// each given the dynamic task's input of the same name when its type fits.
    fn dynamic_workflow(
        &mut self,
        task: &Identifier,
        node_id: &str,
        interface: &TypedInterface,
        children: &[String],
    ) -> DynamicWorkflowNodeMetadata {
        let mut nodes = Vec::new();
        let mut tasks: Vec<CompiledTask> = Vec::new();
        for (i, name) in children.iter().enumerate() {
            let wanted = Identifier {
                name: name.clone(),
                ..task.clone()
            };
            let compiled = self.child_task(&wanted);
            let child_id = compiled
                .template
                .as_ref()
                .and_then(|t| t.id.clone())
                .unwrap_or(wanted);
            let child_interface = interface_of(Some(&compiled));
            // Each argument: the dynamic task's input of the same name and type, else a value
            // of the argument's type written into the workflow.
            let mut args: Vec<(String, core::LiteralType)> = child_interface
                .inputs
                .as_ref()
                .map(|v| {
                    v.variables
                        .iter()
                        .map(|(k, var)| (k.clone(), var.r#type.clone().unwrap_or_default()))
                        .collect()
                })
                .unwrap_or_default();
            args.sort_by(|a, b| a.0.cmp(&b.0));
            let own = interface.inputs.as_ref().map(|v| &v.variables);
            let inputs = args
                .into_iter()
                .map(|(var, want)| {
                    let passes = own
                        .and_then(|o| o.get(&var))
                        .and_then(|v| v.r#type.as_ref())
                        .is_some_and(|have| castable(have, &want));
                    let value = if passes {
                        binding_data::Value::Promise(core::OutputReference {
                            node_id: "start-node".to_owned(),
                            var: var.clone(),
                            ..core::OutputReference::default()
                        })
                    } else {
                        literal_binding(&self.sampler.value(&want, &var))
                    };
                    Binding {
                        var,
                        binding: Some(BindingData {
                            union: None,
                            value: Some(value),
                        }),
                    }
                })
                .collect();
            nodes.push(Node {
                id: format!("dn{i}"),
                inputs,
                target: Some(node::Target::TaskNode(core::TaskNode {
                    reference: Some(task_node::Reference::ReferenceId(child_id)),
                    overrides: None,
                })),
                ..Node::default()
            });
            if !tasks.iter().any(|t| t.template == compiled.template) {
                tasks.push(compiled);
            }
        }
        let id = Identifier {
            resource_type: ResourceType::Workflow as i32,
            name: format!("dynamic_{node_id}"),
            version: crate::executions::generate_name()[..10].to_owned(),
            ..task.clone()
        };
        let template = WorkflowTemplate {
            id: Some(id.clone()),
            interface: Some(interface.clone()),
            nodes,
            ..WorkflowTemplate::default()
        };
        let connections = crate::registry::connections(&template.nodes);
        DynamicWorkflowNodeMetadata {
            id: Some(id),
            compiled_workflow: Some(CompiledWorkflowClosure {
                primary: Some(CompiledWorkflow {
                    template: Some(template),
                    connections: Some(connections),
                }),
                sub_workflows: Vec::new(),
                tasks,
                launch_plans: Vec::new(),
            }),
            dynamic_job_spec_uri: String::new(),
        }
    }
}

impl Planner<'_> {
    /// A task a dynamic task calls: in the dynamic task's version, else the one registered
    /// last under that name in its project and domain (`pyflyte run` registers only what the
    /// workflow references, with a version of its own), else a Python task with no inputs or
    /// outputs (its template travels in the dynamic workflow, as flytekit sends it).
    fn child_task(&self, wanted: &Identifier) -> CompiledTask {
        self.task(wanted)
            .or_else(|| {
                self.db
                    .tasks
                    .iter()
                    .rev()
                    .map(|t| &t.value)
                    .find(|t| {
                        t.id.as_ref().is_some_and(|i| {
                            i.project == wanted.project
                                && i.domain == wanted.domain
                                && i.name == wanted.name
                        })
                    })
                    .and_then(|t| t.closure.as_ref())
                    .and_then(|c| c.compiled_task.clone())
            })
            .unwrap_or_else(|| CompiledTask {
                template: Some(core::TaskTemplate {
                    id: Some(wanted.clone()),
                    r#type: "python-task".to_owned(),
                    interface: Some(TypedInterface::default()),
                    ..core::TaskTemplate::default()
                }),
            })
    }
}

/// A literal written into a workflow as a binding.
fn literal_binding(lit: &Literal) -> binding_data::Value {
    let data = |l: &Literal| BindingData {
        union: None,
        value: Some(literal_binding(l)),
    };
    match &lit.value {
        Some(literal::Value::Collection(c)) => {
            binding_data::Value::Collection(core::BindingDataCollection {
                bindings: c.literals.iter().map(data).collect(),
            })
        }
        Some(literal::Value::Map(m)) => binding_data::Value::Map(core::BindingDataMap {
            bindings: m
                .literals
                .iter()
                .map(|(k, v)| (k.clone(), data(v)))
                .collect(),
        }),
        Some(literal::Value::Scalar(s)) => binding_data::Value::Scalar((**s).clone()),
        _ => binding_data::Value::Scalar(core::Scalar::default()),
    }
}

/// An interface's outputs with their types.
fn declared_outputs(interface: &TypedInterface) -> Vec<(String, core::LiteralType)> {
    interface
        .outputs
        .iter()
        .flat_map(|o| &o.variables)
        .map(|(name, var)| (name.clone(), var.r#type.clone().unwrap_or_default()))
        .collect()
}

fn interface_of(task: Option<&CompiledTask>) -> TypedInterface {
    task.and_then(|c| c.template.as_ref())
        .and_then(|t| t.interface.clone())
        .unwrap_or_default()
}

/// Nodes in an order where each comes after the nodes it reads from (the template's own order
/// where it allows; a cycle keeps the rest in template order).
fn in_order(nodes: &[Node]) -> Vec<&Node> {
    use std::collections::HashSet;
    let ids: HashSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    let needs: Vec<Vec<String>> = nodes
        .iter()
        .map(|n| {
            let mut deps: Vec<String> = n.upstream_node_ids.clone();
            for b in &n.inputs {
                if let Some(data) = &b.binding {
                    promises(data, &mut deps);
                }
            }
            deps.retain(|d| ids.contains(d.as_str()) && d != &n.id);
            deps
        })
        .collect();
    let mut done: HashSet<&str> = HashSet::new();
    let mut out: Vec<&Node> = Vec::with_capacity(nodes.len());
    while out.len() < nodes.len() {
        let ready = |i: &usize| {
            !done.contains(nodes[*i].id.as_str())
                && needs[*i].iter().all(|d| done.contains(d.as_str()))
        };
        let next = (0..nodes.len())
            .find(ready)
            .or_else(|| (0..nodes.len()).find(|i| !done.contains(nodes[*i].id.as_str())));
        let Some(i) = next else { break };
        done.insert(&nodes[i].id);
        out.push(&nodes[i]);
    }
    out
}

fn promises(data: &BindingData, out: &mut Vec<String>) {
    match &data.value {
        Some(binding_data::Value::Promise(p)) => out.push(p.node_id.clone()),
        Some(binding_data::Value::Collection(c)) => {
            c.bindings.iter().for_each(|b| promises(b, out));
        }
        Some(binding_data::Value::Map(m)) => m.bindings.values().for_each(|b| promises(b, out)),
        Some(binding_data::Value::Scalar(_)) | None => {}
    }
}

fn resolve_all(bindings: &[Binding], scope: &Scope) -> LiteralMap {
    LiteralMap {
        literals: bindings
            .iter()
            .map(|b| {
                let value = b
                    .binding
                    .as_ref()
                    .map(|d| resolve(d, scope))
                    .unwrap_or_default();
                (b.var.clone(), value)
            })
            .collect(),
    }
}

/// A binding's value: a literal, or an output of a node run before (`""` and `start-node` are
/// the workflow's inputs), wrapped in a union when the binding names its target type. An
/// attribute path into a dataclass output is not followed: the whole output stands in for it.
fn resolve(data: &BindingData, scope: &Scope) -> Literal {
    let value = resolve_value(data, scope);
    match data.union.as_ref().and_then(|u| u.target_type.clone()) {
        Some(target) => Literal {
            value: Some(literal::Value::Scalar(Box::new(core::Scalar {
                value: Some(scalar::Value::Union(Box::new(core::Union {
                    value: Some(Box::new(value)),
                    r#type: Some(target),
                }))),
            }))),
            ..Literal::default()
        },
        None => value,
    }
}

fn resolve_value(data: &BindingData, scope: &Scope) -> Literal {
    let lit = |value| Literal {
        value: Some(value),
        ..Literal::default()
    };
    match &data.value {
        Some(binding_data::Value::Scalar(s)) => lit(literal::Value::Scalar(Box::new(s.clone()))),
        Some(binding_data::Value::Collection(c)) => {
            lit(literal::Value::Collection(LiteralCollection {
                literals: c.bindings.iter().map(|b| resolve(b, scope)).collect(),
            }))
        }
        Some(binding_data::Value::Map(m)) => lit(literal::Value::Map(LiteralMap {
            literals: m
                .bindings
                .iter()
                .map(|(k, b)| (k.clone(), resolve(b, scope)))
                .collect(),
        })),
        Some(binding_data::Value::Promise(p)) => {
            let node = if p.node_id.is_empty() {
                "start-node"
            } else {
                p.node_id.as_str()
            };
            scope
                .get(node)
                .and_then(|outputs| outputs.literals.get(&p.var))
                .cloned()
                .unwrap_or_default()
        }
        None => Literal::default(),
    }
}

/// Whether a branch condition holds for the branch node's `inputs`; `None` when it cannot be
/// told (a variable missing, values of kinds that do not compare).
fn evaluate(expr: &BooleanExpression, inputs: &LiteralMap) -> Option<bool> {
    match &expr.expr {
        Some(boolean_expression::Expr::Conjunction(c)) => {
            let left = c.left_expression.as_ref().and_then(|e| evaluate(e, inputs));
            let right = c
                .right_expression
                .as_ref()
                .and_then(|e| evaluate(e, inputs));
            match conjunction_expression::LogicalOperator::try_from(c.operator).ok()? {
                conjunction_expression::LogicalOperator::And => match (left, right) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                },
                conjunction_expression::LogicalOperator::Or => match (left, right) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                },
            }
        }
        Some(boolean_expression::Expr::Comparison(c)) => {
            let left = value_of(c.left_value.as_ref()?, inputs)?;
            let right = value_of(c.right_value.as_ref()?, inputs)?;
            let ordering = compare(&left, &right)?;
            use comparison_expression::Operator as Op;
            use std::cmp::Ordering::*;
            Some(match Op::try_from(c.operator).ok()? {
                Op::Eq => ordering == Equal,
                Op::Neq => ordering != Equal,
                Op::Gt => ordering == Greater,
                Op::Gte => ordering != Less,
                Op::Lt => ordering == Less,
                Op::Lte => ordering != Greater,
            })
        }
        None => None,
    }
}

fn value_of(op: &core::Operand, inputs: &LiteralMap) -> Option<primitive::Value> {
    let from_scalar = |s: &core::Scalar| match &s.value {
        Some(scalar::Value::Primitive(p)) => p.value.clone(),
        _ => None,
    };
    match op.val.as_ref()? {
        operand::Val::Primitive(p) => p.value.clone(),
        operand::Val::Scalar(s) => from_scalar(s),
        operand::Val::Var(name) => {
            let mut lit = inputs.literals.get(name)?;
            loop {
                match &lit.value {
                    Some(literal::Value::Scalar(s)) => match &s.value {
                        Some(scalar::Value::Union(u)) => lit = u.value.as_deref()?,
                        _ => return from_scalar(s),
                    },
                    _ => return None,
                }
            }
        }
    }
}

fn compare(a: &primitive::Value, b: &primitive::Value) -> Option<std::cmp::Ordering> {
    use primitive::Value as V;
    match (a, b) {
        (V::Integer(x), V::Integer(y)) => Some(x.cmp(y)),
        (V::FloatValue(x), V::FloatValue(y)) => x.partial_cmp(y),
        (V::Integer(x), V::FloatValue(y)) => (*x as f64).partial_cmp(y),
        (V::FloatValue(x), V::Integer(y)) => x.partial_cmp(&(*y as f64)),
        (V::StringValue(x), V::StringValue(y)) => Some(x.cmp(y)),
        (V::Boolean(x), V::Boolean(y)) => Some(x.cmp(y)),
        (V::Datetime(x), V::Datetime(y)) => Some((x.seconds, x.nanos).cmp(&(y.seconds, y.nanos))),
        (V::Duration(x), V::Duration(y)) => Some((x.seconds, x.nanos).cmp(&(y.seconds, y.nanos))),
        _ => None,
    }
}

/// A node execution's id as propeller makes it: `<parent>-0-<id>` for a child (attempt 0), the
/// id itself at the top; over 20 characters, `f` and the base-32 FNV-1a hash of it.
pub(super) fn unique_id(parent: Option<&str>, spec_id: &str) -> String {
    let joined = match parent {
        Some(p) if !p.is_empty() => format!("{p}-0-{spec_id}"),
        _ => spec_id.to_owned(),
    };
    fixed_length(joined, 20, |s| fnv1a32(s).to_be_bytes().to_vec())
}

/// The name propeller gives a launch-plan node's child execution: the parent execution's name,
/// the node's id and its attempt, hashed (64-bit FNV-1a) when longer than 20 characters.
pub(super) fn child_execution_name(parent_execution: &str, node_id: &str) -> String {
    fixed_length(format!("{parent_execution}-{node_id}-0"), 20, |s| {
        fnv1a64(s).to_be_bytes().to_vec()
    })
}

/// `joined`, or `f` and its 32-bit hash when longer than `max` characters.
pub(crate) fn fixed_length_id(joined: &str, max: usize) -> String {
    fixed_length(joined.to_owned(), max, |s| {
        fnv1a32(s).to_be_bytes().to_vec()
    })
}

fn fixed_length(joined: String, max: usize, hash: impl Fn(&str) -> Vec<u8>) -> String {
    if joined.len() <= max {
        return joined;
    }
    format!("f{}", base32_lower(&hash(&joined)))
}

fn fnv1a32(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5, |h: u32, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn fnv1a64(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h: u64, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Base 32 without padding in propeller's alphabet (RFC 4648's, lower case, digits 1-6).
fn base32_lower(bytes: &[u8]) -> String {
    static ENCODING: std::sync::LazyLock<data_encoding::Encoding> =
        std::sync::LazyLock::new(|| {
            let mut spec = data_encoding::Specification::new();
            spec.symbols.push_str("abcdefghijklmnopqrstuvwxyz123456");
            // A constant, valid specification (32 distinct symbols); the tests encode with it.
            spec.encoding()
                .unwrap_or_else(|_| data_encoding::BASE32_NOPAD.clone())
        });
    ENCODING.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_as_propeller_makes_them() {
        assert_eq!(unique_id(None, "n0"), "n0");
        assert_eq!(unique_id(Some("n1"), "n0"), "n1-0-n0");
        assert_eq!(unique_id(Some("n0-0-dn0"), "n1"), "n0-0-dn0-0-n1");
        // Over 20 characters: hashed (values from propeller's encoder).
        assert_eq!(unique_id(None, "workflowsexamplesayhello"), "ffgrb3ka");
        assert_eq!(
            child_execution_name("abcd1234efgh5678ijkl", "n2"),
            "flteomtpj3xoe1"
        );
        assert_eq!(child_execution_name("abc", "n2"), "abc-n2-0");
    }

    #[test]
    fn nodes_run_after_what_they_read_and_duplicates_end_the_walk() {
        let node = |id: &str, upstream: &[&str]| Node {
            id: id.to_owned(),
            upstream_node_ids: upstream.iter().map(|u| (*u).to_owned()).collect(),
            ..Node::default()
        };
        let nodes = [node("n2", &["n1"]), node("n1", &["n0"]), node("n0", &[])];
        let order: Vec<&str> = in_order(&nodes).iter().map(|n| n.id.as_str()).collect();
        assert_eq!(order, ["n0", "n1", "n2"]);
        // A cycle keeps template order; a repeated id is walked once.
        let nodes = [node("a", &["b"]), node("b", &["a"]), node("a", &[])];
        let order: Vec<&str> = in_order(&nodes).iter().map(|n| n.id.as_str()).collect();
        assert_eq!(order, ["a", "b"]);
    }
}
