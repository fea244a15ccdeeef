//! The checks of an effective config against the cluster: CRDs, connector Services, the
//! database password Secret, and the service account's cloud identity.

use flyte_config::Value;
use flyte_k8s::K8s;
use k8s_openapi::api::core::v1::{Container, PodSpec, Secret, Service, ServiceAccount, Volume};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

use super::facts::{self, Layout};
use super::{secret_keys, service_account, CheckFinding, CheckRule, Effective};
use crate::Severity;

type Result<T> = std::result::Result<T, flyte_k8s::Error>;

pub(super) async fn check(
    k8s: &K8s,
    namespace: &str,
    layout: &Layout,
    effective: &Effective,
    spec: Option<&PodSpec>,
    container: Option<&Container>,
) -> Result<Vec<CheckFinding>> {
    let mut out = Vec::new();
    if layout.propeller {
        crds(k8s, effective, &mut out).await?;
        connectors(k8s, namespace, effective, &mut out).await?;
    }
    if let Some((spec, container)) = spec.zip(container) {
        database_secret(k8s, namespace, layout, effective, spec, container, &mut out).await?;
        storage_identity(k8s, namespace, effective, spec, &mut out).await?;
    }
    Ok(out)
}

const PLUGINS: &str = "tasks.task-plugins.enabled-plugins";

/// The enabled plugins, trimmed and lowercased as propeller compares them.
fn enabled_plugins(effective: &Effective) -> Vec<String> {
    match effective.get(PLUGINS) {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|p| p.trim().to_lowercase())
            .collect(),
        _ => Vec::new(),
    }
}

async fn crds(k8s: &K8s, effective: &Effective, out: &mut Vec<CheckFinding>) -> Result<()> {
    let creates = effective
        .get("propeller.create-flyteworkflow-crd")
        .and_then(Value::as_bool)
        == Some(true);
    if !creates && !crd_exists(k8s, facts::FLYTEWORKFLOW_CRD).await? {
        out.push(effective.finding(
            CheckRule::CrdMissing,
            Severity::Error,
            "propeller.create-flyteworkflow-crd",
            format!(
                "CRD {} is not installed and propeller.create-flyteworkflow-crd is not true: \
                 flytepropeller cannot run any workflow; install the chart's CRDs or set it",
                facts::FLYTEWORKFLOW_CRD
            ),
        ));
    }
    for plugin in enabled_plugins(effective) {
        let Some((_, crd)) = facts::PLUGIN_CRDS.iter().find(|(p, _)| *p == plugin) else {
            continue;
        };
        if !crd_exists(k8s, crd).await? {
            out.push(effective.finding(
                CheckRule::CrdMissing,
                Severity::Error,
                PLUGINS,
                format!(
                    "plugin {plugin} is enabled but CRD {crd} is not installed: its operator is \
                     missing, and {plugin} tasks fail"
                ),
            ));
        }
    }
    Ok(())
}

async fn crd_exists(k8s: &K8s, name: &str) -> Result<bool> {
    Ok(k8s
        .get_cluster_object::<CustomResourceDefinition>(name)
        .await?
        .is_some())
}

/// The connector plugin's endpoint keys, under its 1.16 name and its older one.
const CONNECTORS: &[(&str, &str, &str)] = &[
    ("connector-service", "defaultConnector", "connectors"),
    ("agent-service", "defaultAgent", "agents"),
];

async fn connectors(
    k8s: &K8s,
    namespace: &str,
    effective: &Effective,
    out: &mut Vec<CheckFinding>,
) -> Result<()> {
    let enabled = enabled_plugins(effective);
    for (plugin, default, named) in CONNECTORS {
        if !enabled.iter().any(|p| p == plugin) {
            continue;
        }
        let base = format!("plugins.{plugin}");
        let mut paths = vec![format!("{base}.{default}.endpoint")];
        if let Some(Value::Map(entries)) = effective.get(&format!("{base}.{named}")) {
            paths.extend(
                entries
                    .iter()
                    .map(|(name, _)| format!("{base}.{named}.{name}.endpoint")),
            );
        }
        for path in paths {
            let Some(endpoint) = effective.text(&path) else {
                continue;
            };
            let Some((service, ns)) = facts::endpoint_service(endpoint, namespace) else {
                continue;
            };
            if k8s.get_object::<Service>(&ns, &service).await?.is_none() {
                out.push(effective.finding(
                    CheckRule::ConnectorServiceMissing,
                    Severity::Error,
                    &path,
                    format!(
                        "connector endpoint {endpoint:?} names Service {ns}/{service}, which \
                         does not exist: tasks for this connector fail"
                    ),
                ));
            }
        }
    }
    Ok(())
}

