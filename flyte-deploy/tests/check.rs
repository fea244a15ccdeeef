//! `check` against the mock Kubernetes API holding what the charts render for a flyte-binary
//! and a flyte-core release (`tests/cluster/*.yaml`): healthy installs have no findings, and
//! each problem produces exactly its finding, pointing at the ConfigMap, file and line.

use flyte_deploy::{
    check, Chart, CheckError, CheckReport, CheckRule, ConfigSource, Rule, Severity,
};
use flyte_k8s::K8s;
use flyte_testkit::MockKube;
use serde_json::{json, Value};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The objects of a fixture file (YAML documents separated by `---`).
fn fixture(name: &str) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    let path = format!("{}/tests/cluster/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path)?;
    text.split("\n---\n")
        .map(|doc| Ok(flyte_config::Value::from_yaml_str(doc)?.to_json()))
        .collect()
}

fn named<'a>(objects: &'a mut [Value], kind: &str, name: &str) -> Result<&'a mut Value, String> {
    objects
        .iter_mut()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .ok_or_else(|| format!("no {kind} {name} in the fixture"))
}

/// Rewrites file `key` of ConfigMap `map` with `edit`.
fn edit_file(
    objects: &mut [Value],
    map: &str,
    key: &str,
    edit: impl FnOnce(&str) -> String,
) -> Result<(), String> {
    let config = named(objects, "ConfigMap", map)?;
    let text = config["data"][key]
        .as_str()
        .ok_or_else(|| format!("no file {key} in {map}"))?;
    config["data"][key] = json!(edit(text));
    Ok(())
}

fn without(objects: Vec<Value>, kind: &str, name: &str) -> Vec<Value> {
    objects
        .into_iter()
        .filter(|o| !(o["kind"] == kind && o["metadata"]["name"] == name))
        .collect()
}

/// A mock cluster holding `objects`, and a client for it.
async fn cluster(
    objects: &[Value],
) -> Result<(MockKube, K8s, tempfile::TempDir), Box<dyn std::error::Error>> {
    let kube = MockKube::start().await?;
    for object in objects {
        kube.insert(object.clone());
    }
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, kube.kubeconfig_yaml())?;
    let k8s = K8s::from_kubeconfig(&path, None).await?;
    Ok((kube, k8s, dir))
}

async fn run(objects: &[Value]) -> Result<CheckReport, Box<dyn std::error::Error>> {
    let (_kube, k8s, _dir) = cluster(objects).await?;
    Ok(check(&k8s, "flyte", None).await?)
}

fn source(
    config_map: &str,
    key: &str,
    line: usize,
    column: usize,
) -> Option<(String, String, usize, usize)> {
    Some((config_map.to_owned(), key.to_owned(), line, column))
}

fn at(s: &Option<ConfigSource>) -> Option<(String, String, usize, usize)> {
    s.as_ref()
        .map(|s| (s.config_map.clone(), s.key.clone(), s.line, s.column))
}

/// The one finding of the report, which must be of `rule`.
fn only(report: &CheckReport, rule: CheckRule) -> Result<&flyte_deploy::CheckFinding, String> {
    match report.findings.as_slice() {
        [one] if one.rule == rule => Ok(one),
        _ => Err(format!(
            "expected exactly one {rule}, got {:#?}",
            report.findings
        )),
    }
}

#[tokio::test]
async fn a_healthy_flyte_binary_install_has_no_findings() -> TestResult {
    let report = run(&fixture("flyte-binary.yaml")?).await?;
    assert_eq!(report.findings, [], "{:#?}", report.findings);
    assert_eq!(report.chart, Chart::FlyteBinary);
    assert_eq!(report.release, "flyte");
    assert_eq!(report.chart_version.as_deref(), Some("v1.16.8"));
    assert_eq!(report.flyte_version.as_deref(), Some("v1.16.8"));
    let [binary] = report.components.as_slice() else {
        return Err(format!("{:#?}", report.components).into());
    };
    assert_eq!(binary.deployment.as_deref(), Some("flyte-flyte-binary"));
    assert_eq!(
        binary.service_account.as_deref(),
        Some("flyte-flyte-binary")
    );
    assert_eq!(
        binary.config_files,
        [
            "flyte-flyte-binary-config/000-core.yaml",
            "flyte-flyte-binary-config/001-plugins.yaml",
            "flyte-flyte-binary-config/002-database.yaml",
            "flyte-flyte-binary-config/003-storage.yaml",
        ]
    );
    assert_eq!(
        binary.secret_files,
        ["flyte-flyte-binary-config-secret/012-database-secrets.yaml"]
    );
    Ok(())
}

