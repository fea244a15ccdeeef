//! Reading and writing any of flytectl's files: YAML text into a [`Section`], errors with
//! their lines, and writes that name the file.

use std::path::Path;

use crate::error::{Diagnostic, Result};
use crate::fields::{DecodeCx, Section};
use crate::{yaml, Error};

/// Reads `path` and decodes it into `T`. `strict` makes unknown keys errors.
pub(crate) fn decode_file<T: Section + Default>(
    path: &Path,
    strict: bool,
) -> Result<(T, Vec<Diagnostic>)> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    decode_str(&text, Some(path), strict)
}

pub(crate) fn decode_str<T: Section + Default>(
    text: &str,
    file: Option<&Path>,
    strict: bool,
) -> Result<(T, Vec<Diagnostic>)> {
    let root = yaml::parse(text).map_err(|e| Error::syntax(file, e))?;
    let mut target = T::default();
    let mut cx = DecodeCx::new(file, strict);
    cx.decode_root(root.as_ref(), &mut target);
    if cx.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Error::Invalid {
            diagnostics: cx.diagnostics,
        });
    }
    Ok((target, cx.diagnostics))
}

pub(crate) fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| Error::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}
