//! Simulated outputs: for a declared type, the value flytekit 1.16 would write, so that a client
//! decodes it into the type it declared (FlyteRemote's `outputs.get(name, as_type=T)`, or the
//! class it builds from the JSON schema when given no type).
//!
//! - `STRUCT` with flytekit's msgpack annotation (dataclasses, pydantic models, `dict`): a
//!   `Binary` tagged `msgpack` holding a map with every property of the declared JSON schema
//!   (`metadata`), recursively, each at its default or a zero value; without a schema, the
//!   per-field types of `structure.dataclass_type`; with neither, an empty map. Without the
//!   annotation (flytekit before 1.14), the same object as a protobuf `Struct`.
//! - Blobs (files, directories), structured datasets and schemas: a literal whose URI is a fresh
//!   object under the run's output prefix; the test kit writes it into its store (see
//!   [`blob_objects`]) before the execution reports its outputs.
//! - Unions: the `NONE` variant if there is one, else the first, tagged with the variant's type as
//!   declared (flytekit needs its `structure.tag` to decode).
//! - Primitives, enums, collections and maps: zero, the first value, empty.

use flyteidl::flyteidl::core::{
    literal, literal_type, primitive, scalar, Binary, Blob, BlobMetadata, Literal,
    LiteralCollection, LiteralMap, LiteralType, Schema, SimpleType, StructuredDataset,
    StructuredDatasetMetadata, Union, Void,
};
use rmpv::Value as Pack;

use crate::literals::{prim, scalar_lit};
use serde_json::Value as Json;

/// flytekit's `Binary` tag for msgpack-encoded dataclasses, pydantic models and dicts.
pub(crate) const MSGPACK: &str = "msgpack";

/// Where a run's new output objects go, and how many it has made (each gets its own name).
pub(crate) struct Sampler<'a> {
    prefix: &'a str,
    made: usize,
}

impl<'a> Sampler<'a> {
    /// New objects go under `prefix` (a URI such as `s3://bucket/raw/exec`).
    pub(crate) fn new(prefix: &'a str) -> Self {
        Sampler { prefix, made: 0 }
    }

    fn fresh_uri(&mut self, name: &str) -> String {
        self.made += 1;
        format!("{}/{}-{name}", self.prefix.trim_end_matches('/'), self.made)
    }

    /// The value flytekit would write for an output `name` of type `t`.
    pub(crate) fn value(&mut self, t: &LiteralType, name: &str) -> Literal {
        use literal_type::Type as T;
        match &t.r#type {
            Some(T::Simple(s)) => match SimpleType::try_from(*s).unwrap_or(SimpleType::None) {
                SimpleType::Integer => prim(primitive::Value::Integer(0)),
                SimpleType::Float => prim(primitive::Value::FloatValue(0.0)),
                SimpleType::String => prim(primitive::Value::StringValue(String::new())),
                SimpleType::Boolean => prim(primitive::Value::Boolean(false)),
                SimpleType::Datetime => {
                    prim(primitive::Value::Datetime(prost_types::Timestamp::default()))
                }
                SimpleType::Duration => {
                    prim(primitive::Value::Duration(prost_types::Duration::default()))
                }
                SimpleType::Struct => self.structure(t),
                SimpleType::Binary => scalar_lit(scalar::Value::Binary(Binary::default())),
                _ => none(),
            },
            Some(T::CollectionType(_)) => Literal {
                value: Some(literal::Value::Collection(LiteralCollection::default())),
                ..Literal::default()
            },
            Some(T::MapValueType(_)) => Literal {
                value: Some(literal::Value::Map(LiteralMap::default())),
                ..Literal::default()
            },
            Some(T::EnumType(e)) => prim(primitive::Value::StringValue(
                e.values.first().cloned().unwrap_or_default(),
            )),
            Some(T::UnionType(u)) => {
                let none_variant = u.variants.iter().find(
                    |v| matches!(v.r#type, Some(T::Simple(s)) if s == SimpleType::None as i32),
                );
                match none_variant.or(u.variants.first()) {
                    Some(v) => scalar_lit(scalar::Value::Union(Box::new(Union {
                        value: Some(Box::new(self.value(v, name))),
                        r#type: Some(v.clone()),
                    }))),
                    None => none(),
                }
            }
            Some(T::Blob(b)) => scalar_lit(scalar::Value::Blob(Blob {
                metadata: Some(BlobMetadata {
                    r#type: Some(b.clone()),
                }),
                uri: self.fresh_uri(name),
            })),
            Some(T::StructuredDatasetType(sd)) => {
                scalar_lit(scalar::Value::StructuredDataset(StructuredDataset {
                    uri: self.fresh_uri(name),
                    metadata: Some(StructuredDatasetMetadata {
                        structured_dataset_type: Some(sd.clone()),
                    }),
                }))
            }
            Some(T::Schema(s)) => scalar_lit(scalar::Value::Schema(Schema {
                uri: self.fresh_uri(name),
                r#type: Some(s.clone()),
            })),
            None => none(),
        }
    }

