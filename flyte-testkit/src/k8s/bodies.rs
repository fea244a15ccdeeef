//! The bodies of [`MockKube`](super::MockKube)'s writes, read and applied as the API server
//! reads them: a size limit on the body, JSON objects for create and replace, RFC 6902 JSON
//! patches (through the `json-patch` crate), RFC 7386 merge patches, and apply configurations.
//!
//! Each refusal is the API server's: its code, its reason and its message. Where the API server
//! hides why (a JSON patch that does not apply is only "the server rejected our request due to
//! an error in our request"), the mock says it in `details.causes`, so a failing test shows what
//! went wrong.
//!
//! Unlike the API server, whose Go stacks grow, the mock runs on a fixed thread stack, and
//! serde_json recurses on nesting: so besides the API server's own limits (3 MiB bodies, 10,000
//! operations in a JSON patch, 3 MiB copied by a patch's `copy` operations), a patch may not
//! nest an object deeper than [`MAX_DEPTH`] levels.

use hyper::StatusCode;
use json_patch::PatchOperation;
use serde_json::Value;

/// The API server's limit on a request body (`--max-request-bytes` is for etcd; the handlers'
/// `MaxRequestBodyBytes` is 3 MiB).
pub(crate) const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The API server's limit on the operations of one JSON patch.
const MAX_PATCH_OPERATIONS: usize = 10_000;

/// The API server's limit on what one JSON patch's `copy` operations may copy, in bytes of JSON.
const MAX_COPY_BYTES: usize = 3 * 1024 * 1024;

/// How deep a patch may nest the object (far beyond any Kubernetes object's schema; the limit
/// keeps serde_json's recursive drop and serialization within a thread's stack).
pub(crate) const MAX_DEPTH: usize = 1000;

/// A write the API server would refuse, as its `Status`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refusal {
    pub(crate) code: StatusCode,
    pub(crate) reason: &'static str,
    pub(crate) message: String,
    /// Why, where the API server's own message does not say.
    pub(crate) cause: Option<String>,
}

impl Refusal {
    fn bad_request(message: impl Into<String>) -> Refusal {
        Refusal {
            code: StatusCode::BAD_REQUEST,
            reason: "BadRequest",
            message: message.into(),
            cause: None,
        }
    }

    /// A 422 as the API server answers a patch that does not apply.
    fn unprocessable(cause: impl Into<String>) -> Refusal {
        Refusal {
            code: StatusCode::UNPROCESSABLE_ENTITY,
            reason: "Invalid",
            message: "the server rejected our request due to an error in our request".to_owned(),
            cause: Some(cause.into()),
        }
    }

    /// A 413 (`Request entity too large: ...`).
    pub(crate) fn too_large(what: impl std::fmt::Display) -> Refusal {
        Refusal {
            code: StatusCode::PAYLOAD_TOO_LARGE,
            reason: "RequestEntityTooLarge",
            message: format!("Request entity too large: {what}"),
            cause: None,
        }
    }
}

/// Go's name for a JSON value's kind, as `encoding/json` words type errors.
fn go_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The body of a create or replace: a JSON object.
///
/// # Errors
/// 400 when the body is not JSON or not an object.
pub(crate) fn object(body: &[u8]) -> Result<Value, Refusal> {
    json_object(body, "the body is not JSON")
}

/// The body of an apply (`application/apply-patch+yaml`): an object. The mock reads JSON, which
/// is what clients send (kube-rs, client-go, kubectl); YAML-only syntax is refused.
///
/// # Errors
/// 400 `error decoding YAML: ...`, as the API server words it.
pub(crate) fn apply_config(body: &[u8]) -> Result<Value, Refusal> {
    json_object(body, "error decoding YAML")
}

/// `body` as a JSON object, or a 400 whose message starts with `what`.
fn json_object(body: &[u8], what: &str) -> Result<Value, Refusal> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| Refusal::bad_request(format!("{what}: {e}")))?;
    if !v.is_object() {
        return Err(Refusal::bad_request(format!(
            "{what}: cannot unmarshal {} into an object",
            go_kind(&v)
        )));
    }
    Ok(v)
}

/// Applies a merge patch (`application/merge-patch+json`, and the mock's reading of
/// `application/strategic-merge-patch+json`) to `obj`.
///
/// # Errors
/// 400 `Invalid JSON Patch` (the API server's words) when the body is not a JSON object.
pub(crate) fn merge_patch(obj: &mut Value, body: &[u8]) -> Result<(), Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(patch) if patch.is_object() => {
            json_patch::merge(obj, &patch);
            Ok(())
        }
        _ => Err(Refusal::bad_request("Invalid JSON Patch")),
    }
}

