//! Offloaded literals (Flyte 1.13+) resolved from the store, and error documents.
//!
//! The `flyteidl` crate has no `offloaded_metadata`; these tests write it as propeller does,
//! with field 8 of `Literal`, using messages of their own.

use std::collections::HashMap;

use flyte_storage::{Error, FlyteStorage, UriProblem};
use flyteidl::flyteidl::core::{
    literal, primitive, scalar, ContainerError, ErrorDocument, Literal, LiteralCollection,
    LiteralMap, Primitive, Scalar,
};
use prost::Message;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[derive(Clone, PartialEq, prost::Message)]
struct OffloadedMetadata {
    #[prost(string, tag = "1")]
    uri: String,
    #[prost(uint64, tag = "2")]
    size_bytes: u64,
}

/// A `Literal` as propeller writes it when the value is offloaded.
#[derive(Clone, PartialEq, prost::Message)]
struct OffloadedLiteral {
    #[prost(string, tag = "4")]
    hash: String,
    #[prost(message, optional, tag = "8")]
    offloaded_metadata: Option<OffloadedMetadata>,
}

/// A `LiteralMap` whose values are raw `Literal` bytes, so offloaded ones can sit beside
/// ordinary ones.
#[derive(Clone, PartialEq, prost::Message)]
struct RawMap {
    #[prost(map = "string, bytes", tag = "1")]
    literals: HashMap<String, Vec<u8>>,
}

