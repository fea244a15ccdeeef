//! The type of a literal, as flytepropeller 1.16's `validators.LiteralTypeForLiteral` infers it
//! (`flytepropeller/pkg/compiler/validators/utils.go`), and FlyteAdmin's check that one was found.

use flyteidl::flyteidl::core::{
    literal, literal_type, primitive, scalar, Literal, LiteralType, Scalar, SimpleType, UnionType,
};

use super::describe::{describe, describe_inferred};

/// The tag flytekit puts on a `Binary` holding MessagePack (dataclasses, dicts, pydantic models).
pub(crate) const MSGPACK: &str = "msgpack";

fn simple(s: SimpleType) -> LiteralType {
    LiteralType {
        r#type: Some(literal_type::Type::Simple(s as i32)),
        ..LiteralType::default()
    }
}

fn of(t: literal_type::Type) -> LiteralType {
    LiteralType {
        r#type: Some(t),
        ..LiteralType::default()
    }
}

/// The type Go infers, or `None` where Go returns nil: a literal without a value (or with one this
/// crate's `flyteidl` cannot decode), and a blob without metadata.
pub(crate) fn infer(lit: &Literal) -> Option<LiteralType> {
    match &lit.value {
        Some(literal::Value::Scalar(s)) => infer_scalar(s),
        Some(literal::Value::Collection(c)) => Some(of(literal_type::Type::CollectionType(
            Box::new(element_type(&c.literals)),
        ))),
        Some(literal::Value::Map(m)) => {
            let values: Vec<&Literal> = m.literals.values().collect();
            Some(of(literal_type::Type::MapValueType(Box::new(
                element_type(values.iter().copied()),
            ))))
        }
        None => None,
    }
}

/// `literalTypeForScalar`: the type of a scalar, as a workflow's literal bindings are typed.
pub(crate) fn infer_scalar(s: &Scalar) -> Option<LiteralType> {
    use scalar::Value as S;
    Some(match s.value.as_ref()? {
        S::Primitive(p) => simple(match p.value {
            Some(primitive::Value::Integer(_)) => SimpleType::Integer,
            Some(primitive::Value::FloatValue(_)) => SimpleType::Float,
            Some(primitive::Value::StringValue(_)) => SimpleType::String,
            Some(primitive::Value::Boolean(_)) => SimpleType::Boolean,
            Some(primitive::Value::Datetime(_)) => SimpleType::Datetime,
            Some(primitive::Value::Duration(_)) => SimpleType::Duration,
            None => SimpleType::None,
        }),
        S::Blob(b) => of(literal_type::Type::Blob(
            b.metadata.as_ref()?.r#type.clone().unwrap_or_default(),
        )),
        // RFC 5741: a MessagePack binary is a dataclass, dict or pydantic model.
        S::Binary(b) if b.tag == MSGPACK => simple(SimpleType::Struct),
        S::Binary(_) => simple(SimpleType::Binary),
        S::Schema(sc) => of(literal_type::Type::Schema(
            sc.r#type.clone().unwrap_or_default(),
        )),
        S::StructuredDataset(sd) => of(literal_type::Type::StructuredDatasetType(
            sd.metadata
                .as_ref()
                .and_then(|m| m.structured_dataset_type.clone())
                .unwrap_or_default(),
        )),
        S::NoneType(_) => simple(SimpleType::None),
        S::Error(_) => simple(SimpleType::Error),
        S::Generic(_) => simple(SimpleType::Struct),
        // A union value is typed by the single variant it carries.
        S::Union(u) => of(literal_type::Type::UnionType(UnionType {
            variants: vec![u.r#type.clone().unwrap_or_default()],
        })),
    })
}

/// `literalTypeForLiterals`: the distinct element types; empty nested collections count only
/// when nothing else does; one type stands alone, several become a union sorted by their text.
fn element_type<'a>(literals: impl IntoIterator<Item = &'a Literal>) -> LiteralType {
    let mut types: Vec<(String, LiteralType)> = Vec::new();
    let mut empty_collection = None;
    for lit in literals {
        // A nested nil type is kept as an empty one: every checker refuses it the same way.
        let t = infer(lit).unwrap_or_default();
        if matches!(&lit.value, Some(literal::Value::Collection(c)) if c.literals.is_empty()) {
            empty_collection = Some(t);
            continue;
        }
        let key = describe(&t);
        if !types.iter().any(|(k, _)| *k == key) {
            types.push((key, t));
        }
    }
    if types.is_empty() {
        if let Some(t) = empty_collection {
            return t;
        }
        return simple(SimpleType::None);
    }
    if types.len() == 1 {
        return types.remove(0).1;
    }
    types.sort_by(|a, b| a.0.cmp(&b.0));
    multiple_type_union(types.into_iter().map(|(_, t)| t))
}

