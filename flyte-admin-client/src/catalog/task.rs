//! Cache keys of registered tasks, from their templates as FlyteAdmin stores them.

use flyte_catalog::pb::DatasetId;

use crate::error::Result;
use crate::{AdminClient, TaskId};

/// The dataset propeller caches `task`'s results in, computed from the task's template as
/// FlyteAdmin stores it; `None` when the task is not cached (its metadata is not
/// `discoverable`).
///
/// # Errors
/// As [`AdminClient::get_task`]; INVALID_ARGUMENT when the stored task has no template or a
/// cached task has no cache version.
pub async fn task_dataset_id(admin: &AdminClient, task: &TaskId) -> Result<Option<DatasetId>> {
    let stored = admin.get_task(task).await?;
    let template = stored
        .closure
        .and_then(|c| c.compiled_task)
        .and_then(|c| c.template)
        .ok_or_else(|| admin.invalid("GetTask", format!("task {task} has no template")))?;
    if !template.metadata.as_ref().is_some_and(|m| m.discoverable) {
        return Ok(None);
    }
    flyte_catalog::dataset_id_for_task(&template)
        .map(Some)
        .map_err(|e| admin.invalid("GetTask", format!("task {task}: {e}")))
}
