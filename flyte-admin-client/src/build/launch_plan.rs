//! Launch plans: defaults, fixed inputs, schedules, notifications and how executions run.

use std::collections::{BTreeMap, HashMap};

use flyteidl::flyteidl::admin;
use flyteidl::flyteidl::core::{self, LiteralType, ResourceType};
use serde_json::Value as Json;

use super::workflow::inputs_of;
use super::{fail, id, same_type, types, BuildError, Workflow};

/// A launch plan's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Schedule {
    /// A cron expression (five fields, or `@hourly`, `@daily`, ...).
    Cron(String),
    /// Every `value` `unit`s ([`Schedule::rate`] builds it).
    #[non_exhaustive]
    Rate {
        /// How many.
        value: u32,
        /// Minutes, hours or days.
        unit: RateUnit,
    },
}

impl Schedule {
    /// A cron expression (five fields, or `@hourly`, `@daily`, ...).
    pub fn cron(expression: impl Into<String>) -> Self {
        Schedule::Cron(expression.into())
    }
    /// Every `value` `unit`s.
    pub fn rate(value: u32, unit: RateUnit) -> Self {
        Schedule::Rate { value, unit }
    }
}

/// The unit of a [`Schedule::Rate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateUnit {
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days.
    Day,
}

/// Where a notification goes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notify {
    /// Email addresses.
    Email(Vec<String>),
    /// Slack addresses.
    Slack(Vec<String>),
    /// PagerDuty addresses.
    PagerDuty(Vec<String>),
}

impl Notify {
    /// Email to these addresses.
    pub fn email<S: Into<String>>(to: impl IntoIterator<Item = S>) -> Self {
        Notify::Email(to.into_iter().map(Into::into).collect())
    }
    /// Slack, to these addresses.
    pub fn slack<S: Into<String>>(to: impl IntoIterator<Item = S>) -> Self {
        Notify::Slack(to.into_iter().map(Into::into).collect())
    }
    /// PagerDuty, to these addresses.
    pub fn pager_duty<S: Into<String>>(to: impl IntoIterator<Item = S>) -> Self {
        Notify::PagerDuty(to.into_iter().map(Into::into).collect())
    }
}

/// A launch plan of a workflow: defaults, fixed inputs, a schedule, notifications and how its
/// executions run.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct LaunchPlan {
    name: String,
    workflow: String,
    workflow_interface: Result<core::TypedInterface, BuildError>,
    defaults: Vec<(String, Json)>,
    fixed: Vec<(String, Json)>,
    schedule: Option<Schedule>,
    kickoff_input: Option<String>,
    notifications: Vec<(Vec<core::workflow_execution::Phase>, Notify)>,
    labels: Vec<(String, String)>,
    annotations: Vec<(String, String)>,
    service_account: String,
    iam_role: String,
    raw_output_prefix: String,
    max_parallelism: i32,
}

