//! Literal types for interfaces.

use flyteidl::flyteidl::core::{literal_type::Type, LiteralType, SimpleType};

fn simple(t: SimpleType) -> LiteralType {
    LiteralType {
        r#type: Some(Type::Simple(t as i32)),
        ..Default::default()
    }
}

/// A 64-bit integer.
pub fn integer() -> LiteralType {
    simple(SimpleType::Integer)
}
/// A 64-bit float.
pub fn float() -> LiteralType {
    simple(SimpleType::Float)
}
/// A string.
pub fn string() -> LiteralType {
    simple(SimpleType::String)
}
/// A boolean.
pub fn boolean() -> LiteralType {
    simple(SimpleType::Boolean)
}
/// A point in time.
pub fn datetime() -> LiteralType {
    simple(SimpleType::Datetime)
}
/// A duration.
pub fn duration() -> LiteralType {
    simple(SimpleType::Duration)
}
/// A list of `item`.
pub fn list(item: LiteralType) -> LiteralType {
    LiteralType {
        r#type: Some(Type::CollectionType(Box::new(item))),
        ..Default::default()
    }
}
/// A map from strings to `value`.
pub fn map(value: LiteralType) -> LiteralType {
    LiteralType {
        r#type: Some(Type::MapValueType(Box::new(value))),
        ..Default::default()
    }
}
