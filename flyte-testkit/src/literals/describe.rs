//! Literal types and literals printed the way Go's `%v` prints a proto message in FlyteAdmin's
//! error texts: compact text format (`simple:INTEGER`, `collection_type:{simple:STRING}`), fields
//! in declaration order, fields holding their default value left out (members of a `oneof` are
//! always printed), map entries sorted by key, strings quoted and escaped as Go escapes them.
//!
//! Go separates fields by one space, or two in binaries where its deliberate output
//! randomisation says so; one space is what a reader expects.

use std::collections::HashMap;

use flyteidl::flyteidl::core::{
    blob_type, literal, literal_type, primitive, scalar, schema_type, structured_dataset_type,
    Literal, LiteralType, SchemaType, SimpleType, StructuredDatasetType, TypeAnnotation,
    TypeStructure,
};
use prost_types::{value, Struct, Value};

/// A literal type as FlyteAdmin's error texts print it.
pub(crate) fn describe(t: &LiteralType) -> String {
    let mut w = Text::default();
    literal_type(&mut w, t);
    w.out
}

/// An inferred literal type that may be absent (Go's nil), printed as `%v` prints it.
pub(crate) fn describe_inferred(t: Option<&LiteralType>) -> String {
    t.map_or_else(|| "<nil>".to_owned(), describe)
}

/// A literal as FlyteAdmin's error texts print it.
pub(crate) fn describe_literal(l: &Literal) -> String {
    let mut w = Text::default();
    literal_fields(&mut w, l);
    w.out
}

/// A literal type as flytepropeller's compiler prints it in errors (`common.LiteralTypeToStr`):
/// a STRUCT by its dataclass fields (keys sorted here; Go's map order varies), anything else as
/// [`describe`] does.
pub(crate) fn describe_for_compiler(t: &LiteralType) -> String {
    if !matches!(t.r#type, Some(literal_type::Type::Simple(s)) if s == SimpleType::Struct as i32) {
        return describe(t);
    }
    let mut fields = String::new();
    if let Some(s) = &t.structure {
        let mut keys: Vec<&String> = s.dataclass_type.keys().collect();
        keys.sort();
        for k in keys {
            // Go's format leaves each entry's first brace open.
            fields.push_str(&format!(
                "dataclass_type:{{key:{k} value:{{{}}}, ",
                describe_for_compiler(&s.dataclass_type[k])
            ));
        }
    }
    let fields = fields.strip_suffix(", ").unwrap_or(&fields);
    format!("simple: STRUCT structure{{{fields}}}")
}

/// A byte slice as Go's `%v` prints one: `[10 2 8 1]`.
pub(crate) fn go_bytes(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(u8::to_string).collect();
    format!("[{}]", parts.join(" "))
}

/// A literal type serialized as Go serializes it: fields in field-number order, where prost puts
/// the `type` oneof after `metadata`, `annotation` and `structure`.
pub(crate) fn encode_type(t: &LiteralType) -> Vec<u8> {
    use literal_type::Type as T;
    use prost::Message;
    let number = match &t.r#type {
        None => 0,
        Some(T::Simple(_)) => 1,
        Some(T::Schema(_)) => 2,
        Some(T::CollectionType(_)) => 3,
        Some(T::MapValueType(_)) => 4,
        Some(T::Blob(_)) => 5,
        Some(T::EnumType(_)) => 7,
        Some(T::StructuredDatasetType(_)) => 8,
        Some(T::UnionType(_)) => 10,
    };
    let mut parts = [
        (
            number,
            LiteralType {
                r#type: t.r#type.clone(),
                ..LiteralType::default()
            },
        ),
        (
            6,
            LiteralType {
                metadata: t.metadata.clone(),
                ..LiteralType::default()
            },
        ),
        (
            9,
            LiteralType {
                annotation: t.annotation.clone(),
                ..LiteralType::default()
            },
        ),
        (
            11,
            LiteralType {
                structure: t.structure.clone(),
                ..LiteralType::default()
            },
        ),
    ];
    parts.sort_by_key(|(n, _)| *n);
    parts.iter().flat_map(|(_, p)| p.encode_to_vec()).collect()
}

