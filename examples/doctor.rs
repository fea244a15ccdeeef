//! Checks a Flyte deployment on Kubernetes: the health of its components (flyte-binary or
//! flyte-core) with one verdict and its reasons, the FlyteWorkflows that look stuck in any
//! namespace, the task pods stuck in Terminating on propeller's finalizer although their
//! execution ended, and with `--execution` why one execution is stuck or failing (its pods,
//! their containers and events, in words).
//!
//! With `--free`, it also removes propeller's finalizers (and only those) from the finished
//! FlyteWorkflows that keep them and from those task pods, so Kubernetes can delete them; an
//! object that changed after it was read is reported and left alone (run again to look anew).
//!
//! ```text
//! cargo run --example doctor -- [--kubeconfig FILE] [--context C] [--namespace flyte] \
//!     [--stuck-after 30m] [--execution PROJECT/DOMAIN/NAME [--logs N]] [--namespace-template T] \
//!     [--free [--dry-run]] [-o json]
//! ```
//! Exit code 0 when healthy, nothing is stuck (or everything stuck was freed) and the execution
//! (if any) shows no error; 1 otherwise.

use std::process::ExitCode;
use std::time::SystemTime;

use clap::Parser;
use flyte_examples::{fail, outln, KubeArgs};
use flyte_k8s::{namespace_for, Change, StuckReason, Verdict, DEFAULT_NAMESPACE_TEMPLATE};

#[derive(Parser, Debug)]
#[command(
    name = "doctor",
    about = "Health, stuck executions and diagnosis of Flyte on Kubernetes"
)]
struct Cli {
    #[command(flatten)]
    kube: KubeArgs,
    /// Where Flyte runs.
    #[arg(short, long, default_value = "flyte")]
    namespace: String,
    /// How long without progress counts as stuck (Go durations: 30m, 2h).
    #[arg(long, default_value = "30m")]
    stuck_after: String,
    /// One execution to diagnose: PROJECT/DOMAIN/NAME.
    #[arg(long)]
    execution: Option<String>,
    /// flyteadmin's namespace template, to find the execution's namespace.
    #[arg(long, default_value = DEFAULT_NAMESPACE_TEMPLATE)]
    namespace_template: String,
    /// With --execution: also propeller's log lines about it (the last N lines of each
    /// propeller pod are searched).
    #[arg(long, value_name = "N")]
    logs: Option<i64>,
    /// Remove propeller's finalizers from finished FlyteWorkflows that keep them and from task
    /// pods held in Terminating after their execution ended (other finalizers stay; an object
    /// that changed after it was read is left alone and reported).
    #[arg(long)]
    free: bool,
    /// With --free: have the API server check each change without keeping it.
    #[arg(long, requires = "free")]
    dry_run: bool,
    /// Output: text or json.
    #[arg(short = 'o', long, default_value = "text", value_parser = ["text", "json"])]
    output: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => fail(e),
    }
}