async fn database_secret(
    k8s: &K8s,
    namespace: &str,
    layout: &Layout,
    effective: &Effective,
    spec: &PodSpec,
    container: &Container,
    out: &mut Vec<CheckFinding>,
) -> Result<()> {
    let Some((path_key, file)) = ["database.postgres.passwordPath", "database.passwordPath"]
        .iter()
        .find_map(|p| Some((*p, effective.text(p)?)))
    else {
        return Ok(());
    };
    let mut finding = |message: String| {
        out.push(effective.finding(
            CheckRule::DatabaseSecretMissing,
            Severity::Error,
            path_key,
            message,
        ));
    };
    // The mount that holds the file: the longest mount path the file is under.
    let mount = container
        .volume_mounts
        .iter()
        .flatten()
        .filter_map(|m| {
            let dir = m.mount_path.trim_end_matches('/');
            let rest = file.strip_prefix(dir)?.strip_prefix('/')?;
            Some((m, rest))
        })
        .max_by_key(|(m, _)| m.mount_path.len());
    let Some((mount, relative)) = mount else {
        finding(format!(
            "the database password file {file:?} is on no volume of Deployment {}: the \
             service cannot read the password",
            layout.deployment
        ));
        return Ok(());
    };
    let Some(volume) = spec.volumes.iter().flatten().find(|v| v.name == mount.name) else {
        return Ok(());
    };
    let sources = secret_sources(volume);
    let mut provided = false;
    for SecretSource { name, items } in &sources {
        let secret: Option<Secret> = k8s.get_object(namespace, name).await?;
        let Some(secret) = secret else {
            finding(format!(
                "Secret {namespace}/{name}, mounted at {} for the database password file \
                 {file:?}, does not exist: the pods cannot start",
                mount.mount_path
            ));
            provided = true;
            continue;
        };
        let keys = secret_keys(&secret);
        provided |= match items {
            Some(items) => items
                .iter()
                .any(|(key, path)| path == relative && keys.contains(key)),
            None => keys.iter().any(|k| k == relative),
        };
    }
    if !sources.is_empty() && !provided {
        let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        finding(format!(
            "no key {relative:?} in Secret {} mounted at {}: the database password file \
             {file:?} does not exist",
            names.join(", "),
            mount.mount_path
        ));
    }
    Ok(())
}

/// A Secret a volume holds files of.
struct SecretSource {
    name: String,
    /// Its `items` as (key, path), when the volume lists them.
    items: Option<Vec<(String, String)>>,
}

/// The Secrets a volume holds files of.
fn secret_sources(volume: &Volume) -> Vec<SecretSource> {
    let items = |list: &Option<Vec<k8s_openapi::api::core::v1::KeyToPath>>| {
        list.as_ref()
            .map(|l| l.iter().map(|i| (i.key.clone(), i.path.clone())).collect())
    };
    let mut out = Vec::new();
    if let Some(s) = &volume.secret {
        if let Some(name) = &s.secret_name {
            out.push(SecretSource {
                name: name.clone(),
                items: items(&s.items),
            });
        }
    }
    for source in volume
        .projected
        .iter()
        .flat_map(|p| p.sources.iter().flatten())
    {
        if let Some(s) = &source.secret {
            out.push(SecretSource {
                name: s.name.clone(),
                items: items(&s.items),
            });
        }
    }
    out
}

async fn storage_identity(
    k8s: &K8s,
    namespace: &str,
    effective: &Effective,
    spec: &PodSpec,
    out: &mut Vec<CheckFinding>,
) -> Result<()> {
    let lower = |p: &str| effective.text(p).map(str::to_lowercase);
    let storage_type = lower("storage.type");
    let stow = storage_type.as_deref() == Some("stow");
    let irsa = if matches!(storage_type.as_deref(), Some("s3" | "minio"))
        && lower("storage.connection.auth-type").as_deref() == Some("iam")
    {
        Some("storage.connection.auth-type")
    } else if stow
        && lower("storage.stow.kind").as_deref() == Some("s3")
        && lower("storage.stow.config.auth_type").as_deref() == Some("iam")
    {
        Some("storage.stow.config.auth_type")
    } else {
        None
    };
    let google = stow
        && lower("storage.stow.kind").as_deref() == Some("google")
        && effective.text("storage.stow.config.json").is_none();
    let (path, annotation, cloud) = match irsa {
        Some(path) => (
            path,
            facts::IRSA_ANNOTATION,
            "IAM Roles for Service Accounts",
        ),
        None if google => (
            "storage.stow.kind",
            facts::WORKLOAD_IDENTITY_ANNOTATION,
            "Workload Identity",
        ),
        None => return Ok(()),
    };
    let account = service_account(spec);
    let found: Option<ServiceAccount> = k8s.get_object(namespace, account).await?;
    let (severity, message) = match found {
        None => (
            Severity::Error,
            format!(
            "the pods run as service account {namespace}/{account}, which does not exist: they \
             cannot start"
        ),
        ),
        Some(sa) => {
            let annotated = sa
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(annotation))
                .is_some_and(|v| !v.trim().is_empty());
            if annotated {
                return Ok(());
            }
            (
                Severity::Warning,
                format!(
                "storage uses the pods' cloud identity but service account {namespace}/{account} \
                 has no {annotation} annotation ({cloud}): unless the nodes' own identity (or EKS \
                 Pod Identity) grants the bucket, storage access is denied"
            ),
            )
        }
    };
    out.push(effective.finding(CheckRule::StorageIdentityMissing, severity, path, message));
    Ok(())
}
