//! List schemas and rows for executions, node executions and task executions.

use flyteidl::flyteidl::admin::{
    execution_closure, Execution, ExecutionState, NodeExecution, TaskExecution,
};
use flyteidl::flyteidl::core::Identifier;

use crate::db::{id_col, time_col, Db};
use crate::lists::{Col, Row, Schema};

const EXEC_PHASES: &[&str] = &[
    "UNDEFINED",
    "QUEUED",
    "RUNNING",
    "SUCCEEDING",
    "SUCCEEDED",
    "FAILING",
    "FAILED",
    "ABORTED",
    "TIMED_OUT",
    "ABORTING",
];
const EXEC_STATES: &[&str] = &["EXECUTION_ACTIVE", "EXECUTION_ARCHIVED"];
const MODES: &[&str] = &[
    "MANUAL",
    "SCHEDULED",
    "SYSTEM",
    "RELAUNCH",
    "CHILD_WORKFLOW",
    "RECOVERED",
    "TRIGGER",
];
const ID_COLS: &[&str] = &["project", "domain", "name", "version"];

pub(crate) const EXECUTION_SCHEMA: Schema = Schema {
    entity: "execution",
    columns: &[
        "execution_project",
        "execution_domain",
        "execution_name",
        "execution_org",
        "phase",
        "state",
        "mode",
        "duration",
        "started_at",
        "execution_created_at",
        "execution_updated_at",
        "created_at",
        "updated_at",
        "error_kind",
        "error_code",
        "user",
        "launch_plan_id",
        "workflow_id",
        "task_id",
    ],
    joins: &[
        ("launch_plan", ID_COLS),
        ("workflow", ID_COLS),
        ("task", ID_COLS),
    ],
    rpc: "ListExecutions",
};

#[derive(Clone)]
pub(crate) struct ExecRow {
    pub(crate) execution: Execution,
    pub(crate) launch_plan: Identifier,
    pub(crate) workflow: Identifier,
    pub(crate) task: Option<Identifier>,
}

impl Row for ExecRow {
    fn col(&self, entity: &str, column: &str) -> Option<Col> {
        match entity {
            "launch_plan" => return id_col(Some(&self.launch_plan), column),
            "workflow" => return id_col(Some(&self.workflow), column),
            "task" => return id_col(self.task.as_ref(), column),
            _ => {}
        }
        let id = self.execution.id.clone().unwrap_or_default();
        let c = self.execution.closure.clone().unwrap_or_default();
        let error = match &c.output_result {
            Some(execution_closure::OutputResult::Error(e)) => Some(e.clone()),
            _ => None,
        };
        Some(match column {
            "execution_project" => Col::Str(id.project),
            "execution_domain" => Col::Str(id.domain),
            "execution_name" => Col::Str(id.name),
            "execution_org" => Col::Str(id.org),
            "phase" => Col::Enum(i64::from(c.phase), EXEC_PHASES),
            "state" => Col::Enum(
                i64::from(c.state_change_details.as_ref().map_or(0, |s| s.state)),
                EXEC_STATES,
            ),
            "mode" => Col::Enum(
                i64::from(
                    self.execution
                        .spec
                        .as_ref()
                        .and_then(|s| s.metadata.as_ref())
                        .map_or(0, |m| m.mode),
                ),
                MODES,
            ),
            "duration" => Col::Dur(
                c.duration
                    .as_ref()
                    .map_or(0.0, |d| d.seconds as f64 + f64::from(d.nanos) / 1e9),
            ),
            "started_at" => time_col(c.started_at.as_ref()),
            "execution_created_at" | "created_at" => time_col(c.created_at.as_ref()),
            "execution_updated_at" | "updated_at" => time_col(c.updated_at.as_ref()),
            "error_kind" => Col::Str(
                error
                    .as_ref()
                    .map(|e| e.kind.to_string())
                    .unwrap_or_default(),
            ),
            "error_code" => Col::Str(error.map(|e| e.code).unwrap_or_default()),
            "user" => Col::Str(
                self.execution
                    .spec
                    .as_ref()
                    .and_then(|s| s.metadata.as_ref())
                    .map(|m| m.principal.clone())
                    .unwrap_or_default(),
            ),
            "launch_plan_id" => Col::Str(self.launch_plan.name.clone()),
            "workflow_id" => Col::Str(self.workflow.name.clone()),
            "task_id" => Col::Str(
                self.task
                    .as_ref()
                    .map(|t| t.name.clone())
                    .unwrap_or_default(),
            ),
            _ => return None,
        })
    }
}

