//! FlyteAdmin's error codes and messages, spelled as FlyteAdmin spells them.

use flyteidl::flyteidl::core::{Identifier, ResourceType, WorkflowExecutionIdentifier};
use tonic::Status;

pub(crate) type Result<T, E = Status> = std::result::Result<T, E>;

/// FlyteAdmin truncates error messages to this many bytes.
const MAX_MESSAGE_BYTES: usize = 32_000;

fn truncate(mut message: String) -> String {
    if message.len() > MAX_MESSAGE_BYTES {
        let mut end = MAX_MESSAGE_BYTES;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
    }
    message
}

pub(crate) fn invalid(message: impl Into<String>) -> Status {
    Status::invalid_argument(truncate(message.into()))
}

pub(crate) fn missing(field: &str) -> Status {
    invalid(format!("missing {field}"))
}

pub(crate) fn not_found(message: impl Into<String>) -> Status {
    Status::not_found(truncate(message.into()))
}

pub(crate) fn already_exists(message: impl Into<String>) -> Status {
    Status::already_exists(truncate(message.into()))
}

pub(crate) fn resource_type_name(t: i32) -> &'static str {
    ResourceType::try_from(t).map_or("UNSPECIFIED", |r| r.as_str_name())
}

/// An identifier as Go's `%v` prints the proto.
pub(crate) fn id_text(id: &Identifier) -> String {
    let mut s = format!(
        "resource_type:{} project:{:?} domain:{:?} name:{:?} version:{:?}",
        resource_type_name(id.resource_type),
        id.project,
        id.domain,
        id.name,
        id.version
    );
    if !id.org.is_empty() {
        s.push_str(&format!(" org:{:?}", id.org));
    }
    s
}

pub(crate) fn exec_id_text(id: &WorkflowExecutionIdentifier) -> String {
    format!(
        "project:{:?} domain:{:?} name:{:?}",
        id.project, id.domain, id.name
    )
}

/// `NOT_FOUND "missing entity of type TASK with identifier ..."`.
pub(crate) fn missing_entity(kind: &str, id: &Identifier) -> Status {
    not_found(format!(
        "missing entity of type {kind} with identifier {}",
        id_text(id)
    ))
}

pub(crate) fn missing_execution(id: &WorkflowExecutionIdentifier) -> Status {
    not_found(format!(
        "missing entity of type execution with identifier {}",
        exec_id_text(id)
    ))
}

/// The duplicate-key error FlyteAdmin passes through from Postgres.
pub(crate) fn duplicate(what: &str) -> Status {
    already_exists(format!("value with matching already exists ({what})"))
}
