//! The fuzz targets' way into [`MockKube`](super::MockKube): one request, answered as the
//! server answers it, without a socket.

use hyper::Method;
use serde_json::json;

use super::{answer, bodies, Store};

/// One request to a fresh mock holding the namespace `ns` and the secret `ns/s`, as the fuzz
/// targets send it: the answer's status code. The objects it leaves must serialize.
pub(crate) fn fuzz_request(
    method: &str,
    path: &str,
    query: &str,
    content_type: &str,
    body: &[u8],
) -> u16 {
    let mut store = Store::default();
    for (key, object) in [
        (
            ("namespaces", "", "ns"),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}),
        ),
        (
            ("secrets", "ns", "s"),
            json!({"apiVersion": "v1", "kind": "Secret",
                   "metadata": {"name": "s", "namespace": "ns", "labels": {"a": "1"},
                                "finalizers": ["f"], "managedFields": [{"manager": "m",
                                "operation": "Apply", "fieldsV1": {"f:data": {"f:k": {}}}}]},
                   "data": {"k": "dg=="}}),
        ),
    ] {
        let (r, ns, name) = key;
        store
            .objects
            .insert((r.to_owned(), ns.to_owned(), name.to_owned()), object);
    }
    let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::PATCH);
    let body = if body.len() > bodies::MAX_BODY_BYTES {
        Err(bodies::Refusal::too_large("the fuzz target's body"))
    } else {
        Ok(body.to_vec())
    };
    let code = answer(&mut store, &method, path, query, content_type, body).status();
    for object in store.objects.values() {
        let _ = serde_json::to_vec(object);
    }
    code.as_u16()
}
