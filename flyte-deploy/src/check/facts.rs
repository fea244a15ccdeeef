//! What the charts render and what Flyte needs from the cluster, read from flyteorg/flyte at
//! tag v1.16.8 (`charts/flyte-binary/templates`, `charts/flyte-core/templates`, flyteplugins).

use crate::Chart;

/// `app.kubernetes.io/instance`: the Helm release, on every object of both charts.
pub(crate) const LABEL_INSTANCE: &str = "app.kubernetes.io/instance";
/// `helm.sh/chart`: `CHART-VERSION` (`flyte-binary-v1.16.8`), on every object of both charts.
pub(crate) const LABEL_CHART: &str = "helm.sh/chart";

/// The service account annotation of IAM Roles for Service Accounts (EKS).
pub(crate) const IRSA_ANNOTATION: &str = "eks.amazonaws.com/role-arn";
/// The service account annotation of Workload Identity (GKE).
pub(crate) const WORKLOAD_IDENTITY_ANNOTATION: &str = "iam.gke.io/gcp-service-account";

/// The CRD propeller keeps its workflows in; propeller creates it at startup only when its
/// `propeller.create-flyteworkflow-crd` is true (default false; flyte-binary sets it from
/// `configuration.propeller.createCRDs`, flyte-core installs it with the chart).
pub(crate) const FLYTEWORKFLOW_CRD: &str = "flyteworkflows.flyte.lyft.com";

/// Task plugins backed by an operator, and the CRD each one creates (`ResourceToWatch` of each
/// plugin in flyteplugins/go/tasks/plugins/k8s: SparkApplication, RayJob, DaskJob, and the
/// kubeflow training operator's PyTorchJob, TFJob, MPIJob).
pub(crate) const PLUGIN_CRDS: &[(&str, &str)] = &[
    ("spark", "sparkapplications.sparkoperator.k8s.io"),
    ("ray", "rayjobs.ray.io"),
    ("dask", "daskjobs.kubernetes.dask.org"),
    ("pytorch", "pytorchjobs.kubeflow.org"),
    ("tensorflow", "tfjobs.kubeflow.org"),
    ("mpi", "mpijobs.kubeflow.org"),
];

/// One Flyte service of a chart: its Deployment and the ConfigMaps its config files come from,
/// in the order the chart projects them into the config directory.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The component's name in reports (`flyte-binary`, `flyteadmin`, ...).
    pub(crate) component: &'static str,
    /// The Deployment's name.
    pub(crate) deployment: String,
    /// The ConfigMaps the chart renders for it.
    pub(crate) config_maps: Vec<String>,
    /// Whether the service runs flytepropeller (plugins, CRDs, connectors).
    pub(crate) propeller: bool,
}

/// Which chart a `helm.sh/chart` label names, and the chart version after it.
pub(crate) fn chart_of(label: &str) -> Option<(Chart, &str)> {
    [Chart::FlyteBinary, Chart::FlyteCore]
        .into_iter()
        .find_map(|chart| {
            let version = label.strip_prefix(chart.name())?.strip_prefix('-')?;
            Some((chart, version))
        })
}

