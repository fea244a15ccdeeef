//! Registration: pyflyte packages (or entities built in code) hydrated as flytectl hydrates
//! them, then registered concurrently, each entity as soon as what it references exists.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use flyte_admin_client::register::{Package, RegisterOptions};
//! let client = flyte_admin_client::AdminClient::try_default()?;
//! let mut package = Package::open(["flyte-package.tgz"])?;
//! // Or from a URL, as `flytectl register files --archive URL` takes them.
//! package.extend(Package::download("https://example.com/releases/v1/more.tgz").await?);
//! let options = RegisterOptions::new("flytesnacks", "development").version("v1");
//! let report = client.register(package, &options).await?;
//! println!("{} registered, {} already there, {} failed",
//!     report.count(Outcome::Registered), report.count(Outcome::AlreadyExisted),
//!     report.count(Outcome::Failed));
//! # use flyte_admin_client::register::Outcome;
//! # Ok(()) }
//! ```
//!
//! What differs from `flytectl register files`, on purpose:
//! - entities go concurrently (16 at a time by default) in dependency order, not one file at a
//!   time; `concurrency(1)` gives flytectl's serial order;
//! - no version anywhere is an error before any call (flytectl sends and the server refuses);
//! - a `{{ .remote_package_path }}` argument without a code bundle is an error before any call;
//! - the code bundle is uploaded as it is in the package, its MD5 that of those bytes, and
//!   Azure's 201 and `x-ms-blob-type` are handled; a dry run uploads nothing;
//! - the report has one row per entity and the caller decides the exit status from all of
//!   them (flytectl returns the last file's).
//! - archives, directories and downloads are read within [`ArchiveLimits`] (file size, total
//!   size, entry count, download size), checked against the sizes they declare before the
//!   bytes are read; flytectl has no limits.

mod archive;
mod hydrate;
mod options;
mod package;
mod report;
mod wire;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use flyteidl::flyteidl::core::{self, Identifier};
use futures::stream::{FuturesUnordered, StreamExt as _};

pub use options::{
    ArchiveLimit, ArchiveLimits, RegisterOptions, DEFAULT_CONCURRENCY, DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_MAX_ENTRIES, DEFAULT_MAX_ENTRY_BYTES, DEFAULT_MAX_TOTAL_BYTES,
};
pub use package::{Entity, EntityKind, FastBundle, Package, PackageEntry, PackageError};
pub use report::{display_id, EntityReport, Outcome, RegisterEvent, Report};

use crate::client::AdminClient;
use crate::error::{Code, Error, Result};
use crate::ids::{LaunchPlanId, TaskId, WorkflowId};
use hydrate::{Hydration, REMOTE_PACKAGE_PATTERN};

/// An entity ready to send: hydrated, with the spec bytes of its create request.
#[derive(Debug)]
struct Prepared {
    file: String,
    entity: Entity,
    spec: Vec<u8>,
}

/// The key of an entity in the dependency graph.
type Key = (i32, String, String, String, String);

fn key(kind: EntityKind, id: &Identifier) -> Key {
    let rt = match kind {
        EntityKind::Task => core::ResourceType::Task,
        EntityKind::Workflow => core::ResourceType::Workflow,
        EntityKind::LaunchPlan => core::ResourceType::LaunchPlan,
    } as i32;
    (
        rt,
        id.project.clone(),
        id.domain.clone(),
        id.name.clone(),
        id.version.clone(),
    )
}

/// Every entity a node references, with its kind (the walk takes a copy it may change).
fn node_refs(n: &core::Node, out: &mut Vec<(EntityKind, Identifier)>) {
    hydrate::each_node_reference(&mut n.clone(), &mut |kind, id| out.push((kind, id.clone())));
}

/// What an entity references (sub-workflows it carries are not references).
fn references(e: &Entity) -> Vec<(EntityKind, Identifier)> {
    let mut out = Vec::new();
    match e {
        Entity::Task(_) => {}
        Entity::Workflow(w) => {
            let embedded: Vec<Identifier> = w
                .sub_workflows
                .iter()
                .filter_map(|s| s.id.clone())
                .collect();
            for t in w.template.iter().chain(&w.sub_workflows) {
                for n in t.nodes.iter().chain(t.failure_node.as_ref()) {
                    node_refs(n, &mut out);
                }
            }
            out.retain(|(k, id)| !(*k == EntityKind::Workflow && embedded.contains(id)));
        }
        Entity::LaunchPlan(l) => {
            if let Some(id) = l.spec.as_ref().and_then(|s| s.workflow_id.clone()) {
                out.push((EntityKind::Workflow, id));
            }
        }
    }
    out
}

