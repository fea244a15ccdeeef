//! JSON to Flyte literals, guided by the expected type, and back: what `execute` and the
//! `launch` example use to turn `--input x=3` into what FlyteAdmin checks.

use std::collections::HashMap;

use base64::Engine as _;
use flyteidl::flyteidl::core::{
    literal, literal_type, primitive, scalar, Blob, BlobMetadata, Literal, LiteralCollection,
    LiteralMap, LiteralType, Primitive, Scalar, Schema, SimpleType, StructuredDataset,
    StructuredDatasetMetadata, TypedInterface, Union, Void,
};
use serde_json::Value as Json;

/// A value that does not fit its type, with where it is: `inputs.xs[2]: expected integer, found "a"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
#[non_exhaustive]
pub struct LiteralError {
    /// Where, e.g. `inputs.xs[2]`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn err(path: &str, message: impl Into<String>) -> LiteralError {
    LiteralError {
        path: path.to_owned(),
        message: message.into(),
    }
}

fn found(v: &Json) -> String {
    match v {
        Json::Null => "null".to_owned(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => format!("{s:?}"),
        Json::Array(_) => "a list".to_owned(),
        Json::Object(_) => "an object".to_owned(),
    }
}

fn scalar_lit(v: scalar::Value) -> Literal {
    Literal {
        value: Some(literal::Value::Scalar(Box::new(Scalar { value: Some(v) }))),
        ..Literal::default()
    }
}

fn prim(v: primitive::Value) -> Literal {
    scalar_lit(scalar::Value::Primitive(Primitive { value: Some(v) }))
}

pub(crate) fn to_struct(map: &serde_json::Map<String, Json>) -> prost_types::Struct {
    prost_types::Struct {
        fields: map
            .iter()
            .map(|(k, v)| (k.clone(), to_proto_value(v)))
            .collect(),
    }
}

fn to_proto_value(v: &Json) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match v {
        Json::Null => Kind::NullValue(0),
        Json::Bool(b) => Kind::BoolValue(*b),
        Json::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Json::String(s) => Kind::StringValue(s.clone()),
        Json::Array(a) => Kind::ListValue(prost_types::ListValue {
            values: a.iter().map(to_proto_value).collect(),
        }),
        Json::Object(o) => Kind::StructValue(to_struct(o)),
    };
    prost_types::Value { kind: Some(kind) }
}

fn from_proto_value(v: &prost_types::Value) -> Json {
    use prost_types::value::Kind;
    match &v.kind {
        None | Some(Kind::NullValue(_)) => Json::Null,
        Some(Kind::BoolValue(b)) => Json::Bool(*b),
        Some(Kind::NumberValue(n)) => {
            serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number)
        }
        Some(Kind::StringValue(s)) => Json::String(s.clone()),
        Some(Kind::ListValue(l)) => Json::Array(l.values.iter().map(from_proto_value).collect()),
        Some(Kind::StructValue(s)) => Json::Object(
            s.fields
                .iter()
                .map(|(k, v)| (k.clone(), from_proto_value(v)))
                .collect(),
        ),
    }
}

/// Parses a Go-style or plain-seconds duration for DURATION literals.
fn duration(v: &Json, path: &str) -> Result<prost_types::Duration, LiteralError> {
    let d = match v {
        Json::Number(n) => {
            let secs = n.as_f64().ok_or_else(|| err(path, "expected a duration"))?;
            if !(secs >= 0.0 && secs.is_finite()) {
                return Err(err(
                    path,
                    format!("expected a non-negative duration, found {n}"),
                ));
            }
            std::time::Duration::try_from_secs_f64(secs)
                .map_err(|_| err(path, format!("{n} seconds is too large for a duration")))?
        }
        Json::String(s) => flyte_config::parse_duration(s).map_err(|e| err(path, e.to_string()))?,
        other => {
            return Err(err(
                path,
                format!(
                    "expected a duration such as \"1h30m\", found {}",
                    found(other)
                ),
            ))
        }
    };
    Ok(prost_types::Duration {
        seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(d.subsec_nanos()).unwrap_or(0),
    })
}

