//! Server-side apply's field ownership for [`MockKube`](crate::MockKube), kept as the API server
//! keeps it in `metadata.managedFields` (`FieldsV1`: `{"f:metadata": {"f:labels": {"f:a": {}}}}`).
//!
//! An apply makes its field manager the owner of exactly the fields its configuration sets;
//! fields it set before and sets no longer are removed unless another manager owns them too; a
//! field another manager owns with a different value is a conflict unless the apply forces it.
//! Lists are atomic (owned whole), as `listType=atomic` fields are.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

/// A field: the keys leading to it.
pub(crate) type Field = Vec<String>;

/// One manager's fields, as one `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
struct Owner {
    manager: String,
    operation: String,
    api_version: String,
    fields: BTreeSet<Field>,
}

/// Fields a configuration sets that identify the object or belong to the server.
fn ignored(field: &[String]) -> bool {
    match field {
        [top, ..] if top == "apiVersion" || top == "kind" || top == "status" => true,
        [meta, key, ..] if meta == "metadata" => matches!(
            key.as_str(),
            "name"
                | "namespace"
                | "resourceVersion"
                | "uid"
                | "creationTimestamp"
                | "managedFields"
                | "generation"
        ),
        _ => false,
    }
}

/// The leaf fields under `v` (objects are followed; lists, scalars and empty objects are leaves).
fn leaves(v: &Value, at: &mut Field, out: &mut BTreeSet<Field>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                at.push(k.clone());
                leaves(child, at, out);
                at.pop();
            }
        }
        _ => {
            if !at.is_empty() && !ignored(at) {
                out.insert(at.clone());
            }
        }
    }
}

/// The fields an apply configuration sets.
pub(crate) fn applied_fields(config: &Value) -> BTreeSet<Field> {
    let mut out = BTreeSet::new();
    leaves(config, &mut Vec::new(), &mut out);
    out
}

fn to_fields_v1(fields: &BTreeSet<Field>) -> Value {
    fn insert(tree: &mut Map<String, Value>, field: &[String]) {
        let Some((first, rest)) = field.split_first() else {
            return;
        };
        let child = tree
            .entry(format!("f:{first}"))
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = child {
            insert(m, rest);
        }
    }
    let mut root = Map::new();
    for field in fields {
        insert(&mut root, field);
    }
    Value::Object(root)
}

fn from_fields_v1(v: &Value, at: &mut Field, out: &mut BTreeSet<Field>) {
    let Value::Object(m) = v else { return };
    if m.is_empty() && !at.is_empty() {
        out.insert(at.clone());
    }
    for (k, child) in m {
        // `k:` and `v:` keys (associative lists) do not occur: lists are atomic here.
        let Some(key) = k.strip_prefix("f:") else {
            continue;
        };
        at.push(key.to_owned());
        from_fields_v1(child, at, out);
        at.pop();
    }
}

fn owners(obj: &Value) -> Vec<Owner> {
    let Some(entries) = obj["metadata"]["managedFields"].as_array() else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|e| {
            let mut fields = BTreeSet::new();
            from_fields_v1(&e["fieldsV1"], &mut Vec::new(), &mut fields);
            Owner {
                manager: e["manager"].as_str().unwrap_or_default().to_owned(),
                operation: e["operation"].as_str().unwrap_or_default().to_owned(),
                api_version: e["apiVersion"].as_str().unwrap_or_default().to_owned(),
                fields,
            }
        })
        .collect()
}

fn set_owners(obj: &mut Value, owners: &[Owner]) {
    let entries: Vec<Value> = owners
        .iter()
        .filter(|o| !o.fields.is_empty())
        .map(|o| {
            json!({
                "manager": o.manager,
                "operation": o.operation,
                "apiVersion": o.api_version,
                "fieldsType": "FieldsV1",
                "fieldsV1": to_fields_v1(&o.fields),
            })
        })
        .collect();
    if let Some(meta) = obj["metadata"].as_object_mut() {
        if entries.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(entries));
        }
    }
}

fn get<'a>(v: &'a Value, field: &[String]) -> Option<&'a Value> {
    field.iter().try_fold(v, |at, key| at.get(key))
}

fn remove(v: &mut Value, field: &[String]) {
    let Some((last, parents)) = field.split_last() else {
        return;
    };
    let mut at = v;
    for key in parents {
        match at.get_mut(key) {
            Some(next) => at = next,
            None => return,
        }
    }
    if let Some(m) = at.as_object_mut() {
        m.remove(last);
    }
}

/// A field as the API server writes it in conflicts: `.metadata.labels.team`.
pub(crate) fn dotted(field: &[String]) -> String {
    field.iter().map(|k| format!(".{k}")).collect()
}

