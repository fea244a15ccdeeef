//! The gRPC services: AdminService in full, and the other services flyte-rs talks to.
//!
//! [`admin`] implements the AdminService trait by handing each RPC to an `impl Admin` in the file
//! of its resource: [`projects`], [`tasks`], [`workflows`], [`launch_plans`],
//! [`workflow_executions`], [`node_executions`], [`task_executions`], [`attributes`],
//! [`named_entities`], [`descriptions`] and [`version`]. [`identity`] and [`signals`] are the other
//! services. What several resources share (paging versions and ids) lives here.

use std::sync::Arc;

use flyteidl::flyteidl::admin::*;
use flyteidl::flyteidl::core::ResourceType;
use tonic::{Request, Response, Status};

use crate::db::Record;
use crate::errors::{missing, missing_execution, not_found};
use crate::executions::{validate_exec_id, Shared};
use crate::lists::{check_limit, page, Row, Schema};
use crate::registry::{self, in_scope, list_scope, NAMED_ENTITY_SCHEMA};

mod admin;
mod attributes;
mod descriptions;
mod identity;
mod launch_plans;
mod named_entities;
mod node_executions;
mod projects;
mod signals;
mod task_executions;
mod tasks;
mod version;
mod workflow_executions;
mod workflows;

pub(crate) use identity::Identity;
pub(crate) use signals::Signals;

type R<T> = Result<Response<T>, Status>;

fn ok<T>(t: T) -> R<T> {
    Ok(Response::new(t))
}

/// The version the test kit reports, so clients can tell it from a real FlyteAdmin.
pub(crate) const VERSION: &str = concat!("flyte-testkit-", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone)]
pub(crate) struct Admin {
    pub(crate) shared: Arc<Shared>,
}

/// The authenticated subject of a request, set by the auth layer; empty without auth.
pub(crate) fn principal<T>(req: &Request<T>) -> String {
    req.extensions()
        .get::<crate::Subject>()
        .map(|s| s.0.clone())
        .unwrap_or_default()
}

fn named_ids(rows: Vec<registry::NamedRow>) -> Vec<NamedEntityIdentifier> {
    rows.into_iter().filter_map(|r| r.0.id).collect()
}

/// A page of the versions of one resource kind in the request's scope (project, domain and,
/// when given, name): ListTasks, ListWorkflows and ListLaunchPlans alike.
fn list_versions<T: Clone, W: Row + Clone>(
    records: &[Record<T>],
    id_of: impl Fn(&T) -> Option<&flyteidl::flyteidl::core::Identifier>,
    wrap: impl Fn(Record<T>) -> W,
    unwrap: impl Fn(W) -> T,
    schema: &Schema,
    req: &ResourceListRequest,
) -> Result<(Vec<T>, String), Status> {
    let scope = list_scope(req.id.as_ref())?;
    let limit = check_limit(req.limit)?;
    let rows: Vec<W> = records
        .iter()
        .filter(|r| in_scope(id_of(&r.value), &scope))
        .map(|r| wrap(r.clone()))
        .collect();
    let (rows, token) = page(
        rows,
        schema,
        &req.filters,
        req.sort_by.as_ref(),
        &req.token,
        Some(limit),
    )?;
    Ok((rows.into_iter().map(unwrap).collect(), token))
}

impl Admin {
    /// Registers a task, workflow or launch plan with `create`, then keeps what its client sent
    /// of it with `keep` (see [`crate::sent`]).
    fn register<T>(
        &self,
        request: Request<T>,
        id: fn(&T) -> Option<flyteidl::flyteidl::core::Identifier>,
        create: fn(&mut crate::db::Db, T) -> crate::errors::Result<()>,
        keep: fn(&mut crate::db::Db, &flyteidl::flyteidl::core::Identifier, &[u8]),
    ) -> crate::errors::Result<()> {
        let sent = crate::sent::sent(&request);
        let req = request.into_inner();
        let entity = id(&req);
        let mut db = self.shared.db();
        create(&mut db, req)?;
        if let (Some(entity), Some(sent)) = (entity, sent) {
            keep(&mut db, &entity, &sent);
        }
        Ok(())
    }

    fn list_ids(
        &self,
        req: NamedEntityIdentifierListRequest,
        t: ResourceType,
    ) -> R<NamedEntityIdentifierList> {
        if req.project.is_empty() {
            return Err(missing("project"));
        }
        if req.domain.is_empty() {
            return Err(missing("domain"));
        }
        let limit = check_limit(req.limit)?;
        let db = self.shared.db();
        let rows = db.named_entities(t as i32, &req.project, &req.domain);
        let (rows, token) = page(
            rows,
            &NAMED_ENTITY_SCHEMA,
            &req.filters,
            req.sort_by.as_ref(),
            &req.token,
            Some(limit),
        )?;
        ok(NamedEntityIdentifierList {
            entities: named_ids(rows),
            token,
        })
    }

    fn node_record(
        &self,
        id: Option<&flyteidl::flyteidl::core::NodeExecutionIdentifier>,
    ) -> Result<crate::db::NodeRecord, Status> {
        let id = id.ok_or_else(|| missing("id"))?;
        let exec_id = validate_exec_id(id.execution_id.as_ref())?;
        if id.node_id.is_empty() {
            return Err(missing("node_id"));
        }
        let db = self.shared.db();
        let rec = db
            .find_execution(&exec_id)
            .ok_or_else(|| missing_execution(&exec_id))?;
        rec.value
            .nodes
            .iter()
            .find(|n| n.node.id.as_ref().is_some_and(|i| i.node_id == id.node_id))
            .cloned()
            .ok_or_else(|| not_found(format!(
                "missing entity of type node execution with identifier node_id:{:?} execution_id:{{{}}}",
                id.node_id,
                crate::errors::exec_id_text(&exec_id)
            )))
    }
}
