//! [`MockKube`]: a Kubernetes API server in-process on 127.0.0.1, for testing code that manages
//! Flyte's Kubernetes objects without a cluster.
//!
//! It answers the real API paths (`/api/v1/...`, `/apis/GROUP/VERSION/...`) with real JSON
//! shapes: get, list (with label and simple field selectors, in one namespace or across all,
//! in pages with `limit` and `continue`),
//! create, replace, delete, server-side apply (`application/apply-patch+yaml`), merge patches
//! and RFC 6902 JSON patches (`add`, `remove`, `replace`, `move`, `copy`, `test`, all or
//! nothing), `dryRun=All`, pod logs, and `Status` errors as the API server words them: 403,
//! 404, 409, 400 for a body it cannot read, 413 past its size limits, 415 for an unknown patch
//! type, 422 for a JSON patch that does not apply. Objects are JSON values, so any kind works,
//! custom resources included.
//!
//! Server-side apply keeps field ownership in `metadata.managedFields` as the API server does: a
//! field manager owns the fields its last apply set; a field it set before and omits now is
//! removed unless another manager owns it; setting a field another manager owns to a different
//! value is a 409 conflict naming both, unless the apply is forced. Lists are owned whole (as
//! `listType=atomic`), and writes other than apply take no ownership.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let kube = flyte_testkit::MockKube::start().await?;
//! std::fs::write("kubeconfig", kube.kubeconfig_yaml())?;   // then KUBECONFIG=kubeconfig
//! kube.insert(serde_json::json!({
//!     "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flyte"}
//! }));
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};
use tokio::sync::oneshot;

mod bodies;
mod deletion;
mod fuzz;
mod list;

pub(crate) use fuzz::fuzz_request;

/// Where an object lives: its resource (plural), namespace ("" for cluster-wide) and name.
type Key = (String, String, String);

#[derive(Debug, Default)]
struct Store {
    objects: BTreeMap<Key, Value>,
    resource_version: u64,
    /// Continue tokens of lists at a resourceVersion below this are expired.
    compacted: u64,
    denied: HashSet<(String, String)>,
    conflicts: HashMap<String, usize>,
    requests: Vec<(String, String)>,
    logs: HashMap<(String, String, String), String>,
    /// Merge patches to apply to an object right after its next GET is answered.
    after_get: HashMap<Key, Value>,
}

/// The kinds the mock names, with their plurals (the resource in API paths).
const KINDS: [(&str, &str); 12] = [
    ("Namespace", "namespaces"),
    ("Secret", "secrets"),
    ("ResourceQuota", "resourcequotas"),
    ("LimitRange", "limitranges"),
    ("ServiceAccount", "serviceaccounts"),
    ("Pod", "pods"),
    ("Event", "events"),
    ("ConfigMap", "configmaps"),
    ("Deployment", "deployments"),
    ("StatefulSet", "statefulsets"),
    ("ReplicaSet", "replicasets"),
    ("FlyteWorkflow", "flyteworkflows"),
];

/// The kind of a resource, from its plural (an unknown plural loses its `s`).
fn kind_of(resource: &str) -> String {
    KINDS.iter().find(|(_, r)| *r == resource).map_or_else(
        || resource.trim_end_matches('s').to_owned(),
        |(k, _)| (*k).to_owned(),
    )
}

/// The plural of a kind, for objects inserted as fixtures.
fn resource_of(kind: &str) -> String {
    KINDS.iter().find(|(k, _)| *k == kind).map_or_else(
        || format!("{}s", kind.to_ascii_lowercase()),
        |(_, r)| (*r).to_owned(),
    )
}

fn status(code: StatusCode, reason: &str, message: String) -> Response<Body> {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code.as_u16(),
    });
    respond(code, &body)
}

fn respond(code: StatusCode, body: &Value) -> Response<Body> {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = code;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

/// A refused write's answer, with the mock's explanation in `details.causes` where there is one.
fn refused(r: bodies::Refusal) -> Response<Body> {
    let mut body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": r.message, "reason": r.reason, "code": r.code.as_u16(),
    });
    if let Some(cause) = r.cause {
        body["details"] = json!({"causes": [{"message": cause}]});
    }
    respond(r.code, &body)
}

