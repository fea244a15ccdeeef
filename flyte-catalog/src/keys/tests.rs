//! Keys against values Flyte's Go code computed: the expected strings of flytepropeller's
//! `transformer_test.go` and `datacatalog_test.go`, flyteplugins' `hashing_test.go` and
//! flytestdlib's `pbhash_test.go` at v1.16.8, each with the input that produced it.

use std::collections::HashMap;

use flyteidl::flyteidl::core::{
    literal, literal_type, primitive, scalar, Identifier, Literal, LiteralMap, LiteralType,
    Primitive, Scalar, SimpleType, TypedInterface, Variable, VariableMap,
};

use super::*;

fn task() -> Identifier {
    Identifier {
        resource_type: ResourceType::Task as i32,
        project: "project".into(),
        domain: "domain".into(),
        name: "name".into(),
        version: "1.0.0".into(),
        ..Identifier::default()
    }
}

fn primitive(value: primitive::Value) -> Literal {
    Literal {
        value: Some(literal::Value::Scalar(Box::new(Scalar {
            value: Some(scalar::Value::Primitive(Primitive { value: Some(value) })),
        }))),
        ..Literal::default()
    }
}

fn ints(pairs: &[(&str, i64)]) -> LiteralMap {
    LiteralMap {
        literals: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), primitive(primitive::Value::Integer(*v))))
            .collect(),
    }
}

fn simple(names: &[&str], t: SimpleType) -> VariableMap {
    VariableMap {
        variables: names
            .iter()
            .map(|n| {
                let var = Variable {
                    r#type: Some(LiteralType {
                        r#type: Some(literal_type::Type::Simple(t as i32)),
                        ..LiteralType::default()
                    }),
                    ..Variable::default()
                };
                ((*n).to_owned(), var)
            })
            .collect(),
    }
}

/// The hash of an empty map: `{}`'s objecthash, 18ac3e73...
const EMPTY: &str = "GKw-c0PwFokMUQ6T-TUmEWnZ4_VlQ2Qpgw-vCTT0-OQ";

#[test]
fn no_interface_and_an_empty_interface_give_propellers_version() -> Result<(), KeyError> {
    // transformer_test.go TestNilParamTask / TestEmptyParamTask: cache version 1.0.0.
    let nil = dataset_id(&task(), "1.0.0", None)?;
    assert_eq!(nil.version, "1.0.0-GKw-c0Pw-GKw-c0Pw");
    assert_eq!(nil.name, "flyte_task-name");
    assert_eq!(
        (nil.project.as_str(), nil.domain.as_str()),
        ("project", "domain")
    );
    let empty = TypedInterface {
        inputs: Some(VariableMap::default()),
        outputs: Some(VariableMap::default()),
    };
    assert_eq!(dataset_id(&task(), "1.0.0", Some(&empty))?, nil);
    Ok(())
}

#[test]
fn two_integer_inputs_give_propellers_version() -> Result<(), KeyError> {
    // transformer_test.go TestVariableMapOrder: inputs {"1": INTEGER, "2": INTEGER}, no outputs.
    let interface = TypedInterface {
        inputs: Some(simple(&["1", "2"], SimpleType::Integer)),
        outputs: None,
    };
    let id = dataset_id(&task(), "1.0.0", Some(&interface))?;
    assert_eq!(id.version, "1.0.0-UxVtPm0k-GKw-c0Pw");
    Ok(())
}

#[test]
fn a_string_input_and_output_give_propellers_version() -> Result<(), KeyError> {
    // datacatalog_test.go: inputs and outputs both {"test": STRING}.
    let vars = simple(&["test"], SimpleType::String);
    let interface = TypedInterface {
        inputs: Some(vars.clone()),
        outputs: Some(vars),
    };
    let id = dataset_id(&task(), "1.0.0", Some(&interface))?;
    assert_eq!(id.version, "1.0.0-ue5g6uuI-ue5g6uuI");
    Ok(())
}

#[test]
fn a_blank_cache_version_is_refused_and_spaces_are_trimmed() -> Result<(), KeyError> {
    assert!(matches!(
        dataset_id(&task(), "  ", None),
        Err(KeyError::EmptyCacheVersion { task }) if task == "name"
    ));
    assert_eq!(
        dataset_id(&task(), " v2 ", None)?.version,
        "v2-GKw-c0Pw-GKw-c0Pw"
    );
    Ok(())
}

