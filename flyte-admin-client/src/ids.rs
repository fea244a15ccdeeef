//! Typed identifiers with `Display` and `FromStr` (`project:domain:name:version`,
//! `project:domain:name` for executions), and FlyteAdmin's execution-name rule.

use std::fmt;
use std::str::FromStr;

use flyteidl::flyteidl::core::{Identifier, ResourceType, WorkflowExecutionIdentifier};

/// Why an identifier could not be parsed or is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: {reason}")]
pub struct IdError {
    kind: &'static str,
    value: String,
    reason: String,
}

macro_rules! entity_id {
    ($name:ident, $kind:expr, $rt:expr, $doc:expr) => {
        #[doc = $doc]
        ///
        /// The organization ([`org`](Self::org)) is empty unless set with
        /// [`with_org`](Self::with_org) (flytectl's `--org`, for FlyteAdmin deployments that
        /// serve several); it is sent when set, and kept from the wire. The text form
        /// (`Display`, `FromStr`) has no organization.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub struct $name {
            /// Project.
            pub project: String,
            /// Domain.
            pub domain: String,
            /// Name.
            pub name: String,
            /// Version.
            pub version: String,
            /// Organization; empty for none.
            pub org: String,
        }

        impl $name {
            /// An id from its four parts.
            pub fn new(
                project: impl Into<String>,
                domain: impl Into<String>,
                name: impl Into<String>,
                version: impl Into<String>,
            ) -> Self {
                $name {
                    project: project.into(),
                    domain: domain.into(),
                    name: name.into(),
                    version: version.into(),
                    org: String::new(),
                }
            }

            /// The same id in organization `org`.
            #[must_use]
            pub fn with_org(mut self, org: impl Into<String>) -> Self {
                self.org = org.into();
                self
            }

            /// The wire identifier.
            pub fn to_pb(&self) -> Identifier {
                Identifier {
                    resource_type: $rt as i32,
                    project: self.project.clone(),
                    domain: self.domain.clone(),
                    name: self.name.clone(),
                    version: self.version.clone(),
                    org: self.org.clone(),
                }
            }

            /// From a wire identifier (its resource type is not checked).
            pub fn from_pb(id: &Identifier) -> Self {
                $name::new(&id.project, &id.domain, &id.name, &id.version).with_org(&id.org)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "{}:{}:{}:{}",
                    self.project, self.domain, self.name, self.version
                )
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            /// `project:domain:name:version`; the version may contain `:`.
            fn from_str(s: &str) -> Result<Self, IdError> {
                let err = |reason: &str| IdError {
                    kind: $kind,
                    value: s.to_owned(),
                    reason: reason.to_owned(),
                };
                let mut parts = s.splitn(4, ':');
                let (Some(p), Some(d), Some(n), Some(v)) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return Err(err("expected project:domain:name:version"));
                };
                if [p, d, n, v].iter().any(|x| x.is_empty()) {
                    return Err(err("no part may be empty"));
                }
                Ok($name::new(p, d, n, v))
            }
        }
    };
}

entity_id!(TaskId, "task id", ResourceType::Task, "A task version.");
entity_id!(
    WorkflowId,
    "workflow id",
    ResourceType::Workflow,
    "A workflow version."
);
entity_id!(
    LaunchPlanId,
    "launch plan id",
    ResourceType::LaunchPlan,
    "A launch plan version."
);

/// An execution.
///
/// The organization is empty unless set with [`with_org`](Self::with_org), as for
/// [`TaskId`]; the text form (`project:domain:name`) has none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ExecutionId {
    /// Project.
    pub project: String,
    /// Domain.
    pub domain: String,
    /// Name.
    pub name: String,
    /// Organization; empty for none.
    pub org: String,
}

impl ExecutionId {
    /// An execution id. The name is not checked here; see [`validate_execution_name`].
    pub fn new(
        project: impl Into<String>,
        domain: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        ExecutionId {
            project: project.into(),
            domain: domain.into(),
            name: name.into(),
            org: String::new(),
        }
    }

    /// The same execution in organization `org`.
    #[must_use]
    pub fn with_org(mut self, org: impl Into<String>) -> Self {
        self.org = org.into();
        self
    }

    /// The wire identifier.
    pub fn to_pb(&self) -> WorkflowExecutionIdentifier {
        WorkflowExecutionIdentifier {
            project: self.project.clone(),
            domain: self.domain.clone(),
            name: self.name.clone(),
            org: self.org.clone(),
        }
    }

    /// From a wire identifier.
    pub fn from_pb(id: &WorkflowExecutionIdentifier) -> Self {
        ExecutionId::new(&id.project, &id.domain, &id.name).with_org(&id.org)
    }
}

impl fmt::Display for ExecutionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.project, self.domain, self.name)
    }
}

impl FromStr for ExecutionId {
    type Err = IdError;
    /// `project:domain:name`.
    fn from_str(s: &str) -> Result<Self, IdError> {
        let err = |reason: &str| IdError {
            kind: "execution id",
            value: s.to_owned(),
            reason: reason.to_owned(),
        };
        let parts: Vec<&str> = s.split(':').collect();
        let [p, d, n] = parts.as_slice() else {
            return Err(err("expected project:domain:name"));
        };
        if [p, d, n].iter().any(|x| x.is_empty()) {
            return Err(err("no part may be empty"));
        }
        Ok(ExecutionId::new(*p, *d, *n))
    }
}

