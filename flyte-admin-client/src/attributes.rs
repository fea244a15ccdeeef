//! Matchable attributes at project, project-domain and workflow scope, and flytectl's six
//! attribute files (`--attrFile`) converted both ways.

use flyte_config::files::{
    AttributeFile, AttributeScope, AttributeTarget, ClusterResourceAttributesFile,
    ExecutionClusterLabelFile, ExecutionQueueAttributesFile, KeyValuePair, MatchableResource,
    MissingPluginBehavior, PluginOverride, PluginOverridesFile, ResourceQuantities,
    TaskResourceAttributesFile, WorkflowExecutionConfigFile,
};
use flyteidl::flyteidl::admin::{self, matching_attributes::Target, MatchingAttributes};
use flyteidl::flyteidl::core;

use crate::client::AdminClient;
use crate::error::{Code, Error, Result};

/// flytectl's attribute nouns, in the order of its commands.
pub const NOUNS: [&str; 6] = [
    "task-resource-attribute",
    "cluster-resource-attribute",
    "execution-queue-attribute",
    "execution-cluster-label",
    "plugin-override",
    "workflow-execution-config",
];

/// The resource type behind a flytectl noun.
pub fn resource_for_noun(noun: &str) -> Option<MatchableResource> {
    Some(match noun {
        "task-resource-attribute" => MatchableResource::TaskResource,
        "cluster-resource-attribute" => MatchableResource::ClusterResource,
        "execution-queue-attribute" => MatchableResource::ExecutionQueue,
        "execution-cluster-label" => MatchableResource::ExecutionClusterLabel,
        "plugin-override" => MatchableResource::PluginOverride,
        "workflow-execution-config" => MatchableResource::WorkflowExecutionConfig,
        _ => return None,
    })
}

fn spec(q: &ResourceQuantities) -> admin::TaskResourceSpec {
    admin::TaskResourceSpec {
        cpu: q.cpu.clone(),
        gpu: q.gpu.clone(),
        memory: q.memory.clone(),
        storage: q.storage.clone(),
        ephemeral_storage: q.ephemeral_storage.clone(),
    }
}

fn quantities(s: Option<&admin::TaskResourceSpec>) -> ResourceQuantities {
    let mut q = ResourceQuantities::default();
    if let Some(s) = s {
        q.cpu.clone_from(&s.cpu);
        q.gpu.clone_from(&s.gpu);
        q.memory.clone_from(&s.memory);
        q.storage.clone_from(&s.storage);
        q.ephemeral_storage.clone_from(&s.ephemeral_storage);
    }
    q
}

/// Why a flytectl attribute file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttributeFileError {
    /// Not one of flytectl's six attribute kinds.
    #[error("unknown attribute kind {kind:?}; expected one of {expected}")]
    UnknownKind {
        /// The kind given.
        kind: String,
        /// The kinds there are, comma-separated.
        expected: String,
    },
    /// The file's own error: the key, the line and the column (flyte-config's error is the
    /// source).
    #[error("{0}")]
    File(#[source] flyte_config::Error),
}

impl From<flyte_config::Error> for AttributeFileError {
    fn from(e: flyte_config::Error) -> Self {
        AttributeFileError::File(e)
    }
}

