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
