//! The typed FlyteAdmin client: every RPC of AdminService, DataProxyService, SignalService,
//! IdentityService and AgentMetadataService, typed helpers for the common jobs, a `Stream` over every list, one retry
//! policy, and flyte-auth's login on one channel.
//!
//! # Main types
//! - [`AdminClient`] and [`AdminClientBuilder`]: the client, from flytectl's config
//!   ([`AdminClient::try_default`], [`AdminClient::from_config`]) or built by hand.
//! - [`Error`] and [`Code`]: failures with the RPC, the endpoint and predicates.
//! - [`RetryPolicy`], [`is_idempotent`] and [`Idempotent`]: which calls the retry layer on the
//!   channel repeats, how often, with what deadlines.
//! - [`TaskId`], [`WorkflowId`], [`LaunchPlanId`], [`ExecutionId`]: typed identifiers;
//!   [`generate_execution_name`] for a name shaped as FlyteAdmin's.
//! - [`Listing`], [`ListOptions`] and [`Filters`]: every `list_*` returns a `Stream` of items
//!   that follows the pages ([`Listing::pages`] for the pages themselves).
//! - [`register`]: pyflyte packages (and built entities) hydrated as flytectl does and
//!   registered concurrently by dependency, with a per-entity report.
//! - [`build`]: container tasks, workflows and launch plans built in Rust, checked before sending.
//! - [`attributes`]: matchable attributes and flytectl's attribute files.
//! - [`literals`]: JSON to Flyte literals by type, and back.
//! - [`AdminClient::execute_many`], [`LaunchItem`] and [`Launched`]: a batch of launches,
//!   bounded in concurrency, each result with its own error.
//! - [`WaitOptions`]: how [`AdminClient::wait_for_execution`] polls, and
//!   [`AdminClient::watch_executions`] / [`AdminClient::wait_all`] for a whole set with a few
//!   `ListExecutions` calls per poll.
//! - [`cache`]: each node's cache status and catalog key, and why a node was (not) served
//!   from the cache ([`AdminClient::explain_cache`]).
//! - [`ExecutionOptions`]: how a launched execution runs (`overwrite_cache`), for the
//!   `execute_*_with` methods.
//! - [`NodeTree`]: an execution's nodes, attempts and children, from
//!   [`AdminClient::execution_tree`].
//! - [`pb`]: the wire types (the `flyteidl` crate), for every RPC without a helper.
//! - [`catalog`]: DataCatalog (cached task outputs) over the same stack, and propeller's cache
//!   keys computed locally.
//!
//! # Example
//! ```no_run
//! # async fn run() -> Result<(), flyte_admin_client::Error> {
//! let client = flyte_admin_client::AdminClient::try_default()?;
//! let version = client.version().await?;
//! println!("FlyteAdmin {version}");
//! # Ok(()) }
//! ```
//!
//! Launching with JSON inputs, watching the phases, reading the outputs:
//! ```no_run
//! use flyte_admin_client::pb::core::workflow_execution::Phase;
//! use flyte_admin_client::{literals, AdminClient, LaunchPlanId, WaitOptions};
//! use futures::TryStreamExt;
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//!
//! let client = AdminClient::try_default()?;
//! let lp = LaunchPlanId::new("flytesnacks", "development", "wf.train", "v7");
//! let inputs = serde_json::json!({"epochs": 3, "lr": 0.01});
//! // Inputs are checked against the launch plan's types before anything is sent.
//! let id = client.execute_launch_plan(&lp, Some("nightly-7"), inputs.as_object().unwrap()).await?;
//! let mut phases = client.watch_execution(&id, WaitOptions::timeout(std::time::Duration::from_secs(3600)));
//! while let Some(execution) = phases.try_next().await? {
//!     let phase = execution.closure.and_then(|c| Phase::try_from(c.phase).ok());
//!     println!("{id}: {phase:?}");
//! }
//! let (_, outputs) = client.execution_data(&id).await?; // inline, signed URL or blob store
//! println!("{}", literals::literal_map_to_json(&outputs));
//! # Ok(()) }
//! ```
//!
//! # Feature flags
//! None yet.

pub mod attributes;
pub mod build;
pub mod cache;
pub mod catalog;
mod client;
mod error;
mod ids;
mod list;
pub mod literals;
mod msgpack;
mod raw;
pub mod register;
mod resources;
mod retry;
mod tls;

pub use client::{
    AdminClient, AdminClientBuilder, Transport, DEFAULT_CONNECTIONS, DEFAULT_MAX_MESSAGE_SIZE,
};
pub use error::{Code, Error, Result};
pub use ids::{
    generate_execution_name, validate_execution_name, ExecutionId, IdError, LaunchPlanId, TaskId,
    WorkflowId,
};
pub use list::{Filters, ListOptions, Listing};
pub use resources::{
    is_terminal, phase_of, ExecuteMany, ExecutionOptions, LaunchItem, LaunchStream, Launched,
    NodeTree, WaitOptions, DEFAULT_LAUNCH_CONCURRENCY, DEFAULT_NAMES_PER_CALL,
};
pub use retry::{is_idempotent, Idempotent};

/// How calls are retried: flyte-config's type, shared with flyte-auth and flyte-storage so that
/// one vocabulary describes every retry of flyte-rs. Here: UNAVAILABLE, RESOURCE_EXHAUSTED (unless
/// it says a message is too large, which no repeat changes) and a DEADLINE_EXCEEDED (of one
/// attempt) are retried, for methods [`is_idempotent`] names or requests marked [`Idempotent`]
/// (the client's own execution creates, always named); the defaults are
/// [`RetryPolicy::default`]'s. flytectl's `admin.maxRetries` is read as `max_retries` and
/// `admin.perRetryTimeout` as `per_attempt_timeout`.
pub use flyte_config::RetryPolicy;

/// The wire types: the `flyteidl` crate, re-exported so users need no direct dependency.
pub use flyteidl::flyteidl as pb;
