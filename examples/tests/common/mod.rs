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
