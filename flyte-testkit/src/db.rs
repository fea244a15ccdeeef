//! The test kit's in-memory database: what FlyteAdmin keeps in Postgres and blob storage.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use flyteidl::flyteidl::admin::{
    self, Domain, LaunchPlan, NamedEntityMetadata, Project, Task, Workflow,
};
use flyteidl::flyteidl::core::{Identifier, LiteralMap, ResourceType, WorkflowExecutionIdentifier};
use prost_types::Timestamp;
use tokio::sync::watch;

use crate::errors::{invalid, missing, Result};
use crate::lists::Col;

pub(crate) fn now() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp {
        seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(d.subsec_nanos()).unwrap_or(0),
    }
}

pub(crate) fn time_col(t: Option<&Timestamp>) -> Col {
    let t = t.cloned().unwrap_or_default();
    Col::Time(i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos))
}

pub(crate) fn duration_between(a: &Timestamp, b: &Timestamp) -> prost_types::Duration {
    let mut secs = b.seconds - a.seconds;
    let mut nanos = b.nanos - a.nanos;
    if nanos < 0 {
        secs -= 1;
        nanos += 1_000_000_000;
    }
    prost_types::Duration {
        seconds: secs.max(0),
        nanos: if secs < 0 { 0 } else { nanos },
    }
}

/// A stored entity with its bookkeeping.
#[derive(Debug, Clone)]
pub(crate) struct Record<T> {
    pub(crate) value: T,
    pub(crate) created: Timestamp,
    pub(crate) updated: Timestamp,
}

impl<T> Record<T> {
    pub(crate) fn new(value: T) -> Self {
        let t = now();
        Record {
            value,
            created: t.clone(),
            updated: t,
        }
    }
}

/// Everything recorded about one execution.
#[derive(Debug)]
pub(crate) struct ExecRecord {
    pub(crate) execution: admin::Execution,
    /// The inputs as the user gave them (relaunch and recover reuse these).
    pub(crate) user_inputs: LiteralMap,
    /// The inputs after launch plan defaults and fixed inputs were merged.
    pub(crate) inputs: LiteralMap,
    pub(crate) outputs: Option<LiteralMap>,
    pub(crate) nodes: Vec<NodeRecord>,
    /// Tells the driver to stop: the execution was terminated.
    pub(crate) abort: Option<watch::Sender<bool>>,
    /// The launch plan (or generated launch plan) that was run.
    pub(crate) launch_plan: Identifier,
    pub(crate) workflow: Identifier,
    pub(crate) task: Option<Identifier>,
    pub(crate) abort_cause: String,
}

/// A node execution and, for task nodes, its task execution.
#[derive(Debug, Clone)]
pub(crate) struct NodeRecord {
    pub(crate) node: admin::NodeExecution,
    pub(crate) task: Option<admin::TaskExecution>,
    pub(crate) inputs: LiteralMap,
    /// The outputs, once the node has succeeded.
    pub(crate) outputs: Option<LiteralMap>,
    /// What the node outputs when it succeeds.
    pub(crate) result: LiteralMap,
    /// The parent node's id, for nodes run inside a sub-workflow, branch or dynamic node.
    pub(crate) parent: Option<String>,
    pub(crate) kind: NodeKind,
    /// The workflow a dynamic node generated, for `GetNodeExecutionData`.
    pub(crate) dynamic_workflow: Option<admin::DynamicWorkflowNodeMetadata>,
    /// The child execution a launch-plan node started.
    pub(crate) child: Option<flyteidl::flyteidl::core::WorkflowExecutionIdentifier>,
    /// What the catalog does for a task node: none for other nodes.
    pub(crate) memo: Option<crate::catalog::Memo>,
}

/// What the services and the phase updates need to know of a node's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeKind {
    /// A workflow's start node: done as soon as the run starts, never RUNNING.
    Start,
    /// A workflow's end node: never RUNNING.
    End,
    /// A branch node: FlyteAdmin reports it as a parent in lists only.
    Branch,
    /// Any other node.
    Other,
}

/// A matchable attribute row.
#[derive(Debug, Clone)]
pub(crate) struct AttributeRecord {
    pub(crate) project: String,
    pub(crate) domain: String,
    pub(crate) workflow: String,
    pub(crate) launch_plan: String,
    pub(crate) resource_type: i32,
    pub(crate) org: String,
    pub(crate) attributes: admin::MatchingAttributes,
}