#[tokio::test]
async fn a_healthy_flyte_core_install_has_no_findings() -> TestResult {
    let report = run(&fixture("flyte-core.yaml")?).await?;
    assert_eq!(report.findings, [], "{:#?}", report.findings);
    assert_eq!(report.chart, Chart::FlyteCore);
    assert_eq!(report.flyte_version.as_deref(), Some("v1.16.8"));
    let names: Vec<_> = report.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["flyteadmin", "flytepropeller", "datacatalog"]);
    // flyteadmin reads both of its ConfigMaps from one directory, sorted by file name.
    assert_eq!(
        report.components[0].config_files,
        [
            "flyte-admin-clusters-config/clusters.yaml",
            "flyte-admin-base-config/db.yaml",
            "flyte-admin-base-config/domain.yaml",
            "flyte-admin-base-config/server.yaml",
            "flyte-admin-base-config/storage.yaml",
            "flyte-admin-base-config/task_resource_defaults.yaml",
        ]
    );
    Ok(())
}

#[tokio::test]
async fn an_enabled_plugin_without_its_crd_points_at_enabled_plugins() -> TestResult {
    let objects = without(
        fixture("flyte-core.yaml")?,
        "CustomResourceDefinition",
        "sparkapplications.sparkoperator.k8s.io",
    );
    let report = run(&objects).await?;
    let finding = only(&report, CheckRule::CrdMissing)?;
    assert_eq!(finding.component, "flytepropeller");
    assert_eq!(finding.path, "tasks.task-plugins.enabled-plugins");
    assert!(finding
        .message
        .contains("sparkapplications.sparkoperator.k8s.io"));
    assert_eq!(
        at(&finding.source),
        source("flyte-propeller-config", "enabled_plugins.yaml", 8, 5)
    );
    assert!(report.has_errors());
    Ok(())
}

#[tokio::test]
async fn a_missing_flyteworkflow_crd_is_found_unless_propeller_creates_it() -> TestResult {
    let objects = without(
        fixture("flyte-core.yaml")?,
        "CustomResourceDefinition",
        "flyteworkflows.flyte.lyft.com",
    );
    let finding = only(&run(&objects).await?, CheckRule::CrdMissing)?.clone();
    assert!(finding.message.contains("flyteworkflows.flyte.lyft.com"));
    assert_eq!(finding.path, "propeller.create-flyteworkflow-crd");
    // flyte-binary's propeller creates the CRD itself (create-flyteworkflow-crd: true).
    let report = run(&fixture("flyte-binary.yaml")?).await?;
    assert_eq!(report.of(CheckRule::CrdMissing).count(), 0);
    Ok(())
}

#[tokio::test]
async fn a_connector_endpoint_without_its_service() -> TestResult {
    let objects = without(fixture("flyte-binary.yaml")?, "Service", "flyteconnector");
    let report = run(&objects).await?;
    let finding = only(&report, CheckRule::ConnectorServiceMissing)?;
    assert_eq!(
        finding.path,
        "plugins.connector-service.defaultConnector.endpoint"
    );
    assert!(finding.message.contains("Service flyte/flyteconnector"));
    assert_eq!(
        at(&finding.source),
        source("flyte-flyte-binary-config", "001-plugins.yaml", 30, 7)
    );
    Ok(())
}

