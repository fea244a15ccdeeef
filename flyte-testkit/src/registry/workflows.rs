//! Workflows: registration, the reference checks through branches, arrays and sub-workflows,
//! the compiled closure, and their list rows.

use std::collections::{BTreeSet, HashMap};

use flyteidl::flyteidl::admin::{self, Workflow, WorkflowClosure};
use flyteidl::flyteidl::core::{
    self, if_else_block, node, task_node, workflow_node, CompiledWorkflow, CompiledWorkflowClosure,
    ConnectionSet, Identifier, Node, ResourceType,
};

use super::bindings::{binding_errors, collected, Known};
use super::{different_structure, short_description};
use crate::db::{id_col, now, same_id, time_col, validate_identifier, Db, Record};
use crate::errors::{already_exists, id_text, invalid, missing, missing_entity, Result};
use crate::lists::{Col, Row, Schema};

impl Db {
    pub(crate) fn create_workflow(&mut self, req: admin::WorkflowCreateRequest) -> Result<()> {
        let id = validate_identifier(req.id.as_ref(), ResourceType::Workflow)?;
        self.check_project_domain(&id.project, &id.domain)?;
        let spec = req.spec.ok_or_else(|| missing("spec"))?;
        let mut template = spec.template.ok_or_else(|| missing("template"))?;
        template.id = Some(id.clone());
        let closure = self
            .compile_workflow(&template, &spec.sub_workflows)
            .map_err(|e| {
                invalid(format!(
                    "failed to compile workflow for [{}] with err: {e}",
                    id_text(&id)
                ))
            })?;
        if let Some(existing) = self.find_workflow(&id) {
            let old = existing
                .value
                .closure
                .as_ref()
                .and_then(|c| c.compiled_workflow.as_ref());
            return if old == Some(&closure) {
                Err(already_exists(
                    "workflow with identical structure already exists",
                ))
            } else {
                Err(different_structure(
                    "workflow",
                    &id.name,
                    &format!("{:#?}", old.and_then(|c| c.primary.as_ref())),
                    &format!("{:#?}", closure.primary.as_ref()),
                ))
            };
        }
        let workflow = Workflow {
            id: Some(id.clone()),
            closure: Some(WorkflowClosure {
                compiled_workflow: Some(closure),
                created_at: Some(now()),
            }),
            short_description: short_description(spec.description.as_ref()),
        };
        self.ensure_named(ResourceType::Workflow, &id);
        self.store_description(ResourceType::Workflow, &id, spec.description);
        self.push_workflow(workflow);
        Ok(())
    }

    /// The part of flytepropeller's compiler FlyteAdmin relies on: every referenced task, launch
    /// plan and sub-workflow exists; the closure carries the compiled templates.
    fn compile_workflow(
        &self,
        template: &core::WorkflowTemplate,
        sub_workflows: &[core::WorkflowTemplate],
    ) -> std::result::Result<CompiledWorkflowClosure, String> {
        let mut refs = Refs::default();
        collect_refs(
            template.nodes.iter().chain(template.failure_node.iter()),
            &mut refs,
        );
        for sub in sub_workflows {
            collect_refs(sub.nodes.iter().chain(sub.failure_node.iter()), &mut refs);
        }
        let mut tasks = Vec::new();
        for task_id in &refs.tasks {
            let task = self.find_task(task_id).ok_or_else(|| {
                format!(
                    "missing entity of type TASK with identifier {}",
                    id_text(task_id)
                )
            })?;
            if let Some(compiled) = task
                .value
                .closure
                .as_ref()
                .and_then(|c| c.compiled_task.clone())
            {
                tasks.push(compiled);
            }
        }
        let mut launch_plans = Vec::new();
        for lp_id in &refs.launch_plans {
            let Some(lp) = self.find_launch_plan(lp_id) else {
                return Err(format!(
                    "missing entity of type LAUNCH_PLAN with identifier {}",
                    id_text(lp_id)
                ));
            };
            let closure = lp.value.closure.clone().unwrap_or_default();
            let inputs = closure.expected_inputs.map(|p| core::VariableMap {
                variables: p
                    .parameters
                    .into_iter()
                    .filter_map(|(name, param)| Some((name, param.var?)))
                    .collect(),
            });
            let interface = core::TypedInterface {
                inputs,
                outputs: closure.expected_outputs,
            };
            launch_plans.push((lp_id.clone(), interface));
        }
        for (node_id, wf_id) in &refs.sub_workflows {
            let known = sub_workflows
                .iter()
                .any(|s| s.id.as_ref().is_some_and(|sid| same_id(Some(sid), wf_id)));
            if !known {
                return Err(collected(&[format!(
                    "Code: WorkflowReferenceNotFound, Node Id: {node_id}, Description: Referenced Workflow [{}] not found.",
                    id_text(wf_id)
                )]));
            }
        }
        let errors: Vec<String> = std::iter::once(template)
            .chain(sub_workflows)
            .flat_map(|t| {
                let known = Known {
                    tasks: &tasks,
                    sub_workflows,
                    launch_plans: &launch_plans,
                };
                binding_errors(t, &known)
            })
            .collect();
        if !errors.is_empty() {
            return Err(collected(&errors));
        }
        let compile = |t: &core::WorkflowTemplate| {
            let mut t = t.clone();
            rename_branch_nodes(&mut t.nodes);
            CompiledWorkflow {
                connections: Some(connections(&t.nodes)),
                template: Some(t),
            }
        };
        Ok(CompiledWorkflowClosure {
            primary: Some(compile(template)),
            sub_workflows: sub_workflows.iter().map(compile).collect(),
            tasks,
            launch_plans: Vec::new(),
        })
    }

