//! Typed views of the Flyte config sections the lint reads, over the positioned YAML so every
//! value still knows its line.

use flyte_config::NodeRef;

/// `tasks.task-plugins` of flytepropeller's config: which plugins run and which plugin handles
/// each task type by default.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TaskPlugins<'a> {
    /// `enabled-plugins`, as written (propeller lowercases and trims them).
    pub enabled: Vec<String>,
    /// `default-for-task-types`, from its map form (`container: container`) or its list form
    /// (`- container: container`, as in the EKS starter file).
    pub defaults: Vec<TaskTypeDefault<'a>>,
}

/// One `default-for-task-types` entry.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TaskTypeDefault<'a> {
    /// The task type (`container_array`).
    pub task_type: String,
    /// The plugin id that handles it (`k8s-array`).
    pub plugin: String,
    /// The plugin's node in the file.
    pub node: NodeRef<'a>,
}

impl<'a> TaskPlugins<'a> {
    /// Reads a `task-plugins` mapping; entries of other shapes are skipped.
    pub fn read(block: NodeRef<'a>) -> TaskPlugins<'a> {
        let enabled = block
            .get("enabled-plugins")
            .into_iter()
            .flat_map(NodeRef::items)
            .filter_map(NodeRef::as_scalar)
            .map(str::to_owned)
            .collect();
        let defaults_node = block.get("default-for-task-types");
        let map_entries = defaults_node.into_iter().flat_map(NodeRef::entries);
        let list_entries = defaults_node
            .into_iter()
            .flat_map(NodeRef::items)
            .flat_map(NodeRef::entries);
        let defaults = map_entries
            .chain(list_entries)
            .filter_map(|(k, v)| {
                Some(TaskTypeDefault {
                    task_type: k.key_text(),
                    plugin: v.as_scalar()?.to_owned(),
                    node: v,
                })
            })
            .collect();
        TaskPlugins { enabled, defaults }
    }

    /// Whether `plugin` is enabled, compared as propeller does: trimmed, case-insensitively.
    pub fn is_enabled(&self, plugin: &str) -> bool {
        let wanted = plugin.trim().to_lowercase();
        self.enabled
            .iter()
            .any(|p| p.trim().to_lowercase() == wanted)
    }
}
