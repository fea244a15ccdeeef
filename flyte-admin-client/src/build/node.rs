//! Workflow nodes and what feeds them: sources of values and branch conditions.

use flyteidl::flyteidl::core;
use serde_json::Value as Json;

use super::ContainerTask;

/// Where a node input, a branch operand or a workflow output comes from.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Source {
    /// A workflow input.
    Input(String),
    /// An output of another node ([`Source::output`] builds it).
    #[non_exhaustive]
    Output {
        /// The node.
        node: String,
        /// Its output.
        var: String,
    },
    /// A constant, as JSON, typed by what receives it.
    Value(Json),
}

impl Source {
    /// Workflow input `name`.
    pub fn input(name: impl Into<String>) -> Self {
        Source::Input(name.into())
    }
    /// Output `var` of node `node`.
    pub fn output(node: impl Into<String>, var: impl Into<String>) -> Self {
        Source::Output {
            node: node.into(),
            var: var.into(),
        }
    }
    /// A constant.
    pub fn value(v: impl Into<Json>) -> Self {
        Source::Value(v.into())
    }
}

/// A comparison operator of a branch condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compare {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

/// A branch condition.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Condition {
    /// `left OP right`; each side a workflow input, a node output or a constant (a primitive).
    Compare(Source, Compare, Source),
    /// Both.
    And(Box<Condition>, Box<Condition>),
    /// Either.
    Or(Box<Condition>, Box<Condition>),
}

impl Condition {
    /// `left OP right`.
    pub fn compare(left: Source, op: Compare, right: Source) -> Self {
        Condition::Compare(left, op, right)
    }
    /// This and `other`.
    pub fn and(self, other: Condition) -> Self {
        Condition::And(Box::new(self), Box::new(other))
    }
    /// This or `other`.
    pub fn or(self, other: Condition) -> Self {
        Condition::Or(Box::new(self), Box::new(other))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Target {
    /// A task, by name (built with the package: its interface is known).
    Task {
        name: String,
        interface: core::TypedInterface,
        local: bool,
    },
    /// A launch plan, run as a child execution.
    LaunchPlan {
        name: String,
        interface: core::TypedInterface,
    },
    /// The first case whose condition holds runs its node.
    Branch {
        cases: Vec<(Condition, Node)>,
        otherwise: Option<Box<Node>>,
    },
}

/// A workflow node.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct Node {
    pub(super) id: String,
    pub(super) target: Target,
    pub(super) bindings: Vec<(String, Source)>,
}

impl Node {
    fn with_target(id: impl Into<String>, target: Target) -> Self {
        Node {
            id: id.into(),
            target,
            bindings: Vec::new(),
        }
    }

    /// Runs `task`, which must be in the package before the workflow.
    pub fn task(id: impl Into<String>, task: &ContainerTask) -> Self {
        Node::with_target(
            id,
            Target::Task {
                name: task.name().to_owned(),
                interface: task.interface(),
                local: true,
            },
        )
    }
    /// Runs a task already registered, by name and interface (its version is the package's).
    pub fn task_ref(
        id: impl Into<String>,
        name: impl Into<String>,
        interface: core::TypedInterface,
    ) -> Self {
        Node::with_target(
            id,
            Target::Task {
                name: name.into(),
                interface,
                local: false,
            },
        )
    }
    /// Runs a launch plan as a child execution, by name and its workflow's interface.
    pub fn launch_plan(
        id: impl Into<String>,
        name: impl Into<String>,
        interface: core::TypedInterface,
    ) -> Self {
        Node::with_target(
            id,
            Target::LaunchPlan {
                name: name.into(),
                interface,
            },
        )
    }
    /// A branch: the first case whose condition holds runs its node, else `otherwise`, else
    /// the execution fails. Every case's node must have the same outputs; they are the
    /// branch's.
    pub fn branch(
        id: impl Into<String>,
        cases: Vec<(Condition, Node)>,
        otherwise: Option<Node>,
    ) -> Self {
        Node::with_target(
            id,
            Target::Branch {
                cases,
                otherwise: otherwise.map(Box::new),
            },
        )
    }
    /// Binds input `var` of the node's task or launch plan.
    pub fn bind(mut self, var: impl Into<String>, source: Source) -> Self {
        self.bindings.push((var.into(), source));
        self
    }

    /// The node's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}
