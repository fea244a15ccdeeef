//! An in-process FlyteAdmin for tests: real gRPC on `127.0.0.1`, FlyteAdmin's validation, error
//! codes and messages, pagination and filters, and executions whose outcome your test decides.
//!
//! Start one with [`TestAdmin::start`] (or [`TestAdmin::builder`]), point any FlyteAdmin client at
//! [`TestAdmin::endpoint`] (plaintext), and drop it when done. State lives in memory. The project
//! `flytesnacks` exists from the start, as in flyte-binary, with the domains `development`,
//! `staging` and `production`. The same server runs standalone with
//! `cargo run -p flyte-testkit -- serve` for flytectl, pyflyte and FlyteRemote.
//!
//! # Main types
//! - [`TestAdmin`] and [`TestAdminBuilder`]: the server, its HTTP listener, and test hooks
//!   ([`TestAdmin::wait_for_terminal`], [`TestAdmin::fail_next`], [`TestAdmin::calls`],
//!   [`TestAdmin::decide_device_login`], [`TestAdmin::expire_tokens`], [`TestAdmin::blob`]).
//! - [`Executor`], [`Executors`], [`Plan`], [`Outcome`], [`ExecutionRun`]: what executions do,
//!   the part flytepropeller plays in a deployment.
//! - [`AuthSettings`], [`ExternalAuth`], [`DeviceDecision`]: authentication, off by default.
//! - [`Fault`], [`RandomFaults`]: injected errors, dropped connections, lost answers and delays.
//! - [`TestAdmin::stop`], [`TestAdmin::start_again`], [`TestAdmin::restart`] and
//!   [`TestAdminBuilder::state_file`]: restarts on the same ports, with the state kept.
//! - [`MockKube`]: an in-process Kubernetes API server, for code that manages Flyte on Kubernetes.
//! - [`flyteidl`]: the wire types, re-exported.
//!
//! # What is simulated
//! - AdminService in full: projects, tasks, workflows (reference checks through branches, arrays
//!   and sub-workflows; a compiled closure), launch plans (expected inputs, one active version),
//!   named and description entities, executions (name rules, input merging, single-task
//!   executions, relaunch, recover, terminate, archive, workflow events), node and task
//!   executions, gate nodes and signals, matchable attributes, and lists with FlyteAdmin's
//!   filters, sort keys and tokens.
//! - Literal types inferred and cast as flytepropeller 1.16's validators do (a `Binary` tagged
//!   `msgpack` is a `STRUCT`: the dataclasses, dicts and pydantic models flytekit 1.14+ sends).
//! - Node executions for every node kind, as propeller reports them to FlyteAdmin: task, array
//!   (`map_task`: one node, one task execution with an external resource per element),
//!   sub-workflow and branch nodes (parents over their children, ids `n1-0-n0`, long ids hashed
//!   as propeller hashes them), launch-plan nodes (a child execution of their own), gate nodes,
//!   and dynamic tasks you declare ([`TestAdminBuilder::dynamic_task`]). Inputs follow the
//!   bindings; outputs are what flytekit would write for the declared types (dataclasses as
//!   msgpack with every schema field, files that exist in the store), so FlyteRemote's
//!   `sync_execution(sync_nodes=True)` and `outputs.get(name, as_type=...)` work.
//! - What clients send is kept, as FlyteAdmin stores it serialized: Get and List answer with a
//!   task's template, a workflow's templates (and the task templates compiled into it), a launch
//!   plan's spec and an execution's spec as the client encoded them, fields newer than the
//!   `flyteidl` crate included, with FlyteAdmin's own changes (identifiers, the principal, a
//!   relaunch's mode) applied. Clients of the crate read the same values as ever.
//! - Caching as flytepropeller 1.16 memoizes: a task whose metadata is `discoverable` (flytekit's
//!   `cache=True, cache_version=...`) is looked up by propeller's dataset id and input tag
//!   (`cache_ignore_input_vars` honoured); a hit succeeds the node with the cached outputs
//!   without running it (no task execution, and a single-task run never reaches the
//!   [`Executor`]), a miss runs it and caches its outputs, the execution's `overwrite_cache`
//!   runs it and replaces the cached artifact, and `cache_serializable` tasks take DataCatalog's
//!   reservation (a single-task run waits while another holds it, then hits). Node executions
//!   show `task_node_metadata` with the cache status and catalog key (dataset, tag, source
//!   execution) as FlyteAdmin records them.
//! - DataCatalog's gRPC API (`datacatalog.DataCatalog`: datasets, artifacts, tags, partitions,
//!   filtered and paginated lists, reservations) on the same port, over the same store, with
//!   DataCatalog's validation, codes and messages; unauthenticated, as inside a deployment.
//! - DataProxyService with signed URLs served by the test kit's own HTTP listener, into an
//!   `object_store` (memory, or a directory with [`TestAdminBuilder::storage_dir`]).
//! - AuthMetadataService and IdentityService; with auth on, FlyteAdmin's own authorization
//!   server (PKCE, client credentials, refresh, device code) or an external issuer's JWTs.
//!
//! # Where it differs from FlyteAdmin
//! - No code runs. Outputs are chosen by the [`Executor`] (by default: the input of the same
//!   name, else a zero value of the declared type); nodes inside a workflow get zero values too,
//!   so a node's outputs need not be what the workflow's outputs say.
//! - Dynamic tasks look like any Python task once registered; only the ones declared with
//!   [`TestAdminBuilder::dynamic_task`] (or `serve --dynamic`) expand into children.
//! - All nodes of a run move through their phases together (QUEUED, RUNNING, then the run's
//!   outcome), except cache hits, which succeed as the run starts; retries, per-node failures,
//!   timeouts and interruptible nodes are not simulated. Dynamic and array nodes are never
//!   memoized, a workflow's serializable node takes its reservation without waiting for one
//!   another run holds, and every node is looked up as the run starts (two nodes of one run
//!   with the same key both run, where propeller's later one would hit the earlier one's). Array nodes always run every element. Branch
//!   conditions look through unions to the primitive inside (propeller does not); a condition
//!   that cannot be decided takes its case, and an `else_fail` branch with no case taken runs
//!   no child where propeller fails the run.
//! - A launch-plan node's child execution runs on its own plan: the parent does not wait for
//!   it, and the node's outputs are simulated, not the child's. Children are aborted when
//!   their parent is aborted or fails. Gates inside sub-workflows, branches and dynamic
//!   workflows are recorded but not waited for, and gate nodes report no `o0` output.
//! - Files and directories inside a dataclass output are written as an empty path.
//! - A run records at most 10,000 node executions (a sub-workflow that runs itself in several
//!   nodes would otherwise grow without bound); deeper than 16 levels, sub-workflows are not
//!   expanded.
//! - Attribute paths into dataclass outputs (`wf.out.field`) bind the whole output.
//! - Node and task events from a real propeller answer UNIMPLEMENTED; the test kit records
//!   node and task executions itself.
//! - Schedules never fire; notifications, the cloud event publisher, the artifact service
//!   and the cluster resource controller do not exist; `ListWorkflows` returns the
//!   whole closure where FlyteAdmin returns only the interface.
//! - One process, memory only (blobs may go to a directory), unless a state file keeps the
//!   writes ([`TestAdminBuilder::state_file`], `serve --state`); see "Restarts" below for what
//!   a restart keeps.
//!
//! # Example
//! ```no_run
//! use flyte_testkit::flyteidl::flyteidl::admin::ProjectListRequest;
//! use flyte_testkit::flyteidl::flyteidl::service::admin_service_client::AdminServiceClient;
//! use flyte_testkit::{Executors, TestAdmin};
//! use std::time::Duration;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let admin = TestAdmin::builder()
//!     .executor(Executors::succeed_after(Duration::from_secs(5)))
//!     .start()
//!     .await?;
//! let mut client = AdminServiceClient::connect(admin.endpoint()).await?;
//! let projects = client.list_projects(ProjectListRequest::default()).await?.into_inner();
//! assert_eq!(projects.projects[0].id, "flytesnacks");
//! # Ok(()) }
//! ```
//!
//! # Guide: testing your own automation
//! Your service registers workflows, launches them and reads their outputs; its tests should do
//! the same without a cluster. Start a test kit, give it an executor that plays the cluster
//! (it decides each execution's outcome and outputs from its inputs), point your client at it,
//! and assert on what a user would see. With flyte-rs's client this is a whole test
//! (`flyte-admin-client/tests/guide.rs`, run by `cargo test`; quoted here as text because the
//! test kit does not depend on the client):
//!
//! ```text
//! #[tokio::test]
//! async fn my_pipeline_doubles_its_input() -> Result<(), Box<dyn std::error::Error>> {
//!     // The test kit plays FlyteAdmin; this executor plays the cluster: it doubles `x`.
//!     let double = |run: &ExecutionRun| {
//!         let x = literals::literal_map_to_json(&run.inputs)["x"].as_i64().unwrap_or(0);
//!         let y = literals::json_to_literal(&json!(2 * x), &types::integer(), "y").unwrap_or_default();
//!         Plan::succeed(Duration::from_millis(50), LiteralMap { literals: [("y".into(), y)].into() })
//!     };
//!     let admin = TestAdmin::builder().executor(Executors::custom(double)).start().await?;
//!     let client = AdminClient::builder().endpoint(admin.addr().to_string()).insecure(true).build()?;
//!
//!     let task = ContainerTask::new("demo.double", "alpine:3.20").command(["sh", "-c", "..."])
//!         .input("x", types::integer()).output("y", types::integer());
//!     let wf = Workflow::new("demo.wf").input("x", types::integer())
//!         .node(Node::task("n0", &task).bind("x", Source::input("x")))
//!         .output("y", Source::output("n0", "y"));
//!     let mut package = Package::default();
//!     package.add_task(&task)?.add_workflow(&wf)?.add_launch_plan(&LaunchPlan::default_for(&wf))?;
//!     client.register(package, &RegisterOptions::new("flytesnacks", "development").version("v1")).await?;
//!
//!     let lp = LaunchPlanId::new("flytesnacks", "development", "demo.wf", "v1");
//!     let id = client.execute_launch_plan(&lp, None, json!({"x": 21}).as_object().ok_or("inputs")?).await?;
//!     client.wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(30))).await?;
//!     let (_, outputs) = client.execution_data(&id).await?;
//!     assert_eq!(literals::literal_map_to_json(&outputs), json!({"y": 42}));
//!     Ok(())
//! }
//! ```
//!
//! Then make it fail the way production does: [`TestAdmin::fail_next`] and
//! [`TestAdminBuilder::random_faults`] for flaky networks, [`Fault::LoseResponse`] and
//! [`RandomFaults::lose_answers`] for answers lost after the server stored what a call made (so
//! a retry meets ALREADY_EXISTS), [`TestAdminBuilder::latency`] for slow ones, an executor
//! returning a failed [`Plan`] for a task that breaks, and [`TestAdminBuilder::auth`] for a
//! cluster that wants a login. Access tokens, device codes and
//! signed URLs expire on tokio's clock, so under `#[tokio::test(start_paused = true)]`
//! `tokio::time::advance` past [`AuthSettings::token_lifetime`] expires a token with no real
//! wait ([`TestAdmin::expire_tokens`] does it at once). Then see what arrived:
//! [`TestAdmin::calls`] per RPC, [`TestAdmin::connections`], and [`TestAdmin::received`] for the
//! create requests as encoded (with fields the `flyteidl` crate does not know). For code that
//! manages Flyte's Kubernetes objects, [`MockKube`] is the same idea for the Kubernetes API.
//!
//! # Guide: restarts
//! Every FlyteAdmin upgrade rolls its pods: the server a client talks to goes away and comes
//! back on the same address. [`TestAdmin::stop`] goes down as a pod does (both ports close,
//! every open connection is cut, calls in flight included) and [`TestAdmin::start_again`]
//! serves the same state on the same ports; [`TestAdmin::restart`] does both with a pause on
//! tokio's clock, to run beside the client work it interrupts:
//!
//! ```no_run
//! # async fn run(admin: flyte_testkit::TestAdmin) -> Result<(), Box<dyn std::error::Error>> {
//! # let client_work = async {};
//! use std::time::Duration;
//! // The client lists, watches or registers while the server is down for 10 s.
//! let ((), restarted) = tokio::join!(client_work, admin.restart(Duration::from_secs(10)));
//! restarted?;
//! # Ok(()) }
//! ```
//!
//! Executions go on through their phases while the server is down, as flytepropeller runs them
//! while FlyteAdmin is away. `flyte-admin-client/tests/restart.rs` shows a list stream, a watch
//! and a registration carrying on across a restart.
//!
//! A standalone test kit that is killed keeps its state only with a state file
//! ([`TestAdminBuilder::state_file`], `serve --state FILE --storage DIR`): every write that
//! succeeds (creates, updates, terminations, attributes, events, signals) is appended to the
//! file before its answer leaves, with the names the test kit generated, and the file is
//! replayed at start, so a test kit killed and started again on the same port answers every
//! read as before and a client carries on. What a replay does not bring back: timestamps (the
//! replay's own), the progress of executions (each is created again and runs again from the
//! start, to the outcome the executor decides from the same inputs), access tokens and pending
//! logins (clients log in again), signed URLs issued before (clients ask again), and with auth
//! on the principal of executions (replayed without a login, so empty), and the DataCatalog
//! store (replayed runs of cached tasks fill it again). Blobs
//! survive in the `--storage` directory. A file that is not a journal is refused, never
//! overwritten; a torn last entry (killed while writing it, so never answered) is dropped.
//!
//! # Feature flags
//! None: every part is always present.

