//! The `storage` example as a user runs it, on a local store from a flytectl config.

use std::path::Path;
use std::process::{Command, Output};

mod common;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn run(config: &Path, args: &[&str]) -> Result<Output, Box<dyn std::error::Error>> {
    let home = config.parent().ok_or("config has a directory")?;
    Ok(Command::new(common::example("storage")?)
        .arg("--config")
        .arg(config)
        .args(args)
        .env_clear()
        .env("HOME", home)
        .output()?)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn put_ls_cat_get_rm_on_a_local_store() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("blobs");
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "storage:\n  type: local\n  container: flytedata\n  stow:\n    kind: local\n    config:\n      path: {}\n",
            root.display()
        ),
    )?;
    let src = dir.path().join("notes.txt");
    std::fs::write(&src, "hello storage\n")?;
    let src_s = src.to_str().ok_or("path")?;

    let out = run(&config, &["put", src_s, "s3://flytedata/runs/notes.txt"])?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&config, &["ls", "s3://flytedata/runs"])?;
    assert!(
        text(&out.stdout).contains("14  s3://flytedata/runs/notes.txt"),
        "{}",
        text(&out.stdout)
    );
    let out = run(&config, &["cat", "s3://flytedata/runs/notes.txt"])?;
    assert_eq!(text(&out.stdout), "hello storage\n");

    // An outputs.pb as propeller writes it, shown as JSON.
    let storage = flyte_storage::FlyteStorage::local(&root)?;
    let map = flyteidl::flyteidl::core::LiteralMap {
        literals: [(
            "answer".to_owned(),
            flyteidl::flyteidl::core::Literal {
                value: Some(flyteidl::flyteidl::core::literal::Value::Scalar(Box::new(
                    flyteidl::flyteidl::core::Scalar {
                        value: Some(flyteidl::flyteidl::core::scalar::Value::Primitive(
                            flyteidl::flyteidl::core::Primitive {
                                value: Some(flyteidl::flyteidl::core::primitive::Value::Integer(
                                    42,
                                )),
                            },
                        )),
                    },
                ))),
                ..Default::default()
            },
        )]
        .into_iter()
        .collect(),
    };
    storage
        .write_proto("s3://flytedata/exec/end-node/outputs.pb", &map)
        .await?;
    let out = run(&config, &["cat", "s3://flytedata/exec/end-node/outputs.pb"])?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(json, serde_json::json!({"answer": 42}));

    let back = dir.path().join("back.txt");
    let out = run(
        &config,
        &[
            "get",
            "s3://flytedata/runs/notes.txt",
            back.to_str().ok_or("path")?,
        ],
    )?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&back)?, "hello storage\n");

    let out = run(&config, &["rm", "s3://flytedata/runs/notes.txt"])?;
    assert_eq!(out.status.code(), Some(0));
    let out = run(&config, &["cat", "s3://flytedata/runs/notes.txt"])?;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: s3://flytedata/runs/notes.txt: not found"
    );
    let out = run(&config, &["ls", "s3://other-bucket/"])?;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("outside the configured container"));
    Ok(())
}
