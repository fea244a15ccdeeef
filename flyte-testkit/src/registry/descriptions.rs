//! Description entities: the long descriptions registered with tasks and workflows.

use flyteidl::flyteidl::admin::DescriptionEntity;
use flyteidl::flyteidl::core::{Identifier, ResourceType};

use crate::db::{id_col, same_id, time_col, Db, Record};
use crate::errors::{missing, missing_entity, Result};
use crate::lists::{Col, Row, Schema};

impl Db {
    pub(super) fn store_description(
        &mut self,
        t: ResourceType,
        id: &Identifier,
        d: Option<DescriptionEntity>,
    ) {
        if let Some(mut d) = d {
            let mut did = id.clone();
            did.resource_type = t as i32;
            d.id = Some(did.clone());
            let key = (
                did.resource_type,
                did.project.clone(),
                did.domain.clone(),
                did.name.clone(),
                did.version.clone(),
            );
            if self.described.insert(key) {
                self.descriptions.push(Record::new(d));
            }
        }
    }

    pub(crate) fn get_description(&self, id: Option<&Identifier>) -> Result<DescriptionEntity> {
        let id = id.ok_or_else(|| missing("id"))?;
        for (v, f) in [
            (&id.project, "project"),
            (&id.domain, "domain"),
            (&id.name, "name"),
            (&id.version, "version"),
        ] {
            if v.is_empty() {
                return Err(missing(f));
            }
        }
        self.descriptions
            .iter()
            .find(|d| {
                same_id(d.value.id.as_ref(), id)
                    && (id.resource_type == 0
                        || d.value.id.as_ref().map(|i| i.resource_type) == Some(id.resource_type))
            })
            .map(|d| d.value.clone())
            .ok_or_else(|| missing_entity("DESCRIPTION_ENTITY", id))
    }
}

pub(crate) const DESCRIPTION_SCHEMA: Schema = Schema {
    entity: "description_entity",
    columns: &[
        "project",
        "domain",
        "name",
        "version",
        "created_at",
        "updated_at",
        "short_description",
    ],
    joins: &[],
    rpc: "ListDescriptionEntities",
};

#[derive(Clone)]
pub(crate) struct DescriptionRow(pub(crate) Record<DescriptionEntity>);

impl Row for DescriptionRow {
    fn col(&self, _: &str, column: &str) -> Option<Col> {
        match column {
            "created_at" => Some(time_col(Some(&self.0.created))),
            "updated_at" => Some(time_col(Some(&self.0.updated))),
            "short_description" => Some(Col::Str(self.0.value.short_description.clone())),
            _ => id_col(self.0.value.id.as_ref(), column),
        }
    }
}