/// Reads a flytectl attribute file of kind `noun`: where it applies and what it sets.
///
/// # Errors
/// An unknown noun, or the file's own errors (unknown keys, wrong types, with their lines).
pub fn parse_file(
    noun: &str,
    text: &str,
) -> std::result::Result<(AttributeTarget, MatchingAttributes), AttributeFileError> {
    let (target, t) = match noun {
        "task-resource-attribute" => {
            let f = TaskResourceAttributesFile::from_yaml_str(text)?;
            let t = Target::TaskResourceAttributes(admin::TaskResourceAttributes {
                defaults: Some(spec(&f.defaults)),
                limits: Some(spec(&f.limits)),
            });
            (f.target, t)
        }
        "cluster-resource-attribute" => {
            let f = ClusterResourceAttributesFile::from_yaml_str(text)?;
            let t = Target::ClusterResourceAttributes(admin::ClusterResourceAttributes {
                attributes: f.attributes.clone().into_iter().collect(),
            });
            (f.target, t)
        }
        "execution-queue-attribute" => {
            let f = ExecutionQueueAttributesFile::from_yaml_str(text)?;
            let t = Target::ExecutionQueueAttributes(admin::ExecutionQueueAttributes {
                tags: f.tags.clone(),
            });
            (f.target, t)
        }
        "execution-cluster-label" => {
            let f = ExecutionClusterLabelFile::from_yaml_str(text)?;
            let t = Target::ExecutionClusterLabel(admin::ExecutionClusterLabel {
                value: f.value.clone(),
            });
            (f.target, t)
        }
        "plugin-override" => {
            let f = PluginOverridesFile::from_yaml_str(text)?;
            let t = Target::PluginOverrides(admin::PluginOverrides {
                overrides: f
                    .overrides
                    .iter()
                    .map(|o| admin::PluginOverride {
                        task_type: o.task_type.clone(),
                        plugin_id: o.plugin_id.clone(),
                        missing_plugin_behavior: match o.missing_plugin_behavior {
                            MissingPluginBehavior::UseDefault => 1,
                            _ => 0,
                        },
                    })
                    .collect(),
            });
            (f.target, t)
        }
        "workflow-execution-config" => {
            let f = WorkflowExecutionConfigFile::from_yaml_str(text)?;
            let run_as = &f.security_context.run_as;
            let t = Target::WorkflowExecutionConfig(admin::WorkflowExecutionConfig {
                max_parallelism: f.max_parallelism,
                security_context: Some(core::SecurityContext {
                    run_as: Some(core::Identity {
                        iam_role: run_as.iam_role.clone(),
                        k8s_service_account: run_as.k8s_service_account.clone(),
                        execution_identity: run_as.execution_identity.clone(),
                        oauth2_client: None,
                    }),
                    ..Default::default()
                }),
                raw_output_data_config: Some(admin::RawOutputDataConfig {
                    output_location_prefix: f.raw_output_data_config.output_location_prefix.clone(),
                }),
                labels: Some(admin::Labels {
                    values: f.labels.values.clone().into_iter().collect(),
                }),
                annotations: Some(admin::Annotations {
                    values: f.annotations.values.clone().into_iter().collect(),
                }),
                interruptible: f.interruptible.0,
                overwrite_cache: f.overwrite_cache,
                envs: Some(admin::Envs {
                    values: f
                        .envs
                        .values
                        .iter()
                        .map(|kv| core::KeyValuePair {
                            key: kv.key.clone(),
                            value: kv.value.clone(),
                        })
                        .collect(),
                }),
                execution_env_assignments: Vec::new(),
            });
            (f.target, t)
        }
        other => {
            return Err(AttributeFileError::UnknownKind {
                kind: other.to_owned(),
                expected: NOUNS.join(", "),
            })
        }
    };
    Ok((target, MatchingAttributes { target: Some(t) }))
}