/// A JSON value as a literal of type `ty`. `path` names the value in errors.
///
/// # Errors
/// The value does not fit the type; the error names the path.
pub fn json_to_literal(v: &Json, ty: &LiteralType, path: &str) -> Result<Literal, LiteralError> {
    use literal_type::Type as T;
    match &ty.r#type {
        None => Err(err(path, "the expected type is unknown")),
        // flytekit 1.14 and later mark the STRUCTs it serialises as msgpack (dataclasses,
        // pydantic models, dicts); write those as it does, so its own tasks read them back.
        Some(T::Simple(s)) if *s == SimpleType::Struct as i32 && writes_msgpack(ty) => match v {
            Json::Object(_) => Ok(msgpack_literal(v)),
            _ => Err(err(path, format!("expected an object, found {}", found(v)))),
        },
        Some(T::Simple(s)) => simple(
            v,
            SimpleType::try_from(*s).unwrap_or(SimpleType::None),
            path,
        ),
        Some(T::CollectionType(inner)) => match v {
            Json::Array(items) => Ok(Literal {
                value: Some(literal::Value::Collection(LiteralCollection {
                    literals: items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| json_to_literal(item, inner, &format!("{path}[{i}]")))
                        .collect::<Result<_, _>>()?,
                })),
                ..Literal::default()
            }),
            other => Err(err(
                path,
                format!("expected a list, found {}", found(other)),
            )),
        },
        Some(T::MapValueType(inner)) => match v {
            Json::Object(entries) => Ok(Literal {
                value: Some(literal::Value::Map(LiteralMap {
                    literals: entries
                        .iter()
                        .map(|(k, item)| {
                            Ok((
                                k.clone(),
                                json_to_literal(item, inner, &format!("{path}.{k}"))?,
                            ))
                        })
                        .collect::<Result<_, LiteralError>>()?,
                })),
                ..Literal::default()
            }),
            other => Err(err(
                path,
                format!("expected an object, found {}", found(other)),
            )),
        },
        Some(T::EnumType(e)) => match v {
            Json::String(s) if e.values.contains(s) => {
                Ok(prim(primitive::Value::StringValue(s.clone())))
            }
            other => Err(err(
                path,
                format!("expected one of {:?}, found {}", e.values, found(other)),
            )),
        },
        Some(T::UnionType(u)) => {
            let mut reasons = Vec::new();
            for variant in &u.variants {
                match json_to_literal(v, variant, path) {
                    Ok(inner) => {
                        return Ok(scalar_lit(scalar::Value::Union(Box::new(Union {
                            value: Some(Box::new(inner)),
                            r#type: Some(variant.clone()),
                        }))))
                    }
                    Err(e) => reasons.push(e.message),
                }
            }
            Err(err(
                path,
                format!("fits none of the union's types: {}", reasons.join("; ")),
            ))
        }
        Some(T::Blob(bt)) => match v {
            Json::String(uri) => Ok(scalar_lit(scalar::Value::Blob(Blob {
                uri: uri.clone(),
                metadata: Some(BlobMetadata {
                    r#type: Some(bt.clone()),
                }),
            }))),
            other => Err(err(
                path,
                format!("expected a file or directory URI, found {}", found(other)),
            )),
        },
        Some(T::StructuredDatasetType(sdt)) => match v {
            Json::String(uri) => Ok(scalar_lit(scalar::Value::StructuredDataset(
                StructuredDataset {
                    uri: uri.clone(),
                    metadata: Some(StructuredDatasetMetadata {
                        structured_dataset_type: Some(sdt.clone()),
                    }),
                },
            ))),
            other => Err(err(
                path,
                format!("expected a dataset URI, found {}", found(other)),
            )),
        },
        Some(T::Schema(st)) => match v {
            Json::String(uri) => Ok(scalar_lit(scalar::Value::Schema(Schema {
                uri: uri.clone(),
                r#type: Some(st.clone()),
            }))),
            other => Err(err(
                path,
                format!("expected a schema URI, found {}", found(other)),
            )),
        },
    }
}

