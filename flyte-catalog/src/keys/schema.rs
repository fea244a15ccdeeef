//! The shape of the Flyte 1.16.8 messages that propeller hashes (`LiteralMap` and everything a
//! literal holds, `VariableMap` and everything a variable's type holds), as the facts the JSON
//! mapping needs: field numbers, JSON names (protoc's lowerCamelCase), kinds, oneofs, enum
//! value names. Read from `flyteidl/protos/flyteidl/core/{literals,types,interface,
//! artifact_id}.proto` at v1.16.8.
//!
//! The table, not the `flyteidl` crate's structs, drives the hashing: the crate predates some of
//! these fields (`Literal.offloaded_metadata`), and a field missing here would silently drop out
//! of the hash, so every field of every message below is listed.

/// One message.
#[derive(Debug)]
pub(crate) struct Msg {
    pub(crate) fields: &'static [Field],
    /// A well-known type with its own JSON form.
    pub(crate) wkt: Option<Wkt>,
}

/// A well-known type of `google.protobuf` with a JSON form of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wkt {
    Timestamp,
    Duration,
    Struct,
    Value,
    ListValue,
}

/// One field.
#[derive(Debug)]
pub(crate) struct Field {
    pub(crate) number: u32,
    pub(crate) json: &'static str,
    pub(crate) kind: Kind,
    pub(crate) card: Card,
}

/// A field's value type.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    String,
    Bytes,
    Bool,
    Int64,
    Uint64,
    Int32,
    Double,
    Enum(&'static [(i32, &'static str)]),
    /// `google.protobuf.NullValue`, written as `null`.
    Null,
    Message(&'static Msg),
}

/// A field's cardinality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Card {
    /// Proto3 implicit presence: written when not the zero value.
    Singular,
    /// A member of the message's oneof number `n`: written when set, even to zero.
    Oneof(u8),
    Repeated,
    /// `map<string, kind>`.
    Map,
}

const fn f(number: u32, json: &'static str, kind: Kind) -> Field {
    Field {
        number,
        json,
        kind,
        card: Card::Singular,
    }
}

const fn one(number: u32, json: &'static str, kind: Kind, group: u8) -> Field {
    Field {
        number,
        json,
        kind,
        card: Card::Oneof(group),
    }
}

const fn rep(number: u32, json: &'static str, kind: Kind) -> Field {
    Field {
        number,
        json,
        kind,
        card: Card::Repeated,
    }
}

const fn map(number: u32, json: &'static str, kind: Kind) -> Field {
    Field {
        number,
        json,
        kind,
        card: Card::Map,
    }
}

const fn msg(fields: &'static [Field]) -> Msg {
    Msg { fields, wkt: None }
}

use Kind::{Bool, Bytes, Double, Int32, Int64, Message as M, String as S, Uint64};

// google.protobuf
pub(crate) static TIMESTAMP: Msg = Msg {
    fields: &[f(1, "seconds", Int64), f(2, "nanos", Int32)],
    wkt: Some(Wkt::Timestamp),
};
pub(crate) static DURATION: Msg = Msg {
    fields: &[f(1, "seconds", Int64), f(2, "nanos", Int32)],
    wkt: Some(Wkt::Duration),
};
pub(crate) static STRUCT: Msg = Msg {
    fields: &[map(1, "fields", M(&VALUE))],
    wkt: Some(Wkt::Struct),
};
pub(crate) static VALUE: Msg = Msg {
    fields: &[
        one(1, "nullValue", Kind::Null, 0),
        one(2, "numberValue", Double, 0),
        one(3, "stringValue", S, 0),
        one(4, "boolValue", Bool, 0),
        one(5, "structValue", M(&STRUCT), 0),
        one(6, "listValue", M(&LIST_VALUE), 0),
    ],
    wkt: Some(Wkt::Value),
};
pub(crate) static LIST_VALUE: Msg = Msg {
    fields: &[rep(1, "values", M(&VALUE))],
    wkt: Some(Wkt::ListValue),
};

