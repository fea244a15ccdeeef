//! Launch plans: create, get, activation, the active one, and the lists.

use flyteidl::flyteidl::admin::*;
use flyteidl::flyteidl::core::ResourceType;
use tonic::Request;

use crate::errors::missing;
use crate::lists::{check_limit, page};
use crate::registry::{is_active, LaunchPlanRow, LAUNCH_PLAN_SCHEMA};

use super::{list_versions, ok, Admin, R};

impl Admin {
    pub(super) async fn create_launch_plan(
        &self,
        request: Request<LaunchPlanCreateRequest>,
    ) -> R<LaunchPlanCreateResponse> {
        self.shared.db().create_launch_plan(request.into_inner())?;
        ok(LaunchPlanCreateResponse {})
    }

    pub(super) async fn get_launch_plan(
        &self,
        request: Request<ObjectGetRequest>,
    ) -> R<LaunchPlan> {
        ok(self
            .shared
            .db()
            .get_launch_plan(request.get_ref().id.as_ref())?)
    }

    pub(super) async fn get_active_launch_plan(
        &self,
        request: Request<ActiveLaunchPlanRequest>,
    ) -> R<LaunchPlan> {
        ok(self
            .shared
            .db()
            .get_active_launch_plan(request.get_ref().id.as_ref())?)
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
        ok(LaunchPlanList {
            launch_plans: rows.into_iter().map(|r| r.0.value).collect(),
            token,
        })
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
        ok(LaunchPlanList {
            launch_plans,
            token,
        })
    }

    pub(super) async fn update_launch_plan(
        &self,
        request: Request<LaunchPlanUpdateRequest>,
    ) -> R<LaunchPlanUpdateResponse> {
        self.shared.db().update_launch_plan(request.into_inner())?;
        ok(LaunchPlanUpdateResponse {})
    }
}
