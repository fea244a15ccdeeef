//! Graceful deletion as the API server does it: an object with finalizers is not removed by a
//! DELETE but marked (`metadata.deletionTimestamp`), and stays until a later write removes its
//! last finalizer; while it is marked, no new finalizer may be added and the mark cannot be
//! changed. An empty `metadata.finalizers` is not kept, as the API server's Go types omit it.
//!
//! Unlike a cluster, the mock has no kubelet and no garbage collector: an object without
//! finalizers (a pod included) goes at once, and nothing deletes the objects a deleted owner
//! owned.

use hyper::{Body, Response, StatusCode};
use serde_json::{json, Value};

use super::{respond, Key, Store};

/// The object's finalizers (none when it has none, or none that are text).
fn finalizers(object: &Value) -> Vec<&str> {
    object["metadata"]["finalizers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// Whether a DELETE marked the object.
fn marked(object: &Value) -> bool {
    !object["metadata"]["deletionTimestamp"].is_null()
}

/// The time of day as the API server writes timestamps (RFC 3339, whole seconds).
fn now_rfc3339() -> String {
    prost_types::Timestamp {
        seconds: crate::db::now().seconds,
        nanos: 0,
    }
    .to_string()
}

/// A DELETE of `old`, stored at `key`: marks it when it has finalizers (bumping its
/// resourceVersion the first time), removes it otherwise. The answer is the object as it is
/// after the request (the API server's 200).
pub(super) fn delete(store: &mut Store, key: &Key, old: Value, dry_run: bool) -> Response<Body> {
    if finalizers(&old).is_empty() {
        if !dry_run {
            store.objects.remove(key);
            if key.0 == "namespaces" {
                store.objects.retain(|(_, ns, _), _| *ns != key.2);
            }
        }
        return respond(StatusCode::OK, &old);
    }
    if marked(&old) {
        return respond(StatusCode::OK, &old);
    }
    let mut next = old;
    let rv = store.resource_version + 1;
    if let Some(m) = next["metadata"].as_object_mut() {
        m.insert("deletionTimestamp".into(), Value::String(now_rfc3339()));
        m.insert("deletionGracePeriodSeconds".into(), json!(0));
        m.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
    if !dry_run {
        store.resource_version = rv;
        store.objects.insert(key.clone(), next.clone());
    }
    respond(StatusCode::OK, &next)
}

/// What becomes of a written object.
#[derive(Debug, PartialEq)]
pub(super) enum Fate {
    /// It is stored.
    Kept,
    /// It was marked for deletion and its last finalizer is gone: it is removed.
    Removed,
}

/// Checks a write of `next` over `old` (none for a create) against deletion's rules and keeps the
/// server's fields: the deletion mark stays as it was, an empty finalizer list is dropped.
///
/// # Errors
/// The API server's 422 when the write adds a finalizer to a marked object.
pub(super) fn settle(
    kind: &str,
    name: &str,
    old: Option<&Value>,
    next: &mut Value,
) -> Result<Fate, Response<Body>> {
    let Some(meta) = next.get_mut("metadata").and_then(Value::as_object_mut) else {
        return Ok(Fate::Kept);
    };
    if meta
        .get("finalizers")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        meta.remove("finalizers");
    }
    let Some(old) = old.filter(|o| marked(o)) else {
        return Ok(Fate::Kept);
    };
    for field in ["deletionTimestamp", "deletionGracePeriodSeconds"] {
        match old["metadata"].get(field) {
            Some(v) => meta.insert(field.into(), v.clone()),
            None => meta.remove(field),
        };
    }
    let before = finalizers(old);
    let added: Vec<&str> = finalizers(next)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    if !added.is_empty() {
        return Err(super::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            format!(
                "{kind} \"{name}\" is invalid: metadata.finalizers: Forbidden: no new finalizers \
                 can be added if the object is being deleted, found new finalizers {added:?}"
            ),
        ));
    }
    Ok(if finalizers(next).is_empty() {
        Fate::Removed
    } else {
        Fate::Kept
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MockKube;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn pod(finalizers: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "p", "namespace": "ns", "finalizers": finalizers}})
    }

    async fn send(
        kube: &MockKube,
        method: hyper::Method,
        content_type: &str,
        body: Value,
    ) -> Result<(StatusCode, Value), Box<dyn std::error::Error>> {
        let request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}/api/v1/namespaces/ns/pods/p", kube.url()))
            .header("content-type", content_type)
            .body(Body::from(body.to_string()))?;
        let response = hyper::Client::new().request(request).await?;
        let code = response.status();
        let bytes = hyper::body::to_bytes(response.into_body()).await?;
        Ok((code, serde_json::from_slice(&bytes)?))
    }

    async fn delete(kube: &MockKube) -> Result<(StatusCode, Value), Box<dyn std::error::Error>> {
        send(kube, hyper::Method::DELETE, "application/json", json!({})).await
    }

    async fn json_patch(
        kube: &MockKube,
        ops: Value,
    ) -> Result<(StatusCode, Value), Box<dyn std::error::Error>> {
        send(
            kube,
            hyper::Method::PATCH,
            "application/json-patch+json",
            ops,
        )
        .await
    }

    async fn mock_with(finalizers: Value) -> std::io::Result<MockKube> {
        let kube = MockKube::start().await?;
        kube.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}));
        kube.insert(pod(finalizers));
        Ok(kube)
    }

    #[tokio::test]
    async fn a_delete_marks_an_object_with_finalizers_and_the_last_one_removes_it() -> TestResult {
        let kube = mock_with(json!(["a.example/x", "b.example/y"])).await?;
        let before = kube.object("Pod", "ns", "p").ok_or("no pod")?;
        let (code, answer) = delete(&kube).await?;
        assert_eq!(code, StatusCode::OK);
        let stored = kube.object("Pod", "ns", "p").ok_or("removed at once")?;
        assert_eq!(stored, answer);
        let stamp = stored["metadata"]["deletionTimestamp"]
            .as_str()
            .ok_or("not marked")?;
        assert!(crate::lists::parse_rfc3339(stamp).is_some(), "{stamp}");
        assert_ne!(
            stored["metadata"]["resourceVersion"],
            before["metadata"]["resourceVersion"]
        );
        // A second delete changes nothing.
        let (_, again) = delete(&kube).await?;
        assert_eq!(again, stored);

        // No new finalizer while marked; the mark itself cannot be lifted.
        let (code, refused) = json_patch(
            &kube,
            json!([{"op": "add", "path": "/metadata/finalizers/-", "value": "c.example/z"}]),
        )
        .await?;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused["message"]
                .as_str()
                .is_some_and(|m| m.contains("no new finalizers can be added")),
            "{refused}"
        );
        let (code, kept) = json_patch(
            &kube,
            json!([{"op": "remove", "path": "/metadata/deletionTimestamp"},
                   {"op": "remove", "path": "/metadata/finalizers/1"}]),
        )
        .await?;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(kept["metadata"]["deletionTimestamp"], stamp);
        assert_eq!(kept["metadata"]["finalizers"], json!(["a.example/x"]));
        assert!(kube.object("Pod", "ns", "p").is_some());

        let (code, last) = json_patch(
            &kube,
            json!([{"op": "remove", "path": "/metadata/finalizers/0"}]),
        )
        .await?;
        assert_eq!(code, StatusCode::OK);
        assert!(last["metadata"].get("finalizers").is_none(), "{last}");
        assert!(kube.object("Pod", "ns", "p").is_none(), "deleted");
        Ok(())
    }

    #[tokio::test]
    async fn without_finalizers_a_delete_removes_and_an_emptied_list_is_dropped() -> TestResult {
        let kube = mock_with(json!(["a.example/x"])).await?;
        let (code, unmarked) = json_patch(
            &kube,
            json!([{"op": "remove", "path": "/metadata/finalizers/0"}]),
        )
        .await?;
        assert_eq!(code, StatusCode::OK);
        assert!(
            unmarked["metadata"].get("finalizers").is_none(),
            "{unmarked}"
        );
        assert!(kube.object("Pod", "ns", "p").is_some(), "not being deleted");
        let (code, _) = delete(&kube).await?;
        assert_eq!(code, StatusCode::OK);
        assert!(kube.object("Pod", "ns", "p").is_none());
        Ok(())
    }

    /// The guard a finalizer remover uses (and the hook that makes its race testable): a JSON
    /// patch whose `test` of the resourceVersion read fails once another write came between.
    #[tokio::test]
    async fn a_write_after_a_read_fails_the_readers_resource_version_test() -> TestResult {
        let kube = mock_with(json!(["a.example/x"])).await?;
        kube.write_after_next_get(
            "Pod",
            "ns",
            "p",
            json!({"metadata": {"finalizers": ["a.example/x", "b.example/y"]}}),
        );
        let (code, read) = send(&kube, hyper::Method::GET, "application/json", json!({})).await?;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(read["metadata"]["finalizers"], json!(["a.example/x"]));
        let raced = kube.object("Pod", "ns", "p").ok_or("no pod")?;
        assert_eq!(
            raced["metadata"]["finalizers"],
            json!(["a.example/x", "b.example/y"])
        );
        assert_ne!(
            raced["metadata"]["resourceVersion"],
            read["metadata"]["resourceVersion"]
        );

        let (code, status) = json_patch(
            &kube,
            json!([{"op": "test", "path": "/metadata/resourceVersion",
                    "value": read["metadata"]["resourceVersion"]},
                   {"op": "remove", "path": "/metadata/finalizers/0"}]),
        )
        .await?;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            (&status["kind"], &status["reason"], &status["code"]),
            (&json!("Status"), &json!("Invalid"), &json!(422))
        );
        assert_eq!(kube.object("Pod", "ns", "p"), Some(raced), "unchanged");
        // The hook fires once.
        let (_, again) = send(&kube, hyper::Method::GET, "application/json", json!({})).await?;
        assert_eq!(Some(again), kube.object("Pod", "ns", "p"));
        Ok(())
    }
}
