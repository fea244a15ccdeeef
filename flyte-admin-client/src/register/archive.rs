//! Package archives: what `pyflyte package` writes (`.tgz`, `.tar.gz`, `.tar`, or a directory
//! of `.pb` files), read the way flytectl reads them, and written the way pyflyte writes them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::package::{Entity, EntityKind, FastBundle, Package, PackageEntry, PackageError};

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
            source: Some(e),
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
                    source: None,
                });
            }
            let mut bytes = Vec::with_capacity(usize::try_from(size.min(1 << 20)).unwrap_or(0));
            entry.read_to_end(&mut bytes).map_err(corrupt)?;
            if bytes.len() as u64 != size {
                return Err(PackageError::CorruptArchive {
                    path: path.to_owned(),
                    message: format!("{name}: truncated ({} of {size} bytes)", bytes.len()),
                    source: None,
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
                message: match &e {
                    flyte_storage::Error::Transfer { message, .. } => message.clone(),
                    other => other.to_string(),
                },
                source: Some(Box::new(e)),
            })?;
        Package::from_archive_bytes(&shown, &bytes)
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