fn simple(v: &Json, s: SimpleType, path: &str) -> Result<Literal, LiteralError> {
    let mismatch = |what: &str| err(path, format!("expected {what}, found {}", found(v)));
    Ok(match s {
        SimpleType::Integer => match v {
            Json::Number(n) => prim(primitive::Value::Integer(
                n.as_i64().ok_or_else(|| mismatch("an integer"))?,
            )),
            _ => return Err(mismatch("an integer")),
        },
        SimpleType::Float => match v {
            Json::Number(n) => prim(primitive::Value::FloatValue(
                n.as_f64().ok_or_else(|| mismatch("a number"))?,
            )),
            _ => return Err(mismatch("a number")),
        },
        SimpleType::String => match v {
            Json::String(s) => prim(primitive::Value::StringValue(s.clone())),
            _ => return Err(mismatch("a string")),
        },
        SimpleType::Boolean => match v {
            Json::Bool(b) => prim(primitive::Value::Boolean(*b)),
            _ => return Err(mismatch("true or false")),
        },
        SimpleType::Datetime => match v {
            Json::String(s) => {
                let (seconds, nanos) = flyte_config::parse_rfc3339(s)
                    .ok_or_else(|| mismatch("an RFC 3339 datetime"))?;
                prim(primitive::Value::Datetime(prost_types::Timestamp {
                    seconds,
                    nanos: i32::try_from(nanos).unwrap_or(0),
                }))
            }
            _ => return Err(mismatch("an RFC 3339 datetime")),
        },
        SimpleType::Duration => prim(primitive::Value::Duration(duration(v, path)?)),
        SimpleType::None => match v {
            Json::Null => scalar_lit(scalar::Value::NoneType(Void {})),
            _ => return Err(mismatch("null")),
        },
        SimpleType::Struct => match v {
            Json::Object(o) => scalar_lit(scalar::Value::Generic(to_struct(o))),
            _ => return Err(mismatch("an object")),
        },
        SimpleType::Binary => match v {
            Json::String(b64) => {
                scalar_lit(scalar::Value::Binary(flyteidl::flyteidl::core::Binary {
                    value: base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .map_err(|_| mismatch("base64 bytes"))?,
                    tag: String::new(),
                }))
            }
            _ => return Err(mismatch("base64 bytes")),
        },
        SimpleType::Error => return Err(err(path, "error literals cannot be given as inputs")),
    })
}

/// Whether a `STRUCT` type's annotation says flytekit serialises its values as msgpack
/// (`cache-key-metadata.serialization-format: msgpack`, set by flytekit 1.14 and later).
fn writes_msgpack(ty: &LiteralType) -> bool {
    let Some(annotations) = ty.annotation.as_ref().and_then(|a| a.annotations.as_ref()) else {
        return false;
    };
    let format = annotations
        .fields
        .get("cache-key-metadata")
        .and_then(|v| match &v.kind {
            Some(prost_types::value::Kind::StructValue(s)) => s.fields.get("serialization-format"),
            _ => None,
        })
        .and_then(|v| match &v.kind {
            Some(prost_types::value::Kind::StringValue(f)) => Some(f.as_str()),
            _ => None,
        });
    format == Some(MSGPACK_TAG)
}

/// The `Binary` tag flytekit (1.14 and later) gives dataclasses and pydantic models.
pub const MSGPACK_TAG: &str = "msgpack";

/// A dataclass or pydantic value as flytekit 1.14 and later writes it: MessagePack in a
/// `Binary` scalar tagged `msgpack`. [`json_to_literal`] writes this for `STRUCT` types whose
/// annotation says flytekit serialises them so (flytekit 1.14 and later), and a protobuf
/// `Struct` for other `STRUCT` types, which every FlyteAdmin and flytekit version reads; use
/// this to write the new format yourself, or to compare with values flytekit wrote.
pub fn msgpack_literal(value: &Json) -> Literal {
    scalar_lit(scalar::Value::Binary(flyteidl::flyteidl::core::Binary {
        value: crate::msgpack::encode(value),
        tag: MSGPACK_TAG.to_owned(),
    }))
}

