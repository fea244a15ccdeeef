//! Packages of entities to register: read from pyflyte archives (see `archive.rs`) or built in
//! code (see [`crate::build`]), and why reading one can fail.

use std::fmt;
use std::path::PathBuf;

use bytes::Bytes;
use flyteidl::flyteidl::admin;
use flyteidl::flyteidl::core::{Identifier, ResourceType};
use prost::Message as _;

use crate::build::{fail, BuildError, ContainerTask, LaunchPlan, Workflow};

/// What kind of entity a package file holds.
///
/// Non-exhaustive: a file's suffix is its identifier's resource type, and Flyte's `ResourceType`
/// already has more values than these three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EntityKind {
    /// `_1.pb`: an `admin.TaskSpec`.
    Task,
    /// `_2.pb`: an `admin.WorkflowSpec`.
    Workflow,
    /// `_3.pb`: an `admin.LaunchPlan`.
    LaunchPlan,
}

impl EntityKind {
    /// `task`, `workflow` or `launch plan`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Task => "task",
            EntityKind::Workflow => "workflow",
            EntityKind::LaunchPlan => "launch plan",
        }
    }

    /// flytectl's order of attempts, with the kind the file name says first.
    pub(super) fn attempts(suffix: Option<EntityKind>) -> Vec<EntityKind> {
        let mut all = vec![
            EntityKind::Task,
            EntityKind::Workflow,
            EntityKind::LaunchPlan,
        ];
        if let Some(first) = suffix {
            all.retain(|k| *k != first);
            all.insert(0, first);
        }
        all
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entity to register.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Entity {
    /// A task.
    Task(admin::TaskSpec),
    /// A workflow (with its sub-workflows).
    Workflow(admin::WorkflowSpec),
    /// A launch plan.
    LaunchPlan(admin::LaunchPlan),
}

impl Entity {
    /// Its kind.
    pub fn kind(&self) -> EntityKind {
        match self {
            Entity::Task(_) => EntityKind::Task,
            Entity::Workflow(_) => EntityKind::Workflow,
            Entity::LaunchPlan(_) => EntityKind::LaunchPlan,
        }
    }

    /// Its identifier as written (before hydration, project, domain and version may be empty).
    pub fn id(&self) -> Identifier {
        let id = match self {
            Entity::Task(t) => t.template.as_ref().and_then(|t| t.id.as_ref()),
            Entity::Workflow(w) => w.template.as_ref().and_then(|t| t.id.as_ref()),
            Entity::LaunchPlan(l) => l.id.as_ref(),
        };
        id.cloned().unwrap_or_default()
    }

    pub(super) fn decode(kind: EntityKind, bytes: &[u8]) -> Result<Entity, prost::DecodeError> {
        Ok(match kind {
            EntityKind::Task => Entity::Task(admin::TaskSpec::decode(bytes)?),
            EntityKind::Workflow => Entity::Workflow(admin::WorkflowSpec::decode(bytes)?),
            EntityKind::LaunchPlan => Entity::LaunchPlan(admin::LaunchPlan::decode(bytes)?),
        })
    }

    /// The entity as bytes, as `pyflyte package` writes it.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Entity::Task(t) => t.encode_to_vec(),
            Entity::Workflow(w) => w.encode_to_vec(),
            Entity::LaunchPlan(l) => l.encode_to_vec(),
        }
    }
}

/// An entity and the file it came from ([`PackageEntry::new`] builds one).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PackageEntry {
    /// The file name inside the package (`00_demo.hello.say_hello_1.pb`), or a made-up name
    /// for entities built in code.
    pub file: String,
    /// The entity.
    pub entity: Entity,
    /// The file's bytes, sent (hydrated on the wire) instead of `entity` re-encoded, so that
    /// fields newer than the `flyteidl` crate are kept. `None` for entities built in code.
    pub(crate) raw: Option<Bytes>,
}

impl PackageEntry {
    /// An entity built in code, under a file name of your choosing.
    pub fn new(file: impl Into<String>, entity: Entity) -> PackageEntry {
        PackageEntry {
            file: file.into(),
            entity,
            raw: None,
        }
    }
}

/// The code bundle of a fast-registered package (`fast*.tar.gz`).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FastBundle {
    /// Its file name.
    pub name: String,
    /// Its bytes, as they will be uploaded.
    pub bytes: Vec<u8>,
}

impl FastBundle {
    /// A code bundle named `name` (pyflyte's `fast*.tar.gz`), with these bytes.
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> FastBundle {
        FastBundle {
            name: name.into(),
            bytes: bytes.into(),
        }
    }
}