#[tokio::test]
async fn a_connector_service_in_another_namespace_is_looked_up_there() -> TestResult {
    let mut objects = fixture("flyte-binary.yaml")?;
    edit_file(
        &mut objects,
        "flyte-flyte-binary-config",
        "001-plugins.yaml",
        |t| {
            t.replace(
                "k8s://flyteconnector.flyte:8000",
                "dns:///flyteconnector.connectors.svc.cluster.local:8000",
            )
        },
    )?;
    let report = run(&objects).await?;
    let finding = only(&report, CheckRule::ConnectorServiceMissing)?;
    assert!(finding.message.contains("connectors/flyteconnector"));
    let service = named(&mut objects, "Service", "flyteconnector")?;
    service["metadata"]["namespace"] = json!("connectors");
    assert_eq!(run(&objects).await?.findings, []);
    Ok(())
}

#[tokio::test]
async fn a_missing_database_password_secret_is_found_for_each_service_that_reads_it() -> TestResult
{
    let objects = without(fixture("flyte-core.yaml")?, "Secret", "flyte-db-pass");
    let report = run(&objects).await?;
    let found: Vec<_> = report.findings.iter().collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    for (finding, component, map) in [
        (found[0], "flyteadmin", "flyte-admin-base-config"),
        (found[1], "datacatalog", "datacatalog-config"),
    ] {
        assert_eq!(finding.rule, CheckRule::DatabaseSecretMissing);
        assert_eq!(finding.component, component);
        assert_eq!(finding.path, "database.passwordPath");
        assert!(finding.message.contains("Secret flyte/flyte-db-pass"));
        assert_eq!(at(&finding.source), source(map, "db.yaml", 4, 3));
    }
    Ok(())
}

#[tokio::test]
async fn a_password_secret_without_the_file_key() -> TestResult {
    let mut objects = fixture("flyte-core.yaml")?;
    named(&mut objects, "Secret", "flyte-db-pass")?["data"] = json!({"password": "aHVudGVyMg=="});
    let report = run(&objects).await?;
    assert_eq!(report.of(CheckRule::DatabaseSecretMissing).count(), 2);
    assert_eq!(report.findings.len(), 2, "{:#?}", report.findings);
    assert!(report.findings[0].message.contains("no key \"pass.txt\""));
    Ok(())
}

#[tokio::test]
async fn a_password_path_on_no_volume() -> TestResult {
    let mut objects = fixture("flyte-binary.yaml")?;
    edit_file(
        &mut objects,
        "flyte-flyte-binary-config",
        "002-database.yaml",
        |t| format!("{t}    passwordPath: /etc/db/password\n"),
    )?;
    let report = run(&objects).await?;
    let finding = only(&report, CheckRule::DatabaseSecretMissing)?;
    assert!(finding
        .message
        .contains("on no volume of Deployment flyte-flyte-binary"));
    assert_eq!(
        at(&finding.source),
        source("flyte-flyte-binary-config", "002-database.yaml", 8, 5)
    );
    Ok(())
}

#[tokio::test]
async fn iam_storage_without_irsa_on_the_service_account() -> TestResult {
    let mut objects = fixture("flyte-binary.yaml")?;
    named(&mut objects, "ServiceAccount", "flyte-flyte-binary")?["metadata"]["annotations"] =
        json!({});
    let report = run(&objects).await?;
    let finding = only(&report, CheckRule::StorageIdentityMissing)?;
    assert_eq!(finding.severity, Severity::Warning);
    assert!(finding.message.contains("eks.amazonaws.com/role-arn"));
    assert_eq!(
        at(&finding.source),
        source("flyte-flyte-binary-config", "003-storage.yaml", 11, 7)
    );
    Ok(())
}

#[tokio::test]
async fn gcs_without_workload_identity_on_one_service_account() -> TestResult {
    let mut objects = fixture("flyte-core.yaml")?;
    named(&mut objects, "ServiceAccount", "flytepropeller")?["metadata"]["annotations"] = json!({});
    let report = run(&objects).await?;
    let finding = only(&report, CheckRule::StorageIdentityMissing)?;
    assert_eq!(finding.component, "flytepropeller");
    assert!(finding.message.contains("iam.gke.io/gcp-service-account"));
    assert_eq!(
        at(&finding.source),
        source("flyte-propeller-config", "storage.yaml", 4, 5)
    );
    Ok(())
}

