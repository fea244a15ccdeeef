//! Projects, tasks, workflows, launch plans, named entities and description entities, validated
//! and compiled as FlyteAdmin does.

use std::collections::{BTreeSet, HashMap};

use flyteidl::flyteidl::admin::{
    self, project::ProjectState, DescriptionEntity, LaunchPlan, LaunchPlanClosure, LaunchPlanState,
    NamedEntity, NamedEntityIdentifier, NamedEntityMetadata, Project, Task, TaskClosure, Workflow,
    WorkflowClosure,
};
use flyteidl::flyteidl::core::{
    self, if_else_block, node, parameter, task_node, workflow_node, CompiledTask, CompiledWorkflow,
    CompiledWorkflowClosure, ConnectionSet, Identifier, Node, Parameter, ParameterMap,
    ResourceType, TypedInterface,
};

use crate::db::{id_col, now, same_id, time_col, validate_identifier, Db, Record};
use crate::errors::{already_exists, id_text, invalid, missing, missing_entity, not_found, Result};
use crate::lists::{Col, Row, Schema};
use crate::literals::{castable, describe, type_of};

// ---------------------------------------------------------------------------------------------
// Projects

const DNS_1123_MESSAGE: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

fn dns_1123_label_errors(id: &str) -> Vec<&'static str> {
    let mut errors = Vec::new();
    if id.len() > 63 {
        errors.push("must be no more than 63 characters");
    }
    let b = id.as_bytes();
    let ok_chars = b
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
    let ok_ends = b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric);
    if !ok_chars || !ok_ends {
        errors.push(DNS_1123_MESSAGE);
    }
    errors
}

fn validate_labels(labels: Option<&admin::Labels>) -> Result<()> {
    let Some(labels) = labels else { return Ok(()) };
    if labels.values.len() > 16 {
        return Err(invalid("Labels can not be more than 16"));
    }
    Ok(())
}

/// `ValidateProject`: id, name, description and domains.
fn validate_project(p: &Project) -> Result<()> {
    if p.id.is_empty() {
        return Err(missing("project_id"));
    }
    let errors = dns_1123_label_errors(&p.id);
    if !errors.is_empty() {
        return Err(invalid(format!(
            "invalid project id [{}]: [{}]",
            p.id,
            errors.join(" ")
        )));
    }
    if p.name.is_empty() {
        return Err(missing("project_name"));
    }
    if p.name.chars().count() > 64 {
        return Err(invalid("project_name cannot exceed 64 characters"));
    }
    if p.description.chars().count() > 300 {
        return Err(invalid("project_description cannot exceed 300 characters"));
    }
    if !p.domains.is_empty() {
        return Err(invalid(
            "Domains are currently only set system wide. Please retry without domains included in your request.",
        ));
    }
    validate_labels(p.labels.as_ref())
}

impl Db {
    fn with_domains(&self, mut p: Project) -> Project {
        p.domains.clone_from(&self.domains);
        p
    }

    pub(crate) fn register_project(&mut self, req: admin::ProjectRegisterRequest) -> Result<()> {
        let project = req.project.ok_or_else(|| missing("project"))?;
        validate_project(&project)?;
        if self.project(&project.id).is_some() {
            return Err(crate::errors::duplicate(&format!("project {}", project.id)));
        }
        self.projects.push(Record::new(project));
        Ok(())
    }

    pub(crate) fn update_project(&mut self, project: Project) -> Result<()> {
        if project.id.is_empty() {
            return Err(missing("project_id"));
        }
        if self.project(&project.id).is_none() {
            return Err(not_found(format!("project [{}] not found", project.id)));
        }
        validate_project(&project)?;
        let record = self
            .projects
            .iter_mut()
            .find(|p| p.value.id == project.id)
            .ok_or_else(|| not_found(format!("project [{}] not found", project.id)))?;
        record.value = project;
        record.updated = now();
        Ok(())
    }

    pub(crate) fn get_project(&self, id: &str) -> Result<Project> {
        if id.is_empty() {
            return Err(missing("project_id"));
        }
        self.project(id)
            .map(|p| self.with_domains(p.value.clone()))
            .ok_or_else(|| not_found(format!("project [{id}] not found")))
    }

