//! What registration reports: each entity's outcome, and progress events as it goes.

use flyteidl::flyteidl::core::Identifier;

use super::package::EntityKind;

/// How one entity's registration ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// Created now.
    Registered,
    /// An identical entity was already registered (FlyteAdmin's ALREADY_EXISTS): success.
    AlreadyExisted,
    /// The server refused it, or it could not be sent.
    Failed,
    /// Not attempted: something it references failed, or registration stopped.
    Skipped,
    /// A dry run: checked, not sent.
    DryRun,
}

impl Outcome {
    /// Whether the entity is (or, in a dry run, would be) registered.
    pub fn is_success(self) -> bool {
        matches!(
            self,
            Outcome::Registered | Outcome::AlreadyExisted | Outcome::DryRun
        )
    }
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EntityReport {
    /// Task, workflow or launch plan.
    pub kind: EntityKind,
    /// The identifier it was registered under.
    pub id: Identifier,
    /// The package file it came from.
    pub file: String,
    /// How it ended.
    pub outcome: Outcome,
    /// FlyteAdmin's message (for "different structure", the server's diff), or why it was
    /// skipped.
    pub message: String,
}

/// What happened to every entity of a package.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// One row per entity, in package order.
    pub entities: Vec<EntityReport>,
    /// Where the code bundle was uploaded, for a fast-registered package.
    pub fast_bundle_uri: Option<String>,
}

impl Report {
    /// How many entities ended so.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.entities
            .iter()
            .filter(|e| e.outcome == outcome)
            .count()
    }

    /// Whether every entity is registered (or was already).
    pub fn is_success(&self) -> bool {
        self.entities.iter().all(|e| e.outcome.is_success())
    }
}

/// Progress, for a progress bar or a log.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RegisterEvent {
    /// The package was read and checked: this many entities will be registered.
    #[non_exhaustive]
    Planned {
        /// Entities in the package.
        entities: usize,
    },
    /// The code bundle is being uploaded.
    #[non_exhaustive]
    Uploading {
        /// Its file name.
        name: String,
        /// Its size.
        bytes: usize,
    },
    /// The code bundle is uploaded.
    #[non_exhaustive]
    Uploaded {
        /// Where it is.
        uri: String,
    },
    /// An entity is being sent.
    #[non_exhaustive]
    Started {
        /// Its kind.
        kind: EntityKind,
        /// Its identifier.
        id: Identifier,
    },
    /// An entity's registration ended.
    Finished(EntityReport),
}

/// Shows an identifier as `project:domain:name:version`.
pub fn display_id(id: &Identifier) -> String {
    format!("{}:{}:{}:{}", id.project, id.domain, id.name, id.version)
}