/// Writes attributes in flytectl's file format, as `flytectl get ... --attrFile` does.
pub fn to_file(target: &AttributeTarget, attributes: &MatchingAttributes) -> Option<String> {
    Some(match attributes.target.as_ref()? {
        Target::TaskResourceAttributes(a) => {
            let mut f = TaskResourceAttributesFile::default();
            f.target = target.clone();
            f.defaults = quantities(a.defaults.as_ref());
            f.limits = quantities(a.limits.as_ref());
            f.to_yaml_string()
        }
        Target::ClusterResourceAttributes(a) => {
            let mut f = ClusterResourceAttributesFile::default();
            f.target = target.clone();
            f.attributes = a.attributes.clone().into_iter().collect();
            f.to_yaml_string()
        }
        Target::ExecutionQueueAttributes(a) => {
            let mut f = ExecutionQueueAttributesFile::default();
            f.target = target.clone();
            f.tags.clone_from(&a.tags);
            f.to_yaml_string()
        }
        Target::ExecutionClusterLabel(a) => {
            let mut f = ExecutionClusterLabelFile::default();
            f.target = target.clone();
            f.value.clone_from(&a.value);
            f.to_yaml_string()
        }
        Target::PluginOverrides(a) => {
            let mut f = PluginOverridesFile::default();
            f.target = target.clone();
            f.overrides = a
                .overrides
                .iter()
                .map(|o| {
                    let mut p = PluginOverride::default();
                    p.task_type.clone_from(&o.task_type);
                    p.plugin_id.clone_from(&o.plugin_id);
                    p.missing_plugin_behavior = if o.missing_plugin_behavior == 1 {
                        MissingPluginBehavior::UseDefault
                    } else {
                        MissingPluginBehavior::Fail
                    };
                    p
                })
                .collect();
            f.to_yaml_string()
        }
        Target::WorkflowExecutionConfig(a) => {
            let mut f = WorkflowExecutionConfigFile::default();
            f.target = target.clone();
            f.max_parallelism = a.max_parallelism;
            if let Some(run_as) = a.security_context.as_ref().and_then(|s| s.run_as.as_ref()) {
                f.security_context
                    .run_as
                    .iam_role
                    .clone_from(&run_as.iam_role);
                f.security_context
                    .run_as
                    .k8s_service_account
                    .clone_from(&run_as.k8s_service_account);
                f.security_context
                    .run_as
                    .execution_identity
                    .clone_from(&run_as.execution_identity);
            }
            if let Some(r) = &a.raw_output_data_config {
                f.raw_output_data_config
                    .output_location_prefix
                    .clone_from(&r.output_location_prefix);
            }
            f.labels.values = a
                .labels
                .clone()
                .map(|l| l.values.into_iter().collect())
                .unwrap_or_default();
            f.annotations.values = a
                .annotations
                .clone()
                .map(|l| l.values.into_iter().collect())
                .unwrap_or_default();
            f.interruptible.0 = a.interruptible;
            f.overwrite_cache = a.overwrite_cache;
            f.envs.values = a
                .envs
                .as_ref()
                .map(|e| {
                    e.values
                        .iter()
                        .map(|kv| KeyValuePair::new(&kv.key, &kv.value))
                        .collect()
                })
                .unwrap_or_default();
            f.to_yaml_string()
        }
        Target::QualityOfService(_) | Target::ClusterAssignment(_) => return None,
    })
}

impl AdminClient {
    fn scope_error(&self, rpc: &'static str, e: flyte_config::Error) -> Error {
        Error::new(Code::InvalidArgument, rpc, self.endpoint(), e.to_string()).with_source(e)
    }

    /// The attributes of `resource` at `target`'s scope (workflow, project-domain or project),
    /// falling back to less specific scopes as FlyteAdmin does. Returns the scope they came from.
    ///
    /// # Errors
    /// NOT_FOUND when none is set at or above the scope.
    pub async fn get_attributes(
        &self,
        target: &AttributeTarget,
        resource: MatchableResource,
    ) -> Result<(AttributeTarget, MatchingAttributes)> {
        let rt = resource.number();
        let scope = target
            .scope()
            .map_err(|e| self.scope_error("GetAttributes", e))?;
        let mut found = AttributeTarget::default();
        let attrs = match scope {
            AttributeScope::Workflow {
                project,
                domain,
                workflow,
            } => {
                let r = self
                    .unary("GetWorkflowAttributes", {
                        let mut svc = self.inner.admin.clone();
                        let req = admin::WorkflowAttributesGetRequest {
                            project: project.clone(),
                            domain: domain.clone(),
                            workflow: workflow.clone(),
                            resource_type: rt,
                            org: String::new(),
                        };
                        async move { svc.get_workflow_attributes(req).await }
                    })
                    .await?
                    .attributes
                    .unwrap_or_default();
                (found.project, found.domain, found.workflow) = (r.project, r.domain, r.workflow);
                r.matching_attributes
            }
            AttributeScope::ProjectDomain { project, domain } => {
                let r = self
                    .unary("GetProjectDomainAttributes", {
                        let mut svc = self.inner.admin.clone();
                        let req = admin::ProjectDomainAttributesGetRequest {
                            project: project.clone(),
                            domain: domain.clone(),
                            resource_type: rt,
                            org: String::new(),
                        };
                        async move { svc.get_project_domain_attributes(req).await }
                    })
                    .await?
                    .attributes
                    .unwrap_or_default();
                (found.project, found.domain) = (r.project, r.domain);
                r.matching_attributes
            }
            AttributeScope::Project { project } => {
                let r = self
                    .unary("GetProjectAttributes", {
                        let mut svc = self.inner.admin.clone();
                        let req = admin::ProjectAttributesGetRequest {
                            project: project.clone(),
                            resource_type: rt,
                            org: String::new(),
                        };
                        async move { svc.get_project_attributes(req).await }
                    })
                    .await?
                    .attributes
                    .unwrap_or_default();
                found.project = r.project;
                r.matching_attributes
            }
            _ => None,
        };
        Ok((found, attrs.unwrap_or_default()))
    }

