//! Watching a set of executions at the cost of a few `ListExecutions` calls per poll, instead of
//! one `GetExecution` per execution.
//!
//! Each poll asks, per organization, project and domain, for the members still running, by name
//! (`value_in(execution_name,a;b;...)`), sorted by name, at most
//! [`WaitOptions::names_per_call`] names a call, asking for one more row than names so that one
//! page answers a call. FlyteAdmin's page token is an offset into the query, which it runs
//! again for every page: rows that stop matching between two pages shift the rest, and rows
//! in no fixed order may come twice or never. Filtering on names (which never change), not on
//! phase, and sorting on the name (unique in a project and domain) keep the pages of one call
//! stable while executions change phase. A member missing from the answer (archived since the
//! watch began: the list hides archived executions unless filtered on state) is fetched with
//! `GetExecution`, so none is missed.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Duration;

use flyteidl::flyteidl::admin;
use flyteidl::flyteidl::core::workflow_execution::Phase;
use futures::stream::BoxStream;
use futures::{StreamExt as _, TryStreamExt as _};

use super::watch::{is_terminal, phase_of, WaitOptions};
use crate::client::AdminClient;
use crate::error::{Code, Error, Result};
use crate::ids::ExecutionId;
use crate::list::{Filters, ListOptions};

/// The default of [`WaitOptions::names_per_call`]: 200 execution names per `ListExecutions`.
///
/// Chosen well inside every limit on the way:
/// - the request: FlyteAdmin (grpc-go) refuses requests over 4 MiB; a name is at most 63
///   characters and a `;`, so some 65,000 names would fit;
/// - the filter grammar: one regular expression over the expression (RE2, linear), no count;
/// - Postgres: gorm binds each value of `value_in` as one parameter, and the wire protocol
///   counts a statement's parameters in 16 bits (65,535);
/// - the test kit: no limit of its own (it parses a filter's values once per call);
/// - the answer, the tightest: a page carries whole `Execution` messages (about 1 to 3 KB from
///   FlyteAdmin, inputs cleared), and many gRPC clients keep the 4 MiB default receive limit
///   (this one allows 20 MiB): 200 executions stay under 1 MiB even at 5 KB each.
///
/// 1,000 executions then take 5 calls a poll instead of 1,000.
pub const DEFAULT_NAMES_PER_CALL: usize = 200;

/// What an execution name may not hold to be asked for in `value_in`: `;` separates values,
/// `+` expressions, and FlyteAdmin's pattern `(.+)\((.+),\s?(.+)\)` reads `,` and `(` as its own.
const FILTER_SYNTAX: &[char] = &[';', '+', ',', '(', ')'];

/// A member of the set still running, with the phase last reported.
struct Member {
    id: ExecutionId,
    last_phase: Option<i32>,
    ended: bool,
}

/// The scope of one `ListExecutions`: organization, project, domain.
type Scope = (String, String, String);

struct SetWatch {
    client: AdminClient,
    running: BTreeMap<Scope, Vec<Member>>,
    /// Items found by the last poll and not yet taken.
    ready: VecDeque<Result<admin::Execution>>,
    /// `None` when the timeout is too long to add to the clock: no deadline.
    deadline: Option<tokio::time::Instant>,
    interval: Duration,
    max_interval: Duration,
    timeout: Duration,
    names_per_call: usize,
    sleep: Option<Duration>,
    finished: bool,
}

