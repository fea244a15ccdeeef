//! The cases of flytepropeller 1.16's `typing_test.go`, one table per rule, plus the cases of
//! each rule that file does not cover.

use flyteidl::flyteidl::core::{
    literal_type, schema_type::schema_column::SchemaColumnType, schema_type::SchemaColumn,
    structured_dataset_type::DatasetColumn, BlobType, EnumType, LiteralType, SchemaType,
    SimpleType, StructuredDatasetType, TypeStructure, UnionType,
};
use serde_json::{json, Value as Json};

use super::castable;
use super::json_schema::struct_from_json;

type T = literal_type::Type;

fn of(t: T) -> LiteralType {
    LiteralType {
        r#type: Some(t),
        ..LiteralType::default()
    }
}

fn simple(s: SimpleType) -> LiteralType {
    of(T::Simple(s as i32))
}

fn int() -> LiteralType {
    simple(SimpleType::Integer)
}

fn float() -> LiteralType {
    simple(SimpleType::Float)
}

fn string() -> LiteralType {
    simple(SimpleType::String)
}

fn none() -> LiteralType {
    simple(SimpleType::None)
}

fn tagged(t: LiteralType, tag: &str) -> LiteralType {
    LiteralType {
        structure: Some(TypeStructure {
            tag: tag.into(),
            ..TypeStructure::default()
        }),
        ..t
    }
}

fn list(t: LiteralType) -> LiteralType {
    of(T::CollectionType(Box::new(t)))
}

fn map(t: LiteralType) -> LiteralType {
    of(T::MapValueType(Box::new(t)))
}

fn union(variants: Vec<LiteralType>) -> LiteralType {
    of(T::UnionType(UnionType { variants }))
}

fn enumeration(values: &[&str]) -> LiteralType {
    of(T::EnumType(EnumType {
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    }))
}

fn blob(format: &str, dimensionality: i32) -> LiteralType {
    of(T::Blob(BlobType {
        format: format.into(),
        dimensionality,
    }))
}

fn schema(columns: &[(&str, SchemaColumnType)]) -> LiteralType {
    of(T::Schema(SchemaType {
        columns: columns
            .iter()
            .map(|(n, t)| SchemaColumn {
                name: (*n).into(),
                r#type: *t as i32,
            })
            .collect(),
    }))
}

fn dataset(columns: &[(&str, LiteralType)], format: &str) -> LiteralType {
    of(T::StructuredDatasetType(StructuredDatasetType {
        columns: columns
            .iter()
            .map(|(n, t)| DatasetColumn {
                name: (*n).into(),
                literal_type: Some(t.clone()),
            })
            .collect(),
        format: format.into(),
        ..StructuredDatasetType::default()
    }))
}

/// A STRUCT type carrying a JSON schema, as flytekit writes a dataclass or pydantic model.
fn structure(schema: Json) -> LiteralType {
    LiteralType {
        metadata: Some(struct_from_json(&schema)),
        ..simple(SimpleType::Struct)
    }
}

fn check(cases: &[(&str, LiteralType, LiteralType, bool)]) {
    for (name, upstream, downstream, want) in cases {
        assert_eq!(castable(upstream, downstream), *want, "{name}");
    }
}

