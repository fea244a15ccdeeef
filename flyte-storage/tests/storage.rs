//! Every operation on the memory and local stores, protobuf files, the container rule and the
//! config, as a user calls them.

use flyte_storage::{Error, FlyteStorage, UriProblem};
use flyteidl::flyteidl::core;
use futures::TryStreamExt;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn stores() -> Result<(Vec<FlyteStorage>, tempfile::TempDir), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    Ok((
        vec![FlyteStorage::memory(), FlyteStorage::local(dir.path())?],
        dir,
    ))
}

#[tokio::test]
async fn put_get_head_list_copy_delete_on_every_store() -> TestResult {
    let (stores, _dir) = stores()?;
    for s in stores {
        s.put("s3://bucket/runs/a/outputs.pb", "one").await?;
        s.put("s3://bucket/runs/b/outputs.pb", "two!").await?;
        s.put("s3://other/x", "elsewhere").await?;
        assert_eq!(s.get("s3://bucket/runs/a/outputs.pb").await?, "one");
        assert_eq!(
            s.get_range("s3://bucket/runs/b/outputs.pb", 1..3).await?,
            "wo"
        );
        let info = s.head("s3://bucket/runs/b/outputs.pb").await?;
        assert_eq!(info.size, 4);
        assert!(s.exists("s3://bucket/runs/a/outputs.pb").await?);
        assert!(!s.exists("s3://bucket/runs/zzz").await?);

        let mut listed: Vec<(String, u64)> = s
            .list("s3://bucket/runs")
            .map_ok(|o| (o.uri, o.size))
            .try_collect()
            .await?;
        listed.sort();
        assert_eq!(
            listed,
            [
                ("s3://bucket/runs/a/outputs.pb".to_owned(), 3),
                ("s3://bucket/runs/b/outputs.pb".to_owned(), 4)
            ],
            "{s:?}"
        );

        s.copy("s3://bucket/runs/a/outputs.pb", "s3://bucket/copy.pb")
            .await?;
        assert_eq!(s.get("s3://bucket/copy.pb").await?, "one");
        s.delete("s3://bucket/copy.pb").await?;
        s.delete("s3://bucket/copy.pb").await?; // again: nothing to delete is fine
        let err = s.get("s3://bucket/copy.pb").await.expect_err("deleted");
        assert!(err.is_not_found(), "{err}");
        assert_eq!(err.to_string(), "s3://bucket/copy.pb: not found");
    }
    Ok(())
}

#[tokio::test]
async fn files_stream_in_and_out_in_parts() -> TestResult {
    let dir = tempfile::tempdir()?;
    // Tiny parts so a small file takes the multipart path: 10 parts of 1 KiB, 2 in flight.
    let s = FlyteStorage::memory().multipart(4096, 1024, 2);
    let src = dir.path().join("src.bin");
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&src, &data)?;
    assert_eq!(s.put_file("s3://bkt/big.bin", &src).await?, 10_000);
    assert_eq!(s.get("s3://bkt/big.bin").await?, data);
    let dest = dir.path().join("back.bin");
    assert_eq!(s.get_file("s3://bkt/big.bin", &dest).await?, 10_000);
    assert_eq!(std::fs::read(&dest)?, data);

    // Below the threshold: one put.
    std::fs::write(&src, b"small")?;
    assert_eq!(s.put_file("s3://bkt/small", &src).await?, 5);
    assert_eq!(s.get("s3://bkt/small").await?, "small");

    // file:// URIs and plain paths reach the local disk directly.
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, b"on disk")?;
    let uri = format!("file://{}", plain.display());
    assert_eq!(s.get(&uri).await?, "on disk");
    assert_eq!(s.get(&plain.display().to_string()).await?, "on disk");

    let err = s
        .put_file("s3://bkt/x", dir.path().join("missing"))
        .await
        .expect_err("no such file");
    assert!(err.to_string().contains("missing"), "{err}");
    Ok(())
}