    pub(crate) fn get_workflow(&self, id: Option<&Identifier>) -> Result<Workflow> {
        let id = validate_identifier(id, ResourceType::Workflow)?;
        self.find_workflow(&id)
            .map(|t| t.value.clone())
            .ok_or_else(|| missing_entity("WORKFLOW", &id))
    }
}

/// Names the nodes inside branches as flytepropeller's compiler does: `<branch id>-<node id>`
/// (`n1-n0`), through nested branches.
fn rename_branch_nodes(nodes: &mut [Node]) {
    for n in nodes {
        let Some(node::Target::BranchNode(b)) = n.target.as_mut() else {
            continue;
        };
        let Some(ie) = b.if_else.as_mut() else {
            continue;
        };
        let mut inner: Vec<&mut Node> = Vec::new();
        for case in ie
            .case
            .as_deref_mut()
            .into_iter()
            .chain(ie.other.iter_mut())
        {
            inner.extend(case.then_node.as_deref_mut());
        }
        if let Some(if_else_block::Default::ElseNode(e)) = ie.default.as_mut() {
            inner.push(e);
        }
        for child in inner {
            child.id = format!("{}-{}", n.id, child.id);
            rename_branch_nodes(std::slice::from_mut(child));
        }
    }
}

#[derive(Default)]
struct Refs {
    tasks: Vec<Identifier>,
    launch_plans: Vec<Identifier>,
    sub_workflows: Vec<(String, Identifier)>,
}

fn push_unique(list: &mut Vec<Identifier>, id: &Identifier) {
    if !list.iter().any(|x| same_id(Some(x), id)) {
        list.push(id.clone());
    }
}

/// Every task, launch plan and sub-workflow referenced, through branches and array nodes.
fn collect_refs<'a>(nodes: impl Iterator<Item = &'a Node>, refs: &mut Refs) {
    for n in nodes {
        match &n.target {
            Some(node::Target::TaskNode(t)) => {
                if let Some(task_node::Reference::ReferenceId(id)) = &t.reference {
                    push_unique(&mut refs.tasks, id);
                }
            }
            Some(node::Target::WorkflowNode(w)) => match &w.reference {
                Some(workflow_node::Reference::LaunchplanRef(id)) => {
                    push_unique(&mut refs.launch_plans, id)
                }
                Some(workflow_node::Reference::SubWorkflowRef(id)) => {
                    refs.sub_workflows.push((n.id.clone(), id.clone()));
                }
                None => {}
            },
            Some(node::Target::BranchNode(b)) => {
                if let Some(ie) = &b.if_else {
                    let mut inner: Vec<&Node> = Vec::new();
                    if let Some(case) = &ie.case {
                        inner.extend(case.then_node.as_deref());
                    }
                    for other in &ie.other {
                        inner.extend(other.then_node.as_deref());
                    }
                    if let Some(if_else_block::Default::ElseNode(e)) = &ie.default {
                        inner.push(e);
                    }
                    collect_refs(inner.into_iter(), refs);
                }
            }
            Some(node::Target::ArrayNode(a)) => {
                collect_refs(a.node.as_deref().into_iter(), refs);
            }
            Some(node::Target::GateNode(_)) | None => {}
        }
    }
}

/// Upstream and downstream edges from `upstream_node_ids`, as the compiler records them.
pub(crate) fn connections(nodes: &[Node]) -> ConnectionSet {
    use core::connection_set::IdList;
    let mut up: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut down: HashMap<String, BTreeSet<String>> = HashMap::new();
    for n in nodes {
        let ups: Vec<String> = if n.upstream_node_ids.is_empty() {
            vec!["start-node".to_owned()]
        } else {
            n.upstream_node_ids.clone()
        };
        for u in ups {
            up.entry(n.id.clone()).or_default().insert(u.clone());
            down.entry(u).or_default().insert(n.id.clone());
        }
    }
    let downstream_of_none: Vec<String> = nodes
        .iter()
        .filter(|n| !down.contains_key(&n.id))
        .map(|n| n.id.clone())
        .collect();
    for n in downstream_of_none {
        down.entry(n.clone())
            .or_default()
            .insert("end-node".to_owned());
        up.entry("end-node".to_owned()).or_default().insert(n);
    }
    let to_list = |m: HashMap<String, BTreeSet<String>>| {
        m.into_iter()
            .map(|(k, v)| {
                (
                    k,
                    IdList {
                        ids: v.into_iter().collect(),
                    },
                )
            })
            .collect()
    };
    ConnectionSet {
        downstream: to_list(down),
        upstream: to_list(up),
    }
}

pub(crate) const WORKFLOW_SCHEMA: Schema = Schema {
    entity: "workflow",
    columns: &[
        "project",
        "domain",
        "name",
        "version",
        "created_at",
        "updated_at",
        "org",
        "short_description",
    ],
    joins: &[],
    rpc: "ListWorkflows",
};

#[derive(Clone)]
pub(crate) struct WorkflowRow(pub(crate) Record<Workflow>);

impl Row for WorkflowRow {
    fn col(&self, _: &str, column: &str) -> Option<Col> {
        match column {
            "created_at" => Some(time_col(Some(&self.0.created))),
            "updated_at" => Some(time_col(Some(&self.0.updated))),
            "short_description" => Some(Col::Str(self.0.value.short_description.clone())),
            _ => id_col(self.0.value.id.as_ref(), column),
        }
    }
}