#[test]
fn simple_types_enums_and_strings() {
    check(&[
        ("BaseCase_Integer", int(), int(), true),
        ("IntegerToFloat", int(), float(), false),
        ("FloatToInteger", float(), int(), false),
        ("VoidToInteger", none(), int(), false),
        (
            "IgnoreMetadata",
            LiteralType {
                metadata: Some(struct_from_json(&json!({"a": null}))),
                ..int()
            },
            int(),
            true,
        ),
        (
            "annotation and structure without a tag are ignored",
            LiteralType {
                annotation: Some(Default::default()),
                structure: Some(TypeStructure::default()),
                ..int()
            },
            int(),
            true,
        ),
        ("EnumToString", enumeration(&["x", "y"]), string(), true),
        (
            "EnumToEnum identical",
            enumeration(&["x", "y"]),
            enumeration(&["x", "y"]),
            true,
        ),
        (
            "EnumToEnum mismatched",
            enumeration(&["x", "y"]),
            enumeration(&["m", "n"]),
            false,
        ),
        ("StringToEnum", string(), enumeration(&["x", "y"]), true),
        ("IntegerToEnum", int(), enumeration(&["x"]), false),
        (
            "upstream tag must match",
            tagged(int(), "a"),
            tagged(int(), "b"),
            false,
        ),
        (
            "upstream tag against none",
            tagged(int(), "a"),
            int(),
            false,
        ),
        (
            "downstream tag alone is ignored",
            int(),
            tagged(int(), "b"),
            true,
        ),
        (
            "binary to struct",
            simple(SimpleType::Binary),
            simple(SimpleType::Struct),
            false,
        ),
        ("none to none", none(), none(), true),
        ("integer to none", int(), none(), false),
    ]);
}

#[test]
fn unions() {
    let int_or_str = union(vec![tagged(int(), "int"), tagged(string(), "str")]);
    let str1_or_str2 = union(vec![tagged(string(), "str1"), tagged(string(), "str2")]);
    check(&[
        (
            "StringToUnionUnambiguously",
            string(),
            int_or_str.clone(),
            true,
        ),
        (
            "StringToUnionAmbiguously",
            string(),
            str1_or_str2.clone(),
            false,
        ),
        (
            "UnionToUnionSuperset",
            str1_or_str2.clone(),
            union(vec![
                tagged(string(), "str1"),
                tagged(int(), "int1"),
                tagged(string(), "str2"),
            ]),
            true,
        ),
        (
            "UnionToUnionTagMismatch",
            str1_or_str2,
            union(vec![tagged(int(), "str2"), tagged(string(), "str3")]),
            false,
        ),
        (
            "UnionToUnionTypeMismatch",
            union(vec![tagged(string(), "test")]),
            union(vec![tagged(int(), "test")]),
            false,
        ),
        (
            "SingularUnionToUnderlyingType",
            union(vec![tagged(string(), "string")]),
            tagged(string(), "string"),
            true,
        ),
        (
            "Optional accepts its type",
            int(),
            union(vec![int(), none()]),
            true,
        ),
        (
            "Optional accepts none",
            none(),
            union(vec![int(), none()]),
            true,
        ),
        (
            "Optional refuses another type",
            float(),
            union(vec![int(), none()]),
            false,
        ),
        (
            "a union value of one variant fits the Optional",
            union(vec![tagged(int(), "int")]),
            union(vec![tagged(int(), "int"), tagged(none(), "none")]),
            true,
        ),
    ]);
}

#[test]
fn collections() {
    check(&[
        (
            "BaseCase_SingleIntegerCollection",
            list(int()),
            list(int()),
            true,
        ),
        ("Empty collection", list(none()), list(int()), true),
        (
            "SingleIntegerCollectionToSingleFloatCollection",
            list(int()),
            list(float()),
            false,
        ),
        ("MismatchedNestLevels_Scalar", list(int()), int(), false),
        (
            "MismatchedNestLevels_Collections",
            list(int()),
            list(list(int())),
            false,
        ),
        ("Nullable_Collections", none(), list(list(int())), false),
        ("map to collection", map(int()), list(int()), false),
    ]);
}

#[test]
fn maps() {
    check(&[
        ("BaseCase_SingleIntegerMap", map(int()), map(int()), true),
        (
            "ScalarIntegerMapToScalarFloatMap",
            map(int()),
            map(float()),
            false,
        ),
        ("empty map", map(none()), map(float()), true),
        ("MismatchedMapNestLevels_Scalar", map(int()), int(), false),
        (
            "MismatchedMapNestLevels_Maps",
            map(int()),
            map(map(int())),
            false,
        ),
        ("collection to map", list(int()), map(int()), false),
    ]);
}

