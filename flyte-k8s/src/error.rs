//! Errors that say which object in which namespace, and whether access was denied, the object
//! missing, or in conflict.

use std::fmt;
use std::path::{Path, PathBuf};

/// The object an error is about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectRef {
    /// `namespace`, `secret`, `resourcequota`, ...
    pub kind: &'static str,
    /// Its namespace (none for cluster-wide objects).
    pub namespace: Option<String>,
    /// Its name (empty for a list).
    pub name: String,
}

impl ObjectRef {
    pub(crate) fn new(kind: &'static str, namespace: Option<&str>, name: &str) -> ObjectRef {
        ObjectRef {
            kind,
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.name.is_empty() {
            "(list)"
        } else {
            &self.name
        };
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{name}", self.kind),
            None => write!(f, "{} {name}", self.kind),
        }
    }
}

/// The cause of an [`Error`], as [`std::error::Error::source`] returns it: `kube`'s error for a
/// request, `std::io::Error` for a file. Downcast it to look inside.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// ": {cause}" after a message, when there is a cause.
fn colon(source: &Option<BoxError>) -> String {
    source
        .as_ref()
        .map(|s| format!(": {s}"))
        .unwrap_or_default()
}

/// A failure talking to Kubernetes, or input that cannot be used.
///
/// Each variant's cause, if any, is its [`source`](std::error::Error::source): for a request,
/// `kube`'s error (downcast to `kube::Error` for the API server's `Status`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// RBAC denied the request.
    #[error("{object}: forbidden (check the RBAC rules of your kubeconfig's user): {message}")]
    #[non_exhaustive]
    Forbidden {
        /// The object.
        object: ObjectRef,
        /// The API server's message.
        message: String,
        /// The request's error.
        source: BoxError,
    },
    /// No such object.
    #[error("{object}: not found")]
    #[non_exhaustive]
    NotFound {
        /// The object.
        object: ObjectRef,
        /// The request's error, when the API server said so (none when flyte-rs found nothing
        /// to act on).
        source: Option<BoxError>,
    },
    /// Another field manager owns the fields, or the object changed meanwhile.
    #[error("{object}: conflict: {message}")]
    #[non_exhaustive]
    Conflict {
        /// The object.
        object: ObjectRef,
        /// The API server's message.
        message: String,
        /// The request's error.
        source: BoxError,
    },
    /// The API server refused the object (422 and other 4xx).
    #[error("{object}: refused ({code}): {message}")]
    #[non_exhaustive]
    Refused {
        /// The object.
        object: ObjectRef,
        /// The HTTP status.
        code: u16,
        /// The API server's message.
        message: String,
        /// The request's error.
        source: BoxError,
    },
    /// The API server could not be reached or answered with a 5xx.
    #[error("{object}: {message}")]
    #[non_exhaustive]
    Unavailable {
        /// The object.
        object: ObjectRef,
        /// What happened.
        message: String,
        /// The request's error.
        source: BoxError,
    },
    /// The kubeconfig (or the in-cluster configuration) cannot be used.
    #[error("kubeconfig: {}{source}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    #[non_exhaustive]
    Config {
        /// The kubeconfig file, when one was named.
        path: Option<PathBuf>,
        /// Why it cannot be used (`kube`'s error).
        source: BoxError,
    },
    /// Input that cannot be turned into objects (a bad quantity, an empty project, an unreadable
    /// file, ...).
    #[error("{message}{}", colon(source))]
    #[non_exhaustive]
    Invalid {
        /// What is wrong with it.
        message: String,
        /// The cause, when there is one (the `std::io::Error` of a file that cannot be read).
        source: Option<BoxError>,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Input that cannot be used, with no other cause.
    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::Invalid {
            message: message.into(),
            source: None,
        }
    }

    /// A kubeconfig that cannot be used.
    pub(crate) fn config(path: Option<&Path>, source: impl Into<BoxError>) -> Error {
        Error::Config {
            path: path.map(Path::to_path_buf),
            source: source.into(),
        }
    }

    pub(crate) fn from_kube(object: ObjectRef, e: kube::Error) -> Error {
        let status = match &e {
            kube::Error::Api(status) => Some((status.code, status.message.clone())),
            _ => None,
        };
        let Some((code, message)) = status else {
            return Error::Unavailable {
                object,
                message: e.to_string(),
                source: Box::new(e),
            };
        };
        let source = Box::new(e);
        match code {
            403 => Error::Forbidden {
                object,
                message,
                source,
            },
            404 => Error::NotFound {
                object,
                source: Some(source),
            },
            409 => Error::Conflict {
                object,
                message,
                source,
            },
            code if code >= 500 => Error::Unavailable {
                object,
                message: format!("API server error {code}: {message}"),
                source,
            },
            code => Error::Refused {
                object,
                code,
                message,
                source,
            },
        }
    }

    /// Whether the object does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// Whether RBAC denied the request.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Error::Forbidden { .. })
    }

    /// Whether another field manager owns the fields, or the object changed meanwhile.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict { .. })
    }

    /// Whether the input could not be used (nothing was written).
    pub fn is_invalid(&self) -> bool {
        matches!(self, Error::Invalid { .. })
    }
}
