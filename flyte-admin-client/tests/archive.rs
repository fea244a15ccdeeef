//! Package archives from hostile sources: limits on what they may hold, checked before the
//! bytes are read, so that a gzip bomb is refused within bounded memory and time.

#[path = "support/bomb.rs"]
mod bomb;
mod common;

use common::{fixture, TestResult};
use flyte_admin_client::register::{ArchiveLimit, ArchiveLimits, Package, PackageError};

#[test]
fn the_bomb_builder_makes_a_valid_gzip_of_what_it_says() -> TestResult {
    let bomb = bomb::gzip_bomb("fast0.tar.gz", 64 * 1024, 4)?;
    let mut tar = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bomb[..]), &mut tar)?;
    assert_eq!(tar.len(), 4 * (512 + 64 * 1024) + 1024);
    let mut archive = tar::Archive::new(&tar[..]);
    assert_eq!(archive.entries()?.count(), 4);

    let bomb = bomb::huge_entry_bomb("fast0.tar.gz", 3)?;
    let mut tar = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bomb[..]), &mut tar)?;
    let mut archive = tar::Archive::new(&tar[..]);
    let sizes: Vec<u64> = archive
        .entries()?
        .map(|e| e.map(|e| e.size()))
        .collect::<Result<_, _>>()?;
    assert_eq!(sizes, [3 * 1024 * 1024]);
    Ok(())
}

fn over_limit(e: PackageError) -> Result<(String, Option<String>, ArchiveLimit), String> {
    match e {
        PackageError::OverLimit {
            package,
            file,
            limit,
            ..
        } => Ok((package.display().to_string(), file, limit)),
        other => Err(format!("expected OverLimit, got {other:?}")),
    }
}

#[test]
fn a_two_megabyte_gzip_bomb_is_refused_at_the_total_limit() -> TestResult {
    // ~2 MB of gzip holding 1900 code bundles of 1 MiB of zeros each: about 2 GiB.
    let bomb = bomb::gzip_bomb("fast.tar.gz", 1024 * 1024, 1900)?;
    assert!(bomb.len() < 3_000_000, "{} bytes", bomb.len());
    let limits = ArchiveLimits::new().max_total_bytes(8 * 1024 * 1024);
    let e = Package::from_archive_bytes_with("bomb.tgz", &bomb, &limits)
        .expect_err("a bomb over the limit");
    let shown = e.to_string();
    let (package, file, limit) = over_limit(e)?;
    assert_eq!(package, "bomb.tgz");
    assert_eq!(file.as_deref(), Some("fast.tar.gz"));
    assert_eq!(limit, ArchiveLimit::TotalBytes(8 * 1024 * 1024));
    assert!(
        shown.contains("bomb.tgz")
            && shown.contains("fast.tar.gz")
            && shown.contains("max_total_bytes"),
        "{shown}"
    );

    // The same from a file.
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bomb.tgz");
    std::fs::write(&path, &bomb)?;
    let e = Package::open_with([&path], &limits).expect_err("a bomb over the limit");
    assert_eq!(over_limit(e)?.2, ArchiveLimit::TotalBytes(8 * 1024 * 1024));
    Ok(())
}

#[test]
fn one_huge_entry_is_refused_at_its_header_with_the_default_limits() -> TestResult {
    // 2 MB of gzip that is one file of 2 GiB of zeros: refused at its header, before any of
    // it is read.
    let bomb = bomb::huge_entry_bomb("00_big_1.pb", 2048)?;
    assert!(bomb.len() < 3_000_000, "{} bytes", bomb.len());
    let e = Package::from_archive_bytes("huge.tgz", &bomb).expect_err("an entry over the limit");
    let (package, file, limit) = over_limit(e)?;
    assert_eq!(
        (package.as_str(), file.as_deref()),
        ("huge.tgz", Some("00_big_1.pb"))
    );
    assert_eq!(limit, ArchiveLimit::EntryBytes(512 * 1024 * 1024));
    Ok(())
}

#[test]
fn a_huge_long_name_header_is_refused_at_the_total_limit() -> TestResult {
    // A GNU long-name entry is read whole by the tar reader before any file is handed out, so
    // only a bound on the whole stream stops it: 64 MiB of "name" against 8 MiB in all.
    let bomb = bomb::long_name_bomb(64)?;
    assert!(bomb.len() < 200_000, "{} bytes", bomb.len());
    let limits = ArchiveLimits::new().max_total_bytes(8 * 1024 * 1024);
    let e = Package::from_archive_bytes_with("longname.tgz", &bomb, &limits)
        .expect_err("a stream over the limit");
    let (package, file, limit) = over_limit(e)?;
    assert_eq!((package.as_str(), file), ("longname.tgz", None));
    assert_eq!(limit, ArchiveLimit::TotalBytes(8 * 1024 * 1024));
    Ok(())
}

