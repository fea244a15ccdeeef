//! Launch plans: create, get, activation, the active one, and the lists.

use flyteidl::flyteidl::admin::*;
use flyteidl::flyteidl::core::ResourceType;
use tonic::Request;

use crate::db::Db;

use crate::errors::missing;
use crate::lists::{check_limit, page};
use crate::registry::{is_active, LaunchPlanRow, LAUNCH_PLAN_SCHEMA};
use crate::sent::{self, Key};

use super::{list_versions, ok, Admin, R};

fn key(id: &flyteidl::flyteidl::core::Identifier) -> Key {
    Key::entity(ResourceType::LaunchPlan, id)
}

/// A page of launch plans, with their specs as sent.
fn answer_list(
    db: &Db,
    launch_plans: Vec<LaunchPlan>,
    token: String,
) -> tonic::Response<LaunchPlanList> {
    let splices = db
        .sent
        .list(1, launch_plans.iter().map(|l| l.id.as_ref().map(key)));
    sent::respond(
        LaunchPlanList {
            launch_plans,
            token,
        },
        splices,
    )
}

impl Admin {
    pub(super) async fn create_launch_plan(
        &self,
        request: Request<LaunchPlanCreateRequest>,
    ) -> R<LaunchPlanCreateResponse> {
        self.register(
            request,
            |r| r.id.clone(),
            Db::create_launch_plan,
            Db::keep_launch_plan,
        )?;
        ok(LaunchPlanCreateResponse {})
    }

    pub(super) async fn get_launch_plan(
        &self,
        request: Request<ObjectGetRequest>,
    ) -> R<LaunchPlan> {
        let db = self.shared.db();
        let lp = db.get_launch_plan(request.get_ref().id.as_ref())?;
        let splices = db.sent.answer(lp.id.as_ref().map(key));
        Ok(sent::respond(lp, splices))
    }

    pub(super) async fn get_active_launch_plan(
        &self,
        request: Request<ActiveLaunchPlanRequest>,
    ) -> R<LaunchPlan> {
        let db = self.shared.db();
        let lp = db.get_active_launch_plan(request.get_ref().id.as_ref())?;
        let splices = db.sent.answer(lp.id.as_ref().map(key));
        Ok(sent::respond(lp, splices))
    }

    pub(super) async fn list_active_launch_plans(
        &self,
        request: Request<ActiveLaunchPlanListRequest>,
    ) -> R<LaunchPlanList> {
        let req = request.into_inner();
        if req.project.is_empty() {
            return Err(missing("project"));
        }
        if req.domain.is_empty() {
            return Err(missing("domain"));
        }
        let limit = check_limit(req.limit)?;
        let db = self.shared.db();
        let rows: Vec<LaunchPlanRow> = db
            .launch_plans
            .iter()
            .filter(|lp| {
                lp.value
                    .id
                    .as_ref()
                    .is_some_and(|i| i.project == req.project && i.domain == req.domain)
                    && is_active(&lp.value)
            })
            .map(|lp| LaunchPlanRow(lp.clone()))
            .collect();
        let (rows, token) = page(
            rows,
            &LAUNCH_PLAN_SCHEMA,
            "",
            req.sort_by.as_ref(),
            &req.token,
            Some(limit),
        )?;
        let launch_plans = rows.into_iter().map(|r| r.0.value).collect();
        Ok(answer_list(&db, launch_plans, token))
    }

    pub(super) async fn list_launch_plan_ids(
        &self,
        request: Request<NamedEntityIdentifierListRequest>,
    ) -> R<NamedEntityIdentifierList> {
        self.list_ids(request.into_inner(), ResourceType::LaunchPlan)
    }

    pub(super) async fn list_launch_plans(
        &self,
        request: Request<ResourceListRequest>,
    ) -> R<LaunchPlanList> {
        let req = request.into_inner();
        let db = self.shared.db();
        let (launch_plans, token) = list_versions(
            &db.launch_plans,
            |t| t.id.as_ref(),
            LaunchPlanRow,
            |r| r.0.value,
            &LAUNCH_PLAN_SCHEMA,
            &req,
        )?;
        Ok(answer_list(&db, launch_plans, token))
    }

    pub(super) async fn update_launch_plan(
        &self,
        request: Request<LaunchPlanUpdateRequest>,
    ) -> R<LaunchPlanUpdateResponse> {
        self.shared.db().update_launch_plan(request.into_inner())?;
        ok(LaunchPlanUpdateResponse {})
    }
}
