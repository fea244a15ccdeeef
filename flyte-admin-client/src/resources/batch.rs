//! Launching many executions at once: [`AdminClient::execute_many`].
//!
//! Each item is launched as [`AdminClient::execute_launch_plan`] or
//! [`AdminClient::execute_task`] would launch it (inputs checked against the interface, a name
//! made by the client so a retried create never starts a second execution), a bounded number at
//! a time; the interface of each distinct launch plan or task is read once for the whole batch.

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use flyteidl::flyteidl::core;
use futures::stream::{self, BoxStream, StreamExt};

use super::execution_options::ExecutionOptions;
use crate::client::AdminClient;
use crate::error::{Error, Result};
use crate::ids::{validate_execution_name, ExecutionId, LaunchPlanId, TaskId};

/// How many creates [`ExecuteMany`] keeps in flight unless told otherwise.
///
/// Each `CreateExecution` holds one of FlyteAdmin's database connections for its transaction
/// (100 by default, `database.maxOpenConnections`) and creates a FlyteWorkflow object in
/// Kubernetes; 16 at a time keeps 16 round trips overlapping while leaving most of that pool
/// to everyone else FlyteAdmin serves. On the test kit adding 5 ms to each call (2 shared
/// cores, `scripts/bench/launch.sh`), 1,000 launches took 0.8 s this way against 6.1 s one
/// [`AdminClient::launch`] after another, and 64 at a time was no faster there. Raise it with
/// [`ExecuteMany::concurrency`] for a server with room to spare.
pub const DEFAULT_LAUNCH_CONCURRENCY: usize = 16;

/// What a batch item runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Target {
    LaunchPlan(LaunchPlanId),
    Task(TaskId),
}

/// One execution to launch with [`AdminClient::execute_many`]: a launch plan or a task, its
/// inputs as JSON (checked against the interface before anything is sent), and optionally its
/// name (checked with FlyteAdmin's rule; without one the client makes one).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LaunchItem {
    pub(super) target: Target,
    name: Option<String>,
    pub(super) inputs: serde_json::Map<String, serde_json::Value>,
    pub(super) options: ExecutionOptions,
}

impl LaunchItem {
    /// Launches `id` with `inputs` (launch plan defaults fill the rest).
    pub fn launch_plan(
        id: LaunchPlanId,
        inputs: serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        LaunchItem {
            target: Target::LaunchPlan(id),
            name: None,
            inputs,
            options: ExecutionOptions::new(),
        }
    }

    /// Runs the task `id` on its own with `inputs`.
    pub fn task(id: TaskId, inputs: serde_json::Map<String, serde_json::Value>) -> Self {
        LaunchItem {
            target: Target::Task(id),
            name: None,
            inputs,
            options: ExecutionOptions::new(),
        }
    }

    /// What a flytectl exec-spec (`--execFile`) describes, in `project` and `domain` unless it
    /// names its targets: its task when `task` is set, else its launch plan (`workflow`).
    pub fn from_spec(spec: &flyte_config::ExecSpec, project: &str, domain: &str) -> Self {
        let project = if spec.target_project.is_empty() {
            project
        } else {
            &spec.target_project
        };
        let domain = if spec.target_domain.is_empty() {
            domain
        } else {
            &spec.target_domain
        };
        let inputs = spec
            .inputs()
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        let item = if spec.task.is_empty() {
            let id = LaunchPlanId::new(project, domain, &spec.workflow, &spec.version);
            LaunchItem::launch_plan(id, inputs)
        } else {
            LaunchItem::task(
                TaskId::new(project, domain, &spec.task, &spec.version),
                inputs,
            )
        };
        item.options(ExecutionOptions::new().overwrite_cache(spec.overwrite_cache))
    }

    /// Recompute cached tasks and replace what is cached ([`ExecutionOptions::overwrite_cache`]),
    /// leaving the item's other options as they are.
    #[must_use]
    pub fn overwrite_cache(mut self, yes: bool) -> Self {
        self.options = std::mem::take(&mut self.options).overwrite_cache(yes);
        self
    }

    /// How the execution runs (such as [`ExecutionOptions::overwrite_cache`]; default: as its
    /// launch plan says).
    #[must_use]
    pub fn options(mut self, options: ExecutionOptions) -> Self {
        self.options = options;
        self
    }

