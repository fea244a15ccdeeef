//! Helpers the example tests share.

use std::path::{Path, PathBuf};

/// The built example `name`: `cargo test` puts examples beside the test binaries
/// (`target/<profile>/examples`).
pub(crate) fn example(name: &str) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("test binary has no profile directory")?;
    let path = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        return Err(format!("{} is missing; run through `cargo test`", path.display()).into());
    }
    Ok(path)
}

/// Runs example `name` with `args`, an empty environment and a fresh `HOME`, as a user on a
/// clean machine would.
#[allow(dead_code)] // Not every test binary runs examples this way.
pub(crate) async fn run_example(
    name: &str,
    args: Vec<String>,
) -> Result<std::process::Output, Box<dyn std::error::Error>> {
    let bin = example(name)?;
    let home = tempfile::tempdir()?;
    let home_path = home.path().to_path_buf();
    Ok(tokio::task::spawn_blocking(move || {
        std::process::Command::new(bin)
            .args(args)
            .env_clear()
            .env("HOME", home_path)
            .output()
    })
    .await??)
}

/// Runs example `name` against the test kit (`--endpoint ADDR --insecure`, then `args`).
#[allow(dead_code)] // Not every test binary runs an example against the test kit.
pub(crate) async fn run_against(
    admin: &flyte_testkit::TestAdmin,
    name: &str,
    args: &[&str],
) -> Result<std::process::Output, Box<dyn std::error::Error>> {
    let mut full: Vec<String> = vec![
        "--endpoint".into(),
        admin.addr().to_string(),
        "--insecure".into(),
    ];
    full.extend(args.iter().map(|s| (*s).to_owned()));
    run_example(name, full).await
}
