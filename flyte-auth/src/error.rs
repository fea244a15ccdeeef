//! The error type: opaque, with predicates for the decisions callers make.

use std::fmt;

/// A `Result` whose error defaults to this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// The identity provider rejected the client (`invalid_client`, `unauthorized_client`).
    InvalidClient,
    /// A code, refresh token or device code was refused (`invalid_grant`).
    InvalidGrant,
    /// The user or provider refused (`access_denied`, an `error=` callback).
    AccessDenied,
    /// The device code expired before the user approved.
    Expired,
    /// A login or request took longer than allowed.
    Timeout,
    /// A failure worth retrying: the network, 5xx, 429.
    Transient,
    /// The configuration cannot work (missing secret, bad URL, busy callback port).
    Config,
    /// The external command failed.
    Command,
    /// The server's answer made no sense.
    Protocol,
    /// FlyteAdmin's authorization server could not be found: neither `AuthMetadataService`
    /// over gRPC nor the HTTP discovery document answered.
    Discovery,
    /// The server has authentication turned off, so there is no token to get.
    Disabled,
}

/// An authentication failure: which flow, which endpoint, and what the identity provider said.
pub struct Error(Box<Inner>);

struct Inner {
    kind: Kind,
    flow: &'static str,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    pub(crate) fn new(kind: Kind, flow: &'static str, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            flow,
            message: message.into(),
            source: None,
        }))
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    /// A copy for another caller that waited on the same request (the source stays with the
    /// first).
    pub(crate) fn duplicate(&self) -> Self {
        Error::new(self.0.kind, self.0.flow, self.0.message.clone())
    }

    /// The message without the flow's name.
    pub(crate) fn message(&self) -> &str {
        &self.0.message
    }

    /// The kind of failure.
    pub fn kind(&self) -> Kind {
        self.0.kind
    }

    /// The flow that failed (`client credentials`, `PKCE`, `device flow`, ...).
    pub fn flow(&self) -> &'static str {
        self.0.flow
    }

    /// The identity provider rejected the client id or secret. Retrying will not help.
    pub fn is_invalid_client(&self) -> bool {
        self.0.kind == Kind::InvalidClient
    }

    /// A code, refresh token or device code was refused.
    pub fn is_invalid_grant(&self) -> bool {
        self.0.kind == Kind::InvalidGrant
    }

    /// The user or the provider refused the login.
    pub fn is_access_denied(&self) -> bool {
        self.0.kind == Kind::AccessDenied
    }

    /// A login or request ran out of time.
    pub fn is_timeout(&self) -> bool {
        self.0.kind == Kind::Timeout
    }

    /// Worth retrying later: the network or the provider failed, not the credentials.
    pub fn is_transient(&self) -> bool {
        matches!(self.0.kind, Kind::Transient | Kind::Timeout)
    }

    /// The configuration cannot work as written.
    pub fn is_config(&self) -> bool {
        self.0.kind == Kind::Config
    }

    /// FlyteAdmin's authorization server could not be discovered (the message names each place
    /// asked and its answer).
    pub fn is_discovery(&self) -> bool {
        self.0.kind == Kind::Discovery
    }

    /// The server has authentication turned off.
    pub fn is_disabled(&self) -> bool {
        self.0.kind == Kind::Disabled
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("flow", &self.0.flow)
            .field("message", &self.0.message)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.flow, self.0.message)
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
