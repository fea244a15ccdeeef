//! Named entities: the names of tasks, workflows and launch plans, with their metadata.

use flyteidl::flyteidl::admin::{self, NamedEntity, NamedEntityIdentifier, NamedEntityMetadata};
use flyteidl::flyteidl::core::{Identifier, ResourceType};

use crate::db::Db;
use crate::errors::{invalid, missing, not_found, Result};
use crate::lists::{Col, Row, Schema};

const NAMED_STATES: &[&str] = &[
    "NAMED_ENTITY_ACTIVE",
    "NAMED_ENTITY_ARCHIVED",
    "SYSTEM_GENERATED",
];

pub(crate) const NAMED_ENTITY_SCHEMA: Schema = Schema {
    entity: "named_entity_metadata",
    columns: &[
        "name",
        "project",
        "domain",
        "state",
        "description",
        "resource_type",
    ],
    joins: &[("entities", &["name", "project", "domain"])],
    rpc: "ListNamedEntities",
};

#[derive(Clone)]
pub(crate) struct NamedRow(pub(crate) NamedEntity);

impl Row for NamedRow {
    fn col(&self, _entity: &str, column: &str) -> Option<Col> {
        let id = self.0.id.as_ref()?;
        let meta = self.0.metadata.clone().unwrap_or_default();
        Some(match column {
            "name" => Col::Str(id.name.clone()),
            "project" => Col::Str(id.project.clone()),
            "domain" => Col::Str(id.domain.clone()),
            "state" => Col::Enum(i64::from(meta.state), NAMED_STATES),
            "description" => Col::Str(meta.description),
            "resource_type" => Col::Int(i64::from(self.0.resource_type)),
            _ => return None,
        })
    }
}

impl Db {
    fn names_of(&self, t: i32) -> Vec<NamedEntityIdentifier> {
        let ids: Vec<&Identifier> = match ResourceType::try_from(t) {
            Ok(ResourceType::Task) => self
                .tasks
                .iter()
                .filter_map(|r| r.value.id.as_ref())
                .collect(),
            Ok(ResourceType::Workflow) => self
                .workflows
                .iter()
                .filter_map(|r| r.value.id.as_ref())
                .collect(),
            Ok(ResourceType::LaunchPlan) => self
                .launch_plans
                .iter()
                .filter_map(|r| r.value.id.as_ref())
                .collect(),
            _ => Vec::new(),
        };
        let mut out: Vec<NamedEntityIdentifier> = Vec::new();
        for id in ids {
            if !out
                .iter()
                .any(|n| n.project == id.project && n.domain == id.domain && n.name == id.name)
            {
                out.push(NamedEntityIdentifier {
                    project: id.project.clone(),
                    domain: id.domain.clone(),
                    name: id.name.clone(),
                    org: id.org.clone(),
                });
            }
        }
        out
    }

    pub(crate) fn named_entities(&self, t: i32, project: &str, domain: &str) -> Vec<NamedRow> {
        self.names_of(t)
            .into_iter()
            .filter(|n| n.project == project && n.domain == domain)
            .map(|n| {
                let meta = self
                    .named
                    .get(&(t, n.project.clone(), n.domain.clone(), n.name.clone()))
                    .cloned()
                    .unwrap_or_default();
                NamedRow(NamedEntity {
                    resource_type: t,
                    id: Some(n),
                    metadata: Some(meta),
                })
            })
            .collect()
    }

    pub(crate) fn get_named_entity(
        &self,
        req: &admin::NamedEntityGetRequest,
    ) -> Result<NamedEntity> {
        let id = req.id.as_ref().ok_or_else(|| missing("id"))?;
        check_named_id(req.resource_type, id)?;
        self.named_entities(req.resource_type, &id.project, &id.domain)
            .into_iter()
            .find(|r| r.0.id.as_ref().is_some_and(|n| n.name == id.name))
            .map(|r| r.0)
            .ok_or_else(|| {
                not_found(format!(
                    "Resource [{{{} {} {} {}}}] not found",
                    crate::errors::resource_type_name(req.resource_type),
                    id.project,
                    id.domain,
                    id.name
                ))
            })
    }

    pub(crate) fn update_named_entity(
        &mut self,
        req: admin::NamedEntityUpdateRequest,
    ) -> Result<()> {
        let id = req.id.as_ref().ok_or_else(|| missing("id"))?;
        check_named_id(req.resource_type, id)?;
        self.get_named_entity(&admin::NamedEntityGetRequest {
            resource_type: req.resource_type,
            id: Some(id.clone()),
        })?;
        let meta: NamedEntityMetadata = req.metadata.ok_or_else(|| missing("metadata"))?;
        self.named.insert(
            (
                req.resource_type,
                id.project.clone(),
                id.domain.clone(),
                id.name.clone(),
            ),
            meta,
        );
        Ok(())
    }
}

fn check_named_id(t: i32, id: &NamedEntityIdentifier) -> Result<()> {
    if !matches!(
        ResourceType::try_from(t),
        Ok(ResourceType::Task | ResourceType::Workflow | ResourceType::LaunchPlan)
    ) {
        return Err(invalid("invalid value for resource_type"));
    }
    for (v, f) in [
        (&id.project, "project"),
        (&id.domain, "domain"),
        (&id.name, "name"),
    ] {
        if v.is_empty() {
            return Err(missing(f));
        }
    }
    Ok(())
}