/// Applies ownership for `manager` applying `config` to `obj` (before `config` is merged in):
/// removes the fields it no longer sets that nobody else owns, and records what it owns now.
///
/// # Errors
/// The conflicts, each another manager and the field it owns with a different value, when the
/// apply is not forced; `obj` is then unchanged.
pub(crate) fn apply(
    obj: &mut Value,
    config: &Value,
    manager: &str,
    api_version: &str,
    force: bool,
) -> Result<(), Vec<(String, Field)>> {
    let applied = applied_fields(config);
    let mut all = owners(obj);
    let conflicts: Vec<(String, Field)> = all
        .iter()
        .filter(|o| o.manager != manager)
        .flat_map(|o| {
            o.fields
                .intersection(&applied)
                .filter(|f| get(obj, f) != get(config, f))
                .map(|f| (o.manager.clone(), f.clone()))
        })
        .collect();
    if !force && !conflicts.is_empty() {
        return Err(conflicts);
    }
    // Forced: the fields in conflict change hands.
    for o in all.iter_mut().filter(|o| o.manager != manager) {
        o.fields
            .retain(|f| !conflicts.iter().any(|(m, c)| *m == o.manager && c == f));
    }
    let before = all
        .iter()
        .position(|o| o.manager == manager && o.operation == "Apply")
        .map(|i| all.remove(i).fields)
        .unwrap_or_default();
    let others: BTreeSet<&Field> = all.iter().flat_map(|o| &o.fields).collect();
    for gone in before.difference(&applied) {
        // An empty map applied before and filled now is still applied: its entries stay.
        let still_set = applied.iter().any(|f| f.starts_with(gone));
        if !others.contains(gone) && !still_set {
            remove(obj, gone);
        }
    }
    all.push(Owner {
        manager: manager.to_owned(),
        operation: "Apply".to_owned(),
        api_version: api_version.to_owned(),
        fields: applied,
    });
    set_owners(obj, &all);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(obj: &Value) -> Value {
        obj["metadata"]["labels"].clone()
    }

    #[test]
    fn an_applier_owns_what_it_sets_and_loses_what_it_stops_setting() {
        let mut obj = json!({"metadata": {"name": "n", "labels": {"from-fixture": "1"}}});
        let first = json!({"metadata": {"name": "n", "labels": {"a": "1", "b": "2"}}});
        apply(&mut obj, &first, "flyte-rs", "v1", false).expect("no conflict");
        json_patch::merge(&mut obj, &first);
        let second = json!({"metadata": {"name": "n", "labels": {"a": "1"}}});
        apply(&mut obj, &second, "flyte-rs", "v1", false).expect("no conflict");
        json_patch::merge(&mut obj, &second);
        // b was ours and is gone; the fixture's label was nobody's and stays.
        assert_eq!(labels(&obj), json!({"from-fixture": "1", "a": "1"}));
        let entries = obj["metadata"]["managedFields"].clone();
        assert_eq!(
            entries,
            json!([{"manager": "flyte-rs", "operation": "Apply", "apiVersion": "v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {"f:labels": {"f:a": {}}}}}])
        );
    }

    #[test]
    fn a_field_another_manager_owns_is_kept_or_conflicts() {
        let mut obj = json!({"metadata": {"name": "n"}});
        let ours = json!({"metadata": {"labels": {"shared": "x", "mine": "1"}}});
        apply(&mut obj, &ours, "flyte-rs", "v1", false).expect("first");
        json_patch::merge(&mut obj, &ours);
        // The same value: both own it, and ours stopping leaves it in place.
        let theirs = json!({"metadata": {"labels": {"shared": "x"}}});
        apply(&mut obj, &theirs, "kubectl", "v1", false).expect("same value");
        json_patch::merge(&mut obj, &theirs);
        let fewer = json!({"metadata": {"labels": {"mine": "1"}}});
        apply(&mut obj, &fewer, "flyte-rs", "v1", false).expect("no conflict");
        json_patch::merge(&mut obj, &fewer);
        assert_eq!(labels(&obj), json!({"shared": "x", "mine": "1"}));
        // A different value is a conflict naming the owner and the field ...
        let change = json!({"metadata": {"labels": {"mine": "2"}}});
        let before = obj.clone();
        let err = apply(&mut obj, &change, "kubectl", "v1", false).expect_err("conflict");
        assert_eq!(
            err,
            [(
                "flyte-rs".to_owned(),
                vec!["metadata".into(), "labels".into(), "mine".into()]
            )]
        );
        assert_eq!(dotted(&err[0].1), ".metadata.labels.mine");
        assert_eq!(obj, before, "nothing changed");
        // ... unless forced: then the field changes hands.
        apply(&mut obj, &change, "kubectl", "v1", true).expect("forced");
        json_patch::merge(&mut obj, &change);
        let owners = owners(&obj);
        let mine = vec![
            "metadata".to_owned(),
            "labels".to_owned(),
            "mine".to_owned(),
        ];
        assert!(owners
            .iter()
            .all(|o| (o.manager == "kubectl") == o.fields.contains(&mine)));
    }

    #[test]
    fn an_empty_map_applied_then_filled_keeps_what_others_put_in_it() {
        let mut obj = json!({"metadata": {"name": "n"}});
        let empty = json!({"metadata": {"annotations": {}}});
        apply(&mut obj, &empty, "flyte-rs", "v1", false).expect("first");
        json_patch::merge(&mut obj, &empty);
        obj["metadata"]["annotations"]["theirs"] = json!("kept");
        let filled = json!({"metadata": {"annotations": {"ours": "1"}}});
        apply(&mut obj, &filled, "flyte-rs", "v1", false).expect("second");
        json_patch::merge(&mut obj, &filled);
        assert_eq!(
            obj["metadata"]["annotations"],
            json!({"theirs": "kept", "ours": "1"})
        );
    }

    #[test]
    fn lists_are_owned_whole_and_identity_is_nobodys() {
        let config = json!({
            "apiVersion": "v1", "kind": "LimitRange",
            "metadata": {"name": "n", "namespace": "ns", "labels": {}},
            "spec": {"limits": [{"type": "Container"}]},
        });
        let fields: Vec<String> = applied_fields(&config).iter().map(|f| dotted(f)).collect();
        assert_eq!(fields, [".metadata.labels", ".spec.limits"]);
    }
}