// flyteidl.core, literals.proto
static PRIMITIVE: Msg = msg(&[
    one(1, "integer", Int64, 0),
    one(2, "floatValue", Double, 0),
    one(3, "stringValue", S, 0),
    one(4, "boolean", Bool, 0),
    one(5, "datetime", M(&TIMESTAMP), 0),
    one(6, "duration", M(&DURATION), 0),
]);
static VOID: Msg = msg(&[]);
static BLOB: Msg = msg(&[f(1, "metadata", M(&BLOB_METADATA)), f(3, "uri", S)]);
static BLOB_METADATA: Msg = msg(&[f(1, "type", M(&BLOB_TYPE))]);
static BINARY: Msg = msg(&[f(1, "value", Bytes), f(2, "tag", S)]);
static SCHEMA: Msg = msg(&[f(1, "uri", S), f(3, "type", M(&SCHEMA_TYPE))]);
static UNION: Msg = msg(&[f(1, "value", M(&LITERAL)), f(2, "type", M(&LITERAL_TYPE))]);
static STRUCTURED_DATASET_METADATA: Msg =
    msg(&[f(1, "structuredDatasetType", M(&STRUCTURED_DATASET_TYPE))]);
static STRUCTURED_DATASET: Msg = msg(&[
    f(1, "uri", S),
    f(2, "metadata", M(&STRUCTURED_DATASET_METADATA)),
]);
static SCALAR: Msg = msg(&[
    one(1, "primitive", M(&PRIMITIVE), 0),
    one(2, "blob", M(&BLOB), 0),
    one(3, "binary", M(&BINARY), 0),
    one(4, "schema", M(&SCHEMA), 0),
    one(5, "noneType", M(&VOID), 0),
    one(6, "error", M(&ERROR), 0),
    one(7, "generic", M(&STRUCT), 0),
    one(8, "structuredDataset", M(&STRUCTURED_DATASET), 0),
    one(9, "union", M(&UNION), 0),
]);
pub(crate) static LITERAL: Msg = msg(&[
    one(1, "scalar", M(&SCALAR), 0),
    one(2, "collection", M(&LITERAL_COLLECTION), 0),
    one(3, "map", M(&LITERAL_MAP), 0),
    one(8, "offloadedMetadata", M(&LITERAL_OFFLOADED_METADATA), 0),
    f(4, "hash", S),
    map(5, "metadata", S),
]);
static LITERAL_OFFLOADED_METADATA: Msg = msg(&[
    f(1, "uri", S),
    f(2, "sizeBytes", Uint64),
    f(3, "inferredType", M(&LITERAL_TYPE)),
]);
static LITERAL_COLLECTION: Msg = msg(&[rep(1, "literals", M(&LITERAL))]);
pub(crate) static LITERAL_MAP: Msg = msg(&[map(1, "literals", M(&LITERAL))]);

// flyteidl.core, types.proto
static SIMPLE_TYPE: &[(i32, &str)] = &[
    (0, "NONE"),
    (1, "INTEGER"),
    (2, "FLOAT"),
    (3, "STRING"),
    (4, "BOOLEAN"),
    (5, "DATETIME"),
    (6, "DURATION"),
    (7, "BINARY"),
    (8, "ERROR"),
    (9, "STRUCT"),
];
static SCHEMA_COLUMN_TYPE: &[(i32, &str)] = &[
    (0, "INTEGER"),
    (1, "FLOAT"),
    (2, "STRING"),
    (3, "BOOLEAN"),
    (4, "DATETIME"),
    (5, "DURATION"),
];
static BLOB_DIMENSIONALITY: &[(i32, &str)] = &[(0, "SINGLE"), (1, "MULTIPART")];
static SCHEMA_TYPE: Msg = msg(&[rep(3, "columns", M(&SCHEMA_COLUMN))]);
static SCHEMA_COLUMN: Msg = msg(&[
    f(1, "name", S),
    f(2, "type", Kind::Enum(SCHEMA_COLUMN_TYPE)),
]);
static STRUCTURED_DATASET_TYPE: Msg = msg(&[
    rep(1, "columns", M(&DATASET_COLUMN)),
    f(2, "format", S),
    f(3, "externalSchemaType", S),
    f(4, "externalSchemaBytes", Bytes),
]);
static DATASET_COLUMN: Msg = msg(&[f(1, "name", S), f(2, "literalType", M(&LITERAL_TYPE))]);
static BLOB_TYPE: Msg = msg(&[
    f(1, "format", S),
    f(2, "dimensionality", Kind::Enum(BLOB_DIMENSIONALITY)),
]);
static ENUM_TYPE: Msg = msg(&[rep(1, "values", S)]);
static UNION_TYPE: Msg = msg(&[rep(1, "variants", M(&LITERAL_TYPE))]);
static TYPE_STRUCTURE: Msg = msg(&[f(1, "tag", S), map(2, "dataclassType", M(&LITERAL_TYPE))]);
static TYPE_ANNOTATION: Msg = msg(&[f(1, "annotations", M(&STRUCT))]);
static LITERAL_TYPE: Msg = msg(&[
    one(1, "simple", Kind::Enum(SIMPLE_TYPE), 0),
    one(2, "schema", M(&SCHEMA_TYPE), 0),
    one(3, "collectionType", M(&LITERAL_TYPE), 0),
    one(4, "mapValueType", M(&LITERAL_TYPE), 0),
    one(5, "blob", M(&BLOB_TYPE), 0),
    one(7, "enumType", M(&ENUM_TYPE), 0),
    one(8, "structuredDatasetType", M(&STRUCTURED_DATASET_TYPE), 0),
    one(10, "unionType", M(&UNION_TYPE), 0),
    f(6, "metadata", M(&STRUCT)),
    f(9, "annotation", M(&TYPE_ANNOTATION)),
    f(11, "structure", M(&TYPE_STRUCTURE)),
]);
static ERROR: Msg = msg(&[f(1, "failedNodeId", S), f(2, "message", S)]);