    pub(crate) fn list_projects(&self, req: &admin::ProjectListRequest) -> Result<admin::Projects> {
        let hide_archived = req.filters.trim().is_empty();
        let rows: Vec<ProjectRow> = self
            .projects
            .iter()
            .filter(|p| !hide_archived || p.value.state != ProjectState::Archived as i32)
            .map(|p| ProjectRow(p.clone()))
            .collect();
        // Projects sort by identifier ascending unless told otherwise; limit 0 means no limit.
        let default_sort = admin::Sort {
            key: "identifier".into(),
            direction: admin::sort::Direction::Ascending as i32,
        };
        let sort = req
            .sort_by
            .as_ref()
            .filter(|s| !s.key.is_empty())
            .unwrap_or(&default_sort);
        let limit = (req.limit > 0).then_some(req.limit as usize);
        let (page, token) = crate::lists::page(
            rows,
            &PROJECT_SCHEMA,
            &req.filters,
            Some(sort),
            &req.token,
            limit,
        )?;
        Ok(admin::Projects {
            projects: page
                .into_iter()
                .map(|r| self.with_domains(r.0.value))
                .collect(),
            token,
        })
    }

    pub(crate) fn active_project(&self, project: &str) -> Result<()> {
        match self.project(project) {
            None => Err(not_found(format!("project [{project}] not found"))),
            Some(p) if p.value.state != ProjectState::Active as i32 => {
                Err(invalid(format!("project [{project}] is not active")))
            }
            Some(_) => Ok(()),
        }
    }
}

const PROJECT_STATES: &[&str] = &["ACTIVE", "ARCHIVED", "SYSTEM_GENERATED", "SYSTEM_ARCHIVED"];

pub(crate) const PROJECT_SCHEMA: Schema = Schema {
    entity: "project",
    columns: &[
        "identifier",
        "name",
        "description",
        "state",
        "created_at",
        "updated_at",
        "org",
    ],
    joins: &[],
    rpc: "ListProjects",
};

#[derive(Clone)]
struct ProjectRow(Record<Project>);

