//! The `plugin-override` file: which plugins run which task types.

use super::{AttributeTarget, MatchableResource};
use crate::fields::{int_enum_field, IntEnum, Section, Visitor};

/// What happens when an overriding plugin is missing (`missing_plugin_behavior`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MissingPluginBehavior {
    /// 0: fail the task.
    #[default]
    Fail,
    /// 1: use the default plugin.
    UseDefault,
}

impl IntEnum for MissingPluginBehavior {
    const VALUES: &'static [(&'static str, i64, Self)] = &[
        ("FAIL", 0, MissingPluginBehavior::Fail),
        ("USE_DEFAULT", 1, MissingPluginBehavior::UseDefault),
    ];
}
int_enum_field!(MissingPluginBehavior);

/// One plugin override.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct PluginOverride {
    /// `task_type`.
    pub task_type: String,
    /// `plugin_id`: plugins to try, in order.
    pub plugin_id: Vec<String>,
    /// `missing_plugin_behavior`: 0 fail, 1 use default.
    pub missing_plugin_behavior: MissingPluginBehavior,
}

impl Section for PluginOverride {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("task_type", &mut self.task_type);
        v.field("plugin_id", &mut self.plugin_id);
        v.field("missing_plugin_behavior", &mut self.missing_plugin_behavior);
    }
}

/// `plugin-override` file.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct PluginOverridesFile {
    /// Where it applies.
    pub target: AttributeTarget,
    /// `overrides`.
    pub overrides: Vec<PluginOverride>,
}

attribute_file!(
    PluginOverridesFile,
    MatchableResource::PluginOverride,
    |s, v| {
        v.field("overrides", &mut s.overrides);
    }
);
