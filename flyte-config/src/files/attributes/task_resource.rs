//! The `task-resource-attribute` file: default and limit resources for tasks.

use super::{AttributeTarget, MatchableResource};
use crate::fields::{Section, Visitor};

/// Quantities of one resource set (`defaults` or `limits`).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ResourceQuantities {
    /// `cpu`, e.g. `"1"` or `"500m"`.
    pub cpu: String,
    /// `gpu`.
    pub gpu: String,
    /// `memory`, e.g. `"150Mi"`.
    pub memory: String,
    /// `storage`.
    pub storage: String,
    /// `ephemeral_storage`.
    pub ephemeral_storage: String,
}

impl Section for ResourceQuantities {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("cpu", &mut self.cpu);
        v.field("gpu", &mut self.gpu);
        v.field("memory", &mut self.memory);
        v.field("storage", &mut self.storage);
        v.field("ephemeral_storage", &mut self.ephemeral_storage);
    }
}

/// `task-resource-attribute` file: default and limit resources for tasks.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct TaskResourceAttributesFile {
    /// Where it applies.
    pub target: AttributeTarget,
    /// `defaults`.
    pub defaults: ResourceQuantities,
    /// `limits`.
    pub limits: ResourceQuantities,
}

attribute_file!(
    TaskResourceAttributesFile,
    MatchableResource::TaskResource,
    |s, v| {
        v.section("defaults", &mut s.defaults);
        v.section("limits", &mut s.limits);
    }
);
