//! How a launched execution runs, beyond what it runs and with which inputs.

use flyteidl::flyteidl::admin;
use flyteidl::flyteidl::core;

/// Settings of an execution's spec for [`AdminClient::execute_launch_plan_with`],
/// [`AdminClient::execute_task_with`] and [`AdminClient::execute_spec_with`]; the default is
/// what the methods without `_with` send.
///
/// [`AdminClient::execute_launch_plan_with`]: crate::AdminClient::execute_launch_plan_with
/// [`AdminClient::execute_task_with`]: crate::AdminClient::execute_task_with
/// [`AdminClient::execute_spec_with`]: crate::AdminClient::execute_spec_with
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct ExecutionOptions {
    overwrite_cache: bool,
}

impl ExecutionOptions {
    /// FlyteAdmin's defaults.
    pub fn new() -> Self {
        ExecutionOptions::default()
    }

    /// Recompute cached tasks instead of reusing their outputs, and replace what is cached with
    /// the new outputs (`ExecutionSpec.overwrite_cache`; flytectl's `--overwriteCache`,
    /// FlyteRemote's `overwrite_cache=True`). Their nodes report `CACHE_POPULATED`.
    pub fn overwrite_cache(mut self, yes: bool) -> Self {
        self.overwrite_cache = yes;
        self
    }

    /// Whether cached outputs are recomputed and replaced.
    pub fn overwrites_cache(&self) -> bool {
        self.overwrite_cache
    }

    /// The spec of a manual launch of `target` (a launch plan or a task) with these settings.
    pub(super) fn manual_spec(&self, target: core::Identifier) -> admin::ExecutionSpec {
        admin::ExecutionSpec {
            launch_plan: Some(target),
            metadata: Some(admin::ExecutionMetadata {
                mode: admin::execution_metadata::ExecutionMode::Manual as i32,
                principal: "flyte-rs".to_owned(),
                ..admin::ExecutionMetadata::default()
            }),
            overwrite_cache: self.overwrite_cache,
            ..admin::ExecutionSpec::default()
        }
    }
}