// Handlers answer with tonic::Status, FlyteAdmin's wire error; boxing it inside the crate would only
// be unboxed again at every handler.
#![allow(clippy::result_large_err)]

mod agents;
mod attributes;
mod auth;
mod catalog;
mod clock;
mod dataproxy;
mod db;
mod errors;
mod executions;
mod executor;
mod external;
mod faults;
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod journal;
mod k8s;
mod listeners;
mod lists;
mod literals;
mod message_size;
mod outputs;
mod registry;
mod sent;
mod service;
mod ssa;
pub mod tls;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use flyteidl::flyteidl::admin::{Domain, Project};

pub use auth::{
    AuthSettings, DeviceDecision, DEFAULT_AUTH_HEADER, DEFAULT_CLIENT_ID, DEFAULT_REDIRECT_URI,
};
pub use executor::{ExecutionRun, Executor, Executors, Outcome, Plan};
pub use external::ExternalAuth;
pub use faults::{Fault, RandomFaults};
pub use flyteidl;
pub use k8s::MockKube;

/// The authenticated subject of a request (set by the auth layer).
#[derive(Debug, Clone)]
pub(crate) struct Subject(pub(crate) String);

/// The domains FlyteAdmin has unless configured otherwise.
pub const DEFAULT_DOMAINS: [&str; 3] = ["development", "staging", "production"];