impl AdminClient {
    /// One stream of phase changes for a whole set of executions: each member when its phase
    /// changes (its first poll always), its terminal phase last; the stream ends when every
    /// member has ended. Polls as [`AdminClient::watch_execution`] does (the same interval,
    /// backoff and deadline), but with `ListExecutions` filtered to the members still running,
    /// [`WaitOptions::names_per_call`] names a call ([`DEFAULT_NAMES_PER_CALL`] explains the
    /// default), so a poll of 1,000 executions costs 5 calls instead of 1,000. A set of one
    /// yields what `watch_execution` yields. Repeated ids are watched once.
    ///
    /// # Errors
    /// An item is INVALID_ARGUMENT (before any call) for a name that cannot be put in a filter,
    /// NOT_FOUND for an id no execution has, DEADLINE_EXCEEDED when `options.timeout` passes
    /// first (naming the members still running), or a call's failure after the retry layer's
    /// attempts; the stream ends after an error.
    pub fn watch_executions<I>(
        &self,
        ids: I,
        options: WaitOptions,
    ) -> BoxStream<'static, Result<admin::Execution>>
    where
        I: IntoIterator,
        I::Item: Borrow<ExecutionId>,
    {
        let mut running: BTreeMap<Scope, Vec<Member>> = BTreeMap::new();
        let mut seen = HashSet::new();
        for id in ids {
            let id = id.borrow();
            if id.name.is_empty() || id.name.contains(FILTER_SYNTAX) {
                let problem = self.invalid(
                    "ListExecutions",
                    format!(
                        "execution {id}: the name {:?} cannot be asked for in a filter \
                         (it is empty or holds one of ; + , ( ))",
                        id.name
                    ),
                );
                return futures::stream::once(async { Err(problem) }).boxed();
            }
            if seen.insert(id.clone()) {
                let scope = (id.org.clone(), id.project.clone(), id.domain.clone());
                running.entry(scope).or_default().push(Member {
                    id: id.clone(),
                    last_phase: None,
                    ended: false,
                });
            }
        }
        let state = SetWatch {
            client: self.clone(),
            running,
            ready: VecDeque::new(),
            deadline: tokio::time::Instant::now().checked_add(options.timeout),
            interval: options.initial_interval,
            max_interval: options.max_interval,
            timeout: options.timeout,
            names_per_call: options.names_per_call.max(1),
            sleep: None,
            finished: false,
        };
        futures::stream::try_unfold(state, |mut w| async move {
            loop {
                if let Some(item) = w.ready.pop_front() {
                    return item.map(|execution| Some((execution, w)));
                }
                if w.finished || w.running.is_empty() {
                    return Ok(None);
                }
                if let Some(pause) = w.sleep.take() {
                    tokio::time::sleep(pause).await;
                }
                if let Err(e) = w.poll().await {
                    w.ready.push_back(Err(e));
                    w.finished = true;
                    continue;
                }
                if w.running.is_empty() {
                    continue;
                }
                let now = tokio::time::Instant::now();
                let left = w.deadline.map(|d| d.saturating_duration_since(now));
                if left == Some(Duration::ZERO) {
                    w.ready.push_back(Err(w.deadline_error()));
                    w.finished = true;
                    continue;
                }
                w.sleep = Some(left.map_or(w.interval, |left| w.interval.min(left)));
                w.interval = (w.interval + w.interval / 2).min(w.max_interval);
            }
        })
        .boxed()
    }

    /// Waits until every execution of the set has ended, with
    /// [`AdminClient::watch_executions`], and returns each final execution, in the order of
    /// `ids` (a repeated id once).
    ///
    /// # Errors
    /// As [`AdminClient::watch_executions`]: the first error ends the wait.
    pub async fn wait_all<I>(&self, ids: I, options: WaitOptions) -> Result<Vec<admin::Execution>>
    where
        I: IntoIterator,
        I::Item: Borrow<ExecutionId>,
    {
        let ids: Vec<ExecutionId> = ids.into_iter().map(|id| id.borrow().clone()).collect();
        let mut finals: HashMap<ExecutionId, admin::Execution> = HashMap::new();
        let mut changes = self.watch_executions(&ids, options);
        while let Some(execution) = changes.try_next().await? {
            if is_terminal(phase_of(&execution)) {
                if let Some(id) = execution.id.as_ref() {
                    finals.insert(ExecutionId::from_pb(id), execution);
                }
            }
        }
        let mut out = Vec::with_capacity(finals.len());
        for id in &ids {
            if let Some(execution) = finals.remove(id) {
                out.push(execution);
            }
        }
        Ok(out)
    }