#[tokio::test]
async fn the_lint_runs_on_the_merged_files_and_points_at_each_file() -> TestResult {
    let mut objects = fixture("flyte-binary.yaml")?;
    let config = named(&mut objects, "ConfigMap", "flyte-flyte-binary-config")?;
    // configuration.inline as the chart renders it: its list replaces 001-plugins.yaml's,
    // while the map of defaults from 001-plugins.yaml stays.
    config["data"]["100-inline-config.yaml"] =
        json!("tasks:\n  task-plugins:\n    enabled-plugins:\n    - sidecar\n    - k8s-array\n");
    let report = run(&objects).await?;
    let found: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.rule, at(&f.source)))
        .collect();
    assert_eq!(
        found,
        [
            (
                CheckRule::Lint(Rule::PluginDefaultNotEnabled),
                source("flyte-flyte-binary-config", "001-plugins.yaml", 4, 18)
            ),
            (
                CheckRule::Lint(Rule::PluginContainerNotEnabled),
                source("flyte-flyte-binary-config", "100-inline-config.yaml", 3, 5)
            ),
        ]
    );
    assert_eq!(
        report.findings[1].path,
        "tasks.task-plugins.enabled-plugins"
    );
    Ok(())
}

#[tokio::test]
async fn a_config_file_that_is_not_yaml_is_found_with_its_position() -> TestResult {
    let mut objects = fixture("flyte-core.yaml")?;
    named(&mut objects, "ConfigMap", "flyte-propeller-config")?["data"]["zz-extra.yaml"] =
        json!("plugins:\n  - [unclosed\n");
    let report = run(&objects).await?;
    let finding = only(&report, CheckRule::ConfigUnreadable)?;
    assert_eq!(finding.component, "flytepropeller");
    let source = finding.source.as_ref().ok_or("no source")?;
    assert_eq!(
        (source.config_map.as_str(), source.key.as_str()),
        ("flyte-propeller-config", "zz-extra.yaml")
    );
    assert!(source.line >= 2, "{source}");
    Ok(())
}

#[tokio::test]
async fn services_on_different_flyte_versions() -> TestResult {
    let mut objects = fixture("flyte-core.yaml")?;
    named(&mut objects, "Deployment", "flytepropeller")?["spec"]["template"]["spec"]
        ["containers"][0]["image"] = json!("cr.flyte.org/flyteorg/flytepropeller:v1.15.0");
    let report = run(&objects).await?;
    let finding = only(&report, CheckRule::VersionMismatch)?;
    assert!(finding
        .message
        .contains("flytepropeller cr.flyte.org/flyteorg/flytepropeller:v1.15.0"));
    assert_eq!(report.flyte_version, None);
    Ok(())
}

#[tokio::test]
async fn a_missing_deployment_and_config_secret_are_reported() -> TestResult {
    let objects = without(
        fixture("flyte-binary.yaml")?,
        "Secret",
        "flyte-flyte-binary-config-secret",
    );
    let finding = only(&run(&objects).await?, CheckRule::ConfigMissing)?.clone();
    assert!(finding
        .message
        .contains("Secret flyte/flyte-flyte-binary-config-secret"));
    let objects = without(fixture("flyte-core.yaml")?, "Deployment", "datacatalog");
    let report = run(&objects).await?;
    let finding = only(&report, CheckRule::DeploymentMissing)?;
    assert_eq!(finding.component, "datacatalog");
    assert_eq!(finding.severity, Severity::Warning);
    Ok(())
}