/// The services of a release, given the names of its ConfigMaps (labelled with the release).
///
/// flyte-binary renders one ConfigMap `FULLNAME-config` (unless `configuration.externalConfigMap`
/// is set; files `000-core.yaml`,
/// `001-plugins.yaml`, `002-database.yaml`, `003-storage.yaml`, `004-auth.yaml` with auth on,
/// `100-inline-config.yaml` for `configuration.inline`) and the Deployment `FULLNAME`.
/// flyte-core renders fixed names: `flyte-admin-base-config` and
/// `flyte-admin-clusters-config` for flyteadmin, `flyte-propeller-config` for flytepropeller,
/// `datacatalog-config` for datacatalog, each service's Deployment named after it.
pub(crate) fn layouts(chart: Chart, config_maps: &[String]) -> Vec<Layout> {
    match chart {
        // With `configuration.externalConfigMap` the chart renders no config ConfigMap, but
        // still its cluster resource templates, `FULLNAME-cluster-resource-templates`.
        Chart::FlyteBinary => config_maps
            .iter()
            .filter_map(|name| {
                let fullname = name
                    .strip_suffix("-config")
                    .or_else(|| name.strip_suffix("-cluster-resource-templates"))?;
                Some(Layout {
                    component: "flyte-binary",
                    deployment: fullname.to_owned(),
                    config_maps: vec![format!("{fullname}-config")],
                    propeller: true,
                })
            })
            .take(1)
            .collect(),
        Chart::FlyteCore => [
            (
                "flyteadmin",
                &["flyte-admin-base-config", "flyte-admin-clusters-config"][..],
                false,
            ),
            ("flytepropeller", &["flyte-propeller-config"][..], true),
            ("datacatalog", &["datacatalog-config"][..], false),
        ]
        .into_iter()
        .filter(|(_, maps, _)| maps.iter().any(|m| config_maps.iter().any(|c| c == m)))
        .map(|(component, maps, propeller)| Layout {
            component,
            deployment: component.to_owned(),
            config_maps: maps.iter().map(|m| (*m).to_owned()).collect(),
            propeller,
        })
        .collect(),
    }
}

/// A connector endpoint's Kubernetes Service, when the endpoint names one: `(service,
/// namespace)`. Forms: `dns:///NAME.NS.svc.cluster.local:PORT`, `k8s://NAME.NS:PORT`, and the
/// plain `NAME:PORT`, `NAME.NS:PORT`, `NAME.NS.svc[.DOMAIN]:PORT`; a bare `NAME` is in
/// `namespace`. Other hosts (IP addresses, names outside the cluster) are `None`.
pub(crate) fn endpoint_service(endpoint: &str, namespace: &str) -> Option<(String, String)> {
    let rest = endpoint.trim();
    let rest = match rest.split_once("://") {
        // `dns:///host` has an empty authority; `dns://resolver/host` names a resolver first.
        Some((_, after)) => after.split_once('/').map_or(after, |(_, host)| host),
        None => rest,
    };
    let host = rest.rsplit_once(':').map_or(rest, |(host, _)| host);
    let host = host.trim_end_matches('.');
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return None;
    }
    let parts: Vec<&str> = host.split('.').collect();
    match parts.as_slice() {
        [name] => Some(((*name).to_owned(), namespace.to_owned())),
        [name, ns] | [name, ns, "svc", ..] => Some(((*name).to_owned(), (*ns).to_owned())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_name_their_service_in_every_form() {
        let svc = |e| endpoint_service(e, "flyte");
        let want = |n: &str, ns: &str| Some((n.to_owned(), ns.to_owned()));
        assert_eq!(
            svc("dns:///flyteconnector.connectors.svc.cluster.local:8000"),
            want("flyteconnector", "connectors")
        );
        assert_eq!(
            svc("k8s://flyteconnector.flyte:8000"),
            want("flyteconnector", "flyte")
        );
        assert_eq!(svc("flyteconnector:8000"), want("flyteconnector", "flyte"));
        assert_eq!(
            svc("flyteconnector.other.svc:8000"),
            want("flyteconnector", "other")
        );
        assert_eq!(svc("10.0.0.7:8000"), None);
        assert_eq!(svc("dns:///connector.example.com:443"), None);
    }

    #[test]
    fn chart_labels_give_chart_and_version() {
        assert_eq!(
            chart_of("flyte-core-v1.16.8"),
            Some((Chart::FlyteCore, "v1.16.8"))
        );
        assert_eq!(
            chart_of("flyte-binary-v1.16.8"),
            Some((Chart::FlyteBinary, "v1.16.8"))
        );
        assert_eq!(chart_of("flyteconnector-v1.16.8"), None);
    }
}
