//! Storage errors: what went wrong and at which URI, never a credential or a URL's signature.
//! The failure underneath (the object store's, the HTTP client's, the file system's, protobuf's)
//! travels as [`std::error::Error::source`], boxed, so no dependency's error type is part of
//! this crate's API.

/// The failure underneath an [`Error`].
type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A storage failure. Variants may gain fields: match them with `..`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Nothing at this URI.
    #[error("{uri}: not found")]
    #[non_exhaustive]
    NotFound {
        /// The URI.
        uri: String,
        /// The store's answer, when it gave one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The credentials do not allow this.
    #[error("{uri}: permission denied: {message}")]
    #[non_exhaustive]
    PermissionDenied {
        /// The URI.
        uri: String,
        /// The store's explanation.
        message: String,
        /// The store's error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// No or invalid credentials.
    #[error("{uri}: not authenticated: {message}")]
    #[non_exhaustive]
    Unauthenticated {
        /// The URI.
        uri: String,
        /// The store's explanation.
        message: String,
        /// The store's error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// Not a URI this storage can reach (or may reach: refused before any request).
    #[error("{uri:?}: {reason}")]
    #[non_exhaustive]
    InvalidUri {
        /// The URI as given.
        uri: String,
        /// Which rule it breaks, for programs.
        problem: UriProblem,
        /// Why it cannot be used, for people.
        reason: String,
        /// The path or key parser's error, when one refused it.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The storage configuration cannot be used.
    #[error("storage config: {message}")]
    #[non_exhaustive]
    Config {
        /// What is wrong.
        message: String,
        /// The failure underneath (a directory that cannot be made, a client the object
        /// store's builder refused, a certificate that does not parse).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// Data that is not what it should be (a protobuf that does not decode, a bad checksum).
    #[error("{uri}: {message}")]
    #[non_exhaustive]
    Corrupt {
        /// The URI (or what else names the data).
        uri: String,
        /// What is wrong.
        message: String,
        /// The decoder's error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A signed-URL transfer failed; the URL is shown without its query (the signature).
    #[error("{url}: {message}")]
    #[non_exhaustive]
    Transfer {
        /// The URL without query or fragment.
        url: String,
        /// The HTTP status or transport error.
        message: String,
        /// The HTTP client's error, its URL removed.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// Any other failure of the store or the filesystem.
    #[error("{uri}: {message}")]
    #[non_exhaustive]
    Other {
        /// The URI.
        uri: String,
        /// The failure.
        message: String,
        /// The store's or the file system's error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

/// Which rule an [`Error::InvalidUri`] breaks. More may be added: match with a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UriProblem {
    /// Nothing given.
    Empty,
    /// A scheme this crate does not know.
    UnsupportedScheme,
    /// A `file://` URI or path that is not an absolute, usable path.
    Path,
    /// No bucket or container.
    NoBucket,
    /// A bucket or container name that breaks its cloud's naming rules.
    BucketName,
    /// An Azure storage account name that is not 3 to 24 lowercase letters and digits.
    AccountName,
    /// An Azure host that is not `ACCOUNT.dfs.SUFFIX` or `ACCOUNT.blob.SUFFIX`, or whose
    /// suffix is not the configured cloud's.
    Host,
    /// A port: the store's endpoint comes from the config, never from a URI.
    Port,
    /// `user@` before an S3 or GCS bucket.
    UserInfo,
    /// A `?` or `#` in a cloud URI.
    QueryOrFragment,
    /// A key the store cannot take (`..`, an empty segment the path parser refuses).
    Key,
    /// A bucket other than the configured container (`storage.enable-multicontainer` off).
    OutsideContainer,
    /// A scheme the configured store does not serve.
    WrongStore,
    /// An Azure account other than the configured one.
    OtherAccount,
}

/// `Result` with this crate's [`Error`] by default.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether the object does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    pub(crate) fn not_found(uri: impl Into<String>) -> Self {
        Error::NotFound {
            uri: uri.into(),
            source: None,
        }
    }

    pub(crate) fn invalid_uri(
        uri: impl Into<String>,
        problem: UriProblem,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidUri {
            uri: uri.into(),
            problem,
            reason: reason.into(),
            source: None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn corrupt(uri: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Corrupt {
            uri: uri.into(),
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn transfer(url: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Transfer {
            url: url.into(),
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn other(uri: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Other {
            uri: uri.into(),
            message: message.into(),
            source: None,
        }
    }

    /// The same error with `cause` as its source.
    pub(crate) fn with_source(mut self, cause: impl Into<Cause>) -> Self {
        let (Error::NotFound { source, .. }
        | Error::PermissionDenied { source, .. }
        | Error::Unauthenticated { source, .. }
        | Error::InvalidUri { source, .. }
        | Error::Config { source, .. }
        | Error::Corrupt { source, .. }
        | Error::Transfer { source, .. }
        | Error::Other { source, .. }) = &mut self;
        *source = Some(cause.into());
        self
    }

    pub(crate) fn from_store(uri: &str, e: object_store::Error) -> Self {
        let uri = uri.to_owned();
        match e {
            object_store::Error::NotFound { source, .. } => Error::NotFound {
                uri,
                source: Some(source),
            },
            object_store::Error::PermissionDenied { source, .. } => Error::PermissionDenied {
                uri,
                message: source.to_string(),
                source: Some(source),
            },
            object_store::Error::Unauthenticated { source, .. } => Error::Unauthenticated {
                uri,
                message: source.to_string(),
                source: Some(source),
            },
            other => Error::other(uri, other.to_string()).with_source(other),
        }
    }
}

/// A URL with its query and fragment (where signatures live) removed.
pub fn redact_url(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or_default().to_owned()
}