    /// `ListExecutions` in a scope that may name an organization.
    fn list_executions_in(
        &self,
        id: admin::NamedEntityIdentifier,
        opts: &ListOptions,
    ) -> crate::list::Listing<admin::Execution> {
        list_stream!(
            self,
            "ListExecutions",
            opts,
            |token| |o: &ListOptions| admin::ResourceListRequest {
                id: Some(id.clone()),
                limit: o.page_size,
                token: token.clone(),
                filters: o.filters.to_string(),
                sort_by: o.sort_pb(),
            },
            list_executions,
            executions
        )
    }

    /// The executions of `scope` named in `names`, by name, following pages of `page_size`.
    async fn executions_named(
        &self,
        scope: &Scope,
        names: &[&str],
        page_size: u32,
    ) -> Result<HashMap<String, admin::Execution>> {
        let (org, project, domain) = scope;
        let opts = ListOptions::new()
            .filters(Filters::new().value_in("execution_name", names))
            .sort_by("execution_name", false)
            .page_size(page_size);
        let id = admin::NamedEntityIdentifier {
            project: project.clone(),
            domain: domain.clone(),
            name: String::new(),
            org: org.clone(),
        };
        let wanted: HashSet<&str> = names.iter().copied().collect();
        let listing = self.list_executions_in(id, &opts);
        let mut found = HashMap::new();
        let mut pages = listing.pages();
        while let Some(page) = pages.try_next().await? {
            for execution in page {
                let name = execution.id.as_ref().map(|i| i.name.clone());
                if let Some(name) = name.filter(|n| wanted.contains(n.as_str())) {
                    found.insert(name, execution);
                }
            }
        }
        Ok(found)
    }
}

impl SetWatch {
    /// One poll of every member still running: what changed goes to `ready`, members that
    /// ended leave the set.
    async fn poll(&mut self) -> Result<()> {
        let SetWatch {
            client,
            running,
            ready,
            names_per_call,
            ..
        } = self;
        for (scope, members) in running.iter_mut() {
            for chunk in members.chunks_mut(*names_per_call) {
                let names: Vec<&str> = chunk.iter().map(|m| m.id.name.as_str()).collect();
                // One row more than names: the page is never full, so no second call finds
                // an empty page.
                let page_size = u32::try_from(names.len() + 1).unwrap_or(u32::MAX);
                let mut found = client.executions_named(scope, &names, page_size).await?;
                for member in chunk.iter_mut() {
                    let execution = match found.remove(&member.id.name) {
                        Some(execution) => execution,
                        None => client.get_execution(&member.id).await.map_err(|e| {
                            if e.is_not_found() {
                                Error::new(
                                    Code::NotFound,
                                    "GetExecution",
                                    client.endpoint(),
                                    format!(
                                        "execution {} does not exist: watch_executions was \
                                         given an id no execution has ({})",
                                        member.id,
                                        e.message()
                                    ),
                                )
                            } else {
                                e
                            }
                        })?,
                    };
                    let phase = execution.closure.as_ref().map_or(0, |c| c.phase);
                    let ended = is_terminal(phase_of(&execution));
                    if ended || member.last_phase.replace(phase) != Some(phase) {
                        ready.push_back(Ok(execution));
                    }
                    member.ended = ended;
                }
            }
            members.retain(|m| !m.ended);
        }
        running.retain(|_, members| !members.is_empty());
        Ok(())
    }

