//! Which sub-message of each entity is kept as sent, and where it goes in the entity, as
//! FlyteAdmin 1.16 stores them: a task's template (with the identifier FlyteAdmin sets), a
//! workflow's compiled templates and the task templates compiled into it, a launch plan's spec,
//! an execution's spec (with what FlyteAdmin fills in, such as the principal), and the task
//! template compiled into the workflow FlyteAdmin generates for a task launch.

use flyteidl::flyteidl::admin::ExecutionMetadata;
use flyteidl::flyteidl::core::{Identifier, ResourceType, WorkflowExecutionIdentifier};
use prost::Message;

use super::wire::{element, keep, message_at, Inner};
use super::{Key, Splice};
use crate::db::Db;

/// Field numbers and occurrences from an entity's message to the sub-message kept in it.
const TASK_TEMPLATE: [(u32, usize); 3] = [(2, 0), (1, 0), (1, 0)];
const LAUNCH_PLAN_SPEC: [(u32, usize); 1] = [(2, 0)];
const EXECUTION_SPEC: [(u32, usize); 1] = [(2, 0)];
/// `ExecutionSpec.metadata`, which FlyteAdmin fills in.
const EXECUTION_METADATA: u32 = 3;

fn splice<T: Message + Default + PartialEq>(
    sent: Option<&[u8]>,
    stored: Option<&T>,
    path: &[(u32, usize)],
    inner: &[Inner<'_>],
) -> Option<Splice> {
    let kept = keep(sent?, stored?, inner)?;
    Some(Splice {
        path: path.to_vec(),
        kept,
    })
}

impl Db {
    /// Keeps the template of a created task (`TaskCreateRequest.spec.template`).
    pub(crate) fn keep_task(&mut self, id: &Identifier, request: &[u8]) {
        let template = self
            .find_task(id)
            .and_then(|t| t.value.closure.as_ref())
            .and_then(|c| c.compiled_task.as_ref())
            .and_then(|c| c.template.as_ref());
        let sent = message_at(request, &[2, 1]);
        let kept = splice(sent.as_deref(), template, &TASK_TEMPLATE, &[]);
        self.sent.insert(
            Key::entity(ResourceType::Task, id),
            kept.into_iter().collect(),
        );
    }

    /// Keeps the templates of a created workflow (`WorkflowCreateRequest.spec.template` and
    /// `.sub_workflows`) in its compiled closure, and the kept templates of the tasks compiled
    /// into it, as FlyteAdmin's compiler copies them.
    pub(crate) fn keep_workflow(&mut self, id: &Identifier, request: &[u8]) {
        let Some(compiled) = self
            .find_workflow(id)
            .and_then(|w| w.value.closure.as_ref())
            .and_then(|c| c.compiled_workflow.as_ref())
        else {
            return;
        };
        let spec = message_at(request, &[2]).unwrap_or_default();
        let mut splices = Vec::new();
        let primary = compiled.primary.as_ref().and_then(|p| p.template.as_ref());
        let sent = message_at(&spec, &[1]);
        splices.extend(splice(
            sent.as_deref(),
            primary,
            &[(2, 0), (1, 0), (1, 0), (1, 0)],
            &[],
        ));
        for (j, sub) in compiled.sub_workflows.iter().enumerate() {
            let sent = element(&spec, 2, j);
            splices.extend(splice(
                sent,
                sub.template.as_ref(),
                &[(2, 0), (1, 0), (2, j), (1, 0)],
                &[],
            ));
        }
        for (k, task) in compiled.tasks.iter().enumerate() {
            let Some(task_id) = task.template.as_ref().and_then(|t| t.id.as_ref()) else {
                continue;
            };
            let kept = self
                .sent
                .get(&Key::entity(ResourceType::Task, task_id))
                .iter()
                .find(|s| s.path == TASK_TEMPLATE);
            splices.extend(kept.map(|s| Splice {
                path: vec![(2, 0), (1, 0), (3, k), (1, 0)],
                kept: s.kept.clone(),
            }));
        }
        self.sent
            .insert(Key::entity(ResourceType::Workflow, id), splices);
    }

    /// Keeps the spec of a created launch plan (`LaunchPlanCreateRequest.spec`).
    pub(crate) fn keep_launch_plan(&mut self, id: &Identifier, request: &[u8]) {
        let spec = self
            .find_launch_plan(id)
            .and_then(|l| l.value.spec.as_ref());
        let sent = message_at(request, &[2]);
        let kept = splice(sent.as_deref(), spec, &LAUNCH_PLAN_SPEC, &[]);
        self.sent.insert(
            Key::entity(ResourceType::LaunchPlan, id),
            kept.into_iter().collect(),
        );
    }

    /// Keeps the spec of a created execution (`ExecutionCreateRequest.spec`).
    pub(crate) fn keep_execution(&mut self, id: &WorkflowExecutionIdentifier, request: &[u8]) {
        let sent = message_at(request, &[4]);
        self.keep_spec(id, sent.as_deref());
        // A task launch compiles the task, as its client sent it, into a generated workflow.
        let generated = self
            .find_execution(id)
            .filter(|e| e.value.task.is_some())
            .map(|e| e.value.workflow.clone());
        if let Some(workflow) = generated {
            if self
                .sent
                .get(&Key::entity(ResourceType::Workflow, &workflow))
                .is_empty()
            {
                self.keep_workflow(&workflow, &[]);
            }
        }
    }

    /// A relaunched or recovered execution's spec is its original's, as the original's client
    /// sent it, with what FlyteAdmin changes for the new execution.
    pub(crate) fn keep_relaunched(
        &mut self,
        original: &WorkflowExecutionIdentifier,
        id: &WorkflowExecutionIdentifier,
    ) {
        let sent = self
            .sent
            .get(&Key::execution(original))
            .iter()
            .find(|s| s.path == EXECUTION_SPEC)
            .map(|s| s.kept.sent.clone());
        self.keep_spec(id, sent.as_deref());
    }

    fn keep_spec(&mut self, id: &WorkflowExecutionIdentifier, sent: Option<&[u8]>) {
        let spec = self
            .find_execution(id)
            .and_then(|e| e.value.execution.spec.as_ref());
        let metadata = spec.and_then(|s| s.metadata.as_ref());
        let merge_metadata = |theirs: &[u8]| keep::<ExecutionMetadata>(theirs, metadata?, &[]);
        let kept = splice(
            sent,
            spec,
            &EXECUTION_SPEC,
            &[(EXECUTION_METADATA, &merge_metadata)],
        );
        self.sent
            .insert(Key::execution(id), kept.into_iter().collect());
    }
}
