//! Tasks, workflows and launch plans built in Rust, checked before anything is sent, and
//! registered like any package (or written as a pyflyte-compatible archive for flytectl).
//!
//! ```
//! use flyte_admin_client::build::{types, ContainerTask, LaunchPlan, Node, Source, Workflow};
//! use flyte_admin_client::register::Package;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let greet = ContainerTask::new("team.greet", "alpine:3.20")
//!     .command(["sh", "-c", "printf 'hello %s' \"$(cat /var/inputs/name)\" > /var/outputs/greeting"])
//!     .input("name", types::string())
//!     .output("greeting", types::string())
//!     .retries(2);
//! let wf = Workflow::new("team.hello")
//!     .input("name", types::string())
//!     .node(Node::task("greet", &greet).bind("name", Source::input("name")))
//!     .output("greeting", Source::output("greet", "greeting"));
//! let lp = LaunchPlan::new("team.hello.daily", &wf)
//!     .default_input("name", serde_json::json!("world"))
//!     .cron("0 6 * * *");
//! let mut package = Package::default();
//! package.add_task(&greet)?;
//! package.add_workflow(&wf)?;
//! package.add_launch_plan(&lp)?;
//! # Ok(()) }
//! ```
//!
//! Tasks are raw containers: Flyte writes each input to `/var/inputs/NAME` and reads each output
//! from `/var/outputs/NAME`. Identifiers carry only names; project, domain and version are
//! filled in at registration, as for pyflyte packages.

use std::collections::HashSet;

use flyteidl::flyteidl::core::{self, literal_type, Identifier, LiteralType, ResourceType};

use crate::literals::LiteralError;

mod launch_plan;
mod node;
mod pod;
mod task;
pub mod types;
mod workflow;

pub use launch_plan::{LaunchPlan, Notify, RateUnit, Schedule};
pub use node::{Compare, Condition, Node, Source};
pub use pod::PodTemplate;
pub use task::{ContainerTask, Resources};
pub use workflow::Workflow;

/// Why an entity cannot be built: which one, where in it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{entity}: {message}")]
#[non_exhaustive]
pub struct BuildError {
    /// The entity (`workflow team.hello`), and the node when it is one (`... node greet`).
    pub entity: String,
    /// What is wrong.
    pub message: String,
    /// The conversion's error, when a value does not fit its type.
    source: Option<LiteralError>,
}

impl BuildError {
    pub(crate) fn new(entity: impl Into<String>, message: impl Into<String>) -> Self {
        BuildError {
            entity: entity.into(),
            message: message.into(),
            source: None,
        }
    }

    /// A value that does not fit its type: the conversion's message, and its error as the
    /// source.
    pub(crate) fn literal(entity: impl Into<String>, e: LiteralError) -> Self {
        BuildError {
            entity: entity.into(),
            message: e.to_string(),
            source: Some(e),
        }
    }
}

pub(crate) fn fail<T>(entity: &str, message: impl Into<String>) -> Result<T, BuildError> {
    Err(BuildError::new(entity, message))
}

fn id(rt: ResourceType, name: &str) -> Identifier {
    Identifier {
        resource_type: rt as i32,
        name: name.to_owned(),
        ..Default::default()
    }
}

fn variables(vars: &[(String, LiteralType)]) -> core::VariableMap {
    core::VariableMap {
        variables: vars
            .iter()
            .map(|(n, t)| {
                (
                    n.clone(),
                    core::Variable {
                        r#type: Some(t.clone()),
                        description: String::new(),
                        ..Default::default()
                    },
                )
            })
            .collect(),
    }
}

fn interface(
    inputs: &[(String, LiteralType)],
    outputs: &[(String, LiteralType)],
) -> core::TypedInterface {
    core::TypedInterface {
        inputs: Some(variables(inputs)),
        outputs: Some(variables(outputs)),
    }
}

/// Variable names: non-empty, unique, shell- and path-safe (they become file names).
fn check_names(entity: &str, what: &str, vars: &[(String, LiteralType)]) -> Result<(), BuildError> {
    let mut seen = HashSet::new();
    for (name, _) in vars {
        if name.is_empty()
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || name.starts_with(|c: char| c.is_ascii_digit())
        {
            return fail(
                entity,
                format!("{what} {name:?}: use letters, digits and _ (not first a digit)"),
            );
        }
        if !seen.insert(name) {
            return fail(entity, format!("{what} {name:?} is declared twice"));
        }
    }
    Ok(())
}

fn same_type(a: &LiteralType, b: &LiteralType) -> bool {
    a.r#type == b.r#type
}

fn type_name(t: &LiteralType) -> String {
    use literal_type::Type as T;
    match &t.r#type {
        Some(T::Simple(s)) => core::SimpleType::try_from(*s)
            .map(|s| s.as_str_name().to_ascii_lowercase())
            .unwrap_or_else(|_| format!("simple type {s}")),
        Some(T::CollectionType(i)) => format!("list of {}", type_name(i)),
        Some(T::MapValueType(v)) => format!("map of {}", type_name(v)),
        Some(_) => "a complex type".to_owned(),
        None => "no type".to_owned(),
    }
}
