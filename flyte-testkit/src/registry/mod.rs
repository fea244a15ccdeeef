//! Projects, tasks, workflows, launch plans, named entities and description entities, validated
//! and compiled as FlyteAdmin does.
//!
//! One file per noun: [`projects`], [`tasks`], [`workflows`] (reference checks and the compiled
//! closure), [`launch_plans`] (expected inputs and activation), [`named_entities`] and
//! [`descriptions`]. What they share lives here: the "different structure" error, the named
//! entity every registration creates, and the scope of a list request.

use flyteidl::flyteidl::admin::{DescriptionEntity, NamedEntityIdentifier};
use flyteidl::flyteidl::core::{Identifier, ResourceType};

use crate::db::Db;
use crate::errors::{invalid, missing, Result};

mod bindings;
mod descriptions;
mod launch_plans;
mod named_entities;
mod projects;
mod tasks;
mod workflows;

pub(crate) use descriptions::{DescriptionRow, DESCRIPTION_SCHEMA};
pub(crate) use launch_plans::{is_active, validate_literal_map, LaunchPlanRow, LAUNCH_PLAN_SCHEMA};
pub(crate) use named_entities::{NamedRow, NAMED_ENTITY_SCHEMA};
pub(crate) use tasks::{TaskRow, TASK_SCHEMA};
pub(crate) use workflows::connections;
pub(crate) use workflows::{WorkflowRow, WORKFLOW_SCHEMA};

/// The error for re-registering an id with a different spec, with a short account of what differs.
fn different_structure(kind: &str, name: &str, old: &str, new: &str) -> tonic::Status {
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let mut diff = Vec::new();
    for (i, line) in new_lines.iter().enumerate() {
        if old_lines.get(i) != Some(line) {
            if let Some(o) = old_lines.get(i) {
                diff.push(format!("- {}", o.trim()));
            }
            diff.push(format!("+ {}", line.trim()));
        }
        if diff.len() > 40 {
            break;
        }
    }
    invalid(format!(
        "{name} {kind} with different structure already exists. (Please register a new version of the {kind}):\n{}",
        diff.join("\n")
    ))
}

fn short_description(spec_description: Option<&DescriptionEntity>) -> String {
    spec_description
        .map(|d| d.short_description.clone())
        .unwrap_or_default()
}

impl Db {
    fn ensure_named(&mut self, t: ResourceType, id: &Identifier) {
        self.named
            .entry((
                t as i32,
                id.project.clone(),
                id.domain.clone(),
                id.name.clone(),
            ))
            .or_default();
    }
}

/// The ids of a resource list request: project and domain required, name optional.
pub(crate) fn list_scope(id: Option<&NamedEntityIdentifier>) -> Result<NamedEntityIdentifier> {
    let id = id.cloned().unwrap_or_default();
    if id.project.is_empty() {
        return Err(missing("project"));
    }
    if id.domain.is_empty() {
        return Err(missing("domain"));
    }
    Ok(id)
}

pub(crate) fn in_scope(id: Option<&Identifier>, scope: &NamedEntityIdentifier) -> bool {
    id.is_some_and(|i| {
        i.project == scope.project
            && i.domain == scope.domain
            && (scope.name.is_empty() || i.name == scope.name)
    })
}