    /// DEADLINE_EXCEEDED naming what still runs (as `watch_execution` words it for one).
    fn deadline_error(&self) -> Error {
        let members: Vec<&Member> = self.running.values().flatten().collect();
        let phase = |m: &Member| {
            Phase::try_from(m.last_phase.unwrap_or(0)).map_or("UNKNOWN", |p| p.as_str_name())
        };
        let message = match members.as_slice() {
            [one] => format!(
                "execution {} still {} after {:?}",
                one.id,
                phase(one),
                self.timeout
            ),
            many => {
                const SHOWN: usize = 5;
                let mut names: Vec<String> = many
                    .iter()
                    .take(SHOWN)
                    .map(|m| format!("{} {}", m.id, phase(m)))
                    .collect();
                if many.len() > SHOWN {
                    names.push(format!("and {} more", many.len() - SHOWN));
                }
                format!(
                    "{} executions still running after {:?}: {}",
                    many.len(),
                    self.timeout,
                    names.join(", ")
                )
            }
        };
        Error::new(
            Code::DeadlineExceeded,
            "ListExecutions",
            self.client.endpoint(),
            message,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flyte_testkit::{ExecutionRun, Executors, Plan, TestAdmin};
    use flyteidl::flyteidl::core;

    /// Six executions of one task, each call taking 100 ms; `eN` ends N × 100 ms + 150 ms after
    /// the returned instant (so `e0` ends between the first and second page of a list started
    /// then).
    async fn six() -> std::result::Result<
        (TestAdmin, AdminClient, Vec<String>, tokio::time::Instant),
        Box<dyn std::error::Error>,
    > {
        let start = tokio::time::Instant::now() + Duration::from_secs(5);
        let admin = TestAdmin::builder()
            .latency(Duration::from_millis(100))
            .executor(Executors::custom(move |run: &ExecutionRun| {
                let n: u64 = run.id.name[1..].parse().unwrap_or(0);
                let end = start + Duration::from_millis(n * 100 + 150);
                let left = end.saturating_duration_since(tokio::time::Instant::now());
                Plan::succeed(left, run.echo_outputs())
            }))
            .start()
            .await?;
        let client = AdminClient::builder()
            .endpoint(admin.addr().to_string())
            .insecure(true)
            .build()?;
        let task = crate::TaskId::new("flytesnacks", "development", "t", "v1");
        client
            .create_task(
                &task,
                admin::TaskSpec {
                    template: Some(core::TaskTemplate {
                        r#type: "python-task".into(),
                        metadata: Some(Default::default()),
                        interface: Some(core::TypedInterface::default()),
                        target: Some(core::task_template::Target::Container(core::Container {
                            image: "img".into(),
                            ..Default::default()
                        })),
                        ..Default::default()
                    }),
                    description: None,
                },
            )
            .await?;
        let mut names = Vec::new();
        for n in 0..6 {
            let name = format!("e{n}");
            client
                .execute_task(&task, Some(&name), &serde_json::Map::new())
                .await?;
            names.push(name);
        }
        Ok((admin, client, names, start))
    }

    fn scope() -> Scope {
        (String::new(), "flytesnacks".into(), "development".into())
    }

    /// FlyteAdmin's token is an offset into a query run again for each page: with pages of 2
    /// while executions end between pages, a listing filtered on phase skips rows, one filtered
    /// and sorted on names misses none.
    #[tokio::test(start_paused = true)]
    async fn pages_by_name_stay_whole_while_phases_change(
    ) -> std::result::Result<(), Box<dyn std::error::Error>> {
        let (admin, client, names, start) = six().await?;
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        tokio::time::sleep_until(start).await;
        let before = admin.calls("ListExecutions");
        let found = client.executions_named(&scope(), &names, 2).await?;
        let mut got: Vec<&String> = found.keys().collect();
        got.sort();
        assert_eq!(got, ["e0", "e1", "e2", "e3", "e4", "e5"]);
        // Three full pages, then an empty one that ends the list.
        assert_eq!(admin.calls("ListExecutions") - before, 4);

        let (_admin, client, _, start) = six().await?;
        tokio::time::sleep_until(start).await;
        let opts = ListOptions::new()
            .filters(Filters::new().eq("phase", "RUNNING"))
            .page_size(2);
        let running: Vec<admin::Execution> = client
            .list_executions("flytesnacks", "development", &opts)
            .try_collect()
            .await?;
        assert!(
            running.len() < 6,
            "rows that stopped matching shifted the offsets: {:?}",
            running
                .iter()
                .map(|e| e.id.as_ref().map(|i| i.name.clone()))
                .collect::<Vec<_>>()
        );
        Ok(())
    }
}
