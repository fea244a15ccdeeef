//! The six matchable-attribute files (`--attrFile`), one per flytectl noun, and what they
//! share: the resource they configure, the project/domain/workflow target and its scope, and
//! strict decoding.

use std::path::Path;

use super::codec::write_file;
use crate::error::{Diagnostic, Result};
use crate::fields::Visitor;
use crate::Error;

/// Implements `Section` and `AttributeFile` for an attribute file struct with a `target`
/// field: the target's keys first, then the keys `|s, v| { ... }` visits.
macro_rules! attribute_file {
    ($t:ident, $resource:expr, |$s:ident, $v:ident| $body:block) => {
        impl $crate::fields::Section for $t {
            fn visit(&mut self, $v: &mut dyn $crate::fields::Visitor) {
                self.target.visit_into($v);
                let $s = self;
                $body
            }
        }

        impl $crate::files::AttributeFile for $t {
            const RESOURCE: $crate::files::MatchableResource = $resource;

            fn target(&self) -> &$crate::files::AttributeTarget {
                &self.target
            }

            fn from_yaml_str(text: &str) -> $crate::Result<Self> {
                Ok($crate::files::codec::decode_str::<$t>(text, None, true)?.0)
            }

            fn from_path(path: impl AsRef<std::path::Path>) -> $crate::Result<Self> {
                Ok($crate::files::codec::decode_file::<$t>(path.as_ref(), true)?.0)
            }

            fn to_yaml_string(&self) -> String {
                let value = $crate::fields::Encoder::encode(&mut self.clone(), false);
                let default = $crate::fields::Encoder::encode(&mut $t::default(), false);
                $crate::yaml::emit(&$crate::fields::prune(value, &default))
            }
        }
    };
}

mod cluster_resource;
mod execution_cluster_label;
mod execution_queue;
mod plugin_override;
mod task_resource;
mod workflow_execution_config;

pub use cluster_resource::ClusterResourceAttributesFile;
pub use execution_cluster_label::ExecutionClusterLabelFile;
pub use execution_queue::ExecutionQueueAttributesFile;
pub use plugin_override::{MissingPluginBehavior, PluginOverride, PluginOverridesFile};
pub use task_resource::{ResourceQuantities, TaskResourceAttributesFile};
pub use workflow_execution_config::{
    BoolValue, RawOutputDataConfig, RunAs, SecurityContext, WorkflowExecutionConfigFile,
};

/// FlyteAdmin's matchable resource types (`admin.MatchableResource`), numbered as in the proto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MatchableResource {
    /// 0: task resource defaults and limits.
    TaskResource,
    /// 1: cluster resource template values.
    ClusterResource,
    /// 2: execution queue tags.
    ExecutionQueue,
    /// 3: execution cluster label.
    ExecutionClusterLabel,
    /// 4: quality of service (no flytectl command).
    QualityOfServiceSpecification,
    /// 5: plugin overrides.
    PluginOverride,
    /// 6: workflow execution config.
    WorkflowExecutionConfig,
    /// 7: cluster assignment (no flytectl command).
    ClusterAssignment,
}

impl MatchableResource {
    /// The proto enum number.
    pub fn number(self) -> i32 {
        self as i32
    }

    /// The flytectl noun for this resource, where flytectl has one.
    pub fn flytectl_noun(self) -> Option<&'static str> {
        Some(match self {
            MatchableResource::TaskResource => "task-resource-attribute",
            MatchableResource::ClusterResource => "cluster-resource-attribute",
            MatchableResource::ExecutionQueue => "execution-queue-attribute",
            MatchableResource::ExecutionClusterLabel => "execution-cluster-label",
            MatchableResource::PluginOverride => "plugin-override",
            MatchableResource::WorkflowExecutionConfig => "workflow-execution-config",
            _ => return None,
        })
    }
}

/// Where a matchable attribute applies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttributeScope {
    /// The whole project.
    Project {
        /// Project id.
        project: String,
    },
    /// One domain of a project.
    ProjectDomain {
        /// Project id.
        project: String,
        /// Domain.
        domain: String,
    },
    /// One workflow.
    Workflow {
        /// Project id.
        project: String,
        /// Domain.
        domain: String,
        /// Workflow name.
        workflow: String,
    },
}

/// The `project`, `domain` and `workflow` keys every attribute file starts with.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct AttributeTarget {
    /// `project`.
    pub project: String,
    /// `domain`: empty for project-level attributes.
    pub domain: String,
    /// `workflow`: empty unless the attribute is for one workflow.
    pub workflow: String,
}

impl AttributeTarget {
    /// The whole project `project`; narrow it with [`AttributeTarget::domain`] and
    /// [`AttributeTarget::workflow`].
    pub fn new(project: impl Into<String>) -> Self {
        AttributeTarget {
            project: project.into(),
            ..AttributeTarget::default()
        }
    }

    /// This target narrowed to one domain.
    #[must_use]
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = domain.into();
        self
    }

    /// This target narrowed to one workflow (it needs a domain too).
    #[must_use]
    pub fn workflow(mut self, workflow: impl Into<String>) -> Self {
        self.workflow = workflow.into();
        self
    }

    fn visit_into(&mut self, v: &mut dyn Visitor) {
        v.field("project", &mut self.project);
        v.field("domain", &mut self.domain);
        v.field("workflow", &mut self.workflow);
    }

    /// The scope flytectl derives: workflow when set, else project-domain when the domain is
    /// set, else project.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the project is missing, or a workflow is given without a domain.
    pub fn scope(&self) -> Result<AttributeScope> {
        let fail = |m: &str| Error::Invalid {
            diagnostics: vec![Diagnostic::error("", m)],
        };
        if self.project.is_empty() {
            return Err(fail("project is required"));
        }
        Ok(match (self.domain.is_empty(), self.workflow.is_empty()) {
            (_, false) if self.domain.is_empty() => {
                return Err(fail("workflow attributes need a domain"))
            }
            (false, false) => AttributeScope::Workflow {
                project: self.project.clone(),
                domain: self.domain.clone(),
                workflow: self.workflow.clone(),
            },
            (false, true) => AttributeScope::ProjectDomain {
                project: self.project.clone(),
                domain: self.domain.clone(),
            },
            (true, _) => AttributeScope::Project {
                project: self.project.clone(),
            },
        })
    }
}

/// A flytectl attribute file (`--attrFile`): strict YAML, snake_case keys, unknown keys
/// rejected, as flytectl's `UnmarshalStrict` does.
pub trait AttributeFile: Sized {
    /// The resource this file configures.
    const RESOURCE: MatchableResource;

    /// The project, domain and workflow the file names.
    fn target(&self) -> &AttributeTarget;

    /// Parses the file's text.
    ///
    /// # Errors
    /// Syntax errors, unknown keys and type errors, each with its line.
    fn from_yaml_str(text: &str) -> Result<Self>;

    /// Reads the file.
    ///
    /// # Errors
    /// As [`AttributeFile::from_yaml_str`], and I/O errors.
    fn from_path(path: impl AsRef<Path>) -> Result<Self>;

    /// The file as YAML flytectl reads.
    fn to_yaml_string(&self) -> String;

    /// Writes the file.
    ///
    /// # Errors
    /// I/O errors.
    fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), &self.to_yaml_string())
    }
}