/// FlyteAdmin's rule for execution names, checked before sending: lowercased, it must match
/// `^[a-z][a-z\-0-9]*$` and be at most 63 characters. Returns the lowercased name.
///
/// # Errors
/// The name breaks the rule; the message is FlyteAdmin's.
pub fn validate_execution_name(name: &str) -> Result<String, IdError> {
    let lower = name.to_lowercase();
    let err = |reason: String| IdError {
        kind: "execution name",
        value: name.to_owned(),
        reason,
    };
    if lower.len() > 63 {
        return Err(err("size of name exceeded length 63".to_owned()));
    }
    let b = lower.as_bytes();
    let ok = b.first().is_some_and(u8::is_ascii_lowercase)
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
    if !ok {
        return Err(err(format!(
            "invalid name format: {lower}, does not match regex '^[a-z][a-z\\-0-9]*$'"
        )));
    }
    Ok(lower)
}

/// The characters of a generated execution name after its leading `a`: those of the Kubernetes
/// random strings FlyteAdmin uses, without vowels (no words) and without `0`, `1`, `3`.
const NAME_CHARS: &[u8; 27] = b"bcdfghjklmnpqrstvwxz2456789";

/// A new execution name shaped as FlyteAdmin's own (`a` and 19 characters of
/// `bcdfghjklmnpqrstvwxz2456789`, 20 in all), drawn from the system's secure random number
/// generator: naming an execution before sending it lets a create be repeated after a lost
/// answer without starting a second execution. `None` when the system has no random numbers
/// to give.
///
/// ```
/// let name = flyte_admin_client::generate_execution_name().unwrap_or_default();
/// assert!(name.is_empty() || flyte_admin_client::validate_execution_name(&name).is_ok());
/// ```
pub fn generate_execution_name() -> Option<String> {
    use ring::rand::SecureRandom as _;
    let random = ring::rand::SystemRandom::new();
    let mut name = String::with_capacity(20);
    name.push('a');
    // Bytes of 243 and more are drawn again: 243 = 9 * 27, so each character is equally likely.
    let mut bytes = [0u8; 32];
    while name.len() < 20 {
        random.fill(&mut bytes).ok()?;
        for b in bytes.iter().filter(|b| **b < 243) {
            if name.len() == 20 {
                break;
            }
            name.push(char::from(NAME_CHARS[usize::from(*b) % NAME_CHARS.len()]));
        }
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_are_shaped_as_flyteadmins_and_do_not_repeat() {
        let names: std::collections::HashSet<String> = (0..1000)
            .filter_map(|_| generate_execution_name())
            .collect();
        assert_eq!(names.len(), 1000, "a thousand different names");
        for name in &names {
            assert_eq!(name.len(), 20, "{name}");
            assert!(name.starts_with('a'), "{name}");
            assert!(name[1..].bytes().all(|c| NAME_CHARS.contains(&c)), "{name}");
            assert_eq!(validate_execution_name(name).as_ref(), Ok(name));
        }
        let used: std::collections::HashSet<u8> =
            names.iter().flat_map(|n| n[1..].bytes()).collect();
        assert_eq!(used.len(), NAME_CHARS.len(), "every character is drawn");
    }

    #[test]
    fn ids_round_trip_through_text() -> Result<(), IdError> {
        let t: TaskId = "flytesnacks:development:my.task:v1:extra".parse()?;
        assert_eq!(t.version, "v1:extra");
        assert_eq!(t.to_string().parse::<TaskId>()?, t);
        assert_eq!(t.to_pb().resource_type, ResourceType::Task as i32);
        let e: ExecutionId = "p:d:abc".parse()?;
        assert_eq!(ExecutionId::from_pb(&e.to_pb()), e);
        assert!("p:d".parse::<ExecutionId>().is_err());
        assert!("p::n:v".parse::<LaunchPlanId>().is_err());
        Ok(())
    }

    #[test]
    fn the_organization_is_sent_when_set_and_kept_from_the_wire() {
        let plain = LaunchPlanId::new("p", "d", "lp", "v1");
        assert_eq!(plain.to_pb().org, "", "empty by default");
        let in_org = plain.clone().with_org("acme");
        assert_eq!(in_org.to_pb().org, "acme");
        assert_eq!(LaunchPlanId::from_pb(&in_org.to_pb()), in_org);
        assert_ne!(
            in_org, plain,
            "another organization's entity is another entity"
        );
        let e = ExecutionId::new("p", "d", "run").with_org("acme");
        assert_eq!(e.to_pb().org, "acme");
        assert_eq!(ExecutionId::from_pb(&e.to_pb()), e);
        assert_eq!(e.to_string(), "p:d:run");
    }

    #[test]
    fn execution_names() {
        assert_eq!(
            validate_execution_name("MyRun-1").ok().as_deref(),
            Some("myrun-1")
        );
        assert!(validate_execution_name("my_run").is_err());
        assert!(validate_execution_name("1run").is_err());
        assert!(validate_execution_name(&"a".repeat(64)).is_err());
    }
}
