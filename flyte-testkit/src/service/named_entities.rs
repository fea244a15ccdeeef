//! Named entities: list, get and update their metadata.

use flyteidl::flyteidl::admin::*;
use tonic::Request;

use crate::errors::missing;
use crate::lists::{check_limit, page};
use crate::registry::NAMED_ENTITY_SCHEMA;

use super::{ok, Admin, R};

impl Admin {
    pub(super) async fn list_named_entities(
        &self,
        request: Request<NamedEntityListRequest>,
    ) -> R<NamedEntityList> {
        let req = request.into_inner();
        if req.project.is_empty() {
            return Err(missing("project"));
        }
        if req.domain.is_empty() {
            return Err(missing("domain"));
        }
        let limit = check_limit(req.limit)?;
        let db = self.shared.db();
        let rows = db.named_entities(req.resource_type, &req.project, &req.domain);
        let (rows, token) = page(
            rows,
            &NAMED_ENTITY_SCHEMA,
            &req.filters,
            req.sort_by.as_ref(),
            &req.token,
            Some(limit),
        )?;
        ok(NamedEntityList {
            entities: rows.into_iter().map(|r| r.0).collect(),
            token,
        })
    }

    pub(super) async fn get_named_entity(
        &self,
        request: Request<NamedEntityGetRequest>,
    ) -> R<NamedEntity> {
        ok(self.shared.db().get_named_entity(request.get_ref())?)
    }

    pub(super) async fn update_named_entity(
        &self,
        request: Request<NamedEntityUpdateRequest>,
    ) -> R<NamedEntityUpdateResponse> {
        self.shared.db().update_named_entity(request.into_inner())?;
        ok(NamedEntityUpdateResponse {})
    }
}
