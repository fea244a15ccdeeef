//! [`FlyteStorage`]: one handle over the blob store a Flyte deployment uses, addressed by the
//! URIs Flyte writes.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use flyte_config::{StorageConfig, StorageType};
use futures::stream::BoxStream;
use futures::{StreamExt as _, TryStreamExt as _};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt as _, WriteMultipart};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::error::{Error, Result, UriProblem};
use crate::options::CloudOptions;
use crate::uri::{FlyteUri, Scheme};

/// Uploads above this size go in parts (flytestdlib's default part size is 5 MiB; S3's minimum).
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;
/// The size of each part of a multipart upload.
pub const DEFAULT_PART_SIZE: usize = 8 * 1024 * 1024;
/// How many parts are in flight at once.
pub const DEFAULT_PART_CONCURRENCY: usize = 4;
/// The largest object [`FlyteStorage::get`] reads into memory unless configured otherwise:
/// 2 MiB, flytestdlib's default for `storage.limits.maxDownloadMBs`.
pub const DEFAULT_MAX_DOWNLOAD_BYTES: u64 = 2 * 1024 * 1024;
/// The most bytes [`FlyteStorage::read_literal_map`] (and its kin) read in one call, across
/// all the offloaded literals it follows, unless [`FlyteStorage::max_literal_bytes`] sets
/// another: 256 MiB. Each read is also bounded by [`FlyteStorage::max_download_bytes`], but a
/// map whose 10,000 entries name the same 2 MiB object would otherwise decode to gigabytes.
pub const DEFAULT_MAX_LITERAL_BYTES: u64 = 256 * 1024 * 1024;
/// The most memory [`FlyteStorage::get`] reserves ahead from the size a store reports (a store
/// may report any size; the body grows past this as it actually arrives).
const MAX_INITIAL_CAPACITY: u64 = 8 * 1024 * 1024;

/// What raises the limit, for [`Error::TooLarge`].
const DOWNLOAD_LIMIT_SETTING: &str =
    "storage.limits.maxDownloadMBs (0: no limit; FlyteStorage::max_download_bytes in code)";
/// What raises the total of offloaded literals, for [`Error::TooLarge`].
pub(crate) const LITERAL_LIMIT_SETTING: &str =
    "FlyteStorage::max_literal_bytes (the total read for one literal map; 0: no limit)";

/// What [`FlyteStorage::head`] and [`FlyteStorage::list`] report of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectInfo {
    /// The object's URI.
    pub uri: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written, in seconds since the Unix epoch.
    pub last_modified: i64,
    /// The store's entity tag, when it has one.
    pub e_tag: Option<String>,
}

impl ObjectInfo {
    fn new(uri: String, meta: object_store::ObjectMeta) -> ObjectInfo {
        ObjectInfo {
            uri,
            size: meta.size,
            last_modified: meta.last_modified.timestamp(),
            e_tag: meta.e_tag,
        }
    }
}

#[derive(Debug)]
enum Backend {
    /// Every bucket in one in-memory store, as `bucket/key`.
    Memory(Arc<InMemory>),
    /// Every bucket a directory under `root`, the directory itself with every symlink
    /// resolved (the only place offloaded literals may name by `file://` URI).
    Local(Arc<LocalFileSystem>, PathBuf),
    /// S3 (or MinIO), GCS or Azure; one client per bucket, made on first use.
    #[cfg(any(feature = "aws", feature = "gcp", feature = "azure"))]
    Cloud(Box<crate::cloud::CloudStores>),
}

#[derive(Debug, Clone)]
struct Inner {
    backend: Arc<Backend>,
    /// Files named by `file://` URIs and plain paths.
    files: Arc<LocalFileSystem>,
    container: String,
    multicontainer: bool,
    multipart_threshold: u64,
    part_size: usize,
    part_concurrency: usize,
    /// 0: no limit.
    max_download_bytes: u64,
    /// 0: no limit.
    max_literal_bytes: u64,
}