/// The value of `key` in a URL query, decoded as the client's form encoding wrote it.
fn query_param(query: &str, key: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// A parsed request path.
struct Target {
    api_version: String,
    resource: String,
    namespace: String,
    name: Option<String>,
    sub: Option<String>,
}

fn parse_path(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (api_version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ((*v).to_owned(), rest),
        ["apis", g, v, rest @ ..] => (format!("{g}/{v}"), rest),
        _ => return None,
    };
    let own = |s: &&str| (*s).to_owned();
    let t = |resource: &str, namespace: &str, name: Option<&&str>, sub: Option<&&str>| Target {
        api_version: api_version.clone(),
        resource: resource.to_owned(),
        namespace: namespace.to_owned(),
        name: name.map(own),
        sub: sub.map(own),
    };
    Some(match rest {
        ["namespaces"] => t("namespaces", "", None, None),
        ["namespaces", name] => t("namespaces", "", Some(name), None),
        ["namespaces", ns, resource] => t(resource, ns, None, None),
        ["namespaces", ns, resource, name] => t(resource, ns, Some(name), None),
        ["namespaces", ns, resource, name, sub] => t(resource, ns, Some(name), Some(sub)),
        [resource] => t(resource, "", None, None),
        [resource, name] => t(resource, "", Some(name), None),
        _ => return None,
    })
}

/// An in-process Kubernetes API server. Stops when dropped.
///
/// Deletion is graceful as on a cluster: a DELETE of an object with finalizers marks it
/// (`metadata.deletionTimestamp`, a new resourceVersion) and the write that removes its last
/// finalizer removes it; a marked object takes no new finalizer (422). Every write that changes
/// an object gives it a new resourceVersion.
///
/// Writes are read as the API server reads them, and refused with its `Status` (code, reason,
/// message) when it would refuse them: a body that is not a JSON object (400), over 3 MiB
/// (413), a PATCH of an unknown content type (415), a JSON patch that does not apply (422: a
/// failed `test`, a `replace` or `remove` of a missing path). Where the API server's message
/// does not say why (422 is only "the server rejected our request due to an error in our
/// request"), the mock adds the reason in `details.causes`.
#[derive(Debug)]
pub struct MockKube {
    addr: SocketAddr,
    store: Arc<Mutex<Store>>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for MockKube {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
    }
}

impl MockKube {
    /// Starts serving on 127.0.0.1, on a free port.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start() -> std::io::Result<MockKube> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let store = Arc::new(Mutex::new(Store::default()));
        let shared = Arc::clone(&store);
        let make = make_service_fn(move |_| {
            let store = Arc::clone(&shared);
            async move {
                Ok::<_, Infallible>(service_fn(move |req| {
                    let store = Arc::clone(&store);
                    async move { Ok::<_, Infallible>(handle(&store, req).await) }
                }))
            }
        });
        let (tx, rx) = oneshot::channel::<()>();
        let server = hyper::Server::from_tcp(listener)
            .map_err(std::io::Error::other)?
            .tcp_nodelay(true)
            .serve(make)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            });
        tokio::spawn(async move {
            let _ = server.await;
        });
        Ok(MockKube {
            addr,
            store,
            shutdown: Some(tx),
        })
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig whose only context, `mock`, points at this server.
    pub fn kubeconfig_yaml(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: mock\n  cluster:\n    server: {}\nusers:\n- name: mock\n  user:\n    token: mock-token\ncontexts:\n- name: mock\n  context:\n    cluster: mock\n    user: mock\n    namespace: default\ncurrent-context: mock\n",
            self.url()
        )
    }

    /// Adds (or replaces) an object, as a fixture: any kind, with `apiVersion`, `kind` and
    /// `metadata.name` (and `metadata.namespace` for namespaced kinds).
    pub fn insert(&self, mut object: Value) {
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        let ns = object["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut store = self.store();
        store.resource_version += 1;
        let rv = store.resource_version;
        // A fixture that is not an object is kept as given: indexing into it would panic.
        if let Some(m) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            m.entry("resourceVersion")
                .or_insert_with(|| Value::String(rv.to_string()));
            m.entry("uid")
                .or_insert_with(|| Value::String(format!("uid-{rv}")));
        }
        store.objects.insert((resource_of(&kind), ns, name), object);
    }

    /// The object of `kind` (`Secret`, `Namespace`, ...) named `name` in `namespace` ("" for
    /// cluster-wide kinds).
    pub fn object(&self, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        self.store()
            .objects
            .get(&(resource_of(kind), namespace.to_owned(), name.to_owned()))
            .cloned()
    }

    /// Every object of `kind`, across namespaces.
    pub fn objects(&self, kind: &str) -> Vec<Value> {
        let resource = resource_of(kind);
        self.store()
            .objects
            .iter()
            .filter(|((r, _, _), _)| *r == resource)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Answers `verb` (`get`, `list`, `create`, `patch`, `update`, `delete`) on `resource`
    /// (plural, `secrets`) with 403 from now on, as RBAC would.
    pub fn deny(&self, verb: &str, resource: &str) {
        self.store()
            .denied
            .insert((verb.to_owned(), resource.to_owned()));
    }

    /// Another client's write, racing the next read: right after the next GET of the object of
    /// `kind` named `name` in `namespace` is answered, `merge_patch` (RFC 7386) is applied to
    /// it, which gives it a new resourceVersion. For testing that a read-modify-write notices
    /// the object changed in between.
    pub fn write_after_next_get(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
        merge_patch: Value,
    ) {
        self.store().after_get.insert(
            (resource_of(kind), namespace.to_owned(), name.to_owned()),
            merge_patch,
        );
    }

    /// Answers the next `times` writes to `resource` with 409 (a field manager conflict).
    pub fn conflict_next(&self, resource: &str, times: usize) {
        self.store().conflicts.insert(resource.to_owned(), times);
    }

    /// Expires every continue token handed out so far, as etcd's compaction does on a real
    /// cluster: continuing one of those lists is answered 410 Gone (reason `Expired`), and a
    /// client must list again from the start.
    pub fn compact(&self) {
        let mut store = self.store();
        store.resource_version += 1;
        store.compacted = store.resource_version;
    }

    /// The log of `container` of `pod` in `namespace`.
    pub fn set_log(&self, namespace: &str, pod: &str, container: &str, text: &str) {
        self.store().logs.insert(
            (namespace.to_owned(), pod.to_owned(), container.to_owned()),
            text.to_owned(),
        );
    }

    /// The requests served so far, as (method, path and query).
    pub fn requests(&self) -> Vec<(String, String)> {
        self.store().requests.clone()
    }

    /// How many write requests (POST, PUT, PATCH, DELETE) arrived, dry runs and refused ones
    /// included.
    pub fn writes(&self) -> usize {
        self.store()
            .requests
            .iter()
            .filter(|(m, _)| m != "GET")
            .count()
    }
}

