//! The client's error: the RPC, the endpoint, FlyteAdmin's code and message, and predicates.

use std::fmt;

/// A `Result` whose error defaults to this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// gRPC status codes, as FlyteAdmin answers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// Not an error.
    Ok,
    /// The call was cancelled.
    Cancelled,
    /// Unknown error.
    Unknown,
    /// Bad input: FlyteAdmin's validation errors.
    InvalidArgument,
    /// The deadline passed.
    DeadlineExceeded,
    /// The entity does not exist.
    NotFound,
    /// The entity exists (for registration: with an identical spec).
    AlreadyExists,
    /// Not allowed.
    PermissionDenied,
    /// Rate limited or out of resources.
    ResourceExhausted,
    /// The system is not in a state for this call (e.g. terminating a terminated execution).
    FailedPrecondition,
    /// Aborted.
    Aborted,
    /// Out of range.
    OutOfRange,
    /// The server does not offer this call.
    Unimplemented,
    /// Server bug.
    Internal,
    /// The server or network is unavailable: retry.
    Unavailable,
    /// Data loss.
    DataLoss,
    /// No valid credentials.
    Unauthenticated,
}

impl Code {
    /// UNAVAILABLE, RESOURCE_EXHAUSTED or DEADLINE_EXCEEDED: the codes the retry policy retries.
    pub(crate) fn is_transient(self) -> bool {
        matches!(
            self,
            Code::Unavailable | Code::ResourceExhausted | Code::DeadlineExceeded
        )
    }
}

/// The words of a RESOURCE_EXHAUSTED that no retry can change: grpc's size limits (`grpc:
/// received message larger than max (N vs. M)`, `trying to send message larger than max`,
/// `message after decompression larger than max`, `grpc: message too large`) and FlyteAdmin's
/// own output limit (`... exceeds platform configured threshold`). Any other RESOURCE_EXHAUSTED
/// (a rate limit, a quota, a flow-control reset) is worth retrying.
const TOO_LARGE: [&str; 3] = [
    "larger than max",
    "message too large",
    "exceeds platform configured threshold",
];

/// Whether a failure with this code and message is worth retrying: UNAVAILABLE,
/// DEADLINE_EXCEEDED, and RESOURCE_EXHAUSTED unless it says the message is too large.
pub(crate) fn transient(code: Code, message: &str) -> bool {
    code.is_transient()
        && !(code == Code::ResourceExhausted && TOO_LARGE.iter().any(|t| message.contains(t)))
}

impl From<tonic::Code> for Code {
    fn from(c: tonic::Code) -> Self {
        use tonic::Code as T;
        match c {
            T::Ok => Code::Ok,
            T::Cancelled => Code::Cancelled,
            T::Unknown => Code::Unknown,
            T::InvalidArgument => Code::InvalidArgument,
            T::DeadlineExceeded => Code::DeadlineExceeded,
            T::NotFound => Code::NotFound,
            T::AlreadyExists => Code::AlreadyExists,
            T::PermissionDenied => Code::PermissionDenied,
            T::ResourceExhausted => Code::ResourceExhausted,
            T::FailedPrecondition => Code::FailedPrecondition,
            T::Aborted => Code::Aborted,
            T::OutOfRange => Code::OutOfRange,
            T::Unimplemented => Code::Unimplemented,
            T::Internal => Code::Internal,
            T::Unavailable => Code::Unavailable,
            T::DataLoss => Code::DataLoss,
            T::Unauthenticated => Code::Unauthenticated,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Code::Ok => "OK",
            Code::Cancelled => "CANCELLED",
            Code::Unknown => "UNKNOWN",
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
            Code::NotFound => "NOT_FOUND",
            Code::AlreadyExists => "ALREADY_EXISTS",
            Code::PermissionDenied => "PERMISSION_DENIED",
            Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
            Code::FailedPrecondition => "FAILED_PRECONDITION",
            Code::Aborted => "ABORTED",
            Code::OutOfRange => "OUT_OF_RANGE",
            Code::Unimplemented => "UNIMPLEMENTED",
            Code::Internal => "INTERNAL",
            Code::Unavailable => "UNAVAILABLE",
            Code::DataLoss => "DATA_LOSS",
            Code::Unauthenticated => "UNAUTHENTICATED",
        };
        f.write_str(s)
    }
}

/// A failed FlyteAdmin call (or a bad input caught before sending).
pub struct Error(Box<Inner>);

struct Inner {
    code: Code,
    message: String,
    rpc: &'static str,
    endpoint: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// TLS refused the server: UNAVAILABLE on the wire, but no retry can help.
    tls_rejected: bool,
}

impl Error {
    pub(crate) fn new(
        code: Code,
        rpc: &'static str,
        endpoint: &str,
        message: impl Into<String>,
    ) -> Self {
        Error(Box::new(Inner {
            code,
            message: message.into(),
            rpc,
            endpoint: endpoint.to_owned(),
            source: None,
            tls_rejected: false,
        }))
    }

