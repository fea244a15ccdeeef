//! Workflows: inputs, nodes wired from them and from each other, outputs; checked and
//! compiled into the spec FlyteAdmin takes.

use std::collections::{BTreeMap, HashMap, HashSet};

use flyteidl::flyteidl::admin;
use flyteidl::flyteidl::core::{self, literal_type, LiteralType, ResourceType};
use serde_json::Value as Json;

use super::node::Target;
use super::{
    check_names, fail, id, interface, same_type, type_name, types, BuildError, Compare, Condition,
    Node, Source,
};
use crate::literals::LiteralError;

/// A workflow: inputs, nodes wired from them and from each other, outputs.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct Workflow {
    name: String,
    inputs: Vec<(String, LiteralType)>,
    nodes: Vec<Node>,
    outputs: Vec<(String, Source)>,
}

/// What the checks know while building a workflow: the types of inputs and node outputs.
struct Scope<'a> {
    entity: String,
    inputs: HashMap<&'a str, &'a LiteralType>,
    outputs: HashMap<String, HashMap<String, LiteralType>>,
}

impl Scope<'_> {
    /// An error at `at` (a node, an input, an output) of this workflow.
    fn err(&self, at: &str, message: impl Into<String>) -> BuildError {
        BuildError::new(format!("{} {at}", self.entity), message)
    }

    /// A constant at `at` that does not fit its type.
    fn literal_err(&self, at: &str, e: LiteralError) -> BuildError {
        BuildError::literal(format!("{} {at}", self.entity), e)
    }

    /// The type of a source; `want` types a constant.
    fn type_of(
        &self,
        at: &str,
        s: &Source,
        want: Option<&LiteralType>,
    ) -> Result<LiteralType, BuildError> {
        match s {
            Source::Input(name) => self
                .inputs
                .get(name.as_str())
                .map(|t| (*t).clone())
                .ok_or_else(|| self.err(at, format!("no workflow input {name:?}"))),
            Source::Output { node, var } => {
                let outs = self
                    .outputs
                    .get(node)
                    .ok_or_else(|| self.err(at, format!("no node {node:?}")))?;
                outs.get(var)
                    .cloned()
                    .ok_or_else(|| self.err(at, format!("node {node:?} has no output {var:?}")))
            }
            Source::Value(v) => match want {
                Some(t) => {
                    crate::literals::json_to_literal(v, t, at)
                        .map_err(|e| self.literal_err(at, e))?;
                    Ok(t.clone())
                }
                None => Ok(primitive_type(v).ok_or_else(|| {
                    self.err(
                        at,
                        format!("a constant operand must be a number, string or boolean, not {v}"),
                    )
                })?),
            },
        }
    }

    /// The binding of a source into a variable of type `ty`.
    fn binding(
        &self,
        at: &str,
        s: &Source,
        ty: &LiteralType,
    ) -> Result<core::BindingData, BuildError> {
        let (node, var) = match s {
            Source::Input(name) => ("start-node", name.as_str()),
            Source::Output { node, var } => (node.as_str(), var.as_str()),
            // A constant is typed by converting it, once.
            Source::Value(v) => {
                let lit = crate::literals::json_to_literal(v, ty, at)
                    .map_err(|e| self.literal_err(at, e))?;
                return Ok(literal_binding(lit));
            }
        };
        let got = self.type_of(at, s, Some(ty))?;
        if !same_type(&got, ty) {
            return Err(self.err(
                at,
                format!(
                    "expects {}, but {} is {}",
                    type_name(ty),
                    describe(s),
                    type_name(&got)
                ),
            ));
        }
        Ok(promise(node, var))
    }
}

fn describe(s: &Source) -> String {
    match s {
        Source::Input(n) => format!("workflow input {n:?}"),
        Source::Output { node, var } => format!("output {var:?} of node {node:?}"),
        Source::Value(v) => format!("the constant {v}"),
    }
}

