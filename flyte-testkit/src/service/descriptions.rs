//! Description entities: get and list.

use flyteidl::flyteidl::admin::*;
use tonic::Request;

use crate::db::Record;
use crate::lists::{check_limit, page};
use crate::registry::{in_scope, list_scope, DescriptionRow, DESCRIPTION_SCHEMA};

use super::{ok, Admin, R};

impl Admin {
    pub(super) async fn get_description_entity(
        &self,
        request: Request<ObjectGetRequest>,
    ) -> R<DescriptionEntity> {
        ok(self
            .shared
            .db()
            .get_description(request.get_ref().id.as_ref())?)
    }

    pub(super) async fn list_description_entities(
        &self,
        request: Request<DescriptionEntityListRequest>,
    ) -> R<DescriptionEntityList> {
        let req = request.into_inner();
        let scope = list_scope(req.id.as_ref())?;
        let limit = check_limit(req.limit)?;
        let db = self.shared.db();
        let rows: Vec<DescriptionRow> = db
            .descriptions
            .iter()
            .filter(|d| {
                in_scope(d.value.id.as_ref(), &scope)
                    && d.value
                        .id
                        .as_ref()
                        .is_some_and(|i| i.resource_type == req.resource_type)
            })
            .map(|d: &Record<DescriptionEntity>| DescriptionRow(d.clone()))
            .collect();
        let (rows, token) = page(
            rows,
            &DESCRIPTION_SCHEMA,
            &req.filters,
            req.sort_by.as_ref(),
            &req.token,
            Some(limit),
        )?;
        ok(DescriptionEntityList {
            description_entities: rows.into_iter().map(|r| r.0.value).collect(),
            token,
        })
    }
}