    /// A `STRUCT`: msgpack when the type says flytekit serialises it so, else a `Struct`.
    fn structure(&mut self, t: &LiteralType) -> Literal {
        let object = match t.metadata.as_ref() {
            Some(schema) if !schema.fields.is_empty() => {
                let schema = struct_to_json(schema);
                let mut walk = Walk {
                    root: &schema,
                    refs: Vec::new(),
                    budget: MAX_VALUES,
                };
                walk.value(&schema, 0)
            }
            _ => match t.structure.as_ref() {
                Some(s) if !s.dataclass_type.is_empty() => from_fields(&s.dataclass_type, 0),
                _ => Pack::Map(Vec::new()),
            },
        };
        if is_msgpack(t) {
            let mut bytes = Vec::new();
            // Writing into a Vec cannot fail.
            let _ = rmpv::encode::write_value(&mut bytes, &object);
            scalar_lit(scalar::Value::Binary(Binary {
                value: bytes,
                tag: MSGPACK.to_owned(),
            }))
        } else {
            let fields = match pack_to_json(&object) {
                Json::Object(map) => map,
                _ => serde_json::Map::new(),
            };
            scalar_lit(scalar::Value::Generic(json_to_struct(&fields)))
        }
    }
}

/// Whether flytekit serialises values of this `STRUCT` type as msgpack: its annotation says so
/// (flytekit 1.14 and later put `cache-key-metadata.serialization-format: msgpack` there).
pub(crate) fn is_msgpack(t: &LiteralType) -> bool {
    let Some(annotations) = t.annotation.as_ref().and_then(|a| a.annotations.as_ref()) else {
        return false;
    };
    let json = struct_to_json(annotations);
    json.pointer("/cache-key-metadata/serialization-format")
        .and_then(Json::as_str)
        == Some(MSGPACK)
}

/// Deeper schemas than this are cut off with an empty map (a schema is data sent by a client:
/// a self-referencing `$ref` must not recurse forever).
const MAX_DEPTH: usize = 32;

/// At most this many values are made for one schema: a schema whose properties refer to their
/// own definition several times would otherwise grow exponentially with depth.
const MAX_VALUES: usize = 100_000;

/// A walk over one JSON schema document.
struct Walk<'a> {
    /// The document, for `$ref`s.
    root: &'a Json,
    /// The definitions being expanded: a `$ref` back into one of them is cut off (`null`).
    refs: Vec<String>,
    /// Values left to make.
    budget: usize,
}