/// A literal as JSON: numbers, strings, booleans, RFC 3339 datetimes, Go durations, lists,
/// objects, `null`; files and datasets as their URI; msgpack dataclasses as the object they hold;
/// other binary as `{"binary": base64, "tag": ..}`.
pub fn literal_to_json(lit: &Literal) -> Json {
    match &lit.value {
        None => Json::Null,
        Some(literal::Value::Collection(c)) => {
            Json::Array(c.literals.iter().map(literal_to_json).collect())
        }
        Some(literal::Value::Map(m)) => Json::Object(
            m.literals
                .iter()
                .map(|(k, v)| (k.clone(), literal_to_json(v)))
                .collect(),
        ),
        Some(literal::Value::Scalar(s)) => match &s.value {
            None | Some(scalar::Value::NoneType(_)) => Json::Null,
            Some(scalar::Value::Primitive(p)) => match &p.value {
                None => Json::Null,
                Some(primitive::Value::Integer(i)) => Json::from(*i),
                Some(primitive::Value::FloatValue(f)) => {
                    serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number)
                }
                Some(primitive::Value::StringValue(s)) => Json::String(s.clone()),
                Some(primitive::Value::Boolean(b)) => Json::Bool(*b),
                Some(primitive::Value::Datetime(t)) => Json::String(flyte_config::format_rfc3339(
                    t.seconds,
                    u32::try_from(t.nanos).unwrap_or(0),
                )),
                Some(primitive::Value::Duration(d)) => {
                    Json::String(flyte_config::format_duration(std::time::Duration::new(
                        u64::try_from(d.seconds).unwrap_or(0),
                        u32::try_from(d.nanos).unwrap_or(0),
                    )))
                }
            },
            Some(scalar::Value::Blob(b)) => Json::String(b.uri.clone()),
            Some(scalar::Value::StructuredDataset(sd)) => Json::String(sd.uri.clone()),
            Some(scalar::Value::Schema(sc)) => Json::String(sc.uri.clone()),
            Some(scalar::Value::Generic(st)) => Json::Object(
                st.fields
                    .iter()
                    .map(|(k, v)| (k.clone(), from_proto_value(v)))
                    .collect(),
            ),
            Some(scalar::Value::Union(u)) => u.value.as_deref().map_or(Json::Null, literal_to_json),
            Some(scalar::Value::Binary(b)) => match crate::msgpack::decode(&b.value) {
                Ok(json) if b.tag == MSGPACK_TAG => json,
                _ => serde_json::json!({
                    "binary": base64::engine::general_purpose::STANDARD.encode(&b.value),
                    "tag": b.tag,
                }),
            },
            Some(scalar::Value::Error(e)) => {
                serde_json::json!({"error": e.message, "failed_node_id": e.failed_node_id})
            }
        },
    }
}

/// A literal map as one JSON object.
pub fn literal_map_to_json(map: &LiteralMap) -> Json {
    let mut keys: Vec<&String> = map.literals.keys().collect();
    keys.sort();
    Json::Object(
        keys.into_iter()
            .map(|k| (k.clone(), literal_to_json(&map.literals[k])))
            .collect(),
    )
}

/// The inputs of an interface (or a launch plan's expected inputs) from JSON values by name.
/// Unknown names are errors; missing names are left to the server's defaults and checks.
///
/// # Errors
/// An unknown input or a value that does not fit, named as `inputs.NAME...`.
pub fn inputs_from_json(
    values: &serde_json::Map<String, Json>,
    types: &HashMap<String, LiteralType>,
) -> Result<LiteralMap, LiteralError> {
    let mut literals = HashMap::new();
    for (name, v) in values {
        let path = format!("inputs.{name}");
        let ty = types.get(name).ok_or_else(|| {
            let mut known: Vec<&String> = types.keys().collect();
            known.sort();
            err(&path, format!("no such input; the inputs are {known:?}"))
        })?;
        literals.insert(name.clone(), json_to_literal(v, ty, &path)?);
    }
    Ok(LiteralMap { literals })
}