impl AttributeRecord {
    /// FlyteAdmin's priorities: project 5, project-domain 10, workflow 100, launch plan 1000.
    pub(crate) fn priority(&self) -> u32 {
        if !self.launch_plan.is_empty() {
            1000
        } else if !self.workflow.is_empty() {
            100
        } else if !self.domain.is_empty() {
            10
        } else {
            5
        }
    }
}

/// The whole database.
#[derive(Debug, Default)]
pub(crate) struct Db {
    pub(crate) domains: Vec<Domain>,
    pub(crate) projects: Vec<Record<Project>>,
    pub(crate) tasks: Vec<Record<Task>>,
    pub(crate) workflows: Vec<Record<Workflow>>,
    pub(crate) launch_plans: Vec<Record<LaunchPlan>>,
    /// Positions in `tasks`, `workflows` and `launch_plans` by (resource type, project,
    /// domain, name, version): lookups stay constant as the store grows. Entities are only ever
    /// appended, so positions never move.
    pub(crate) index: HashMap<(i32, String, String, String, String), usize>,
    /// Named entity metadata by (resource type, project, domain, name).
    pub(crate) named: HashMap<(i32, String, String, String), NamedEntityMetadata>,
    pub(crate) descriptions: Vec<Record<admin::DescriptionEntity>>,
    /// The identifiers in `descriptions`, to find one without a scan.
    pub(crate) described: std::collections::HashSet<(i32, String, String, String, String)>,
    /// Append only through [`Db::push_execution`], which keeps `execution_index` right.
    pub(crate) executions: Vec<Record<ExecRecord>>,
    /// Positions in `executions` by (project, domain, name): launching and driving thousands
    /// of executions looks each one up in constant time instead of a scan of all of them.
    /// Executions are only ever appended, so positions never move. The org is not part of the
    /// key, as an execution's identity never depended on it here.
    pub(crate) execution_index: HashMap<(String, String, String), usize>,
    pub(crate) attributes: Vec<AttributeRecord>,
    pub(crate) signals: Vec<Record<admin::Signal>>,
    /// What clients sent of tasks, workflows, launch plans and executions, where their bytes
    /// hold more than the `flyteidl` crate decodes.
    pub(crate) sent: crate::sent::SentStore,
}

/// The project and domain checks every entity RPC makes (`ValidateProjectAndDomain`).
impl Db {
    pub(crate) fn project(&self, id: &str) -> Option<&Record<Project>> {
        self.projects.iter().find(|p| p.value.id == id)
    }

    pub(crate) fn check_project_domain(&self, project: &str, domain: &str) -> Result<()> {
        if project.is_empty() {
            return Err(missing("project"));
        }
        if domain.is_empty() {
            return Err(missing("domain"));
        }
        let Some(p) = self.project(project) else {
            return Err(invalid(format!(
                "failed to validate that project [{project}] and domain [{domain}] are registered, err: [project [{project}] not found]"
            )));
        };
        if p.value.state != admin::project::ProjectState::Active as i32 {
            return Err(invalid(format!("project [{project}] is not active")));
        }
        if !self.domains.iter().any(|d| d.id == domain) {
            return Err(invalid(format!(
                "domain [{domain}] is unrecognized by system"
            )));
        }
        Ok(())
    }

    fn position(&self, rt: ResourceType, id: &Identifier) -> Option<usize> {
        self.index
            .get(&(
                rt as i32,
                id.project.clone(),
                id.domain.clone(),
                id.name.clone(),
                id.version.clone(),
            ))
            .copied()
    }

    fn remember(&mut self, rt: ResourceType, id: Option<&Identifier>, at: usize) {
        if let Some(id) = id {
            self.index.insert(
                (
                    rt as i32,
                    id.project.clone(),
                    id.domain.clone(),
                    id.name.clone(),
                    id.version.clone(),
                ),
                at,
            );
        }
    }

    pub(crate) fn find_task(&self, id: &Identifier) -> Option<&Record<Task>> {
        self.position(ResourceType::Task, id)
            .and_then(|i| self.tasks.get(i))
    }