impl fmt::Debug for FastBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FastBundle")
            .field("name", &self.name)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Why a package could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// The path could not be read.
    #[error("{path}: {source}")]
    #[non_exhaustive]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// Not an archive or directory flytectl would take.
    #[error("{path}: {reason}")]
    #[non_exhaustive]
    Unsupported {
        /// The path given.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The archive itself is damaged (bad gzip or tar data).
    #[error("{path}: not a readable archive: {message}")]
    #[non_exhaustive]
    CorruptArchive {
        /// The archive.
        path: PathBuf,
        /// What the reader found.
        message: String,
        /// The reader's error, when it failed (not for a file too large or cut short).
        source: Option<std::io::Error>,
    },
    /// A file that is neither a `.pb` nor a `fast*.tar.gz` bundle, as flytectl refuses it.
    #[error("{package}: unexpected file {file:?}: a package holds only .pb files and one fast*.tar.gz (run pyflyte package again)")]
    #[non_exhaustive]
    UnexpectedFile {
        /// The package.
        package: PathBuf,
        /// The file inside it.
        file: String,
    },
    /// An archive URL could not be downloaded.
    #[error("{url}: {message}")]
    #[non_exhaustive]
    Download {
        /// The URL, without its query.
        url: String,
        /// The status or failure.
        message: String,
        /// The transfer's error (from flyte-storage, boxed so that its type stays out of this
        /// API); like this error, it never shows the URL's query.
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A package over one of its [`ArchiveLimits`](super::ArchiveLimits), found from the sizes
    /// it declares before the file is read.
    #[error("{package}: {}over {limit}", file.as_deref().map(|f| format!("{f}: ")).unwrap_or_default())]
    #[non_exhaustive]
    OverLimit {
        /// The archive, directory or URL (without its query).
        package: PathBuf,
        /// The file inside it that went over, when the limit is about files.
        file: Option<String>,
        /// The limit and its value.
        limit: super::ArchiveLimit,
    },
    /// A `.pb` file that is no task, workflow or launch plan.
    #[error("{package}: {file}: not a task, workflow or launch plan: {message}")]
    #[non_exhaustive]
    BadEntity {
        /// The package.
        package: PathBuf,
        /// The file inside it.
        file: String,
        /// What failed, for each kind tried.
        message: String,
    },
}

/// Entities read from one or more packages, in the order flytectl would register them, and the
/// fast-register code bundle when there is one.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Package {
    /// The entities, sorted by file name (pyflyte's numbering makes that dependency order).
    pub entries: Vec<PackageEntry>,
    /// The code bundle (the last one read wins, as in flytectl).
    pub fast_bundle: Option<FastBundle>,
}

impl Package {
    /// Adds the entities of `other` (and its code bundle, if it has one: the last read wins, as
    /// in flytectl), keeping file-name order.
    pub fn extend(&mut self, other: Package) {
        self.entries.extend(other.entries);
        self.entries.sort_by(|a, b| a.file.cmp(&b.file));
        if other.fast_bundle.is_some() {
            self.fast_bundle = other.fast_bundle;
        }
    }

    fn push(&mut self, kind: u8, name: &str, entity: Entity) {
        let file = format!("{:03}_{name}_{kind}.pb", self.entries.len());
        self.entries.push(PackageEntry::new(file, entity));
    }

    fn has(&self, rt: ResourceType, name: &str) -> bool {
        self.entries.iter().any(|e| {
            let id = e.entity.id();
            id.resource_type == rt as i32 && id.name == name
        })
    }

    /// Adds a task.
    ///
    /// # Errors
    /// [`ContainerTask::spec`]'s; a task of that name already in the package.
    pub fn add_task(&mut self, task: &ContainerTask) -> Result<&mut Self, BuildError> {
        let spec = task.spec()?;
        if self.has(ResourceType::Task, task.name()) {
            return fail(&task.label(), "is already in the package");
        }
        self.push(1, task.name(), Entity::Task(spec));
        Ok(self)
    }

    /// Adds a workflow, after the tasks it runs.
    ///
    /// # Errors
    /// [`Workflow::spec`]'s; a node running a task built in Rust that is not in the package
    /// yet; a workflow of that name already in it.
    pub fn add_workflow(&mut self, workflow: &Workflow) -> Result<&mut Self, BuildError> {
        let spec = workflow.spec()?;
        let entity = format!("workflow {}", workflow.name());
        for (node, task) in workflow.local_tasks() {
            if !self.has(ResourceType::Task, task) {
                return fail(&format!("{entity} node {node}"), format!("task {task} is not in the package: add it first (or use Node::task_ref for a registered task)"));
            }
        }
        if self.has(ResourceType::Workflow, workflow.name()) {
            return fail(&entity, "is already in the package");
        }
        self.push(2, workflow.name(), Entity::Workflow(spec));
        Ok(self)
    }

    /// Adds a launch plan, after its workflow.
    ///
    /// # Errors
    /// [`LaunchPlan::spec`]'s; its workflow not in the package; a launch plan of that name
    /// already in it.
    pub fn add_launch_plan(&mut self, lp: &LaunchPlan) -> Result<&mut Self, BuildError> {
        let spec = lp.spec()?;
        let entity = format!("launch plan {}", lp.name());
        if !self.has(ResourceType::Workflow, lp.workflow()) {
            return fail(
                &entity,
                format!(
                    "workflow {} is not in the package: add it first",
                    lp.workflow()
                ),
            );
        }
        if self.has(ResourceType::LaunchPlan, lp.name()) {
            return fail(&entity, "is already in the package");
        }
        self.push(3, lp.name(), Entity::LaunchPlan(spec));
        Ok(self)
    }
}
