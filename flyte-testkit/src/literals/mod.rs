//! Literal types as FlyteAdmin 1.16 checks them, following flytepropeller's validators: the type
//! of a literal ([`infer()`]), whether one type can be bound where another is expected
//! ([`castable`]), types and literals printed as FlyteAdmin's errors print them ([`describe()`]),
//! and zero values for simulated outputs.

mod cast;
#[cfg(test)]
mod cast_tests;
mod describe;
mod infer;
mod json_schema;

pub(crate) use cast::castable;
pub(crate) use describe::{
    describe, describe_for_compiler, describe_literal, describe_timestamp, encode_type, go_bytes,
};
pub(crate) use infer::{infer, infer_scalar, require_type};

use flyteidl::flyteidl::core::{
    literal, literal_type, primitive, scalar, BlobType, Literal, LiteralCollection, LiteralMap,
    LiteralType, Primitive, Scalar, SimpleType, UnionType, Void,
};

#[cfg(test)]
fn simple(s: SimpleType) -> LiteralType {
    LiteralType {
        r#type: Some(literal_type::Type::Simple(s as i32)),
        ..LiteralType::default()
    }
}

/// The type of a literal for the simulated executions, an empty type where Go infers none.
pub(crate) fn type_of(lit: &Literal) -> LiteralType {
    infer(lit).unwrap_or_default()
}

fn is_none(t: &LiteralType) -> bool {
    matches!(t.r#type, Some(literal_type::Type::Simple(s)) if s == SimpleType::None as i32)
}

/// A boolean literal.
pub(crate) fn boolean(b: bool) -> Literal {
    prim(primitive::Value::Boolean(b))
}

fn prim(v: primitive::Value) -> Literal {
    scalar_lit(scalar::Value::Primitive(Primitive { value: Some(v) }))
}

fn scalar_lit(v: scalar::Value) -> Literal {
    Literal {
        value: Some(literal::Value::Scalar(Box::new(Scalar { value: Some(v) }))),
        ..Literal::default()
    }
}

/// A typed zero value: 0, 0.0, "", false, the epoch, empty collections and maps, none.
pub(crate) fn zero(t: &LiteralType) -> Literal {
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
            SimpleType::Struct => {
                scalar_lit(scalar::Value::Generic(prost_types::Struct::default()))
            }
            SimpleType::Binary => scalar_lit(scalar::Value::Binary(Default::default())),
            _ => scalar_lit(scalar::Value::NoneType(Void {})),
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
        Some(T::UnionType(UnionType { variants })) => {
            let none = variants.iter().find(|v| is_none(v));
            match none.or(variants.first()) {
                Some(v) => scalar_lit(scalar::Value::Union(Box::new(
                    flyteidl::flyteidl::core::Union {
                        value: Some(Box::new(zero(v))),
                        r#type: Some(v.clone()),
                    },
                ))),
                None => scalar_lit(scalar::Value::NoneType(Void {})),
            }
        }
        Some(T::Blob(BlobType { .. }))
        | Some(T::Schema(_))
        | Some(T::StructuredDatasetType(_))
        | None => scalar_lit(scalar::Value::NoneType(Void {})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int() -> LiteralType {
        simple(SimpleType::Integer)
    }

    fn list(t: LiteralType) -> LiteralType {
        LiteralType {
            r#type: Some(literal_type::Type::CollectionType(Box::new(t))),
            ..LiteralType::default()
        }
    }

    #[test]
    fn types_of_literals_and_casts() {
        let five = prim(primitive::Value::Integer(5));
        assert_eq!(type_of(&five), int());
        assert!(castable(&type_of(&five), &int()));
        assert!(!castable(&type_of(&five), &simple(SimpleType::String)));
        let empty = zero(&list(int()));
        assert!(castable(
            &type_of(&empty),
            &list(simple(SimpleType::String))
        ));
        let optional = LiteralType {
            r#type: Some(literal_type::Type::UnionType(UnionType {
                variants: vec![int(), simple(SimpleType::None)],
            })),
            ..LiteralType::default()
        };
        assert!(castable(&int(), &optional));
        assert!(castable(&simple(SimpleType::None), &optional));
        assert_eq!(describe(&list(int())), "collection_type:{simple:INTEGER}");
    }
}
