//! The JSON-schema rules flytepropeller applies between two `STRUCT` types whose metadata holds
//! the JSON schemas flytekit writes for dataclasses and pydantic models (mashumaro, draft
//! 2020-12): `isSameTypeInJSON` (the two schemas are the same JSON document) and
//! `isSuperTypeInJSON` (every value the upstream schema admits, the downstream one admits too).
//!
//! Go answers the second with `gitlab.com/yvesf/json-schema-compare` over schemas compiled by
//! `santhosh-tekuri/jsonschema` v1, and accepts when the only differences it finds are keywords
//! that library does not implement. Here the same question is answered keyword by keyword for
//! what those schemas use (`type`, `required`, `properties`, `items`, `enum`, `const`, `anyOf`,
//! `oneOf`, `allOf`, local `$ref`s); other keywords are not compared, as Go ignores the ones it
//! does not implement. A schema that does not compile (a keyword of the wrong JSON kind, a `$ref`
//! that does not resolve) is never a supertype, as in Go.

use prost_types::{value, Struct, Value};
use serde_json::{Map, Value as Json};

/// How deep `$ref`s are followed: recursive schemas stop there and are taken as compatible.
const MAX_DEPTH: usize = 32;

/// The metadata as the JSON Go marshals; `None` where Go's marshalling fails (NaN or infinity).
fn to_json(s: &Struct) -> Option<Json> {
    fn value_json(v: &Value) -> Option<Json> {
        Some(match &v.kind {
            None | Some(value::Kind::NullValue(_)) => Json::Null,
            Some(value::Kind::NumberValue(n)) => Json::Number(serde_json::Number::from_f64(*n)?),
            Some(value::Kind::StringValue(s)) => Json::String(s.clone()),
            Some(value::Kind::BoolValue(b)) => Json::Bool(*b),
            Some(value::Kind::StructValue(s)) => to_json(s)?,
            Some(value::Kind::ListValue(l)) => {
                Json::Array(l.values.iter().map(value_json).collect::<Option<_>>()?)
            }
        })
    }
    let mut out = Map::new();
    for (k, v) in &s.fields {
        out.insert(k.clone(), value_json(v)?);
    }
    Some(Json::Object(out))
}

/// `isSameTypeInJSON`: the two schemas are equal as JSON documents.
pub(crate) fn same_type(upstream: &Struct, downstream: &Struct) -> bool {
    match (to_json(upstream), to_json(downstream)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// `isSuperTypeInJSON`: both schemas compile, and every value the upstream one admits the
/// downstream one admits too.
pub(crate) fn super_type(upstream: &Struct, downstream: &Struct) -> bool {
    let (Some(src), Some(tgt)) = (to_json(upstream), to_json(downstream)) else {
        return false;
    };
    if !compiles(&src, &src, 0) || !compiles(&tgt, &tgt, 0) {
        return false;
    }
    Roots {
        src: &src,
        tgt: &tgt,
    }
    .admits(&tgt, &src, 0)
}

/// A local `$ref` (`#`, `#/$defs/A`, `#/definitions/A`) resolved against its document.
fn resolve<'a>(root: &'a Json, reference: &str) -> Option<&'a Json> {
    let pointer = reference.strip_prefix('#')?;
    let decoded: String = pointer
        .split('/')
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join("/");
    root.pointer(&decoded)
}

/// The shape checks the Go compiler makes before comparing: schemas are objects or booleans,
/// and the keywords compared here hold the JSON kinds the specification gives them.
fn compiles(schema: &Json, root: &Json, depth: usize) -> bool {
    let Json::Object(m) = schema else {
        return schema.is_boolean();
    };
    if depth > MAX_DEPTH {
        return true;
    }
    let sub = |s: &Json| compiles(s, root, depth + 1);
    let schemas_in_object = |v: &Json| v.as_object().is_some_and(|o| o.values().all(sub));
    let schema_list = |v: &Json| {
        v.as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(sub))
    };
    m.iter().all(|(k, v)| match k.as_str() {
        "$ref" => v.as_str().and_then(|r| resolve(root, r)).is_some(),
        "type" => match v {
            Json::String(t) => TYPES.contains(&t.as_str()),
            Json::Array(ts) => ts
                .iter()
                .all(|t| t.as_str().is_some_and(|t| TYPES.contains(&t))),
            _ => false,
        },
        "required" => v.as_array().is_some_and(|a| a.iter().all(Json::is_string)),
        "enum" => v.is_array(),
        "properties" | "$defs" | "definitions" | "patternProperties" => schemas_in_object(v),
        "anyOf" | "oneOf" | "allOf" => schema_list(v),
        "items" => sub(v) || schema_list(v),
        "not" | "additionalProperties" | "additionalItems" | "contains" => sub(v),
        "title" | "description" => v.is_string(),
        _ => true,
    })
}

