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
    literal, primitive, scalar, Literal, LiteralType, Primitive, Scalar,
};
#[cfg(test)]
use flyteidl::flyteidl::core::{literal_type, SimpleType};

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

/// A boolean literal.
pub(crate) fn boolean(b: bool) -> Literal {
    prim(primitive::Value::Boolean(b))
}

/// A primitive literal.
pub(crate) fn prim(v: primitive::Value) -> Literal {
    scalar_lit(scalar::Value::Primitive(Primitive { value: Some(v) }))
}

/// A scalar literal.
pub(crate) fn scalar_lit(v: scalar::Value) -> Literal {
    Literal {
        value: Some(literal::Value::Scalar(Box::new(Scalar { value: Some(v) }))),
        ..Literal::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flyteidl::flyteidl::core::{LiteralCollection, UnionType};

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
        let empty = Literal {
            value: Some(literal::Value::Collection(LiteralCollection::default())),
            ..Literal::default()
        };
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
