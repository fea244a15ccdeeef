//! Matchable attributes at project-domain, project and workflow level.

use flyteidl::flyteidl::admin::*;
use tonic::Request;

use crate::attributes::Scope;
use crate::errors::missing;

use super::{ok, Admin, R};

impl Admin {
    pub(super) async fn update_project_domain_attributes(
        &self,
        request: Request<ProjectDomainAttributesUpdateRequest>,
    ) -> R<ProjectDomainAttributesUpdateResponse> {
        let a = request
            .into_inner()
            .attributes
            .ok_or_else(|| missing("attributes"))?;
        if a.domain.is_empty() {
            return Err(missing("domain"));
        }
        let scope = Scope {
            project: a.project,
            domain: a.domain,
            org: a.org,
            ..Scope::default()
        };
        self.shared
            .db()
            .upsert_attributes(scope, a.matching_attributes)?;
        ok(ProjectDomainAttributesUpdateResponse {})
    }

    pub(super) async fn get_project_domain_attributes(
        &self,
        request: Request<ProjectDomainAttributesGetRequest>,
    ) -> R<ProjectDomainAttributesGetResponse> {
        let r = request.into_inner();
        if r.domain.is_empty() {
            return Err(missing("domain"));
        }
        let scope = Scope {
            project: r.project,
            domain: r.domain,
            org: r.org,
            ..Scope::default()
        };
        let row = self
            .shared
            .db()
            .get_attributes(&scope, r.resource_type, false)?;
        ok(ProjectDomainAttributesGetResponse {
            attributes: Some(ProjectDomainAttributes {
                project: row.project,
                domain: row.domain,
                matching_attributes: Some(row.attributes),
                org: row.org,
            }),
        })
    }

    pub(super) async fn delete_project_domain_attributes(
        &self,
        request: Request<ProjectDomainAttributesDeleteRequest>,
    ) -> R<ProjectDomainAttributesDeleteResponse> {
        let r = request.into_inner();
        if r.domain.is_empty() {
            return Err(missing("domain"));
        }
        let scope = Scope {
            project: r.project,
            domain: r.domain,
            org: r.org,
            ..Scope::default()
        };
        self.shared
            .db()
            .delete_attributes(&scope, r.resource_type)?;
        ok(ProjectDomainAttributesDeleteResponse {})
    }

    pub(super) async fn update_project_attributes(
        &self,
        request: Request<ProjectAttributesUpdateRequest>,
    ) -> R<ProjectAttributesUpdateResponse> {
        let a = request
            .into_inner()
            .attributes
            .ok_or_else(|| missing("attributes"))?;
        let scope = Scope {
            project: a.project,
            org: a.org,
            ..Scope::default()
        };
        self.shared
            .db()
            .upsert_attributes(scope, a.matching_attributes)?;
        ok(ProjectAttributesUpdateResponse {})
    }

    pub(super) async fn get_project_attributes(
        &self,
        request: Request<ProjectAttributesGetRequest>,
    ) -> R<ProjectAttributesGetResponse> {
        let r = request.into_inner();
        let scope = Scope {
            project: r.project.clone(),
            org: r.org.clone(),
            ..Scope::default()
        };
        let found = self
            .shared
            .db()
            .get_attributes(&scope, r.resource_type, true);
        let row = match found {
            Ok(row) => row,
            // With nothing stored, workflow execution config answers the server's defaults.
            Err(e)
                if e.code() == tonic::Code::NotFound
                    && r.resource_type == MatchableResource::WorkflowExecutionConfig as i32 =>
            {
                crate::db::AttributeRecord {
                    project: r.project,
                    domain: String::new(),
                    workflow: String::new(),
                    launch_plan: String::new(),
                    resource_type: r.resource_type,
                    org: r.org,
                    attributes: MatchingAttributes {
                        target: Some(matching_attributes::Target::WorkflowExecutionConfig(
                            WorkflowExecutionConfig::default(),
                        )),
                    },
                }
            }
            Err(e) => return Err(e),
        };
        ok(ProjectAttributesGetResponse {
            attributes: Some(ProjectAttributes {
                project: row.project,
                matching_attributes: Some(row.attributes),
                org: row.org,
            }),
        })
    }

    pub(super) async fn delete_project_attributes(
        &self,
        request: Request<ProjectAttributesDeleteRequest>,
    ) -> R<ProjectAttributesDeleteResponse> {
        let r = request.into_inner();
        let scope = Scope {
            project: r.project,
            org: r.org,
            ..Scope::default()
        };
        self.shared
            .db()
            .delete_attributes(&scope, r.resource_type)?;
        ok(ProjectAttributesDeleteResponse {})
    }

    pub(super) async fn update_workflow_attributes(
        &self,
        request: Request<WorkflowAttributesUpdateRequest>,
    ) -> R<WorkflowAttributesUpdateResponse> {
        let a = request
            .into_inner()
            .attributes
            .ok_or_else(|| missing("attributes"))?;
        if a.workflow.is_empty() {
            return Err(missing("name"));
        }
        let scope = Scope {
            project: a.project,
            domain: a.domain,
            workflow: a.workflow,
            org: a.org,
        };
        self.shared
            .db()
            .upsert_attributes(scope, a.matching_attributes)?;
        ok(WorkflowAttributesUpdateResponse {})
    }

    pub(super) async fn get_workflow_attributes(
        &self,
        request: Request<WorkflowAttributesGetRequest>,
    ) -> R<WorkflowAttributesGetResponse> {
        let r = request.into_inner();
        if r.workflow.is_empty() {
            return Err(missing("name"));
        }
        let scope = Scope {
            project: r.project,
            domain: r.domain,
            workflow: r.workflow,
            org: r.org,
        };
        let row = self
            .shared
            .db()
            .get_attributes(&scope, r.resource_type, false)?;
        ok(WorkflowAttributesGetResponse {
            attributes: Some(WorkflowAttributes {
                project: row.project,
                domain: row.domain,
                workflow: row.workflow,
                matching_attributes: Some(row.attributes),
                org: row.org,
            }),
        })
    }

    pub(super) async fn delete_workflow_attributes(
        &self,
        request: Request<WorkflowAttributesDeleteRequest>,
    ) -> R<WorkflowAttributesDeleteResponse> {
        let r = request.into_inner();
        if r.workflow.is_empty() {
            return Err(missing("name"));
        }
        let scope = Scope {
            project: r.project,
            domain: r.domain,
            workflow: r.workflow,
            org: r.org,
        };
        self.shared
            .db()
            .delete_attributes(&scope, r.resource_type)?;
        ok(WorkflowAttributesDeleteResponse {})
    }

    pub(super) async fn list_matchable_attributes(
        &self,
        request: Request<ListMatchableAttributesRequest>,
    ) -> R<ListMatchableAttributesResponse> {
        let configurations = self
            .shared
            .db()
            .list_attributes(request.get_ref().resource_type)?;
        ok(ListMatchableAttributesResponse { configurations })
    }
}