// flyteidl.core, interface.proto
static VARIABLE: Msg = msg(&[
    f(1, "type", M(&LITERAL_TYPE)),
    f(2, "description", S),
    f(3, "artifactPartialId", M(&ARTIFACT_ID)),
    f(4, "artifactTag", M(&ARTIFACT_TAG)),
]);
pub(crate) static VARIABLE_MAP: Msg = msg(&[map(1, "variables", M(&VARIABLE))]);

// flyteidl.core, artifact_id.proto
static GRANULARITY: &[(i32, &str)] = &[
    (0, "UNSET"),
    (1, "MINUTE"),
    (2, "HOUR"),
    (3, "DAY"),
    (4, "MONTH"),
];
static OPERATOR: &[(i32, &str)] = &[(0, "MINUS"), (1, "PLUS")];
static ARTIFACT_KEY: Msg = msg(&[
    f(1, "project", S),
    f(2, "domain", S),
    f(3, "name", S),
    f(4, "org", S),
]);
static ARTIFACT_BINDING_DATA: Msg = msg(&[
    one(5, "partitionKey", S, 0),
    one(6, "bindToTimePartition", Bool, 0),
    f(7, "timeTransform", M(&TIME_TRANSFORM)),
]);
static TIME_TRANSFORM: Msg = msg(&[f(1, "transform", S), f(2, "op", Kind::Enum(OPERATOR))]);
static INPUT_BINDING_DATA: Msg = msg(&[f(1, "var", S)]);
static RUNTIME_BINDING: Msg = msg(&[]);
static LABEL_VALUE: Msg = msg(&[
    one(1, "staticValue", S, 0),
    one(2, "timeValue", M(&TIMESTAMP), 0),
    one(3, "triggeredBinding", M(&ARTIFACT_BINDING_DATA), 0),
    one(4, "inputBinding", M(&INPUT_BINDING_DATA), 0),
    one(5, "runtimeBinding", M(&RUNTIME_BINDING), 0),
]);
static PARTITIONS: Msg = msg(&[map(1, "value", M(&LABEL_VALUE))]);
static TIME_PARTITION: Msg = msg(&[
    f(1, "value", M(&LABEL_VALUE)),
    f(2, "granularity", Kind::Enum(GRANULARITY)),
]);
static ARTIFACT_ID: Msg = msg(&[
    f(1, "artifactKey", M(&ARTIFACT_KEY)),
    f(2, "version", S),
    f(3, "partitions", M(&PARTITIONS)),
    f(4, "timePartition", M(&TIME_PARTITION)),
]);
static ARTIFACT_TAG: Msg = msg(&[
    f(1, "artifactKey", M(&ARTIFACT_KEY)),
    f(2, "value", M(&LABEL_VALUE)),
]);
