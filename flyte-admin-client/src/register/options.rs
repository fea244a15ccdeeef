//! How to register a package: where, at which version, how many at once, and the options
//! flytectl's `register files` takes.

/// The default number of entities in flight.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// How to register a package.
#[derive(Debug, Clone)]
#[must_use]
pub struct RegisterOptions {
    pub(super) project: String,
    pub(super) domain: String,
    pub(super) version: Option<String>,
    pub(super) force_version: bool,
    pub(super) concurrency: usize,
    pub(super) continue_on_error: bool,
    pub(super) dry_run: bool,
    pub(super) activate_launch_plans: bool,
    pub(super) k8s_service_account: String,
    pub(super) iam_role: String,
    pub(super) output_location_prefix: String,
    pub(super) destination_dir: Option<String>,
    pub(super) source_upload_path: Option<String>,
}

impl RegisterOptions {
    /// Register into `project` and `domain` (flytectl's `-p` and `-d`).
    pub fn new(project: impl Into<String>, domain: impl Into<String>) -> Self {
        RegisterOptions {
            project: project.into(),
            domain: domain.into(),
            version: None,
            force_version: false,
            concurrency: DEFAULT_CONCURRENCY,
            continue_on_error: false,
            dry_run: false,
            activate_launch_plans: false,
            k8s_service_account: String::new(),
            iam_role: String::new(),
            output_location_prefix: String::new(),
            destination_dir: None,
            source_upload_path: None,
        }
    }

    /// The version for identifiers with none or `{{ registration.version }}` (`--version`).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Use [`Self::version`] for every identifier, whatever the package says (`--force`).
    pub fn force_version(mut self, force: bool) -> Self {
        self.force_version = force;
        self
    }

    /// How many entities may be in flight at once (at least 1; 1 is flytectl's serial order).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Keep going after a failure (`--continueOnError`); by default no new entity starts after
    /// the first failure.
    pub fn continue_on_error(mut self, yes: bool) -> Self {
        self.continue_on_error = yes;
        self
    }

    /// Hydrate and check everything, but make no mutating call and upload nothing.
    pub fn dry_run(mut self, yes: bool) -> Self {
        self.dry_run = yes;
        self
    }

    /// Make every registered launch plan ACTIVE (flytectl's `--enableSchedule`).
    pub fn activate_launch_plans(mut self, yes: bool) -> Self {
        self.activate_launch_plans = yes;
        self
    }

    /// Launch plans run as this Kubernetes service account (`--k8sServiceAccount`).
    pub fn k8s_service_account(mut self, sa: impl Into<String>) -> Self {
        self.k8s_service_account = sa.into();
        self
    }

    /// Launch plans assume this IAM role (`--assumableIamRole`).
    pub fn iam_role(mut self, role: impl Into<String>) -> Self {
        self.iam_role = role.into();
        self
    }

    /// Launch plans write raw outputs under this prefix (`--outputLocationPrefix`).
    pub fn output_location_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.output_location_prefix = prefix.into();
        self
    }

    /// Where fast-registered code is unpacked in the task's container (`--destinationDirectory`;
    /// `.` by default).
    pub fn destination_dir(mut self, dir: impl Into<String>) -> Self {
        self.destination_dir = Some(dir.into());
        self
    }

    /// Where the code bundle goes when FlyteAdmin has no data proxy and it is written to the
    /// blob store directly (`--sourceUploadPath`; default `{container}/fast`).
    pub fn source_upload_path(mut self, uri: impl Into<String>) -> Self {
        self.source_upload_path = Some(uri.into());
        self
    }
}

/// The default [`ArchiveLimits::max_entry_bytes`]: 512 MiB, more than any code bundle worth
/// uploading (entities are kilobytes).
pub const DEFAULT_MAX_ENTRY_BYTES: u64 = 512 * 1024 * 1024;

/// The default [`ArchiveLimits::max_total_bytes`]: 1 GiB, about half of what 2 MB of gzip can
/// expand to.
pub const DEFAULT_MAX_TOTAL_BYTES: u64 = 1024 * 1024 * 1024;