/// The project flyte-binary and the sandbox create at start.
pub const DEFAULT_PROJECT: &str = "flytesnacks";

/// FlyteAdmin's `remoteData` settings for execution data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
#[must_use]
pub struct RemoteData {
    /// `maxSizeInBytes`: outputs larger than this are not returned inline (`full_outputs`).
    /// `None` inlines everything.
    pub max_size_in_bytes: Option<u64>,
    /// `signedUrls.enabled`: fill the `UrlBlob` of outputs with a signed URL to `outputs.pb`.
    pub signed_urls: bool,
}

impl RemoteData {
    /// Outputs above `max_size_in_bytes` are left out of `full_outputs`.
    pub fn max_size_in_bytes(mut self, max: u64) -> Self {
        self.max_size_in_bytes = Some(max);
        self
    }

    /// Signed URLs in `UrlBlob`s.
    pub fn signed_urls(mut self, enabled: bool) -> Self {
        self.signed_urls = enabled;
        self
    }
}

/// Configures a [`TestAdmin`] before it starts.
#[derive(Debug, Clone)]
#[must_use]
pub struct TestAdminBuilder {
    domains: Vec<String>,
    projects: Vec<String>,
    executor: Executors,
    storage_prefix: String,
    storage_dir: Option<std::path::PathBuf>,
    port: u16,
    http_port: u16,
    auth: Option<AuthSettings>,
    external_auth: Option<ExternalAuth>,
    latency: std::time::Duration,
    random_faults: Option<RandomFaults>,
    tls: Option<(Vec<u8>, Vec<u8>)>,
    remote_data: RemoteData,
    agents: Vec<flyteidl::flyteidl::admin::Agent>,
    dynamic: std::collections::HashMap<String, Vec<String>>,
    state_file: Option<std::path::PathBuf>,
}