#[test]
fn integer_inputs_give_propellers_tag() -> Result<(), KeyError> {
    // transformer_test.go TestGenerateArtifactTagName: inputs {"1": 1, "2": 2} (int64).
    let tag = artifact_tag(Some(&ints(&[("1", 1), ("2", 2)])), &[])?;
    assert_eq!(
        tag,
        "flyte_cached-GQid5LjHbakcW68DS3P2jp80QLbiF0olFHF2hTh5bg8"
    );
    Ok(())
}

#[test]
fn an_ignored_input_leaves_the_tag_unchanged() -> Result<(), KeyError> {
    // transformer_test.go TestGenerateArtifactTagNameWithIgnore: {"1": 1, "2": 2, "3": 3},
    // cache_ignore_input_vars ["3"].
    let inputs = ints(&[("1", 1), ("2", 2), ("3", 3)]);
    let tag = artifact_tag(Some(&inputs), &["3".to_owned()])?;
    assert_eq!(
        tag,
        "flyte_cached-GQid5LjHbakcW68DS3P2jp80QLbiF0olFHF2hTh5bg8"
    );
    assert_ne!(artifact_tag(Some(&inputs), &[])?, tag);
    Ok(())
}

#[test]
fn a_string_input_gives_propellers_tag() -> Result<(), KeyError> {
    // datacatalog_test.go: {"out1": "output1-stringval"}.
    let inputs = LiteralMap {
        literals: HashMap::from([(
            "out1".to_owned(),
            primitive(primitive::Value::StringValue("output1-stringval".into())),
        )]),
    };
    assert_eq!(
        artifact_tag(Some(&inputs), &[])?,
        "flyte_cached-BE6CZsMk6N3ExR_4X9EuwBgj2Jh2UwasXK3a_pM9xlY"
    );
    Ok(())
}

#[test]
fn no_inputs_and_empty_inputs_hash_alike() -> Result<(), KeyError> {
    // hashing_test.go TestNoInputValues: nil and an empty map.
    assert_eq!(input_hash(None, &[])?, EMPTY);
    assert_eq!(input_hash(Some(&LiteralMap::default()), &[])?, EMPTY);
    assert_eq!(input_hash_encoded(&[], &[])?, EMPTY);
    Ok(())
}

/// flytestdlib's `pbhash_test.go` mock message, to check the JSON mapping of int64, double,
/// string, bool, Timestamp, Duration, a string map and a string list against Go's hash.
#[derive(Clone, PartialEq, prost::Message)]
struct Mock {
    #[prost(int64, tag = "1")]
    integer: i64,
    #[prost(double, tag = "2")]
    float_value: f64,
    #[prost(string, tag = "3")]
    string_value: String,
    #[prost(bool, tag = "4")]
    boolean: bool,
    #[prost(message, optional, tag = "5")]
    datetime: Option<prost_types::Timestamp>,
    #[prost(message, optional, tag = "6")]
    duration: Option<prost_types::Duration>,
    #[prost(map = "string, string", tag = "7")]
    map_value: HashMap<String, String>,
    #[prost(string, repeated, tag = "8")]
    collections: Vec<String>,
}

static MOCK: schema::Msg = schema::Msg {
    fields: &[
        schema::Field {
            number: 1,
            json: "integer",
            kind: schema::Kind::Int64,
            card: schema::Card::Singular,
        },
        schema::Field {
            number: 2,
            json: "floatValue",
            kind: schema::Kind::Double,
            card: schema::Card::Singular,
        },
        schema::Field {
            number: 3,
            json: "stringValue",
            kind: schema::Kind::String,
            card: schema::Card::Singular,
        },
        schema::Field {
            number: 4,
            json: "boolean",
            kind: schema::Kind::Bool,
            card: schema::Card::Singular,
        },
        schema::Field {
            number: 5,
            json: "datetime",
            kind: schema::Kind::Message(&schema::TIMESTAMP),
            card: schema::Card::Singular,
        },
        schema::Field {
            number: 6,
            json: "duration",
            kind: schema::Kind::Message(&schema::DURATION),
            card: schema::Card::Singular,
        },
        schema::Field {
            number: 7,
            json: "mapValue",
            kind: schema::Kind::String,
            card: schema::Card::Map,
        },
        schema::Field {
            number: 8,
            json: "collections",
            kind: schema::Kind::String,
            card: schema::Card::Repeated,
        },
    ],
    wkt: None,
};

