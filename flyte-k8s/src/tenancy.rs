//! Tenancy: for a Flyte project and its domains, the namespaces flyteadmin's cluster resource
//! manager would use, with labels, a ResourceQuota, a LimitRange and a service account carrying
//! the cloud identity its tasks run as.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    LimitRange, LimitRangeItem, LimitRangeSpec, Namespace, ResourceQuota, ResourceQuotaSpec,
    ServiceAccount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ListParams};

use crate::client::{Action, Change, K8s, FIELD_MANAGER, LABEL_MANAGED_BY, MANAGED_BY};
use crate::error::{Error, ObjectRef, Result};

/// flyteadmin's default `namespace_mapping.template`.
pub const DEFAULT_NAMESPACE_TEMPLATE: &str = "{{ project }}-{{ domain }}";
/// The name flyteadmin's cluster resource templates give the quota.
const QUOTA_NAME: &str = "project-quota";
const LIMITS_NAME: &str = "project-limits";
const LABEL_PROJECT: &str = "flyte.org/project";
const LABEL_DOMAIN: &str = "flyte.org/domain";

/// The namespace of `project` and `domain` under a flyteadmin namespace template
/// (`{{ project }}`, `{{ domain }}`, with or without the spaces).
pub fn namespace_for(template: &str, project: &str, domain: &str) -> String {
    template
        .replace("{{ project }}", project)
        .replace("{{project}}", project)
        .replace("{{ domain }}", domain)
        .replace("{{domain}}", domain)
}

/// A DNS-1123 label, as namespaces must be.
fn check_dns_label(what: &str, v: &str) -> Result<()> {
    let ok = !v.is_empty()
        && v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !v.starts_with('-')
        && !v.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{what} {v:?} is not a valid namespace name (lowercase letters, digits and '-', at most 63)"
        )))
    }
}

/// A Kubernetes quantity, checked.
fn quantity(what: &str, v: &str) -> Result<Quantity> {
    if flyte_config::is_quantity(v) {
        Ok(Quantity(v.to_owned()))
    } else {
        Err(Error::invalid(format!(
            "{what} {v:?} is not a Kubernetes quantity (like 500m, 2, 1Gi)"
        )))
    }
}

/// The most a namespace may use at once (a ResourceQuota `project-quota`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub struct Quota {
    cpu: Option<String>,
    memory: Option<String>,
    gpu: Option<String>,
    storage: Option<String>,
}

impl Quota {
    /// No limits yet.
    pub fn new() -> Self {
        Quota::default()
    }
    /// CPU limits in total (`limits.cpu`).
    pub fn cpu(mut self, q: impl Into<String>) -> Self {
        self.cpu = Some(q.into());
        self
    }
    /// Memory limits in total (`limits.memory`).
    pub fn memory(mut self, q: impl Into<String>) -> Self {
        self.memory = Some(q.into());
        self
    }
    /// GPUs requested in total (`requests.nvidia.com/gpu`).
    pub fn gpu(mut self, q: impl Into<String>) -> Self {
        self.gpu = Some(q.into());
        self
    }
    /// Persistent storage requested in total (`requests.storage`).
    pub fn storage(mut self, q: impl Into<String>) -> Self {
        self.storage = Some(q.into());
        self
    }

    fn hard(&self) -> Result<BTreeMap<String, Quantity>> {
        let mut hard = BTreeMap::new();
        for (key, v) in [
            ("limits.cpu", &self.cpu),
            ("limits.memory", &self.memory),
            ("requests.nvidia.com/gpu", &self.gpu),
            ("requests.storage", &self.storage),
        ] {
            if let Some(v) = v {
                hard.insert(key.to_owned(), quantity(&format!("quota {key}"), v)?);
            }
        }
        Ok(hard)
    }
}

/// Per-container defaults and maximums (a LimitRange `project-limits`), for pods that do not
/// say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub struct LimitDefaults {
    default_cpu: Option<String>,
    default_memory: Option<String>,
    max_cpu: Option<String>,
    max_memory: Option<String>,
}

