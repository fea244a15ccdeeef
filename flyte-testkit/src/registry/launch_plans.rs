//! Launch plans: registration against their workflow's interface, activation (one active
//! version per name), and their list rows.

use std::collections::HashMap;

use flyteidl::flyteidl::admin::{
    self, LaunchPlan, LaunchPlanClosure, LaunchPlanState, NamedEntityIdentifier,
};
use flyteidl::flyteidl::core::{
    literal, literal_type, parameter, primitive, scalar, Identifier, Literal, LiteralMap,
    Parameter, ParameterMap, Primitive, ResourceType, SimpleType, TypedInterface, Variable,
};

use super::different_structure;
use super::projects::validate_labels;
use crate::db::{id_col, now, time_col, validate_identifier, Db, Record};
use crate::errors::{already_exists, id_text, invalid, missing, missing_entity, not_found, Result};
use crate::lists::{Col, Row, Schema};
use crate::literals::{castable, describe, describe_timestamp, infer, require_type};

const INACTIVE: i32 = LaunchPlanState::Inactive as i32;
const ACTIVE: i32 = LaunchPlanState::Active as i32;

impl Db {
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
        validate_literal_map(spec.fixed_inputs.as_ref(), "fixed_inputs")?;
        validate_parameter_map(spec.default_inputs.as_ref(), "default_inputs")?;
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

/// FlyteAdmin's `validateLiteralMap`: every literal of a fixed-input or execution-input map is
/// named and holds a value.
pub(crate) fn validate_literal_map(map: Option<&LiteralMap>, field: &str) -> Result<()> {
    for (name, lit) in map.map(|m| &m.literals).into_iter().flatten() {
        if name.is_empty() {
            return Err(invalid(format!("missing key in {field}")));
        }
        if lit.value.is_none() {
            return Err(invalid(format!("missing valid literal in {field} {name}")));
        }
        if let Some(t) = datetime_of(lit) {
            check_timestamp(Some(t))?;
        }
    }
    Ok(())
}

fn datetime_of(lit: &Literal) -> Option<&prost_types::Timestamp> {
    let Some(literal::Value::Scalar(s)) = &lit.value else {
        return None;
    };
    match &s.value {
        Some(scalar::Value::Primitive(Primitive {
            value: Some(primitive::Value::Datetime(t)),
        })) => Some(t),
        _ => None,
    }
}

/// FlyteAdmin's `ValidateDatetime`: protobuf's own range check of a timestamp, in its words.
fn check_timestamp(t: Option<&prost_types::Timestamp>) -> Result<()> {
    // 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in seconds since the epoch.
    const MIN: i64 = -62_135_596_800;
    const MAX: i64 = 253_402_300_799;
    let Some(t) = t else {
        return Err(invalid("proto: invalid nil Timestamp"));
    };
    let problem = if t.seconds < MIN {
        "before 0001-01-01"
    } else if t.seconds > MAX {
        "after 9999-12-31"
    } else if !(0..1_000_000_000).contains(&t.nanos) {
        "has out-of-range nanos"
    } else {
        return Ok(());
    };
    Err(invalid(format!(
        "proto: timestamp ({}) {problem}",
        describe_timestamp(t)
    )))
}

/// FlyteAdmin's `validateParameterMap` (artifacts disabled, its default): every parameter has a
/// typed variable and a default or `required`, and a default casts to the parameter's own type.
fn validate_parameter_map(map: Option<&ParameterMap>, field: &str) -> Result<()> {
    let params: Vec<(&String, &Parameter)> =
        map.map(|m| &m.parameters).into_iter().flatten().collect();
    if let Some((name, _)) = params
        .iter()
        .find(|(_, p)| matches!(p.behavior, Some(parameter::Behavior::ArtifactQuery(_))))
    {
        return Err(invalid(format!(
            "artifact mode not enabled but query found {field} {name}"
        )));
    }
    for (name, param) in params {
        if name.is_empty() {
            return Err(invalid(format!("missing key in {field}")));
        }
        let Some(want) = param.var.as_ref().and_then(|v| v.r#type.as_ref()) else {
            return Err(invalid(format!(
                "The Variable component of the Parameter {name} in {field} either is missing, or has a missing Type"
            )));
        };
        match &param.behavior {
            Some(parameter::Behavior::Default(lit)) => {
                let got = require_type(name, infer(lit)).map_err(invalid)?;
                if !castable(&got, want) {
                    // FlyteAdmin names the parameter's type first, then the default's.
                    return Err(invalid(format!(
                        "Type mismatch for Parameter {name} in {field} has type {}, expected {}",
                        describe(want),
                        describe(&got)
                    )));
                }
                if want.r#type == Some(literal_type::Type::Simple(SimpleType::Datetime as i32)) {
                    check_timestamp(datetime_of(lit))?;
                }
            }
            Some(parameter::Behavior::Required(true)) => {}
            _ => {
                return Err(invalid(format!(
                    "Invalid variable {name} in {field} - variable has neither default, nor is required. One must be specified"
                )))
            }
        }
    }
    Ok(())
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
    if wf_inputs.is_empty() {
        for (len, which) in [(defaults.len(), "default"), (fixed.len(), "fixed")] {
            if len > 0 {
                return Err(invalid(format!(
                    "invalid launch plan {which} inputs, expected none but found {len}"
                )));
            }
        }
    }
    for (name, param) in &defaults {
        let var = wf_inputs
            .get(name)
            .ok_or_else(|| invalid(format!("unexpected default_input {name}")))?;
        let declared = param
            .var
            .as_ref()
            .and_then(|v| v.r#type.clone())
            .unwrap_or_default();
        let want = var.r#type.clone().unwrap_or_default();
        if !castable(&declared, &want) {
            // FlyteAdmin's wording: "expected" the default's type, "got" the workflow's.
            return Err(invalid(format!(
                "invalid default_input wrong type {name}, expected {}, got {} instead",
                describe(&declared),
                describe(&want)
            )));
        }
    }
    for (name, lit) in &fixed {
        let var = wf_inputs
            .get(name)
            .ok_or_else(|| invalid(format!("unexpected fixed_input {name}")))?;
        let got = require_type(name, infer(lit)).map_err(invalid)?;
        let want = var.r#type.clone().unwrap_or_default();
        if !castable(&got, &want) {
            return Err(invalid(format!(
                "invalid fixed_input wrong type {name}, expected {}, got {} instead",
                describe(&want),
                describe(&got)
            )));
        }
    }
    let mut expected: HashMap<String, Parameter> = HashMap::new();
    for (name, var) in &wf_inputs {
        if let Some(param) = defaults.get(name) {
            expected.insert(name.clone(), param.clone());
        } else if !fixed.contains_key(name) {
            expected.insert(
                name.clone(),
                Parameter {
                    var: Some(Variable {
                        r#type: var.r#type.clone(),
                        description: var.description.clone(),
                        ..Variable::default()
                    }),
                    behavior: Some(parameter::Behavior::Required(true)),
                },
            );
        }
    }
    Ok(ParameterMap {
        parameters: expected,
    })
}

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

const LP_STATES: &[&str] = &["INACTIVE", "ACTIVE"];

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
