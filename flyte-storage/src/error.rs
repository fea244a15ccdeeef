//! Storage errors: what went wrong and at which URI, never a credential or a URL's signature.

/// A storage failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Nothing at this URI.
    #[error("{uri}: not found")]
    NotFound {
        /// The URI.
        uri: String,
    },
    /// The credentials do not allow this.
    #[error("{uri}: permission denied: {message}")]
    PermissionDenied {
        /// The URI.
        uri: String,
        /// The store's explanation.
        message: String,
    },
    /// No or invalid credentials.
    #[error("{uri}: not authenticated: {message}")]
    Unauthenticated {
        /// The URI.
        uri: String,
        /// The store's explanation.
        message: String,
    },
    /// Not a URI this storage can reach.
    #[error("{uri:?}: {reason}")]
    InvalidUri {
        /// The URI as given.
        uri: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The storage configuration cannot be used.
    #[error("storage config: {0}")]
    Config(String),
    /// Data that is not what it should be (a protobuf that does not decode, a bad checksum).
    #[error("{uri}: {message}")]
    Corrupt {
        /// The URI.
        uri: String,
        /// What is wrong.
        message: String,
    },
    /// A signed-URL transfer failed; the URL is shown without its query (the signature).
    #[error("{url}: {message}")]
    Transfer {
        /// The URL without query or fragment.
        url: String,
        /// The HTTP status or transport error.
        message: String,
    },
    /// Any other failure of the store or the filesystem.
    #[error("{uri}: {message}")]
    Other {
        /// The URI.
        uri: String,
        /// The failure.
        message: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Whether the object does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    pub(crate) fn from_store(uri: &str, e: object_store::Error) -> Self {
        let uri = uri.to_owned();
        match e {
            object_store::Error::NotFound { .. } => Error::NotFound { uri },
            object_store::Error::PermissionDenied { source, .. } => Error::PermissionDenied {
                uri,
                message: source.to_string(),
            },
            object_store::Error::Unauthenticated { source, .. } => Error::Unauthenticated {
                uri,
                message: source.to_string(),
            },
            other => Error::Other {
                uri,
                message: other.to_string(),
            },
        }
    }
}

/// A URL with its query and fragment (where signatures live) removed.
pub fn redact_url(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or_default().to_owned()
}