impl LimitDefaults {
    /// Nothing set yet.
    pub fn new() -> Self {
        LimitDefaults::default()
    }
    /// CPU given to containers that set none (request and limit).
    pub fn default_cpu(mut self, q: impl Into<String>) -> Self {
        self.default_cpu = Some(q.into());
        self
    }
    /// Memory given to containers that set none (request and limit).
    pub fn default_memory(mut self, q: impl Into<String>) -> Self {
        self.default_memory = Some(q.into());
        self
    }
    /// The most CPU one container may have.
    pub fn max_cpu(mut self, q: impl Into<String>) -> Self {
        self.max_cpu = Some(q.into());
        self
    }
    /// The most memory one container may have.
    pub fn max_memory(mut self, q: impl Into<String>) -> Self {
        self.max_memory = Some(q.into());
        self
    }

    fn item(&self) -> Result<LimitRangeItem> {
        let map =
            |pairs: [(&str, &Option<String>); 2]| -> Result<Option<BTreeMap<String, Quantity>>> {
                let mut m = BTreeMap::new();
                for (k, v) in pairs {
                    if let Some(v) = v {
                        m.insert(k.to_owned(), quantity(&format!("limit range {k}"), v)?);
                    }
                }
                Ok((!m.is_empty()).then_some(m))
            };
        let defaults = map([("cpu", &self.default_cpu), ("memory", &self.default_memory)])?;
        Ok(LimitRangeItem {
            type_: "Container".to_owned(),
            default: defaults.clone(),
            default_request: defaults,
            max: map([("cpu", &self.max_cpu), ("memory", &self.max_memory)])?,
            ..Default::default()
        })
    }
}

/// The service account tasks run as, with the annotations that give it a cloud identity.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub struct ServiceAccountSpec {
    name: String,
    annotations: BTreeMap<String, String>,
}

impl ServiceAccountSpec {
    /// A service account `name` (Flyte's default is `default`).
    pub fn new(name: impl Into<String>) -> Self {
        ServiceAccountSpec {
            name: name.into(),
            annotations: BTreeMap::new(),
        }
    }
    /// EKS IAM roles for service accounts: `eks.amazonaws.com/role-arn`.
    pub fn eks_role(self, arn: impl Into<String>) -> Self {
        self.annotation("eks.amazonaws.com/role-arn", arn)
    }
    /// GKE workload identity: `iam.gke.io/gcp-service-account`.
    pub fn gke_service_account(self, email: impl Into<String>) -> Self {
        self.annotation("iam.gke.io/gcp-service-account", email)
    }
    /// Any other annotation (Azure workload identity's `azure.workload.identity/client-id`, ...).
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }
}

/// What a team gets: for each domain of a project, a namespace with labels, and optionally a
/// quota, container limits and a service account.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub struct Tenant {
    project: String,
    domains: Vec<String>,
    template: String,
    labels: BTreeMap<String, String>,
    quota: Option<Quota>,
    limits: Option<LimitDefaults>,
    service_account: Option<ServiceAccountSpec>,
}

impl Tenant {
    /// `project` in `domains`.
    pub fn new<S: Into<String>>(
        project: impl Into<String>,
        domains: impl IntoIterator<Item = S>,
    ) -> Self {
        Tenant {
            project: project.into(),
            domains: domains.into_iter().map(Into::into).collect(),
            template: DEFAULT_NAMESPACE_TEMPLATE.to_owned(),
            labels: BTreeMap::new(),
            quota: None,
            limits: None,
            service_account: None,
        }
    }
    /// flyteadmin's `namespace_mapping.template`, when the deployment changed it.
    pub fn namespace_template(mut self, template: impl Into<String>) -> Self {
        self.template = template.into();
        self
    }
    /// A label on every namespace.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }
    /// A quota in every namespace.
    pub fn quota(mut self, quota: Quota) -> Self {
        self.quota = Some(quota);
        self
    }
    /// Container defaults and maximums in every namespace.
    pub fn limits(mut self, limits: LimitDefaults) -> Self {
        self.limits = Some(limits);
        self
    }
    /// A service account in every namespace.
    pub fn service_account(mut self, sa: ServiceAccountSpec) -> Self {
        self.service_account = Some(sa);
        self
    }