fn pbhash_std(message: &Mock) -> Result<String, KeyError> {
    let json = jsonpb::to_json(&MOCK, &message.encode_to_vec())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(objecthash::object_hash(&json)?))
}

#[test]
fn the_json_mapping_reproduces_pbhash_test_go() -> Result<(), KeyError> {
    // TestProtoHash: 18, 1.3, "lets test this", true, 2019-03-29T12:00:00Z, 1ms,
    // {"z": "last", "a": "first"}, ["1", "2", "3"].
    let full = Mock {
        integer: 18,
        float_value: 1.3,
        string_value: "lets test this".into(),
        boolean: true,
        datetime: Some(prost_types::Timestamp {
            seconds: 1_553_860_800,
            nanos: 0,
        }),
        duration: Some(prost_types::Duration {
            seconds: 0,
            nanos: 1_000_000,
        }),
        map_value: HashMap::from([
            ("z".to_owned(), "last".to_owned()),
            ("a".to_owned(), "first".to_owned()),
        ]),
        collections: vec!["1".into(), "2".into(), "3".into()],
    };
    assert_eq!(
        pbhash_std(&full)?,
        "YpWyLCP1NW0DVk3Hj64tK70H/9t+5fQlj7yyDK2lSEQ="
    );
    // TestPartialFilledProtoHash: the first four fields only.
    let partial = Mock {
        datetime: None,
        duration: None,
        map_value: HashMap::new(),
        collections: Vec::new(),
        ..full
    };
    assert_eq!(
        pbhash_std(&partial)?,
        "GhPMTKvJfUPHK8U3vEmoi/wdVBx7IQSPqyjGXAZzquI="
    );
    Ok(())
}

// Inputs no Go test covers. The expected strings were derived, not computed by Go: the JSON
// jsonpb writes for each input was written out by hand from jsonpb's rules (stated in the
// `jsonpb` module), and hashed by a separate objecthash written from the Go source; that
// derivation reproduces every Go-computed value above.

fn lit(value: literal::Value) -> Literal {
    Literal {
        value: Some(value),
        ..Literal::default()
    }
}

fn scalar_lit(value: scalar::Value) -> Literal {
    lit(literal::Value::Scalar(Box::new(Scalar {
        value: Some(value),
    })))
}

fn tag_of(pairs: Vec<(&str, Literal)>) -> Result<String, KeyError> {
    let inputs = LiteralMap {
        literals: pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    };
    artifact_tag(Some(&inputs), &[])
}

#[test]
fn float_inputs_hash_as_float64() -> Result<(), KeyError> {
    // {"x": 0.5, "y": -23.1234}
    let tag = tag_of(vec![
        ("x", primitive(primitive::Value::FloatValue(0.5))),
        ("y", primitive(primitive::Value::FloatValue(-23.1234))),
    ])?;
    assert_eq!(
        tag,
        "flyte_cached-Wj35c2XmHpKeckfrV84XsuzcLKKtAyVghaFzix6dmEA"
    );
    Ok(())
}

#[test]
fn a_false_boolean_and_none_are_part_of_the_hash() -> Result<(), KeyError> {
    // {"flag": false, "n": None}: oneof members are written even when zero or empty.
    let tag = tag_of(vec![
        ("flag", primitive(primitive::Value::Boolean(false))),
        (
            "n",
            scalar_lit(scalar::Value::NoneType(flyteidl::flyteidl::core::Void {})),
        ),
    ])?;
    assert_eq!(
        tag,
        "flyte_cached-LzSmwRcxzozwHsFNW93rJs9bdS2eUgi2Ii2N-RdLB5k"
    );
    Ok(())
}