    pub(crate) fn find_workflow(&self, id: &Identifier) -> Option<&Record<Workflow>> {
        self.position(ResourceType::Workflow, id)
            .and_then(|i| self.workflows.get(i))
    }

    pub(crate) fn find_launch_plan(&self, id: &Identifier) -> Option<&Record<LaunchPlan>> {
        self.position(ResourceType::LaunchPlan, id)
            .and_then(|i| self.launch_plans.get(i))
    }

    pub(crate) fn find_launch_plan_mut(
        &mut self,
        id: &Identifier,
    ) -> Option<&mut Record<LaunchPlan>> {
        self.position(ResourceType::LaunchPlan, id)
            .and_then(|i| self.launch_plans.get_mut(i))
    }

    pub(crate) fn push_task(&mut self, task: Task) {
        self.remember(ResourceType::Task, task.id.as_ref(), self.tasks.len());
        self.tasks.push(Record::new(task));
    }

    pub(crate) fn push_workflow(&mut self, workflow: Workflow) {
        self.remember(
            ResourceType::Workflow,
            workflow.id.as_ref(),
            self.workflows.len(),
        );
        self.workflows.push(Record::new(workflow));
    }

    pub(crate) fn push_launch_plan(&mut self, lp: LaunchPlan) {
        self.remember(
            ResourceType::LaunchPlan,
            lp.id.as_ref(),
            self.launch_plans.len(),
        );
        self.launch_plans.push(Record::new(lp));
    }

    fn execution_position(&self, id: &WorkflowExecutionIdentifier) -> Option<usize> {
        self.execution_index
            .get(&(id.project.clone(), id.domain.clone(), id.name.clone()))
            .copied()
    }

    pub(crate) fn find_execution(
        &self,
        id: &WorkflowExecutionIdentifier,
    ) -> Option<&Record<ExecRecord>> {
        self.execution_position(id)
            .and_then(|i| self.executions.get(i))
    }

    pub(crate) fn find_execution_mut(
        &mut self,
        id: &WorkflowExecutionIdentifier,
    ) -> Option<&mut Record<ExecRecord>> {
        self.execution_position(id)
            .and_then(|i| self.executions.get_mut(i))
    }

    /// Stores a new execution; the caller has checked that its id is not taken.
    pub(crate) fn push_execution(&mut self, record: ExecRecord) {
        if let Some(id) = record.execution.id.as_ref() {
            self.execution_index.insert(
                (id.project.clone(), id.domain.clone(), id.name.clone()),
                self.executions.len(),
            );
        }
        self.executions.push(Record::new(record));
    }
}

/// Same project, domain, name and version (resource type and org aside).
pub(crate) fn same_id(a: Option<&Identifier>, b: &Identifier) -> bool {
    a.is_some_and(|a| {
        a.project == b.project && a.domain == b.domain && a.name == b.name && a.version == b.version
    })
}

/// `ValidateIdentifier`: the resource type, then every field non-empty.
pub(crate) fn validate_identifier(
    id: Option<&Identifier>,
    expected: ResourceType,
) -> Result<Identifier> {
    let id = id.ok_or_else(|| missing("id"))?;
    let mut id = id.clone();
    if id.resource_type == ResourceType::Unspecified as i32 {
        id.resource_type = expected as i32;
    }
    if id.resource_type != expected as i32 {
        return Err(invalid(format!(
            "unexpected resource type {} for identifier [{}], expected {} instead",
            crate::errors::resource_type_name(id.resource_type).to_lowercase(),
            crate::errors::id_text(&id),
            expected.as_str_name().to_lowercase()
        )));
    }
    for (value, field) in [
        (&id.project, "project"),
        (&id.domain, "domain"),
        (&id.name, "name"),
        (&id.version, "version"),
    ] {
        if value.is_empty() {
            return Err(missing(field));
        }
    }
    Ok(id)
}

/// Identifier columns shared by tasks, workflows and launch plans.
pub(crate) fn id_col(id: Option<&Identifier>, column: &str) -> Option<Col> {
    let id = id?;
    Some(Col::Str(
        match column {
            "project" => &id.project,
            "domain" => &id.domain,
            "name" => &id.name,
            "version" => &id.version,
            "org" => &id.org,
            _ => return None,
        }
        .clone(),
    ))
}
