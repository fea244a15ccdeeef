//! Executions: FlyteAdmin's create path (name rules, input merging, single-task executions) and
//! a small stand-in for flytepropeller that moves phases and records node and task executions.
//!
//! [`launch`] is the create path (and relaunch, recover, terminate); [`propeller`] drives a run
//! through its phases, with [`nodes`] for the node and task executions it records and [`gates`]
//! for the signals gate nodes wait on; [`rows`] holds the list schemas. [`Shared`] is the state
//! every service and driver holds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use flyteidl::flyteidl::core::workflow_execution;
use tokio::sync::watch;

use crate::db::Db;
use crate::executor::Executors;

mod gates;
mod launch;
mod nodes;
mod propeller;
mod reservations;
mod rows;
mod tree;

pub(crate) use launch::{create_execution, generate_name, relaunch, terminate, validate_exec_id};
pub(crate) use propeller::{outputs_uri, set_phase};
pub(crate) use rows::{
    exec_rows, ExecRow, NodeRow, TaskRow, EXECUTION_SCHEMA, NODE_EXECUTION_SCHEMA,
    TASK_EXECUTION_SCHEMA,
};
pub(crate) use tree::fixed_length_id;

/// State shared by the gRPC services and the execution drivers.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) db: Mutex<Db>,
    pub(crate) executor: Executors,
    /// Where propeller would write outputs, e.g. `s3://flyte-testkit`.
    pub(crate) storage_prefix: String,
    /// The blob store behind `storage_prefix`: outputs, uploads.
    pub(crate) store: Arc<dyn object_store::ObjectStore>,
    /// Signed URLs issued by the data proxy, by signature.
    pub(crate) grants: Mutex<HashMap<String, crate::dataproxy::Grant>>,
    /// MD5s of uploaded objects, by object path.
    pub(crate) md5s: Mutex<HashMap<String, Vec<u8>>>,
    /// `http://127.0.0.1:PORT` of the HTTP listener, once bound.
    pub(crate) http_base: std::sync::OnceLock<String>,
    /// The authorization server.
    pub(crate) auth: Mutex<crate::auth::AuthState>,
    /// Injected faults and call counts.
    pub(crate) faults: Arc<crate::faults::Faults>,
    /// Bumped on every execution phase change, so waiters need no polling.
    pub(crate) changes: watch::Sender<u64>,
    /// FlyteAdmin's `remoteData`: how execution data is returned.
    pub(crate) remote_data: crate::RemoteData,
    /// Tasks that run as `@dynamic` tasks, by name, with the tasks their generated workflow
    /// calls (names in the dynamic task's project, domain and version).
    pub(crate) dynamic: HashMap<String, Vec<String>>,
    /// What signed URLs expire by.
    pub(crate) clock: crate::clock::Clock,
    /// DataCatalog's datasets, artifacts, tags and reservations. Locked after `db` when both
    /// are held.
    pub(crate) catalog: Mutex<crate::catalog::CatalogStore>,
}

impl Shared {
    pub(crate) fn db(&self) -> MutexGuard<'_, Db> {
        // A poisoned lock means a test already panicked; the data is still what it was.
        self.db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn catalog(&self) -> MutexGuard<'_, crate::catalog::CatalogStore> {
        self.catalog
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn http_base(&self) -> String {
        self.http_base.get().cloned().unwrap_or_default()
    }
}

pub(crate) fn is_terminal(phase: i32) -> bool {
    use workflow_execution::Phase as P;
    [P::Succeeded, P::Failed, P::TimedOut, P::Aborted]
        .iter()
        .any(|p| *p as i32 == phase)
}