#[test]
fn datetimes_and_durations_hash_as_their_rfc3339_text() -> Result<(), KeyError> {
    // {"t": 2024-01-02T03:04:05.5Z, "d": 90 s}
    let tag = tag_of(vec![
        (
            "t",
            primitive(primitive::Value::Datetime(prost_types::Timestamp {
                seconds: 1_704_164_645,
                nanos: 500_000_000,
            })),
        ),
        (
            "d",
            primitive(primitive::Value::Duration(prost_types::Duration {
                seconds: 90,
                nanos: 0,
            })),
        ),
    ])?;
    assert_eq!(
        tag,
        "flyte_cached-8Hwmy45Acp_Q_IncmB8ayfA7Sl4vzsF88TT0ZDtKDqA"
    );
    Ok(())
}

#[test]
fn a_msgpack_dataclass_hashes_its_bytes_and_tag() -> Result<(), KeyError> {
    // {"cfg": Binary(msgpack {"a": 1, "b": "x"}, tag "msgpack")}, as flytekit 1.16 sends a
    // dataclass.
    let tag = tag_of(vec![(
        "cfg",
        scalar_lit(scalar::Value::Binary(flyteidl::flyteidl::core::Binary {
            value: vec![0x82, 0xa1, 0x61, 0x01, 0xa1, 0x62, 0xa1, 0x78],
            tag: "msgpack".into(),
        })),
    )])?;
    assert_eq!(
        tag,
        "flyte_cached-kZk3mYCiMdOVUq29eFno32cbGOrb2KzEcQMERPsIMT8"
    );
    Ok(())
}

#[test]
fn a_collection_hashes_its_items_in_order() -> Result<(), KeyError> {
    // {"xs": [1, 2, 3]}
    let items = (1..=3)
        .map(|i| primitive(primitive::Value::Integer(i)))
        .collect();
    let xs = lit(literal::Value::Collection(
        flyteidl::flyteidl::core::LiteralCollection { literals: items },
    ));
    let tag = tag_of(vec![("xs", xs.clone())])?;
    assert_eq!(
        tag,
        "flyte_cached-VmWJaiN1wg7nHRQlzm0eJ4tdTmsSRUGO8WA8uPZuMfs"
    );
    let Some(literal::Value::Collection(mut reversed)) = xs.value else {
        unreachable!("built as a collection above")
    };
    reversed.literals.reverse();
    let reversed = lit(literal::Value::Collection(reversed));
    assert_ne!(tag_of(vec![("xs", reversed)])?, tag);
    Ok(())
}

#[test]
fn empty_collections_and_maps_are_still_set() -> Result<(), KeyError> {
    // {"xs": [], "m": {}}
    let tag = tag_of(vec![
        ("xs", lit(literal::Value::Collection(Default::default()))),
        ("m", lit(literal::Value::Map(Default::default()))),
    ])?;
    assert_eq!(
        tag,
        "flyte_cached-m2-2GirS5lHQWByUeeIjWG1sHFCu20QhHviMITP9Zzw"
    );
    Ok(())
}

#[test]
fn blobs_hash_their_uri_and_type() -> Result<(), KeyError> {
    // {"f": csv file s3://bucket/data.csv, "d": directory s3://bucket/dir}
    use flyteidl::flyteidl::core::{blob_type::BlobDimensionality, Blob, BlobMetadata, BlobType};
    let blob = |format: &str, dimensionality: BlobDimensionality, uri: &str| {
        scalar_lit(scalar::Value::Blob(Blob {
            metadata: Some(BlobMetadata {
                r#type: Some(BlobType {
                    format: format.into(),
                    dimensionality: dimensionality as i32,
                }),
            }),
            uri: uri.into(),
        }))
    };
    let tag = tag_of(vec![
        (
            "f",
            blob("csv", BlobDimensionality::Single, "s3://bucket/data.csv"),
        ),
        (
            "d",
            blob("", BlobDimensionality::Multipart, "s3://bucket/dir"),
        ),
    ])?;
    assert_eq!(
        tag,
        "flyte_cached-dsdcUb5iUugMA-SDt7NvQMUqF3JigH5zBpIBzK_zbPg"
    );
    Ok(())
}