/// The input types of a typed interface.
pub fn input_types(interface: &TypedInterface) -> HashMap<String, LiteralType> {
    interface
        .inputs
        .as_ref()
        .map(|v| {
            v.variables
                .iter()
                .map(|(k, var)| (k.clone(), var.r#type.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flyteidl::flyteidl::core::{EnumType, UnionType};

    fn simple_t(s: SimpleType) -> LiteralType {
        LiteralType {
            r#type: Some(literal_type::Type::Simple(s as i32)),
            ..LiteralType::default()
        }
    }

    fn list_t(t: LiteralType) -> LiteralType {
        LiteralType {
            r#type: Some(literal_type::Type::CollectionType(Box::new(t))),
            ..LiteralType::default()
        }
    }

    #[test]
    fn durations_too_large_for_a_duration_are_errors_not_panics() {
        let t = simple_t(SimpleType::Duration);
        for secs in [1e300, 1.9e19, f64::MAX] {
            let e = json_to_literal(&serde_json::json!(secs), &t, "inputs.timeout")
                .expect_err("too large");
            let shown = e.to_string();
            assert!(
                shown.contains("inputs.timeout") && shown.contains("too large"),
                "{shown}"
            );
        }
        // The largest a Duration holds still reads.
        assert!(json_to_literal(&serde_json::json!(1e15), &t, "inputs.timeout").is_ok());
    }

    #[test]
    fn msgpack_dataclasses_read_as_their_object() {
        let dc = serde_json::json!({"name": "run", "lr": 0.01, "layers": [64, 32], "tags": {}});
        let lit = msgpack_literal(&dc);
        assert_eq!(literal_to_json(&lit), dc);
        let other = scalar_lit(scalar::Value::Binary(flyteidl::flyteidl::core::Binary {
            value: vec![0x01],
            tag: "pickle".into(),
        }));
        assert_eq!(
            literal_to_json(&other),
            serde_json::json!({"binary": "AQ==", "tag": "pickle"})
        );
        let broken = scalar_lit(scalar::Value::Binary(flyteidl::flyteidl::core::Binary {
            value: vec![0x92, 0x01],
            tag: MSGPACK_TAG.into(),
        }));
        assert_eq!(
            literal_to_json(&broken),
            serde_json::json!({"binary": "kgE=", "tag": "msgpack"}),
            "undecodable bytes are shown, not lost"
        );
    }

    #[test]
    fn round_trips_through_json() -> Result<(), LiteralError> {
        let cases = [
            (serde_json::json!(3), simple_t(SimpleType::Integer)),
            (serde_json::json!(2.5), simple_t(SimpleType::Float)),
            (serde_json::json!("hi"), simple_t(SimpleType::String)),
            (serde_json::json!(true), simple_t(SimpleType::Boolean)),
            (
                serde_json::json!("2024-02-29T12:00:00.25Z"),
                simple_t(SimpleType::Datetime),
            ),
            (serde_json::json!("1h30m0s"), simple_t(SimpleType::Duration)),
            (serde_json::json!(null), simple_t(SimpleType::None)),
            (
                serde_json::json!({"a": [1.0, "x"], "b": {"c": true}}),
                simple_t(SimpleType::Struct),
            ),
            (
                serde_json::json!([1, 2, 3]),
                list_t(simple_t(SimpleType::Integer)),
            ),
            (
                serde_json::json!("s3://bucket/file.csv"),
                LiteralType {
                    r#type: Some(literal_type::Type::Blob(Default::default())),
                    ..Default::default()
                },
            ),
        ];
        for (json, ty) in cases {
            let lit = json_to_literal(&json, &ty, "inputs.x")?;
            assert_eq!(literal_to_json(&lit), json, "{ty:?}");
        }
        Ok(())
    }

    #[test]
    fn errors_name_the_path() {
        let e = json_to_literal(
            &serde_json::json!([1, "a"]),
            &list_t(simple_t(SimpleType::Integer)),
            "inputs.xs",
        )
        .expect_err("bad");
        assert_eq!(
            e.to_string(),
            "inputs.xs[1]: expected an integer, found \"a\""
        );
        let e = json_to_literal(
            &serde_json::json!(1.5),
            &simple_t(SimpleType::Integer),
            "inputs.n",
        )
        .expect_err("bad");
        assert_eq!(e.to_string(), "inputs.n: expected an integer, found 1.5");
        let enum_t = LiteralType {
            r#type: Some(literal_type::Type::EnumType(EnumType {
                values: vec!["red".into(), "blue".into()],
            })),
            ..Default::default()
        };
        assert!(json_to_literal(&serde_json::json!("green"), &enum_t, "inputs.c").is_err());
        let types = HashMap::from([("x".to_owned(), simple_t(SimpleType::Integer))]);
        let e = inputs_from_json(
            serde_json::json!({"y": 1}).as_object().expect("object"),
            &types,
        )
        .expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "inputs.y: no such input; the inputs are [\"x\"]"
        );
    }

    #[test]
    fn unions_pick_the_first_fitting_variant() -> Result<(), LiteralError> {
        let optional_int = LiteralType {
            r#type: Some(literal_type::Type::UnionType(UnionType {
                variants: vec![simple_t(SimpleType::Integer), simple_t(SimpleType::None)],
            })),
            ..Default::default()
        };
        for v in [serde_json::json!(4), serde_json::json!(null)] {
            let lit = json_to_literal(&v, &optional_int, "inputs.o")?;
            assert_eq!(literal_to_json(&lit), v);
        }
        assert!(json_to_literal(&serde_json::json!("x"), &optional_int, "inputs.o").is_err());
        Ok(())
    }
}