impl Default for TestAdminBuilder {
    fn default() -> Self {
        TestAdminBuilder {
            domains: DEFAULT_DOMAINS.iter().map(|d| (*d).to_owned()).collect(),
            projects: vec![DEFAULT_PROJECT.to_owned()],
            executor: Executors::default(),
            storage_prefix: "s3://flyte-testkit".to_owned(),
            storage_dir: None,
            port: 0,
            http_port: 0,
            auth: None,
            external_auth: None,
            latency: std::time::Duration::ZERO,
            random_faults: None,
            tls: None,
            remote_data: RemoteData::default(),
            agents: Vec::new(),
            dynamic: std::collections::HashMap::new(),
            state_file: None,
        }
    }
}

impl TestAdminBuilder {
    /// The server's domains (FlyteAdmin's `domains` config), replacing the default three.
    pub fn domains<S: Into<String>>(mut self, domains: impl IntoIterator<Item = S>) -> Self {
        self.domains = domains.into_iter().map(Into::into).collect();
        self
    }

    /// Projects to create at start, replacing the default `flytesnacks` (pass none for an empty server).
    pub fn projects<S: Into<String>>(mut self, projects: impl IntoIterator<Item = S>) -> Self {
        self.projects = projects.into_iter().map(Into::into).collect();
        self
    }

