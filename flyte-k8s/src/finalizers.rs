//! Removing propeller's finalizers without trampling anyone: only propeller's names, other
//! controllers' finalizers kept, in one JSON patch guarded by the resourceVersion that was read.
//!
//! The patch tests `/metadata/resourceVersion` and, before each removal, the finalizer at the
//! index it removes (highest index first, so earlier indexes do not shift). When the object
//! changed after it was read, a `test` fails and the API server refuses the whole patch with
//! 422 (`Invalid`); a write that sets a stale resourceVersion would get 409. Both become
//! [`Error::Conflict`]: the change is reported, never overwritten and never retried here, since
//! whoever changed the object (propeller itself, another controller) may have had a reason.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{json, Value};

use crate::client::{Action, Change, K8s, FIELD_MANAGER};
use crate::error::{Error, ObjectRef, Result};

/// Propeller's finalizers on a FlyteWorkflow: `flyte.org/finalizer` (propeller 1.15 and later)
/// and `flyte-finalizer` (before 1.15; propeller 1.16.8 no longer removes it, so a workflow
/// created before an upgrade can keep it forever).
pub const WORKFLOW_FINALIZERS: [&str; 2] = ["flyte.org/finalizer", "flyte-finalizer"];

/// Propeller's finalizers on the task pods (and other objects) its Kubernetes plugins create
/// when `plugins.k8s.inject-finalizer` is on: `flyte.org/finalizer-k8s` (propeller 1.15 and
/// later) and `flyte/flytek8s` (before).
pub const TASK_FINALIZERS: [&str; 2] = ["flyte.org/finalizer-k8s", "flyte/flytek8s"];

/// The finalizers of `finalizers` that are among `names`.
pub(crate) fn among(finalizers: &[String], names: &[&str]) -> Vec<String> {
    finalizers
        .iter()
        .filter(|f| names.contains(&f.as_str()))
        .cloned()
        .collect()
}

/// The JSON patch (RFC 6902) that removes every finalizer named in `names` from `finalizers`,
/// as read at `resource_version`: a `test` of the resourceVersion, then from the highest index
/// down a `test` of each finalizer to remove and its `remove`. `None` when there is nothing to
/// remove.
pub(crate) fn removal_patch(
    resource_version: &str,
    finalizers: &[String],
    names: &[&str],
) -> Option<Value> {
    let mut ops = vec![json!({
        "op": "test", "path": "/metadata/resourceVersion", "value": resource_version,
    })];
    for (i, f) in finalizers.iter().enumerate().rev() {
        if names.contains(&f.as_str()) {
            let path = format!("/metadata/finalizers/{i}");
            ops.push(json!({"op": "test", "path": path, "value": f}));
            ops.push(json!({"op": "remove", "path": path}));
        }
    }
    (ops.len() > 1).then_some(Value::Array(ops))
}

impl K8s {
    /// Removes the finalizers named in `names` from `object` (whose collection is at
    /// `collection_url`, the API path before its name), as `meta` shows it was read: other
    /// finalizers stay, and the write is refused if the object changed since.
    ///
    /// Nothing to remove is [`Action::Unchanged`], with no request sent.
    pub(crate) async fn remove_finalizers_guarded(
        &self,
        object: ObjectRef,
        collection_url: &str,
        meta: &ObjectMeta,
        names: &[&str],
    ) -> Result<Change> {
        let finalizers = meta.finalizers.clone().unwrap_or_default();
        let read_at = meta.resource_version.clone().unwrap_or_default();
        let Some(patch) = removal_patch(&read_at, &finalizers, names) else {
            return Ok(Change {
                object,
                action: Action::Unchanged,
                dry_run: self.dry_run,
            });
        };
        let dry_run = if self.dry_run { "&dryRun=All" } else { "" };
        let uri = format!(
            "{collection_url}/{}?fieldManager={FIELD_MANAGER}{dry_run}",
            object.name
        );
        let request = http::Request::patch(uri.as_str())
            .header(http::header::CONTENT_TYPE, "application/json-patch+json")
            .body(patch.to_string().into_bytes())
            .map_err(|e| Error::Invalid {
                message: format!("{object}: cannot be addressed"),
                source: Some(Box::new(e)),
            })?;
        match self.client.request::<Value>(request).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if matches!(status.code, 409 | 422) => {
                return Err(Error::Conflict {
                    message: format!(
                        "it changed after it was read at resourceVersion {read_at} ({}); \
                         nothing was removed: look at it again before retrying",
                        status.message
                    ),
                    object,
                    source: Box::new(kube::Error::Api(status)),
                });
            }
            Err(e) => return Err(Error::from_kube(object, e)),
        }
        let removed = among(&finalizers, names);
        tracing::warn!(object = %object, ?removed, dry_run = self.dry_run, "finalizers removed");
        Ok(Change {
            object,
            action: Action::Updated,
            dry_run: self.dry_run,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_patch_tests_the_version_and_each_index_and_removes_from_the_end() {
        let finalizers = strings(&["flyte-finalizer", "example.com/keep", "flyte.org/finalizer"]);
        let patch = removal_patch("42", &finalizers, &WORKFLOW_FINALIZERS);
        assert_eq!(
            patch,
            Some(json!([
                {"op": "test", "path": "/metadata/resourceVersion", "value": "42"},
                {"op": "test", "path": "/metadata/finalizers/2", "value": "flyte.org/finalizer"},
                {"op": "remove", "path": "/metadata/finalizers/2"},
                {"op": "test", "path": "/metadata/finalizers/0", "value": "flyte-finalizer"},
                {"op": "remove", "path": "/metadata/finalizers/0"},
            ]))
        );
        assert_eq!(
            among(&finalizers, &WORKFLOW_FINALIZERS),
            strings(&["flyte-finalizer", "flyte.org/finalizer"])
        );
    }

    #[test]
    fn nothing_of_propellers_is_no_patch() {
        assert_eq!(removal_patch("1", &[], &WORKFLOW_FINALIZERS), None);
        let others = strings(&["example.com/keep", "flyte.org/finalizer-k8s"]);
        assert_eq!(removal_patch("1", &others, &WORKFLOW_FINALIZERS), None);
    }
}