    /// Replaces the attributes at `target`'s scope (plugin overrides merge, as FlyteAdmin does).
    ///
    /// # Errors
    /// An inactive project, an unknown domain, unset attributes.
    pub async fn update_attributes(
        &self,
        target: &AttributeTarget,
        attributes: MatchingAttributes,
    ) -> Result<()> {
        let scope = target
            .scope()
            .map_err(|e| self.scope_error("UpdateAttributes", e))?;
        match scope {
            AttributeScope::Workflow {
                project,
                domain,
                workflow,
            } => self
                .unary("UpdateWorkflowAttributes", {
                    let mut svc = self.inner.admin.clone();
                    let req = admin::WorkflowAttributesUpdateRequest {
                        attributes: Some(admin::WorkflowAttributes {
                            project: project.clone(),
                            domain: domain.clone(),
                            workflow: workflow.clone(),
                            matching_attributes: Some(attributes.clone()),
                            org: String::new(),
                        }),
                    };
                    async move { svc.update_workflow_attributes(req).await }
                })
                .await
                .map(|_| ()),
            AttributeScope::ProjectDomain { project, domain } => self
                .unary("UpdateProjectDomainAttributes", {
                    let mut svc = self.inner.admin.clone();
                    let req = admin::ProjectDomainAttributesUpdateRequest {
                        attributes: Some(admin::ProjectDomainAttributes {
                            project: project.clone(),
                            domain: domain.clone(),
                            matching_attributes: Some(attributes.clone()),
                            org: String::new(),
                        }),
                    };
                    async move { svc.update_project_domain_attributes(req).await }
                })
                .await
                .map(|_| ()),
            AttributeScope::Project { project } => self
                .unary("UpdateProjectAttributes", {
                    let mut svc = self.inner.admin.clone();
                    let req = admin::ProjectAttributesUpdateRequest {
                        attributes: Some(admin::ProjectAttributes {
                            project: project.clone(),
                            matching_attributes: Some(attributes.clone()),
                            org: String::new(),
                        }),
                    };
                    async move { svc.update_project_attributes(req).await }
                })
                .await
                .map(|_| ()),
            _ => Err(self.invalid("UpdateAttributes", "unsupported scope")),
        }
    }

