//! Flyte on Kubernetes: the jobs operators script with kubectl, with the Flyte knowledge built
//! in.
//!
//! What it does: tenancy (namespaces as flyteadmin names them, quotas, limit ranges, service
//! accounts with cloud identity), task secrets, the health of a Flyte deployment, stuck
//! FlyteWorkflows and task pods held in Terminating by propeller's finalizer (and freeing them,
//! removing only propeller's finalizers and only from an object that did not change since it
//! was read), propeller's log for one execution, and a diagnosis of one execution's pods and
//! events.
//!
//! Every write is a server-side apply with field manager `flyte-rs`: idempotent (an object that
//! already says what we want is not written at all), and with [`K8s::dry_run`] the API server
//! checks the change without keeping it. Every list follows the API server's pages to the end
//! (`limit` and `continue`, [`K8s::page_size`] objects a request).
//!
//! # Main types
//! - [`K8s`]: a `kube` client (kubeconfig as kubectl reads it, or in-cluster) with dry run.
//! - [`Tenant`], [`Quota`], [`LimitDefaults`], [`ServiceAccountSpec`]: what a team gets.
//! - [`SecretValue`] and [`SecretInfo`]: task secrets, whose values are never shown.
//! - [`Health`]: [`K8s::deployment_health`], a verdict with reasons.
//! - [`FlyteWorkflowInfo`]: [`K8s::flyteworkflows`], with [`FlyteWorkflowInfo::stuck`]; freed
//!   with [`K8s::remove_finalizers`].
//! - [`HeldTaskPod`]: [`K8s::held_task_pods`], freed with [`K8s::free_task_pod`].
//! - [`Diagnosis`]: [`K8s::diagnose_execution`], findings a person understands.
//! - [`K8s::list_objects`], [`K8s::get_object`], [`K8s::get_cluster_object`]: plain reads of any
//!   kind (a `k8s-openapi` type), for checks of what is deployed.
//! - [`Change`]: what a call changed (or, in a dry run, would change).
//! - [`Error`]: which object, and whether access was denied, it was missing or in conflict;
//!   the cause (`kube`'s error, an `std::io::Error`) is its `source()`.
//!
//! # Example
//! ```no_run
//! # async fn run() -> Result<(), flyte_k8s::Error> {
//! use flyte_k8s::{K8s, Quota, Tenant};
//! let k8s = K8s::try_default().await?;
//! let tenant = Tenant::new("ml-team", ["development", "production"])
//!     .quota(Quota::new().cpu("64").memory("256Gi"));
//! for change in k8s.ensure_tenant(&tenant).await? {
//!     println!("{change}");
//! }
//! # Ok(()) }
//! ```
//!
//! # Feature flags
//! None. TLS to the API server is rustls with ring (kube's `rustls-tls`); when a program links
//! two rustls crypto providers, [`K8s::try_default`] and [`K8s::from_kubeconfig`] install ring
//! as the process default unless the program chose one first.
//!
//! # Testing
//! `flyte_testkit::MockKube` answers the Kubernetes API in-process; write its
//! `kubeconfig_yaml()` to a file and use [`K8s::from_kubeconfig`].

mod client;
mod diagnose;
mod error;
mod finalizers;
mod health;
mod objects;
mod propeller;
mod secrets;
mod task_pods;
mod tenancy;

pub use client::{Action, Change, K8s, FIELD_MANAGER, MANAGED_BY};
pub use diagnose::{Diagnosis, Finding, PodSummary, Severity};
pub use error::{Error, ObjectRef, Result};
pub use finalizers::{TASK_FINALIZERS, WORKFLOW_FINALIZERS};
pub use health::{ComponentHealth, Health, Layout, Verdict};
pub use propeller::{FlyteWorkflowInfo, StuckReason, WorkflowPhase};
pub use secrets::{task_secret_name, SecretInfo, SecretValue};
pub use task_pods::HeldTaskPod;
pub use tenancy::{
    namespace_for, LimitDefaults, Quota, ServiceAccountSpec, Tenant, TenantNamespace,
    DEFAULT_NAMESPACE_TEMPLATE,
};