impl Walk<'_> {
    /// A value for the JSON schema `node` that flytekit's decoders accept: its default, else the
    /// first enum value, else a zero of its type.
    fn value(&mut self, node: &Json, depth: usize) -> Pack {
        if depth > MAX_DEPTH || self.budget == 0 {
            return Pack::Nil;
        }
        self.budget -= 1;
        let root = self.root;
        let Some(obj) = node.as_object() else {
            return Pack::Nil;
        };
        if let Some(target) = obj.get("$ref").and_then(Json::as_str) {
            let name = target.rsplit('/').next().unwrap_or_default();
            if self.refs.iter().any(|r| r == name) {
                return Pack::Nil;
            }
            let found = ["$defs", "definitions"]
                .iter()
                .find_map(|d| root.get(d).and_then(|defs| defs.get(name)));
            let Some(definition) = found else {
                return Pack::Nil;
            };
            self.refs.push(name.to_owned());
            let value = self.value(definition, depth + 1);
            self.refs.pop();
            return value;
        }
        let kind = obj.get("type");
        if let Some(default) = obj.get("default") {
            // protobuf's Struct keeps every number as a double: 7 comes back as 7.0.
            return match (kind.and_then(Json::as_str), default.as_f64()) {
                (Some("integer"), Some(f)) if f.fract() == 0.0 => Pack::from(f as i64),
                _ => json_to_pack(default),
            };
        }
        if let Some(first) = obj
            .get("enum")
            .and_then(Json::as_array)
            .and_then(|v| v.first())
        {
            return json_to_pack(first);
        }
        if let Some(c) = obj.get("const") {
            return json_to_pack(c);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(alternatives) = obj.get(key).and_then(Json::as_array) {
                let nullable = alternatives
                    .iter()
                    .any(|a| a.get("type").and_then(Json::as_str) == Some("null"));
                return match alternatives.first() {
                    Some(first) if !nullable => self.value(first, depth + 1),
                    _ => Pack::Nil,
                };
            }
        }
        let kind = match kind {
            Some(Json::Array(kinds)) if kinds.iter().any(|k| k == "null") => return Pack::Nil,
            Some(Json::Array(kinds)) => kinds.first().and_then(Json::as_str),
            Some(k) => k.as_str(),
            None => None,
        };
        match kind {
            Some("object") => match obj.get("properties").and_then(Json::as_object) {
                Some(props) => Pack::Map(
                    props
                        .iter()
                        .map(|(k, v)| (Pack::from(k.as_str()), self.value(v, depth + 1)))
                        .collect(),
                ),
                None => Pack::Map(Vec::new()),
            },
            Some("array") => Pack::Array(Vec::new()),
            Some("integer") => Pack::from(0),
            Some("number") => Pack::F64(0.0),
            Some("boolean") => Pack::Boolean(false),
            Some("string") => match obj.get("format").and_then(Json::as_str) {
                Some("date-time") => Pack::from("1970-01-01T00:00:00+00:00"),
                Some("date") => Pack::from("1970-01-01"),
                Some("time") => Pack::from("00:00:00"),
                Some("duration") => Pack::from("PT0S"),
                Some("uuid") => Pack::from("00000000-0000-0000-0000-000000000000"),
                Some("base64") => Pack::Binary(Vec::new()),
                _ => Pack::from(""),
            },
            _ => Pack::Nil,
        }
    }
}

/// A value from flytekit's per-field types (`structure.dataclass_type`), for schemas it did not
/// send: it knows no defaults, so every field takes a zero value.
fn from_fields(fields: &std::collections::HashMap<String, LiteralType>, depth: usize) -> Pack {
    use literal_type::Type as T;
    let field = |t: &LiteralType| -> Pack {
        match &t.r#type {
            Some(T::Simple(s)) => match SimpleType::try_from(*s).unwrap_or(SimpleType::None) {
                SimpleType::Integer => Pack::from(0),
                SimpleType::Float | SimpleType::Duration => Pack::F64(0.0),
                SimpleType::String => Pack::from(""),
                SimpleType::Boolean => Pack::Boolean(false),
                SimpleType::Datetime => Pack::from("1970-01-01T00:00:00+00:00"),
                SimpleType::Struct => match t.structure.as_ref() {
                    Some(s) if depth < MAX_DEPTH => from_fields(&s.dataclass_type, depth + 1),
                    _ => Pack::Map(Vec::new()),
                },
                _ => Pack::Nil,
            },
            Some(T::EnumType(e)) => e
                .values
                .first()
                .map_or(Pack::Nil, |v| Pack::from(v.as_str())),
            Some(T::CollectionType(_)) => Pack::Array(Vec::new()),
            Some(T::MapValueType(_)) => Pack::Map(Vec::new()),
            Some(T::Blob(_)) => Pack::Map(vec![(Pack::from("path"), Pack::from(""))]),
            _ => Pack::Nil,
        }
    };
    let mut names: Vec<&String> = fields.keys().collect();
    names.sort();
    Pack::Map(
        names
            .into_iter()
            .map(|n| (Pack::from(n.as_str()), field(&fields[n])))
            .collect(),
    )
}