#[test]
fn a_generic_struct_hashes_as_plain_json() -> Result<(), KeyError> {
    // {"s": {"a": 1, "b": [true, null], "c": "x"}}
    use prost_types::{value::Kind, ListValue, Struct, Value as PbValue};
    let value = |kind| PbValue { kind: Some(kind) };
    let generic = Struct {
        fields: std::collections::BTreeMap::from([
            ("a".to_owned(), value(Kind::NumberValue(1.0))),
            (
                "b".to_owned(),
                value(Kind::ListValue(ListValue {
                    values: vec![value(Kind::BoolValue(true)), value(Kind::NullValue(0))],
                })),
            ),
            ("c".to_owned(), value(Kind::StringValue("x".into()))),
        ]),
    };
    let tag = tag_of(vec![("s", scalar_lit(scalar::Value::Generic(generic)))])?;
    assert_eq!(
        tag,
        "flyte_cached-vKL_QKL48DIyDHaOQG-LzPBmGpgtx3xaO73gS7egudo"
    );
    Ok(())
}

#[test]
fn a_literal_with_a_hash_stands_for_its_value_even_inside_a_map() -> Result<(), KeyError> {
    // {"df": <a dataset, hash "abc123">, "m": {"k": <a blob, hash "h1">, "v": 7} with metadata
    // on the map literal}: hashified to {"df": {hash}, "m": {"k": {hash}, "v": 7}}.
    use flyteidl::flyteidl::core::{Blob, StructuredDataset};
    let df = Literal {
        hash: "abc123".into(),
        ..scalar_lit(scalar::Value::StructuredDataset(StructuredDataset {
            uri: "s3://bucket/df".into(),
            metadata: None,
        }))
    };
    let k = Literal {
        hash: "h1".into(),
        ..scalar_lit(scalar::Value::Blob(Blob {
            metadata: None,
            uri: "s3://bucket/k".into(),
        }))
    };
    let m = Literal {
        metadata: HashMap::from([("note".to_owned(), "dropped by hashify".to_owned())]),
        ..lit(literal::Value::Map(LiteralMap {
            literals: HashMap::from([
                ("k".to_owned(), k),
                ("v".to_owned(), primitive(primitive::Value::Integer(7))),
            ]),
        }))
    };
    let tag = tag_of(vec![("df", df), ("m", m)])?;
    assert_eq!(
        tag,
        "flyte_cached-W-h0sPyISCnPwa2eVHHQhcytKAmW4HkwiC5gSAmTsA0"
    );
    Ok(())
}

/// A length-delimited field, to write messages the `flyteidl` crate cannot express.
fn ld(number: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![number << 3 | 2];
    prost::encoding::encode_varint(body.len() as u64, &mut out);
    out.extend_from_slice(body);
    out
}

#[test]
fn an_offloaded_literal_hashes_its_metadata_from_the_wire_bytes() -> Result<(), KeyError> {
    // {"big": offloaded to s3://bucket/o, 1024 bytes, inferred type INTEGER}: Literal field 8,
    // which the flyteidl crate's structs do not have.
    let inferred = [0x08, 0x01]; // simple: INTEGER
    let mut offloaded = ld(1, b"s3://bucket/o");
    offloaded.extend_from_slice(&[0x10, 0x80, 0x08]); // size_bytes: 1024
    offloaded.extend(ld(3, &inferred));
    let literal = ld(8, &offloaded);
    let mut entry = ld(1, b"big");
    entry.extend(ld(2, &literal));
    let map = ld(1, &entry);
    assert_eq!(
        artifact_tag_encoded(&map, &[])?,
        "flyte_cached-9O7c9Oyo49ON-yWVzyVEsLKEx8vQbr_B4n43Vw80Vzs"
    );
    Ok(())
}