/// Whether a task's arguments ask for a fast-register code bundle.
fn wants_bundle(e: &Entity) -> bool {
    let Entity::Task(t) = e else {
        return false;
    };
    let Some(template) = t.template.as_ref() else {
        return false;
    };
    match template.target.as_ref() {
        Some(core::task_template::Target::Container(c)) => {
            c.args.iter().any(|a| a == REMOTE_PACKAGE_PATTERN)
        }
        Some(core::task_template::Target::K8sPod(p)) => p.pod_spec.as_ref().is_some_and(|s| {
            // The same arguments hydration replaces the placeholder in.
            let mut found = false;
            hydrate::each_pod_spec_arg(&mut s.clone(), |a| found |= a == REMOTE_PACKAGE_PATTERN);
            found
        }),
        _ => false,
    }
}

fn invalid(message: String) -> Error {
    Error::new(Code::InvalidArgument, "Register", "", message)
}

impl AdminClient {
    /// Downloads a package archive from an `http(s)://` URL within `limits`, through this
    /// client's HTTP client (the config's CA file, proxy and timeouts, the roots gRPC trusts),
    /// as `flytectl register files --archive URL` does.
    ///
    /// # Errors
    /// As [`Package::download_with`].
    pub async fn download_package(
        &self,
        url: &str,
        limits: &ArchiveLimits,
    ) -> std::result::Result<Package, PackageError> {
        Package::download_through(&self.inner.signed, url, limits).await
    }

    /// Registers a package (see the [module docs](crate::register)).
    ///
    /// # Errors
    /// Before any entity is sent: no version for some entity, no project or domain, a task
    /// that needs a code bundle the package lacks, a failed bundle upload. Failures of single
    /// entities are rows of the [`Report`], not errors.
    pub async fn register(&self, package: Package, options: &RegisterOptions) -> Result<Report> {
        self.register_with_progress(package, options, |_| {}).await
    }