#[tokio::test]
async fn local_stores_transfer_files_by_copying() -> TestResult {
    let dir = tempfile::tempdir()?;
    let s = FlyteStorage::local(dir.path().join("store"))?;
    let src = dir.path().join("src.bin");
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&src, &data)?;
    assert_eq!(s.put_file("s3://bkt/deep/er/big.bin", &src).await?, 100_000);
    assert_eq!(
        std::fs::read(dir.path().join("store/bkt/deep/er/big.bin"))?,
        data
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("store/bkt/deep/er"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
    assert_eq!(s.head("s3://bkt/deep/er/big.bin").await?.size, 100_000);

    let dest = dir.path().join("back.bin");
    assert_eq!(
        s.get_file("s3://bkt/deep/er/big.bin", &dest).await?,
        100_000
    );
    assert_eq!(std::fs::read(&dest)?, data);
    let err = s
        .get_file("s3://bkt/nothing", dir.path().join("x"))
        .await
        .expect_err("absent");
    assert!(err.is_not_found(), "{err}");
    let err = s
        .put_file("s3://bkt/y", dir.path().join("missing"))
        .await
        .expect_err("no source");
    assert!(err.to_string().contains("missing"), "{err}");
    Ok(())
}

#[tokio::test]
async fn literal_maps_round_trip_and_garbage_is_named() -> TestResult {
    let s = FlyteStorage::memory();
    let lit = core::Literal {
        value: Some(core::literal::Value::Scalar(Box::new(core::Scalar {
            value: Some(core::scalar::Value::Primitive(core::Primitive {
                value: Some(core::primitive::Value::Integer(7)),
            })),
        }))),
        ..Default::default()
    };
    let map = core::LiteralMap {
        literals: [("x".to_owned(), lit)].into_iter().collect(),
    };
    s.write_proto("s3://bkt/exec/outputs.pb", &map).await?;
    assert_eq!(s.read_literal_map("s3://bkt/exec/outputs.pb").await?, map);

    s.put("s3://bkt/exec/bad.pb", vec![0xff, 0xff, 0xff])
        .await?;
    match s.read_literal_map("s3://bkt/exec/bad.pb").await {
        Err(Error::Corrupt { uri, message, .. }) => {
            assert_eq!(uri, "s3://bkt/exec/bad.pb");
            assert!(message.starts_with("not a LiteralMap"), "{message}");
        }
        other => return Err(format!("expected Corrupt, got {other:?}").into()),
    }
    Ok(())
}

#[tokio::test]
async fn the_container_rule_and_bad_uris() -> TestResult {
    let s = FlyteStorage::memory().container("my-s3-bucket", false);
    s.put("s3://my-s3-bucket/ok", "fine").await?;
    let err = s
        .get("s3://someone-else/x")
        .await
        .expect_err("other bucket");
    assert!(
        err.to_string()
            .contains("outside the configured container \"my-s3-bucket\""),
        "{err}"
    );
    let s = s.container("my-s3-bucket", true);
    assert!(s
        .get("s3://someone-else/x")
        .await
        .expect_err("absent")
        .is_not_found());

    let err = s.get("ftp://host/x").await.expect_err("scheme");
    assert!(matches!(err, Error::InvalidUri { .. }), "{err}");
    let err = futures::TryStreamExt::try_collect::<Vec<_>>(s.list("s3:///nothing"))
        .await
        .expect_err("no bucket");
    assert!(err.to_string().contains("no bucket"), "{err}");
    Ok(())
}

#[tokio::test]
async fn built_from_flytectl_config() -> TestResult {
    let dir = tempfile::tempdir()?;
    let yaml = format!(
        "storage:\n  type: local\n  container: flytedata\n  stow:\n    kind: local\n    config:\n      path: {}\n",
        dir.path().display()
    );
    let config = flyte_config::Config::from_yaml_str(&yaml)?;
    let s = FlyteStorage::from_config(&config.storage)?;
    s.put("s3://flytedata/a", "x").await?;
    assert!(dir.path().join("flytedata/a").exists());
    assert!(
        s.get("s3://elsewhere/a").await.is_err(),
        "container enforced"
    );

    let mem = flyte_config::Config::from_yaml_str("storage:\n  type: mem\n")?;
    FlyteStorage::from_config(&mem.storage)?;

    let no_path = flyte_config::Config::from_yaml_str("storage:\n  type: local\n")?;
    let err = FlyteStorage::from_config(&no_path.storage).expect_err("no path");
    assert!(
        err.to_string().contains("storage.stow.config.path"),
        "{err}"
    );

    let gcs = flyte_config::Config::from_yaml_str(
        "storage:\n  type: stow\n  stow:\n    kind: google\n    config:\n      json: '{\"private_key\": \"pk-s3cret\"}'\n",
    )?;
    let built = FlyteStorage::from_config(&gcs.storage);
    #[cfg(feature = "gcp")]
    {
        let text = format!("{:?}", built?);
        assert!(!text.contains("pk-s3cret"), "no secret in Debug: {text}");
    }
    #[cfg(not(feature = "gcp"))]
    {
        let text = built.expect_err("no gcp feature").to_string();
        assert!(
            text.contains("stow kind \"google\" storage is not supported")
                && text.contains("`gcp` feature"),
            "{text}"
        );
        assert!(!text.contains("pk-s3cret"), "no secret in errors: {text}");
    }
    Ok(())
}

#[tokio::test]
async fn the_builder_makes_local_and_memory_stores() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let local = flyte_storage::StorageBuilder::local(dir.path())
        .container("flytedata")
        .build()?;
    local.put("s3://flytedata/a.txt", "x").await?;
    assert!(dir.path().join("flytedata/a.txt").exists());
    assert_eq!(local.base_container().as_deref(), Some("s3://flytedata"));
    let mem = flyte_storage::StorageBuilder::memory().build()?;
    mem.put("gs://any/b", "y").await?;
    assert_eq!(mem.get("gs://any/b").await?, "y");
    assert_eq!(mem.base_container(), None);
    Ok(())
}