pub(crate) fn exec_rows(
    db: &Db,
    project: &str,
    domain: &str,
    name: &str,
    include_archived: bool,
) -> Vec<ExecRow> {
    db.executions
        .iter()
        .filter(|r| {
            let id = r.value.execution.id.as_ref();
            let archived = r
                .value
                .execution
                .closure
                .as_ref()
                .and_then(|c| c.state_change_details.as_ref())
                .is_some_and(|s| s.state == ExecutionState::ExecutionArchived as i32);
            id.is_some_and(|i| {
                i.project == project && i.domain == domain && (name.is_empty() || i.name == name)
            }) && (include_archived || !archived)
        })
        .map(|r| ExecRow {
            execution: r.value.execution.clone(),
            launch_plan: r.value.launch_plan.clone(),
            workflow: r.value.workflow.clone(),
            task: r.value.task.clone(),
        })
        .collect()
}

const NODE_PHASES: &[&str] = &[
    "UNDEFINED",
    "QUEUED",
    "RUNNING",
    "SUCCEEDED",
    "FAILING",
    "FAILED",
    "ABORTED",
    "SKIPPED",
    "TIMED_OUT",
    "DYNAMIC_RUNNING",
    "RECOVERED",
];
const TASK_PHASES: &[&str] = &[
    "UNDEFINED",
    "QUEUED",
    "RUNNING",
    "SUCCEEDED",
    "ABORTED",
    "FAILED",
    "INITIALIZING",
    "WAITING_FOR_RESOURCES",
];

pub(crate) const NODE_EXECUTION_SCHEMA: Schema = Schema {
    entity: "node_execution",
    columns: &[
        "node_id",
        "phase",
        "started_at",
        "duration",
        "created_at",
        "updated_at",
        "node_execution_created_at",
        "node_execution_updated_at",
    ],
    joins: &[(
        "execution",
        &["execution_project", "execution_domain", "execution_name"],
    )],
    rpc: "ListNodeExecutions",
};

pub(crate) const TASK_EXECUTION_SCHEMA: Schema = Schema {
    entity: "task_execution",
    columns: &[
        "phase",
        "retry_attempt",
        "started_at",
        "duration",
        "created_at",
        "updated_at",
        "project",
        "domain",
        "name",
        "version",
        "node_id",
    ],
    joins: &[],
    rpc: "ListTaskExecutions",
};

#[derive(Clone)]
pub(crate) struct NodeRow(pub(crate) NodeExecution);

impl Row for NodeRow {
    fn col(&self, entity: &str, column: &str) -> Option<Col> {
        let id = self.0.id.clone().unwrap_or_default();
        if entity == "execution" {
            let e = id.execution_id.unwrap_or_default();
            return Some(Col::Str(match column {
                "execution_project" => e.project,
                "execution_domain" => e.domain,
                _ => e.name,
            }));
        }
        let c = self.0.closure.clone().unwrap_or_default();
        Some(match column {
            "node_id" => Col::Str(id.node_id),
            "phase" => Col::Enum(i64::from(c.phase), NODE_PHASES),
            "started_at" => time_col(c.started_at.as_ref()),
            "duration" => Col::Dur(
                c.duration
                    .as_ref()
                    .map_or(0.0, |d| d.seconds as f64 + f64::from(d.nanos) / 1e9),
            ),
            "created_at" | "node_execution_created_at" => time_col(c.created_at.as_ref()),
            "updated_at" | "node_execution_updated_at" => time_col(c.updated_at.as_ref()),
            _ => return None,
        })
    }
}

#[derive(Clone)]
pub(crate) struct TaskRow(pub(crate) TaskExecution);

impl Row for TaskRow {
    fn col(&self, _: &str, column: &str) -> Option<Col> {
        let id = self.0.id.clone().unwrap_or_default();
        let c = self.0.closure.clone().unwrap_or_default();
        Some(match column {
            "phase" => Col::Enum(i64::from(c.phase), TASK_PHASES),
            "retry_attempt" => Col::Int(i64::from(id.retry_attempt)),
            "started_at" => time_col(c.started_at.as_ref()),
            "duration" => Col::Dur(
                c.duration
                    .as_ref()
                    .map_or(0.0, |d| d.seconds as f64 + f64::from(d.nanos) / 1e9),
            ),
            "created_at" => time_col(c.created_at.as_ref()),
            "updated_at" => time_col(c.updated_at.as_ref()),
            "node_id" => Col::Str(id.node_execution_id.map(|n| n.node_id).unwrap_or_default()),
            other => return id_col(id.task_id.as_ref(), other),
        })
    }
}