#[test]
fn interfaces_of_dataclasses_blobs_and_lists_hash_their_whole_type() -> Result<(), KeyError> {
    use flyteidl::flyteidl::core::{BlobType, TypeStructure};
    let var = |t: literal_type::Type| Variable {
        r#type: Some(LiteralType {
            r#type: Some(t),
            ..LiteralType::default()
        }),
        ..Variable::default()
    };
    // inputs {"cfg": STRUCT with structure.dataclass_type {"a": INTEGER}, description "cfg"}
    let mut cfg = var(literal_type::Type::Simple(SimpleType::Struct as i32));
    cfg.description = "cfg".into();
    if let Some(t) = cfg.r#type.as_mut() {
        t.structure = Some(TypeStructure {
            tag: String::new(),
            dataclass_type: HashMap::from([(
                "a".to_owned(),
                LiteralType {
                    r#type: Some(literal_type::Type::Simple(SimpleType::Integer as i32)),
                    ..LiteralType::default()
                },
            )]),
        });
    }
    // outputs {"f": csv blob, "xs": list of INTEGER}
    let f = var(literal_type::Type::Blob(BlobType {
        format: "csv".into(),
        dimensionality: 0,
    }));
    let xs = var(literal_type::Type::CollectionType(Box::new(LiteralType {
        r#type: Some(literal_type::Type::Simple(SimpleType::Integer as i32)),
        ..LiteralType::default()
    })));
    let interface = TypedInterface {
        inputs: Some(VariableMap {
            variables: HashMap::from([("cfg".to_owned(), cfg)]),
        }),
        outputs: Some(VariableMap {
            variables: HashMap::from([("f".to_owned(), f), ("xs".to_owned(), xs)]),
        }),
    };
    assert_eq!(interface_hash(Some(&interface))?, "7P27coHj-PZDSlBpc");
    // outputs {"o0": INTEGER}, no inputs: flytekit's `def t() -> int`.
    let o0 = TypedInterface {
        inputs: None,
        outputs: Some(simple(&["o0"], SimpleType::Integer)),
    };
    assert_eq!(interface_hash(Some(&o0))?, "GKw-c0Pw-PmK8qF6C");
    Ok(())
}

#[test]
fn the_template_gives_the_dataset_and_ignored_inputs() -> Result<(), KeyError> {
    use flyteidl::flyteidl::core::{TaskMetadata, TaskTemplate};
    let template = TaskTemplate {
        id: Some(task()),
        metadata: Some(TaskMetadata {
            discoverable: true,
            discovery_version: "1.0.0".into(),
            cache_ignore_input_vars: vec!["3".into()],
            ..TaskMetadata::default()
        }),
        interface: Some(TypedInterface {
            inputs: Some(simple(&["1", "2"], SimpleType::Integer)),
            outputs: None,
        }),
        ..TaskTemplate::default()
    };
    assert_eq!(
        dataset_id_for_task(&template)?.version,
        "1.0.0-UxVtPm0k-GKw-c0Pw"
    );
    assert_eq!(cache_ignore_input_vars(&template), ["3".to_owned()]);
    assert!(matches!(
        dataset_id_for_task(&TaskTemplate::default()),
        Err(KeyError::MissingTaskId)
    ));
    Ok(())
}

#[test]
fn metadata_round_trips_to_the_source_execution() -> Result<(), KeyError> {
    use flyteidl::flyteidl::core::{NodeExecutionIdentifier, WorkflowExecutionIdentifier};
    let source = TaskExecutionIdentifier {
        task_id: Some(Identifier {
            version: "v7".into(),
            ..task()
        }),
        node_execution_id: Some(NodeExecutionIdentifier {
            node_id: "n0".into(),
            execution_id: Some(WorkflowExecutionIdentifier {
                project: "p".into(),
                domain: "d".into(),
                name: "exec".into(),
                ..WorkflowExecutionIdentifier::default()
            }),
        }),
        retry_attempt: 2,
    };
    let dataset = dataset_metadata(Some(&source));
    let artifact = artifact_metadata(Some(&source));
    assert_eq!(dataset.key_map["task-version"], "v7");
    assert_eq!(artifact.key_map["exec-attempt"], "2");
    let back = source_from_metadata(Some(&dataset), Some(&artifact), &task())?;
    assert_eq!(back.retry_attempt, 2);
    assert_eq!(
        back.task_id.as_ref().map(|t| t.version.as_str()),
        Some("v7")
    );
    assert_eq!(back.node_execution_id, source.node_execution_id);
    // Nothing recorded: unknowns, the current task's project and domain, attempt 0.
    let unknown = source_from_metadata(None, None, &task())?;
    let exec = unknown
        .node_execution_id
        .and_then(|n| n.execution_id)
        .unwrap_or_default();
    assert_eq!(
        (exec.project.as_str(), exec.name.as_str()),
        ("project", "unknown")
    );
    let bad = Metadata {
        key_map: HashMap::from([("exec-attempt".to_owned(), "x".to_owned())]),
    };
    assert!(matches!(
        source_from_metadata(None, Some(&bad), &task()),
        Err(KeyError::BadAttempt { value }) if value == "x"
    ));
    Ok(())
}