    /// Names the execution (default: a name made by the client as FlyteAdmin would make one).
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The project and domain the execution runs in.
    fn scope(&self) -> (&str, &str) {
        match &self.target {
            Target::LaunchPlan(id) => (&id.project, &id.domain),
            Target::Task(id) => (&id.project, &id.domain),
        }
    }

    /// The name it runs under, checked, and whether the caller gave it.
    fn checked_name(&self, client: &AdminClient) -> Result<(String, bool)> {
        match &self.name {
            Some(n) => validate_execution_name(n)
                .map(|n| (n, true))
                .map_err(|e| client.invalid("CreateExecution", e.to_string())),
            None => client
                .new_execution_name("CreateExecution")
                .map(|n| (n, false)),
        }
    }
}

/// The outcome of one item of [`AdminClient::execute_many`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Launched {
    /// The item's position in the batch, from 0.
    pub index: usize,
    /// The execution's name: the one given, or the one the client made (also for a failed
    /// create, so a caller can look for it later); empty when none could be made.
    pub name: String,
    /// The execution, or this item's own error.
    pub result: Result<ExecutionId>,
}

/// A batch launch, from [`AdminClient::execute_many`]: set the bound and the failure policy,
/// then [`stream`](ExecuteMany::stream) it.
#[derive(Debug)]
#[must_use = "a batch does nothing until streamed"]
pub struct ExecuteMany {
    client: AdminClient,
    items: Vec<LaunchItem>,
    concurrency: usize,
    stop_on_first_error: bool,
}

impl AdminClient {
    /// Launches a batch of launch plans and tasks, [`DEFAULT_LAUNCH_CONCURRENCY`] creates at a
    /// time, each item as [`AdminClient::execute_launch_plan`] or
    /// [`AdminClient::execute_task`] launches one: inputs checked against the interface (read
    /// once per distinct launch plan or task), and a name made on the client before the first
    /// attempt, so the retry layer may repeat any create without starting a second execution
    /// (a repeat meeting ALREADY_EXISTS is resolved as in [`AdminClient::create_execution`]).
    ///
    /// ```no_run
    /// # async fn f(client: flyte_admin_client::AdminClient) {
    /// use flyte_admin_client::{LaunchItem, LaunchPlanId};
    /// use futures::StreamExt;
    ///
    /// let items = (0..100).map(|day| {
    ///     let inputs = serde_json::json!({ "day": day }).as_object().cloned().unwrap_or_default();
    ///     LaunchItem::launch_plan(LaunchPlanId::new("p", "development", "backfill", "v1"), inputs)
    /// });
    /// let mut results = client.execute_many(items).concurrency(32).stream();
    /// while let Some(launched) = results.next().await {
    ///     match launched.result {
    ///         Ok(id) => println!("{}: {id}", launched.index),
    ///         Err(e) => eprintln!("item {} ({}): {e}", launched.index, launched.name),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn execute_many(&self, items: impl IntoIterator<Item = LaunchItem>) -> ExecuteMany {
        ExecuteMany {
            client: self.clone(),
            items: items.into_iter().collect(),
            concurrency: DEFAULT_LAUNCH_CONCURRENCY,
            stop_on_first_error: false,
        }
    }

    /// Launches one item with its target's input types (or the error reading them).
    async fn launch_item(
        &self,
        item: LaunchItem,
        types: &HashMap<Target, Result<InputTypes>>,
    ) -> (String, Result<ExecutionId>) {
        let (name, given) = match item.checked_name(self) {
            Ok(named) => named,
            Err(e) => return (item.name.unwrap_or_default(), Err(e)),
        };
        let result = async {
            let types = match types.get(&item.target) {
                Some(Ok(types)) => types,
                Some(Err(e)) => return Err(self.copy_error(e)),
                None => return Err(self.invalid("CreateExecution", "no interface read")),
            };
            let literals = crate::literals::inputs_from_json(&item.inputs, types)
                .map_err(|e| self.invalid("CreateExecution", e.to_string()))?;
            let target = match &item.target {
                Target::LaunchPlan(id) => id.to_pb(),
                Target::Task(id) => id.to_pb(),
            };
            let (project, domain) = item.scope();
            self.create_named(
                project,
                domain,
                name.clone(),
                given,
                item.options.manual_spec(target),
                literals,
            )
            .await
        }
        .await;
        (name, result)
    }

    /// The input types of each distinct target of `items`, read `concurrency` at a time.
    async fn input_types_of(
        &self,
        items: &[LaunchItem],
        concurrency: usize,
    ) -> HashMap<Target, Result<InputTypes>> {
        let targets: HashSet<Target> = items.iter().map(|i| i.target.clone()).collect();
        stream::iter(targets)
            .map(|target| async move {
                let types = match &target {
                    Target::LaunchPlan(id) => self.launch_plan_input_types(id).await,
                    Target::Task(id) => self.task_input_types(id).await,
                };
                (target, types)
            })
            .buffer_unordered(concurrency)
            .collect()
            .await
    }

    /// The same failure again, for each item it concerns (errors carry no clone).
    fn copy_error(&self, e: &Error) -> Error {
        Error::new(e.code(), e.rpc(), &self.inner.endpoint, e.message())
    }
}