    /// The namespaces, one per domain.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a project, domain or template that makes no valid namespace.
    pub fn namespaces(&self) -> Result<Vec<(String, String)>> {
        if self.domains.is_empty() {
            return Err(Error::invalid(format!(
                "project {}: no domains",
                self.project
            )));
        }
        check_dns_label("project", &self.project)?;
        self.domains
            .iter()
            .map(|d| {
                check_dns_label("domain", d)?;
                let ns = namespace_for(&self.template, &self.project, d);
                check_dns_label("namespace", &ns)?;
                Ok((d.clone(), ns))
            })
            .collect()
    }

    fn labels_for(&self, domain: &str) -> BTreeMap<String, String> {
        let mut l = self.labels.clone();
        l.insert(LABEL_MANAGED_BY.into(), MANAGED_BY.into());
        l.insert(LABEL_PROJECT.into(), self.project.clone());
        l.insert(LABEL_DOMAIN.into(), domain.to_owned());
        l
    }
}

/// A namespace flyte-rs made for a project and domain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantNamespace {
    /// The namespace.
    pub namespace: String,
    /// Its project.
    pub project: String,
    /// Its domain.
    pub domain: String,
}

fn meta(name: &str, namespace: Option<&str>, labels: BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespace.map(str::to_owned),
        labels: Some(labels),
        ..Default::default()
    }
}

/// Whether every entry of `want` is in `have`.
fn contains(have: Option<&BTreeMap<String, String>>, want: &BTreeMap<String, String>) -> bool {
    want.iter()
        .all(|(k, v)| have.and_then(|h| h.get(k)) == Some(v))
}

/// Whether the object's labels or annotations (`field`) say what `want` says as far as flyte-rs
/// is concerned: every wanted entry there, and no entry flyte-rs applied before and wants no
/// longer (read from the object's managed fields; others' entries are theirs).
fn says(meta: &ObjectMeta, field: &str, want: &BTreeMap<String, String>) -> bool {
    let have = match field {
        "labels" => meta.labels.as_ref(),
        _ => meta.annotations.as_ref(),
    };
    let owned = meta
        .managed_fields
        .iter()
        .flatten()
        .filter(|m| {
            m.manager.as_deref() == Some(FIELD_MANAGER) && m.operation.as_deref() == Some("Apply")
        })
        .filter_map(|m| {
            m.fields_v1
                .as_ref()?
                .0
                .get("f:metadata")?
                .get(format!("f:{field}"))
        })
        .filter_map(serde_json::Value::as_object)
        .flat_map(|keys| keys.keys())
        .filter_map(|k| k.strip_prefix("f:"));
    contains(have, want) && owned.into_iter().all(|k| want.contains_key(k))
}