#[tokio::test]
async fn no_release_is_a_typed_error_naming_namespace_and_release() -> TestResult {
    let (_kube, k8s, _dir) = cluster(&fixture("flyte-core.yaml")?).await?;
    let err = check(&k8s, "flyte", Some("prod"))
        .await
        .err()
        .ok_or("found a release")?;
    assert!(
        matches!(&err, CheckError::ReleaseNotFound { namespace, release: Some(r) } if namespace == "flyte" && r == "prod"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("\"prod\"") && err.to_string().contains("\"flyte\""),
        "{err}"
    );
    let err = check(&k8s, "elsewhere", None)
        .await
        .err()
        .ok_or("found a release")?;
    assert!(
        matches!(&err, CheckError::ReleaseNotFound { namespace, release: None } if namespace == "elsewhere"),
        "{err:?}"
    );
    assert!(check(&k8s, "flyte", Some("flyte")).await.is_ok());
    Ok(())
}

#[tokio::test]
async fn two_releases_need_a_name() -> TestResult {
    let mut objects = fixture("flyte-core.yaml")?;
    let mut other = fixture("flyte-binary.yaml")?;
    for o in &mut other {
        if o["metadata"]["labels"]["app.kubernetes.io/instance"] == "flyte" {
            o["metadata"]["labels"]["app.kubernetes.io/instance"] = json!("sandbox");
        }
    }
    objects.extend(other);
    let (_kube, k8s, _dir) = cluster(&objects).await?;
    let err = check(&k8s, "flyte", None).await.err().ok_or("no error")?;
    assert!(
        matches!(&err, CheckError::AmbiguousRelease { releases, .. } if releases == &["flyte", "sandbox"]),
        "{err:?}"
    );
    let report = check(&k8s, "flyte", Some("sandbox")).await?;
    assert_eq!(report.chart, Chart::FlyteBinary);
    Ok(())
}

#[tokio::test]
async fn a_refused_read_names_the_namespace() -> TestResult {
    let (kube, k8s, _dir) = cluster(&fixture("flyte-core.yaml")?).await?;
    kube.deny("list", "configmaps");
    let err = check(&k8s, "flyte", None).await.err().ok_or("no error")?;
    assert!(
        matches!(&err, CheckError::Kubernetes { namespace, source } if namespace == "flyte" && source.is_forbidden()),
        "{err:?}"
    );
    Ok(())
}

#[tokio::test]
async fn the_report_serializes_to_json_without_secret_values() -> TestResult {
    let objects = without(fixture("flyte-core.yaml")?, "ServiceAccount", "datacatalog");
    let report = run(&objects).await?;
    let json = serde_json::to_value(&report)?;
    assert_eq!(json["chart"], "flyte-core");
    assert_eq!(
        json["findings"][0]["rule"],
        "check-storage-identity-missing"
    );
    assert_eq!(json["findings"][0]["severity"], "error");
    assert_eq!(json["findings"][0]["source"]["key"], "storage.yaml");
    let everything = format!("{json} {report:?}");
    for secret in ["hunter2", "aHVudGVyMg"] {
        assert!(!everything.contains(secret), "{secret} leaked");
    }
    Ok(())
}

#[tokio::test]
async fn an_external_config_map_is_read_from_the_deployments_config_volume() -> TestResult {
    let mut objects = fixture("flyte-binary.yaml")?;
    let config = named(&mut objects, "ConfigMap", "flyte-flyte-binary-config")?;
    config["metadata"] = json!({"name": "flyte-external", "namespace": "flyte"});
    let deployment = named(&mut objects, "Deployment", "flyte-flyte-binary")?;
    deployment["spec"]["template"]["spec"]["volumes"][1]["projected"]["sources"] =
        json!([{"configMap": {"name": "flyte-external"}}]);
    let report = run(&objects).await?;
    assert_eq!(report.findings, [], "{:#?}", report.findings);
    assert_eq!(
        report.components[0].config_files[0],
        "flyte-external/000-core.yaml"
    );
    // Without the ConfigMap the volume names, the pods cannot start.
    let report = run(&without(objects, "ConfigMap", "flyte-external")).await?;
    let finding = only(&report, CheckRule::ConfigMissing)?;
    assert!(finding.message.contains("ConfigMap flyte/flyte-external"));
    Ok(())
}