async fn handle(store: &Mutex<Store>, req: Request<Body>) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let content_type = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let limit = bodies::MAX_BODY_BYTES;
    let body = crate::http::read_limited(req.into_body(), limit)
        .await
        .ok_or_else(|| bodies::Refusal::too_large(format!("limit is {limit}")));
    let mut store = store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    answer(&mut store, &method, &path, &query, &content_type, body)
}

/// The answer to one request, its body read (or refused).
fn answer(
    store: &mut Store,
    method: &Method,
    path: &str,
    query: &str,
    content_type: &str,
    body: Result<Vec<u8>, bodies::Refusal>,
) -> Response<Body> {
    store.requests.push((
        method.to_string(),
        if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        },
    ));
    let Some(t) = parse_path(path) else {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        );
    };
    let verb = match (method, &t.name) {
        (&Method::GET, None) => "list",
        (&Method::GET, Some(_)) => "get",
        (&Method::POST, _) => "create",
        (&Method::PUT, _) => "update",
        (&Method::PATCH, _) => "patch",
        (&Method::DELETE, _) => "delete",
        _ => {
            return status(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                format!("{method} is not supported"),
            )
        }
    };
    if store
        .denied
        .contains(&(verb.to_owned(), t.resource.clone()))
    {
        let group = t.api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let scope = if t.namespace.is_empty() {
            "at the cluster scope".to_owned()
        } else {
            format!("in the namespace \"{}\"", t.namespace)
        };
        return status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "{} is forbidden: User \"mock\" cannot {verb} resource \"{}\" in API group \"{group}\" {scope}",
                t.name.as_deref().map_or_else(|| t.resource.clone(), |n| format!("{} \"{n}\"", t.resource)),
                t.resource
            ),
        );
    }
    let dry_run = query_param(query, "dryRun").is_some_and(|v| v == "All");
    let kind = kind_of(&t.resource);
    match (verb, t.sub.as_deref()) {
        ("list", _) => list::list(store, &t, query, &kind),
        ("get", Some("log")) => {
            let name = t.name.clone().unwrap_or_default();
            let container = query_param(query, "container").unwrap_or_default();
            if !store
                .objects
                .contains_key(&("pods".to_owned(), t.namespace.clone(), name.clone()))
            {
                return status(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    format!("pods \"{name}\" not found"),
                );
            }
            let text = store
                .logs
                .iter()
                .find(|((ns, pod, c), _)| {
                    *ns == t.namespace && *pod == name && (container.is_empty() || *c == container)
                })
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let text = match query_param(query, "tailLines").and_then(|n| n.parse::<usize>().ok()) {
                Some(n) => {
                    let lines: Vec<&str> = text.lines().collect();
                    lines[lines.len().saturating_sub(n)..].join("\n")
                }
                None => text,
            };
            let mut r = Response::new(Body::from(text));
            r.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("text/plain"),
            );
            r
        }
        ("get", _) => {
            let name = t.name.clone().unwrap_or_default();
            let key = (t.resource.clone(), t.namespace.clone(), name.clone());
            let answer = match store.objects.get(&key) {
                Some(v) => respond(StatusCode::OK, v),
                None => status(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    format!("{} \"{name}\" not found", t.resource),
                ),
            };
            if let Some(patch) = store.after_get.remove(&key) {
                racing_write(store, &key, &kind, &patch);
            }
            answer
        }
        (verb, _) => {
            let options = WriteOptions {
                dry_run,
                field_manager: query_param(query, "fieldManager").unwrap_or_default(),
                force: query_param(query, "force").is_some_and(|v| v == "true"),
            };
            match body {
                Ok(body) => write(store, &t, verb, &kind, content_type, &body, &options),
                Err(refusal) => refused(refusal),
            }
        }
    }
}

