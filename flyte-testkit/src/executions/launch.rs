//! The create path: FlyteAdmin's name rules, input merging, single-task executions, relaunch,
//! recover and terminate.

use std::collections::HashMap;
use std::sync::Arc;

use flyteidl::flyteidl::admin::{
    self, execution_closure, Execution, ExecutionClosure, ExecutionMetadata, ExecutionState,
    ExecutionStateChangeDetails, LaunchPlanSpec,
};
use flyteidl::flyteidl::core::{
    node, parameter, task_node, workflow_execution, Identifier, Literal, LiteralMap, Node,
    NodeExecutionIdentifier, ResourceType, TaskNode, WorkflowExecutionIdentifier, WorkflowTemplate,
};
use tokio::sync::watch;
use tonic::Status;

use super::propeller::drive;
use super::{is_terminal, Shared};
use crate::db::{now, Db, ExecRecord};
use crate::errors::{
    duplicate, exec_id_text, invalid, missing, missing_entity, missing_execution, Result,
};
use crate::executor::ExecutionRun;
use crate::literals::{castable, describe, infer, require_type};
use crate::registry::validate_literal_map;

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
        if !expected.contains_key(name) {
            return Err(invalid(format!("invalid input {name}")));
        }
        out.insert(name.clone(), lit.clone());
    }
    for (name, param) in &expected {
        let Some(lit) = out.get(name) else {
            match &param.behavior {
                Some(parameter::Behavior::Required(true)) => {
                    return Err(invalid(format!("expected_inputs {name} missing")))
                }
                Some(parameter::Behavior::Default(lit)) => {
                    out.insert(name.clone(), lit.clone());
                }
                // FlyteAdmin stores the absent default as it is.
                _ => {
                    out.insert(name.clone(), Literal::default());
                }
            }
            continue;
        };
        let got = require_type(name, infer(lit)).map_err(invalid)?;
        let want = param
            .var
            .as_ref()
            .and_then(|v| v.r#type.clone())
            .unwrap_or_default();
        if !castable(&got, &want) {
            return Err(invalid(format!(
                "invalid {name} input wrong type. Expected {}, but got {}",
                describe(&want),
                describe(&got)
            )));
        }
    }
    for (name, lit) in fixed {
        if out.contains_key(&name) {
            return Err(invalid(format!("fixed_inputs {name} cannot be overridden")));
        }
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
            let node_id = node_id_for_task(&task_id.name);
            let promise = |node_id: &str, var: &str| flyteidl::flyteidl::core::Binding {
                var: var.to_owned(),
                binding: Some(flyteidl::flyteidl::core::BindingData {
                    union: None,
                    value: Some(flyteidl::flyteidl::core::binding_data::Value::Promise(
                        flyteidl::flyteidl::core::OutputReference {
                            node_id: node_id.to_owned(),
                            var: var.to_owned(),
                            ..Default::default()
                        },
                    )),
                }),
            };
            let vars = |m: &Option<flyteidl::flyteidl::core::VariableMap>| {
                let mut names: Vec<String> = m
                    .as_ref()
                    .map(|v| v.variables.keys().cloned().collect())
                    .unwrap_or_default();
                names.sort();
                names
            };
            let node = Node {
                id: node_id.clone(),
                inputs: vars(&interface.inputs)
                    .iter()
                    .map(|v| promise("", v))
                    .collect(),
                target: Some(node::Target::TaskNode(TaskNode {
                    reference: Some(task_node::Reference::ReferenceId(task_id.clone())),
                    overrides: None,
                })),
                ..Node::default()
            };
            let outputs = vars(&interface.outputs)
                .iter()
                .map(|v| promise(&node_id, v))
                .collect();
            self.create_workflow(admin::WorkflowCreateRequest {
                id: Some(wf_id.clone()),
                spec: Some(admin::WorkflowSpec {
                    template: Some(WorkflowTemplate {
                        id: Some(wf_id.clone()),
                        interface: Some(interface),
                        nodes: vec![node],
                        outputs,
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

/// The node id FlyteAdmin gives a single-task execution's node: the task name's last 63
/// characters, keeping letters, digits and `-`.
fn node_id_for_task(task: &str) -> String {
    let start = task
        .char_indices()
        .map(|(i, _)| i)
        .find(|i| task.len() - i <= 63)
        .unwrap_or(task.len());
    task[start..]
        .chars()
        .filter(|c| *c == '-' || c.is_alphanumeric())
        .collect()
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
    validate_literal_map(Some(&user_inputs), "inputs")?;
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
    let closure = workflow
        .closure
        .as_ref()
        .and_then(|c| c.compiled_workflow.clone())
        .unwrap_or_default();
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
    db.push_execution(ExecRecord {
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
    });
    drop(db);
    let raw_output_prefix = format!(
        "{}/data/{}/{}/{}",
        shared.storage_prefix, id.project, id.domain, id.name
    );
    let run = ExecutionRun {
        id: id.clone(),
        launch_plan: lp_id,
        workflow: wf_id,
        task,
        inputs,
        interface,
        raw_output_prefix,
    };
    tokio::spawn(drive(Arc::clone(shared), run, closure, abort_rx));
    Ok(id)
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
/// through the normal create path. `overwrite_cache`: a relaunch's request sets it (FlyteAdmin
/// takes the request's value, even `false` over a source that had it on); a recovery (`None`)
/// keeps the source's.
pub(crate) fn relaunch(
    shared: &Arc<Shared>,
    old: Option<&WorkflowExecutionIdentifier>,
    name: &str,
    mode: admin::execution_metadata::ExecutionMode,
    overwrite_cache: Option<bool>,
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
    if let Some(overwrite) = overwrite_cache {
        spec.overwrite_cache = overwrite;
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
