//! Onboards a team from one small YAML file: the project in FlyteAdmin, its namespaces on
//! Kubernetes with quota, container limits and a service account with its cloud identity, and
//! the project's task resource defaults and limits. Running it twice changes nothing the second
//! time; `--dry-run` prints what would change and changes nothing.
//!
//! ```text
//! cargo run --example onboard -- FILE [--dry-run] [--force-conflicts] \
//!     [--config FILE | --endpoint E [--insecure]] [--kubeconfig FILE] [--context C]
//! ```
//! The file:
//! ```yaml
//! project: {id: ml-team, name: ML Team, description: Search ranking models}
//! domains: [development, production]        # default: the project's domains in FlyteAdmin
//! namespaceTemplate: "{{ project }}-{{ domain }}"
//! namespaceLabels: {cost-center: "42"}
//! quota: {cpu: "64", memory: 256Gi, gpu: "4"}
//! containerLimits: {defaultCpu: 500m, defaultMemory: 1Gi, maxCpu: "16", maxMemory: 64Gi}
//! serviceAccount: {name: default, annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::1:role/ml"}}
//! taskResources: {defaults: {cpu: 500m, memory: 1Gi}, limits: {cpu: "8", memory: 64Gi}}
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use flyte_admin_client::attributes;
use flyte_admin_client::pb::admin;
use flyte_config::files::MatchableResource;
use flyte_config::Value;
use flyte_examples::{exit, outln, Connection, KubeArgs};
use flyte_k8s::{LimitDefaults, Quota, ServiceAccountSpec, Tenant};

#[derive(Parser, Debug)]
#[command(
    name = "onboard",
    about = "Onboard a team: project, namespaces, quota, identity, task resources"
)]
struct Cli {
    /// The onboarding file.
    file: PathBuf,
    /// Print what would change; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Take over Kubernetes fields another field manager changed (kubectl apply
    /// --force-conflicts); without it such a field is an error naming the manager.
    #[arg(long)]
    force_conflicts: bool,
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    kube: KubeArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    exit(run(Cli::parse()).await)
}

/// Resource name and quantity pairs, as written.
type Quantities = Vec<(String, String)>;

/// The file, read strictly: an unknown key is an error that names it.
#[derive(Debug, Default)]
struct Onboarding {
    id: String,
    name: String,
    description: String,
    domains: Vec<String>,
    template: Option<String>,
    labels: Vec<(String, String)>,
    quota: Option<Quota>,
    limits: Option<LimitDefaults>,
    service_account: Option<ServiceAccountSpec>,
    task_resources: Option<(Quantities, Quantities)>,
}

fn text(v: &Value, at: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Int(i) => Ok(i.to_string()),
        Value::Float(f) => Ok(f.to_string()),
        _ => Err(format!("{at}: expected text")),
    }
}

fn map<'a>(v: &'a Value, at: &str, keys: &[&str]) -> Result<&'a [(String, Value)], String> {
    let Value::Map(m) = v else {
        return Err(format!("{at}: expected a mapping"));
    };
    if let Some((k, _)) = m
        .iter()
        .find(|(k, _)| !keys.is_empty() && !keys.contains(&k.as_str()))
    {
        return Err(format!(
            "{at}.{k}: unknown key (known: {})",
            keys.join(", ")
        ));
    }
    Ok(m)
}

fn pairs(v: &Value, at: &str, keys: &[&str]) -> Result<Vec<(String, String)>, String> {
    map(v, at, keys)?
        .iter()
        .map(|(k, v)| Ok((k.clone(), text(v, &format!("{at}.{k}"))?)))
        .collect()
}

fn parse(source: &str) -> Result<Onboarding, String> {
    let root = Value::from_yaml_str(source).map_err(|e| e.to_string())?;
    let mut o = Onboarding::default();
    let keys = [
        "project",
        "domains",
        "namespaceTemplate",
        "namespaceLabels",
        "quota",
        "containerLimits",
        "serviceAccount",
        "taskResources",
    ];
    for (k, v) in map(&root, "file", &keys)? {
        match k.as_str() {
            "project" => {
                for (pk, pv) in map(v, "project", &["id", "name", "description"])? {
                    let t = text(pv, &format!("project.{pk}"))?;
                    match pk.as_str() {
                        "id" => o.id = t,
                        "name" => o.name = t,
                        _ => o.description = t,
                    }
                }
            }
            "domains" => {
                let Value::List(items) = v else {
                    return Err("domains: expected a list".into());
                };
                o.domains = items
                    .iter()
                    .enumerate()
                    .map(|(i, d)| text(d, &format!("domains[{i}]")))
                    .collect::<Result<_, _>>()?;
            }
            "namespaceTemplate" => o.template = Some(text(v, k)?),
            "namespaceLabels" => o.labels = pairs(v, k, &[])?,
            "quota" => {
                let mut q = Quota::new();
                for (qk, qv) in pairs(v, k, &["cpu", "memory", "gpu", "storage"])? {
                    q = match qk.as_str() {
                        "cpu" => q.cpu(qv),
                        "memory" => q.memory(qv),
                        "gpu" => q.gpu(qv),
                        _ => q.storage(qv),
                    };
                }
                o.quota = Some(q);
            }
            "containerLimits" => {
                let mut l = LimitDefaults::new();
                for (lk, lv) in pairs(
                    v,
                    k,
                    &["defaultCpu", "defaultMemory", "maxCpu", "maxMemory"],
                )? {
                    l = match lk.as_str() {
                        "defaultCpu" => l.default_cpu(lv),
                        "defaultMemory" => l.default_memory(lv),
                        "maxCpu" => l.max_cpu(lv),
                        _ => l.max_memory(lv),
                    };
                }
                o.limits = Some(l);
            }
            "serviceAccount" => {
                let m = map(v, k, &["name", "annotations"])?;
                let name = m
                    .iter()
                    .find(|(k, _)| k == "name")
                    .map(|(_, v)| text(v, "serviceAccount.name"))
                    .transpose()?
                    .unwrap_or_else(|| "default".to_owned());
                let mut sa = ServiceAccountSpec::new(name);
                if let Some((_, a)) = m.iter().find(|(k, _)| k == "annotations") {
                    for (ak, av) in pairs(a, "serviceAccount.annotations", &[])? {
                        sa = sa.annotation(ak, av);
                    }
                }
                o.service_account = Some(sa);
            }
            _ => {
                let m = map(v, k, &["defaults", "limits"])?;
                let get = |name: &str| -> Result<Vec<(String, String)>, String> {
                    m.iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| {
                            pairs(
                                v,
                                &format!("taskResources.{name}"),
                                &["cpu", "memory", "gpu", "storage", "ephemeralStorage"],
                            )
                        })
                        .transpose()
                        .map(Option::unwrap_or_default)
                };
                o.task_resources = Some((get("defaults")?, get("limits")?));
            }
        }
    }
    if o.id.is_empty() {
        return Err("project.id is required".into());
    }
    if o.name.is_empty() {
        o.name.clone_from(&o.id);
    }
    Ok(o)
}

