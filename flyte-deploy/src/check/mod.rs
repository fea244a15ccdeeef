//! Checks a running Flyte deployment: finds the release's rendered config, merges it as Flyte
//! does, lints it, and checks it against the cluster.

mod cluster;
mod config;
mod facts;
mod report;

use std::collections::BTreeSet;

use flyte_config::Value;
use flyte_k8s::K8s;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Container, PodSpec, Secret, Volume};

pub use config::{ConfigFinding, MergedConfig};
pub use report::{CheckError, CheckFinding, CheckReport, CheckRule, Component, ConfigSource};

use config::Origin;
use facts::Layout;

use crate::{Linter, Severity};

/// Checks the Flyte release `release` (or the only one) in `namespace`.
///
/// Finds the ConfigMaps a flyte-binary or flyte-core release rendered (by its
/// `app.kubernetes.io/instance` and `helm.sh/chart` labels), reads each service's config files
/// from the volume its Deployment mounts at its `--config` directory (the chart's ConfigMaps
/// when the Deployment is missing), merges them as Flyte's loader does ([`MergedConfig`]), lints
/// the result ([`Linter::lint_flyte_config`]) and checks it against the cluster (the
/// `check-...` rules in the crate docs). Reads only: nothing is written, and Secrets are read
/// for their names and keys, never shown.
///
/// # Errors
/// [`CheckError::ReleaseNotFound`] when the namespace has no such release,
/// [`CheckError::AmbiguousRelease`] when `release` is `None` and it has several,
/// [`CheckError::Kubernetes`] when a read fails (RBAC must allow get and list of ConfigMaps,
/// and get of Deployments, Secrets, Services, ServiceAccounts and CustomResourceDefinitions).
pub async fn check(
    k8s: &K8s,
    namespace: &str,
    release: Option<&str>,
) -> Result<CheckReport, CheckError> {
    let kube = |source| CheckError::Kubernetes {
        namespace: namespace.to_owned(),
        source,
    };
    let selector = match release {
        Some(r) => format!("{}={r}", facts::LABEL_INSTANCE),
        None => facts::LABEL_CHART.to_owned(),
    };
    let maps: Vec<ConfigMap> = k8s
        .list_objects(namespace, Some(&selector))
        .await
        .map_err(kube)?;
    let flyte_maps: Vec<(String, crate::Chart, String, &ConfigMap)> = maps
        .iter()
        .filter_map(|m| {
            let labels = m.metadata.labels.as_ref()?;
            let instance = labels.get(facts::LABEL_INSTANCE)?;
            let (chart, version) = facts::chart_of(labels.get(facts::LABEL_CHART)?)?;
            Some((instance.clone(), chart, version.to_owned(), m))
        })
        .collect();
    let releases: BTreeSet<&str> = flyte_maps.iter().map(|(r, ..)| r.as_str()).collect();
    let not_found = || CheckError::ReleaseNotFound {
        namespace: namespace.to_owned(),
        release: release.map(str::to_owned),
    };
    let chosen = match (release, releases.len()) {
        (_, 0) => return Err(not_found()),
        (Some(r), _) => r.to_owned(),
        (None, 1) => releases
            .iter()
            .next()
            .map(|r| (*r).to_owned())
            .unwrap_or_default(),
        (None, _) => {
            return Err(CheckError::AmbiguousRelease {
                namespace: namespace.to_owned(),
                releases: releases.iter().map(|r| (*r).to_owned()).collect(),
            })
        }
    };
    let ours: Vec<_> = flyte_maps.iter().filter(|(r, ..)| *r == chosen).collect();
    let Some((_, chart, chart_version, _)) = ours.first() else {
        return Err(not_found());
    };
    let (chart, chart_version) = (*chart, chart_version.clone());
    let mut names: Vec<String> = ours
        .iter()
        .filter_map(|(.., m)| m.metadata.name.clone())
        .collect();
    names.sort();
    let layouts = facts::layouts(chart, &names);
    if layouts.is_empty() {
        return Err(not_found());
    }
    let cx = Cx {
        k8s,
        namespace,
        maps: ours.iter().map(|(.., m)| *m).collect(),
    };
    let mut components = Vec::new();
    let mut findings = Vec::new();
    for layout in &layouts {
        let (component, found) = cx.component(layout).await.map_err(kube)?;
        components.push(component);
        findings.extend(found);
    }
    let tags: BTreeSet<&str> = components
        .iter()
        .filter_map(|c| c.image.as_deref().and_then(image_tag))
        .collect();
    let flyte_version = match tags.len() {
        1 => tags.iter().next().map(|t| (*t).to_owned()),
        0 => None,
        _ => {
            let running: Vec<String> = components
                .iter()
                .filter_map(|c| Some(format!("{} {}", c.name, c.image.as_deref()?)))
                .collect();
            findings.push(CheckFinding {
                rule: CheckRule::VersionMismatch,
                severity: Severity::Warning,
                component: String::new(),
                path: String::new(),
                message: format!(
                    "the services run different Flyte versions ({}); flyteadmin, flytepropeller \
                     and datacatalog are released together",
                    running.join(", ")
                ),
                source: None,
            });
            None
        }
    };
    Ok(CheckReport {
        namespace: namespace.to_owned(),
        release: chosen,
        chart,
        chart_version: Some(chart_version),
        flyte_version,
        components,
        findings,
    })
}

