//! The `execution-queue-attribute` file: queue tags.

use super::{AttributeTarget, MatchableResource};

/// `execution-queue-attribute` file: queue tags.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ExecutionQueueAttributesFile {
    /// Where it applies.
    pub target: AttributeTarget,
    /// `tags`.
    pub tags: Vec<String>,
}

attribute_file!(
    ExecutionQueueAttributesFile,
    MatchableResource::ExecutionQueue,
    |s, v| {
        v.field("tags", &mut s.tags);
    }
);