/// Flyte's blob storage. Cheap to clone; clones share the connections.
#[derive(Debug, Clone)]
pub struct FlyteStorage {
    inner: Arc<Inner>,
}

impl FlyteStorage {
    fn with_backend(backend: Backend) -> FlyteStorage {
        FlyteStorage {
            inner: Arc::new(Inner {
                backend: Arc::new(backend),
                files: Arc::new(LocalFileSystem::new()),
                container: String::new(),
                multicontainer: true,
                multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
                part_size: DEFAULT_PART_SIZE,
                part_concurrency: DEFAULT_PART_CONCURRENCY,
                max_download_bytes: DEFAULT_MAX_DOWNLOAD_BYTES,
                max_literal_bytes: DEFAULT_MAX_LITERAL_BYTES,
            }),
        }
    }

    /// An in-memory store (flytestdlib's `mem`): every bucket lives in this process.
    pub fn memory() -> FlyteStorage {
        FlyteStorage::with_backend(Backend::Memory(Arc::new(InMemory::new())))
    }

    /// A store on the local disk: bucket `b` is the directory `root/b`.
    ///
    /// # Errors
    /// [`Error::Config`] when `root` cannot be created.
    pub fn local(root: impl AsRef<Path>) -> Result<FlyteStorage> {
        let root = root.as_ref();
        std::fs::create_dir_all(root).map_err(|e| {
            Error::config(format!("cannot create {}: {e}", root.display())).with_source(e)
        })?;
        let fs = LocalFileSystem::new_with_prefix(root)
            .map_err(|e| Error::config(format!("{}: {e}", root.display())).with_source(e))?;
        let real = std::fs::canonicalize(root)
            .map_err(|e| Error::config(format!("{}: {e}", root.display())).with_source(e))?;
        Ok(FlyteStorage::with_backend(Backend::Local(
            Arc::new(fs),
            real,
        )))
    }

    /// The store flytectl's `storage` section names.
    ///
    /// The cloud stores use [`CloudOptions::default`]; see [`FlyteStorage::cloud_options`].
    ///
    /// # Errors
    /// [`Error::Config`]: a `local` store without `stow.config.path`, incomplete credentials,
    /// or a cloud store whose cargo feature (`aws`, `gcp`, `azure`) this build lacks.
    pub fn from_config(config: &StorageConfig) -> Result<FlyteStorage> {
        let stow_kind = config.stow.kind.to_ascii_lowercase();
        let store = match (config.kind, stow_kind.as_str()) {
            (StorageType::Mem, _) => FlyteStorage::memory(),
            (StorageType::Local, _) | (StorageType::Stow, "local") => {
                let path = config.stow.config.get("path").ok_or_else(|| {
                    Error::config(
                        "local storage needs storage.stow.config.path, the directory that holds the buckets",
                    )
                })?;
                FlyteStorage::local(PathBuf::from(path))?
            }
            (kind, stow) => {
                #[cfg(any(feature = "aws", feature = "gcp", feature = "azure"))]
                if let Some(provider) = crate::cloud::Provider::from_config(config, stow)? {
                    let stores = crate::cloud::CloudStores::new(provider, CloudOptions::default());
                    let store = FlyteStorage::with_backend(Backend::Cloud(Box::new(stores)));
                    return Ok(store
                        .container(&config.container, config.enable_multicontainer)
                        .max_download_bytes(download_limit(config)));
                }
                let (name, feature) = match (kind, stow) {
                    (StorageType::S3, _) => ("s3".to_owned(), Some("aws")),
                    (StorageType::Minio, _) => ("minio".to_owned(), Some("aws")),
                    (_, "s3") => ("stow kind \"s3\"".to_owned(), Some("aws")),
                    (_, "google") => ("stow kind \"google\"".to_owned(), Some("gcp")),
                    (_, "azure") => ("stow kind \"azure\"".to_owned(), Some("azure")),
                    (_, other) => (format!("stow kind {other:?}"), None),
                };
                let hint = match feature {
                    Some(f) => format!(" (build flyte-storage with the `{f}` feature)"),
                    None => "; supported: s3, minio, local, mem, and stow kinds s3, google, azure, local".to_owned(),
                };
                return Err(Error::config(format!(
                    "{name} storage is not supported by this build of flyte-storage{hint}"
                )));
            }
        };
        Ok(store
            .container(&config.container, config.enable_multicontainer)
            .max_download_bytes(download_limit(config)))
    }