/// The tag of an image reference (`cr.flyte.org/flyteorg/flyteadmin:v1.16.8` -> `v1.16.8`),
/// without a digest.
fn image_tag(image: &str) -> Option<&str> {
    let image = image.split('@').next()?;
    let last = image.rsplit('/').next()?;
    last.split_once(':').map(|(_, tag)| tag)
}

/// Where one config file of a service comes from.
#[derive(Debug, Clone)]
enum FileSource {
    ConfigMap(String),
    Secret(String),
}

/// What every check of one release needs.
struct Cx<'a> {
    k8s: &'a K8s,
    namespace: &'a str,
    /// The release's ConfigMaps, already read.
    maps: Vec<&'a ConfigMap>,
}

/// One service's effective config and where its files came from.
pub(crate) struct Effective {
    pub(crate) component: &'static str,
    pub(crate) config: MergedConfig,
    /// `(ConfigMap, key)` of each file of `config`, by index.
    pub(crate) files: Vec<(String, String)>,
    pub(crate) value: Value,
}

impl Effective {
    /// Where the key at `path` was written, as a [`ConfigSource`].
    pub(crate) fn source(&self, path: &str) -> Option<ConfigSource> {
        self.config.origin(path).and_then(|o| self.at(o))
    }

    fn at(&self, origin: Origin) -> Option<ConfigSource> {
        let (config_map, key) = self.files.get(origin.file)?.clone();
        Some(ConfigSource {
            config_map,
            key,
            line: origin.line,
            column: origin.column,
        })
    }

    /// The value at a dotted path, keys compared case-insensitively as viper does.
    pub(crate) fn get(&self, path: &str) -> Option<&Value> {
        path.split('.')
            .try_fold(&self.value, |here, segment| match here {
                Value::Map(entries) => entries
                    .iter()
                    .rev()
                    .find(|(k, _)| k.eq_ignore_ascii_case(segment))
                    .map(|(_, v)| v),
                _ => None,
            })
    }

    /// The non-empty text at a dotted path.
    pub(crate) fn text(&self, path: &str) -> Option<&str> {
        self.get(path)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    }

    /// A finding about the value at `path`.
    pub(crate) fn finding(
        &self,
        rule: CheckRule,
        severity: Severity,
        path: &str,
        message: String,
    ) -> CheckFinding {
        CheckFinding {
            rule,
            severity,
            component: self.component.to_owned(),
            path: path.to_owned(),
            message,
            source: self.source(path),
        }
    }
}

/// The container that runs the Flyte service: the one started with `--config`.
fn flyte_container(spec: &PodSpec) -> Option<&Container> {
    spec.containers
        .iter()
        .find(|c| config_glob(c).is_some())
        .or_else(|| spec.containers.first())
}

/// The `--config` argument of a container (`/etc/flyte/config.d/*.yaml`).
fn config_glob(container: &Container) -> Option<&str> {
    let args: Vec<&str> = container
        .command
        .iter()
        .chain(container.args.iter())
        .flatten()
        .map(String::as_str)
        .collect();
    args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--config=").or_else(|| {
            (*a == "--config")
                .then(|| args.get(i + 1).copied())
                .flatten()
        })
    })
}