/// A write's query parameters.
struct WriteOptions {
    dry_run: bool,
    field_manager: String,
    force: bool,
}

fn write(
    store: &mut Store,
    t: &Target,
    verb: &str,
    kind: &str,
    content_type: &str,
    body: &[u8],
    options: &WriteOptions,
) -> Response<Body> {
    let dry_run = options.dry_run;
    if let Some(n) = store.conflicts.get_mut(&t.resource) {
        if *n > 0 {
            *n -= 1;
            return status(
                StatusCode::CONFLICT,
                "Conflict",
                format!("Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: .metadata.labels for {} \"{}\"", t.resource, t.name.clone().unwrap_or_default()),
            );
        }
    }
    // A create or replace names its object in its body; other writes name it in the path.
    let sent = match verb {
        "create" | "update" => match bodies::object(body) {
            Ok(v) => Some(v),
            Err(refusal) => return refused(refusal),
        },
        _ => None,
    };
    let name = t
        .name
        .clone()
        .or_else(|| {
            sent.as_ref()
                .and_then(|p| p["metadata"]["name"].as_str().map(str::to_owned))
        })
        .unwrap_or_default();
    let key = (t.resource.clone(), t.namespace.clone(), name.clone());
    let existing = store.objects.get(&key).cloned();
    if verb == "delete" {
        let Some(old) = existing else {
            return status(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("{} \"{name}\" not found", t.resource),
            );
        };
        return deletion::delete(store, &key, old, dry_run);
    }
    if !t.namespace.is_empty()
        && t.resource != "namespaces"
        && !store.objects.contains_key(&(
            "namespaces".to_owned(),
            String::new(),
            t.namespace.clone(),
        ))
    {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("namespaces \"{}\" not found", t.namespace),
        );
    }
    let (mut next, created) = match (verb, existing.clone(), sent) {
        ("create", Some(_), _) => {
            return status(
                StatusCode::CONFLICT,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", t.resource),
            );
        }
        ("create" | "update", None, Some(sent)) => (sent, true),
        ("update", Some(_), Some(sent)) => (sent, false),
        ("patch", current, _) => {
            match patch(t, kind, &name, current, content_type, body, options) {
                Ok(patched) => patched,
                Err(answer) => return answer,
            }
        }
        _ => {
            return status(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                verb.to_owned(),
            )
        }
    };
    let fate = match deletion::settle(kind, &name, existing.as_ref(), &mut next) {
        Ok(fate) => fate,
        Err(answer) => return answer,
    };
    // The server owns these fields.
    let unchanged = existing.as_ref().is_some_and(|old| {
        let strip = |v: &Value| {
            let mut v = v.clone();
            if let Some(m) = v["metadata"].as_object_mut() {
                m.remove("resourceVersion");
            }
            v
        };
        strip(old) == strip(&next)
    });
    let rv = if unchanged {
        existing
            .as_ref()
            .and_then(|o| o["metadata"]["resourceVersion"].as_str().map(str::to_owned))
            .unwrap_or_default()
    } else {
        (store.resource_version + 1).to_string()
    };
    if let Some(m) = next["metadata"].as_object_mut() {
        m.insert("name".into(), Value::String(name.clone()));
        if !t.namespace.is_empty() {
            m.insert("namespace".into(), Value::String(t.namespace.clone()));
        }
        m.insert("resourceVersion".into(), Value::String(rv.clone()));
        let uid = existing
            .as_ref()
            .and_then(|o| o["metadata"]["uid"].as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("uid-{rv}"));
        m.insert("uid".into(), Value::String(uid));
        m.entry("creationTimestamp")
            .or_insert_with(|| Value::String("2026-01-01T00:00:00Z".into()));
    } else if let Some(o) = next.as_object_mut() {
        let mut m = Map::new();
        m.insert("name".into(), Value::String(name));
        o.insert("metadata".into(), Value::Object(m));
    }
    if !dry_run && !unchanged {
        store.resource_version += 1;
        match fate {
            deletion::Fate::Kept => store.objects.insert(key, next.clone()),
            deletion::Fate::Removed => store.objects.remove(&key),
        };
    }
    respond(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        &next,
    )
}