fn json_to_pack(v: &Json) -> Pack {
    match v {
        Json::Null => Pack::Nil,
        Json::Bool(b) => Pack::Boolean(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Pack::from(i),
            (_, Some(u)) => Pack::from(u),
            _ => Pack::F64(n.as_f64().unwrap_or_default()),
        },
        Json::String(s) => Pack::from(s.as_str()),
        Json::Array(items) => Pack::Array(items.iter().map(json_to_pack).collect()),
        Json::Object(map) => Pack::Map(
            map.iter()
                .map(|(k, v)| (Pack::from(k.as_str()), json_to_pack(v)))
                .collect(),
        ),
    }
}

fn pack_to_json(v: &Pack) -> Json {
    match v {
        Pack::Nil => Json::Null,
        Pack::Boolean(b) => Json::Bool(*b),
        Pack::Integer(i) => i
            .as_i64()
            .map(Json::from)
            .or_else(|| i.as_u64().map(Json::from))
            .unwrap_or(Json::Null),
        Pack::F32(f) => Json::from(f64::from(*f)),
        Pack::F64(f) => Json::from(*f),
        Pack::String(s) => Json::from(s.as_str().unwrap_or_default()),
        Pack::Binary(_) | Pack::Ext(..) => Json::from(""),
        Pack::Array(items) => Json::Array(items.iter().map(pack_to_json).collect()),
        Pack::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), pack_to_json(v)))
                .collect(),
        ),
    }
}

/// A protobuf `Struct` as JSON.
pub(crate) fn struct_to_json(s: &prost_types::Struct) -> Json {
    Json::Object(
        s.fields
            .iter()
            .map(|(k, v)| (k.clone(), proto_value_to_json(v)))
            .collect(),
    )
}

fn proto_value_to_json(v: &prost_types::Value) -> Json {
    use prost_types::value::Kind;
    match &v.kind {
        None | Some(Kind::NullValue(_)) => Json::Null,
        Some(Kind::NumberValue(n)) => {
            serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number)
        }
        Some(Kind::StringValue(s)) => Json::from(s.as_str()),
        Some(Kind::BoolValue(b)) => Json::Bool(*b),
        Some(Kind::StructValue(s)) => struct_to_json(s),
        Some(Kind::ListValue(l)) => Json::Array(l.values.iter().map(proto_value_to_json).collect()),
    }
}

fn json_to_struct(map: &serde_json::Map<String, Json>) -> prost_types::Struct {
    prost_types::Struct {
        fields: map
            .iter()
            .map(|(k, v)| (k.clone(), json_to_proto_value(v)))
            .collect(),
    }
}

fn json_to_proto_value(v: &Json) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match v {
        Json::Null => Kind::NullValue(0),
        Json::Bool(b) => Kind::BoolValue(*b),
        Json::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Json::String(s) => Kind::StringValue(s.clone()),
        Json::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.iter().map(json_to_proto_value).collect(),
        }),
        Json::Object(map) => Kind::StructValue(json_to_struct(map)),
    };
    prost_types::Value { kind: Some(kind) }
}