#[test]
fn an_artifacts_data_becomes_the_task_outputs() -> Result<(), KeyError> {
    use crate::pb::{Artifact, ArtifactData};
    let interface = TypedInterface {
        inputs: None,
        outputs: Some(simple(&["o0"], SimpleType::Integer)),
    };
    let datum = |name: &str| ArtifactData {
        name: name.into(),
        value: Some(primitive(primitive::Value::Integer(9))),
    };
    let artifact = Artifact {
        id: "a-1".into(),
        data: vec![datum("o0")],
        ..Artifact::default()
    };
    let outputs = outputs_from_artifact(Some(&interface), &artifact)?;
    assert_eq!(outputs, ints(&[("o0", 9)]));
    // No outputs in the interface: nothing, whatever the artifact holds.
    assert_eq!(
        outputs_from_artifact(None, &artifact)?,
        LiteralMap::default()
    );
    let renamed = Artifact {
        data: vec![datum("out")],
        ..artifact.clone()
    };
    let err = outputs_from_artifact(Some(&interface), &renamed)
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some(
            r#"artifact "a-1" does not match the task's outputs: datum "out" is not one of the outputs ["o0"]"#
        )
    );
    let extra = Artifact {
        data: vec![datum("o0"), datum("o1")],
        ..artifact
    };
    assert!(matches!(
        outputs_from_artifact(Some(&interface), &extra),
        Err(KeyError::OutputsMismatch { .. })
    ));
    Ok(())
}

#[test]
fn damaged_bytes_are_an_error_or_a_hash_never_a_panic() -> Result<(), KeyError> {
    // Every prefix and every single-byte change of a map holding most literal kinds.
    use flyteidl::flyteidl::core::{Binary, LiteralCollection};
    let mut inputs = ints(&[("a", -5)]);
    inputs.literals.insert(
        "b".into(),
        scalar_lit(scalar::Value::Binary(Binary {
            value: vec![0x81, 0xa1, 0x61, 0x01],
            tag: "msgpack".into(),
        })),
    );
    inputs.literals.insert(
        "c".into(),
        lit(literal::Value::Collection(LiteralCollection {
            literals: vec![
                primitive(primitive::Value::FloatValue(1.5)),
                primitive(primitive::Value::Datetime(prost_types::Timestamp {
                    seconds: 5,
                    nanos: 7,
                })),
            ],
        })),
    );
    let bytes = inputs.encode_to_vec();
    let expected = input_hash(Some(&inputs), &[])?;
    assert_eq!(input_hash_encoded(&bytes, &[])?, expected);
    for end in 0..bytes.len() {
        let _ = input_hash_encoded(&bytes[..end], &[]);
    }
    for i in 0..bytes.len() {
        for delta in [1u8, 0x40, 0x80, 0xff] {
            let mut damaged = bytes.clone();
            damaged[i] = damaged[i].wrapping_add(delta);
            let _ = input_hash_encoded(&damaged, &[]);
        }
    }
    Ok(())
}

#[test]
fn deeply_nested_collections_are_refused_not_a_stack_overflow() {
    let mut literal = primitive(primitive::Value::Integer(1));
    for _ in 0..200 {
        literal = lit(literal::Value::Collection(
            flyteidl::flyteidl::core::LiteralCollection {
                literals: vec![literal],
            },
        ));
    }
    let inputs = LiteralMap {
        literals: HashMap::from([("deep".to_owned(), literal)]),
    };
    assert!(matches!(
        input_hash(Some(&inputs), &[]),
        Err(KeyError::Malformed(m)) if m.contains("nest deeper")
    ));
}