/// Another client's merge patch of the object at `key`, if it exists, with a new resourceVersion.
fn racing_write(store: &mut Store, key: &Key, kind: &str, patch: &Value) {
    let Some(old) = store.objects.get(key).cloned() else {
        return;
    };
    let mut next = old.clone();
    json_patch::merge(&mut next, patch);
    let Ok(fate) = deletion::settle(kind, &key.2, Some(&old), &mut next) else {
        return;
    };
    store.resource_version += 1;
    if let Some(m) = next["metadata"].as_object_mut() {
        m.insert(
            "resourceVersion".into(),
            Value::String(store.resource_version.to_string()),
        );
    }
    match fate {
        deletion::Fate::Kept => store.objects.insert(key.clone(), next),
        deletion::Fate::Removed => store.objects.remove(key),
    };
}

/// A PATCH of the object `name` (`current`, if it exists) with `body`, read by its content type:
/// the patched object and whether the patch created it, or the answer refusing it.
fn patch(
    t: &Target,
    kind: &str,
    name: &str,
    current: Option<Value>,
    content_type: &str,
    body: &[u8],
    options: &WriteOptions,
) -> Result<(Value, bool), Response<Body>> {
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let apply = media_type == "application/apply-patch+yaml";
    if !apply
        && !matches!(
            media_type.as_str(),
            "application/json-patch+json"
                | "application/merge-patch+json"
                | "application/strategic-merge-patch+json"
        )
    {
        return Err(status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: \
                 application/json-patch+json, application/merge-patch+json, \
                 application/apply-patch+yaml ({content_type:?} is not one of them)"
            ),
        ));
    }
    let created = current.is_none();
    if created && !apply {
        return Err(status(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("{} \"{name}\" not found", t.resource),
        ));
    }
    let mut obj = current
        .unwrap_or_else(|| json!({"apiVersion": t.api_version, "kind": kind, "metadata": {}}));
    if !apply {
        let patched = if media_type == "application/json-patch+json" {
            bodies::json_patch(&mut obj, body)
        } else {
            bodies::merge_patch(&mut obj, body)
        };
        return match patched {
            Ok(()) => Ok((obj, created)),
            Err(refusal) => Err(refused(refusal)),
        };
    }
    if options.field_manager.is_empty() {
        return Err(status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: \
             is required for apply patch"
                .to_owned(),
        ));
    }
    let config = bodies::apply_config(body).map_err(refused)?;
    if let Err(conflicts) = crate::ssa::apply(
        &mut obj,
        &config,
        &options.field_manager,
        &t.api_version,
        options.force,
    ) {
        let n = conflicts.len();
        let list: Vec<String> = conflicts
            .iter()
            .map(|(m, f)| {
                format!(
                    "conflict with \"{m}\" using {}: {}",
                    t.api_version,
                    crate::ssa::dotted(f)
                )
            })
            .collect();
        return Err(status(
            StatusCode::CONFLICT,
            "Conflict",
            format!(
                "Apply failed with {n} conflict{}: {}",
                if n == 1 { "" } else { "s" },
                list.join("; ")
            ),
        ));
    }
    json_patch::merge(&mut obj, &config);
    Ok((obj, created))
}