/// A compact text-format writer: `name:value` pairs separated by spaces, messages in braces.
#[derive(Default)]
struct Text {
    out: String,
    /// Whether the last thing written was a value or a closing brace, so a name needs a space.
    after_value: bool,
}

impl Text {
    fn name(&mut self, name: &str) {
        if self.after_value {
            self.out.push(' ');
        }
        self.out.push_str(name);
        self.out.push(':');
        self.after_value = false;
    }

    fn scalar(&mut self, name: &str, value: &str) {
        self.name(name);
        self.out.push_str(value);
        self.after_value = true;
    }

    fn string(&mut self, name: &str, value: &[u8]) {
        self.scalar(name, &quote(value));
    }

    fn message(&mut self, name: &str, body: impl FnOnce(&mut Self)) {
        self.name(name);
        self.out.push('{');
        self.after_value = false;
        body(self);
        self.out.push('}');
        self.after_value = true;
    }

    /// A proto3 string field: left out when empty.
    fn opt_string(&mut self, name: &str, value: &str) {
        if !value.is_empty() {
            self.string(name, value.as_bytes());
        }
    }

    /// A map field: one `name:{key:.. value:..}` entry per key, keys in order.
    fn map<V>(&mut self, name: &str, map: &HashMap<String, V>, value: impl Fn(&mut Self, &V)) {
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort();
        for k in keys {
            self.message(name, |w| {
                w.string("key", k.as_bytes());
                value(w, &map[k]);
            });
        }
    }
}

/// Go's text-format string quoting: printable UTF-8 kept, `"` and `\` escaped, control
/// characters and bytes that are not UTF-8 as `\xNN`, C1 controls as `\u00NN`.
fn quote(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    out.push_str(&format!("\\x{:02x}", c as u32));
                }
                c if (0x80..=0x9f).contains(&(c as u32)) => {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('"');
    out
}

/// A double as Go's text format prints it (`strconv.FormatFloat(f, 'g', -1, 64)`): the shortest
/// digits, in exponent form (`1e+06`) when the decimal exponent is below -4 or at least 6.
pub(crate) fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "1.5e6" or "-1e-7".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.unsigned_abs());
    }
    // Plain form: Rust's `Display` for f64 never uses an exponent and prints the same digits.
    format!("{f}")
}

fn enum_name(name: Option<&str>, n: i32) -> String {
    name.map_or_else(|| n.to_string(), str::to_owned)
}

fn simple_name(s: i32) -> String {
    enum_name(SimpleType::try_from(s).ok().map(|s| s.as_str_name()), s)
}

fn literal_type(w: &mut Text, t: &LiteralType) {
    use literal_type::Type as T;
    match &t.r#type {
        Some(T::Simple(s)) => w.scalar("simple", &simple_name(*s)),
        Some(T::Schema(s)) => w.message("schema", |w| schema_type(w, s)),
        Some(T::CollectionType(inner)) => w.message("collection_type", |w| literal_type(w, inner)),
        Some(T::MapValueType(inner)) => w.message("map_value_type", |w| literal_type(w, inner)),
        Some(T::Blob(b)) => w.message("blob", |w| {
            w.opt_string("format", &b.format);
            if b.dimensionality != 0 {
                let name = blob_type::BlobDimensionality::try_from(b.dimensionality)
                    .ok()
                    .map(|d| d.as_str_name());
                w.scalar("dimensionality", &enum_name(name, b.dimensionality));
            }
        }),
        Some(T::EnumType(e)) => w.message("enum_type", |w| {
            for v in &e.values {
                w.string("values", v.as_bytes());
            }
        }),
        Some(T::StructuredDatasetType(s)) => {
            w.message("structured_dataset_type", |w| structured_dataset_type(w, s));
        }
        Some(T::UnionType(u)) => w.message("union_type", |w| {
            for v in &u.variants {
                w.message("variants", |w| literal_type(w, v));
            }
        }),
        None => {}
    }
    if let Some(m) = &t.metadata {
        w.message("metadata", |w| struct_fields(w, m));
    }
    if let Some(a) = &t.annotation {
        w.message("annotation", |w| annotation(w, a));
    }
    if let Some(s) = &t.structure {
        w.message("structure", |w| structure(w, s));
    }
}