fn primitive_type(v: &Json) -> Option<LiteralType> {
    match v {
        Json::Bool(_) => Some(types::boolean()),
        Json::Number(n) if n.is_i64() || n.is_u64() => Some(types::integer()),
        Json::Number(_) => Some(types::float()),
        Json::String(_) => Some(types::string()),
        _ => None,
    }
}

fn promise(node: &str, var: &str) -> core::BindingData {
    core::BindingData {
        value: Some(core::binding_data::Value::Promise(core::OutputReference {
            node_id: node.to_owned(),
            var: var.to_owned(),
            attr_path: Vec::new(),
        })),
        union: None,
    }
}

fn literal_binding(lit: core::Literal) -> core::BindingData {
    use core::binding_data::Value as B;
    let value = match lit.value {
        Some(core::literal::Value::Scalar(s)) => B::Scalar(*s),
        Some(core::literal::Value::Collection(c)) => B::Collection(core::BindingDataCollection {
            bindings: c.literals.into_iter().map(literal_binding).collect(),
        }),
        Some(core::literal::Value::Map(m)) => B::Map(core::BindingDataMap {
            bindings: m
                .literals
                .into_iter()
                .map(|(k, v)| (k, literal_binding(v)))
                .collect(),
        }),
        None => B::Scalar(core::Scalar::default()),
    };
    core::BindingData {
        value: Some(value),
        union: None,
    }
}