    pub(crate) fn from_status(status: tonic::Status, rpc: &'static str, endpoint: &str) -> Self {
        // A transport failure arrives as a status without a server message but with a source.
        let code = Code::from(status.code());
        let message = if status.message().is_empty() {
            std::error::Error::source(&status).map_or_else(|| code.to_string(), |s| s.to_string())
        } else {
            status.message().to_owned()
        };
        let mut e = Error::new(code, rpc, endpoint, message);
        e.0.tls_rejected = crate::retry::tls_rejected(&status);
        e.0.source = Some(Box::new(status));
        e
    }

    pub(crate) fn invalid_input(
        rpc: &'static str,
        endpoint: &str,
        message: impl Into<String>,
    ) -> Self {
        Error::new(Code::InvalidArgument, rpc, endpoint, message)
    }

    pub(crate) fn with_boxed_source(
        mut self,
        source: Box<dyn std::error::Error + Send + Sync>,
    ) -> Self {
        self.0.source = Some(source);
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    /// The status code.
    pub fn code(&self) -> Code {
        self.0.code
    }

    /// FlyteAdmin's message (or what went wrong before the call).
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The RPC, e.g. `CreateExecution`.
    pub fn rpc(&self) -> &'static str {
        self.0.rpc
    }

    /// The entity does not exist.
    pub fn is_not_found(&self) -> bool {
        self.0.code == Code::NotFound
    }

    /// The entity exists. For registration this means "identical spec": treat it as success.
    pub fn is_already_exists(&self) -> bool {
        self.0.code == Code::AlreadyExists
    }

    /// FlyteAdmin rejected the input; the message says which.
    pub fn is_invalid_argument(&self) -> bool {
        self.0.code == Code::InvalidArgument
    }

    /// Registration refused a different spec under an existing id: register a new version.
    pub fn is_different_structure(&self) -> bool {
        self.is_invalid_argument()
            && self
                .0
                .message
                .contains("with different structure already exists")
    }

    /// No valid credentials.
    pub fn is_unauthenticated(&self) -> bool {
        self.0.code == Code::Unauthenticated
    }

    /// Not allowed.
    pub fn is_permission_denied(&self) -> bool {
        self.0.code == Code::PermissionDenied
    }

    /// The state forbids the call (e.g. terminating a terminated execution).
    pub fn is_failed_precondition(&self) -> bool {
        self.0.code == Code::FailedPrecondition
    }

    /// The server does not offer this call.
    pub fn is_unimplemented(&self) -> bool {
        self.0.code == Code::Unimplemented
    }

    /// A deadline passed.
    pub fn is_timeout(&self) -> bool {
        self.0.code == Code::DeadlineExceeded
    }

    /// Worth retrying: UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED; but not a TLS
    /// handshake that refused the server's certificate (which tonic also reports as
    /// UNAVAILABLE), nor a RESOURCE_EXHAUSTED that says a message is too large (grpc's `larger
    /// than max`, `message too large`, FlyteAdmin's `exceeds platform configured threshold`).
    pub fn is_transient(&self) -> bool {
        transient(self.0.code, &self.0.message) && !self.0.tls_rejected
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.0.code)
            .field("rpc", &self.0.rpc)
            .field("endpoint", &self.0.endpoint)
            .field("message", &self.0.message)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} on {}: {}: {}",
            self.0.rpc, self.0.endpoint, self.0.code, self.0.message
        )
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_exhausted_is_transient_unless_a_message_is_too_large() {
        for permanent in [
            "grpc: received message larger than max (5242880 vs. 4194304)",
            "grpc: received message larger than max length allowed on current machine (1 vs. 0)",
            "grpc: message after decompression larger than max (5242880 vs. 4194304)",
            "grpc: received message after decompression larger than max 4194304",
            "grpc: trying to send message larger than max (5242880 vs. 4194304)",
            "trying to send message larger than max (5242880 vs. 4194304)",
            "grpc: message too large (4294967296 bytes)",
            "Output data size exceeds platform configured threshold (20000000 > 10000000)",
        ] {
            let e = Error::new(Code::ResourceExhausted, "CreateTask", "x", permanent);
            assert!(!e.is_transient(), "{permanent}");
        }
        for passing in [
            "flyte-testkit: injected RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Requests'",
            "",
        ] {
            let e = Error::new(Code::ResourceExhausted, "CreateTask", "x", passing);
            assert!(e.is_transient(), "{passing}");
        }
        let other = Error::new(
            Code::InvalidArgument,
            "CreateTask",
            "x",
            "message too large",
        );
        assert!(!other.is_transient());
        let unavailable = Error::new(Code::Unavailable, "CreateTask", "x", "larger than max");
        assert!(
            unavailable.is_transient(),
            "only RESOURCE_EXHAUSTED is read"
        );
    }
}