type InputTypes = HashMap<String, core::LiteralType>;

impl ExecuteMany {
    /// At most this many creates in flight at once (default [`DEFAULT_LAUNCH_CONCURRENCY`];
    /// 0 is taken as 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// After the first failure start no further item (default: `false`, every item is tried).
    ///
    /// Creates already sent when an item fails are not abandoned: a create that reached
    /// FlyteAdmin may have started its execution, and only its answer tells, so each runs to
    /// its end and its result is yielded. The stream then ends; items never started are not
    /// yielded (their indexes are missing from the results) and nothing was sent for them.
    pub fn stop_on_first_error(mut self, stop: bool) -> Self {
        self.stop_on_first_error = stop;
        self
    }

    /// Starts the batch: one [`Launched`] per item, in the order they finish.
    ///
    /// The interfaces are read first (each distinct launch plan or task once); an item whose
    /// interface could not be read fails with that error. Dropping the stream abandons the
    /// creates in flight: their executions may or may not exist, under the names the client
    /// made for them, which were not yielded.
    pub fn stream(self) -> LaunchStream {
        let ExecuteMany {
            client,
            items,
            concurrency,
            stop_on_first_error,
        } = self;
        // A name given to two items would start one execution and report it twice (the
        // second create meets the first's execution, which matches it): later ones fail alone.
        let mut first_with: HashMap<(String, String, String), usize> = HashMap::new();
        let repeats: Vec<Option<usize>> = items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let name = item.name.as_ref()?;
                let (project, domain) = item.scope();
                let key = (project.to_owned(), domain.to_owned(), name.clone());
                match first_with.get(&key) {
                    Some(first) => Some(*first),
                    None => {
                        first_with.insert(key, index);
                        None
                    }
                }
            })
            .collect();
        let stopped = Arc::new(AtomicBool::new(false));
        let batch = stream::once(async move {
            let types = Arc::new(client.input_types_of(&items, concurrency).await);
            let pending = Arc::clone(&stopped);
            stream::iter(items.into_iter().zip(repeats).enumerate())
                // Checked as each item is taken, so none starts once a failure was seen.
                .take_while(move |_| futures::future::ready(!pending.load(Ordering::SeqCst)))
                .map(move |(index, (item, repeat))| {
                    let client = client.clone();
                    let types = Arc::clone(&types);
                    let stopped = Arc::clone(&stopped);
                    async move {
                        let (name, result) = match repeat {
                            Some(first) => {
                                let name = item.name.clone().unwrap_or_default();
                                let message = format!(
                                    "execution name {name:?} is also given to item {first}: a \
                                     name starts one execution in a project and domain"
                                );
                                (name, Err(client.invalid("CreateExecution", message)))
                            }
                            None => client.launch_item(item, &types).await,
                        };
                        if stop_on_first_error && result.is_err() {
                            stopped.store(true, Ordering::SeqCst);
                        }
                        Launched {
                            index,
                            name,
                            result,
                        }
                    }
                })
                .buffer_unordered(concurrency)
        })
        .flatten();
        LaunchStream(batch.boxed())
    }
}

/// The results of [`ExecuteMany::stream`], in the order the items finish.
#[must_use = "streams do nothing unless polled"]
pub struct LaunchStream(BoxStream<'static, Launched>);

impl std::fmt::Debug for LaunchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LaunchStream")
    }
}

impl futures::Stream for LaunchStream {
    type Item = Launched;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Launched>> {
        self.0.as_mut().poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
