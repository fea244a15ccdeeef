//! Tasks: registration with FlyteAdmin's checks, and their list rows.

use flyteidl::flyteidl::admin::{self, Task, TaskClosure};
use flyteidl::flyteidl::core::{self, CompiledTask, Identifier, ResourceType};

use super::{different_structure, short_description};
use crate::db::{id_col, now, time_col, validate_identifier, Db, Record};
use crate::errors::{already_exists, missing, missing_entity, Result};
use crate::lists::{Col, Row, Schema};

impl Db {
    pub(crate) fn create_task(&mut self, req: admin::TaskCreateRequest) -> Result<()> {
        let id = validate_identifier(req.id.as_ref(), ResourceType::Task)?;
        self.check_project_domain(&id.project, &id.domain)?;
        let spec = req.spec.ok_or_else(|| missing("spec"))?;
        let mut template = spec.template.ok_or_else(|| missing("template"))?;
        if template.r#type.is_empty() {
            return Err(missing("type"));
        }
        if template.metadata.is_none() {
            return Err(missing("metadata"));
        }
        if template.interface.is_none() {
            return Err(missing("interface"));
        }
        if let Some(core::task_template::Target::Container(c)) = &template.target {
            if c.image.is_empty() {
                return Err(missing("image"));
            }
        }
        template.id = Some(id.clone());
        let compiled = CompiledTask {
            template: Some(template),
        };
        if let Some(existing) = self.find_task(&id) {
            let old = existing
                .value
                .closure
                .as_ref()
                .and_then(|c| c.compiled_task.as_ref());
            return if old == Some(&compiled) {
                Err(already_exists(
                    "task with identical structure already exists",
                ))
            } else {
                Err(different_structure(
                    "task",
                    &id.name,
                    &format!("{old:#?}"),
                    &format!("{:#?}", Some(&compiled)),
                ))
            };
        }
        let created = now();
        let task = Task {
            id: Some(id.clone()),
            closure: Some(TaskClosure {
                compiled_task: Some(compiled),
                created_at: Some(created),
            }),
            short_description: short_description(spec.description.as_ref()),
        };
        self.ensure_named(ResourceType::Task, &id);
        self.store_description(ResourceType::Task, &id, spec.description);
        self.push_task(task);
        Ok(())
    }

    pub(crate) fn get_task(&self, id: Option<&Identifier>) -> Result<Task> {
        let id = validate_identifier(id, ResourceType::Task)?;
        self.find_task(&id)
            .map(|t| t.value.clone())
            .ok_or_else(|| missing_entity("TASK", &id))
    }
}

pub(crate) const TASK_SCHEMA: Schema = Schema {
    entity: "task",
    columns: &[
        "project",
        "domain",
        "name",
        "version",
        "created_at",
        "updated_at",
        "type",
        "org",
        "short_description",
    ],
    joins: &[],
    rpc: "ListTasks",
};

#[derive(Clone)]
pub(crate) struct TaskRow(pub(crate) Record<Task>);

impl Row for TaskRow {
    fn col(&self, _: &str, column: &str) -> Option<Col> {
        match column {
            "created_at" => Some(time_col(Some(&self.0.created))),
            "updated_at" => Some(time_col(Some(&self.0.updated))),
            "short_description" => Some(Col::Str(self.0.value.short_description.clone())),
            "type" => Some(Col::Str(
                self.0
                    .value
                    .closure
                    .as_ref()
                    .and_then(|c| c.compiled_task.as_ref())
                    .and_then(|c| c.template.as_ref())
                    .map(|t| t.r#type.clone())
                    .unwrap_or_default(),
            )),
            _ => id_col(self.0.value.id.as_ref(), column),
        }
    }
}
