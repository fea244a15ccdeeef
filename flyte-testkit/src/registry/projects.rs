//! Projects: registration, update, lists, and the DNS-1123 rules FlyteAdmin applies to ids.

use flyteidl::flyteidl::admin::{self, project::ProjectState, Project};

use crate::db::{now, time_col, Db, Record};
use crate::errors::{invalid, missing, not_found, Result};
use crate::lists::{Col, Row, Schema};

const DNS_1123_MESSAGE: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

fn dns_1123_label_errors(id: &str) -> Vec<&'static str> {
    let mut errors = Vec::new();
    if id.len() > 63 {
        errors.push("must be no more than 63 characters");
    }
    let b = id.as_bytes();
    let ok_chars = b
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
    let ok_ends = b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric);
    if !ok_chars || !ok_ends {
        errors.push(DNS_1123_MESSAGE);
    }
    errors
}

pub(super) fn validate_labels(labels: Option<&admin::Labels>) -> Result<()> {
    let Some(labels) = labels else { return Ok(()) };
    if labels.values.len() > 16 {
        return Err(invalid("Labels can not be more than 16"));
    }
    Ok(())
}

/// `ValidateProject`: id, name, description and domains.
fn validate_project(p: &Project) -> Result<()> {
    if p.id.is_empty() {
        return Err(missing("project_id"));
    }
    let errors = dns_1123_label_errors(&p.id);
    if !errors.is_empty() {
        return Err(invalid(format!(
            "invalid project id [{}]: [{}]",
            p.id,
            errors.join(" ")
        )));
    }
    if p.name.is_empty() {
        return Err(missing("project_name"));
    }
    if p.name.chars().count() > 64 {
        return Err(invalid("project_name cannot exceed 64 characters"));
    }
    if p.description.chars().count() > 300 {
        return Err(invalid("project_description cannot exceed 300 characters"));
    }
    if !p.domains.is_empty() {
        return Err(invalid(
            "Domains are currently only set system wide. Please retry without domains included in your request.",
        ));
    }
    validate_labels(p.labels.as_ref())
}

impl Db {
    fn with_domains(&self, mut p: Project) -> Project {
        p.domains.clone_from(&self.domains);
        p
    }

    pub(crate) fn register_project(&mut self, req: admin::ProjectRegisterRequest) -> Result<()> {
        let project = req.project.ok_or_else(|| missing("project"))?;
        validate_project(&project)?;
        if self.project(&project.id).is_some() {
            return Err(crate::errors::duplicate(&format!("project {}", project.id)));
        }
        self.projects.push(Record::new(project));
        Ok(())
    }

    pub(crate) fn update_project(&mut self, project: Project) -> Result<()> {
        if project.id.is_empty() {
            return Err(missing("project_id"));
        }
        if self.project(&project.id).is_none() {
            return Err(not_found(format!("project [{}] not found", project.id)));
        }
        validate_project(&project)?;
        let record = self
            .projects
            .iter_mut()
            .find(|p| p.value.id == project.id)
            .ok_or_else(|| not_found(format!("project [{}] not found", project.id)))?;
        record.value = project;
        record.updated = now();
        Ok(())
    }

    pub(crate) fn get_project(&self, id: &str) -> Result<Project> {
        if id.is_empty() {
            return Err(missing("project_id"));
        }
        self.project(id)
            .map(|p| self.with_domains(p.value.clone()))
            .ok_or_else(|| not_found(format!("project [{id}] not found")))
    }

    pub(crate) fn list_projects(&self, req: &admin::ProjectListRequest) -> Result<admin::Projects> {
        let hide_archived = req.filters.trim().is_empty();
        let rows: Vec<ProjectRow> = self
            .projects
            .iter()
            .filter(|p| !hide_archived || p.value.state != ProjectState::Archived as i32)
            .map(|p| ProjectRow(p.clone()))
            .collect();
        // Projects sort by identifier ascending unless told otherwise; limit 0 means no limit.
        let default_sort = admin::Sort {
            key: "identifier".into(),
            direction: admin::sort::Direction::Ascending as i32,
        };
        let sort = req
            .sort_by
            .as_ref()
            .filter(|s| !s.key.is_empty())
            .unwrap_or(&default_sort);
        let limit = (req.limit > 0).then_some(req.limit as usize);
        let (page, token) = crate::lists::page(
            rows,
            &PROJECT_SCHEMA,
            &req.filters,
            Some(sort),
            &req.token,
            limit,
        )?;
        Ok(admin::Projects {
            projects: page
                .into_iter()
                .map(|r| self.with_domains(r.0.value))
                .collect(),
            token,
        })
    }

    pub(crate) fn active_project(&self, project: &str) -> Result<()> {
        match self.project(project) {
            None => Err(not_found(format!("project [{project}] not found"))),
            Some(p) if p.value.state != ProjectState::Active as i32 => {
                Err(invalid(format!("project [{project}] is not active")))
            }
            Some(_) => Ok(()),
        }
    }
}

const PROJECT_STATES: &[&str] = &["ACTIVE", "ARCHIVED", "SYSTEM_GENERATED", "SYSTEM_ARCHIVED"];

pub(crate) const PROJECT_SCHEMA: Schema = Schema {
    entity: "project",
    columns: &[
        "identifier",
        "name",
        "description",
        "state",
        "created_at",
        "updated_at",
        "org",
    ],
    joins: &[],
    rpc: "ListProjects",
};

#[derive(Clone)]
struct ProjectRow(Record<Project>);

impl Row for ProjectRow {
    fn col(&self, entity: &str, column: &str) -> Option<Col> {
        if entity != "project" {
            return None;
        }
        let p = &self.0.value;
        Some(match column {
            "identifier" => Col::Str(p.id.clone()),
            "name" => Col::Str(p.name.clone()),
            "description" => Col::Str(p.description.clone()),
            "org" => Col::Str(p.org.clone()),
            "state" => Col::Enum(i64::from(p.state), PROJECT_STATES),
            "created_at" => time_col(Some(&self.0.created)),
            "updated_at" => time_col(Some(&self.0.updated)),
            _ => return None,
        })
    }
}
