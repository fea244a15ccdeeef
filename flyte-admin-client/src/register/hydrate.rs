//! Hydration, exactly as flytectl's `register files` does it: project, domain and version filled
//! into every identifier of an entity, launch plan options applied, and fast-register
//! placeholders replaced in container arguments.

use flyteidl::flyteidl::admin;
use flyteidl::flyteidl::core::{self, if_else_block, node, task_template, workflow_node};

use super::package::{Entity, EntityKind};

const PROJECT_PATTERN: &str = "{{ registration.project }}";
const DOMAIN_PATTERN: &str = "{{ registration.domain }}";
const VERSION_PATTERN: &str = "{{ registration.version }}";
/// Replaced by the uploaded code bundle's URI.
pub(crate) const REMOTE_PACKAGE_PATTERN: &str = "{{ .remote_package_path }}";
/// Replaced by the destination directory (`.` unless set).
pub(crate) const DEST_DIR_PATTERN: &str = "{{ .dest_dir }}";

/// What hydration fills in.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hydration {
    pub(crate) project: String,
    pub(crate) domain: String,
    pub(crate) version: String,
    /// Replace every version, not only empty and templated ones (`--force`).
    pub(crate) force_version: bool,
    pub(crate) k8s_service_account: String,
    pub(crate) iam_role: String,
    pub(crate) output_location_prefix: String,
    /// The code bundle's URI and the destination directory, for fast registration.
    pub(crate) fast: Option<(String, String)>,
}

impl Hydration {
    pub(crate) fn identifier(&self, id: &mut core::Identifier) {
        if id.project.is_empty() || id.project == PROJECT_PATTERN {
            id.project.clone_from(&self.project);
        }
        if id.domain.is_empty() || id.domain == DOMAIN_PATTERN {
            id.domain.clone_from(&self.domain);
        }
        if self.force_version || id.version.is_empty() || id.version == VERSION_PATTERN {
            id.version.clone_from(&self.version);
        }
    }

    /// Every identifier under a node.
    fn node(&self, n: &mut core::Node) {
        each_node_reference(n, &mut |_, id| self.identifier(id));
    }

    fn workflow_template(&self, t: &mut core::WorkflowTemplate) {
        if let Some(id) = t.id.as_mut() {
            self.identifier(id);
        }
        for n in &mut t.nodes {
            self.node(n);
        }
        if let Some(n) = t.failure_node.as_mut() {
            self.node(n);
        }
    }

    pub(crate) fn args(&self, args: &mut [String]) {
        let Some((uri, dest)) = &self.fast else {
            return;
        };
        for a in args {
            if a == REMOTE_PACKAGE_PATTERN {
                a.clone_from(uri);
            } else if a == DEST_DIR_PATTERN {
                a.clone_from(dest);
            }
        }
    }

    /// Container args inside a pod spec.
    pub(crate) fn pod_spec_args(&self, spec: &mut prost_types::Struct) {
        each_pod_spec_arg(spec, |a| self.args(std::slice::from_mut(a)));
    }

