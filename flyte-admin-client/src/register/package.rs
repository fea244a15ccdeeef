//! Packages of entities to register: what `pyflyte package` writes (`.tgz`, `.tar.gz`, `.tar`,
//! or a directory of `.pb` files), read the way flytectl reads them.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flyteidl::flyteidl::admin;
use flyteidl::flyteidl::core::Identifier;
use prost::Message as _;

/// What kind of entity a package file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    fn attempts(suffix: Option<EntityKind>) -> Vec<EntityKind> {
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

    fn decode(kind: EntityKind, bytes: &[u8]) -> Result<Entity, prost::DecodeError> {
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

/// An entity and the file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageEntry {
    /// The file name inside the package (`00_demo.hello.say_hello_1.pb`), or a made-up name
    /// for entities built in code.
    pub file: String,
    /// The entity.
    pub entity: Entity,
    /// The file's bytes, sent (hydrated on the wire) instead of `entity` re-encoded, so that
    /// fields newer than the `flyteidl` crate are kept. `None` for entities built in code.
    pub(crate) raw: Option<Arc<[u8]>>,
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
pub struct FastBundle {
    /// Its file name.
    pub name: String,
    /// Its bytes, as they will be uploaded.
    pub bytes: Vec<u8>,
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
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// Not an archive or directory flytectl would take.
    #[error("{path}: {reason}")]
    Unsupported {
        /// The path given.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The archive itself is damaged (bad gzip or tar data).
    #[error("{path}: not a readable archive: {message}")]
    CorruptArchive {
        /// The archive.
        path: PathBuf,
        /// What the reader found.
        message: String,
    },
    /// A file that is neither a `.pb` nor a `fast*.tar.gz` bundle, as flytectl refuses it.
    #[error("{package}: unexpected file {file:?}: a package holds only .pb files and one fast*.tar.gz (run pyflyte package again)")]
    UnexpectedFile {
        /// The package.
        package: PathBuf,
        /// The file inside it.
        file: String,
    },
    /// An archive URL could not be downloaded.
    #[error("{url}: {message}")]
    Download {
        /// The URL, without its query.
        url: String,
        /// The status or failure.
        message: String,
    },
    /// A `.pb` file that is no task, workflow or launch plan.
    #[error("{package}: {file}: not a task, workflow or launch plan: {message}")]
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
pub struct Package {
    /// The entities, sorted by file name (pyflyte's numbering makes that dependency order).
    pub entries: Vec<PackageEntry>,
    /// The code bundle (the last one read wins, as in flytectl).
    pub fast_bundle: Option<FastBundle>,
}

/// The entity kind a pyflyte file name promises: `..._1.pb` task, `_2` workflow, `_3` launch
/// plan.
fn kind_from_name(name: &str) -> Option<EntityKind> {
    let stem = name.strip_suffix(".pb")?;
    match stem.rsplit_once('_')?.1 {
        "1" => Some(EntityKind::Task),
        "2" => Some(EntityKind::Workflow),
        "3" => Some(EntityKind::LaunchPlan),
        _ => None,
    }
}

/// Largest file taken from a package (entities are kilobytes; code bundles can be large).
const MAX_FILE: u64 = 2 * 1024 * 1024 * 1024;

impl Package {
    /// Reads `.tgz`, `.tar.gz` and `.tar` archives and directories of `.pb` files; several
    /// paths make one package.
    ///
    /// # Errors
    /// [`PackageError`], naming the path and the file inside it.
    pub fn open<P: AsRef<Path>>(
        paths: impl IntoIterator<Item = P>,
    ) -> Result<Package, PackageError> {
        let mut package = Package::default();
        for path in paths {
            package.add_path(path.as_ref())?;
        }
        package.entries.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(package)
    }

    fn add_path(&mut self, path: &Path) -> Result<(), PackageError> {
        let io = |source| PackageError::Io {
            path: path.to_owned(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.is_dir() {
            let mut names = Vec::new();
            for entry in std::fs::read_dir(path).map_err(io)? {
                let entry = entry.map_err(io)?;
                if entry.file_type().map_err(io)?.is_file() {
                    names.push(entry.file_name().to_string_lossy().into_owned());
                }
            }
            names.sort();
            for name in names {
                let bytes = std::fs::read(path.join(&name)).map_err(io)?;
                self.add_file(path, &name, bytes)?;
            }
            return Ok(());
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let gzip = name.ends_with(".tgz") || name.ends_with(".tar.gz");
        if !gzip && !name.ends_with(".tar") {
            return Err(PackageError::Unsupported {
                path: path.to_owned(),
                reason: "expected a .tgz, .tar.gz or .tar archive, or a directory of .pb files"
                    .to_owned(),
            });
        }
        let file = std::fs::File::open(path).map_err(io)?;
        let reader: Box<dyn Read> = if gzip {
            Box::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)))
        } else {
            Box::new(std::io::BufReader::new(file))
        };
        self.add_tar(path, reader)
    }

    /// Reads a tar stream (already decompressed).
    fn add_tar(&mut self, path: &Path, reader: impl Read) -> Result<(), PackageError> {
        let corrupt = |e: std::io::Error| PackageError::CorruptArchive {
            path: path.to_owned(),
            message: e.to_string(),
        };
        let mut archive = tar::Archive::new(reader);
        for entry in archive.entries().map_err(corrupt)? {
            let mut entry = entry.map_err(corrupt)?;
            // Directories and links are skipped, as flytectl keeps only regular files.
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let entry_path = entry.path().map_err(corrupt)?.into_owned();
            let name = entry_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let size = entry.header().size().map_err(corrupt)?;
            if size > MAX_FILE {
                return Err(PackageError::CorruptArchive {
                    path: path.to_owned(),
                    message: format!("{name}: {size} bytes is more than a package file may hold"),
                });
            }
            let mut bytes = Vec::with_capacity(usize::try_from(size.min(1 << 20)).unwrap_or(0));
            entry.read_to_end(&mut bytes).map_err(corrupt)?;
            if bytes.len() as u64 != size {
                return Err(PackageError::CorruptArchive {
                    path: path.to_owned(),
                    message: format!("{name}: truncated ({} of {size} bytes)", bytes.len()),
                });
            }
            self.add_file(path, &name, bytes)?;
        }
        Ok(())
    }

    fn add_file(&mut self, package: &Path, name: &str, bytes: Vec<u8>) -> Result<(), PackageError> {
        if name.starts_with("fast") && name.ends_with(".tar.gz") {
            self.fast_bundle = Some(FastBundle {
                name: name.to_owned(),
                bytes,
            });
            return Ok(());
        }
        if !name.ends_with(".pb") {
            return Err(PackageError::UnexpectedFile {
                package: package.to_owned(),
                file: name.to_owned(),
            });
        }
        let mut failures = Vec::new();
        for kind in EntityKind::attempts(kind_from_name(name)) {
            match Entity::decode(kind, &bytes) {
                Ok(entity) if !entity.id().name.is_empty() => {
                    self.entries.push(PackageEntry {
                        file: name.to_owned(),
                        entity,
                        raw: Some(Arc::from(bytes)),
                    });
                    return Ok(());
                }
                Ok(_) => failures.push(format!("as a {kind}: no identifier name")),
                Err(e) => failures.push(format!("as a {kind}: {e}")),
            }
        }
        Err(PackageError::BadEntity {
            package: package.to_owned(),
            file: name.to_owned(),
            message: failures.join("; "),
        })
    }

    /// Downloads an archive from an `http://` or `https://` URL (a release asset, an artifact
    /// store), as `flytectl register files --archive URL` does, and reads it like
    /// [`Package::from_archive_bytes`]. Redirects are followed; the URL's query (where a
    /// signature or token may be) never appears in errors.
    ///
    /// # Errors
    /// [`PackageError::Unsupported`] for another scheme; [`PackageError::Download`] for a failed
    /// download or an answer other than 2xx; then as [`Package::from_archive_bytes`].
    pub async fn download(url: &str) -> Result<Package, PackageError> {
        let shown = flyte_storage::redact_url(url);
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(PackageError::Unsupported {
                path: PathBuf::from(shown),
                reason: "expected an http:// or https:// URL".to_owned(),
            });
        }
        let bytes = flyte_storage::SignedUrls::new()
            .get(url)
            .await
            .map_err(|e| PackageError::Download {
                url: shown.clone(),
                message: match e {
                    flyte_storage::Error::Transfer { message, .. } => message,
                    other => other.to_string(),
                },
            })?;
        Package::from_archive_bytes(&shown, &bytes)
    }

    /// Adds the entities of `other` (and its code bundle, if it has one: the last read wins, as
    /// in flytectl), keeping file-name order.
    pub fn extend(&mut self, other: Package) {
        self.entries.extend(other.entries);
        self.entries.sort_by(|a, b| a.file.cmp(&b.file));
        if other.fast_bundle.is_some() {
            self.fast_bundle = other.fast_bundle;
        }
    }

    /// Reads a package from bytes: a `.tar` stream, gzipped or not (told apart by the gzip
    /// magic number). `name` is used in errors.
    ///
    /// # Errors
    /// As [`Package::open`].
    pub fn from_archive_bytes(name: &str, bytes: &[u8]) -> Result<Package, PackageError> {
        let mut package = Package::default();
        let path = PathBuf::from(name);
        if bytes.starts_with(&[0x1f, 0x8b]) {
            package.add_tar(&path, flate2::read::GzDecoder::new(bytes))?;
        } else {
            package.add_tar(&path, bytes)?;
        }
        package.entries.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(package)
    }

    /// Writes the package as `pyflyte package` does: a gzipped tar of
    /// `{index}_{name}_{1|2|3}.pb` files (and the code bundle), which flytectl and flyte-rs
    /// both register.
    ///
    /// # Errors
    /// The file's failures.
    pub fn write_archive(&self, path: impl AsRef<Path>) -> Result<(), PackageError> {
        let path = path.as_ref();
        let io = |source| PackageError::Io {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::create(path).map_err(io)?;
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        let width = self.entries.len().max(1).to_string().len().max(2);
        let mut add = |name: &str, bytes: &[u8]| {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, bytes)
        };
        for (i, entry) in self.entries.iter().enumerate() {
            let suffix = match entry.entity.kind() {
                EntityKind::Task => 1,
                EntityKind::Workflow => 2,
                EntityKind::LaunchPlan => 3,
            };
            let name = format!("{i:0width$}_{}_{suffix}.pb", entry.entity.id().name);
            let bytes = match &entry.raw {
                Some(raw) => raw.to_vec(),
                None => entry.entity.encode(),
            };
            add(&name, &bytes).map_err(io)?;
        }
        if let Some(bundle) = &self.fast_bundle {
            add(&bundle.name, &bundle.bytes).map_err(io)?;
        }
        tar.into_inner()
            .and_then(|gz| gz.finish())
            .map(|_| ())
            .map_err(io)
    }
}
