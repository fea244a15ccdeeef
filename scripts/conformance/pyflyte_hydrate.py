"""flytectl's hydration of a `pyflyte package` archive, in Python: the create requests that
flytectl would send, for the conformance and benchmark scripts that register with flytekit's
own client."""

import tarfile

from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2

TEMPLATES = ("{{ registration.project }}", "{{ registration.domain }}", "{{ registration.version }}")


def create_requests(archive, project, domain, version):
    """[(kind, request)] for every .pb in the archive, in file order, hydrated."""

    def hydrate_id(i):
        if not i.project or i.project in TEMPLATES:
            i.project = project
        if not i.domain or i.domain in TEMPLATES:
            i.domain = domain
        if not i.version or i.version in TEMPLATES:
            i.version = version

    def hydrate_node(n):
        if n.HasField("task_node"):
            hydrate_id(n.task_node.reference_id)
        if n.HasField("workflow_node"):
            ref = n.workflow_node
            hydrate_id(ref.launchplan_ref if ref.HasField("launchplan_ref") else ref.sub_workflow_ref)
        if n.HasField("branch_node"):
            ie = n.branch_node.if_else
            hydrate_node(ie.case.then_node)
            for other in ie.other:
                hydrate_node(other.then_node)
            if ie.HasField("else_node"):
                hydrate_node(ie.else_node)
        if n.HasField("array_node"):
            hydrate_node(n.array_node.node)

    def hydrate_workflow(t):
        hydrate_id(t.id)
        for n in t.nodes:
            hydrate_node(n)
        if t.HasField("failure_node"):
            hydrate_node(t.failure_node)

    out = []
    with tarfile.open(archive) as tar:
        for m in sorted(tar.getmembers(), key=lambda m: m.name):
            if not m.name.endswith(".pb"):
                continue
            data = tar.extractfile(m).read()
            kind = m.name.rsplit("_", 1)[1][0]
            if kind == "1":
                spec = task_pb2.TaskSpec.FromString(data)
                hydrate_id(spec.template.id)
                out.append(("task", task_pb2.TaskCreateRequest(id=spec.template.id, spec=spec)))
            elif kind == "2":
                spec = workflow_pb2.WorkflowSpec.FromString(data)
                hydrate_workflow(spec.template)
                for sub in spec.sub_workflows:
                    hydrate_workflow(sub)
                out.append(("workflow", workflow_pb2.WorkflowCreateRequest(id=spec.template.id, spec=spec)))
            else:
                lp = launch_plan_pb2.LaunchPlan.FromString(data)
                hydrate_id(lp.id)
                hydrate_id(lp.spec.workflow_id)
                out.append(("launch plan", launch_plan_pb2.LaunchPlanCreateRequest(id=lp.id, spec=lp.spec)))
    return out