    pub(crate) fn task(&self, spec: &mut admin::TaskSpec) {
        let Some(t) = spec.template.as_mut() else {
            return;
        };
        if let Some(id) = t.id.as_mut() {
            self.identifier(id);
        }
        match t.target.as_mut() {
            Some(task_template::Target::Container(c)) => self.args(&mut c.args),
            Some(task_template::Target::K8sPod(p)) => {
                if let Some(spec) = p.pod_spec.as_mut() {
                    self.pod_spec_args(spec);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn workflow(&self, spec: &mut admin::WorkflowSpec) {
        if let Some(t) = spec.template.as_mut() {
            self.workflow_template(t);
        }
        for sub in &mut spec.sub_workflows {
            self.workflow_template(sub);
        }
    }

    #[allow(deprecated)]
    pub(crate) fn launch_plan(&self, lp: &mut admin::LaunchPlan) {
        if let Some(id) = lp.id.as_mut() {
            self.identifier(id);
        }
        let Some(spec) = lp.spec.as_mut() else {
            return;
        };
        if let Some(id) = spec.workflow_id.as_mut() {
            self.identifier(id);
        }
        if !self.iam_role.is_empty() || !self.k8s_service_account.is_empty() {
            spec.auth_role = Some(admin::AuthRole {
                assumable_iam_role: self.iam_role.clone(),
                kubernetes_service_account: self.k8s_service_account.clone(),
            });
            spec.security_context = Some(core::SecurityContext {
                run_as: Some(core::Identity {
                    iam_role: self.iam_role.clone(),
                    k8s_service_account: self.k8s_service_account.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
        if !self.output_location_prefix.is_empty() {
            spec.raw_output_data_config = Some(admin::RawOutputDataConfig {
                output_location_prefix: self.output_location_prefix.clone(),
            });
        }
    }

    pub(crate) fn entity(&self, e: &mut Entity) {
        match e {
            Entity::Task(t) => self.task(t),
            Entity::Workflow(w) => self.workflow(w),
            Entity::LaunchPlan(l) => self.launch_plan(l),
        }
    }
}

/// Calls `f` with every entity a node refers to: task, sub-workflow and launch plan references,
/// through branch cases and array sub-nodes (gate nodes refer to nothing). The one walk over
/// node kinds for typed entities; `wire.rs` follows the same fields in encoded ones.
pub(crate) fn each_node_reference(
    n: &mut core::Node,
    f: &mut impl FnMut(EntityKind, &mut core::Identifier),
) {
    match n.target.as_mut() {
        Some(node::Target::TaskNode(t)) => {
            if let Some(core::task_node::Reference::ReferenceId(id)) = t.reference.as_mut() {
                f(EntityKind::Task, id);
            }
        }
        Some(node::Target::WorkflowNode(w)) => match w.reference.as_mut() {
            Some(workflow_node::Reference::SubWorkflowRef(id)) => f(EntityKind::Workflow, id),
            Some(workflow_node::Reference::LaunchplanRef(id)) => f(EntityKind::LaunchPlan, id),
            None => {}
        },
        Some(node::Target::BranchNode(b)) => {
            if let Some(ie) = b.if_else.as_mut() {
                if let Some(then) = ie.case.as_mut().and_then(|c| c.then_node.as_mut()) {
                    each_node_reference(then, f);
                }
                for other in &mut ie.other {
                    if let Some(then) = other.then_node.as_mut() {
                        each_node_reference(then, f);
                    }
                }
                if let Some(if_else_block::Default::ElseNode(e)) = ie.default.as_mut() {
                    each_node_reference(e, f);
                }
            }
        }
        Some(node::Target::ArrayNode(a)) => {
            if let Some(sub) = a.node.as_mut() {
                each_node_reference(sub, f);
            }
        }
        Some(node::Target::GateNode(_)) | None => {}
    }
}

/// Calls `f` with each container argument in a pod spec (`containers[*].args[*]`, a protobuf
/// `Struct`): where fast registration's placeholders are looked for and replaced.
pub(crate) fn each_pod_spec_arg(spec: &mut prost_types::Struct, mut f: impl FnMut(&mut String)) {
    use prost_types::value::Kind;
    let Some(Kind::ListValue(containers)) = spec
        .fields
        .get_mut("containers")
        .and_then(|v| v.kind.as_mut())
    else {
        return;
    };
    for c in &mut containers.values {
        let Some(Kind::StructValue(c)) = c.kind.as_mut() else {
            continue;
        };
        let Some(Kind::ListValue(args)) = c.fields.get_mut("args").and_then(|v| v.kind.as_mut())
        else {
            continue;
        };
        for a in &mut args.values {
            if let Some(Kind::StringValue(s)) = a.kind.as_mut() {
                f(s);
            }
        }
    }
}
