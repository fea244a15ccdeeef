//! Executions: FlyteAdmin's create path (name rules, input merging, single-task executions) and
//! a small stand-in for flytepropeller that moves phases and records node and task executions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use flyteidl::flyteidl::admin::{
    self, execution_closure, node_execution_closure, task_execution_closure, Execution,
    ExecutionClosure, ExecutionMetadata, ExecutionState, ExecutionStateChangeDetails,
    LaunchPlanSpec, NodeExecution, NodeExecutionClosure, NodeExecutionMetaData, TaskExecution,
    TaskExecutionClosure,
};
use flyteidl::flyteidl::core::{
    node, node_execution, parameter, task_execution, task_node, workflow_execution, Identifier,
    Literal, LiteralMap, Node, NodeExecutionIdentifier, ResourceType, TaskExecutionIdentifier,
    TaskNode, WorkflowExecutionIdentifier, WorkflowTemplate,
};
use tokio::sync::watch;
use tonic::Status;

use crate::db::{duration_between, id_col, now, time_col, Db, ExecRecord, NodeRecord, Record};
use crate::errors::{
    duplicate, exec_id_text, invalid, missing, missing_entity, missing_execution, Result,
};
use crate::executor::{ExecutionRun, Executors, Outcome};
use crate::lists::{Col, Row, Schema};
use crate::literals::{castable, describe, type_of};

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
}

impl Shared {
    pub(crate) fn db(&self) -> MutexGuard<'_, Db> {
        // A poisoned lock means a test already panicked; the data is still what it was.
        self.db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn http_base(&self) -> String {
        self.http_base.get().cloned().unwrap_or_default()
    }
}

const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `"a"` plus 19 characters of k8s' rand alphabet: FlyteAdmin's generated execution names.
pub(crate) fn generate_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::from("a");
    let state = std::collections::hash_map::RandomState::new();
    let mut h = state.build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    let mut x = h.finish() | 1;
    for _ in 0..19 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(char::from(
            NAME_ALPHABET[(x % NAME_ALPHABET.len() as u64) as usize],
        ));
    }
    out
}

/// FlyteAdmin's execution name rule, applied after lowercasing.
pub(crate) fn validate_name(name: &str) -> Result<String> {
    let lower = name.to_lowercase();
    if lower.len() > 63 {
        return Err(invalid("size of name exceeded length 63"));
    }
    let b = lower.as_bytes();
    let ok = b.first().is_some_and(u8::is_ascii_lowercase)
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
    if !ok {
        return Err(invalid(format!(
            "invalid name format: {lower}, does not match regex '^[a-z][a-z\\-0-9]*$'"
        )));
    }
    Ok(lower)
}

pub(crate) fn is_terminal(phase: i32) -> bool {
    use workflow_execution::Phase as P;
    [P::Succeeded, P::Failed, P::TimedOut, P::Aborted]
        .iter()
        .any(|p| *p as i32 == phase)
}