fn has_ref(schema: &Json) -> bool {
    match schema {
        Json::Object(m) => m.contains_key("$ref") || m.values().any(has_ref),
        Json::Array(a) => a.iter().any(has_ref),
        _ => false,
    }
}

const TYPES: [&str; 7] = [
    "array", "boolean", "integer", "null", "number", "object", "string",
];

struct Roots<'a> {
    src: &'a Json,
    tgt: &'a Json,
}

impl Roots<'_> {
    /// Whether every value `src` admits, `tgt` admits too.
    fn admits(&self, tgt: &Json, src: &Json, depth: usize) -> bool {
        // Equal schemas admit the same values, unless a `$ref` points into different documents.
        if depth > MAX_DEPTH || (tgt == src && !has_ref(src)) {
            return true;
        }
        let (tgt, src) = match (self.deref(tgt, self.tgt), self.deref(src, self.src)) {
            (Some(t), Some(s)) => (t, s),
            _ => return false,
        };
        match (tgt, src) {
            (Json::Bool(true), _) | (_, Json::Bool(false)) => return true,
            (Json::Bool(false), _) => return false,
            (Json::Object(t), _) if t.is_empty() => return true,
            _ => {}
        }
        let (Json::Object(t), Json::Object(s)) = (tgt, src) else {
            return false;
        };
        let next = depth + 1;
        // A union upstream: each of its branches must be admitted.
        for key in ["anyOf", "oneOf"] {
            if let Some(branches) = s.get(key).and_then(Json::as_array) {
                if !t.contains_key("anyOf") && !t.contains_key("oneOf") {
                    return branches.iter().all(|b| self.admits(tgt, b, next));
                }
            }
        }
        self.types(t, s)
            && self.required(t, s)
            && self.properties(t, s, next)
            && self.items(t, s, next)
            && self.values(t, s)
            && self.unions(t, s, next)
    }

    /// Follows `$ref`s; draft-7 compilers ignore the other keywords beside one.
    fn deref<'b>(&self, mut schema: &'b Json, root: &'b Json) -> Option<&'b Json> {
        for _ in 0..MAX_DEPTH {
            match schema.get("$ref").and_then(Json::as_str) {
                Some(r) => schema = resolve(root, r)?,
                None => return Some(schema),
            }
        }
        Some(schema)
    }

    fn types(&self, t: &Map<String, Json>, s: &Map<String, Json>) -> bool {
        let Some(want) = t.get("type") else {
            return true;
        };
        let names = |v: &Json| -> Vec<String> {
            match v {
                Json::String(n) => vec![n.clone()],
                Json::Array(a) => a
                    .iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let want = names(want);
        let Some(have) = s.get("type") else {
            return false;
        };
        names(have)
            .iter()
            .all(|h| want.contains(h) || (h == "integer" && want.iter().any(|w| w == "number")))
    }

    fn required(&self, t: &Map<String, Json>, s: &Map<String, Json>) -> bool {
        let list = |m: &Map<String, Json>| -> Vec<Json> {
            m.get("required")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let have = list(s);
        list(t).iter().all(|r| have.contains(r))
    }

    fn properties(&self, t: &Map<String, Json>, s: &Map<String, Json>, depth: usize) -> bool {
        let Some(want) = t.get("properties").and_then(Json::as_object) else {
            return true;
        };
        let have = s.get("properties").and_then(Json::as_object);
        want.iter().all(|(name, tp)| {
            match have.and_then(|h| h.get(name)) {
                Some(sp) => self.admits(tp, sp, depth),
                // Not declared upstream: whatever upstream allows beside its properties.
                None => match s.get("additionalProperties") {
                    Some(extra) => self.admits(tp, extra, depth),
                    None => self.admits(tp, &Json::Bool(true), depth),
                },
            }
        })
    }

    fn items(&self, t: &Map<String, Json>, s: &Map<String, Json>, depth: usize) -> bool {
        match (t.get("items"), s.get("items")) {
            (None, _) => true,
            (Some(ti), Some(si)) => self.admits(ti, si, depth),
            (Some(ti), None) => self.admits(ti, &Json::Bool(true), depth),
        }
    }

    /// `enum` and `const`: the upstream values must all be allowed downstream.
    fn values(&self, t: &Map<String, Json>, s: &Map<String, Json>) -> bool {
        let allowed = |m: &Map<String, Json>| -> Option<Vec<Json>> {
            match (m.get("const"), m.get("enum").and_then(Json::as_array)) {
                (Some(c), _) => Some(vec![c.clone()]),
                (None, Some(e)) => Some(e.clone()),
                (None, None) => None,
            }
        };
        match (allowed(t), allowed(s)) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(want), Some(have)) => have.iter().all(|v| want.contains(v)),
        }
    }

    fn unions(&self, t: &Map<String, Json>, s: &Map<String, Json>, depth: usize) -> bool {
        let src = Json::Object(s.clone());
        if let Some(all) = t.get("allOf").and_then(Json::as_array) {
            if !all.iter().all(|b| self.admits(b, &src, depth)) {
                return false;
            }
        }
        let Some(branches) = t
            .get("anyOf")
            .or_else(|| t.get("oneOf"))
            .and_then(Json::as_array)
        else {
            return true;
        };
        let src_branches = s
            .get("anyOf")
            .or_else(|| s.get("oneOf"))
            .and_then(Json::as_array);
        match src_branches {
            Some(sb) => sb
                .iter()
                .all(|b| branches.iter().any(|tb| self.admits(tb, b, depth))),
            None => branches.iter().any(|tb| self.admits(tb, &src, depth)),
        }
    }
}