fn one_level(title: &str, extra: Json) -> Json {
    let mut s = json!({
        "required": ["a"],
        "title": title,
        "properties": {"a": {"type": "integer"}},
        "type": "object",
    });
    if let (Some(m), Some(e)) = (s.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    s
}

fn two_level(outer: &str, field: &str, inner: Json) -> Json {
    json!({
        "required": [field],
        "title": outer,
        "properties": {field: inner},
        "type": "object",
        "AdditionalProperties": false,
    })
}

#[test]
fn structs_and_json_schemas() {
    let a = one_level("A", json!({"AdditionalProperties": false}));
    let b = two_level("B", "b", a.clone());
    let c = json!({
        "required": ["c"],
        "title": "C",
        "properties": {"c": {"type": "string"}},
        "type": "object",
        "AdditionalProperties": false,
    });
    let d = two_level("D", "d", c);
    let child = json!({
        "required": ["a", "b"],
        "title": "B",
        "properties": {
            "a": {"type": "integer"},
            "b": {"default": null, "anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "type": "object",
        "AdditionalProperties": false,
    });
    let plain = simple(SimpleType::Struct);
    check(&[
        ("ScalarStructToStruct", plain.clone(), plain.clone(), true),
        (
            "no schema upstream",
            plain.clone(),
            structure(a.clone()),
            true,
        ),
        (
            "no schema downstream",
            structure(a.clone()),
            plain.clone(),
            true,
        ),
        (
            "SameDataclassOneLevel",
            structure(a.clone()),
            structure(a.clone()),
            true,
        ),
        (
            "SameDataclassTwoLevel",
            structure(b.clone()),
            structure(b.clone()),
            true,
        ),
        ("DiffDataclassTwoLevel", structure(b), structure(d), false),
        (
            "SameBaseModelOneLevel",
            structure(one_level("A", json!({}))),
            structure(one_level("A", json!({}))),
            true,
        ),
        (
            "BigToSmallAndChildToParent",
            structure(child.clone()),
            structure(a.clone()),
            true,
        ),
        (
            "SmallToBigAndParentToChild",
            structure(a.clone()),
            structure(child),
            false,
        ),
        (
            "a different field type",
            structure(
                json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}),
            ),
            structure(a.clone()),
            false,
        ),
        (
            "integer fits number",
            structure(a.clone()),
            structure(
                json!({"type": "object", "properties": {"a": {"type": "number"}}, "required": ["a"]}),
            ),
            true,
        ),
        (
            "a schema that does not compile",
            structure(json!({"type": 5})),
            structure(a.clone()),
            false,
        ),
        (
            "a dangling $ref does not compile",
            structure(json!({"$ref": "#/$defs/Missing"})),
            structure(a.clone()),
            false,
        ),
        (
            "refs are followed in their own document",
            structure(json!({
                "type": "object",
                "properties": {"p": {"$ref": "#/$defs/A"}},
                "required": ["p"],
                "$defs": {"A": a.clone()},
            })),
            structure(json!({
                "type": "object",
                "properties": {"p": {"$ref": "#/$defs/A"}},
                "required": ["p"],
                "$defs": {"A": {"type": "object", "properties": {"a": {"type": "string"}}}},
            })),
            false,
        ),
        (
            "a struct tag must match",
            tagged(structure(a.clone()), "x"),
            tagged(structure(a), "y"),
            false,
        ),
        ("struct to binary", plain, simple(SimpleType::Binary), false),
    ]);
}

#[test]
fn schemas() {
    use SchemaColumnType::{Float as F, Integer as I};
    let generic = schema(&[]);
    let subset = schema(&[("a", I)]);
    let superset = schema(&[("a", I), ("b", F)]);
    let mismatched = schema(&[("a", F)]);
    let generic_sd = dataset(&[], "");
    let superset_sd = dataset(&[("a", int()), ("b", float())], "parquet");
    check(&[
        (
            "BaseCase_GenericSchema",
            generic.clone(),
            generic.clone(),
            true,
        ),
        (
            "GenericSchemaToNonGeneric",
            generic.clone(),
            subset.clone(),
            true,
        ),
        ("NonGenericSchemaToGeneric", subset.clone(), generic, true),
        (
            "SupersetToSubsetTypedSchema",
            superset.clone(),
            subset.clone(),
            true,
        ),
        (
            "GenericToSubsetTypedSchema",
            generic_sd.clone(),
            subset.clone(),
            true,
        ),
        (
            "SubsetTypedSchemaToGeneric",
            subset.clone(),
            generic_sd,
            true,
        ),
        (
            "SupersetStructuredToSubsetTypedSchema",
            superset_sd,
            subset.clone(),
            true,
        ),
        ("SubsetToSupersetSchema", subset.clone(), superset, false),
        (
            "MismatchedColumns",
            subset.clone(),
            mismatched.clone(),
            false,
        ),
        (
            "MismatchedColumnsFlipped",
            mismatched,
            subset.clone(),
            false,
        ),
        ("SchemasAreNullable", none(), subset.clone(), false),
        (
            "a csv dataset is no schema",
            dataset(&[], "csv"),
            subset,
            false,
        ),
    ]);
}

#[test]
fn structured_datasets() {
    use SchemaColumnType::Integer as I;
    let empty = dataset(&[], "");
    let generic = dataset(&[], "parquet");
    let subset = dataset(&[("a", int()), ("b", list(int()))], "parquet");
    let superset = dataset(
        &[("a", int()), ("b", list(int())), ("c", map(int()))],
        "parquet",
    );
    let integer_schema = schema(&[("a", I)]);
    let integer_sd = dataset(&[("a", int())], "parquet");
    let mismatched = dataset(&[("a", float())], "");
    check(&[
        (
            "BaseCase_GenericStructuredDataset",
            generic.clone(),
            generic.clone(),
            true,
        ),
        (
            "GenericStructuredDatasetToNonGeneric",
            generic.clone(),
            subset.clone(),
            true,
        ),
        (
            "NonGenericStructuredDatasetToGeneric",
            subset.clone(),
            generic.clone(),
            true,
        ),
        (
            "SupersetToSubsetTypedStructuredDataset",
            superset.clone(),
            subset.clone(),
            true,
        ),
        (
            "SubsetToSupersetStructuredDataset",
            subset.clone(),
            superset,
            false,
        ),
        (
            "SchemaToStructuredDataset",
            integer_schema.clone(),
            integer_sd,
            true,
        ),
        (
            "MismatchedSchemaColumns",
            integer_schema.clone(),
            mismatched.clone(),
            false,
        ),
        (
            "MismatchedColumns",
            subset.clone(),
            mismatched.clone(),
            false,
        ),
        (
            "MismatchedColumnsFlipped",
            mismatched,
            subset.clone(),
            false,
        ),
        ("GenericToEmptyFormat", generic.clone(), empty.clone(), true),
        ("EmptyFormatToGeneric", empty, generic.clone(), true),
        ("StructuredDatasetsAreNullable", none(), subset, true),
        (
            "formats compare without case",
            dataset(&[], "PARQUET"),
            generic.clone(),
            true,
        ),
        ("other formats differ", dataset(&[], "csv"), generic, false),
        (
            "a schema into a csv dataset",
            integer_schema,
            dataset(&[], "csv"),
            false,
        ),
    ]);
}

#[test]
fn blobs() {
    check(&[
        ("BaseCase_GenericBlob", blob("csv", 0), blob("csv", 0), true),
        ("GenericToEmptyFormat", blob("csv", 0), blob("", 0), true),
        ("EmptyFormatToGeneric", blob("", 0), blob("csv", 0), true),
        ("MismatchedFormat", blob("csv", 0), blob("pdf", 0), false),
        ("BlobsAreNullable", none(), blob("csv", 0), false),
        // typing.go compares formats only: a file fits where a directory is expected.
        (
            "dimensionality is not compared",
            blob("", 0),
            blob("", 1),
            true,
        ),
    ]);
}
