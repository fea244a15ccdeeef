//! Matchable attributes at project, project-domain and workflow scope, with FlyteAdmin's
//! fallback from specific to general on get, upsert on update and plugin-override merging.

use flyteidl::flyteidl::admin::{
    matching_attributes::Target, MatchableAttributesConfiguration, MatchableResource,
    MatchingAttributes, PluginOverrides,
};

use crate::db::{AttributeRecord, Db};
use crate::errors::{invalid, missing, not_found, Result};

/// The resource type a `MatchingAttributes` value configures.
pub(crate) fn resource_type_of(attrs: Option<&MatchingAttributes>) -> Result<i32> {
    let target = attrs
        .and_then(|a| a.target.as_ref())
        .ok_or_else(|| missing("matching_attributes"))?;
    Ok(match target {
        Target::TaskResourceAttributes(_) => MatchableResource::TaskResource,
        Target::ClusterResourceAttributes(_) => MatchableResource::ClusterResource,
        Target::ExecutionQueueAttributes(_) => MatchableResource::ExecutionQueue,
        Target::ExecutionClusterLabel(_) => MatchableResource::ExecutionClusterLabel,
        Target::PluginOverrides(_) => MatchableResource::PluginOverride,
        Target::WorkflowExecutionConfig(_) => MatchableResource::WorkflowExecutionConfig,
        Target::ClusterAssignment(_) => MatchableResource::ClusterAssignment,
        // FlyteAdmin's validator has no branch for quality of service.
        Target::QualityOfService(_) => {
            return Err(invalid(format!(
                "Unrecognized matching attributes type {target:?}"
            )))
        }
    } as i32)
}

fn check_resource_type(t: i32) -> Result<()> {
    MatchableResource::try_from(t)
        .map(|_| ())
        .map_err(|_| invalid("invalid value for resource_type"))
}

/// A scope: project, then optionally domain and workflow.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    pub(crate) project: String,
    pub(crate) domain: String,
    pub(crate) workflow: String,
    pub(crate) org: String,
}

impl Db {
    fn check_scope(&self, s: &Scope, for_get_project: bool) -> Result<()> {
        if s.project.is_empty() {
            return Err(missing("project"));
        }
        if for_get_project {
            return self
                .project(&s.project)
                .map(|_| ())
                .ok_or_else(|| not_found(format!("project [{}] not found", s.project)));
        }
        if s.domain.is_empty() {
            self.active_project(&s.project)
        } else {
            self.check_project_domain(&s.project, &s.domain)
        }
    }

    pub(crate) fn upsert_attributes(
        &mut self,
        scope: Scope,
        attrs: Option<MatchingAttributes>,
    ) -> Result<()> {
        self.check_scope(&scope, false)?;
        let resource_type = resource_type_of(attrs.as_ref())?;
        let attrs = attrs.unwrap_or_default();
        let existing = self.attributes.iter_mut().find(|r| {
            r.project == scope.project
                && r.domain == scope.domain
                && r.workflow == scope.workflow
                && r.launch_plan.is_empty()
                && r.resource_type == resource_type
        });
        match existing {
            Some(row) => {
                row.attributes = match (&row.attributes.target, attrs.target) {
                    // Plugin overrides merge: new task types replace old ones, others are kept.
                    (Some(Target::PluginOverrides(old)), Some(Target::PluginOverrides(new))) => {
                        let mut merged: Vec<_> = old
                            .overrides
                            .iter()
                            .filter(|o| !new.overrides.iter().any(|n| n.task_type == o.task_type))
                            .cloned()
                            .collect();
                        merged.extend(new.overrides);
                        MatchingAttributes {
                            target: Some(Target::PluginOverrides(PluginOverrides {
                                overrides: merged,
                            })),
                        }
                    }
                    (_, target) => MatchingAttributes { target },
                };
            }
            None => self.attributes.push(AttributeRecord {
                project: scope.project,
                domain: scope.domain,
                workflow: scope.workflow,
                launch_plan: String::new(),
                resource_type,
                org: scope.org,
                attributes: attrs,
            }),
        }
        Ok(())
    }

    /// The most specific row at or above `scope`, as `ResourceRepo.Get` orders by priority.
    pub(crate) fn get_attributes(
        &self,
        scope: &Scope,
        resource_type: i32,
        project_level: bool,
    ) -> Result<AttributeRecord> {
        self.check_scope(scope, project_level)?;
        check_resource_type(resource_type)?;
        let fits = |field: &str, want: &str| field.is_empty() || field == want;
        self.attributes
            .iter()
            .filter(|r| {
                r.resource_type == resource_type
                    && r.launch_plan.is_empty()
                    && fits(&r.project, &scope.project)
                    && fits(&r.domain, &scope.domain)
                    && fits(&r.workflow, &scope.workflow)
            })
            .max_by_key(|r| r.priority())
            .cloned()
            .ok_or_else(|| {
                not_found(format!(
                    "Resource [{{Project:{} Domain:{} Workflow:{} LaunchPlan: ResourceType:{}}}] not found",
                    scope.project,
                    scope.domain,
                    scope.workflow,
                    MatchableResource::try_from(resource_type).map_or("", |r| r.as_str_name())
                ))
            })
    }

    pub(crate) fn delete_attributes(&mut self, scope: &Scope, resource_type: i32) -> Result<()> {
        self.check_scope(scope, false)?;
        check_resource_type(resource_type)?;
        self.attributes.retain(|r| {
            !(r.resource_type == resource_type
                && r.project == scope.project
                && r.domain == scope.domain
                && r.workflow == scope.workflow)
        });
        Ok(())
    }

    pub(crate) fn list_attributes(
        &self,
        resource_type: i32,
    ) -> Result<Vec<MatchableAttributesConfiguration>> {
        check_resource_type(resource_type)?;
        let mut rows: Vec<&AttributeRecord> = self
            .attributes
            .iter()
            .filter(|r| r.resource_type == resource_type)
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.priority()));
        Ok(rows
            .into_iter()
            .map(|r| MatchableAttributesConfiguration {
                attributes: Some(r.attributes.clone()),
                domain: r.domain.clone(),
                project: r.project.clone(),
                workflow: r.workflow.clone(),
                launch_plan: r.launch_plan.clone(),
                org: r.org.clone(),
            })
            .collect())
    }
}