/// A `LiteralCollection` of raw `Literal` bytes, wrapped in a `Literal` (field 2).
#[derive(Clone, PartialEq, prost::Message)]
struct RawCollectionLiteral {
    #[prost(message, optional, tag = "2")]
    collection: Option<RawCollection>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct RawCollection {
    #[prost(bytes = "vec", repeated, tag = "1")]
    literals: Vec<Vec<u8>>,
}

fn int(v: i64) -> Literal {
    Literal {
        value: Some(literal::Value::Scalar(Box::new(Scalar {
            value: Some(scalar::Value::Primitive(Primitive {
                value: Some(primitive::Value::Integer(v)),
            })),
        }))),
        ..Default::default()
    }
}

fn offloaded(uri: &str, hash: &str) -> Vec<u8> {
    OffloadedLiteral {
        hash: hash.to_owned(),
        offloaded_metadata: Some(OffloadedMetadata {
            uri: uri.to_owned(),
            size_bytes: 0,
        }),
    }
    .encode_to_vec()
}

#[tokio::test]
async fn offloaded_literals_are_read_from_their_files_at_any_depth() -> TestResult {
    let s = FlyteStorage::memory();
    let big = Literal {
        value: Some(literal::Value::Collection(LiteralCollection {
            literals: (0..1000).map(int).collect(),
        })),
        ..Default::default()
    };
    s.put("s3://bkt/offloaded/big.pb", big.encode_to_vec())
        .await?;
    s.put("s3://bkt/offloaded/seven.pb", int(7).encode_to_vec())
        .await?;
    // An offloaded literal whose file holds another offloaded literal.
    s.put(
        "s3://bkt/offloaded/pointer.pb",
        offloaded("s3://bkt/offloaded/seven.pb", ""),
    )
    .await?;
    let nested = RawCollectionLiteral {
        collection: Some(RawCollection {
            literals: vec![
                int(1).encode_to_vec(),
                offloaded("s3://bkt/offloaded/pointer.pb", ""),
            ],
        }),
    };
    let outputs = RawMap {
        literals: HashMap::from([
            ("plain".to_owned(), int(42).encode_to_vec()),
            (
                "big".to_owned(),
                offloaded("s3://bkt/offloaded/big.pb", "h1"),
            ),
            ("nested".to_owned(), nested.encode_to_vec()),
        ]),
    };
    s.put("s3://bkt/exec/n0/outputs.pb", outputs.encode_to_vec())
        .await?;

    let map = s.read_literal_map("s3://bkt/exec/n0/outputs.pb").await?;
    assert_eq!(map.literals["plain"], int(42));
    let mut expected_big = big.clone();
    expected_big.hash = "h1".to_owned();
    assert_eq!(
        map.literals["big"], expected_big,
        "the placeholder's hash is kept"
    );
    let expected_nested = Literal {
        value: Some(literal::Value::Collection(LiteralCollection {
            literals: vec![int(1), int(7)],
        })),
        ..Default::default()
    };
    assert_eq!(map.literals["nested"], expected_nested);

    // As stored, the offloaded values are empty: that is what the resolution fixes.
    let raw: LiteralMap = s.read_proto("s3://bkt/exec/n0/outputs.pb").await?;
    assert_eq!(raw.literals["big"].value, None);
    Ok(())
}

#[tokio::test]
async fn bytes_from_elsewhere_name_their_offloaded_files_and_resolve_from_the_store() -> TestResult
{
    let s = FlyteStorage::memory();
    s.put("s3://bkt/offloaded/seven.pb", int(7).encode_to_vec())
        .await?;
    let nested = RawCollectionLiteral {
        collection: Some(RawCollection {
            literals: vec![offloaded("s3://bkt/offloaded/seven.pb", "")],
        }),
    };
    let bytes = RawMap {
        literals: HashMap::from([
            ("plain".to_owned(), int(1).encode_to_vec()),
            ("nested".to_owned(), nested.encode_to_vec()),
        ]),
    }
    .encode_to_vec();
    assert_eq!(
        flyte_storage::offloaded_uris(&bytes, "a signed URL")?,
        ["s3://bkt/offloaded/seven.pb"]
    );
    let plain = RawMap {
        literals: HashMap::from([("plain".to_owned(), int(1).encode_to_vec())]),
    };
    assert!(flyte_storage::offloaded_uris(&plain.encode_to_vec(), "inline")?.is_empty());
    let err = flyte_storage::offloaded_uris(b"\xff\xff", "https://host/outputs.pb")
        .err()
        .ok_or("not a LiteralMap, yet read")?;
    assert!(
        matches!(&err, Error::Corrupt { uri, .. } if uri == "https://host/outputs.pb"),
        "{err:?}"
    );
    assert!(
        std::error::Error::source(&err).is_some_and(|e| e.is::<prost::DecodeError>()),
        "protobuf's error is the source: {err:?}"
    );

    let map = s.resolve_literal_map(bytes, "a signed URL").await?;
    assert_eq!(
        map.literals["nested"].value,
        Some(literal::Value::Collection(LiteralCollection {
            literals: vec![int(7)]
        }))
    );
    // What offloaded_literal writes is what propeller writes: the reader resolves it.
    let ours = RawMap {
        literals: HashMap::from([(
            "x".to_owned(),
            flyte_storage::offloaded_literal("s3://bkt/offloaded/seven.pb", 2, None),
        )]),
    };
    let map = s.resolve_literal_map(ours.encode_to_vec(), "ours").await?;
    assert_eq!(map.literals["x"], int(7));
    // Corrupt bytes are named by their source.
    let err = s
        .resolve_literal_map(b"\xff\xff".to_vec(), "a signed URL")
        .await
        .expect_err("corrupt");
    assert!(err.to_string().contains("a signed URL"), "{err}");
    Ok(())
}

#[tokio::test]
async fn a_missing_offloaded_file_or_a_loop_is_an_error_naming_the_file() -> TestResult {
    let s = FlyteStorage::memory();
    let outputs = RawMap {
        literals: HashMap::from([("x".to_owned(), offloaded("s3://bkt/gone.pb", ""))]),
    };
    s.put("s3://bkt/e/outputs.pb", outputs.encode_to_vec())
        .await?;
    let e = s
        .read_literal_map("s3://bkt/e/outputs.pb")
        .await
        .err()
        .ok_or("a missing offloaded file was ignored")?;
    assert!(e.is_not_found(), "{e:?}");
    assert!(e.to_string().contains("s3://bkt/gone.pb"), "{e}");

    s.put("s3://bkt/loop.pb", offloaded("s3://bkt/loop.pb", ""))
        .await?;
    let outputs = RawMap {
        literals: HashMap::from([("x".to_owned(), offloaded("s3://bkt/loop.pb", ""))]),
    };
    s.put("s3://bkt/e2/outputs.pb", outputs.encode_to_vec())
        .await?;
    let e = s
        .read_literal_map("s3://bkt/e2/outputs.pb")
        .await
        .err()
        .ok_or("a loop of offloaded literals was followed forever")?;
    assert!(
        matches!(&e, Error::Corrupt { uri, message, .. } if uri == "s3://bkt/loop.pb" && message.contains("levels")),
        "{e:?}"
    );
    Ok(())
}

#[tokio::test]
async fn error_documents_are_read() -> TestResult {
    let s = FlyteStorage::memory();
    let doc = ErrorDocument {
        error: Some(ContainerError {
            code: "USER:ValueError".to_owned(),
            message: "bad input".to_owned(),
            ..Default::default()
        }),
    };
    s.put("s3://bkt/e/n0/data/0/error.pb", doc.encode_to_vec())
        .await?;
    assert_eq!(
        s.read_error_document("s3://bkt/e/n0/data/0/error.pb")
            .await?,
        doc
    );
    Ok(())
}

fn text(s: String) -> Literal {
    Literal {
        value: Some(literal::Value::Scalar(Box::new(Scalar {
            value: Some(scalar::Value::Primitive(Primitive {
                value: Some(primitive::Value::StringValue(s)),
            })),
        }))),
        ..Default::default()
    }
}

/// Resolves an outputs.pb whose one entry names `uri`.
async fn resolve_one(
    s: &FlyteStorage,
    uri: &str,
) -> Result<LiteralMap, Box<dyn std::error::Error>> {
    let outputs = RawMap {
        literals: HashMap::from([("x".to_owned(), offloaded(uri, ""))]),
    };
    s.put("s3://bkt/e/outputs.pb", outputs.encode_to_vec())
        .await?;
    Ok(s.read_literal_map("s3://bkt/e/outputs.pb").await?)
}

/// The error of resolving an outputs.pb naming `uri`, which must be refused as outside `s`.
async fn refused_outside(
    s: &FlyteStorage,
    uri: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let e = resolve_one(s, uri)
        .await
        .err()
        .ok_or_else(|| format!("{uri} outside the store was followed"))?
        .downcast::<Error>()?;
    assert!(
        matches!(
            &*e,
            Error::InvalidUri {
                problem: UriProblem::OutsideStore,
                ..
            }
        ),
        "{uri}: {e:?}"
    );
    assert!(!format!("{e} {e:?}").contains("SECRET-TOKEN"), "{e:?}");
    Ok(e.to_string())
}

#[tokio::test]
async fn offloaded_literals_outside_the_store_are_refused_before_reading() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("root");
    let s = FlyteStorage::local(&root)?;
    // A file outside the store that would decode as a literal (as a token file may).
    let secret = dir.path().join("secret.pb");
    std::fs::write(&secret, text("SECRET-TOKEN".to_owned()).encode_to_vec())?;
    let inside = root.join("bkt").join("ok.pb");
    std::fs::create_dir_all(inside.parent().ok_or("no parent")?)?;
    std::fs::write(&inside, int(7).encode_to_vec())?;
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, root.join("bkt").join("link.pb"))?;

    let mut refused = vec![
        format!("file://{}", secret.display()),
        secret.display().to_string(),
        format!("file://{}/../secret.pb", root.display()),
    ];
    if cfg!(unix) {
        refused.push(format!("file://{}", root.join("bkt/link.pb").display()));
    }
    for uri in refused {
        let shown = refused_outside(&s, &uri).await?;
        assert!(
            shown.contains("secret.pb") || shown.contains("link.pb"),
            "{shown}"
        );
    }

    // A file URI under the local store's own root is the store's.
    let map = resolve_one(&s, &format!("file://{}", inside.display())).await?;
    assert_eq!(map.literals.get("x"), Some(&int(7)));

    // Any other store follows no file URI at all.
    let shown = refused_outside(
        &FlyteStorage::memory(),
        &format!("file://{}", secret.display()),
    )
    .await?;
    assert!(shown.contains("secret.pb"), "{shown}");
    Ok(())
}