/// Every blob, structured dataset and schema URI in `literals`, with whether it is a directory
/// (multipart blob, dataset): the objects the test kit must hold before it reports them.
pub(crate) fn blob_objects(literals: &LiteralMap) -> Vec<(String, bool)> {
    fn walk(lit: &Literal, out: &mut Vec<(String, bool)>) {
        match &lit.value {
            Some(literal::Value::Scalar(s)) => match &s.value {
                Some(scalar::Value::Blob(b)) => {
                    let multipart = b
                        .metadata
                        .as_ref()
                        .and_then(|m| m.r#type.as_ref())
                        .is_some_and(|t| t.dimensionality == 1);
                    out.push((b.uri.clone(), multipart));
                }
                Some(scalar::Value::StructuredDataset(sd)) => out.push((sd.uri.clone(), true)),
                Some(scalar::Value::Schema(sc)) => out.push((sc.uri.clone(), true)),
                Some(scalar::Value::Union(u)) => {
                    if let Some(v) = u.value.as_deref() {
                        walk(v, out);
                    }
                }
                _ => {}
            },
            Some(literal::Value::Collection(c)) => c.literals.iter().for_each(|l| walk(l, out)),
            Some(literal::Value::Map(m)) => m.literals.values().for_each(|l| walk(l, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    literals.literals.values().for_each(|l| walk(l, &mut out));
    out
}

fn none() -> Literal {
    scalar_lit(scalar::Value::NoneType(Void {}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flyteidl::flyteidl::core::{BlobType, TypeAnnotation, TypeStructure, UnionType};
    use serde_json::json;

    fn json_struct(v: Json) -> prost_types::Struct {
        match v {
            Json::Object(map) => json_to_struct(&map),
            _ => prost_types::Struct::default(),
        }
    }

    fn simple(s: SimpleType) -> LiteralType {
        LiteralType {
            r#type: Some(literal_type::Type::Simple(s as i32)),
            ..LiteralType::default()
        }
    }

    /// A STRUCT as flytekit 1.16 declares a dataclass: schema, msgpack annotation.
    fn dataclass(schema: Json) -> LiteralType {
        LiteralType {
            metadata: Some(json_struct(schema)),
            annotation: Some(TypeAnnotation {
                annotations: Some(json_struct(
                    json!({"cache-key-metadata": {"serialization-format": "msgpack"}}),
                )),
            }),
            ..simple(SimpleType::Struct)
        }
    }

    fn unpack(lit: &Literal) -> Json {
        match &lit.value {
            Some(literal::Value::Scalar(s)) => match &s.value {
                Some(scalar::Value::Binary(b)) => {
                    assert_eq!(b.tag, MSGPACK);
                    let v = rmpv::decode::read_value(&mut b.value.as_slice()).expect("msgpack");
                    pack_to_json(&v)
                }
                Some(scalar::Value::Generic(g)) => struct_to_json(g),
                other => panic!("not a struct literal: {other:?}"),
            },
            other => panic!("not a scalar: {other:?}"),
        }
    }

    #[test]
    fn a_dataclass_output_has_every_property_at_its_default_or_zero() {
        // The schema flytekit 1.16 (mashumaro) declares for a nested dataclass; numbers come back
        // from protobuf's Struct as doubles, defaults included.
        let inner = json!({"title": "Inner", "type": "object", "additionalProperties": false,
            "required": ["a"], "properties": {"a": {"type": "integer"}, "b": {"type": "string", "default": "x"}}});
        let schema = json!({"title": "Outer", "type": "object", "additionalProperties": false,
            "required": ["i", "inner"],
            "properties": {
                "i": {"type": "integer"}, "f": {"type": "number"}, "s": {"type": "string"},
                "flag": {"type": "boolean"}, "inner": inner.clone(),
                "inners": {"type": "array", "items": inner},
                "opt": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                "color": {"enum": ["red", "green"]},
                "when": {"type": "string", "format": "date-time"},
                "dur": {"type": "number", "format": "time-delta"},
                "d": {"type": "object", "additionalProperties": {"type": "integer"}},
                "withdef": {"type": "integer", "default": 7.0},
                "lst": {"type": "array", "items": {"type": "integer"}}}});
        let lit = Sampler::new("s3://b/raw").value(&dataclass(schema), "o0");
        assert_eq!(
            unpack(&lit),
            json!({"i": 0, "f": 0.0, "s": "", "flag": false, "inner": {"a": 0, "b": "x"},
                "inners": [], "opt": null, "color": "red", "when": "1970-01-01T00:00:00+00:00",
                "dur": 0.0, "d": {}, "withdef": 7, "lst": []})
        );
    }

    #[test]
    fn pydantic_refs_resolve_and_a_self_reference_ends() {
        let schema = json!({"title": "M", "type": "object",
            "$defs": {"Color": {"enum": ["a", "b"], "type": "string"},
                      "Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
            "properties": {"c": {"$ref": "#/$defs/Color"}, "n": {"$ref": "#/$defs/Node"},
                           "dur": {"type": "string", "format": "duration"}}});
        let value = unpack(&Sampler::new("s3://b").value(&dataclass(schema), "o0"));
        assert_eq!(value["c"], "a");
        assert_eq!(value["dur"], "PT0S");
        let mut depth = 0;
        let mut node = &value["n"];
        while let Some(next) = node.get("next") {
            node = next;
            depth += 1;
        }
        assert!((1..=MAX_DEPTH).contains(&depth), "{depth}");
    }

    #[test]
    fn a_definition_that_refers_to_itself_many_times_ends_at_once() {
        // Ten properties, each the definition itself: expanding it depth-first would make
        // 10^32 values; a reference back into a definition being expanded is null instead.
        let props: serde_json::Map<String, Json> = (0..10)
            .map(|i| (format!("p{i}"), json!({"$ref": "#/$defs/A"})))
            .collect();
        let schema = json!({"title": "A", "type": "object", "$defs": {"A": {"type": "object",
            "properties": props.clone()}}, "properties": props});
        let value = unpack(&Sampler::new("s3://b").value(&dataclass(schema), "o0"));
        let expected: serde_json::Map<String, Json> = (0..10)
            .map(|i| {
                (
                    format!("p{i}"),
                    json!({"p0": null, "p1": null, "p2": null, "p3": null,
                "p4": null, "p5": null, "p6": null, "p7": null, "p8": null, "p9": null}),
                )
            })
            .collect();
        assert_eq!(value, Json::Object(expected));
    }

    #[test]
    fn without_a_schema_the_field_types_or_an_empty_map() {
        let mut t = dataclass(json!({}));
        t.metadata = None;
        t.structure = Some(TypeStructure {
            tag: String::new(),
            dataclass_type: [
                ("n".to_owned(), simple(SimpleType::Integer)),
                ("at".to_owned(), simple(SimpleType::Datetime)),
            ]
            .into(),
        });
        assert_eq!(
            unpack(&Sampler::new("s3://b").value(&t, "o0")),
            json!({"n": 0, "at": "1970-01-01T00:00:00+00:00"})
        );
        t.structure = None;
        assert_eq!(unpack(&Sampler::new("s3://b").value(&t, "o0")), json!({}));
    }

    #[test]
    fn a_struct_without_the_msgpack_annotation_is_a_protobuf_struct() {
        let mut t = dataclass(json!({"type": "object", "properties": {"x": {"type": "integer"}}}));
        t.annotation = None;
        let lit = Sampler::new("s3://b").value(&t, "o0");
        assert!(matches!(
            &lit.value,
            Some(literal::Value::Scalar(s)) if matches!(s.value, Some(scalar::Value::Generic(_)))
        ));
        assert_eq!(unpack(&lit), json!({"x": 0.0}));
    }

    #[test]
    fn a_union_takes_its_none_variant_with_the_declared_tag() {
        let tagged = |mut t: LiteralType, tag: &str| {
            t.structure = Some(TypeStructure {
                tag: tag.to_owned(),
                ..TypeStructure::default()
            });
            t
        };
        let none_variant = tagged(simple(SimpleType::None), "none");
        let t = LiteralType {
            r#type: Some(literal_type::Type::UnionType(UnionType {
                variants: vec![
                    tagged(simple(SimpleType::Integer), "int"),
                    none_variant.clone(),
                ],
            })),
            ..LiteralType::default()
        };
        let lit = Sampler::new("s3://b").value(&t, "o0");
        let Some(literal::Value::Scalar(s)) = &lit.value else {
            panic!("{lit:?}")
        };
        let Some(scalar::Value::Union(u)) = &s.value else {
            panic!("{s:?}")
        };
        assert_eq!(u.r#type.as_ref(), Some(&none_variant));
        assert_eq!(u.value.as_deref(), Some(&none()));
    }

    #[test]
    fn files_and_directories_get_fresh_uris_under_the_prefix() {
        let blob = |dimensionality| LiteralType {
            r#type: Some(literal_type::Type::Blob(BlobType {
                format: String::new(),
                dimensionality,
            })),
            ..LiteralType::default()
        };
        let mut sampler = Sampler::new("s3://b/raw/");
        let outputs = LiteralMap {
            literals: [
                ("f".to_owned(), sampler.value(&blob(0), "f")),
                ("d".to_owned(), sampler.value(&blob(1), "d")),
            ]
            .into(),
        };
        let mut objects = blob_objects(&outputs);
        objects.sort();
        assert_eq!(objects.len(), 2);
        assert!(objects
            .iter()
            .all(|(uri, _)| uri.starts_with("s3://b/raw/")));
        assert_ne!(objects[0].0, objects[1].0);
        let dir = objects
            .iter()
            .find(|(u, _)| u.ends_with("-d"))
            .expect("dir");
        assert!(dir.1, "a multipart blob is a directory");
    }
}
