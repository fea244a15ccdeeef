//! Waiting for an execution, watching its phases, and the console's pages.

use std::time::Duration;

use flyteidl::flyteidl::admin::{self};
use flyteidl::flyteidl::core::{workflow_execution::Phase, ResourceType};
use futures::stream::BoxStream;
use futures::{StreamExt as _, TryStreamExt as _};

use crate::client::AdminClient;
use crate::error::Result;
use crate::ids::ExecutionId;

pub use super::watch_set::DEFAULT_NAMES_PER_CALL;

/// Whether an execution phase is final (SUCCEEDED, FAILED, ABORTED, TIMED_OUT).
pub fn is_terminal(phase: Phase) -> bool {
    matches!(
        phase,
        Phase::Succeeded | Phase::Failed | Phase::Aborted | Phase::TimedOut
    )
}

/// An execution's phase: UNDEFINED when it has no closure or a phase this crate does not know.
pub fn phase_of(execution: &admin::Execution) -> Phase {
    execution
        .closure
        .as_ref()
        .and_then(|c| Phase::try_from(c.phase).ok())
        .unwrap_or(Phase::Undefined)
}

/// How [`AdminClient::wait_for_execution`] polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitOptions {
    /// Give up after this long.
    pub timeout: Duration,
    /// The first poll interval; it grows by half each poll.
    pub initial_interval: Duration,
    /// The longest poll interval.
    pub max_interval: Duration,
    /// For [`AdminClient::watch_executions`]: the most execution names one `ListExecutions`
    /// call asks for (default [`DEFAULT_NAMES_PER_CALL`]; at least 1).
    pub names_per_call: usize,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(3600),
            initial_interval: Duration::from_millis(200),
            max_interval: Duration::from_secs(10),
            names_per_call: DEFAULT_NAMES_PER_CALL,
        }
    }
}

impl WaitOptions {
    /// Waits up to `timeout`.
    pub fn timeout(timeout: Duration) -> Self {
        WaitOptions {
            timeout,
            ..WaitOptions::default()
        }
    }

    /// Asks for at most `n` execution names per `ListExecutions` call in
    /// [`AdminClient::watch_executions`] (at least 1).
    #[must_use]
    pub fn names_per_call(mut self, n: usize) -> Self {
        self.names_per_call = n.max(1);
        self
    }
}

impl AdminClient {
    /// backing off, and returns it.
    ///
    /// # Errors
    /// DEADLINE_EXCEEDED after the timeout, and the calls' failures.
    pub async fn wait_for_execution(
        &self,
        id: &ExecutionId,
        options: WaitOptions,
    ) -> Result<admin::Execution> {
        let mut changes = self.watch_execution(id, options);
        let mut last = None;
        while let Some(execution) = changes.try_next().await? {
            last = Some(execution);
        }
        last.ok_or_else(|| {
            crate::Error::new(
                crate::Code::Internal,
                "GetExecution",
                self.endpoint(),
                format!("execution {id}: the watch ended without a phase"),
            )
        })
    }

    /// The execution each time its phase changes (the first poll always), polling as
    /// [`AdminClient::wait_for_execution`] does; the stream ends after the terminal phase.
    ///
    /// # Errors
    /// An item is DEADLINE_EXCEEDED when `options.timeout` passes first (then the stream
    /// ends), or the failure of a poll.
    pub fn watch_execution(
        &self,
        id: &ExecutionId,
        options: WaitOptions,
    ) -> BoxStream<'static, Result<admin::Execution>> {
        struct Watch {
            client: AdminClient,
            id: ExecutionId,
            /// `None` when the timeout is too long to add to the clock: no deadline.
            deadline: Option<tokio::time::Instant>,
            interval: Duration,
            max_interval: Duration,
            timeout: Duration,
            last_phase: Option<i32>,
            sleep: Option<Duration>,
            done: bool,
        }
        let state = Watch {
            client: self.clone(),
            id: id.clone(),
            deadline: tokio::time::Instant::now().checked_add(options.timeout),
            interval: options.initial_interval,
            max_interval: options.max_interval,
            timeout: options.timeout,
            last_phase: None,
            sleep: None,
            done: false,
        };
        futures::stream::try_unfold(state, |mut w| async move {
            if w.done {
                return Ok(None);
            }
            loop {
                if let Some(pause) = w.sleep.take() {
                    tokio::time::sleep(pause).await;
                }
                let execution = w.client.get_execution(&w.id).await?;
                let phase = execution.closure.as_ref().map_or(0, |c| c.phase);
                if is_terminal(phase_of(&execution)) {
                    w.done = true;
                    return Ok(Some((execution, w)));
                }
                let now = tokio::time::Instant::now();
                let left = w.deadline.map(|d| d.saturating_duration_since(now));
                if left == Some(Duration::ZERO) {
                    return Err(crate::Error::new(
                        crate::Code::DeadlineExceeded,
                        "GetExecution",
                        w.client.endpoint(),
                        format!(
                            "execution {} still {} after {:?}",
                            w.id,
                            Phase::try_from(phase).map_or("UNKNOWN", |p| p.as_str_name()),
                            w.timeout
                        ),
                    ));
                }
                w.sleep = Some(left.map_or(w.interval, |left| w.interval.min(left)));
                w.interval = (w.interval + w.interval / 2).min(w.max_interval);
                if w.last_phase.replace(phase) != Some(phase) {
                    return Ok(Some((execution, w)));
                }
            }
        })
        .boxed()
    }

    /// The console's page for an execution, when the console URL is known (`console.endpoint`,
    /// else the admin endpoint over https).
    pub fn console_url(&self, id: &ExecutionId) -> String {
        format!(
            "{}/console/projects/{}/domains/{}/executions/{}",
            self.console_base(),
            id.project,
            id.domain,
            id.name
        )
    }

    /// The console's page for a task, workflow or launch plan name.
    pub fn console_entity_url(
        &self,
        resource_type: ResourceType,
        project: &str,
        domain: &str,
        name: &str,
    ) -> String {
        let kind = match resource_type {
            ResourceType::Task => "tasks",
            ResourceType::LaunchPlan => "launch_plans",
            _ => "workflows",
        };
        format!(
            "{}/console/projects/{project}/domains/{domain}/{kind}/{name}",
            self.console_base()
        )
    }

    fn console_base(&self) -> String {
        self.inner
            .console
            .clone()
            .unwrap_or_else(|| format!("https://{}", self.endpoint()))
    }
}