#[tokio::test]
async fn offloaded_literals_read_in_one_call_are_bounded_in_total() -> TestResult {
    assert_eq!(flyte_storage::DEFAULT_MAX_LITERAL_BYTES, 256 * 1024 * 1024);
    // Every entry names the same object: each read is small, the total is not.
    let s = FlyteStorage::memory().max_literal_bytes(10_000);
    s.put("s3://bkt/big.pb", text("x".repeat(3_000)).encode_to_vec())
        .await?;
    let literals: HashMap<_, _> = (0..10)
        .map(|i| (format!("x{i}"), offloaded("s3://bkt/big.pb", "")))
        .collect();
    s.put("s3://bkt/e/outputs.pb", RawMap { literals }.encode_to_vec())
        .await?;
    let e = s
        .read_literal_map("s3://bkt/e/outputs.pb")
        .await
        .err()
        .ok_or("30 kB of offloaded literals were read under a 10 kB budget")?;
    assert!(
        matches!(&e, Error::TooLarge { limit: 10_000, setting, .. } if setting.contains("max_literal_bytes")),
        "{e:?}"
    );

    // Under the budget, the same map resolves.
    let s = s.max_literal_bytes(100_000);
    let map = s.read_literal_map("s3://bkt/e/outputs.pb").await?;
    assert_eq!(map.literals.len(), 10);
    Ok(())
}
