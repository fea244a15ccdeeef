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
        /// The URI as given, without query, fragment or user info.
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
    /// An object or response larger than the limit for reading it into memory.
    #[error("{uri}: {} exceeds the limit of {limit} bytes; {setting} raises it", size_text(.size))]
    #[non_exhaustive]
    TooLarge {
        /// The URI (a signed URL without its query).
        uri: String,
        /// The size, when the store or the server said it before sending it.
        size: Option<u64>,
        /// The limit in bytes.
        limit: u64,
        /// The setting that raises the limit (`storage.limits.maxDownloadMBs`, ...).
        setting: String,
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
    /// A download whose destination is the very file it reads.
    SameFile,
    /// An offloaded literal naming a local file that is not the store's: a `file://` URI or
    /// path with a store not on the local disk, or outside a local store's root, or not a
    /// regular file.
    OutsideStore,
}

/// How a [`Error::TooLarge`] speaks of the size.
fn size_text(size: &Option<u64>) -> String {
    match size {
        Some(size) => format!("{size} bytes"),
        None => "the data (cut off at the limit)".to_owned(),
    }
}

/// A URI as errors show it: without query, fragment or user info (signatures, SAS tokens and
/// passwords live there). An Azure URI's `container@` stays (it is no user info there) unless it
/// holds a `:`. Text that is not a URL (a path, "inline outputs") and `file://` URIs (where `?`
/// and `#` are part of the file's name) are shown as they are.
fn shown(uri: String) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return uri;
    };
    if scheme.eq_ignore_ascii_case("file") {
        return uri;
    }
    let azure = ["abfs", "abfss", "az"].contains(&scheme.to_ascii_lowercase().as_str());
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    match rest.split('/').next().and_then(|a| a.rsplit_once('@')) {
        Some((container, _)) if azure && !container.contains(':') => format!("{scheme}://{rest}"),
        _ => redact_url(&format!("{scheme}://{rest}")),
    }
}

/// `Result` with this crate's [`Error`] by default.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether the object does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// Whether the object or response was larger than the limit for reading it whole.
    pub fn is_too_large(&self) -> bool {
        matches!(self, Error::TooLarge { .. })
    }

    pub(crate) fn too_large(
        uri: impl Into<String>,
        size: Option<u64>,
        limit: u64,
        setting: impl Into<String>,
    ) -> Self {
        Error::TooLarge {
            uri: shown(uri.into()),
            size,
            limit,
            setting: setting.into(),
        }
    }

    pub(crate) fn not_found(uri: impl Into<String>) -> Self {
        Error::NotFound {
            uri: shown(uri.into()),
            source: None,
        }
    }

    pub(crate) fn invalid_uri(
        uri: impl Into<String>,
        problem: UriProblem,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidUri {
            uri: shown(uri.into()),
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
            uri: shown(uri.into()),
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn transfer(url: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Transfer {
            url: shown(url.into()),
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn other(uri: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Other {
            uri: shown(uri.into()),
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
        | Error::Other { source, .. }) = &mut self
        else {
            return self;
        };
        *source = Some(cause.into());
        self
    }

    /// The object store's error, without what the server's answer said beyond its status and
    /// error code: an answer body can name credentials (S3's `SignatureDoesNotMatch` names the
    /// access key id and the string it signed), and URLs in it can carry a SAS token.
    pub(crate) fn from_store(uri: &str, e: object_store::Error) -> Self {
        let uri = shown(uri.to_owned());
        let cause = StoreCause::of(&e);
        let message = cause.0.clone();
        let source: Option<Cause> = Some(Box::new(cause));
        match e {
            object_store::Error::NotFound { .. } => Error::NotFound { uri, source },
            object_store::Error::PermissionDenied { .. } => Error::PermissionDenied {
                uri,
                message,
                source,
            },
            object_store::Error::Unauthenticated { .. } => Error::Unauthenticated {
                uri,
                message,
                source,
            },
            _ => Error::Other {
                uri,
                message,
                source,
            },
        }
    }
}

/// An object store's error as text, its causes joined, with answer bodies and URL queries
/// taken out ([`sanitize`]).
#[derive(Debug)]
struct StoreCause(String);

impl StoreCause {
    fn of(e: &object_store::Error) -> StoreCause {
        let mut text = String::new();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(c) = cause {
            let part = c.to_string();
            // Wrappers repeat their cause's text; keep each piece once.
            if !text.contains(&part) {
                if !text.is_empty() {
                    text.push_str(": ");
                }
                text.push_str(&part);
            }
            cause = c.source();
        }
        StoreCause(sanitize(&text))
    }
}

impl std::fmt::Display for StoreCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreCause {}

/// `text` without what follows a server's status (its answer body, but for an XML `<Code>`)
/// and without the query of any URL in it.
pub(crate) fn sanitize(text: &str) -> String {
    const BODY_AFTER: [&str; 2] = [
        "Server returned non-2xx status code: ",
        "Server returned error response",
    ];
    let mut out = text.to_owned();
    for marker in BODY_AFTER {
        if let Some(at) = out.find(marker) {
            let rest = &out[at + marker.len()..];
            // "403 Forbidden: <body>": keep the status, drop the body.
            let status_len = if marker.ends_with(": ") {
                rest.find(": ").unwrap_or(rest.len())
            } else {
                0
            };
            let code = xml_error_code(rest);
            let mut kept = format!("{}{}", &out[..at + marker.len()], &rest[..status_len]);
            if let Some(code) = code {
                kept.push_str(&format!(" ({code})"));
            }
            out = kept;
        }
    }
    out.split(' ')
        .map(|word| match word.find("://") {
            Some(_) => redact_url(word),
            None => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `<Code>` of an S3 or Azure XML error body, when it is a plain identifier.
pub(crate) fn xml_error_code(body: &str) -> Option<&str> {
    let start = body.find("<Code>")? + "<Code>".len();
    let len = body[start..].find("</Code>")?;
    let code = &body[start..start + len];
    let plain = !code.is_empty()
        && code.len() <= 64
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.');
    plain.then_some(code)
}

/// A URL with its query and fragment (where signatures live) and any `user:password@`
/// removed.
pub fn redact_url(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_messages_lose_answer_bodies_and_url_queries() {
        let text =
            "Error performing GET https://acct.blob.core.windows.net/c/k?sv=1&sig=SAS-SECRET \
                    in 1s: Server returned non-2xx status code: 403 Forbidden: <?xml?><Error>\
                    <Code>AuthenticationFailed</Code><AuthenticationErrorDetail>BODY-SECRET\
                    </AuthenticationErrorDetail></Error>";
        let clean = sanitize(text);
        assert_eq!(
            clean,
            "Error performing GET https://acct.blob.core.windows.net/c/k in 1s: Server returned \
             non-2xx status code: 403 Forbidden (AuthenticationFailed)"
        );
        let clean = sanitize("Server returned error response: {\"token\": \"BODY-SECRET\"}");
        assert!(!clean.contains("BODY-SECRET"), "{clean}");
        assert_eq!(xml_error_code("<Code>a b</Code>"), None, "only plain codes");
    }
}
