//! Errors that say which object in which namespace, and whether access was denied, the object
//! missing, or in conflict.

use std::fmt;

/// The object an error is about.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// A failure talking to Kubernetes, or input that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// RBAC denied the request.
    #[error("{object}: forbidden (check the RBAC rules of your kubeconfig's user): {message}")]
    Forbidden {
        /// The object.
        object: ObjectRef,
        /// The API server's message.
        message: String,
    },
    /// No such object.
    #[error("{object}: not found")]
    NotFound {
        /// The object.
        object: ObjectRef,
    },
    /// Another field manager owns the fields, or the object changed meanwhile.
    #[error("{object}: conflict: {message}")]
    Conflict {
        /// The object.
        object: ObjectRef,
        /// The API server's message.
        message: String,
    },
    /// The API server refused the object (422 and other 4xx).
    #[error("{object}: refused ({code}): {message}")]
    Refused {
        /// The object.
        object: ObjectRef,
        /// The HTTP status.
        code: u16,
        /// The API server's message.
        message: String,
    },
    /// The API server could not be reached or answered with a 5xx.
    #[error("{object}: {message}")]
    Unavailable {
        /// The object.
        object: ObjectRef,
        /// What happened.
        message: String,
    },
    /// The kubeconfig cannot be used.
    #[error("kubeconfig: {0}")]
    Config(String),
    /// Input that cannot be turned into objects (a bad quantity, an empty project, ...).
    #[error("{0}")]
    Invalid(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn from_kube(object: ObjectRef, e: kube::Error) -> Error {
        match e {
            kube::Error::Api(status) => {
                let message = status.message.clone();
                match status.code {
                    403 => Error::Forbidden { object, message },
                    404 => Error::NotFound { object },
                    409 => Error::Conflict { object, message },
                    code if code >= 500 => Error::Unavailable {
                        object,
                        message: format!("API server error {code}: {message}"),
                    },
                    code => Error::Refused {
                        object,
                        code,
                        message,
                    },
                }
            }
            other => Error::Unavailable {
                object,
                message: other.to_string(),
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
}