    /// What executions do (default: succeed at once with [`ExecutionRun::echo_outputs`]).
    pub fn executor(mut self, executor: Executors) -> Self {
        self.executor = executor;
        self
    }

    /// Runs the task named `task` (any project, domain and version) as a `@dynamic` task whose
    /// generated workflow calls `children` in order: task names, taken from the dynamic task's
    /// project, domain and version, else the version registered last under that name (`pyflyte
    /// run` registers each workflow's tasks under a version of its own), else a Python task
    /// with no inputs or outputs (as flytekit, the generated workflow carries its templates). Its node is then
    /// a parent (`is_parent_node`, `is_dynamic`) over nodes `dn0`, `dn1`..., and
    /// `GetNodeExecutionData` returns the compiled workflow, as FlyteAdmin does.
    ///
    /// A registered dynamic task looks like any other Python task: only running its code tells
    /// what it yields, which the test kit does not do, so it must be told.
    pub fn dynamic_task<S: Into<String>>(
        mut self,
        task: impl Into<String>,
        children: impl IntoIterator<Item = S>,
    ) -> Self {
        self.dynamic
            .insert(task.into(), children.into_iter().map(Into::into).collect());
        self
    }

    /// The blob-store prefix outputs are written under (default `s3://flyte-testkit`).
    pub fn storage_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.storage_prefix = prefix.into().trim_end_matches('/').to_owned();
        self
    }

    /// Listen on this port of 127.0.0.1 instead of a free one (for the standalone binary).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The HTTP listener's port (signed URLs, OAuth2) instead of a free one.
    pub fn http_port(mut self, port: u16) -> Self {
        self.http_port = port;
        self
    }

    /// Keep blobs in this directory instead of memory.
    pub fn storage_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.storage_dir = Some(dir.into());
        self
    }

    /// Turns authentication on with FlyteAdmin's own authorization server.
    pub fn auth(mut self, settings: AuthSettings) -> Self {
        self.auth = Some(settings);
        self
    }

    /// Trusts an external issuer instead: its metadata is served, and bearer JWTs are checked
    /// against its keys, issuer and audience. The issuer must be reachable over http (a local
    /// OIDC server) when the test kit starts.
    pub fn external_auth(mut self, external: ExternalAuth) -> Self {
        self.external_auth = Some(external);
        self
    }

    /// Adds this latency to every gRPC call. It ends within a fraction of a millisecond of its due
    /// time (tokio's own timer would round it up to its 1 ms tick: 5 ms would take 6 to 7), and
    /// follows tokio's paused clock in tests with `start_paused`, costing no real time there.
    pub fn latency(mut self, latency: std::time::Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Answers this fraction of gRPC calls with UNAVAILABLE, drawn from a generator seeded with `seed`.
    pub fn random_faults(self, rate: f64, seed: u64) -> Self {
        self.random_fault_mix(RandomFaults::new(seed).unavailable(rate))
    }

    /// Random faults before and after calls are handled, in the proportions `faults` gives.
    pub fn random_fault_mix(mut self, faults: RandomFaults) -> Self {
        self.random_faults = Some(faults);
        self
    }

    /// How `GetExecutionData` returns data, as FlyteAdmin's `remoteData` config (default:
    /// everything inline, no signed URLs, like flyte-binary).
    pub fn remote_data(mut self, remote_data: RemoteData) -> Self {
        self.remote_data = remote_data;
        self
    }

    /// The agents AgentMetadataService reports (default: none).
    pub fn agents(
        mut self,
        agents: impl IntoIterator<Item = flyteidl::flyteidl::admin::Agent>,
    ) -> Self {
        self.agents = agents.into_iter().collect();
        self
    }

    /// Serves gRPC over TLS with this certificate chain and private key (PEM).
    pub fn tls(mut self, cert_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        self.tls = Some((cert_pem.into(), key_pem.into()));
        self
    }

    /// Serves gRPC over TLS with the bundled test certificate for `localhost` and `127.0.0.1`,
    /// signed by [`tls::CA_PEM`] (give that to clients as their `caCertFilePath`).
    pub fn tls_test_certificate(self) -> Self {
        self.tls(tls::SERVER_CERT_PEM, tls::SERVER_KEY_PEM)
    }

    /// Keeps every write that succeeds in the file at `path` (appended before the answer
    /// leaves) and replays the file at start, so a test kit killed and started again with the
    /// same file serves what it served before: `serve --state FILE`. See "Restarts" in the
    /// crate docs for what is kept and what is not; pair it with
    /// [`TestAdminBuilder::storage_dir`] to keep blobs too.
    pub fn state_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Binds 127.0.0.1 and starts serving.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start(self) -> std::io::Result<TestAdmin> {
        let mut db = db::Db {
            domains: self
                .domains
                .iter()
                .map(|d| Domain {
                    id: d.clone(),
                    name: d.clone(),
                })
                .collect(),
            ..db::Db::default()
        };
        for p in &self.projects {
            db.projects.push(db::Record::new(Project {
                id: p.clone(),
                name: p.clone(),
                description: format!("{p} project"),
                ..Project::default()
            }));
        }
        let store: Arc<dyn object_store::ObjectStore> = match &self.storage_dir {
            None => Arc::new(object_store::memory::InMemory::new()),
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                Arc::new(
                    object_store::local::LocalFileSystem::new_with_prefix(dir)
                        .map_err(std::io::Error::other)?,
                )
            }
        };
        let external = match self.external_auth {
            Some(settings) => Some(external::discover(settings).await?),
            None => None,
        };
        let faults = Arc::new(faults::Faults::default());
        *faults
            .latency
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = self.latency;
        if let Some(random) = self.random_faults {
            faults.set_random(random);
        }
        let clock = clock::Clock::start();
        let shared = Arc::new(executions::Shared {
            db: Mutex::new(db),
            executor: self.executor,
            storage_prefix: self.storage_prefix,
            store,
            grants: Mutex::new(Default::default()),
            md5s: Mutex::new(Default::default()),
            http_base: std::sync::OnceLock::new(),
            auth: Mutex::new(auth::AuthState::new(self.auth, clock)),
            faults: Arc::clone(&faults),
            changes: tokio::sync::watch::channel(0).0,
            remote_data: self.remote_data,
            dynamic: self.dynamic,
            clock,
            catalog: Mutex::new(catalog::CatalogStore::default()),
        });
        shared
            .auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .external = external;
        let journal = match &self.state_file {
            Some(path) => {
                let replayed = journal::replay(&shared, path).await?;
                Some(Arc::new(journal::Journal::open(path, replayed)?))
            }
            None => None,
        };
        let settings = listeners::GrpcSettings {
            tls: self.tls,
            agents: self.agents,
            journal,
        };
        let (serving, addr, http_addr) =
            listeners::serve(&shared, &settings, self.port, self.http_port).await?;
        let _ = shared.http_base.set(http::base_url(http_addr));
        Ok(TestAdmin {
            addr,
            http_addr,
            settings,
            shared,
            serving: tokio::sync::Mutex::new(Some(serving)),
        })
    }
}