    /// Deletes the attributes of `resource` at exactly `target`'s scope.
    ///
    /// # Errors
    /// An inactive project or unknown domain.
    pub async fn delete_attributes(
        &self,
        target: &AttributeTarget,
        resource: MatchableResource,
    ) -> Result<()> {
        let rt = resource.number();
        let scope = target
            .scope()
            .map_err(|e| self.scope_error("DeleteAttributes", e))?;
        match scope {
            AttributeScope::Workflow {
                project,
                domain,
                workflow,
            } => self
                .unary("DeleteWorkflowAttributes", {
                    let mut svc = self.inner.admin.clone();
                    let req = admin::WorkflowAttributesDeleteRequest {
                        project: project.clone(),
                        domain: domain.clone(),
                        workflow: workflow.clone(),
                        resource_type: rt,
                        org: String::new(),
                    };
                    async move { svc.delete_workflow_attributes(req).await }
                })
                .await
                .map(|_| ()),
            AttributeScope::ProjectDomain { project, domain } => self
                .unary("DeleteProjectDomainAttributes", {
                    let mut svc = self.inner.admin.clone();
                    let req = admin::ProjectDomainAttributesDeleteRequest {
                        project: project.clone(),
                        domain: domain.clone(),
                        resource_type: rt,
                        org: String::new(),
                    };
                    async move { svc.delete_project_domain_attributes(req).await }
                })
                .await
                .map(|_| ()),
            AttributeScope::Project { project } => self
                .unary("DeleteProjectAttributes", {
                    let mut svc = self.inner.admin.clone();
                    let req = admin::ProjectAttributesDeleteRequest {
                        project: project.clone(),
                        resource_type: rt,
                        org: String::new(),
                    };
                    async move { svc.delete_project_attributes(req).await }
                })
                .await
                .map(|_| ()),
            _ => Err(self.invalid("DeleteAttributes", "unsupported scope")),
        }
    }

    /// Every stored configuration of `resource`, most specific first.
    ///
    /// # Errors
    /// The call's failures.
    pub async fn list_matchable_attributes(
        &self,
        resource: MatchableResource,
    ) -> Result<Vec<admin::MatchableAttributesConfiguration>> {
        let resp = self
            .unary("ListMatchableAttributes", {
                let mut svc = self.inner.admin.clone();
                let req = admin::ListMatchableAttributesRequest {
                    resource_type: resource.number(),
                    org: String::new(),
                };
                async move { svc.list_matchable_attributes(req).await }
            })
            .await?;
        Ok(resp.configurations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_noun_round_trips_through_its_file(
    ) -> std::result::Result<(), Box<dyn std::error::Error>> {
        let files = [
            ("task-resource-attribute", "project: p\ndomain: d\ndefaults:\n  cpu: \"1\"\n  memory: 150Mi\nlimits:\n  cpu: \"2\"\n"),
            ("cluster-resource-attribute", "project: p\ndomain: d\nattributes:\n  foo: bar\n"),
            ("execution-queue-attribute", "project: p\ndomain: d\ntags: [a, b]\n"),
            ("execution-cluster-label", "project: p\nvalue: gpu\n"),
            ("plugin-override", "project: p\ndomain: d\nworkflow: w\noverrides:\n  - task_type: python_task\n    plugin_id: [x]\n    missing_plugin_behavior: 1\n"),
            ("workflow-execution-config", "project: p\ndomain: d\nmax_parallelism: 5\nsecurity_context:\n  run_as:\n    k8s_service_account: demo\ninterruptible:\n  value: true\nenvs:\n  values:\n    - key: A\n      value: b\n"),
        ];
        for (noun, text) in files {
            let (target, attrs) = parse_file(noun, text)?;
            let written = to_file(&target, &attrs).ok_or("no file")?;
            let (target2, attrs2) = parse_file(noun, &written)?;
            assert_eq!((target2, attrs2), (target, attrs), "{noun}:\n{written}");
        }
        let err = parse_file("queue", "project: p\n").expect_err("no such kind");
        assert!(
            matches!(err, AttributeFileError::UnknownKind { .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("execution-queue-attribute"),
            "{err}"
        );
        let err =
            parse_file("execution-cluster-label", "project: p\nvalu: x\n").expect_err("strict");
        assert!(err.to_string().contains("2:1: valu: unknown key"), "{err}");
        let cause = std::error::Error::source(&err).ok_or("the file's error is the source")?;
        assert!(
            cause.downcast_ref::<flyte_config::Error>().is_some(),
            "{cause}"
        );
        Ok(())
    }
}
