//! flytectl's other YAML files: the execution spec (`--execFile`), the project file
//! (`create project --file`) and the six matchable-attribute files (`--attrFile`).
//!
//! Each family has its own module: [`ExecSpec`], [`ProjectFile`], and the attribute files,
//! which all implement [`AttributeFile`] and name their scope with an [`AttributeTarget`].

mod attributes;
pub(crate) mod codec;
mod exec_spec;
mod key_values;
mod project;

pub use attributes::{
    AttributeFile, AttributeScope, AttributeTarget, BoolValue, ClusterResourceAttributesFile,
    ExecutionClusterLabelFile, ExecutionQueueAttributesFile, MatchableResource,
    MissingPluginBehavior, PluginOverride, PluginOverridesFile, RawOutputDataConfig,
    ResourceQuantities, RunAs, SecurityContext, TaskResourceAttributesFile,
    WorkflowExecutionConfigFile,
};
pub use exec_spec::ExecSpec;
pub use key_values::{Envs, KeyValuePair, KeyValues};
pub use project::{ProjectFile, ProjectState};