    /// The largest object [`FlyteStorage::get`] (and what reads through it: protobuf files,
    /// literals) reads into memory, in bytes; 0 for no limit. From a config,
    /// `storage.limits.maxDownloadMBs` MiB; [`DEFAULT_MAX_DOWNLOAD_BYTES`] otherwise.
    /// [`FlyteStorage::get_file`] and [`FlyteStorage::get_range`] are not limited.
    #[must_use]
    pub fn max_download_bytes(self, limit: u64) -> FlyteStorage {
        self.tune(|i| i.max_download_bytes = limit)
    }

    /// The most bytes one [`FlyteStorage::read_literal_map`], [`FlyteStorage::resolve_literal_map`]
    /// or [`FlyteStorage::read_literal`] reads in total, over every offloaded literal it
    /// follows; 0 for no limit. [`DEFAULT_MAX_LITERAL_BYTES`] unless set.
    #[must_use]
    pub fn max_literal_bytes(self, limit: u64) -> FlyteStorage {
        self.tune(|i| i.max_literal_bytes = limit)
    }

    pub(crate) fn literal_limit(&self) -> u64 {
        self.inner.max_literal_bytes
    }

    /// The configured bucket (`storage.container`) and whether other buckets may be used
    /// (`storage.enable-multicontainer`). With a container and without multicontainer, a URI in
    /// another bucket is an [`Error::InvalidUri`].
    #[must_use]
    pub fn container(self, container: &str, multicontainer: bool) -> FlyteStorage {
        self.tune(|i| {
            i.container = container.to_owned();
            i.multicontainer = multicontainer || container.is_empty();
        })
    }

    /// Multipart settings for [`FlyteStorage::put_file`]: uploads above `threshold` bytes go in
    /// parts of `part_size`, `concurrency` at a time.
    #[must_use]
    pub fn multipart(self, threshold: u64, part_size: usize, concurrency: usize) -> FlyteStorage {
        self.tune(|i| {
            i.multipart_threshold = threshold;
            i.part_size = part_size.max(1);
            i.part_concurrency = concurrency.max(1);
        })
    }

    /// The configured container as a URI (`s3://my-bucket`, `gs://...`, `abfs://...`): where
    /// flytectl writes what has no other place, such as code bundles without a data proxy.
    /// `None` when no container is configured.
    pub fn base_container(&self) -> Option<String> {
        if self.inner.container.is_empty() {
            return None;
        }
        let scheme = match &*self.inner.backend {
            #[cfg(any(feature = "aws", feature = "gcp", feature = "azure"))]
            Backend::Cloud(c) => c.scheme(),
            _ => Scheme::S3,
        };
        Some(format!("{}://{}", scheme.as_str(), self.inner.container))
    }

    /// Retries and timeouts of the cloud stores (see [`CloudOptions`] for the defaults and why);
    /// memory and local stores ignore them.
    #[must_use]
    pub fn cloud_options(self, options: CloudOptions) -> FlyteStorage {
        self.tune(|i| {
            #[cfg(any(feature = "aws", feature = "gcp", feature = "azure"))]
            if let Backend::Cloud(stores) = &*i.backend {
                i.backend = Arc::new(Backend::Cloud(Box::new(stores.with_options(options))));
            }
            #[cfg(not(any(feature = "aws", feature = "gcp", feature = "azure")))]
            let _ = (i, options);
        })
    }