impl K8s {
    /// Makes the tenant's objects say what `tenant` says: namespaces, then in each the quota,
    /// the limit range and the service account. Objects that already do are not written.
    ///
    /// # Errors
    /// [`Error::Invalid`] before any call for bad names or quantities; the API's errors, naming
    /// the object.
    pub async fn ensure_tenant(&self, tenant: &Tenant) -> Result<Vec<Change>> {
        let namespaces = tenant.namespaces()?;
        let hard = tenant.quota.as_ref().map(Quota::hard).transpose()?;
        let limit_item = tenant
            .limits
            .as_ref()
            .map(LimitDefaults::item)
            .transpose()?;
        let mut changes = Vec::new();
        for (domain, ns) in &namespaces {
            let labels = tenant.labels_for(domain);
            let api: Api<Namespace> = Api::all(self.client.clone());
            let desired = Namespace {
                metadata: meta(ns, None, labels.clone()),
                ..Default::default()
            };
            let want = labels.clone();
            let ns_change = self
                .apply(&api, ObjectRef::new("namespace", None, ns), &desired, |c| {
                    says(&c.metadata, "labels", &want)
                })
                .await?;
            // In a dry run the namespace is not made, and the API server would refuse objects
            // in it: what goes inside a namespace that would be created would be created too.
            let planned = self.dry_run && ns_change.action == Action::Created;
            changes.push(ns_change);
            let owned = BTreeMap::from([(LABEL_MANAGED_BY.to_owned(), MANAGED_BY.to_owned())]);
            if let Some(hard) = &hard {
                let api: Api<ResourceQuota> = Api::namespaced(self.client.clone(), ns);
                let desired = ResourceQuota {
                    metadata: meta(QUOTA_NAME, Some(ns), owned.clone()),
                    spec: Some(ResourceQuotaSpec {
                        hard: Some(hard.clone()),
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                let object = ObjectRef::new("resourcequota", Some(ns), QUOTA_NAME);
                changes.push(if planned {
                    self.would_create(object)
                } else {
                    self.apply(&api, object, &desired, |c| {
                        c.spec.as_ref().and_then(|s| s.hard.as_ref()) == Some(hard)
                    })
                    .await?
                });
            }
            if let Some(item) = &limit_item {
                let api: Api<LimitRange> = Api::namespaced(self.client.clone(), ns);
                let desired = LimitRange {
                    metadata: meta(LIMITS_NAME, Some(ns), owned.clone()),
                    spec: Some(LimitRangeSpec {
                        limits: vec![item.clone()],
                    }),
                };
                let object = ObjectRef::new("limitrange", Some(ns), LIMITS_NAME);
                changes.push(if planned {
                    self.would_create(object)
                } else {
                    self.apply(&api, object, &desired, |c| {
                        c.spec.as_ref().map(|s| &s.limits) == Some(&vec![item.clone()])
                    })
                    .await?
                });
            }
            if let Some(sa) = &tenant.service_account {
                check_dns_label("service account", &sa.name)?;
                let api: Api<ServiceAccount> = Api::namespaced(self.client.clone(), ns);
                let mut metadata = meta(&sa.name, Some(ns), owned.clone());
                metadata.annotations = Some(sa.annotations.clone());
                let desired = ServiceAccount {
                    metadata,
                    ..Default::default()
                };
                let object = ObjectRef::new("serviceaccount", Some(ns), &sa.name);
                changes.push(if planned {
                    self.would_create(object)
                } else {
                    self.apply(&api, object, &desired, |c| {
                        says(&c.metadata, "annotations", &sa.annotations)
                    })
                    .await?
                });
            }
        }
        Ok(changes)
    }

    /// A dry run's "would create" for an object whose namespace would be created first.
    fn would_create(&self, object: ObjectRef) -> Change {
        Change {
            object,
            action: Action::Created,
            dry_run: true,
        }
    }

    /// The namespaces flyte-rs made for tenants (labelled `app.kubernetes.io/managed-by:
    /// flyte-rs`), optionally of one project.
    ///
    /// # Errors
    /// The API's errors.
    pub async fn list_tenants(&self, project: Option<&str>) -> Result<Vec<TenantNamespace>> {
        let api: Api<Namespace> = Api::all(self.client.clone());
        let mut selector = format!("{LABEL_MANAGED_BY}={MANAGED_BY}");
        if let Some(p) = project {
            selector.push_str(&format!(",{LABEL_PROJECT}={p}"));
        }
        let list = self
            .list_all(
                &api,
                ListParams::default().labels(&selector),
                ObjectRef::new("namespace", None, ""),
            )
            .await?;
        let mut out: Vec<TenantNamespace> = list
            .into_iter()
            .filter_map(|n| {
                let labels = n.metadata.labels.unwrap_or_default();
                Some(TenantNamespace {
                    namespace: n.metadata.name?,
                    project: labels.get(LABEL_PROJECT)?.clone(),
                    domain: labels.get(LABEL_DOMAIN).cloned().unwrap_or_default(),
                })
            })
            .collect();
        out.sort_by(|a, b| a.namespace.cmp(&b.namespace));
        Ok(out)
    }

    /// Deletes the namespaces flyte-rs made for `project` (and with them everything in them).
    /// Namespaces it did not make are never touched.
    ///
    /// # Errors
    /// The API's errors.
    pub async fn remove_tenant(&self, project: &str) -> Result<Vec<Change>> {
        let api: Api<Namespace> = Api::all(self.client.clone());
        let mut changes = Vec::new();
        for t in self.list_tenants(Some(project)).await? {
            if let Some(c) = self
                .delete(&api, ObjectRef::new("namespace", None, &t.namespace))
                .await?
            {
                changes.push(c);
            }
        }
        Ok(changes)
    }
}