fn schema_type(w: &mut Text, s: &SchemaType) {
    for c in &s.columns {
        w.message("columns", |w| {
            w.opt_string("name", &c.name);
            if c.r#type != 0 {
                let name = schema_type::schema_column::SchemaColumnType::try_from(c.r#type)
                    .ok()
                    .map(|t| t.as_str_name());
                w.scalar("type", &enum_name(name, c.r#type));
            }
        });
    }
}

fn structured_dataset_type(w: &mut Text, s: &StructuredDatasetType) {
    for c in &s.columns {
        w.message("columns", |w| column(w, c));
    }
    w.opt_string("format", &s.format);
    w.opt_string("external_schema_type", &s.external_schema_type);
    if !s.external_schema_bytes.is_empty() {
        w.string("external_schema_bytes", &s.external_schema_bytes);
    }
}

fn column(w: &mut Text, c: &structured_dataset_type::DatasetColumn) {
    w.opt_string("name", &c.name);
    if let Some(t) = &c.literal_type {
        w.message("literal_type", |w| literal_type(w, t));
    }
}

fn annotation(w: &mut Text, a: &TypeAnnotation) {
    if let Some(s) = &a.annotations {
        w.message("annotations", |w| struct_fields(w, s));
    }
}

fn structure(w: &mut Text, s: &TypeStructure) {
    w.opt_string("tag", &s.tag);
    w.map("dataclass_type", &s.dataclass_type, |w, t| {
        w.message("value", |w| literal_type(w, t));
    });
}

fn struct_fields(w: &mut Text, s: &Struct) {
    // prost keeps `Struct.fields` in a BTreeMap: already in key order.
    for (k, v) in &s.fields {
        w.message("fields", |w| {
            w.string("key", k.as_bytes());
            w.message("value", |w| value_fields(w, v));
        });
    }
}

fn value_fields(w: &mut Text, v: &Value) {
    match &v.kind {
        Some(value::Kind::NullValue(_)) => w.scalar("null_value", "NULL_VALUE"),
        Some(value::Kind::NumberValue(n)) => w.scalar("number_value", &go_float(*n)),
        Some(value::Kind::StringValue(s)) => w.string("string_value", s.as_bytes()),
        Some(value::Kind::BoolValue(b)) => w.scalar("bool_value", &b.to_string()),
        Some(value::Kind::StructValue(s)) => w.message("struct_value", |w| struct_fields(w, s)),
        Some(value::Kind::ListValue(l)) => w.message("list_value", |w| {
            for v in &l.values {
                w.message("values", |w| value_fields(w, v));
            }
        }),
        None => {}
    }
}

fn literal_fields(w: &mut Text, l: &Literal) {
    match &l.value {
        Some(literal::Value::Scalar(s)) => w.message("scalar", |w| scalar_fields(w, s)),
        Some(literal::Value::Collection(c)) => w.message("collection", |w| {
            for l in &c.literals {
                w.message("literals", |w| literal_fields(w, l));
            }
        }),
        Some(literal::Value::Map(m)) => w.message("map", |w| {
            w.map("literals", &m.literals, |w, l| {
                w.message("value", |w| literal_fields(w, l));
            });
        }),
        None => {}
    }
    w.opt_string("hash", &l.hash);
    w.map("metadata", &l.metadata, |w, v| {
        w.string("value", v.as_bytes())
    });
}

fn scalar_fields(w: &mut Text, s: &flyteidl::flyteidl::core::Scalar) {
    use scalar::Value as S;
    match &s.value {
        Some(S::Primitive(p)) => w.message("primitive", |w| match &p.value {
            Some(primitive::Value::Integer(i)) => w.scalar("integer", &i.to_string()),
            Some(primitive::Value::FloatValue(f)) => w.scalar("float_value", &go_float(*f)),
            Some(primitive::Value::StringValue(s)) => w.string("string_value", s.as_bytes()),
            Some(primitive::Value::Boolean(b)) => w.scalar("boolean", &b.to_string()),
            Some(primitive::Value::Datetime(t)) => w.message("datetime", |w| {
                seconds_nanos(w, t.seconds, t.nanos);
            }),
            Some(primitive::Value::Duration(d)) => w.message("duration", |w| {
                seconds_nanos(w, d.seconds, d.nanos);
            }),
            None => {}
        }),
        Some(S::Blob(b)) => w.message("blob", |w| {
            if let Some(m) = &b.metadata {
                w.message("metadata", |w| {
                    if let Some(t) = &m.r#type {
                        let t = LiteralType {
                            r#type: Some(literal_type::Type::Blob(t.clone())),
                            ..LiteralType::default()
                        };
                        // The blob type prints as `type:{format:.. dimensionality:..}`.
                        let inner = describe(&t);
                        let body = inner.strip_prefix("blob:").unwrap_or(&inner);
                        w.scalar("type", body);
                    }
                });
            }
            w.opt_string("uri", &b.uri);
        }),
        Some(S::Binary(b)) => w.message("binary", |w| {
            if !b.value.is_empty() {
                w.string("value", &b.value);
            }
            w.opt_string("tag", &b.tag);
        }),
        Some(S::Schema(sc)) => w.message("schema", |w| {
            w.opt_string("uri", &sc.uri);
            if let Some(t) = &sc.r#type {
                w.message("type", |w| schema_type(w, t));
            }
        }),
        Some(S::NoneType(_)) => w.message("none_type", |_| {}),
        Some(S::Error(e)) => w.message("error", |w| {
            w.opt_string("failed_node_id", &e.failed_node_id);
            w.opt_string("message", &e.message);
        }),
        Some(S::Generic(g)) => w.message("generic", |w| struct_fields(w, g)),
        Some(S::StructuredDataset(sd)) => w.message("structured_dataset", |w| {
            w.opt_string("uri", &sd.uri);
            if let Some(m) = &sd.metadata {
                w.message("metadata", |w| {
                    if let Some(t) = &m.structured_dataset_type {
                        w.message("structured_dataset_type", |w| structured_dataset_type(w, t));
                    }
                });
            }
        }),
        Some(S::Union(u)) => w.message("union", |w| {
            if let Some(v) = &u.value {
                w.message("value", |w| literal_fields(w, v));
            }
            if let Some(t) = &u.r#type {
                w.message("type", |w| literal_type(w, t));
            }
        }),
        None => {}
    }
}

