//! Errors and diagnostics.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::yaml::{Mark, ParseError};

/// A `Result` whose error defaults to this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in a file something was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Location {
    /// The file, when the text came from one.
    pub file: Option<PathBuf>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Location {
    pub(crate) fn new(file: Option<&Path>, mark: Mark) -> Self {
        Location {
            file: file.map(Path::to_path_buf),
            line: mark.line,
            column: mark.column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{}:{}:{}", file.display(), self.line, self.column),
            None => write!(f, "line {}, column {}", self.line, self.column),
        }
    }
}

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Severity {
    /// The value cannot be used as written.
    Error,
    /// The value is used, but probably not as the author meant (an unknown key, a deprecated key).
    Warning,
}

/// One problem found in a config: the key it is about, what is wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// How serious it is.
    pub severity: Severity,
    /// The key path in flytectl's spelling, e.g. `admin.maxRetries`.
    pub key: String,
    /// What is wrong, without the key or position.
    pub message: String,
    /// Where the offending value is, when it came from a file.
    pub location: Option<Location>,
    /// The file the config came from, when there is one but no position applies.
    pub file: Option<PathBuf>,
}

impl Diagnostic {
    pub(crate) fn error(key: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            key: key.into(),
            message: message.into(),
            location: None,
            file: None,
        }
    }

    pub(crate) fn warning(key: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(key, message)
        }
    }

    pub(crate) fn at(mut self, location: Option<Location>) -> Self {
        if let Some(loc) = &location {
            self.file.clone_from(&loc.file);
        }
        self.location = location;
        self
    }

    pub(crate) fn in_file(mut self, file: Option<&Path>) -> Self {
        if self.file.is_none() {
            self.file = file.map(Path::to_path_buf);
        }
        self
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `FILE:LINE:COL: key: message`, or `FILE: key: message` when there is no position;
    /// warnings say so after the position.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.location, &self.file) {
            (Some(loc), _) if loc.file.is_some() => write!(f, "{loc}: ")?,
            (Some(loc), _) => write!(f, "{}:{}: ", loc.line, loc.column)?,
            (None, Some(file)) => write!(f, "{}: ", file.display())?,
            (None, None) => {}
        }
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        if self.key.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.key, self.message)
        }
    }
}

/// Everything that can go wrong reading or writing flytectl's files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A file larger than is read for its purpose (see
    /// [`MAX_CONFIG_FILE_BYTES`](crate::MAX_CONFIG_FILE_BYTES) and
    /// [`MAX_SECRET_FILE_BYTES`](crate::MAX_SECRET_FILE_BYTES)), found before or while reading
    /// it, never after reading it all.
    #[error("cannot {action} {}: it is larger than {limit} bytes", path.display())]
    TooLarge {
        /// What was being done: `read`, `read the client secret file`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The most that is read.
        limit: u64,
    },
    /// A config file named explicitly (argument or `$FLYTECTL_CONFIG`) does not exist.
    #[error("config file {} (from {origin}) does not exist", path.display())]
    NotFound {
        /// The missing file.
        path: PathBuf,
        /// Who named it: `the caller` or `$FLYTECTL_CONFIG`.
        origin: &'static str,
    },
    /// The text is not valid YAML, or is refused (too deep, exploding aliases, too large).
    #[error("{}{message}", prefix(file.as_deref(), *line, *column))]
    #[non_exhaustive]
    Syntax {
        /// The file, when the text came from one.
        file: Option<PathBuf>,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
        /// The cause, when there is one beyond this crate's own checks: the YAML scanner's
        /// error, or the UTF-8 decoding error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// The YAML is well formed but values have the wrong type or are not allowed.
    /// Holds every such problem, not only the first.
    #[error("{}", summarize(diagnostics))]
    Invalid {
        /// Each problem, in file order.
        diagnostics: Vec<Diagnostic>,
    },
    /// An endpoint string cannot be understood.
    #[error("invalid endpoint {value:?}: {reason}")]
    #[non_exhaustive]
    Endpoint {
        /// The endpoint as given.
        value: String,
        /// What is wrong with it.
        reason: String,
        /// The error underneath, when the value was checked through another form of it (as
        /// `config init` checks its host as an endpoint).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// A duration is not in Go's syntax (`15s`, `1h30m`, `250ms`).
    #[error("invalid duration {value:?}: {reason}")]
    Duration {
        /// The text as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `config init` would overwrite an existing file without `force`.
    #[error("{} already exists; pass force to overwrite it", path.display())]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// An override names a key that does not exist.
    #[error("unknown config key {key:?}")]
    UnknownKey {
        /// The key as given.
        key: String,
    },
}

fn prefix(file: Option<&Path>, line: usize, column: usize) -> String {
    match file {
        Some(f) => format!("{}:{line}:{column}: ", f.display()),
        None => format!("{line}:{column}: "),
    }
}

fn summarize(diagnostics: &[Diagnostic]) -> String {
    let mut errors = diagnostics.iter().filter(|d| d.is_error());
    match (errors.next(), errors.count()) {
        (None, _) => "invalid config".to_owned(),
        (Some(first), 0) => first.to_string(),
        (Some(first), more) => format!("{first} (and {more} more problems)"),
    }
}

impl Error {
    pub(crate) fn syntax(file: Option<&Path>, e: ParseError) -> Self {
        Error::Syntax {
            file: file.map(Path::to_path_buf),
            line: e.mark.line,
            column: e.mark.column,
            message: e.message,
            source: e.cause.map(|c| Box::new(c) as _),
        }
    }

    /// An [`Error::Endpoint`] with no cause beyond `reason`.
    pub(crate) fn endpoint(value: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Endpoint {
            value: value.into(),
            reason: reason.into(),
            source: None,
        }
    }

    /// The individual problems behind an [`Error::Invalid`]; empty for other errors.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Invalid { diagnostics } => diagnostics,
            _ => &[],
        }
    }

    /// Where the error is, for syntax errors and the first invalid value.
    pub fn location(&self) -> Option<Location> {
        match self {
            Error::Syntax {
                file, line, column, ..
            } => Some(Location {
                file: file.clone(),
                line: *line,
                column: *column,
            }),
            Error::Invalid { diagnostics } => diagnostics
                .iter()
                .find(|d| d.is_error())
                .and_then(|d| d.location.clone()),
            _ => None,
        }
    }
}