impl LaunchPlan {
    /// A launch plan `name` of `workflow`.
    pub fn new(name: impl Into<String>, workflow: &Workflow) -> Self {
        LaunchPlan {
            name: name.into(),
            workflow: workflow.name().to_owned(),
            workflow_interface: workflow.interface(),
            defaults: Vec::new(),
            fixed: Vec::new(),
            schedule: None,
            kickoff_input: None,
            notifications: Vec::new(),
            labels: Vec::new(),
            annotations: Vec::new(),
            service_account: String::new(),
            iam_role: String::new(),
            raw_output_prefix: String::new(),
            max_parallelism: 0,
        }
    }
    /// The workflow's default launch plan, named like it (what pyflyte packages beside each
    /// workflow).
    pub fn default_for(workflow: &Workflow) -> Self {
        LaunchPlan::new(workflow.name(), workflow)
    }
    /// A default for input `name` (JSON, typed by the workflow's interface); callers may
    /// override it.
    pub fn default_input(mut self, name: impl Into<String>, value: impl Into<Json>) -> Self {
        self.defaults.push((name.into(), value.into()));
        self
    }
    /// A fixed input: callers may not override it.
    pub fn fixed_input(mut self, name: impl Into<String>, value: impl Into<Json>) -> Self {
        self.fixed.push((name.into(), value.into()));
        self
    }
    /// Run on this schedule.
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = Some(schedule);
        self
    }
    /// Run on a cron schedule.
    pub fn cron(self, expression: impl Into<String>) -> Self {
        self.schedule(Schedule::cron(expression))
    }
    /// Run every `value` `unit`s.
    pub fn rate(self, value: u32, unit: RateUnit) -> Self {
        self.schedule(Schedule::rate(value, unit))
    }
    /// The datetime input that receives each scheduled run's time.
    pub fn kickoff_input(mut self, name: impl Into<String>) -> Self {
        self.kickoff_input = Some(name.into());
        self
    }
    /// Notify when an execution reaches one of `phases`.
    pub fn notify(
        mut self,
        phases: impl IntoIterator<Item = core::workflow_execution::Phase>,
        to: Notify,
    ) -> Self {
        self.notifications.push((phases.into_iter().collect(), to));
        self
    }
    /// A label on every execution.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.push((key.into(), value.into()));
        self
    }
    /// An annotation on every execution.
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.push((key.into(), value.into()));
        self
    }
    /// Executions run as this Kubernetes service account.
    pub fn service_account(mut self, sa: impl Into<String>) -> Self {
        self.service_account = sa.into();
        self
    }
    /// Executions assume this IAM role.
    pub fn iam_role(mut self, role: impl Into<String>) -> Self {
        self.iam_role = role.into();
        self
    }
    /// Raw outputs go under this prefix.
    pub fn raw_output_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.raw_output_prefix = prefix.into();
        self
    }
    /// At most this many nodes of an execution run at once.
    pub fn max_parallelism(mut self, n: i32) -> Self {
        self.max_parallelism = n;
        self
    }

    /// The launch plan's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name of its workflow.
    pub(crate) fn workflow(&self) -> &str {
        &self.workflow
    }

    fn literals(
        &self,
        entity: &str,
        what: &str,
        values: &[(String, Json)],
        types: &BTreeMap<String, LiteralType>,
    ) -> Result<core::LiteralMap, BuildError> {
        let mut out = HashMap::new();
        for (name, v) in values {
            let ty = types.get(name).ok_or_else(|| {
                BuildError::new(
                    entity,
                    format!(
                        "{what} input {name:?} is not an input of workflow {}",
                        self.workflow
                    ),
                )
            })?;
            let lit = crate::literals::json_to_literal(v, ty, &format!("{what} input {name}"))
                .map_err(|e| BuildError::literal(entity, e))?;
            if out.insert(name.clone(), lit).is_some() {
                return fail(entity, format!("{what} input {name:?} is given twice"));
            }
        }
        Ok(core::LiteralMap { literals: out })
    }

    /// The launch plan as FlyteAdmin takes it.
    ///
    /// # Errors
    /// The workflow's own errors; inputs the workflow does not have or of the wrong type; a
    /// scheduled plan with inputs that have no value (flytectl's check); a malformed cron
    /// expression or a zero rate.
    #[allow(deprecated)]
    pub fn spec(&self) -> Result<admin::LaunchPlan, BuildError> {
        let entity = format!("launch plan {}", self.name);
        if self.name.trim().is_empty() {
            return fail("launch plan", "no name");
        }
        let iface = self.workflow_interface.clone()?;
        let types = inputs_of(&iface);
        let defaults = self.literals(&entity, "default", &self.defaults, &types)?;
        let fixed = self.literals(&entity, "fixed", &self.fixed, &types)?;
        if let Some(both) = fixed
            .literals
            .keys()
            .find(|k| defaults.literals.contains_key(*k))
        {
            return fail(&entity, format!("input {both:?} is both default and fixed"));
        }
        let schedule = match &self.schedule {
            None => None,
            Some(s) => {
                let expr = match s {
                    Schedule::Cron(c) => {
                        let fields = c.split_whitespace().count();
                        if !(fields == 5 || (fields == 1 && c.starts_with('@'))) {
                            return fail(&entity, format!("cron expression {c:?}: expected five fields (minute hour day month weekday) or @hourly, @daily, ..."));
                        }
                        admin::schedule::ScheduleExpression::CronSchedule(admin::CronSchedule {
                            schedule: c.clone(),
                            offset: String::new(),
                        })
                    }
                    Schedule::Rate { value, unit } => {
                        if *value == 0 {
                            return fail(&entity, "a rate of 0");
                        }
                        admin::schedule::ScheduleExpression::Rate(admin::FixedRate {
                            value: *value,
                            unit: match unit {
                                RateUnit::Minute => admin::FixedRateUnit::Minute,
                                RateUnit::Hour => admin::FixedRateUnit::Hour,
                                RateUnit::Day => admin::FixedRateUnit::Day,
                            } as i32,
                        })
                    }
                };
                let kickoff = self.kickoff_input.clone().unwrap_or_default();
                if !kickoff.is_empty()
                    && types
                        .get(&kickoff)
                        .is_none_or(|t| !same_type(t, &types::datetime()))
                {
                    return fail(
                        &entity,
                        format!(
                            "kickoff input {kickoff:?} must be a datetime input of the workflow"
                        ),
                    );
                }
                let missing: Vec<&String> = types
                    .keys()
                    .filter(|k| {
                        **k != kickoff
                            && !defaults.literals.contains_key(*k)
                            && !fixed.literals.contains_key(*k)
                    })
                    .collect();
                if !missing.is_empty() {
                    return fail(
                        &entity,
                        format!("scheduled, but inputs {missing:?} have no default or fixed value"),
                    );
                }
                Some(admin::Schedule {
                    kickoff_time_input_arg: kickoff,
                    schedule_expression: Some(expr),
                })
            }
        };
        let parameters = types
            .iter()
            .filter(|(k, _)| !fixed.literals.contains_key(*k))
            .map(|(k, t)| {
                let default = defaults.literals.get(k).cloned();
                let parameter = core::Parameter {
                    var: Some(core::Variable {
                        r#type: Some(t.clone()),
                        ..Default::default()
                    }),
                    behavior: Some(match default {
                        Some(d) => core::parameter::Behavior::Default(d),
                        None => core::parameter::Behavior::Required(true),
                    }),
                };
                (k.clone(), parameter)
            })
            .collect();
        let notifications = self
            .notifications
            .iter()
            .map(|(phases, to)| admin::Notification {
                phases: phases.iter().map(|p| *p as i32).collect(),
                r#type: Some(match to {
                    Notify::Email(r) => {
                        admin::notification::Type::Email(admin::EmailNotification {
                            recipients_email: r.clone(),
                        })
                    }
                    Notify::Slack(r) => {
                        admin::notification::Type::Slack(admin::SlackNotification {
                            recipients_email: r.clone(),
                        })
                    }
                    Notify::PagerDuty(r) => {
                        admin::notification::Type::PagerDuty(admin::PagerDutyNotification {
                            recipients_email: r.clone(),
                        })
                    }
                }),
            })
            .collect();
        let run_as = (!self.service_account.is_empty() || !self.iam_role.is_empty()).then(|| {
            core::Identity {
                iam_role: self.iam_role.clone(),
                k8s_service_account: self.service_account.clone(),
                ..Default::default()
            }
        });
        Ok(admin::LaunchPlan {
            id: Some(id(ResourceType::LaunchPlan, &self.name)),
            spec: Some(admin::LaunchPlanSpec {
                workflow_id: Some(id(ResourceType::Workflow, &self.workflow)),
                entity_metadata: Some(admin::LaunchPlanMetadata {
                    schedule,
                    notifications,
                    ..Default::default()
                }),
                default_inputs: Some(core::ParameterMap { parameters }),
                fixed_inputs: Some(fixed),
                labels: Some(admin::Labels {
                    values: self.labels.iter().cloned().collect(),
                }),
                annotations: Some(admin::Annotations {
                    values: self.annotations.iter().cloned().collect(),
                }),
                auth_role: run_as.as_ref().map(|r| admin::AuthRole {
                    assumable_iam_role: r.iam_role.clone(),
                    kubernetes_service_account: r.k8s_service_account.clone(),
                }),
                security_context: run_as.map(|r| core::SecurityContext {
                    run_as: Some(r),
                    ..Default::default()
                }),
                raw_output_data_config: (!self.raw_output_prefix.is_empty()).then(|| {
                    admin::RawOutputDataConfig {
                        output_location_prefix: self.raw_output_prefix.clone(),
                    }
                }),
                max_parallelism: self.max_parallelism,
                ..Default::default()
            }),
            closure: None,
        })
    }
}
