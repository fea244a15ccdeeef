//! The `execution-cluster-label` file: the label executions are routed by.

use super::{AttributeTarget, MatchableResource};

/// `execution-cluster-label` file: the label executions are routed by.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ExecutionClusterLabelFile {
    /// Where it applies.
    pub target: AttributeTarget,
    /// `value`.
    pub value: String,
}

attribute_file!(
    ExecutionClusterLabelFile,
    MatchableResource::ExecutionClusterLabel,
    |s, v| {
        v.field("value", &mut s.value);
    }
);