    fn tune(self, f: impl FnOnce(&mut Inner)) -> FlyteStorage {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        f(&mut inner);
        FlyteStorage {
            inner: Arc::new(inner),
        }
    }

    /// The store and path behind a URI, after the container rule.
    fn locate(&self, uri: &str) -> Result<(Arc<dyn ObjectStore>, StorePath, FlyteUri)> {
        let parsed = FlyteUri::parse(uri)?;
        let invalid =
            |problem: UriProblem, reason: String| Error::invalid_uri(uri, problem, reason);
        if parsed.scheme() == Scheme::File {
            let path = StorePath::from_absolute_path(parsed.key()).map_err(|e| {
                invalid(UriProblem::Path, format!("not a usable path: {e}")).with_source(e)
            })?;
            return Ok((
                Arc::clone(&self.inner.files) as Arc<dyn ObjectStore>,
                path,
                parsed,
            ));
        }
        if !self.inner.multicontainer && parsed.bucket() != self.inner.container {
            return Err(invalid(
                UriProblem::OutsideContainer,
                format!(
                    "bucket {:?} is outside the configured container {:?} (storage.enable-multicontainer is off)",
                    parsed.bucket(),
                    self.inner.container
                ),
            ));
        }
        let key = |k: String| {
            StorePath::parse(k).map_err(|e| {
                invalid(UriProblem::Key, format!("not a valid object key: {e}")).with_source(e)
            })
        };
        let bucket_key = || key(format!("{}/{}", parsed.bucket(), parsed.key()));
        let (store, path): (Arc<dyn ObjectStore>, StorePath) = match &*self.inner.backend {
            Backend::Memory(m) => (Arc::clone(m) as Arc<dyn ObjectStore>, bucket_key()?),
            Backend::Local(l, _) => (Arc::clone(l) as Arc<dyn ObjectStore>, bucket_key()?),
            #[cfg(any(feature = "aws", feature = "gcp", feature = "azure"))]
            Backend::Cloud(stores) => (stores.store(uri, &parsed)?, key(parsed.key().to_owned())?),
        };
        Ok((store, path, parsed))
    }