impl Row for ProjectRow {
    fn col(&self, entity: &str, column: &str) -> Option<Col> {
        if entity != "project" {
            return None;
        }
        let p = &self.0.value;
        Some(match column {
            "identifier" => Col::Str(p.id.clone()),
            "name" => Col::Str(p.name.clone()),
            "description" => Col::Str(p.description.clone()),
            "org" => Col::Str(p.org.clone()),
            "state" => Col::Enum(i64::from(p.state), PROJECT_STATES),
            "created_at" => time_col(Some(&self.0.created)),
            "updated_at" => time_col(Some(&self.0.updated)),
            _ => return None,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Tasks, workflows, launch plans

const INACTIVE: i32 = LaunchPlanState::Inactive as i32;
const ACTIVE: i32 = LaunchPlanState::Active as i32;

/// The error for re-registering an id with a different spec, with a short account of what differs.
fn different_structure(kind: &str, name: &str, old: &str, new: &str) -> tonic::Status {
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let mut diff = Vec::new();
    for (i, line) in new_lines.iter().enumerate() {
        if old_lines.get(i) != Some(line) {
            if let Some(o) = old_lines.get(i) {
                diff.push(format!("- {}", o.trim()));
            }
            diff.push(format!("+ {}", line.trim()));
        }
        if diff.len() > 40 {
            break;
        }
    }
    invalid(format!(
        "{name} {kind} with different structure already exists. (Please register a new version of the {kind}):\n{}",
        diff.join("\n")
    ))
}

fn short_description(spec_description: Option<&DescriptionEntity>) -> String {
    spec_description
        .map(|d| d.short_description.clone())
        .unwrap_or_default()
}

impl Db {
    fn ensure_named(&mut self, t: ResourceType, id: &Identifier) {
        self.named
            .entry((
                t as i32,
                id.project.clone(),
                id.domain.clone(),
                id.name.clone(),
            ))
            .or_default();
    }

    fn store_description(
        &mut self,
        t: ResourceType,
        id: &Identifier,
        d: Option<DescriptionEntity>,
    ) {
        if let Some(mut d) = d {
            let mut did = id.clone();
            did.resource_type = t as i32;
            d.id = Some(did.clone());
            let key = (
                did.resource_type,
                did.project.clone(),
                did.domain.clone(),
                did.name.clone(),
                did.version.clone(),
            );
            if self.described.insert(key) {
                self.descriptions.push(Record::new(d));
            }
        }
    }

    pub(crate) fn create_task(&mut self, req: admin::TaskCreateRequest) -> Result<()> {
        let id = validate_identifier(req.id.as_ref(), ResourceType::Task)?;
        self.check_project_domain(&id.project, &id.domain)?;
        let spec = req.spec.ok_or_else(|| missing("spec"))?;
        let mut template = spec.template.ok_or_else(|| missing("template"))?;
        if template.r#type.is_empty() {
            return Err(missing("type"));
        }
        if template.metadata.is_none() {
            return Err(missing("metadata"));
        }
        if template.interface.is_none() {
            return Err(missing("interface"));
        }
        if let Some(core::task_template::Target::Container(c)) = &template.target {
            if c.image.is_empty() {
                return Err(missing("image"));
            }
        }
        template.id = Some(id.clone());
        let compiled = CompiledTask {
            template: Some(template),
        };
        if let Some(existing) = self.find_task(&id) {
            let old = existing
                .value
                .closure
                .as_ref()
                .and_then(|c| c.compiled_task.as_ref());
            return if old == Some(&compiled) {
                Err(already_exists(
                    "task with identical structure already exists",
                ))
            } else {
                Err(different_structure(
                    "task",
                    &id.name,
                    &format!("{old:#?}"),
                    &format!("{:#?}", Some(&compiled)),
                ))
            };
        }
        let created = now();
        let task = Task {
            id: Some(id.clone()),
            closure: Some(TaskClosure {
                compiled_task: Some(compiled),
                created_at: Some(created),
            }),
            short_description: short_description(spec.description.as_ref()),
        };
        self.ensure_named(ResourceType::Task, &id);
        self.store_description(ResourceType::Task, &id, spec.description);
        self.push_task(task);
        Ok(())
    }

    pub(crate) fn get_task(&self, id: Option<&Identifier>) -> Result<Task> {
        let id = validate_identifier(id, ResourceType::Task)?;
        self.find_task(&id)
            .map(|t| t.value.clone())
            .ok_or_else(|| missing_entity("TASK", &id))
    }

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
        for lp_id in &refs.launch_plans {
            if self.find_launch_plan(lp_id).is_none() {
                return Err(format!(
                    "missing entity of type LAUNCH_PLAN with identifier {}",
                    id_text(lp_id)
                ));
            }
        }
        for (node_id, wf_id) in &refs.sub_workflows {
            let known = sub_workflows
                .iter()
                .any(|s| s.id.as_ref().is_some_and(|sid| same_id(Some(sid), wf_id)));
            if !known {
                return Err(format!(
                    "Collected Errors: 1\n\tError 0: Code: WorkflowReferenceNotFound, Node Id: {node_id}, Description: Referenced Workflow [{}] not found.",
                    id_text(wf_id)
                ));
            }
        }
        let compile = |t: &core::WorkflowTemplate| CompiledWorkflow {
            template: Some(t.clone()),
            connections: Some(connections(&t.nodes)),
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

    pub(crate) fn create_launch_plan(&mut self, req: admin::LaunchPlanCreateRequest) -> Result<()> {
        let spec = req.spec.ok_or_else(|| missing("spec"))?;
        let wf_id = validate_identifier(spec.workflow_id.as_ref(), ResourceType::Workflow)?;
        let workflow = self
            .find_workflow(&wf_id)
            .ok_or_else(|| missing_entity("WORKFLOW", &wf_id))?
            .value
            .clone();
        let id = validate_identifier(req.id.as_ref(), ResourceType::LaunchPlan)?;
        self.check_project_domain(&id.project, &id.domain)?;
        validate_labels(spec.labels.as_ref())?;
        let interface = workflow
            .closure
            .as_ref()
            .and_then(|c| c.compiled_workflow.as_ref())
            .and_then(|c| c.primary.as_ref())
            .and_then(|p| p.template.as_ref())
            .and_then(|t| t.interface.clone())
            .unwrap_or_default();
        let expected = expected_inputs(&spec, &interface)?;
        let mut spec = spec;
        spec.workflow_id = Some(wf_id);
        spec.default_inputs = Some(expected.clone());
        let closure = LaunchPlanClosure {
            state: INACTIVE,
            expected_inputs: Some(expected),
            expected_outputs: interface.outputs.clone(),
            created_at: None,
            updated_at: None,
        };
        let lp = LaunchPlan {
            id: Some(id.clone()),
            spec: Some(spec),
            closure: Some(closure),
        };
        if let Some(existing) = self.find_launch_plan(&id) {
            let mut old = existing.value.clone();
            if let Some(c) = old.closure.as_mut() {
                c.state = INACTIVE;
                c.created_at = None;
                c.updated_at = None;
            }
            return if old == lp {
                Err(already_exists(
                    "launch plan with identical structure already exists",
                ))
            } else {
                Err(different_structure(
                    "launch plan",
                    &id.name,
                    &format!("{:#?}", old.spec),
                    &format!("{:#?}", lp.spec),
                ))
            };
        }
        let mut lp = lp;
        let t = now();
        if let Some(c) = lp.closure.as_mut() {
            c.created_at = Some(t.clone());
            c.updated_at = Some(t);
        }
        self.ensure_named(ResourceType::LaunchPlan, &id);
        self.push_launch_plan(lp);
        Ok(())
    }

    pub(crate) fn get_launch_plan(&self, id: Option<&Identifier>) -> Result<LaunchPlan> {
        let id = validate_identifier(id, ResourceType::LaunchPlan)?;
        self.find_launch_plan(&id)
            .map(|t| t.value.clone())
            .ok_or_else(|| missing_entity("LAUNCH_PLAN", &id))
    }

    pub(crate) fn update_launch_plan(&mut self, req: admin::LaunchPlanUpdateRequest) -> Result<()> {
        let id = validate_identifier(req.id.as_ref(), ResourceType::LaunchPlan)?;
        if self.find_launch_plan(&id).is_none() {
            return Err(missing_entity("LAUNCH_PLAN", &id));
        }
        let set_state = |lp: &mut Record<LaunchPlan>, state: i32| {
            if let Some(c) = lp.value.closure.as_mut() {
                c.state = state;
                c.updated_at = Some(now());
            }
            lp.updated = now();
        };
        match req.state {
            s if s == INACTIVE => {
                if let Some(lp) = self.find_launch_plan_mut(&id) {
                    set_state(lp, INACTIVE);
                }
            }
            s if s == ACTIVE => {
                // One transaction: the previously active version goes inactive, the target active.
                for lp in &mut self.launch_plans {
                    let Some(lid) = lp.value.id.as_ref() else {
                        continue;
                    };
                    let same_name =
                        lid.project == id.project && lid.domain == id.domain && lid.name == id.name;
                    if same_name && lid.version == id.version {
                        set_state(lp, ACTIVE);
                    } else if same_name && is_active(&lp.value) {
                        set_state(lp, INACTIVE);
                    }
                }
            }
            other => {
                return Err(invalid(format!(
                    "Unrecognized launch plan state {other} for update for launch plan [{}]",
                    id_text(&id)
                )))
            }
        }
        Ok(())
    }

    pub(crate) fn get_active_launch_plan(
        &self,
        id: Option<&NamedEntityIdentifier>,
    ) -> Result<LaunchPlan> {
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
        self.launch_plans
            .iter()
            .map(|r| &r.value)
            .find(|lp| {
                lp.id.as_ref().is_some_and(|l| {
                    l.project == id.project && l.domain == id.domain && l.name == id.name
                }) && is_active(lp)
            })
            .cloned()
            .ok_or_else(|| {
                not_found(format!(
                    "No active launch plan could be found: {}:{}:{}",
                    id.project, id.domain, id.name
                ))
            })
    }
}

pub(crate) fn is_active(lp: &LaunchPlan) -> bool {
    lp.closure.as_ref().is_some_and(|c| c.state == ACTIVE)
}

/// `checkAndFetchExpectedInputForLaunchPlan`: defaults and fixed inputs against the workflow's
/// interface; unbound workflow inputs become required parameters.
fn expected_inputs(
    spec: &admin::LaunchPlanSpec,
    interface: &TypedInterface,
) -> Result<ParameterMap> {
    let wf_inputs = interface.inputs.clone().unwrap_or_default().variables;
    let defaults = spec.default_inputs.clone().unwrap_or_default().parameters;
    let fixed = spec.fixed_inputs.clone().unwrap_or_default().literals;
    if wf_inputs.is_empty() && !defaults.is_empty() {
        return Err(invalid(format!(
            "invalid launch plan default inputs, expected none but found {}",
            defaults.len()
        )));
    }
    let mut expected: HashMap<String, Parameter> = HashMap::new();
    for (name, param) in &defaults {
        let var = wf_inputs
            .get(name)
            .ok_or_else(|| invalid(format!("unexpected default_input {name}")))?;
        let declared = param.var.as_ref().and_then(|v| v.r#type.as_ref());
        let Some(declared) = declared else {
            return Err(invalid(format!("default_input {name} missing type")));
        };
        let want = var.r#type.clone().unwrap_or_default();
        if !castable(declared, &want) {
            return Err(invalid(format!(
                "invalid default_input wrong type {name}, expected {}, got {} instead",
                describe(&want),
                describe(declared)
            )));
        }
        match &param.behavior {
            Some(parameter::Behavior::Default(lit)) => {
                if !castable(&type_of(lit), &want) {
                    return Err(invalid(format!(
                        "Type mismatch for Parameter {name} in default_inputs has type {}, expected literal that casts to type {}",
                        describe(&type_of(lit)),
                        describe(&want)
                    )));
                }
            }
            Some(parameter::Behavior::Required(true)) => {}
            Some(_) => {}
            None => {
                return Err(invalid(format!(
                    "default_input {name} needs a default value or must be required"
                )))
            }
        }
        expected.insert(name.clone(), param.clone());
    }
    for (name, lit) in &fixed {
        let var = wf_inputs
            .get(name)
            .ok_or_else(|| invalid(format!("unexpected fixed_input {name}")))?;
        if lit.value.is_none() {
            return Err(invalid(format!("fixed_input {name} has no value")));
        }
        let want = var.r#type.clone().unwrap_or_default();
        if !castable(&type_of(lit), &want) {
            return Err(invalid(format!(
                "invalid fixed_input wrong type {name}, expected {}, got {} instead",
                describe(&want),
                describe(&type_of(lit))
            )));
        }
    }
    for (name, var) in &wf_inputs {
        if !defaults.contains_key(name) && !fixed.contains_key(name) {
            expected.insert(
                name.clone(),
                Parameter {
                    var: Some(var.clone()),
                    behavior: Some(parameter::Behavior::Required(true)),
                },
            );
        }
    }
    Ok(ParameterMap {
        parameters: expected,
    })
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
fn connections(nodes: &[Node]) -> ConnectionSet {
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

// ---------------------------------------------------------------------------------------------
// Named entities and description entities

const NAMED_STATES: &[&str] = &[
    "NAMED_ENTITY_ACTIVE",
    "NAMED_ENTITY_ARCHIVED",
    "SYSTEM_GENERATED",
];

pub(crate) const NAMED_ENTITY_SCHEMA: Schema = Schema {
    entity: "named_entity_metadata",
    columns: &[
        "name",
        "project",
        "domain",
        "state",
        "description",
        "resource_type",
    ],
    joins: &[("entities", &["name", "project", "domain"])],
    rpc: "ListNamedEntities",
};

#[derive(Clone)]
pub(crate) struct NamedRow(pub(crate) NamedEntity);

impl Row for NamedRow {
    fn col(&self, _entity: &str, column: &str) -> Option<Col> {
        let id = self.0.id.as_ref()?;
        let meta = self.0.metadata.clone().unwrap_or_default();
        Some(match column {
            "name" => Col::Str(id.name.clone()),
            "project" => Col::Str(id.project.clone()),
            "domain" => Col::Str(id.domain.clone()),
            "state" => Col::Enum(i64::from(meta.state), NAMED_STATES),
            "description" => Col::Str(meta.description),
            "resource_type" => Col::Int(i64::from(self.0.resource_type)),
            _ => return None,
        })
    }
}

impl Db {
    fn names_of(&self, t: i32) -> Vec<NamedEntityIdentifier> {
        let ids: Vec<&Identifier> = match ResourceType::try_from(t) {
            Ok(ResourceType::Task) => self
                .tasks
                .iter()
                .filter_map(|r| r.value.id.as_ref())
                .collect(),
            Ok(ResourceType::Workflow) => self
                .workflows
                .iter()
                .filter_map(|r| r.value.id.as_ref())
                .collect(),
            Ok(ResourceType::LaunchPlan) => self
                .launch_plans
                .iter()
                .filter_map(|r| r.value.id.as_ref())
                .collect(),
            _ => Vec::new(),
        };
        let mut out: Vec<NamedEntityIdentifier> = Vec::new();
        for id in ids {
            if !out
                .iter()
                .any(|n| n.project == id.project && n.domain == id.domain && n.name == id.name)
            {
                out.push(NamedEntityIdentifier {
                    project: id.project.clone(),
                    domain: id.domain.clone(),
                    name: id.name.clone(),
                    org: id.org.clone(),
                });
            }
        }
        out
    }

    pub(crate) fn named_entities(&self, t: i32, project: &str, domain: &str) -> Vec<NamedRow> {
        self.names_of(t)
            .into_iter()
            .filter(|n| n.project == project && n.domain == domain)
            .map(|n| {
                let meta = self
                    .named
                    .get(&(t, n.project.clone(), n.domain.clone(), n.name.clone()))
                    .cloned()
                    .unwrap_or_default();
                NamedRow(NamedEntity {
                    resource_type: t,
                    id: Some(n),
                    metadata: Some(meta),
                })
            })
            .collect()
    }

    pub(crate) fn get_named_entity(
        &self,
        req: &admin::NamedEntityGetRequest,
    ) -> Result<NamedEntity> {
        let id = req.id.as_ref().ok_or_else(|| missing("id"))?;
        check_named_id(req.resource_type, id)?;
        self.named_entities(req.resource_type, &id.project, &id.domain)
            .into_iter()
            .find(|r| r.0.id.as_ref().is_some_and(|n| n.name == id.name))
            .map(|r| r.0)
            .ok_or_else(|| {
                not_found(format!(
                    "Resource [{{{} {} {} {}}}] not found",
                    crate::errors::resource_type_name(req.resource_type),
                    id.project,
                    id.domain,
                    id.name
                ))
            })
    }

    pub(crate) fn update_named_entity(
        &mut self,
        req: admin::NamedEntityUpdateRequest,
    ) -> Result<()> {
        let id = req.id.as_ref().ok_or_else(|| missing("id"))?;
        check_named_id(req.resource_type, id)?;
        self.get_named_entity(&admin::NamedEntityGetRequest {
            resource_type: req.resource_type,
            id: Some(id.clone()),
        })?;
        let meta: NamedEntityMetadata = req.metadata.ok_or_else(|| missing("metadata"))?;
        self.named.insert(
            (
                req.resource_type,
                id.project.clone(),
                id.domain.clone(),
                id.name.clone(),
            ),
            meta,
        );
        Ok(())
    }

    pub(crate) fn get_description(&self, id: Option<&Identifier>) -> Result<DescriptionEntity> {
        let id = id.ok_or_else(|| missing("id"))?;
        for (v, f) in [
            (&id.project, "project"),
            (&id.domain, "domain"),
            (&id.name, "name"),
            (&id.version, "version"),
        ] {
            if v.is_empty() {
                return Err(missing(f));
            }
        }
        self.descriptions
            .iter()
            .find(|d| {
                same_id(d.value.id.as_ref(), id)
                    && (id.resource_type == 0
                        || d.value.id.as_ref().map(|i| i.resource_type) == Some(id.resource_type))
            })
            .map(|d| d.value.clone())
            .ok_or_else(|| missing_entity("DESCRIPTION_ENTITY", id))
    }
}

fn check_named_id(t: i32, id: &NamedEntityIdentifier) -> Result<()> {
    if !matches!(
        ResourceType::try_from(t),
        Ok(ResourceType::Task | ResourceType::Workflow | ResourceType::LaunchPlan)
    ) {
        return Err(invalid("invalid value for resource_type"));
    }
    for (v, f) in [
        (&id.project, "project"),
        (&id.domain, "domain"),
        (&id.name, "name"),
    ] {
        if v.is_empty() {
            return Err(missing(f));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// List schemas for the versioned entities

pub(crate) const TASK_SCHEMA: Schema = Schema {
    entity: "task",
    columns: &[
        "project",
        "domain",
        "name",
        "version",
        "created_at",
        "updated_at",
        "type",
        "org",
        "short_description",
    ],
    joins: &[],
    rpc: "ListTasks",
};

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

pub(crate) const LAUNCH_PLAN_SCHEMA: Schema = Schema {
    entity: "launch_plan",
    columns: &[
        "project",
        "domain",
        "name",
        "version",
        "created_at",
        "updated_at",
        "state",
        "org",
    ],
    joins: &[("workflow", &["project", "domain", "name", "version"])],
    rpc: "ListLaunchPlans",
};

pub(crate) const DESCRIPTION_SCHEMA: Schema = Schema {
    entity: "description_entity",
    columns: &[
        "project",
        "domain",
        "name",
        "version",
        "created_at",
        "updated_at",
        "short_description",
    ],
    joins: &[],
    rpc: "ListDescriptionEntities",
};

const LP_STATES: &[&str] = &["INACTIVE", "ACTIVE"];

#[derive(Clone)]
pub(crate) struct TaskRow(pub(crate) Record<Task>);

impl Row for TaskRow {
    fn col(&self, _: &str, column: &str) -> Option<Col> {
        match column {
            "created_at" => Some(time_col(Some(&self.0.created))),
            "updated_at" => Some(time_col(Some(&self.0.updated))),
            "short_description" => Some(Col::Str(self.0.value.short_description.clone())),
            "type" => Some(Col::Str(
                self.0
                    .value
                    .closure
                    .as_ref()
                    .and_then(|c| c.compiled_task.as_ref())
                    .and_then(|c| c.template.as_ref())
                    .map(|t| t.r#type.clone())
                    .unwrap_or_default(),
            )),
            _ => id_col(self.0.value.id.as_ref(), column),
        }
    }
}

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

#[derive(Clone)]
pub(crate) struct LaunchPlanRow(pub(crate) Record<LaunchPlan>);

impl Row for LaunchPlanRow {
    fn col(&self, entity: &str, column: &str) -> Option<Col> {
        if entity == "workflow" {
            return id_col(
                self.0
                    .value
                    .spec
                    .as_ref()
                    .and_then(|s| s.workflow_id.as_ref()),
                column,
            );
        }
        match column {
            "created_at" => Some(time_col(Some(&self.0.created))),
            "updated_at" => Some(time_col(Some(&self.0.updated))),
            "state" => Some(Col::Enum(
                i64::from(self.0.value.closure.as_ref().map_or(0, |c| c.state)),
                LP_STATES,
            )),
            _ => id_col(self.0.value.id.as_ref(), column),
        }
    }
}

#[derive(Clone)]
pub(crate) struct DescriptionRow(pub(crate) Record<DescriptionEntity>);

impl Row for DescriptionRow {
    fn col(&self, _: &str, column: &str) -> Option<Col> {
        match column {
            "created_at" => Some(time_col(Some(&self.0.created))),
            "updated_at" => Some(time_col(Some(&self.0.updated))),
            "short_description" => Some(Col::Str(self.0.value.short_description.clone())),
            _ => id_col(self.0.value.id.as_ref(), column),
        }
    }
}

/// The ids of a resource list request: project and domain required, name optional.
pub(crate) fn list_scope(id: Option<&NamedEntityIdentifier>) -> Result<NamedEntityIdentifier> {
    let id = id.cloned().unwrap_or_default();
    if id.project.is_empty() {
        return Err(missing("project"));
    }
    if id.domain.is_empty() {
        return Err(missing("domain"));
    }
    Ok(id)
}

pub(crate) fn in_scope(id: Option<&Identifier>, scope: &NamedEntityIdentifier) -> bool {
    id.is_some_and(|i| {
        i.project == scope.project
            && i.domain == scope.domain
            && (scope.name.is_empty() || i.name == scope.name)
    })
}
