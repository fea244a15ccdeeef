//! Package archives: what `pyflyte package` writes (`.tgz`, `.tar.gz`, `.tar`, or a directory
//! of `.pb` files), read the way flytectl reads them, and written the way pyflyte writes them.

use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::options::{ArchiveLimit, ArchiveLimits};
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

/// What one read has taken of its [`ArchiveLimits`] so far: every path or URL of one call
/// counts against the same totals.
struct Budget<'a> {
    limits: &'a ArchiveLimits,
    entries: usize,
    bytes: u64,
}

impl<'a> Budget<'a> {
    fn new(limits: &'a ArchiveLimits) -> Self {
        Budget {
            limits,
            entries: 0,
            bytes: 0,
        }
    }

    /// Counts one entry, refused when there are too many.
    fn count(&mut self, package: &Path) -> Result<(), PackageError> {
        self.entries += 1;
        if self.entries > self.limits.entries() {
            return Err(over(
                package,
                None,
                ArchiveLimit::Entries(self.limits.entries()),
            ));
        }
        Ok(())
    }

    /// How many bytes one tar stream may yield: what is left of the total, plus room for the
    /// headers and padding of every entry the count allows (1 KiB each) and 1 MiB of slack.
    fn stream_cap(&self) -> u64 {
        let headers = (self.limits.entries() as u64).saturating_mul(1024);
        self.limits
            .total_bytes()
            .saturating_sub(self.bytes)
            .saturating_add(headers)
            .saturating_add(1 << 20)
    }

    /// Takes `size` bytes for the file `name`, before it is read.
    fn take(&mut self, package: &Path, name: &str, size: u64) -> Result<(), PackageError> {
        if size > self.limits.entry_bytes() {
            let limit = ArchiveLimit::EntryBytes(self.limits.entry_bytes());
            return Err(over(package, Some(name), limit));
        }
        self.bytes = self.bytes.saturating_add(size);
        if self.bytes > self.limits.total_bytes() {
            let limit = ArchiveLimit::TotalBytes(self.limits.total_bytes());
            return Err(over(package, Some(name), limit));
        }
        Ok(())
    }
}

fn over(package: &Path, file: Option<&str>, limit: ArchiveLimit) -> PackageError {
    PackageError::OverLimit {
        package: package.to_owned(),
        file: file.map(str::to_owned),
        limit,
    }
}

/// What a package file is, from its name alone, so that nothing else is read.
enum FileKind {
    Entity,
    FastBundle,
}

fn file_kind(package: &Path, name: &str) -> Result<FileKind, PackageError> {
    if name.starts_with("fast") && name.ends_with(".tar.gz") {
        Ok(FileKind::FastBundle)
    } else if name.ends_with(".pb") {
        Ok(FileKind::Entity)
    } else {
        Err(PackageError::UnexpectedFile {
            package: package.to_owned(),
            file: name.to_owned(),
        })
    }
}