/// A timestamp as Go's `%v` prints one: `seconds:1 nanos:2`, zero fields left out.
pub(crate) fn describe_timestamp(t: &prost_types::Timestamp) -> String {
    let mut w = Text::default();
    seconds_nanos(&mut w, t.seconds, t.nanos);
    w.out
}

fn seconds_nanos(w: &mut Text, seconds: i64, nanos: i32) {
    if seconds != 0 {
        w.scalar("seconds", &seconds.to_string());
    }
    if nanos != 0 {
        w.scalar("nanos", &nanos.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flyteidl::flyteidl::core::{BlobType, EnumType, Primitive, Scalar, UnionType};

    fn simple(s: SimpleType) -> LiteralType {
        LiteralType {
            r#type: Some(literal_type::Type::Simple(s as i32)),
            ..LiteralType::default()
        }
    }

    #[test]
    fn types_print_as_go_prints_them() {
        let cases = [
            (simple(SimpleType::None), "simple:NONE"),
            (
                LiteralType {
                    r#type: Some(literal_type::Type::CollectionType(Box::new(simple(
                        SimpleType::Integer,
                    )))),
                    ..LiteralType::default()
                },
                "collection_type:{simple:INTEGER}",
            ),
            (
                LiteralType {
                    r#type: Some(literal_type::Type::Blob(BlobType::default())),
                    ..LiteralType::default()
                },
                "blob:{}",
            ),
            (
                LiteralType {
                    r#type: Some(literal_type::Type::Blob(BlobType {
                        format: "csv".into(),
                        dimensionality: 1,
                    })),
                    ..LiteralType::default()
                },
                "blob:{format:\"csv\" dimensionality:MULTIPART}",
            ),
            (
                LiteralType {
                    r#type: Some(literal_type::Type::EnumType(EnumType {
                        values: vec!["a".into(), "b\"c".into()],
                    })),
                    ..LiteralType::default()
                },
                "enum_type:{values:\"a\" values:\"b\\\"c\"}",
            ),
            (
                LiteralType {
                    r#type: Some(literal_type::Type::UnionType(UnionType {
                        variants: vec![
                            LiteralType {
                                structure: Some(TypeStructure {
                                    tag: "int".into(),
                                    ..TypeStructure::default()
                                }),
                                ..simple(SimpleType::Integer)
                            },
                            simple(SimpleType::None),
                        ],
                    })),
                    ..LiteralType::default()
                },
                "union_type:{variants:{simple:INTEGER structure:{tag:\"int\"}} variants:{simple:NONE}}",
            ),
            (
                LiteralType {
                    metadata: Some(Struct {
                        fields: [
                            (
                                "title".to_owned(),
                                Value {
                                    kind: Some(value::Kind::StringValue("A".into())),
                                },
                            ),
                            (
                                "n".to_owned(),
                                Value {
                                    kind: Some(value::Kind::NumberValue(1e6)),
                                },
                            ),
                        ]
                        .into(),
                    }),
                    ..simple(SimpleType::Struct)
                },
                "simple:STRUCT metadata:{fields:{key:\"n\" value:{number_value:1e+06}} fields:{key:\"title\" value:{string_value:\"A\"}}}",
            ),
        ];
        for (t, want) in cases {
            assert_eq!(describe(&t), want);
        }
        assert_eq!(describe_inferred(None), "<nil>");
    }

    #[test]
    fn floats_and_strings_follow_go() {
        for (f, want) in [
            (0.0, "0"),
            (1.5, "1.5"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (1e21, "1e+21"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5e-7, "-2.5e-07"),
            (f64::NAN, "nan"),
        ] {
            assert_eq!(go_float(f), want, "{f}");
        }
        assert_eq!(
            quote(b"a\n\x01\xff\xc2\x85\xe2\x82\xac"),
            "\"a\\n\\x01\\xff\\u0085\u{20ac}\""
        );
    }

    #[test]
    fn literals_print_as_go_prints_them() {
        let five = Literal {
            value: Some(literal::Value::Scalar(Box::new(Scalar {
                value: Some(scalar::Value::Primitive(Primitive {
                    value: Some(primitive::Value::Integer(5)),
                })),
            }))),
            ..Literal::default()
        };
        assert_eq!(describe_literal(&five), "scalar:{primitive:{integer:5}}");
        let none = Literal {
            value: Some(literal::Value::Scalar(Box::new(Scalar {
                value: Some(scalar::Value::NoneType(Default::default())),
            }))),
            ..Literal::default()
        };
        assert_eq!(describe_literal(&none), "scalar:{none_type:{}}");
    }

    #[test]
    fn the_compiler_prints_structs_by_their_fields() {
        let dataclass = LiteralType {
            structure: Some(TypeStructure {
                tag: String::new(),
                dataclass_type: [
                    ("b".to_owned(), simple(SimpleType::String)),
                    ("a".to_owned(), simple(SimpleType::Integer)),
                ]
                .into(),
            }),
            ..simple(SimpleType::Struct)
        };
        assert_eq!(
            describe_for_compiler(&dataclass),
            "simple: STRUCT structure{dataclass_type:{key:a value:{simple:INTEGER}, dataclass_type:{key:b value:{simple:STRING}}"
        );
        assert_eq!(
            describe_for_compiler(&simple(SimpleType::Struct)),
            "simple: STRUCT structure{}"
        );
        assert_eq!(
            describe_for_compiler(&simple(SimpleType::Integer)),
            "simple:INTEGER"
        );
    }

    #[test]
    fn types_serialize_in_field_number_order() {
        let t = LiteralType {
            structure: Some(TypeStructure {
                tag: "b".into(),
                ..TypeStructure::default()
            }),
            ..simple(SimpleType::Boolean)
        };
        // simple (field 1) = 4, then structure (field 11) = {tag (1) = "b"}.
        assert_eq!(go_bytes(&encode_type(&t)), "[8 4 90 3 10 1 98]");
    }
}
