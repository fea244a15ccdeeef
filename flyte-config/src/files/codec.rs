//! Reading and writing any of flytectl's files: YAML text into a [`Section`], errors with
//! their lines, and writes that name the file.

use std::io::Read as _;
use std::path::Path;

use crate::error::{Diagnostic, Result};
use crate::fields::{DecodeCx, Section};
use crate::{yaml, Error, MAX_CONFIG_FILE_BYTES};

/// Reads `path` and decodes it into `T`. `strict` makes unknown keys errors.
pub(crate) fn decode_file<T: Section + Default>(
    path: &Path,
    strict: bool,
) -> Result<(T, Vec<Diagnostic>)> {
    let text = read_text(path)?;
    decode_str(&text, Some(path), strict)
}

/// Reads at most `limit` bytes of `path`: the size is checked before reading, and the read
/// stops one byte past the limit, so that a device (`/dev/zero`), a FIFO or a file that grows
/// is refused instead of read without end.
pub(crate) fn read_bounded(path: &Path, action: &'static str, limit: u64) -> Result<Vec<u8>> {
    let io = |source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let too_large = || Error::TooLarge {
        action,
        path: path.to_path_buf(),
        limit,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Reads a config-like file as UTF-8 text, within [`MAX_CONFIG_FILE_BYTES`]; text that is not
/// UTF-8 is a syntax error at the first bad byte.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    let bytes = read_bounded(path, "read", MAX_CONFIG_FILE_BYTES)?;
    String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|b| **b == b'\n').count() + 1;
        let column = upto.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        Error::Syntax {
            file: Some(path.to_path_buf()),
            line,
            column,
            message: "the file is not UTF-8 text".to_owned(),
            source: Some(Box::new(e.utf8_error())),
        }
    })
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