/// The volume mounted in `container` at `dir`, and the ConfigMaps and Secrets it projects, in
/// order (optional sources left out).
fn volume_sources(spec: &PodSpec, container: &Container, dir: &str) -> Option<Vec<FileSource>> {
    let mount = container
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.mount_path.trim_end_matches('/') == dir)?;
    let volume: &Volume = spec
        .volumes
        .iter()
        .flatten()
        .find(|v| v.name == mount.name)?;
    let mut out = Vec::new();
    if let Some(cm) = &volume.config_map {
        if cm.optional != Some(true) {
            out.push(FileSource::ConfigMap(cm.name.clone()));
        }
    }
    if let Some(s) = &volume.secret {
        if s.optional != Some(true) {
            out.extend(s.secret_name.clone().map(FileSource::Secret));
        }
    }
    for source in volume
        .projected
        .iter()
        .flat_map(|p| p.sources.iter().flatten())
    {
        if let Some(cm) = source
            .config_map
            .as_ref()
            .filter(|c| c.optional != Some(true))
        {
            out.push(FileSource::ConfigMap(cm.name.clone()));
        }
        if let Some(s) = source.secret.as_ref().filter(|s| s.optional != Some(true)) {
            out.push(FileSource::Secret(s.name.clone()));
        }
    }
    Some(out)
}

impl Cx<'_> {
    /// Reads, merges, lints and checks one service.
    async fn component(
        &self,
        layout: &Layout,
    ) -> Result<(Component, Vec<CheckFinding>), flyte_k8s::Error> {
        let mut findings = Vec::new();
        let deployment: Option<Deployment> = self
            .k8s
            .get_object(self.namespace, &layout.deployment)
            .await?;
        let spec = deployment
            .as_ref()
            .and_then(|d| d.spec.as_ref())
            .and_then(|s| s.template.spec.as_ref());
        let container = spec.and_then(flyte_container);
        let mounted = spec.zip(container).and_then(|(spec, c)| {
            let dir = config_glob(c)?.rsplit_once('/')?.0;
            volume_sources(spec, c, dir)
        });
        if deployment.is_none() {
            findings.push(CheckFinding {
                rule: CheckRule::DeploymentMissing,
                severity: Severity::Warning,
                component: layout.component.to_owned(),
                path: String::new(),
                message: format!(
                    "Deployment {}/{} does not exist: the service is not running, and its \
                     pods' service account and mounts are not checked",
                    self.namespace, layout.deployment
                ),
                source: None,
            });
        }
        let sources = mounted.unwrap_or_else(|| {
            layout
                .config_maps
                .iter()
                .map(|m| FileSource::ConfigMap(m.clone()))
                .collect()
        });

        // Every file of the config directory, sorted by name as the glob reads them.
        let mut files: Vec<(String, FileSource, Option<String>)> = Vec::new();
        for source in &sources {
            match source {
                FileSource::ConfigMap(name) => {
                    let fetched;
                    let map = match self
                        .maps
                        .iter()
                        .find(|m| m.metadata.name.as_ref() == Some(name))
                    {
                        Some(m) => Some(*m),
                        None => {
                            fetched = self
                                .k8s
                                .get_object::<ConfigMap>(self.namespace, name)
                                .await?;
                            fetched.as_ref()
                        }
                    };
                    let Some(map) = map else {
                        findings.push(missing(layout, "ConfigMap", self.namespace, name));
                        continue;
                    };
                    for (key, text) in map.data.iter().flatten() {
                        files.push((key.clone(), source.clone(), Some(text.clone())));
                    }
                }
                FileSource::Secret(name) => {
                    let secret: Option<Secret> = self.k8s.get_object(self.namespace, name).await?;
                    let Some(secret) = secret else {
                        findings.push(missing(layout, "Secret", self.namespace, name));
                        continue;
                    };
                    for key in secret_keys(&secret) {
                        files.push((key, source.clone(), None));
                    }
                }
            }
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));

        let mut config = MergedConfig::new();
        let mut merged = Vec::new();
        let mut component = Component {
            name: layout.component.to_owned(),
            deployment: deployment.as_ref().and_then(|d| d.metadata.name.clone()),
            image: container.and_then(|c| c.image.clone()),
            service_account: spec.map(|s| service_account(s).to_owned()),
            config_files: Vec::new(),
            secret_files: Vec::new(),
        };
        for (key, source, text) in files {
            match (source, text) {
                (FileSource::ConfigMap(map), Some(text)) => {
                    if !(key.ends_with(".yaml") || key.ends_with(".yml")) {
                        continue;
                    }
                    match config.merge(format!("{map}/{key}"), &text) {
                        Ok(()) => {
                            component.config_files.push(format!("{map}/{key}"));
                            merged.push((map, key));
                        }
                        Err(e) => findings.push(unreadable(layout, &map, &key, &e)),
                    }
                }
                (FileSource::Secret(secret), _) | (FileSource::ConfigMap(secret), None) => {
                    component.secret_files.push(format!("{secret}/{key}"));
                }
            }
        }
        let value = config.value();
        let effective = Effective {
            component: layout.component,
            config,
            files: merged,
            value,
        };
        // Without any config file there is nothing to lint, and checking Flyte's defaults
        // against the cluster would only repeat the missing config as other findings.
        if !effective.files.is_empty() {
            findings.extend(lint(&effective));
            findings.extend(
                cluster::check(
                    self.k8s,
                    self.namespace,
                    layout,
                    &effective,
                    spec,
                    container,
                )
                .await?,
            );
        }
        Ok((component, findings))
    }
}