/// Reads a file whose size is known (and admitted) into a buffer of exactly that size, so that
/// it is never reallocated nor copied again; one byte more is read, to tell a file that grew.
fn read_sized(reader: impl Read, size: u64) -> std::io::Result<Vec<u8>> {
    // Over `usize` cannot pass the limits on a 32-bit target either; the buffer then grows.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    reader
        .take(size.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

impl Package {
    /// Reads `.tgz`, `.tar.gz` and `.tar` archives and directories of `.pb` files; several
    /// paths make one package. Within the default [`ArchiveLimits`]; see [`Package::open_with`].
    ///
    /// # Errors
    /// [`PackageError`], naming the path and the file inside it.
    pub fn open<P: AsRef<Path>>(
        paths: impl IntoIterator<Item = P>,
    ) -> Result<Package, PackageError> {
        Package::open_with(paths, &ArchiveLimits::default())
    }

    /// [`Package::open`] within `limits`, which all paths share.
    ///
    /// # Errors
    /// As [`Package::open`]; [`PackageError::OverLimit`] for a package over a limit, found
    /// before the file over it is read.
    pub fn open_with<P: AsRef<Path>>(
        paths: impl IntoIterator<Item = P>,
        limits: &ArchiveLimits,
    ) -> Result<Package, PackageError> {
        let mut package = Package::default();
        let mut budget = Budget::new(limits);
        for path in paths {
            package.add_path(path.as_ref(), &mut budget)?;
        }
        package.entries.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(package)
    }

    fn add_path(&mut self, path: &Path, budget: &mut Budget<'_>) -> Result<(), PackageError> {
        let io = |source| PackageError::Io {
            path: path.to_owned(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.is_dir() {
            // Every name and size is checked before any file is read.
            let mut files = Vec::new();
            for entry in std::fs::read_dir(path).map_err(io)? {
                let entry = entry.map_err(io)?;
                if entry.file_type().map_err(io)?.is_file() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    file_kind(path, &name)?;
                    budget.count(path)?;
                    let size = entry.metadata().map_err(io)?.len();
                    files.push((name, size));
                }
            }
            files.sort();
            for (name, size) in &files {
                budget.take(path, name, *size)?;
            }
            for (name, size) in files {
                let file_path = path.join(&name);
                let file_io = |source| PackageError::Io {
                    path: file_path.clone(),
                    source,
                };
                let file = std::fs::File::open(&file_path).map_err(file_io)?;
                let bytes = read_sized(file, size).map_err(file_io)?;
                if bytes.len() as u64 != size {
                    return Err(file_io(std::io::Error::other(format!(
                        "{} bytes where its size was {size}: it changed while being read",
                        bytes.len()
                    ))));
                }
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
        self.add_tar(path, reader, budget)
    }

    /// Reads a tar stream (already decompressed), each entry's name and declared size checked
    /// before its data is read.
    fn add_tar(
        &mut self,
        path: &Path,
        reader: impl Read,
        budget: &mut Budget<'_>,
    ) -> Result<(), PackageError> {
        let corrupt = |e: std::io::Error| PackageError::CorruptArchive {
            path: path.to_owned(),
            message: e.to_string(),
            source: Some(e),
        };
        // Every byte the tar reader pulls counts, not only the files it hands out: it reads GNU
        // long names and PAX headers whole before any entry is seen, so a small gzip of one
        // huge "long name" would get past the per-file checks below.
        let cap = budget.stream_cap();
        let total = budget.limits.total_bytes();
        let mut archive = tar::Archive::new(Capped::new(reader, cap));
        let capped = |e: std::io::Error| {
            if Capped::<&[u8]>::is_cap(&e) {
                over(path, None, ArchiveLimit::TotalBytes(total))
            } else {
                corrupt(e)
            }
        };
        for entry in archive.entries().map_err(capped)? {
            let mut entry = entry.map_err(capped)?;
            budget.count(path)?;
            // Directories and links are skipped, as flytectl keeps only regular files.
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let entry_path = entry.path().map_err(corrupt)?.into_owned();
            let name = entry_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            file_kind(path, &name)?;
            let size = entry.header().size().map_err(corrupt)?;
            budget.take(path, &name, size)?;
            let bytes = read_sized(&mut entry, size).map_err(capped)?;
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
        if let FileKind::FastBundle = file_kind(package, name)? {
            self.fast_bundle = Some(FastBundle {
                name: name.to_owned(),
                bytes,
            });
            return Ok(());
        }
        let mut failures = Vec::new();
        for kind in EntityKind::attempts(kind_from_name(name)) {
            match Entity::decode(kind, &bytes) {
                Ok(entity) if !entity.id().name.is_empty() => {
                    self.entries.push(PackageEntry {
                        file: name.to_owned(),
                        entity,
                        // The read buffer itself: `Bytes` takes the `Vec` without a copy.
                        raw: Some(Bytes::from(bytes)),
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
    /// signature or token may be) never appears in errors. Within the default
    /// [`ArchiveLimits`]; see [`Package::download_with`].
    ///
    /// # Errors
    /// [`PackageError::Unsupported`] for another scheme; [`PackageError::Download`] for a failed
    /// download or an answer other than 2xx; then as [`Package::from_archive_bytes`].
    pub async fn download(url: &str) -> Result<Package, PackageError> {
        Package::download_with(url, &ArchiveLimits::default()).await
    }

    /// [`Package::download`] within `limits`: the archive as sent may hold at most
    /// [`ArchiveLimits::max_download_bytes`], and what it holds the other limits.
    ///
    /// # Errors
    /// As [`Package::download`]; [`PackageError::OverLimit`] for an archive over a limit.
    pub async fn download_with(url: &str, limits: &ArchiveLimits) -> Result<Package, PackageError> {
        Package::download_through(&flyte_storage::SignedUrls::new(), url, limits).await
    }

    /// [`Package::download_with`] through `signed`: the HTTP client built from the config (its
    /// CA file, proxy and timeouts), as [`crate::AdminClient::download_package`] passes it.
    ///
    /// # Errors
    /// As [`Package::download_with`].
    pub async fn download_through(
        signed: &flyte_storage::SignedUrls,
        url: &str,
        limits: &ArchiveLimits,
    ) -> Result<Package, PackageError> {
        let shown = flyte_storage::redact_url(url);
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(PackageError::Unsupported {
                path: PathBuf::from(shown),
                reason: "expected an http:// or https:// URL".to_owned(),
            });
        }
        let bytes = fetch_limited(signed, url, &shown, limits.download_bytes()).await?;
        Package::from_archive_bytes_with(&shown, &bytes, limits)
    }

    /// Reads a package from bytes: a `.tar` stream, gzipped or not (told apart by the gzip
    /// magic number). `name` is used in errors. Within the default [`ArchiveLimits`]; see
    /// [`Package::from_archive_bytes_with`].
    ///
    /// # Errors
    /// As [`Package::open`].
    pub fn from_archive_bytes(name: &str, bytes: &[u8]) -> Result<Package, PackageError> {
        Package::from_archive_bytes_with(name, bytes, &ArchiveLimits::default())
    }

    /// [`Package::from_archive_bytes`] within `limits`.
    ///
    /// # Errors
    /// As [`Package::open_with`].
    pub fn from_archive_bytes_with(
        name: &str,
        bytes: &[u8],
        limits: &ArchiveLimits,
    ) -> Result<Package, PackageError> {
        let mut package = Package::default();
        let mut budget = Budget::new(limits);
        let path = PathBuf::from(name);
        if bytes.starts_with(&[0x1f, 0x8b]) {
            package.add_tar(&path, flate2::read::GzDecoder::new(bytes), &mut budget)?;
        } else {
            package.add_tar(&path, bytes, &mut budget)?;
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
            match &entry.raw {
                Some(raw) => add(&name, raw),
                None => add(&name, &entry.entity.encode()),
            }
            .map_err(io)?;
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

/// Fetches `url` whole through `signed`, refused as soon as it is known to be over `max` bytes
/// (from its `Content-Length`, or while it streams): no more than `max` bytes are ever held.
async fn fetch_limited(
    signed: &flyte_storage::SignedUrls,
    url: &str,
    shown: &str,
    max: u64,
) -> Result<Bytes, PackageError> {
    signed.get_limited(url, max).await.map_err(|e| {
        if e.is_too_large() {
            return over(Path::new(shown), None, ArchiveLimit::DownloadBytes(max));
        }
        PackageError::Download {
            url: shown.to_owned(),
            message: match &e {
                flyte_storage::Error::Transfer { message, .. } => message.clone(),
                other => other.to_string(),
            },
            source: Some(Box::new(e)),
        }
    })
}

/// A reader that fails once more than `left` bytes have been read from it, with an error
/// [`Capped::is_cap`] recognises.
struct Capped<R> {
    inner: R,
    left: u64,
}

/// The message of the error a [`Capped`] reader fails with.
const CAP_MESSAGE: &str = "flyte-rs: archive stream over its limit";

impl<R: Read> Capped<R> {
    fn new(inner: R, left: u64) -> Self {
        Capped { inner, left }
    }

    fn is_cap(e: &std::io::Error) -> bool {
        e.kind() == std::io::ErrorKind::Other
            && e.get_ref()
                .is_some_and(|inner| inner.to_string() == CAP_MESSAGE)
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a stream that ends exactly at the cap from one that goes on.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(CAP_MESSAGE)),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}