/// `buildMultipleTypeUnion`: the variants of collections of unions are lifted into one union,
/// which is then wrapped in a collection again.
fn multiple_type_union(types: impl Iterator<Item = LiteralType>) -> LiteralType {
    let mut variants = Vec::new();
    let mut nested = false;
    for t in types {
        match &t.r#type {
            Some(literal_type::Type::CollectionType(inner)) => match &inner.r#type {
                Some(literal_type::Type::UnionType(u)) => {
                    nested = true;
                    variants.extend(u.variants.iter().cloned());
                }
                _ => variants.push(t),
            },
            _ => variants.push(t),
        }
    }
    let union = of(literal_type::Type::UnionType(UnionType { variants }));
    if nested {
        of(literal_type::Type::CollectionType(Box::new(union)))
    } else {
        union
    }
}

/// FlyteAdmin's `ValidateLiteralType` on an inferred type, worded as
/// `NewInvalidLiteralTypeError` words it; `name` is the input's name (empty for a signal).
pub(crate) fn require_type(
    name: &str,
    inferred: Option<LiteralType>,
) -> Result<LiteralType, String> {
    inferred.ok_or_else(|| {
        format!(
            "Failed to validate literal type for [{name}] with err: got unknown literal type: [{}].\n\
             Suggested solution: Please update all your Flyte deployment images to the latest version and try again",
            describe_inferred(None)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flyteidl::flyteidl::core::{
        Binary, Blob, LiteralCollection, LiteralMap, Primitive, Union, Void,
    };

    fn lit(v: scalar::Value) -> Literal {
        Literal {
            value: Some(literal::Value::Scalar(Box::new(Scalar { value: Some(v) }))),
            ..Literal::default()
        }
    }

    fn prim(v: primitive::Value) -> Literal {
        lit(scalar::Value::Primitive(Primitive { value: Some(v) }))
    }

    fn int(i: i64) -> Literal {
        prim(primitive::Value::Integer(i))
    }

    fn string(s: &str) -> Literal {
        prim(primitive::Value::StringValue(s.into()))
    }

    fn list(items: Vec<Literal>) -> Literal {
        Literal {
            value: Some(literal::Value::Collection(LiteralCollection {
                literals: items,
            })),
            ..Literal::default()
        }
    }

    fn union(value: Literal, t: LiteralType) -> Literal {
        lit(scalar::Value::Union(Box::new(Union {
            value: Some(Box::new(value)),
            r#type: Some(t),
        })))
    }

    fn collection(t: LiteralType) -> LiteralType {
        of(literal_type::Type::CollectionType(Box::new(t)))
    }

    fn union_of(variants: Vec<LiteralType>) -> LiteralType {
        of(literal_type::Type::UnionType(UnionType { variants }))
    }

    fn int_t() -> LiteralType {
        simple(SimpleType::Integer)
    }

    fn str_t() -> LiteralType {
        simple(SimpleType::String)
    }

    /// utils_test.go `TestLiteralTypeForLiterals`, plus the scalar kinds.
    #[test]
    fn inferred_types_follow_literal_type_for_literal() {
        let binary = |tag: &str| {
            lit(scalar::Value::Binary(Binary {
                value: vec![0x89, 0x50, 0x4e, 0x47],
                tag: tag.into(),
            }))
        };
        let cases: Vec<(&str, Literal, Option<LiteralType>)> = vec![
            (
                "empty collection",
                list(vec![]),
                Some(collection(simple(SimpleType::None))),
            ),
            (
                "raw binary, no tag",
                binary(""),
                Some(simple(SimpleType::Binary)),
            ),
            (
                "msgpack binary",
                binary("msgpack"),
                Some(simple(SimpleType::Struct)),
            ),
            (
                "other tag",
                binary("json"),
                Some(simple(SimpleType::Binary)),
            ),
            (
                "generic struct",
                lit(scalar::Value::Generic(Default::default())),
                Some(simple(SimpleType::Struct)),
            ),
            (
                "none",
                lit(scalar::Value::NoneType(Void {})),
                Some(simple(SimpleType::None)),
            ),
            (
                "blob without metadata",
                lit(scalar::Value::Blob(Blob::default())),
                None,
            ),
            ("no value", Literal::default(), None),
            (
                "homogeneous",
                list(vec![int(5), int(0), int(5)]),
                Some(collection(int_t())),
            ),
            (
                "non-homogeneous, sorted",
                list(vec![string("hello"), int(5), string("world"), int(0)]),
                Some(collection(union_of(vec![int_t(), str_t()]))),
            ),
            (
                "non-homogeneous ensure ordering",
                list(vec![int(5), string("world"), int(0), int(2)]),
                Some(collection(union_of(vec![int_t(), str_t()]))),
            ),
            (
                "list with mixed union values",
                list(vec![union(int(1), int_t()), union(string("foo"), str_t())]),
                Some(collection(union_of(vec![
                    union_of(vec![int_t()]),
                    union_of(vec![str_t()]),
                ]))),
            ),
            (
                "nested lists with an empty list",
                list(vec![list(vec![string("foo")]), list(vec![])]),
                Some(collection(collection(str_t()))),
            ),
            (
                "nested lists of different types",
                list(vec![
                    list(vec![union(int(1), int_t())]),
                    list(vec![union(string("foo"), str_t())]),
                ]),
                // Each inner list is a collection of a one-variant union: their variants merge.
                Some(collection(collection(union_of(vec![int_t(), str_t()])))),
            ),
            (
                "nested lists of mixed values lift their unions",
                list(vec![list(vec![int(1), string("a")]), list(vec![int(2)])]),
                // Sorted first: `collection_type:{simple:..}` before `collection_type:{union_type:..}`.
                Some(collection(collection(union_of(vec![
                    collection(int_t()),
                    int_t(),
                    str_t(),
                ])))),
            ),
            (
                "empty nested list",
                list(vec![list(vec![])]),
                Some(collection(collection(simple(SimpleType::None)))),
            ),
        ];
        for (name, l, want) in cases {
            assert_eq!(infer(&l), want, "{name}");
        }
    }

    #[test]
    fn maps_infer_their_value_type() {
        let m = |items: Vec<(&str, Literal)>| Literal {
            value: Some(literal::Value::Map(LiteralMap {
                literals: items.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            })),
            ..Literal::default()
        };
        let map_of = |t| of(literal_type::Type::MapValueType(Box::new(t)));
        assert_eq!(infer(&m(vec![])), Some(map_of(simple(SimpleType::None))));
        assert_eq!(
            infer(&m(vec![("b", string("x")), ("a", int(1))])),
            Some(map_of(union_of(vec![int_t(), str_t()])))
        );
    }

    #[test]
    fn a_missing_type_is_refused_with_flyteadmins_words() {
        let err = require_type("p", infer(&Literal::default())).expect_err("nil type");
        assert_eq!(
            err,
            "Failed to validate literal type for [p] with err: got unknown literal type: [<nil>].\n\
             Suggested solution: Please update all your Flyte deployment images to the latest version and try again"
        );
        assert_eq!(require_type("p", Some(int_t())), Ok(int_t()));
    }
}