#[tokio::test]
async fn errors_keep_their_cause_as_source() -> TestResult {
    use std::error::Error as _;
    let dir = tempfile::tempdir()?;
    let s = FlyteStorage::local(dir.path().join("store"))?;
    s.put("s3://bkt/a.pb", vec![0xff, 0xff, 0xff]).await?;

    let e = s.get("s3://bkt/missing").await.expect_err("absent");
    assert!(e.is_not_found() && e.source().is_some(), "{e:?}");

    let e = s
        .read_proto::<core::LiteralMap>("s3://bkt/a.pb")
        .await
        .expect_err("not a LiteralMap");
    assert!(
        e.source().is_some_and(|c| c.is::<prost::DecodeError>()),
        "{e:?}"
    );

    // A destination in a directory that does not exist: the file system's error.
    let e = s
        .get_file("s3://bkt/a.pb", dir.path().join("no/such/dir/a.pb"))
        .await
        .expect_err("no directory");
    assert!(matches!(e, Error::Other { .. }), "{e:?}");
    assert!(
        e.source().is_some_and(|c| c.is::<std::io::Error>()),
        "{e:?}"
    );

    Ok(())
}

#[tokio::test]
async fn whole_reads_stop_at_max_download_mbs() -> TestResult {
    let s = FlyteStorage::memory().max_download_bytes(10);
    s.put("s3://bkt/ten", vec![1u8; 10]).await?;
    s.put("s3://bkt/eleven", vec![1u8; 11]).await?;
    assert_eq!(s.get("s3://bkt/ten").await?.len(), 10);
    let e = s
        .get("s3://bkt/eleven")
        .await
        .err()
        .ok_or("over the limit")?;
    assert!(
        matches!(&e, Error::TooLarge { uri, size: Some(11), limit: 10, .. } if uri == "s3://bkt/eleven"),
        "{e:?}"
    );
    assert!(e.to_string().contains("maxDownloadMBs"), "{e}");
    let e = s
        .read_literal_map("s3://bkt/eleven")
        .await
        .err()
        .ok_or("a literal over the limit")?;
    assert!(e.is_too_large(), "{e:?}");
    // Files stream, whatever their size.
    let dir = tempfile::tempdir()?;
    assert_eq!(
        s.get_file("s3://bkt/eleven", dir.path().join("e")).await?,
        11
    );
    // 0: no limit.
    let s = s.max_download_bytes(0);
    assert_eq!(s.get("s3://bkt/eleven").await?.len(), 11);

    // From the config, in MiB; 2 MiB by default, as flytestdlib.
    let config = |extra: &str| -> Result<FlyteStorage, Box<dyn std::error::Error>> {
        let yaml = format!("storage:\n  type: mem\n{extra}");
        let config = flyte_config::Config::from_yaml_str(&yaml)?;
        Ok(FlyteStorage::from_config(&config.storage)?)
    };
    let mib = 1024 * 1024;
    for (extra, fits, too_big) in [
        ("", 2 * mib, 2 * mib + 1),
        ("  limits:\n    maxDownloadMBs: 1\n", mib, mib + 1),
    ] {
        let s = config(extra)?;
        s.put("s3://bkt/fits", vec![0u8; fits]).await?;
        s.put("s3://bkt/big", vec![0u8; too_big]).await?;
        assert_eq!(s.get("s3://bkt/fits").await?.len(), fits);
        assert!(s
            .get("s3://bkt/big")
            .await
            .err()
            .is_some_and(|e| e.is_too_large()));
    }
    let s = config("  limits:\n    maxDownloadMBs: 0\n")?;
    s.put("s3://bkt/big", vec![0u8; 3 * mib]).await?;
    assert_eq!(s.get("s3://bkt/big").await?.len(), 3 * mib);
    Ok(())
}