#[test]
fn the_entry_count_is_limited_and_counts_every_tar_entry() -> TestResult {
    let bomb = bomb::gzip_bomb("fast.tar.gz", 64 * 1024, 30)?;
    let limits = ArchiveLimits::new().max_entries(25);
    let e = Package::from_archive_bytes_with("many.tgz", &bomb, &limits).expect_err("too many");
    let (package, file, limit) = over_limit(e)?;
    assert_eq!((package.as_str(), file), ("many.tgz", None));
    assert_eq!(limit, ArchiveLimit::Entries(25));
    // Within the limits the same archive reads: the last bundle wins, as in flytectl.
    let p = Package::from_archive_bytes_with("many.tgz", &bomb, &ArchiveLimits::new())?;
    assert_eq!(p.fast_bundle.map(|b| b.bytes.len()), Some(64 * 1024));
    Ok(())
}

#[test]
fn every_limit_applies_to_all_paths_of_one_read_together() -> TestResult {
    // demo-fast.tgz holds twelve files; two copies of it are 24 against a limit of 20.
    let limits = ArchiveLimits::new().max_entries(20);
    Package::open_with([fixture("demo-fast.tgz")], &limits)?;
    let e = Package::open_with(
        [fixture("demo-fast.tgz"), fixture("demo-fast.tgz")],
        &limits,
    )
    .expect_err("over the limit in all");
    assert_eq!(over_limit(e)?.2, ArchiveLimit::Entries(20));
    Ok(())
}

/// A task as pyflyte writes it.
fn task_bytes() -> Result<Vec<u8>, PackageError> {
    Ok(Package::open([fixture("demo.tgz")])?.entries[0]
        .entity
        .encode())
}

#[test]
fn directories_are_checked_by_name_and_size_before_any_file_is_read() -> TestResult {
    let dir = tempfile::tempdir()?;
    let task = task_bytes()?;
    std::fs::write(dir.path().join("00_t_1.pb"), &task)?;
    // A sparse file of 1 TiB: reading it would take the time and memory of 1 TiB.
    let huge = std::fs::File::create(dir.path().join("01_huge_1.pb"))?;
    huge.set_len(1 << 40)?;
    let e = Package::open([dir.path()]).expect_err("a file over the limit");
    let (_, file, limit) = over_limit(e)?;
    assert_eq!(file.as_deref(), Some("01_huge_1.pb"));
    assert_eq!(limit, ArchiveLimit::EntryBytes(512 * 1024 * 1024));

    // A wrong name is found before the huge file is read, wherever it sorts.
    std::fs::write(dir.path().join("zz-notes.txt"), b"hello")?;
    match Package::open([dir.path()]) {
        Err(PackageError::UnexpectedFile { file, .. }) => assert_eq!(file, "zz-notes.txt"),
        other => return Err(format!("{other:?}").into()),
    }

    // Within the limits, the directory reads as before.
    std::fs::remove_file(dir.path().join("zz-notes.txt"))?;
    std::fs::remove_file(dir.path().join("01_huge_1.pb"))?;
    let p = Package::open([dir.path()])?;
    assert_eq!(p.entries.len(), 1);
    Ok(())
}

#[test]
fn total_size_is_limited_across_a_directory() -> TestResult {
    let dir = tempfile::tempdir()?;
    let task = task_bytes()?;
    for i in 0..4 {
        std::fs::write(dir.path().join(format!("0{i}_t{i}_1.pb")), &task)?;
    }
    let limit = 3 * task.len() as u64;
    let e = Package::open_with([dir.path()], &ArchiveLimits::new().max_total_bytes(limit))
        .expect_err("over the total");
    let (_, file, got) = over_limit(e)?;
    assert_eq!(file.as_deref(), Some("03_t3_1.pb"));
    assert_eq!(got, ArchiveLimit::TotalBytes(limit));
    Ok(())
}

#[tokio::test]
async fn downloads_are_limited_as_sent_and_as_read() -> TestResult {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let archive = std::fs::read(fixture("demo.tgz"))?;
    let size = archive.len() as u64;
    Mock::given(method("GET"))
        .and(path("/demo.tgz"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(archive))
        .mount(&server)
        .await;
    let bomb = bomb::gzip_bomb("fast.tar.gz", 1024 * 1024, 64)?;
    Mock::given(method("GET"))
        .and(path("/bomb.tgz"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(bomb))
        .mount(&server)
        .await;
    let url = format!("{}/demo.tgz?token=s3cr3t", server.uri());

    let limits = ArchiveLimits::new().max_download_bytes(size - 1);
    let e = Package::download_with(&url, &limits)
        .await
        .expect_err("too large");
    assert!(!e.to_string().contains("s3cr3t"), "{e}");
    let (package, file, limit) = over_limit(e)?;
    assert_eq!(package, format!("{}/demo.tgz", server.uri()));
    assert_eq!((file, limit), (None, ArchiveLimit::DownloadBytes(size - 1)));
    let limits = ArchiveLimits::new().max_download_bytes(size);
    assert_eq!(
        Package::download_with(&url, &limits).await?.entries.len(),
        11
    );

    // What the download holds is limited as a file's is.
    let limits = ArchiveLimits::new().max_total_bytes(16 * 1024 * 1024);
    let e = Package::download_with(&format!("{}/bomb.tgz", server.uri()), &limits)
        .await
        .expect_err("a bomb");
    assert_eq!(over_limit(e)?.2, ArchiveLimit::TotalBytes(16 * 1024 * 1024));
    Ok(())
}