    /// The URI an offloaded literal may be read from in place of `uri`, or why not. Cloud
    /// stores already refuse other stores' schemes; a `file://` URI or plain path, which any
    /// store would otherwise read from this machine, is followed only by a local store and only
    /// to a regular file under its root (the path with every symlink resolved, which is what is
    /// then read, so a link or `..` cannot lead out of it and a FIFO cannot hang the read).
    pub(crate) async fn followable(&self, uri: &str) -> Result<String> {
        let parsed = FlyteUri::parse(uri)?;
        if parsed.scheme() != Scheme::File {
            return Ok(uri.to_owned());
        }
        let outside = |reason: String| Error::invalid_uri(uri, UriProblem::OutsideStore, reason);
        let Backend::Local(_, root) = &*self.inner.backend else {
            return Err(outside(
                "an offloaded literal may not name a local file: this store is not on the local disk"
                    .to_owned(),
            ));
        };
        let real = match tokio::fs::canonicalize(parsed.key()).await {
            Ok(real) => real,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::not_found(uri).with_source(e))
            }
            Err(e) => return Err(outside(format!("cannot resolve the path: {e}")).with_source(e)),
        };
        if !real.starts_with(root) {
            return Err(outside(format!(
                "not under the local store's root {}",
                root.display()
            )));
        }
        let meta = tokio::fs::metadata(&real)
            .await
            .map_err(|e| Error::other(uri, e.to_string()).with_source(e))?;
        if !meta.is_file() {
            return Err(outside("not a regular file".to_owned()));
        }
        Ok(real.display().to_string())
    }

    /// The file behind a URI when the store is the local disk (a `file://` URI or a local
    /// store), so transfers can be plain file copies.
    fn local_file(&self, uri: &str) -> Result<Option<PathBuf>> {
        let (_, path, parsed) = self.locate(uri)?;
        let fs = match (&*self.inner.backend, parsed.scheme()) {
            (_, Scheme::File) => &self.inner.files,
            (Backend::Local(fs, _), _) => fs,
            _ => return Ok(None),
        };
        fs.path_to_filesystem(&path)
            .map(Some)
            .map_err(|e| Error::from_store(uri, e))
    }

    /// The whole object, in memory: up to [`FlyteStorage::max_download_bytes`], checked from
    /// the size the store reports before the body is read, and while reading it.
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::TooLarge`], a bad URI, the store's failures.
    pub async fn get(&self, uri: &str) -> Result<Bytes> {
        self.get_within(uri, u64::MAX, DOWNLOAD_LIMIT_SETTING).await
    }

    /// [`FlyteStorage::get`] with at most `limit` bytes (`setting` raises it), or the download
    /// limit where that is lower.
    pub(crate) async fn get_within(&self, uri: &str, limit: u64, setting: &str) -> Result<Bytes> {
        let (store, path, _) = self.locate(uri)?;
        let got = store
            .get(&path)
            .await
            .map_err(|e| Error::from_store(uri, e))?;
        let (limit, setting) = match self.inner.max_download_bytes {
            0 => (limit, setting),
            n if n < limit => (n, DOWNLOAD_LIMIT_SETTING),
            _ => (limit, setting),
        };
        let too_large = |size| Error::too_large(uri, size, limit, setting);
        if got.meta.size > limit {
            return Err(too_large(Some(got.meta.size)));
        }
        let mut body = BytesMut::with_capacity(initial_capacity(got.meta.size));
        let mut chunks = got.into_stream();
        while let Some(chunk) = chunks
            .try_next()
            .await
            .map_err(|e| Error::from_store(uri, e))?
        {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(too_large(None));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }

    /// Bytes `range` of the object.
    ///
    /// # Errors
    /// As [`FlyteStorage::get`]; a range past the end.
    pub async fn get_range(&self, uri: &str, range: Range<u64>) -> Result<Bytes> {
        let (store, path, _) = self.locate(uri)?;
        store
            .get_range(&path, range)
            .await
            .map_err(|e| Error::from_store(uri, e))
    }

    /// Streams the object into the file at `dest`, holding one chunk in memory at a time; on
    /// the local disk, a file copy. The data goes to a new file beside `dest` that is renamed
    /// over it once complete: a failure leaves `dest` as it was (and no temporary file).
    /// Returns the number of bytes written.
    ///
    /// # Errors
    /// As [`FlyteStorage::get`] (without the size limit); [`Error::InvalidUri`] with
    /// [`UriProblem::SameFile`] when `dest` is the file the URI names (through any symlink or
    /// hard link); the file's failures.
    pub async fn get_file(&self, uri: &str, dest: impl AsRef<Path>) -> Result<u64> {
        let dest = dest.as_ref();
        if let Some(src) = self.local_file(uri)? {
            let source = match tokio::fs::metadata(&src).await {
                Ok(meta) => meta,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Error::not_found(uri).with_source(e))
                }
                Err(e) => {
                    return Err(Error::other(uri, format!("{}: {e}", src.display())).with_source(e))
                }
            };
            if same_file(&src, &source, dest).await {
                return Err(Error::invalid_uri(
                    uri,
                    UriProblem::SameFile,
                    format!("{} is the file this would read", dest.display()),
                ));
            }
            return write_beside(uri, dest, |mut file| async move {
                let mut from = tokio::fs::File::open(&src).await?;
                let n = tokio::io::copy(&mut from, &mut file).await?;
                file.flush().await?;
                Ok(n)
            })
            .await;
        }
        let (store, path, _) = self.locate(uri)?;
        let got = store
            .get(&path)
            .await
            .map_err(|e| Error::from_store(uri, e))?;
        let mut chunks = got.into_stream();
        let mut failed = None;
        let written = write_beside(uri, dest, |mut file| {
            let failed = &mut failed;
            async move {
                let mut written = 0u64;
                loop {
                    match chunks.try_next().await {
                        Ok(Some(chunk)) => {
                            file.write_all(&chunk).await?;
                            written += chunk.len() as u64;
                        }
                        Ok(None) => break,
                        Err(e) => {
                            *failed = Some(e);
                            return Err(std::io::Error::other("the download failed"));
                        }
                    }
                }
                file.flush().await?;
                Ok(written)
            }
        })
        .await;
        match (written, failed) {
            (_, Some(e)) => Err(Error::from_store(uri, e)),
            (written, None) => written,
        }
    }

    /// Writes the object whole.
    ///
    /// # Errors
    /// A bad URI, the store's failures.
    pub async fn put(&self, uri: &str, data: impl Into<Bytes>) -> Result<()> {
        let (store, path, _) = self.locate(uri)?;
        store
            .put(&path, data.into().into())
            .await
            .map(|_| ())
            .map_err(|e| Error::from_store(uri, e))
    }

    /// Uploads the file at `src`, in parts above the multipart threshold (the file is read a
    /// part at a time); on the local disk, a file copy renamed into place. Returns the number
    /// of bytes sent.
    ///
    /// # Errors
    /// A bad URI, the file's and the store's failures (a failed multipart upload is aborted).
    pub async fn put_file(&self, uri: &str, src: impl AsRef<Path>) -> Result<u64> {
        let src = src.as_ref();
        let file_err = |e: std::io::Error| {
            Error::other(uri, format!("reading {}: {e}", src.display())).with_source(e)
        };
        if let Some(dest) = self.local_file(uri)? {
            return copy_in(uri, src, &dest).await;
        }
        let (store, path, _) = self.locate(uri)?;
        let mut file = tokio::fs::File::open(src).await.map_err(file_err)?;
        let size = file.metadata().await.map_err(file_err)?.len();
        if size <= self.inner.multipart_threshold {
            let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            file.read_to_end(&mut buf).await.map_err(file_err)?;
            store
                .put(&path, Bytes::from(buf).into())
                .await
                .map_err(|e| Error::from_store(uri, e))?;
            return Ok(size);
        }
        let upload = store
            .put_multipart(&path)
            .await
            .map_err(|e| Error::from_store(uri, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.inner.part_size);
        let mut buf = vec![0u8; self.inner.part_size];
        let mut sent = 0u64;
        loop {
            let n = match file.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(file_err(e));
                }
            };
            if n == 0 {
                break;
            }
            if let Err(e) = writer.wait_for_capacity(self.inner.part_concurrency).await {
                let _ = writer.abort().await;
                return Err(Error::from_store(uri, e));
            }
            writer.write(&buf[..n]);
            sent += n as u64;
        }
        writer
            .finish()
            .await
            .map_err(|e| Error::from_store(uri, e))?;
        Ok(sent)
    }

    /// The object's size, time and entity tag.
    ///
    /// # Errors
    /// [`Error::NotFound`], a bad URI, the store's failures.
    pub async fn head(&self, uri: &str) -> Result<ObjectInfo> {
        let (store, path, _) = self.locate(uri)?;
        let meta = store
            .head(&path)
            .await
            .map_err(|e| Error::from_store(uri, e))?;
        Ok(ObjectInfo::new(uri.to_owned(), meta))
    }

    /// Whether an object exists at the URI.
    ///
    /// # Errors
    /// A bad URI and failures other than "not found".
    pub async fn exists(&self, uri: &str) -> Result<bool> {
        match self.head(uri).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes the object (deleting what is not there succeeds).
    ///
    /// # Errors
    /// A bad URI, the store's failures.
    pub async fn delete(&self, uri: &str) -> Result<()> {
        let (store, path, _) = self.locate(uri)?;
        match store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Error::from_store(uri, e)),
        }
    }

    /// Copies an object within the store.
    ///
    /// # Errors
    /// [`Error::NotFound`] for the source, bad URIs, URIs in different stores.
    pub async fn copy(&self, from: &str, to: &str) -> Result<()> {
        let (store, src, from_uri) = self.locate(from)?;
        let (_, dst, to_uri) = self.locate(to)?;
        // Across the file/store boundary, a file transfer: no size limit, one chunk at a time.
        match (
            from_uri.scheme() == Scheme::File,
            to_uri.scheme() == Scheme::File,
        ) {
            (true, false) => return self.put_file(to, from_uri.key()).await.map(|_| ()),
            (false, true) => return self.get_file(from, to_uri.key()).await.map(|_| ()),
            _ => {}
        }
        store
            .copy(&src, &dst)
            .await
            .map_err(|e| Error::from_store(from, e))
    }

    /// Every object under the prefix, as a stream (one listing page held at a time).
    pub fn list(&self, prefix: &str) -> BoxStream<'static, Result<ObjectInfo>> {
        let (store, path, parsed) = match self.locate(prefix) {
            Ok(found) => found,
            Err(e) => return futures::stream::once(futures::future::ready(Err(e))).boxed(),
        };
        let prefix_text = prefix.to_owned();
        let per_bucket = match &*self.inner.backend {
            #[cfg(any(feature = "aws", feature = "gcp", feature = "azure"))]
            Backend::Cloud(_) => true,
            _ => false,
        };
        let base = match parsed.scheme() {
            Scheme::File => "file://".to_owned(),
            _ if per_bucket => parsed.root().to_string(),
            s => format!("{}://", s.as_str()),
        };
        let is_file = parsed.scheme() == Scheme::File;
        store
            .list(Some(&path))
            .map(move |item| {
                let meta = item.map_err(|e| Error::from_store(&prefix_text, e))?;
                let uri = if is_file {
                    format!("{base}/{}", meta.location)
                } else {
                    format!("{base}{}", meta.location)
                };
                Ok(ObjectInfo::new(uri, meta))
            })
            .boxed()
    }

    /// Reads a protobuf message stored at the URI (`inputs.pb`, `outputs.pb`, `error.pb`, ...).
    /// Any prost message works (prost is the encoding of every `flyteidl` type, so it is in
    /// the signature on purpose).
    ///
    /// # Errors
    /// As [`FlyteStorage::get`]; [`Error::Corrupt`] when the bytes are not a `M`.
    pub async fn read_proto<M: prost::Message + Default>(&self, uri: &str) -> Result<M> {
        let bytes = self.get(uri).await?;
        M::decode(bytes).map_err(|e| {
            let name = std::any::type_name::<M>()
                .rsplit("::")
                .next()
                .unwrap_or("message");
            Error::corrupt(uri, format!("not a {name}: {e}")).with_source(e)
        })
    }

    /// Writes a protobuf message at the URI.
    ///
    /// # Errors
    /// As [`FlyteStorage::put`].
    pub async fn write_proto<M: prost::Message>(&self, uri: &str, message: &M) -> Result<()> {
        self.put(uri, message.encode_to_vec()).await
    }
}

/// What to reserve for a body the store says is `size` bytes long: no more than
/// [`MAX_INITIAL_CAPACITY`], whatever it says.
fn initial_capacity(size: u64) -> usize {
    usize::try_from(size.min(MAX_INITIAL_CAPACITY)).unwrap_or(0)
}

/// The limit `storage.limits.maxDownloadMBs` sets, in bytes (0: none).
fn download_limit(config: &StorageConfig) -> u64 {
    // A negative value is a config error that flyte-config's validation reports; until then,
    // the default stands.
    u64::try_from(config.limits.max_download_mbs).map_or(DEFAULT_MAX_DOWNLOAD_BYTES, |mib| {
        mib.saturating_mul(1024 * 1024)
    })
}

/// Whether `dest` is the file `src` (whose metadata is `source`), by path or by identity.
async fn same_file(src: &Path, source: &std::fs::Metadata, dest: &Path) -> bool {
    let Ok(target) = tokio::fs::metadata(dest).await else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if (source.dev(), source.ino()) == (target.dev(), target.ino()) {
            return true;
        }
    }
    let _ = (source, target);
    match (
        tokio::fs::canonicalize(src).await,
        tokio::fs::canonicalize(dest).await,
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A name for a temporary file that no one can guess ahead: the process id and 64 bits from
/// the standard library's per-process random hash keys, mixed with a counter.
fn temp_name(dest: &Path) -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let name = dest
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    format!(".{name}.{}.{:016x}.part", std::process::id(), h.finish())
}

/// Runs `write` on a new file beside `dest` (a fresh name, created exclusively, with `dest`'s
/// permissions when it exists), then renames it over `dest`; on any failure, and when the
/// future is dropped, the new file is removed and `dest` is left as it was.
async fn write_beside<F, Fut>(uri: &str, dest: &Path, write: F) -> Result<u64>
where
    F: FnOnce(tokio::fs::File) -> Fut,
    Fut: std::future::Future<Output = std::io::Result<u64>>,
{
    let err = |what: &Path, e: std::io::Error| {
        Error::other(uri, format!("writing {}: {e}", what.display())).with_source(e)
    };
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let (tmp, file) = loop {
        let tmp = dir.join(temp_name(dest));
        match tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .await
        {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(err(dest, e)),
        }
    };
    // Removes the new file on every way out but the rename, the future's drop included.
    let mut guard = RemoveOnDrop(Some(tmp.clone()));
    // The new file replaces `dest`: it must not be readable by more than `dest` was (a 0600
    // file would otherwise become 0666 less the umask).
    #[cfg(unix)]
    if let Ok(old) = tokio::fs::metadata(dest).await {
        file.set_permissions(old.permissions())
            .await
            .map_err(|e| err(dest, e))?;
    }
    let written = write(file).await.map_err(|e| err(dest, e))?;
    tokio::fs::rename(&tmp, dest)
        .await
        .map_err(|e| err(dest, e))?;
    guard.0 = None;
    Ok(written)
}

/// Removes the file it names when dropped, unless disarmed (set to `None`).
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // Drop cannot await; a temporary file is removed in one quick call.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Copies `src` beside `dest`, then renames it into place: readers never see half a file.
async fn copy_in(uri: &str, src: &Path, dest: &Path) -> Result<u64> {
    let dir = dest
        .parent()
        .ok_or_else(|| Error::invalid_uri(uri, UriProblem::Path, "no parent directory"))?;
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| Error::other(uri, format!("{}: {e}", dir.display())).with_source(e))?;
    let mut from = tokio::fs::File::open(src)
        .await
        .map_err(|e| Error::other(uri, format!("{}: {e}", src.display())).with_source(e))?;
    write_beside(uri, dest, |mut file| async move {
        let n = tokio::io::copy(&mut from, &mut file).await?;
        file.flush().await?;
        Ok(n)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_dropped_download_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dest = dir.path().join("out");
        let stalled = write_beside("s3://b/k", &dest, |_file| futures::future::pending());
        let dropped = tokio::time::timeout(std::time::Duration::from_secs(1), stalled).await;
        assert!(dropped.is_err(), "the stalled write finished");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }

    #[test]
    fn a_reported_size_reserves_at_most_8_mib() {
        // With no download limit, a store saying 2^60 bytes must not make the reservation abort.
        assert_eq!(initial_capacity(1 << 60), 8 * 1024 * 1024);
        assert_eq!(initial_capacity(u64::MAX), 8 * 1024 * 1024);
        assert_eq!(initial_capacity(1234), 1234);
        // What the reservation is for: this must not abort the process.
        let body = BytesMut::with_capacity(initial_capacity(1 << 60));
        assert!(body.capacity() >= 8 * 1024 * 1024);
    }
}