/// `CheckAndFetchInputsForExecution`: user inputs against the launch plan's expected inputs,
/// defaults filled in, fixed inputs added last and never overridden.
fn merge_inputs(
    user: &LiteralMap,
    spec: &LaunchPlanSpec,
    expected: &admin::LaunchPlanClosure,
) -> Result<LiteralMap> {
    let expected = expected
        .expected_inputs
        .clone()
        .unwrap_or_default()
        .parameters;
    let fixed = spec.fixed_inputs.clone().unwrap_or_default().literals;
    let mut out: HashMap<String, Literal> = HashMap::new();
    for (name, lit) in &user.literals {
        if fixed.contains_key(name) {
            return Err(invalid(format!("fixed_inputs {name} cannot be overridden")));
        }
        let Some(param) = expected.get(name) else {
            return Err(invalid(format!("invalid input {name}")));
        };
        let want = param
            .var
            .as_ref()
            .and_then(|v| v.r#type.clone())
            .unwrap_or_default();
        let got = type_of(lit);
        if !castable(&got, &want) {
            return Err(invalid(format!(
                "invalid {name} input wrong type. Expected {}, but got {}",
                describe(&want),
                describe(&got)
            )));
        }
        out.insert(name.clone(), lit.clone());
    }
    for (name, param) in &expected {
        if out.contains_key(name) {
            continue;
        }
        match &param.behavior {
            Some(parameter::Behavior::Default(lit)) => {
                out.insert(name.clone(), lit.clone());
            }
            _ => return Err(invalid(format!("expected_inputs {name} missing"))),
        }
    }
    for (name, lit) in fixed {
        out.insert(name, lit);
    }
    Ok(LiteralMap { literals: out })
}

fn template_of(wf: &admin::Workflow) -> WorkflowTemplate {
    wf.closure
        .as_ref()
        .and_then(|c| c.compiled_workflow.as_ref())
        .and_then(|c| c.primary.as_ref())
        .and_then(|p| p.template.clone())
        .unwrap_or_default()
}

impl Db {
    /// FlyteAdmin makes (or reuses) a `.flytegen.<task>` workflow and launch plan for a task launch.
    fn single_task_launch_plan(&mut self, task_id: &Identifier) -> Result<Identifier> {
        let task = self
            .find_task(task_id)
            .ok_or_else(|| missing_entity("TASK", task_id))?
            .value
            .clone();
        let template = task
            .closure
            .and_then(|c| c.compiled_task)
            .and_then(|c| c.template)
            .unwrap_or_default();
        let interface = template.interface.clone().unwrap_or_default();
        let name = format!(".flytegen.{}", task_id.name);
        let wf_id = Identifier {
            resource_type: ResourceType::Workflow as i32,
            name: name.clone(),
            ..task_id.clone()
        };
        let lp_id = Identifier {
            resource_type: ResourceType::LaunchPlan as i32,
            ..wf_id.clone()
        };
        if self.find_workflow(&wf_id).is_none() {
            let node = Node {
                id: "n0".to_owned(),
                target: Some(node::Target::TaskNode(TaskNode {
                    reference: Some(task_node::Reference::ReferenceId(task_id.clone())),
                    overrides: None,
                })),
                ..Node::default()
            };
            self.create_workflow(admin::WorkflowCreateRequest {
                id: Some(wf_id.clone()),
                spec: Some(admin::WorkflowSpec {
                    template: Some(WorkflowTemplate {
                        id: Some(wf_id.clone()),
                        interface: Some(interface),
                        nodes: vec![node],
                        ..WorkflowTemplate::default()
                    }),
                    ..admin::WorkflowSpec::default()
                }),
            })?;
        }
        if self.find_launch_plan(&lp_id).is_none() {
            self.create_launch_plan(admin::LaunchPlanCreateRequest {
                id: Some(lp_id.clone()),
                spec: Some(LaunchPlanSpec {
                    workflow_id: Some(wf_id),
                    ..LaunchPlanSpec::default()
                }),
            })?;
        }
        Ok(lp_id)
    }
}

/// Creates an execution and starts its driver.
// `spec.inputs` is deprecated, but FlyteAdmin still reads it when `inputs` is empty.
#[allow(deprecated)]
pub(crate) fn create_execution(
    shared: &Arc<Shared>,
    req: admin::ExecutionCreateRequest,
    principal: &str,
) -> Result<WorkflowExecutionIdentifier> {
    if req.project.is_empty() {
        return Err(missing("project"));
    }
    if req.domain.is_empty() {
        return Err(missing("domain"));
    }
    let name = if req.name.is_empty() {
        None
    } else {
        Some(validate_name(&req.name)?)
    };
    let mut spec = req.spec.ok_or_else(|| missing("spec"))?;
    let mut db = shared.db();
    db.check_project_domain(&req.project, &req.domain)?;
    let reference = spec
        .launch_plan
        .clone()
        .ok_or_else(|| missing("launch_plan"))?;
    for (v, f) in [
        (&reference.project, "project"),
        (&reference.domain, "domain"),
        (&reference.name, "name"),
        (&reference.version, "version"),
    ] {
        if v.is_empty() {
            return Err(missing(f));
        }
    }
    let user_inputs = match req.inputs {
        Some(i) if !i.literals.is_empty() => i,
        _ => spec.inputs.clone().unwrap_or_default(),
    };
    for (k, v) in &user_inputs.literals {
        if v.value.is_none() {
            return Err(missing(&format!("input {k}")));
        }
    }
    let (lp_id, task) = match ResourceType::try_from(reference.resource_type) {
        Ok(ResourceType::LaunchPlan) => (reference.clone(), None),
        Ok(ResourceType::Task) => (
            db.single_task_launch_plan(&reference)?,
            Some(reference.clone()),
        ),
        _ => {
            return Err(invalid(format!(
                "Invalid reference entity resource type {}, only [LAUNCH_PLAN, TASK] allowed",
                crate::errors::resource_type_name(reference.resource_type)
            )))
        }
    };
    let lp = db
        .find_launch_plan(&lp_id)
        .ok_or_else(|| missing_entity("LAUNCH_PLAN", &lp_id))?
        .value
        .clone();
    let lp_spec = lp.spec.clone().unwrap_or_default();
    let inputs = merge_inputs(
        &user_inputs,
        &lp_spec,
        &lp.closure.clone().unwrap_or_default(),
    )?;
    let wf_id = lp_spec.workflow_id.clone().unwrap_or_default();
    let workflow = db
        .find_workflow(&wf_id)
        .ok_or_else(|| missing_entity("WORKFLOW", &wf_id))?
        .value
        .clone();
    let template = template_of(&workflow);
    let name = name.unwrap_or_else(generate_name);
    let id = WorkflowExecutionIdentifier {
        project: req.project.clone(),
        domain: req.domain.clone(),
        name,
        org: req.org.clone(),
    };
    if db.find_execution(&id).is_some() {
        return Err(duplicate(&exec_id_text(&id)));
    }
    let metadata = spec.metadata.get_or_insert_with(ExecutionMetadata::default);
    // FlyteAdmin overwrites the principal with the authenticated subject (empty without auth).
    metadata.principal = principal.to_owned();
    spec.inputs = None;
    let created = now();
    let execution = Execution {
        id: Some(id.clone()),
        spec: Some(spec),
        closure: Some(ExecutionClosure {
            phase: workflow_execution::Phase::Undefined as i32,
            created_at: Some(created.clone()),
            updated_at: Some(created.clone()),
            workflow_id: Some(wf_id.clone()),
            state_change_details: Some(ExecutionStateChangeDetails {
                state: ExecutionState::ExecutionActive as i32,
                occurred_at: Some(created),
                principal: principal.to_owned(),
            }),
            ..ExecutionClosure::default()
        }),
    };
    let (abort_tx, abort_rx) = watch::channel(false);
    let interface = template.interface.clone().unwrap_or_default();
    db.executions.push(Record::new(ExecRecord {
        execution,
        user_inputs,
        inputs: inputs.clone(),
        outputs: None,
        nodes: Vec::new(),
        abort: Some(abort_tx),
        launch_plan: lp_id.clone(),
        workflow: wf_id.clone(),
        task: task.clone(),
        abort_cause: String::new(),
    }));
    drop(db);
    let run = ExecutionRun {
        id: id.clone(),
        launch_plan: lp_id,
        workflow: wf_id,
        task,
        inputs,
        interface,
    };
    tokio::spawn(drive(Arc::clone(shared), run, template, abort_rx));
    Ok(id)
}

/// Plays propeller: QUEUED, RUNNING with node and task executions, then the executor's outcome.
async fn drive(
    shared: Arc<Shared>,
    run: ExecutionRun,
    template: WorkflowTemplate,
    mut abort: watch::Receiver<bool>,
) {
    use workflow_execution::Phase as P;
    let plan = shared.executor.0.plan(&run);
    tokio::task::yield_now().await;
    set_phase(&shared, &run.id, P::Queued, None, None);
    start_nodes(&shared, &run, &template);
    set_phase(&shared, &run.id, P::Running, None, None);
    let mut abort_gates = abort.clone();
    let aborted = async move {
        while !*abort.borrow() {
            if abort.changed().await.is_err() {
                // The sender went away: the test kit is shutting down.
                std::future::pending::<()>().await;
            }
        }
    };
    // Gate nodes hold the run until their signal is set or their sleep is over.
    let gates = tokio::select! {
        result = pass_gates(&shared, &run.id, &template) => result,
        () = async {
            while !*abort_gates.borrow() {
                if abort_gates.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        } => {
            set_phase(&shared, &run.id, P::Aborted, None, None);
            return;
        }
    };
    if let Err(error) = gates {
        set_phase(&shared, &run.id, P::Failed, None, Some(error));
        return;
    }
    match plan.outcome {
        Outcome::Hang => {
            aborted.await;
            set_phase(&shared, &run.id, P::Aborted, None, None);
        }
        Outcome::Succeed(outputs) => {
            tokio::select! {
                () = aborted => set_phase(&shared, &run.id, P::Aborted, None, None),
                () = tokio::time::sleep(plan.duration) => {
                    write_outputs(&shared, &run.id, &outputs).await;
                    set_phase(&shared, &run.id, P::Succeeded, Some(outputs), None);
                }
            }
        }
        Outcome::Fail(error) => {
            tokio::select! {
                () = aborted => set_phase(&shared, &run.id, P::Aborted, None, None),
                () = tokio::time::sleep(plan.duration) => {
                    set_phase(&shared, &run.id, P::Failed, None, Some(error));
                }
            }
        }
    }
}

/// Creates the signals of the gate nodes and waits for each gate in turn. A rejected approval
/// fails the execution, as propeller does.
async fn pass_gates(
    shared: &Shared,
    id: &WorkflowExecutionIdentifier,
    template: &WorkflowTemplate,
) -> std::result::Result<(), flyteidl::flyteidl::core::ExecutionError> {
    use flyteidl::flyteidl::core::{
        gate_node::Condition, literal_type, LiteralType, SignalIdentifier, SimpleType,
    };
    for n in &template.nodes {
        let Some(node::Target::GateNode(gate)) = &n.target else {
            continue;
        };
        let (signal_id, kind, approval) = match &gate.condition {
            Some(Condition::Sleep(s)) => {
                let d = s.duration.clone().unwrap_or_default();
                let secs = u64::try_from(d.seconds).unwrap_or(0);
                let nanos = u32::try_from(d.nanos).unwrap_or(0);
                tokio::time::sleep(std::time::Duration::new(secs, nanos)).await;
                continue;
            }
            Some(Condition::Signal(s)) => (
                s.signal_id.clone(),
                s.r#type.clone().unwrap_or_default(),
                false,
            ),
            Some(Condition::Approve(a)) => (
                a.signal_id.clone(),
                LiteralType {
                    r#type: Some(literal_type::Type::Simple(SimpleType::Boolean as i32)),
                    ..LiteralType::default()
                },
                true,
            ),
            None => continue,
        };
        let sid = SignalIdentifier {
            signal_id: signal_id.clone(),
            execution_id: Some(id.clone()),
        };
        let mut changes = shared.changes.subscribe();
        {
            let mut db = shared.db();
            if !db.signals.iter().any(|s| s.value.id.as_ref() == Some(&sid)) {
                db.signals.push(Record::new(admin::Signal {
                    id: Some(sid.clone()),
                    r#type: Some(kind),
                    value: None,
                }));
            }
        }
        let value = loop {
            let current = shared
                .db()
                .signals
                .iter()
                .find(|s| s.value.id.as_ref() == Some(&sid))
                .and_then(|s| s.value.value.clone());
            if let Some(v) = current {
                break v;
            }
            if changes.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let rejected = approval && value == crate::literals::boolean(false);
        if rejected {
            return Err(flyteidl::flyteidl::core::ExecutionError {
                code: "Rejected".to_owned(),
                message: format!("approval [{signal_id}] of node [{}] was rejected", n.id),
                error_uri: String::new(),
                kind: flyteidl::flyteidl::core::execution_error::ErrorKind::User as i32,
            });
        }
    }
    Ok(())
}

pub(crate) fn outputs_uri(shared: &Shared, id: &WorkflowExecutionIdentifier, node: &str) -> String {
    format!(
        "{}/metadata/propeller/{}-{}-{}/{node}/data/0/outputs.pb",
        shared.storage_prefix, id.project, id.domain, id.name
    )
}

/// Writes the outputs as propeller does: a `LiteralMap` protobuf at the end node's outputs.pb.
async fn write_outputs(shared: &Shared, id: &WorkflowExecutionIdentifier, outputs: &LiteralMap) {
    use object_store::ObjectStoreExt as _;
    use prost::Message;
    let uri = outputs_uri(shared, id, "end-node");
    if let Some(path) = shared.store_path(&uri) {
        // A store failure surfaces as missing outputs when the caller reads them back.
        let _ = shared
            .store
            .put(&path, outputs.encode_to_vec().into())
            .await;
    }
}

fn node_ids(id: &WorkflowExecutionIdentifier, node_id: &str) -> NodeExecutionIdentifier {
    NodeExecutionIdentifier {
        node_id: node_id.to_owned(),
        execution_id: Some(id.clone()),
    }
}

/// A node execution to record: its id, the node it runs, its task, and its parent node.
struct PlannedNode {
    node_id: String,
    spec_node_id: String,
    task: Option<Identifier>,
    parent: Option<String>,
    is_parent: bool,
}

fn task_of(n: &Node) -> Option<Identifier> {
    match &n.target {
        Some(node::Target::TaskNode(tn)) => tn
            .reference
            .as_ref()
            .map(|task_node::Reference::ReferenceId(id)| id.clone()),
        _ => None,
    }
}

/// The node executions propeller would report. Branch nodes are parents of the branch taken
/// (the first case: conditions are not evaluated). Array and workflow nodes are not recorded:
/// flyteidl 0.1.0 has no `is_array` flag and the simulation launches no child executions, so a
/// client such as FlyteRemote would mistake them for task nodes.
fn plan_nodes(template: &WorkflowTemplate) -> Vec<PlannedNode> {
    let plain = |id: &str, task: Option<Identifier>| PlannedNode {
        node_id: id.to_owned(),
        spec_node_id: id.to_owned(),
        task,
        parent: None,
        is_parent: false,
    };
    let mut out = vec![plain("start-node", None)];
    for n in &template.nodes {
        match &n.target {
            Some(node::Target::TaskNode(_)) | Some(node::Target::GateNode(_)) => {
                out.push(plain(&n.id, task_of(n)))
            }
            Some(node::Target::BranchNode(b)) => {
                let mut parent = plain(&n.id, None);
                parent.is_parent = true;
                out.push(parent);
                let taken = b
                    .if_else
                    .as_ref()
                    .and_then(|ie| ie.case.as_ref())
                    .and_then(|c| c.then_node.as_deref());
                if let Some(child) =
                    taken.filter(|c| matches!(c.target, Some(node::Target::TaskNode(_))))
                {
                    out.push(PlannedNode {
                        node_id: format!("{}-0-{}", n.id, child.id),
                        spec_node_id: child.id.clone(),
                        task: task_of(child),
                        parent: Some(n.id.clone()),
                        is_parent: false,
                    });
                }
            }
            _ => {}
        }
    }
    out.push(plain("end-node", None));
    out
}

fn start_nodes(shared: &Shared, run: &ExecutionRun, template: &WorkflowTemplate) {
    let mut db = shared.db();
    let Some(rec) = db.find_execution_mut(&run.id) else {
        return;
    };
    let t = now();
    let inputs = run.inputs.clone();
    rec.value.nodes = plan_nodes(template)
        .into_iter()
        .map(|planned| {
            let nid = node_ids(&run.id, &planned.node_id);
            let node = NodeExecution {
                id: Some(nid.clone()),
                input_uri: String::new(),
                closure: Some(NodeExecutionClosure {
                    phase: node_execution::Phase::Queued as i32,
                    created_at: Some(t.clone()),
                    updated_at: Some(t.clone()),
                    ..NodeExecutionClosure::default()
                }),
                metadata: Some(NodeExecutionMetaData {
                    spec_node_id: planned.spec_node_id.clone(),
                    is_parent_node: planned.is_parent,
                    ..NodeExecutionMetaData::default()
                }),
            };
            let task = planned.task.map(|task_id| TaskExecution {
                id: Some(TaskExecutionIdentifier {
                    task_id: Some(task_id),
                    node_execution_id: Some(nid),
                    retry_attempt: 0,
                }),
                input_uri: String::new(),
                closure: Some(TaskExecutionClosure {
                    phase: task_execution::Phase::Queued as i32,
                    created_at: Some(t.clone()),
                    updated_at: Some(t.clone()),
                    task_type: "python-task".to_owned(),
                    ..TaskExecutionClosure::default()
                }),
                is_parent: false,
            });
            NodeRecord {
                node,
                task,
                inputs: if planned.node_id == "start-node" {
                    LiteralMap::default()
                } else {
                    inputs.clone()
                },
                outputs: None,
                parent: planned.parent,
            }
        })
        .collect();
}

/// Moves an execution (and its nodes) to `phase`, stamping times the way FlyteAdmin does.
pub(crate) fn set_phase(
    shared: &Shared,
    id: &WorkflowExecutionIdentifier,
    phase: workflow_execution::Phase,
    outputs: Option<LiteralMap>,
    error: Option<flyteidl::flyteidl::core::ExecutionError>,
) {
    use workflow_execution::Phase as P;
    let out_uri = outputs
        .as_ref()
        .map(|_| outputs_uri(shared, id, "end-node"));
    let mut db = shared.db();
    let Some(rec) = db.find_execution_mut(id) else {
        return;
    };
    shared.changes.send_modify(|n| *n += 1);
    let t = now();
    rec.updated = t.clone();
    let exec_inputs = rec.value.inputs.clone();
    let Some(closure) = rec.value.execution.closure.as_mut() else {
        return;
    };
    if is_terminal(closure.phase) {
        return;
    }
    closure.phase = phase as i32;
    closure.updated_at = Some(t.clone());
    if phase == P::Running && closure.started_at.is_none() {
        closure.started_at = Some(t.clone());
    }
    let terminal = is_terminal(phase as i32);
    if terminal {
        let start = closure.started_at.clone().unwrap_or_else(|| t.clone());
        closure.duration = Some(duration_between(&start, &t));
    }
    match (phase, &out_uri, &error) {
        (P::Succeeded, Some(uri), _) => {
            closure.output_result = Some(execution_closure::OutputResult::Outputs(
                admin::LiteralMapBlob {
                    data: Some(admin::literal_map_blob::Data::Uri(uri.clone())),
                },
            ));
        }
        (P::Failed, _, Some(e)) => {
            closure.output_result = Some(execution_closure::OutputResult::Error(e.clone()));
        }
        // TerminateExecution already recorded who aborted and why; keep that.
        (P::Aborted, _, _)
            if !matches!(
                closure.output_result,
                Some(execution_closure::OutputResult::AbortMetadata(_))
            ) =>
        {
            closure.output_result = Some(execution_closure::OutputResult::AbortMetadata(
                admin::AbortMetadata {
                    cause: rec.value.abort_cause.clone(),
                    principal: String::new(),
                },
            ));
        }
        _ => {}
    }
    if let Some(o) = outputs {
        rec.value.outputs = Some(o);
    }
    let exec_outputs = rec.value.outputs.clone();
    let (node_phase, task_phase) = match phase {
        P::Queued => (node_execution::Phase::Queued, task_execution::Phase::Queued),
        P::Running => (
            node_execution::Phase::Running,
            task_execution::Phase::Running,
        ),
        P::Succeeded => (
            node_execution::Phase::Succeeded,
            task_execution::Phase::Succeeded,
        ),
        P::Failed => (node_execution::Phase::Failed, task_execution::Phase::Failed),
        P::Aborted | P::Aborting => (
            node_execution::Phase::Aborted,
            task_execution::Phase::Aborted,
        ),
        _ => return,
    };
    for n in &mut rec.value.nodes {
        let node_id = n
            .node
            .id
            .as_ref()
            .map(|i| i.node_id.clone())
            .unwrap_or_default();
        let node_phase = if node_id == "start-node" && phase == P::Running {
            node_execution::Phase::Succeeded
        } else {
            node_phase
        };
        if phase == P::Aborting {
            continue;
        }
        if let Some(c) = n.node.closure.as_mut() {
            if c.phase == node_execution::Phase::Succeeded as i32 {
                continue;
            }
            c.phase = node_phase as i32;
            c.updated_at = Some(t.clone());
            if node_phase == node_execution::Phase::Running || c.started_at.is_none() && terminal {
                c.started_at.get_or_insert_with(|| t.clone());
            }
            if terminal || node_phase == node_execution::Phase::Succeeded {
                let start = c.started_at.clone().unwrap_or_else(|| t.clone());
                c.duration = Some(duration_between(&start, &t));
            }
            if let (Some(e), node_execution::Phase::Failed) = (&error, node_phase) {
                c.output_result = Some(node_execution_closure::OutputResult::Error(e.clone()));
            }
        }
        if node_id == "start-node" {
            n.outputs = Some(exec_inputs.clone());
        } else if phase == P::Succeeded {
            n.outputs.clone_from(&exec_outputs);
            if node_id == "end-node" {
                n.inputs = exec_outputs.clone().unwrap_or_default();
            }
            if let (Some(c), Some(uri)) = (n.node.closure.as_mut(), &out_uri) {
                c.output_result =
                    Some(node_execution_closure::OutputResult::OutputUri(uri.clone()));
            }
        }
        if let Some(task) = n.task.as_mut() {
            if let Some(c) = task.closure.as_mut() {
                c.phase = task_phase as i32;
                c.updated_at = Some(t.clone());
                if task_phase == task_execution::Phase::Running {
                    c.started_at.get_or_insert_with(|| t.clone());
                }
                if terminal {
                    let start = c.started_at.clone().unwrap_or_else(|| t.clone());
                    c.duration = Some(duration_between(&start, &t));
                }
                if let (Some(e), task_execution::Phase::Failed) = (&error, task_phase) {
                    c.output_result = Some(task_execution_closure::OutputResult::Error(e.clone()));
                }
            }
        }
    }
}

pub(crate) fn terminate(
    shared: &Shared,
    id: Option<&WorkflowExecutionIdentifier>,
    cause: &str,
    principal: &str,
) -> Result<()> {
    let id = validate_exec_id(id)?;
    let mut db = shared.db();
    let rec = db
        .find_execution_mut(&id)
        .ok_or_else(|| missing_execution(&id))?;
    let closure = rec
        .value
        .execution
        .closure
        .get_or_insert_with(ExecutionClosure::default);
    if is_terminal(closure.phase) {
        return Err(Status::failed_precondition(
            "Cannot abort an already terminated workflow execution",
        ));
    }
    closure.phase = workflow_execution::Phase::Aborting as i32;
    closure.updated_at = Some(now());
    closure.output_result = Some(execution_closure::OutputResult::AbortMetadata(
        admin::AbortMetadata {
            cause: cause.to_owned(),
            principal: principal.to_owned(),
        },
    ));
    rec.value.abort_cause = cause.to_owned();
    if let Some(tx) = &rec.value.abort {
        let _ = tx.send(true);
    }
    shared.changes.send_modify(|n| *n += 1);
    Ok(())
}

pub(crate) fn validate_exec_id(
    id: Option<&WorkflowExecutionIdentifier>,
) -> Result<WorkflowExecutionIdentifier> {
    let id = id.ok_or_else(|| missing("id"))?;
    for (v, f) in [
        (&id.project, "project"),
        (&id.domain, "domain"),
        (&id.name, "name"),
    ] {
        if v.is_empty() {
            return Err(missing(f));
        }
    }
    Ok(id.clone())
}

/// Relaunch (`mode` RELAUNCH) and recover (`mode` RECOVERED): the old spec and user inputs,
/// through the normal create path.
pub(crate) fn relaunch(
    shared: &Arc<Shared>,
    old: Option<&WorkflowExecutionIdentifier>,
    name: &str,
    mode: admin::execution_metadata::ExecutionMode,
    overwrite_cache: bool,
    parent: Option<NodeExecutionIdentifier>,
    principal: &str,
) -> Result<WorkflowExecutionIdentifier> {
    let old_id = validate_exec_id(old)?;
    let (mut spec, inputs) = {
        let db = shared.db();
        let rec = db
            .find_execution(&old_id)
            .ok_or_else(|| missing_execution(&old_id))?;
        (
            rec.value.execution.spec.clone().unwrap_or_default(),
            rec.value.user_inputs.clone(),
        )
    };
    let metadata = spec.metadata.get_or_insert_with(ExecutionMetadata::default);
    metadata.mode = mode as i32;
    metadata.reference_execution = Some(old_id.clone());
    if parent.is_some() {
        metadata.parent_node_execution = parent;
    }
    if overwrite_cache {
        spec.overwrite_cache = true;
    }
    create_execution(
        shared,
        admin::ExecutionCreateRequest {
            project: old_id.project.clone(),
            domain: old_id.domain.clone(),
            name: name.to_owned(),
            spec: Some(spec),
            inputs: Some(inputs),
            org: old_id.org.clone(),
        },
        principal,
    )
}

// ---------------------------------------------------------------------------------------------
// Lists

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