async fn run(cli: Cli) -> Result<bool, Box<dyn std::error::Error>> {
    let stuck_after = flyte_config::parse_duration(&cli.stuck_after)
        .map_err(|e| format!("--stuck-after {:?}: {e}", cli.stuck_after))?;
    let execution = match &cli.execution {
        None => None,
        Some(e) => match e.split('/').collect::<Vec<_>>().as_slice() {
            [p, d, n] if !p.is_empty() && !d.is_empty() && !n.is_empty() => Some((
                namespace_for(&cli.namespace_template, p, d),
                (*n).to_owned(),
            )),
            _ => return Err(format!("--execution {e:?}: expected PROJECT/DOMAIN/NAME").into()),
        },
    };
    let k8s = cli.kube.client().await?;
    let health = k8s.deployment_health(&cli.namespace).await?;
    let now = SystemTime::now();
    // A cluster without the FlyteWorkflow CRD has nothing stuck.
    let workflows = match k8s.flyteworkflows(None).await {
        Ok(w) => w,
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let stuck: Vec<_> = workflows
        .iter()
        .filter_map(|w| w.stuck(now, stuck_after).map(|r| (w, r)))
        .collect();
    let held = k8s.held_task_pods(None).await?;
    // What --free does, object by object: the change, or why not.
    let mut freed: Vec<(String, Result<Change, flyte_k8s::Error>)> = Vec::new();
    if cli.free {
        let k8s = k8s.clone().dry_run(cli.dry_run);
        for (w, r) in &stuck {
            if *r == StuckReason::FinalizerNotReleased {
                let subject = format!("flyteworkflow {}/{}", w.namespace, w.name);
                freed.push((subject, k8s.remove_finalizers(&w.namespace, &w.name).await));
            }
        }
        for p in &held {
            let subject = format!("pod {}/{}", p.namespace, p.name);
            freed.push((subject, k8s.free_task_pod(&p.namespace, &p.name).await));
        }
    }
    let is_freed = |subject: &str| {
        !cli.dry_run
            && freed
                .iter()
                .any(|(s, r)| s.as_str() == subject && r.is_ok())
    };
    let diagnosis = match &execution {
        // Judged at the same moment as the stuck list above.
        Some((ns, name)) => Some(
            k8s.diagnose_execution_at(ns, name, stuck_after, now)
                .await?,
        ),
        None => None,
    };
    let log = match (&execution, cli.logs) {
        (Some((_, name)), Some(n)) => k8s.propeller_log(&cli.namespace, name, n).await?,
        _ => Vec::new(),
    };
    let ok = health.verdict == Verdict::Healthy
        && stuck
            .iter()
            .all(|(w, _)| is_freed(&format!("flyteworkflow {}/{}", w.namespace, w.name)))
        && held
            .iter()
            .all(|p| is_freed(&format!("pod {}/{}", p.namespace, p.name)))
        && !diagnosis.as_ref().is_some_and(|d| d.has_errors());

    if cli.output == "json" {
        let out = serde_json::json!({
            "namespace": health.namespace,
            "verdict": health.verdict.to_string(),
            "reasons": health.reasons,
            "components": health.components.iter().map(|c| serde_json::json!({
                "component": c.component, "deployment": c.deployment, "desired": c.desired,
                "ready": c.ready, "restarts": c.restarts, "crash_looping": c.crash_looping,
                "images": c.images,
            })).collect::<Vec<_>>(),
            "stuck": stuck.iter().map(|(w, r)| serde_json::json!({
                "namespace": w.namespace, "name": w.name, "reason": r.to_string(),
                "phase": w.phase.map(|p| p.to_string()), "finalizers": w.finalizers,
            })).collect::<Vec<_>>(),
            "held_task_pods": held.iter().map(|p| serde_json::json!({
                "namespace": p.namespace, "name": p.name, "execution": p.execution, "node": p.node,
                "finalizers": p.finalizers,
                "workflow_phase": p.workflow_phase.map(|ph| ph.to_string()),
            })).collect::<Vec<_>>(),
            "freed": freed.iter().map(|(subject, r)| match r {
                Ok(c) => serde_json::json!({"object": subject, "result": c.to_string()}),
                Err(e) => serde_json::json!({"object": subject, "error": e.to_string(),
                                             "conflict": e.is_conflict()}),
            }).collect::<Vec<_>>(),
            "execution": diagnosis.as_ref().map(|d| serde_json::json!({
                "namespace": d.namespace, "name": d.execution,
                "pods": d.pods.iter().map(|p| serde_json::json!({"name": p.name, "phase": p.phase, "node": p.node})).collect::<Vec<_>>(),
                "findings": d.findings.iter().map(|f| serde_json::json!({
                    "severity": f.severity.to_string(), "subject": f.subject, "message": f.message,
                })).collect::<Vec<_>>(),
            })),
            "propeller_log": log,
            "ok": ok,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ok);
    }
    outln!(
        "Flyte in namespace {}: {}",
        health.namespace,
        health.verdict
    );
    for c in &health.components {
        outln!(
            "  {:<15} {}/{} ready, {} restarts  {}",
            c.component,
            c.ready,
            c.desired,
            c.restarts,
            c.images.join(" ")
        );
    }
    for r in &health.reasons {
        outln!("  - {r}");
    }
    if stuck.is_empty() {
        outln!("No stuck FlyteWorkflows (threshold {}).", cli.stuck_after);
    } else {
        outln!("Stuck FlyteWorkflows (threshold {}):", cli.stuck_after);
        for (w, r) in &stuck {
            outln!("  {}/{}: {r}", w.namespace, w.name);
        }
    }
    if held.is_empty() {
        outln!("No task pods held in Terminating by propeller's finalizer.");
    } else {
        outln!(
            "Task pods held in Terminating by propeller's finalizer after their execution ended:"
        );
        for p in &held {
            let end = p.workflow_phase.map_or_else(
                || "its FlyteWorkflow is gone".to_owned(),
                |ph| ph.to_string(),
            );
            outln!(
                "  {}/{} (execution {}, {end}): {}",
                p.namespace,
                p.name,
                p.execution,
                p.finalizers.join(", ")
            );
        }
    }
    if cli.free {
        outln!("Freeing (propeller's finalizers only):");
        if freed.is_empty() {
            outln!("  nothing to free");
        }
        for (subject, r) in &freed {
            match r {
                Ok(c) => outln!("  {c}"),
                Err(e) => outln!("  {subject}: not freed: {e}"),
            }
        }
    }
    if let Some(d) = &diagnosis {
        outln!(
            "Execution {}/{}: {} pods",
            d.namespace,
            d.execution,
            d.pods.len()
        );
        for f in &d.findings {
            outln!("  {f}");
        }
    }
    if !log.is_empty() {
        outln!("Propeller's log about it:");
        for l in &log {
            outln!("  {l}");
        }
    }
    Ok(ok)
}