/// Applies an RFC 6902 JSON patch (`application/json-patch+json`) to `obj`. On error `obj` may
/// be half patched: the caller patches a copy and keeps it only on success.
///
/// # Errors
/// 400 when the body is not a JSON array; 413 beyond 10,000 operations; 422 (reason `Invalid`,
/// the operation that failed in `details.causes`) when an operation is malformed or does not
/// apply: a `test` that fails, a `replace` or `remove` of a path that does not exist, a `from`
/// that does not exist, an index out of range; when `copy` operations copy more than 3 MiB;
/// when the object would nest deeper than [`MAX_DEPTH`]; when the result is not an object.
pub(crate) fn json_patch(obj: &mut Value, body: &[u8]) -> Result<(), Refusal> {
    let doc: Value =
        serde_json::from_slice(body).map_err(|e| Refusal::bad_request(e.to_string()))?;
    let Value::Array(ops) = doc else {
        return Err(Refusal::bad_request(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
            go_kind(&doc)
        )));
    };
    if ops.len() > MAX_PATCH_OPERATIONS {
        return Err(Refusal::too_large(format!(
            "The allowed maximum operations in a JSON patch is {MAX_PATCH_OPERATIONS}, got {}",
            ops.len()
        )));
    }
    // An upper bound on the object's depth, kept up to date per operation without walking the
    // whole object again.
    let mut depth_bound = depth(obj);
    let mut copied = 0usize;
    for (i, op) in ops.into_iter().enumerate() {
        let op: PatchOperation = serde_json::from_value(op)
            .map_err(|e| Refusal::unprocessable(format!("operation {i} is malformed: {e}")))?;
        let reached = match &op {
            PatchOperation::Add(o) => o.path.count() + depth(&o.value),
            PatchOperation::Replace(o) => o.path.count() + depth(&o.value),
            PatchOperation::Move(o) => o.path.count() + depth_bound.saturating_sub(o.from.count()),
            PatchOperation::Copy(o) => {
                let source = obj.pointer(o.from.as_str()).map_or(0, |v| {
                    copied = copied.saturating_add(json_len(v, MAX_COPY_BYTES + 1));
                    depth(v)
                });
                if copied > MAX_COPY_BYTES {
                    return Err(Refusal::unprocessable(format!(
                        "operation {i} (copy from '{}'): the accumulated size of copies exceeds \
                         the limit of {MAX_COPY_BYTES} bytes",
                        o.from
                    )));
                }
                o.path.count() + source
            }
            PatchOperation::Remove(_) | PatchOperation::Test(_) => 0,
        };
        depth_bound = depth_bound.max(reached);
        if depth_bound > MAX_DEPTH {
            return Err(Refusal::unprocessable(format!(
                "operation {i} at '{}' would nest the object deeper than {MAX_DEPTH} levels",
                op.path()
            )));
        }
        json_patch::patch_unsafe(obj, std::slice::from_ref(&op)).map_err(|e| {
            Refusal::unprocessable(format!(
                "operation {i} ({}) failed at path '{}': {}",
                op_name(&op),
                e.path,
                e.kind
            ))
        })?;
    }
    if !obj.is_object() {
        return Err(Refusal::unprocessable(format!(
            "the patched object is a JSON {}, not an object",
            go_kind(obj)
        )));
    }
    Ok(())
}

fn op_name(op: &PatchOperation) -> &'static str {
    match op {
        PatchOperation::Add(_) => "add",
        PatchOperation::Remove(_) => "remove",
        PatchOperation::Replace(_) => "replace",
        PatchOperation::Move(_) => "move",
        PatchOperation::Copy(_) => "copy",
        PatchOperation::Test(_) => "test",
    }
}

/// How deeply `v` nests (a scalar is 0, `{}` and `[]` are 1), without recursion.
pub(crate) fn depth(v: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(a) => Box::new(a.iter()),
            Value::Object(m) => Box::new(m.values()),
            _ => continue,
        };
        deepest = deepest.max(d + 1);
        stack.extend(children.map(|c| (c, d + 1)));
    }
    deepest
}