/// A JSON object as the `Struct` flytekit puts in a type's metadata.
#[cfg(test)]
pub(super) fn struct_from_json(j: &Json) -> Struct {
    fn to_value(j: &Json) -> Value {
        let kind = match j {
            Json::Null => value::Kind::NullValue(0),
            Json::Bool(b) => value::Kind::BoolValue(*b),
            Json::Number(n) => value::Kind::NumberValue(n.as_f64().unwrap_or_default()),
            Json::String(s) => value::Kind::StringValue(s.clone()),
            Json::Array(a) => value::Kind::ListValue(prost_types::ListValue {
                values: a.iter().map(to_value).collect(),
            }),
            Json::Object(_) => value::Kind::StructValue(struct_from_json(j)),
        };
        Value { kind: Some(kind) }
    }
    Struct {
        fields: j
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), to_value(v))).collect())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Whether a value of the upstream schema may go where the downstream one is expected.
    fn fits(upstream: Json, downstream: Json) -> bool {
        super_type(&struct_from_json(&upstream), &struct_from_json(&downstream))
    }

    #[test]
    fn supertypes_admit_every_value_of_the_subtype() {
        let int_field = json!({"type": "object", "properties": {"a": {"type": "integer"}}});
        let optional_str = json!({"anyOf": [{"type": "string"}, {"type": "null"}]});
        let cases = [
            (
                "anything fits an empty schema",
                json!({"type": "string"}),
                json!({}),
                true,
            ),
            (
                "an optional upstream needs every branch admitted",
                json!({"type": "object", "properties": {"a": optional_str.clone()}}),
                json!({"type": "object", "properties": {"a": {"type": "string"}}}),
                false,
            ),
            (
                "a branch fits an optional downstream",
                json!({"type": "object", "properties": {"a": {"type": "string"}}}),
                json!({"type": "object", "properties": {"a": optional_str}}),
                true,
            ),
            (
                "enum values must be a subset",
                json!({"enum": ["x"]}),
                json!({"enum": ["x", "y"]}),
                true,
            ),
            (
                "an enum refuses values it lacks",
                json!({"enum": ["x", "z"]}),
                json!({"enum": ["x", "y"]}),
                false,
            ),
            (
                "a field upstream cannot have fits anything",
                json!({"type": "object", "properties": {}, "additionalProperties": false}),
                int_field.clone(),
                true,
            ),
            (
                "a field upstream leaves open is not typed",
                json!({"type": "object"}),
                int_field.clone(),
                false,
            ),
            (
                "list items are compared",
                json!({"type": "array", "items": {"type": "integer"}}),
                json!({"type": "array", "items": {"type": "string"}}),
                false,
            ),
            (
                "required must not be a string",
                json!({"required": "a"}),
                int_field,
                false,
            ),
        ];
        for (name, up, down, want) in cases {
            assert_eq!(fits(up, down), want, "{name}");
        }
    }

    #[test]
    fn same_type_is_json_equality_and_nan_never_matches() {
        let a = struct_from_json(&json!({"type": "object", "title": "A"}));
        assert!(same_type(&a, &a.clone()));
        assert!(!same_type(
            &a,
            &struct_from_json(&json!({"type": "object", "title": "B"}))
        ));
        let nan = Struct {
            fields: [(
                "n".to_owned(),
                Value {
                    kind: Some(value::Kind::NumberValue(f64::NAN)),
                },
            )]
            .into(),
        };
        assert!(!same_type(&nan, &nan.clone()));
        assert!(!super_type(&nan, &nan.clone()));
    }
}