/// flytectl's task-resource-attribute file for one domain.
fn task_resource_file(
    project: &str,
    domain: &str,
    defaults: &[(String, String)],
    limits: &[(String, String)],
) -> String {
    let block = |name: &str, q: &[(String, String)]| {
        let mut s = format!("{name}:\n");
        for (k, v) in q {
            s.push_str(&format!("  {k}: \"{v}\"\n"));
        }
        if q.is_empty() {
            s = format!("{name}: {{}}\n");
        }
        s
    };
    format!(
        "project: {project}\ndomain: {domain}\n{}{}",
        block("defaults", defaults),
        block("limits", limits)
    )
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let source =
        std::fs::read_to_string(&cli.file).map_err(|e| format!("{}: {e}", cli.file.display()))?;
    let o = parse(&source).map_err(|e| format!("{}: {e}", cli.file.display()))?;
    let would = |done: &str, plan: &str| {
        if cli.dry_run {
            plan.to_owned()
        } else {
            done.to_owned()
        }
    };
    let (client, _) = cli.connection.client()?;

    // 1. The project in FlyteAdmin.
    let wanted = admin::Project {
        id: o.id.clone(),
        name: o.name.clone(),
        description: o.description.clone(),
        ..Default::default()
    };
    let existing = match client.get_project(&o.id).await {
        Ok(p) => Some(p),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e.into()),
    };
    match &existing {
        None => {
            if !cli.dry_run {
                client.register_project(wanted.clone()).await?;
            }
            outln!(
                "project {}: {}",
                o.id,
                would("registered", "would register")
            );
        }
        Some(p) if p.name != wanted.name || p.description != wanted.description => {
            if !cli.dry_run {
                let mut updated = p.clone();
                updated.name.clone_from(&wanted.name);
                updated.description.clone_from(&wanted.description);
                client.update_project(updated).await?;
            }
            outln!("project {}: {}", o.id, would("updated", "would update"));
        }
        Some(_) => outln!("project {}: unchanged", o.id),
    }
    let domains = if o.domains.is_empty() {
        match client.get_project(&o.id).await {
            Ok(p) => p.domains.into_iter().map(|d| d.id).collect(),
            // A dry run for a project not registered yet: FlyteAdmin's default domains.
            Err(_) => vec!["development".into(), "staging".into(), "production".into()],
        }
    } else {
        o.domains.clone()
    };

    // 2. Its namespaces on Kubernetes.
    let mut tenant = Tenant::new(o.id.clone(), domains.clone());
    if let Some(t) = &o.template {
        tenant = tenant.namespace_template(t);
    }
    for (k, v) in &o.labels {
        tenant = tenant.label(k, v);
    }
    if let Some(q) = &o.quota {
        tenant = tenant.quota(q.clone());
    }
    if let Some(l) = &o.limits {
        tenant = tenant.limits(l.clone());
    }
    if let Some(sa) = &o.service_account {
        tenant = tenant.service_account(sa.clone());
    }
    let k8s = cli
        .kube
        .client()
        .await?
        .dry_run(cli.dry_run)
        .force_conflicts(cli.force_conflicts);
    for change in k8s.ensure_tenant(&tenant).await? {
        outln!("{change}");
    }

    // 3. Task resource defaults and limits, per domain.
    if let Some((defaults, limits)) = &o.task_resources {
        for d in &domains {
            let file = task_resource_file(&o.id, d, defaults, limits);
            let (target, attrs) = attributes::parse_file("task-resource-attribute", &file)?;
            // A dry run for a project not registered yet has nothing to compare with.
            let current = if cli.dry_run && existing.is_none() {
                None
            } else {
                match client
                    .get_attributes(&target, MatchableResource::TaskResource)
                    .await
                {
                    Ok((scope, a)) if scope == target => Some(a),
                    Ok(_) => None,
                    Err(e) if e.is_not_found() => None,
                    Err(e) => return Err(e.into()),
                }
            };
            let what = format!("task resource attributes {}/{d}", o.id);
            if current.as_ref() == Some(&attrs) {
                outln!("{what}: unchanged");
                continue;
            }
            if !cli.dry_run {
                client.update_attributes(&target, attrs).await?;
            }
            outln!(
                "{what}: {}",
                match (current.is_some(), cli.dry_run) {
                    (false, false) => "set",
                    (false, true) => "would set",
                    (true, false) => "updated",
                    (true, true) => "would update",
                }
            );
        }
    }
    Ok(())
}
