//! The `cluster-resource-attribute` file: template values for the project's namespaces.

use std::collections::BTreeMap;

use super::{AttributeTarget, MatchableResource};

/// `cluster-resource-attribute` file: template values for the project's namespaces.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ClusterResourceAttributesFile {
    /// Where it applies.
    pub target: AttributeTarget,
    /// `attributes`.
    pub attributes: BTreeMap<String, String>,
}

attribute_file!(
    ClusterResourceAttributesFile,
    MatchableResource::ClusterResource,
    |s, v| {
        v.field("attributes", &mut s.attributes);
    }
);