    /// [`Self::register`], calling `on_event` as it goes.
    ///
    /// # Errors
    /// As [`Self::register`].
    pub async fn register_with_progress(
        &self,
        package: Package,
        options: &RegisterOptions,
        mut on_event: impl FnMut(&RegisterEvent) + Send,
    ) -> Result<Report> {
        if options.project.is_empty() || options.domain.is_empty() {
            return Err(invalid(
                "registration needs a project and a domain (flytectl's -p and -d)".to_owned(),
            ));
        }
        let version = options.version.clone().unwrap_or_default();
        let mut h = Hydration {
            project: options.project.clone(),
            domain: options.domain.clone(),
            version,
            force_version: options.force_version,
            k8s_service_account: options.k8s_service_account.clone(),
            iam_role: options.iam_role.clone(),
            output_location_prefix: options.output_location_prefix.clone(),
            fast: None,
        };
        if let Some(entry) = package.entries.iter().find(|e| {
            let mut id = e.entity.id();
            h.identifier(&mut id);
            id.version.is_empty() || id.version == "{{ registration.version }}"
        }) {
            return Err(invalid(format!(
                "{}: the {} {} has no version and none was given: pass a version (flytectl's \
                 --version)",
                entry.file,
                entry.entity.kind(),
                entry.entity.id().name
            )));
        }
        if package.fast_bundle.is_none() {
            if let Some(entry) = package.entries.iter().find(|e| wants_bundle(&e.entity)) {
                return Err(invalid(format!(
                    "{}: task {} runs fast-registered code ({REMOTE_PACKAGE_PATTERN} in its \
                     arguments) but the package has no fast*.tar.gz code bundle; package it with \
                     pyflyte package --copy auto, or without fast registration",
                    entry.file,
                    entry.entity.id().name
                )));
            }
        }
        on_event(&RegisterEvent::Planned {
            entities: package.entries.len(),
        });
        let mut report = Report::default();
        if let Some(bundle) = &package.fast_bundle {
            let uri = if options.dry_run {
                format!("(dry run: {} not uploaded)", bundle.name)
            } else {
                on_event(&RegisterEvent::Uploading {
                    name: bundle.name.clone(),
                    bytes: bundle.bytes.len(),
                });
                let uri = self.upload_bundle(bundle, options, &h.version).await?;
                on_event(&RegisterEvent::Uploaded { uri: uri.clone() });
                uri
            };
            let dest = options
                .destination_dir
                .clone()
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| ".".to_owned());
            h.fast = Some((uri.clone(), dest));
            report.fast_bundle_uri = (!options.dry_run).then_some(uri);
        }
        // The spec identifiers get the templated parts; the request identifiers always carry
        // the given project and domain, as flytectl sends them.
        let mut entities = Vec::with_capacity(package.entries.len());
        for e in package.entries {
            let mut entity = e.entity;
            h.entity(&mut entity);
            // What is sent: the file's own bytes hydrated on the wire, so that no field is
            // lost; entities built in code are encoded.
            let wire = match &e.raw {
                Some(raw) => match entity.kind() {
                    EntityKind::Task => h.wire_task(raw),
                    EntityKind::Workflow => h.wire_workflow(raw),
                    EntityKind::LaunchPlan => h
                        .wire_launch_plan(raw)
                        .and_then(|lp| wire::field_bytes(&lp, 2).map(Option::unwrap_or_default)),
                }
                .map_err(|w| invalid(format!("{}: not a protobuf message: {}", e.file, w.0)))?,
                None => match &entity {
                    Entity::LaunchPlan(lp) => {
                        prost::Message::encode_to_vec(&lp.spec.clone().unwrap_or_default())
                    }
                    other => other.encode(),
                },
            };
            entities.push(Prepared {
                file: e.file,
                entity,
                spec: wire,
            });
        }
        report.entities = self.run_graph(&entities, options, &mut on_event).await;
        Ok(report)
    }

    /// Uploads the code bundle: through the data proxy's signed URL, else (UNIMPLEMENTED) to
    /// the blob store directly.
    async fn upload_bundle(
        &self,
        bundle: &FastBundle,
        options: &RegisterOptions,
        version: &str,
    ) -> Result<String> {
        let md5 = <md5::Md5 as md5::Digest>::digest(&bundle.bytes);
        let fail = |rpc: &'static str, m: String| {
            Error::new(
                Code::Unavailable,
                rpc,
                self.endpoint(),
                format!("uploading the code bundle {}: {m}", bundle.name),
            )
        };
        match self
            .create_upload_location(&options.project, &options.domain, &bundle.name, &md5, None)
            .await
        {
            Ok(loc) => {
                self.inner
                    .signed
                    .put(&loc.signed_url, &loc.headers, bundle.bytes.clone())
                    .await
                    .map_err(|e| fail("CreateUploadLocation", e.to_string()).with_source(e))?;
                Ok(loc.native_url)
            }
            Err(e) if e.code() == Code::Unimplemented => {
                let store = self.blob_store().map_err(|why| {
                    fail(
                        "CreateUploadLocation",
                        format!("FlyteAdmin has no data proxy, and {why}"),
                    )
                })?;
                let base = match &options.source_upload_path {
                    Some(p) => p.trim_end_matches('/').to_owned(),
                    None => store
                        .base_container()
                        .map(|c| format!("{c}/fast"))
                        .ok_or_else(|| {
                            fail(
                                "CreateUploadLocation",
                                "FlyteAdmin has no data proxy and the storage config names no \
                                 container: set storage.container or a source upload path"
                                    .to_owned(),
                            )
                        })?,
                };
                let uri = format!("{base}/{version}-{}", bundle.name);
                store
                    .put(&uri, bundle.bytes.clone())
                    .await
                    .map_err(|e| fail("CreateUploadLocation", e.to_string()).with_source(e))?;
                Ok(uri)
            }
            Err(e) => Err(e),
        }
    }

    /// Registers the entities, each once what it references in the package is registered, up
    /// to `concurrency` at a time, lowest package index first.
    async fn run_graph(
        &self,
        entities: &[Prepared],
        options: &RegisterOptions,
        on_event: &mut (impl FnMut(&RegisterEvent) + Send),
    ) -> Vec<EntityReport> {
        let n = entities.len();
        let mut index: HashMap<Key, usize> = HashMap::new();
        for (i, p) in entities.iter().enumerate() {
            index
                .entry(key(p.entity.kind(), &p.entity.id()))
                .or_insert(i);
        }
        let mut waiting_on = vec![0usize; n];
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, p) in entities.iter().enumerate() {
            let mut deps: Vec<usize> = references(&p.entity)
                .iter()
                .filter_map(|(k, id)| index.get(&key(*k, id)).copied())
                .filter(|d| *d != i)
                .collect();
            deps.sort_unstable();
            deps.dedup();
            waiting_on[i] = deps.len();
            for d in deps {
                dependents[d].push(i);
            }
        }
        let mut results: Vec<Option<EntityReport>> = vec![None; n];
        let mut ready: BinaryHeap<Reverse<usize>> = (0..n)
            .filter(|i| waiting_on[*i] == 0)
            .map(Reverse)
            .collect();
        let mut in_flight = FuturesUnordered::new();
        let mut stopping = false;
        loop {
            while !stopping && in_flight.len() < options.concurrency {
                let Some(Reverse(i)) = ready.pop() else { break };
                let p = &entities[i];
                let (file, entity) = (&p.file, &p.entity);
                on_event(&RegisterEvent::Started {
                    kind: entity.kind(),
                    id: entity.id(),
                });
                in_flight.push(async move {
                    let (outcome, message) = self.register_one(p, options).await;
                    (
                        i,
                        EntityReport {
                            kind: entity.kind(),
                            id: entity.id(),
                            file: file.clone(),
                            outcome,
                            message,
                        },
                    )
                });
            }
            let Some((i, row)) = in_flight.next().await else {
                break;
            };
            on_event(&RegisterEvent::Finished(row.clone()));
            if row.outcome.is_success() {
                for &d in &dependents[i] {
                    waiting_on[d] -= 1;
                    if waiting_on[d] == 0 {
                        ready.push(Reverse(d));
                    }
                }
            } else {
                stopping |= !options.continue_on_error;
                // Everything that needs it, directly or not, cannot be registered.
                let mut stack = dependents[i].clone();
                let failed = format!("{} {}", row.kind, display_id(&row.id));
                while let Some(d) = stack.pop() {
                    if results[d].is_some() {
                        continue;
                    }
                    let (file, e) = (&entities[d].file, &entities[d].entity);
                    let skipped = EntityReport {
                        kind: e.kind(),
                        id: e.id(),
                        file: file.clone(),
                        outcome: Outcome::Skipped,
                        message: format!("not registered: it needs {failed}, which failed"),
                    };
                    on_event(&RegisterEvent::Finished(skipped.clone()));
                    results[d] = Some(skipped);
                    stack.extend(dependents[d].iter().copied());
                }
            }
            results[i] = Some(row);
        }
        results
            .into_iter()
            .zip(entities)
            .map(
                |(
                    r,
                    Prepared {
                        file, entity: e, ..
                    },
                )| {
                    r.unwrap_or_else(|| {
                        let message = if waiting_on.iter().any(|w| *w > 0) && !stopping {
                            "not registered: it is part of a reference cycle".to_owned()
                        } else {
                            "not started: registration stopped at the first failure (continue on \
                         error to go on)"
                                .to_owned()
                        };
                        EntityReport {
                            kind: e.kind(),
                            id: e.id(),
                            file: file.clone(),
                            outcome: Outcome::Skipped,
                            message,
                        }
                    })
                },
            )
            .collect()
    }

    /// Sends one entity; ALREADY_EXISTS is success.
    async fn register_one(
        &self,
        prepared: &Prepared,
        options: &RegisterOptions,
    ) -> (Outcome, String) {
        if options.dry_run {
            return (Outcome::DryRun, "checked; not sent (dry run)".to_owned());
        }
        let entity = &prepared.entity;
        let id = entity.id();
        let (p, d) = (options.project.as_str(), options.domain.as_str());
        // The request identifier carries the given project and domain, as flytectl sends it.
        let (method, request_id) = match entity {
            Entity::Task(_) => (
                "CreateTask",
                TaskId::new(p, d, &id.name, &id.version).to_pb(),
            ),
            Entity::Workflow(_) => (
                "CreateWorkflow",
                WorkflowId::new(p, d, &id.name, &id.version).to_pb(),
            ),
            Entity::LaunchPlan(_) => (
                "CreateLaunchPlan",
                LaunchPlanId::new(p, d, &id.name, &id.version).to_pb(),
            ),
        };
        let sent = self
            .admin_raw(method, wire::create_request(&request_id, &prepared.spec))
            .await;
        let (outcome, message) = match sent {
            Ok(()) => (Outcome::Registered, "registered".to_owned()),
            Err(e) if e.is_already_exists() => {
                (Outcome::AlreadyExisted, "already registered".to_owned())
            }
            Err(e) => return (Outcome::Failed, e.message().to_owned()),
        };
        if options.activate_launch_plans && matches!(entity, Entity::LaunchPlan(_)) {
            let lp = LaunchPlanId::new(p, d, &id.name, &id.version);
            if let Err(e) = self.activate_launch_plan(&lp).await {
                return (
                    Outcome::Failed,
                    format!("{message}, but activating it failed: {}", e.message()),
                );
            }
            return (outcome, format!("{message} and activated"));
        }
        (outcome, message)
    }
}