/// The lint's findings on one service's effective config.
fn lint(effective: &Effective) -> Vec<CheckFinding> {
    let found = match Linter::new().lint_flyte_config(&effective.config) {
        Ok(found) => found,
        Err(e) => {
            return vec![CheckFinding {
                rule: CheckRule::ConfigUnreadable,
                severity: Severity::Error,
                component: effective.component.to_owned(),
                path: String::new(),
                message: format!("the merged config could not be linted: {e}"),
                source: None,
            }]
        }
    };
    found
        .into_iter()
        .map(|f| CheckFinding {
            rule: CheckRule::Lint(f.finding.rule),
            severity: f.finding.severity,
            component: effective.component.to_owned(),
            source: effective.at(Origin {
                file: f.file,
                line: f.finding.line,
                column: f.finding.column,
            }),
            path: f.finding.path,
            message: f.finding.message,
        })
        .collect()
}

/// The data keys of a Secret (never its values).
pub(crate) fn secret_keys(secret: &Secret) -> Vec<String> {
    let mut keys: Vec<String> = secret
        .data
        .iter()
        .flatten()
        .map(|(k, _)| k.clone())
        .chain(secret.string_data.iter().flatten().map(|(k, _)| k.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The service account a pod runs as (`default` when unset).
pub(crate) fn service_account(spec: &PodSpec) -> &str {
    spec.service_account_name
        .as_deref()
        .or(spec.service_account.as_deref())
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
}

fn missing(layout: &Layout, kind: &str, namespace: &str, name: &str) -> CheckFinding {
    CheckFinding {
        rule: CheckRule::ConfigMissing,
        severity: Severity::Error,
        component: layout.component.to_owned(),
        path: String::new(),
        message: format!(
            "{kind} {namespace}/{name}, projected into the config directory of Deployment {}, \
             does not exist: its pods cannot start{}",
            layout.deployment,
            if kind == "Secret" && layout.component == "flyte-binary" {
                " (flyte-binary's config Secret holds the database password and storage keys)"
            } else {
                ""
            }
        ),
        source: None,
    }
}

fn unreadable(layout: &Layout, map: &str, key: &str, e: &crate::LintError) -> CheckFinding {
    let (line, column) = match e {
        crate::LintError::NotAMapping { line, column } => (*line, *column),
        crate::LintError::Yaml(inner) => inner.location().map_or((1, 1), |l| (l.line, l.column)),
    };
    CheckFinding {
        rule: CheckRule::ConfigUnreadable,
        severity: Severity::Error,
        component: layout.component.to_owned(),
        path: String::new(),
        message: format!("{e}: the service refuses to start"),
        source: Some(ConfigSource {
            config_map: map.to_owned(),
            key: key.to_owned(),
            line,
            column,
        }),
    }
}