/// The length of `v` as JSON, counted up to `cap` (a larger value is `cap`).
fn json_len(v: &Value, cap: usize) -> usize {
    struct Count {
        n: usize,
        cap: usize,
    }
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.n += buf.len();
            if self.n >= self.cap {
                return Err(std::io::Error::other("over the cap"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count { n: 0, cap };
    let _ = serde_json::to_writer(&mut count, v);
    count.n.min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(obj: Value, ops: Value) -> Result<Value, Refusal> {
        let mut obj = obj;
        json_patch(&mut obj, ops.to_string().as_bytes())?;
        Ok(obj)
    }

    /// The refusal of a patch expected to fail (without printing a huge object if it applies).
    fn refusal(obj: Value, ops: Value) -> Refusal {
        match patched(obj, ops) {
            Ok(_) => panic!("the patch applied"),
            Err(r) => r,
        }
    }

    fn cause(r: &Refusal) -> &str {
        r.cause.as_deref().unwrap_or_default()
    }

    #[test]
    fn every_rfc6902_operation_applies() -> Result<(), Refusal> {
        let obj = json!({"metadata": {"labels": {"a": "1"}, "finalizers": ["x"]}, "spec": {}});
        let out = patched(
            obj,
            json!([
                {"op": "test", "path": "/metadata/labels/a", "value": "1"},
                {"op": "move", "from": "/metadata/labels/a", "path": "/metadata/labels/b"},
                {"op": "copy", "from": "/metadata/labels", "path": "/spec/labels"},
                {"op": "add", "path": "/metadata/finalizers/-", "value": "y"},
                {"op": "add", "path": "/metadata/finalizers/0", "value": "w"},
                {"op": "replace", "path": "/metadata/finalizers/1", "value": "x2"},
                {"op": "remove", "path": "/metadata/finalizers/2"},
                {"op": "add", "path": "/metadata/annotations", "value": {"example.com~1a/b": "v"}},
            ]),
        )?;
        assert_eq!(
            out,
            json!({"metadata": {"labels": {"b": "1"}, "finalizers": ["w", "x2"],
                                "annotations": {"example.com~1a/b": "v"}},
                   "spec": {"labels": {"b": "1"}}})
        );
        Ok(())
    }

    #[test]
    fn escaped_pointers_name_keys_with_slashes_and_tildes() -> Result<(), Refusal> {
        let obj = json!({"metadata": {"labels": {"app.kubernetes.io/name": "flyte", "a~b": "1"}}});
        let out = patched(
            obj,
            json!([
                {"op": "replace", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "x"},
                {"op": "remove", "path": "/metadata/labels/a~0b"},
            ]),
        )?;
        assert_eq!(
            out["metadata"]["labels"],
            json!({"app.kubernetes.io/name": "x"})
        );
        Ok(())
    }

    #[test]
    fn operations_that_do_not_apply_are_422_naming_the_operation() {
        let obj = json!({"metadata": {"labels": {"a": "1"}, "finalizers": ["x"]}});
        for (ops, why) in [
            (
                json!([{"op": "test", "path": "/metadata/labels/a", "value": "2"}]),
                "operation 0 (test) failed at path '/metadata/labels/a': value did not match",
            ),
            (
                json!([{"op": "replace", "path": "/metadata/labels/missing", "value": "2"}]),
                "operation 0 (replace) failed at path '/metadata/labels/missing': path is invalid",
            ),
            (
                json!([{"op": "remove", "path": "/spec"}]),
                "operation 0 (remove) failed at path '/spec': path is invalid",
            ),
            (
                json!([{"op": "add", "path": "/metadata/finalizers/5", "value": "y"}]),
                "operation 0 (add) failed at path '/metadata/finalizers/5'",
            ),
            (
                json!([{"op": "move", "from": "/nope", "path": "/metadata/x"}]),
                "operation 0 (move) failed at path '/metadata/x': \"from\" path is invalid",
            ),
            (
                json!([{"op": "copy", "from": "/metadata", "path": "/metadata/labels/m"},
                       {"op": "remove", "path": "/status"}]),
                "operation 1 (remove) failed at path '/status'",
            ),
            (
                json!([{"op": "frobnicate", "path": "/a"}]),
                "operation 0 is malformed: unknown variant `frobnicate`",
            ),
            (
                json!([{"op": "add", "value": 1}]),
                "operation 0 is malformed: missing field `path`",
            ),
            (
                json!([{"op": "replace", "path": "", "value": [1]}]),
                "the patched object is a JSON array, not an object",
            ),
        ] {
            let err = patched(obj.clone(), ops.clone()).expect_err(&ops.to_string());
            assert_eq!(
                (err.code, err.reason, err.message.as_str()),
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Invalid",
                    "the server rejected our request due to an error in our request"
                ),
                "{ops}"
            );
            assert!(cause(&err).starts_with(why), "{ops}: {}", cause(&err));
        }
    }

    #[test]
    fn a_body_that_is_not_a_patch_is_400_and_too_many_operations_413() {
        let mut obj = json!({});
        for (body, message) in [
            (
                &b"{\"op\": \"add\"}"[..],
                "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
            ),
            (
                b"\"add\"",
                "json: cannot unmarshal string into Go value of type jsonpatch.Patch",
            ),
        ] {
            let err = json_patch(&mut obj, body).expect_err("refused");
            assert_eq!(
                (err.code, err.message.as_str()),
                (StatusCode::BAD_REQUEST, message)
            );
        }
        let err = json_patch(&mut obj, b"[{").expect_err("refused");
        assert_eq!(err.code, StatusCode::BAD_REQUEST);
        let ops = vec![json!({"op": "test", "path": "", "value": {}}); 10_001];
        let err = json_patch(&mut obj, json!(ops).to_string().as_bytes()).expect_err("refused");
        assert_eq!(
            (err.code, err.reason, err.message.as_str()),
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"
            )
        );
    }

    #[test]
    fn a_failed_move_into_its_parent_is_an_error_not_a_panic() {
        // The json-patch crate's all-or-nothing `patch` panics undoing this move; the mock
        // patches a copy instead.
        let obj = json!({"a": {"b": {"c": 1}}});
        let ops = json!([{"op": "move", "from": "/a/b", "path": "/a"},
                         {"op": "test", "path": "/x", "value": 1}]);
        let err = patched(obj, ops).expect_err("test fails");
        assert_eq!(err.code, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            cause(&err).starts_with("operation 1 (test)"),
            "{}",
            cause(&err)
        );
    }

    #[test]
    fn copies_that_double_the_object_stop_at_the_limits() {
        let doubling: Vec<Value> = (0..64)
            .map(|i| json!({"op": "copy", "from": "", "path": format!("/x{i}")}))
            .collect();
        let err = refusal(json!({"pad": "p".repeat(1000)}), json!(doubling));
        assert_eq!(err.code, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            cause(&err).contains("accumulated size of copies"),
            "{}",
            cause(&err)
        );

        // Nesting deeper one level per operation, with the whole object copied each time: the
        // depth limit stops it before the copy limit would.
        let nesting: Vec<Value> = (0..2000)
            .map(|_| json!({"op": "copy", "from": "", "path": "/x"}))
            .collect();
        let err = refusal(json!({}), json!(nesting));
        assert!(
            cause(&err).contains("deeper than 1000 levels"),
            "{}",
            cause(&err)
        );
    }

    #[test]
    fn merge_patches_are_objects_and_null_removes() -> Result<(), Refusal> {
        let mut obj = json!({"metadata": {"labels": {"a": "1", "b": "2"}}});
        merge_patch(
            &mut obj,
            br#"{"metadata": {"labels": {"a": null, "c": "3"}}}"#,
        )?;
        assert_eq!(obj["metadata"]["labels"], json!({"b": "2", "c": "3"}));
        for body in [&b"null"[..], b"[1]", b"5", b"{", b""] {
            let err = merge_patch(&mut obj, body).expect_err("refused");
            assert_eq!(
                (err.code, err.message.as_str()),
                (StatusCode::BAD_REQUEST, "Invalid JSON Patch")
            );
        }
        Ok(())
    }

    #[test]
    fn bodies_for_create_and_apply_are_objects() {
        for body in [&b"[]"[..], b"\"x\"", b"1e999999", b"{\"a\":"] {
            let err = object(body).expect_err("refused");
            assert_eq!(err.code, StatusCode::BAD_REQUEST);
            assert!(
                err.message.starts_with("the body is not JSON"),
                "{}",
                err.message
            );
            let err = apply_config(body).expect_err("refused");
            assert!(
                err.message.starts_with("error decoding YAML: "),
                "{}",
                err.message
            );
        }
        let deep = "[".repeat(10_000);
        let err = object(deep.as_bytes()).expect_err("too deep");
        assert!(err.message.contains("recursion limit"), "{}", err.message);
    }

    #[test]
    fn depth_counts_nesting() {
        assert_eq!(depth(&json!(1)), 0);
        assert_eq!(depth(&json!({})), 1);
        assert_eq!(depth(&json!({"a": [1, {"b": []}]})), 4);
        assert_eq!(json_len(&json!({"a": 1}), 100), 7);
        assert_eq!(json_len(&json!({"a": 1}), 3), 3);
    }
}