fn outputs_of(i: &core::TypedInterface) -> HashMap<String, LiteralType> {
    i.outputs
        .iter()
        .flat_map(|o| &o.variables)
        .filter_map(|(k, v)| Some((k.clone(), v.r#type.clone()?)))
        .collect()
}

pub(super) fn inputs_of(i: &core::TypedInterface) -> BTreeMap<String, LiteralType> {
    i.inputs
        .iter()
        .flat_map(|o| &o.variables)
        .filter_map(|(k, v)| Some((k.clone(), v.r#type.clone()?)))
        .collect()
}

/// The nodes a source needs first.
fn upstream(s: &Source, out: &mut Vec<String>) {
    if let Source::Output { node, .. } = s {
        out.push(node.clone());
    }
}

fn condition_upstream(c: &Condition, out: &mut Vec<String>) {
    match c {
        Condition::Compare(l, _, r) => {
            upstream(l, out);
            upstream(r, out);
        }
        Condition::And(a, b) | Condition::Or(a, b) => {
            condition_upstream(a, out);
            condition_upstream(b, out);
        }
    }
}

impl Workflow {
    /// A workflow `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Workflow {
            name: name.into(),
            inputs: Vec::new(),
            nodes: Vec::new(),
            outputs: Vec::new(),
        }
    }
    /// An input.
    pub fn input(mut self, name: impl Into<String>, ty: LiteralType) -> Self {
        self.inputs.push((name.into(), ty));
        self
    }
    /// A node.
    pub fn node(mut self, node: Node) -> Self {
        self.nodes.push(node);
        self
    }
    /// An output and where it comes from.
    pub fn output(mut self, name: impl Into<String>, source: Source) -> Self {
        self.outputs.push((name.into(), source));
        self
    }

    /// The workflow's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tasks its nodes run that were built with it (for `Package::add_workflow`).
    pub(crate) fn local_tasks(&self) -> Vec<(&str, &str)> {
        fn walk<'a>(n: &'a Node, out: &mut Vec<(&'a str, &'a str)>) {
            match &n.target {
                Target::Task {
                    name, local: true, ..
                } => out.push((n.id.as_str(), name.as_str())),
                Target::Branch { cases, otherwise } => {
                    for (_, c) in cases {
                        walk(c, out);
                    }
                    if let Some(o) = otherwise {
                        walk(o, out);
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        for n in &self.nodes {
            walk(n, &mut out);
        }
        out
    }

    /// Its interface: inputs as declared, outputs typed by their sources.
    ///
    /// # Errors
    /// As [`Workflow::spec`].
    pub fn interface(&self) -> Result<core::TypedInterface, BuildError> {
        self.spec()?
            .template
            .and_then(|t| t.interface)
            .ok_or_else(|| BuildError::new(format!("workflow {}", self.name), "no interface"))
    }

    /// The outputs a node offers, and the checked node.
    fn build_node(
        &self,
        scope: &Scope<'_>,
        n: &Node,
    ) -> Result<(core::Node, HashMap<String, LiteralType>), BuildError> {
        let at = format!("node {}", n.id);
        let entity = format!("{} {at}", scope.entity);
        let mut deps = Vec::new();
        let (target, iface_inputs, outputs, mut extra_inputs) = match &n.target {
            Target::Task {
                name, interface, ..
            } => (
                core::node::Target::TaskNode(core::TaskNode {
                    reference: Some(core::task_node::Reference::ReferenceId(id(
                        ResourceType::Task,
                        name,
                    ))),
                    overrides: None,
                }),
                inputs_of(interface),
                outputs_of(interface),
                Vec::new(),
            ),
            Target::LaunchPlan { name, interface } => (
                core::node::Target::WorkflowNode(core::WorkflowNode {
                    reference: Some(core::workflow_node::Reference::LaunchplanRef(id(
                        ResourceType::LaunchPlan,
                        name,
                    ))),
                }),
                inputs_of(interface),
                outputs_of(interface),
                Vec::new(),
            ),
            Target::Branch { cases, otherwise } => {
                if cases.is_empty() {
                    return fail(&entity, "a branch needs at least one case");
                }
                let mut operands: Vec<core::Binding> = Vec::new();
                let mut then_outputs: Option<HashMap<String, LiteralType>> = None;
                let mut blocks = Vec::new();
                let mut then_nodes = Vec::new();
                for (cond, node) in cases {
                    let expr = self.condition(scope, &at, cond, &mut operands)?;
                    condition_upstream(cond, &mut deps);
                    let (built, outs) = self.build_node(scope, node)?;
                    match &then_outputs {
                        None => then_outputs = Some(outs),
                        Some(first) if *first != outs => {
                            return fail(
                                &entity,
                                format!(
                                    "case node {} has other outputs than the first case",
                                    node.id
                                ),
                            );
                        }
                        Some(_) => {}
                    }
                    deps.extend(built.upstream_node_ids.iter().cloned());
                    then_nodes.push(built.clone());
                    blocks.push(core::IfBlock {
                        condition: Some(expr),
                        then_node: Some(Box::new(built)),
                    });
                }
                let default = match otherwise {
                    Some(o) => {
                        let (built, outs) = self.build_node(scope, o)?;
                        if Some(&outs) != then_outputs.as_ref() {
                            return fail(
                                &entity,
                                format!("otherwise node {} has other outputs than the cases", o.id),
                            );
                        }
                        deps.extend(built.upstream_node_ids.iter().cloned());
                        Some(core::if_else_block::Default::ElseNode(Box::new(built)))
                    }
                    None => Some(core::if_else_block::Default::Error(core::Error {
                        failed_node_id: n.id.clone(),
                        message: format!("no case of branch {} matched", n.id),
                    })),
                };
                let mut blocks = blocks.into_iter();
                let case = blocks.next().map(Box::new);
                let target = core::node::Target::BranchNode(Box::new(core::BranchNode {
                    if_else: Some(Box::new(core::IfElseBlock {
                        case,
                        other: blocks.collect(),
                        default,
                    })),
                }));
                (
                    target,
                    BTreeMap::new(),
                    then_outputs.unwrap_or_default(),
                    operands,
                )
            }
        };
        if !matches!(n.target, Target::Branch { .. }) {
            let mut bound = HashSet::new();
            for (var, _) in &n.bindings {
                if !iface_inputs.contains_key(var) {
                    return fail(
                        &entity,
                        format!(
                            "binds {var:?}, which is not one of its inputs ({})",
                            iface_inputs.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
                if !bound.insert(var) {
                    return fail(&entity, format!("binds {var:?} twice"));
                }
            }
            for var in iface_inputs.keys() {
                if !bound.contains(var) {
                    return fail(&entity, format!("input {var:?} is not bound"));
                }
            }
        } else if !n.bindings.is_empty() {
            return fail(
                &entity,
                "a branch takes no bindings; bind the nodes of its cases",
            );
        }
        let mut inputs = Vec::new();
        for (var, source) in &n.bindings {
            let ty = &iface_inputs[var];
            inputs.push(core::Binding {
                var: var.clone(),
                binding: Some(scope.binding(&format!("{at} input {var}"), source, ty)?),
            });
            upstream(source, &mut deps);
        }
        inputs.append(&mut extra_inputs);
        deps.sort();
        deps.dedup();
        deps.retain(|d| d != &n.id);
        Ok((
            core::Node {
                id: n.id.clone(),
                metadata: Some(core::NodeMetadata {
                    name: n.id.clone(),
                    ..Default::default()
                }),
                inputs,
                upstream_node_ids: deps,
                target: Some(target),
                ..Default::default()
            },
            outputs,
        ))
    }

    /// A condition as a boolean expression; operands that are not constants become inputs of
    /// the branch node (`.0`, `.1`, ...), as pyflyte names them `.x`.
    fn condition(
        &self,
        scope: &Scope<'_>,
        at: &str,
        c: &Condition,
        operands: &mut Vec<core::Binding>,
    ) -> Result<core::BooleanExpression, BuildError> {
        use core::boolean_expression::Expr;
        use core::comparison_expression::Operator as Op;
        Ok(core::BooleanExpression {
            expr: Some(match c {
                Condition::Compare(l, op, r) => {
                    let lt = scope.type_of(at, l, None)?;
                    let rt = scope.type_of(at, r, None)?;
                    if !same_type(&lt, &rt) {
                        return Err(scope.err(
                            at,
                            format!(
                                "compares {} ({}) with {} ({})",
                                describe(l),
                                type_name(&lt),
                                describe(r),
                                type_name(&rt)
                            ),
                        ));
                    }
                    if !matches!(lt.r#type, Some(literal_type::Type::Simple(_))) {
                        return Err(scope.err(
                            at,
                            format!(
                                "{} is {}: conditions compare primitives",
                                describe(l),
                                type_name(&lt)
                            ),
                        ));
                    }
                    let mut operand = |s: &Source,
                                       ty: &LiteralType|
                     -> Result<core::Operand, BuildError> {
                        use core::operand::Val;
                        Ok(core::Operand {
                            val: Some(match s {
                                Source::Value(v) => {
                                    let lit = crate::literals::json_to_literal(v, ty, at)
                                        .map_err(|e| scope.literal_err(at, e))?;
                                    let primitive = match lit.value {
                                        Some(core::literal::Value::Scalar(s)) => s.value,
                                        _ => None,
                                    };
                                    let Some(core::scalar::Value::Primitive(p)) = primitive else {
                                        return Err(
                                            scope.err(at, "a constant operand must be a primitive")
                                        );
                                    };
                                    Val::Primitive(p)
                                }
                                other => {
                                    let var = format!(".{}", operands.len());
                                    operands.push(core::Binding {
                                        var: var.clone(),
                                        binding: Some(scope.binding(at, other, ty)?),
                                    });
                                    Val::Var(var)
                                }
                            }),
                        })
                    };
                    let left = operand(l, &lt)?;
                    let right = operand(r, &rt)?;
                    Expr::Comparison(core::ComparisonExpression {
                        operator: match op {
                            Compare::Eq => Op::Eq,
                            Compare::Ne => Op::Neq,
                            Compare::Gt => Op::Gt,
                            Compare::Gte => Op::Gte,
                            Compare::Lt => Op::Lt,
                            Compare::Lte => Op::Lte,
                        } as i32,
                        left_value: Some(left),
                        right_value: Some(right),
                    })
                }
                Condition::And(a, b) | Condition::Or(a, b) => {
                    let op = if matches!(c, Condition::And(..)) {
                        core::conjunction_expression::LogicalOperator::And
                    } else {
                        core::conjunction_expression::LogicalOperator::Or
                    };
                    Expr::Conjunction(Box::new(core::ConjunctionExpression {
                        operator: op as i32,
                        left_expression: Some(Box::new(self.condition(scope, at, a, operands)?)),
                        right_expression: Some(Box::new(self.condition(scope, at, b, operands)?)),
                    }))
                }
            }),
        })
    }

    /// The workflow as FlyteAdmin takes it.
    ///
    /// # Errors
    /// Bad names, duplicate or reserved node ids, unbound or unknown inputs, type mismatches,
    /// references to unknown nodes or outputs, and cycles; each error names the node.
    pub fn spec(&self) -> Result<admin::WorkflowSpec, BuildError> {
        let entity = format!("workflow {}", self.name);
        if self.name.trim().is_empty() {
            return fail("workflow", "no name");
        }
        check_names(&entity, "input", &self.inputs)?;
        let out_names: Vec<(String, LiteralType)> = self
            .outputs
            .iter()
            .map(|(n, _)| (n.clone(), types::string()))
            .collect();
        check_names(&entity, "output", &out_names)?;
        let mut seen = HashSet::new();
        for n in &self.nodes {
            if n.id.is_empty() || n.id == "start-node" || n.id == "end-node" {
                return fail(&entity, format!("node id {:?} is empty or reserved", n.id));
            }
            if !seen.insert(n.id.as_str()) {
                return fail(&entity, format!("node id {:?} is used twice", n.id));
            }
        }
        // Node outputs are typed in dependency order; a node that needs one not yet typed waits.
        let mut scope = Scope {
            entity: entity.clone(),
            inputs: self.inputs.iter().map(|(n, t)| (n.as_str(), t)).collect(),
            outputs: HashMap::new(),
        };
        let mut built: HashMap<&str, core::Node> = HashMap::new();
        let mut pending: Vec<&Node> = self.nodes.iter().collect();
        while !pending.is_empty() {
            let before = pending.len();
            let mut waiting = Vec::new();
            for n in pending {
                let mut needs = Vec::new();
                for (_, s) in &n.bindings {
                    upstream(s, &mut needs);
                }
                if let Target::Branch { cases, otherwise } = &n.target {
                    for (c, node) in cases {
                        condition_upstream(c, &mut needs);
                        for (_, s) in &node.bindings {
                            upstream(s, &mut needs);
                        }
                    }
                    for (_, s) in otherwise.iter().flat_map(|o| &o.bindings) {
                        upstream(s, &mut needs);
                    }
                }
                let ready = needs
                    .iter()
                    .all(|d| scope.outputs.contains_key(d) || !seen.contains(d.as_str()));
                if ready {
                    let (node, outs) = self.build_node(&scope, n)?;
                    scope.outputs.insert(n.id.clone(), outs);
                    built.insert(n.id.as_str(), node);
                } else {
                    waiting.push(n);
                }
            }
            if waiting.len() == before {
                let names: Vec<&str> = waiting.iter().map(|n| n.id.as_str()).collect();
                return fail(
                    &entity,
                    format!("nodes {} depend on each other in a cycle", names.join(", ")),
                );
            }
            pending = waiting;
        }
        let mut outputs = Vec::new();
        let mut output_types = Vec::new();
        for (name, source) in &self.outputs {
            let ty = scope.type_of(&format!("output {name}"), source, None)?;
            outputs.push(core::Binding {
                var: name.clone(),
                binding: Some(scope.binding(&format!("output {name}"), source, &ty)?),
            });
            output_types.push((name.clone(), ty));
        }
        let nodes = self
            .nodes
            .iter()
            .filter_map(|n| built.remove(n.id.as_str()))
            .collect();
        Ok(admin::WorkflowSpec {
            template: Some(core::WorkflowTemplate {
                id: Some(id(ResourceType::Workflow, &self.name)),
                metadata: Some(core::WorkflowMetadata::default()),
                interface: Some(interface(&self.inputs, &output_types)),
                nodes,
                outputs,
                metadata_defaults: Some(core::WorkflowMetadataDefaults::default()),
                ..Default::default()
            }),
            sub_workflows: Vec::new(),
            description: None,
        })
    }
}