/// A running in-process FlyteAdmin. Dropping it stops the server.
#[derive(Debug)]
pub struct TestAdmin {
    addr: SocketAddr,
    http_addr: SocketAddr,
    settings: listeners::GrpcSettings,
    shared: Arc<executions::Shared>,
    /// `None` while stopped ([`TestAdmin::stop`]).
    serving: tokio::sync::Mutex<Option<listeners::Serving>>,
}

impl TestAdmin {
    /// Starts a test kit with the defaults: a free port on 127.0.0.1, project `flytesnacks`.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start() -> std::io::Result<TestAdmin> {
        TestAdmin::builder().start().await
    }

    /// A builder for domains, projects, the executor and more.
    pub fn builder() -> TestAdminBuilder {
        TestAdminBuilder::default()
    }

    /// `http://127.0.0.1:PORT`: the gRPC endpoint (`https://localhost:PORT` when serving TLS,
    /// the name the test certificate is for).
    pub fn endpoint(&self) -> String {
        if self.settings.tls.is_some() {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://{}", self.addr)
        }
    }

    /// The socket address the gRPC server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A flytectl config file pointing at this server.
    pub fn config_yaml(&self) -> String {
        if self.settings.tls.is_some() {
            format!(
                "admin:\n  endpoint: dns:///localhost:{}\n  insecure: false\n  authType: Pkce\n",
                self.addr.port()
            )
        } else {
            format!(
                "admin:\n  endpoint: dns:///{}\n  insecure: true\n  authType: Pkce\n",
                self.addr
            )
        }
    }

    /// `http://127.0.0.1:PORT` of the HTTP listener (signed URLs, OAuth2 endpoints).
    pub fn http_endpoint(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    /// The bytes stored at `uri` (outputs, uploads), if any.
    pub async fn blob(&self, uri: &str) -> Option<Vec<u8>> {
        use object_store::ObjectStoreExt as _;
        let path = self.shared.store_path(uri)?;
        let got = self.shared.store.get(&path).await.ok()?;
        got.bytes().await.ok().map(|b| b.to_vec())
    }

    /// The blob store behind the test kit's bucket, for tests that read or seed it directly.
    pub fn store(&self) -> Arc<dyn object_store::ObjectStore> {
        Arc::clone(&self.shared.store)
    }

    /// Answers the next `times` calls of `rpc` (e.g. `"CreateTask"`) with `fault`.
    pub fn fail_next(&self, rpc: &str, fault: Fault, times: usize) {
        self.shared.faults.script(rpc, fault, times);
    }

    /// Replaces the random faults from the next call on (`RandomFaults::new(0)` turns them off),
    /// e.g. after a test's setup.
    pub fn set_random_faults(&self, faults: RandomFaults) {
        self.shared.faults.set_random(faults);
    }

    /// How many calls `rpc` (e.g. `"GetExecution"`) has received, faults included.
    pub fn calls(&self, rpc: &str) -> u64 {
        self.shared.faults.calls(rpc)
    }

    /// How many connections the gRPC listener has accepted.
    pub fn connections(&self) -> u64 {
        self.shared
            .faults
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The request messages `rpc` received, encoded as they arrived, for the calls registration
    /// makes (`CreateTask`, `CreateWorkflow`, `CreateLaunchPlan`; empty for others): the whole
    /// requests, fields the `flyteidl` crate does not know included (Get and List answer with
    /// the template or spec as sent; the rest of a request is decoded with the crate).
    pub fn received(&self, rpc: &str) -> Vec<Vec<u8>> {
        self.shared.faults.received(rpc)
    }

    /// Calls received per RPC name.
    pub fn all_calls(&self) -> std::collections::HashMap<String, u64> {
        self.shared.faults.all_calls()
    }

    /// Decides a pending device-flow login by its user code; false when no such code is pending.
    pub fn decide_device_login(&self, user_code: &str, decision: DeviceDecision) -> bool {
        self.shared
            .auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .decide_device(user_code, decision)
    }

    /// How many requests the token endpoint received with this `grant_type`
    /// (`client_credentials`, `authorization_code`, `refresh_token`, or the device-code URN).
    pub fn token_requests(&self, grant_type: &str) -> u64 {
        self.shared
            .auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .token_requests
            .get(grant_type)
            .copied()
            .unwrap_or(0)
    }

    /// Invalidates every access token issued so far, as if they had expired.
    pub fn expire_tokens(&self) {
        self.shared
            .auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .expire_all();
    }

    /// The execution as stored now, if it exists.
    pub fn execution(
        &self,
        id: &flyteidl::flyteidl::core::WorkflowExecutionIdentifier,
    ) -> Option<flyteidl::flyteidl::admin::Execution> {
        self.shared
            .db()
            .find_execution(id)
            .map(|r| r.value.execution.clone())
    }

    /// Waits, without polling, until the execution reaches a terminal phase (SUCCEEDED, FAILED,
    /// ABORTED, TIMED_OUT) and returns it; `None` if it does not exist.
    pub async fn wait_for_terminal(
        &self,
        id: &flyteidl::flyteidl::core::WorkflowExecutionIdentifier,
    ) -> Option<flyteidl::flyteidl::admin::Execution> {
        let mut changes = self.shared.changes.subscribe();
        loop {
            let execution = self.execution(id)?;
            let phase = execution.closure.as_ref().map_or(0, |c| c.phase);
            if executions::is_terminal(phase) {
                return Some(execution);
            }
            if changes.changed().await.is_err() {
                return self.execution(id);
            }
        }
    }

    /// Waits, without polling, until the execution is in `phase` or has ended.
    pub async fn wait_for_phase(
        &self,
        id: &flyteidl::flyteidl::core::WorkflowExecutionIdentifier,
        phase: flyteidl::flyteidl::core::workflow_execution::Phase,
    ) -> Option<flyteidl::flyteidl::admin::Execution> {
        let mut changes = self.shared.changes.subscribe();
        loop {
            let execution = self.execution(id)?;
            let now = execution.closure.as_ref().map_or(0, |c| c.phase);
            if now == phase as i32 || executions::is_terminal(now) {
                return Some(execution);
            }
            if changes.changed().await.is_err() {
                return self.execution(id);
            }
        }
    }

    /// Goes down as a FlyteAdmin pod does when a rolling upgrade replaces it: both ports (gRPC
    /// and HTTP) close, and every open connection is cut at once, calls in flight included, so
    /// clients see the connection drop and new connections refused. The state stays: start
    /// serving it again on the same ports with [`TestAdmin::start_again`]. Executions go on
    /// moving through their phases meanwhile, as flytepropeller runs them while FlyteAdmin is
    /// down. Stopping a stopped server does nothing.
    pub async fn stop(&self) {
        if let Some(serving) = self.serving.lock().await.take() {
            serving.cut().await;
        }
    }

    /// Serves the same state again on the same ports ([`TestAdmin::addr`] and
    /// [`TestAdmin::http_endpoint`] do not change) after [`TestAdmin::stop`]; does nothing
    /// while serving.
    ///
    /// # Errors
    /// When a port cannot be bound again (another process took it meanwhile); the error names
    /// the port.
    pub async fn start_again(&self) -> std::io::Result<()> {
        let mut serving = self.serving.lock().await;
        if serving.is_none() {
            let (again, _, _) = listeners::serve(
                &self.shared,
                &self.settings,
                self.addr.port(),
                self.http_addr.port(),
            )
            .await?;
            *serving = Some(again);
        }
        Ok(())
    }

    /// [`TestAdmin::stop`], `down_for` on tokio's clock (no real wait under `start_paused`),
    /// then [`TestAdmin::start_again`]: a restart while clients are using the server, run
    /// beside them (`tokio::join!(client_work, admin.restart(d))`).
    ///
    /// # Errors
    /// As [`TestAdmin::start_again`].
    pub async fn restart(&self, down_for: std::time::Duration) -> std::io::Result<()> {
        self.stop().await;
        tokio::time::sleep(down_for).await;
        self.start_again().await
    }

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(self) {
        if let Some(serving) = self.serving.lock().await.take() {
            serving.shut_down().await;
        }
    }
}