/// The default [`ArchiveLimits::max_entries`]: 10 000 (pyflyte writes three files for a task,
/// a workflow and its launch plan).
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;

/// The default [`ArchiveLimits::max_download_bytes`]: 1 GiB.
pub const DEFAULT_MAX_DOWNLOAD_BYTES: u64 = 1024 * 1024 * 1024;

/// How much a package may hold when it is read ([`Package::open_with`] and the other `_with`
/// readers); the plain readers use [`ArchiveLimits::default`].
///
/// Archives come from wherever a URL or path points, and a few megabytes of gzip can expand to
/// gigabytes: every limit is checked against the sizes the archive declares before anything is
/// read, so an archive over a limit costs neither the memory nor the time of reading it. A
/// package read within these limits holds each file once, so its memory is bounded by
/// [`Self::max_total_bytes`] (plus the decoded entities, which are smaller than their files).
///
/// [`Package::open_with`]: super::Package::open_with
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct ArchiveLimits {
    max_entry_bytes: u64,
    max_total_bytes: u64,
    max_entries: usize,
    max_download_bytes: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_entry_bytes: DEFAULT_MAX_ENTRY_BYTES,
            max_total_bytes: DEFAULT_MAX_TOTAL_BYTES,
            max_entries: DEFAULT_MAX_ENTRIES,
            max_download_bytes: DEFAULT_MAX_DOWNLOAD_BYTES,
        }
    }
}

impl ArchiveLimits {
    /// The defaults ([`DEFAULT_MAX_ENTRY_BYTES`], [`DEFAULT_MAX_TOTAL_BYTES`],
    /// [`DEFAULT_MAX_ENTRIES`], [`DEFAULT_MAX_DOWNLOAD_BYTES`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// The largest file a package may hold, uncompressed.
    pub fn max_entry_bytes(mut self, bytes: u64) -> Self {
        self.max_entry_bytes = bytes;
        self
    }

    /// The most all files of one read (every path or URL given to it) may hold together,
    /// uncompressed.
    pub fn max_total_bytes(mut self, bytes: u64) -> Self {
        self.max_total_bytes = bytes;
        self
    }

    /// The most entries one read may hold (every tar entry counts, directories and links
    /// included, and every file of a directory).
    pub fn max_entries(mut self, entries: usize) -> Self {
        self.max_entries = entries;
        self
    }

    /// The largest archive a download may fetch, as sent (compressed).
    pub fn max_download_bytes(mut self, bytes: u64) -> Self {
        self.max_download_bytes = bytes;
        self
    }

    /// See [`Self::max_entry_bytes`].
    pub fn entry_bytes(&self) -> u64 {
        self.max_entry_bytes
    }

    /// See [`Self::max_total_bytes`].
    pub fn total_bytes(&self) -> u64 {
        self.max_total_bytes
    }

    /// See [`Self::max_entries`].
    pub fn entries(&self) -> usize {
        self.max_entries
    }

    /// See [`Self::max_download_bytes`].
    pub fn download_bytes(&self) -> u64 {
        self.max_download_bytes
    }
}

/// Which of the [`ArchiveLimits`] a package went over, with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArchiveLimit {
    /// [`ArchiveLimits::max_entry_bytes`].
    EntryBytes(u64),
    /// [`ArchiveLimits::max_total_bytes`].
    TotalBytes(u64),
    /// [`ArchiveLimits::max_entries`].
    Entries(usize),
    /// [`ArchiveLimits::max_download_bytes`].
    DownloadBytes(u64),
}

impl std::fmt::Display for ArchiveLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArchiveLimit::EntryBytes(n) => {
                write!(f, "the limit of {n} bytes a file (max_entry_bytes)")
            }
            ArchiveLimit::TotalBytes(n) => {
                write!(f, "the limit of {n} bytes in all (max_total_bytes)")
            }
            ArchiveLimit::Entries(n) => write!(f, "the limit of {n} entries (max_entries)"),
            ArchiveLimit::DownloadBytes(n) => {
                write!(f, "the limit of {n} bytes a download (max_download_bytes)")
            }
        }
    }
}
