//! Literal types as FlyteAdmin checks them: the type of a literal, whether one type can be cast to
//! another (the common cases of flytepropeller's `AreTypesCastable`), and zero values for outputs.

use flyteidl::flyteidl::core::{
    literal, literal_type, primitive, scalar, Literal, LiteralType, Primitive, Scalar, SimpleType,
};

/// The simple type's name as Go prints the enum.
fn simple_name(t: i32) -> String {
    SimpleType::try_from(t)
        .map(|s| s.as_str_name().to_owned())
        .unwrap_or_else(|_| t.to_string())
}

/// A literal type printed the way Go's `%v` prints the proto (`simple:INTEGER`,
/// `collection_type:{simple:STRING}`), as FlyteAdmin's error messages show it.
pub(crate) fn describe(t: &LiteralType) -> String {
    match &t.r#type {
        None => String::new(),
        Some(literal_type::Type::Simple(s)) => format!("simple:{}", simple_name(*s)),
        Some(literal_type::Type::CollectionType(inner)) => {
            format!("collection_type:{{{}}}", describe(inner))
        }
        Some(literal_type::Type::MapValueType(inner)) => {
            format!("map_value_type:{{{}}}", describe(inner))
        }
        Some(literal_type::Type::Blob(b)) => format!(
            "blob:{{format:{:?} dimensionality:{}}}",
            b.format,
            if b.dimensionality == 1 {
                "MULTIPART"
            } else {
                "SINGLE"
            }
        ),
        Some(literal_type::Type::UnionType(u)) => {
            let variants: Vec<String> = u
                .variants
                .iter()
                .map(|v| format!("variants:{{{}}}", describe(v)))
                .collect();
            format!("union_type:{{{}}}", variants.join(" "))
        }
        Some(literal_type::Type::EnumType(e)) => format!("enum_type:{{values:{:?}}}", e.values),
        Some(literal_type::Type::Schema(_)) => "schema:{}".to_owned(),
        Some(literal_type::Type::StructuredDatasetType(s)) => {
            format!("structured_dataset_type:{{format:{:?}}}", s.format)
        }
    }
}

fn simple(s: SimpleType) -> LiteralType {
    LiteralType {
        r#type: Some(literal_type::Type::Simple(s as i32)),
        ..LiteralType::default()
    }
}

/// The type of a literal, as flytepropeller's `LiteralTypeForLiteral` infers it.
pub(crate) fn type_of(lit: &Literal) -> LiteralType {
    match &lit.value {
        Some(literal::Value::Scalar(s)) => scalar_type(s),
        Some(literal::Value::Collection(c)) => LiteralType {
            r#type: Some(literal_type::Type::CollectionType(Box::new(
                c.literals
                    .first()
                    .map(type_of)
                    .unwrap_or_else(|| simple(SimpleType::None)),
            ))),
            ..LiteralType::default()
        },
        Some(literal::Value::Map(m)) => LiteralType {
            r#type: Some(literal_type::Type::MapValueType(Box::new(
                m.literals
                    .values()
                    .next()
                    .map(type_of)
                    .unwrap_or_else(|| simple(SimpleType::None)),
            ))),
            ..LiteralType::default()
        },
        None => LiteralType::default(),
    }
}

fn scalar_type(s: &Scalar) -> LiteralType {
    match &s.value {
        Some(scalar::Value::Primitive(p)) => simple(match p.value {
            Some(primitive::Value::Integer(_)) => SimpleType::Integer,
            Some(primitive::Value::FloatValue(_)) => SimpleType::Float,
            Some(primitive::Value::StringValue(_)) => SimpleType::String,
            Some(primitive::Value::Boolean(_)) => SimpleType::Boolean,
            Some(primitive::Value::Datetime(_)) => SimpleType::Datetime,
            Some(primitive::Value::Duration(_)) => SimpleType::Duration,
            None => SimpleType::None,
        }),
        Some(scalar::Value::Blob(b)) => LiteralType {
            r#type: Some(literal_type::Type::Blob(
                b.metadata
                    .as_ref()
                    .and_then(|m| m.r#type.clone())
                    .unwrap_or_default(),
            )),
            ..LiteralType::default()
        },
        Some(scalar::Value::Binary(_)) => simple(SimpleType::Binary),
        Some(scalar::Value::NoneType(_)) => simple(SimpleType::None),
        Some(scalar::Value::Error(_)) => simple(SimpleType::Error),
        Some(scalar::Value::Generic(_)) => simple(SimpleType::Struct),
        Some(scalar::Value::Schema(sc)) => LiteralType {
            r#type: Some(literal_type::Type::Schema(
                sc.r#type.clone().unwrap_or_default(),
            )),
            ..LiteralType::default()
        },
        Some(scalar::Value::StructuredDataset(sd)) => LiteralType {
            r#type: Some(literal_type::Type::StructuredDatasetType(
                sd.metadata
                    .as_ref()
                    .and_then(|m| m.structured_dataset_type.clone())
                    .unwrap_or_default(),
            )),
            ..LiteralType::default()
        },
        Some(scalar::Value::Union(u)) => u.r#type.clone().unwrap_or_default(),
        None => LiteralType::default(),
    }
}

fn is_none(t: &LiteralType) -> bool {
    matches!(t.r#type, Some(literal_type::Type::Simple(s)) if s == SimpleType::None as i32)
}

/// Whether a value of type `from` may be bound where `to` is expected.
pub(crate) fn castable(from: &LiteralType, to: &LiteralType) -> bool {
    use literal_type::Type as T;
    match (&from.r#type, &to.r#type) {
        (_, None) | (None, _) => true,
        (_, Some(T::UnionType(u))) => match &from.r#type {
            Some(T::UnionType(fu)) => fu.variants.iter().all(|v| castable(v, to)),
            _ => u.variants.iter().any(|v| castable(from, v)),
        },
        (Some(T::Simple(a)), Some(T::Simple(b))) => {
            a == b || *b == SimpleType::Struct as i32 && *a == SimpleType::Struct as i32
        }
        // An empty collection's element type is NONE: it fits any collection.
        (Some(T::CollectionType(a)), Some(T::CollectionType(b))) => is_none(a) || castable(a, b),
        (Some(T::MapValueType(a)), Some(T::MapValueType(b))) => is_none(a) || castable(a, b),
        (Some(T::Blob(a)), Some(T::Blob(b))) => {
            a.dimensionality == b.dimensionality
                && (a.format.is_empty() || b.format.is_empty() || a.format == b.format)
        }
        (Some(T::Simple(s)), Some(T::EnumType(_))) => *s == SimpleType::String as i32,
        (Some(T::EnumType(_)), Some(T::EnumType(_))) => true,
        (Some(T::Schema(_)), Some(T::Schema(_))) => true,
        (Some(T::StructuredDatasetType(a)), Some(T::StructuredDatasetType(b))) => {
            a.format.is_empty() || b.format.is_empty() || a.format == b.format
        }
        (Some(T::Simple(s)), Some(T::StructuredDatasetType(_))) => *s == SimpleType::None as i32,
        _ => false,
    }
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