#[tokio::test]
async fn a_download_onto_its_own_source_is_refused_and_the_file_kept() -> TestResult {
    let dir = tempfile::tempdir()?;
    let s = FlyteStorage::local(dir.path().join("store"))?;
    s.put("s3://bkt/a.pb", "the only copy").await?;
    let stored = dir.path().join("store/bkt/a.pb");
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, "the only copy")?;
    let link = dir.path().join("link.txt");
    let hard = dir.path().join("hard.txt");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&plain, &link)?;
    std::fs::hard_link(&plain, &hard)?;
    let plain_uri = format!("file://{}", plain.display());
    let mut cases = vec![
        ("s3://bkt/a.pb".to_owned(), stored.clone()),
        (plain_uri.clone(), plain.clone()),
        (plain.display().to_string(), plain.clone()),
        (plain_uri.clone(), dir.path().join(".").join("plain.txt")),
        (plain_uri.clone(), hard.clone()),
    ];
    if cfg!(unix) {
        cases.push((format!("file://{}", link.display()), plain.clone()));
        cases.push((plain_uri.clone(), link.clone()));
    }
    for (uri, dest) in cases {
        let e = s
            .get_file(&uri, &dest)
            .await
            .err()
            .ok_or("copied onto itself")?;
        assert!(
            matches!(
                e,
                Error::InvalidUri {
                    problem: UriProblem::SameFile,
                    ..
                }
            ),
            "{uri} -> {}: {e:?}",
            dest.display()
        );
        assert_eq!(std::fs::read_to_string(&dest)?, "the only copy");
    }
    assert_eq!(std::fs::read_to_string(&stored)?, "the only copy");
    // Another file is fine, and a failed read leaves the destination alone.
    let other = dir.path().join("other.txt");
    std::fs::write(&other, "old")?;
    assert_eq!(s.get_file(&plain_uri, &other).await?, 13);
    assert_eq!(std::fs::read_to_string(&other)?, "the only copy");
    let e = s
        .get_file("s3://bkt/gone", &other)
        .await
        .err()
        .ok_or("absent")?;
    assert!(e.is_not_found(), "{e:?}");
    assert_eq!(std::fs::read_to_string(&other)?, "the only copy");
    Ok(())
}

#[tokio::test]
async fn uri_errors_show_no_query_or_user_info() {
    let s = FlyteStorage::memory();
    for uri in [
        "https://acct.blob.core.windows.net/c/k?sig=SECRET1",
        "s3://b/k?X-Amz-Signature=SECRET2",
        "s3://u:SECRET3@b/k",
    ] {
        let Err(e) = s.get(uri).await else {
            panic!("{uri} was read");
        };
        let mut shown = format!("{e} {e:?}");
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            shown.push_str(&format!(" {c} {c:?}"));
            cause = c.source();
        }
        assert!(!shown.contains("SECRET"), "{uri}: {shown}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_download_keeps_the_permissions_of_the_file_it_replaces() -> TestResult {
    use std::os::unix::fs::PermissionsExt as _;
    let s = FlyteStorage::memory();
    s.put("s3://bkt/secret", "new").await?;
    let dir = tempfile::tempdir()?;
    let dest = dir.path().join("secret");
    std::fs::write(&dest, "old")?;
    std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o600))?;
    s.get_file("s3://bkt/secret", &dest).await?;
    assert_eq!(std::fs::read_to_string(&dest)?, "new");
    let mode = std::fs::metadata(&dest)?.permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a 0600 file became {mode:o}");
    Ok(())
}
