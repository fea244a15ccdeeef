//! Every lint rule on values files written for the tests, with the exact line and column, and
//! the charts' defaults and starter files in hand-written excerpts of their shape.

use flyte_deploy::{Chart, Finding, LintError, Linter, Report, Rule, Severity};

mod common;

use common::{lint, positions, TestResult};

fn only(report: &Report, rule: Rule) -> Result<&Finding, String> {
    let found: Vec<_> = report.of(rule).collect();
    match found.as_slice() {
        [one] => Ok(one),
        _ => Err(format!("expected one {rule}, got {:#?}", report.findings)),
    }
}

#[test]
fn unknown_keys_name_the_closest_known_key() -> TestResult {
    let report = lint(
        Chart::FlyteBinary,
        "configuration:\n  databse:\n    host: db\ndeployment:\n  image:\n    tagg: v1\n",
    )?;
    assert_eq!(positions(&report, Rule::UnknownKey), [(2, 3), (6, 5)]);
    let typo = &report.findings[0];
    assert_eq!(typo.severity, Severity::Warning);
    assert_eq!(typo.path, "configuration.databse");
    assert!(
        typo.message
            .contains("did you mean `configuration.database`?"),
        "{typo}"
    );
    assert!(report.findings[1]
        .message
        .contains("`deployment.image.tag`"));
    Ok(())
}

#[test]
fn free_form_sections_accept_any_key() -> TestResult {
    let report = lint(
        Chart::FlyteBinary,
        "configuration:\n  inline:\n    anything:\n      goes: here\ndeployment:\n  podAnnotations:\n    a.b/c: d\n",
    )?;
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    Ok(())
}

#[test]
fn flyte_config_database_layout_in_flyte_binary_is_misplaced() -> TestResult {
    let report = lint(
        Chart::FlyteBinary,
        "configuration:\n  database:\n    postgres:\n      host: db.internal\n      port: 5432\n",
    )?;
    let found = only(&report, Rule::MisplacedKey)?;
    assert_eq!((found.line, found.column), (3, 5));
    assert_eq!(found.severity, Severity::Error);
    assert!(
        found.message.contains("configuration.database.{host, port"),
        "{found}"
    );
    // The block's own keys are not reported again as unknown.
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    Ok(())
}

#[test]
fn flyte_config_storage_layout_in_flyte_binary_is_misplaced() -> TestResult {
    let report = lint(
        Chart::FlyteBinary,
        "configuration:\n  storage:\n    type: s3\n    container: my-bucket\n",
    )?;
    assert_eq!(positions(&report, Rule::MisplacedKey), [(3, 5), (4, 5)]);
    assert!(report.findings[0].message.contains("storage.provider"));
    assert!(report.findings[1].message.contains("metadataContainer"));
    Ok(())
}

#[test]
fn clusters_under_flyteadmin_point_at_configmap_clusters() -> TestResult {
    let report = lint(
        Chart::FlyteCore,
        "flyteadmin:\n  replicaCount: 1\n  clusters:\n    - name: west\n",
    )?;
    let found = only(&report, Rule::MisplacedKey)?;
    assert_eq!((found.line, found.column), (3, 3));
    assert!(
        found.message.contains("configmap.clusters.clusterConfigs"),
        "{found}"
    );
    assert!(found.message.contains("labelClusterMap"), "{found}");
    Ok(())
}

#[test]
fn secrets_prefix_must_be_a_path() -> TestResult {
    let binary = lint(
        Chart::FlyteBinary,
        "configuration:\n  inline:\n    secrets:\n      secrets-prefix: \"flyte-secret-\"\n",
    )?;
    let found = only(&binary, Rule::SecretsPrefixNotAPath)?;
    assert_eq!((found.line, found.column), (4, 23));
    assert!(found.message.contains("/etc/secrets"), "{found}");

    let core = lint(
        Chart::FlyteCore,
        "configmap:\n  core:\n    secrets:\n      secrets-prefix: FLYTE_\n  k8s:\n    secrets:\n      secrets-prefix: /etc/flyte-secrets\n",
    )?;
    assert_eq!(positions(&core, Rule::SecretsPrefixNotAPath), [(4, 23)]);
    assert_eq!(
        core.findings[0].path,
        "configmap.core.secrets.secrets-prefix"
    );
    Ok(())
}

#[test]
fn placeholders_are_errors_wherever_they_are() -> TestResult {
    let report = lint(
        Chart::FlyteBinary,
        "configuration:\n  storage:\n    metadataContainer: <BUCKET_NAME>\ningress:\n  commonAnnotations:\n    cert: 'arn:aws:acm:<AWS-REGION>:1:certificate/x'\n    ok: '{{ .Values.x }} <not-one>'\n",
    )?;
    assert_eq!(positions(&report, Rule::Placeholder), [(3, 24), (6, 11)]);
    assert!(report.findings[0].message.starts_with("<BUCKET_NAME>"));
    assert!(report.findings[1].message.starts_with("<AWS-REGION>"));
    assert!(report.has_errors());
    Ok(())
}

#[test]
fn database_rules_point_at_the_offending_key() -> TestResult {
    let text = "configuration:\n  database:\n    password: hunter2\n    passwordPath: /etc/db/pass\n    host: \"\"\n    port: 70000\n";
    let report = lint(Chart::FlyteBinary, text)?;
    assert_eq!(positions(&report, Rule::DatabasePasswordAndPath), [(4, 5)]);
    assert_eq!(positions(&report, Rule::DatabaseEmptyHost), [(5, 11)]);
    assert_eq!(positions(&report, Rule::DatabasePortRange), [(6, 11)]);
    for finding in &report.findings {
        assert!(!finding.to_string().contains("hunter2"), "{finding}");
    }

    let core = lint(
        Chart::FlyteCore,
        "db:\n  admin:\n    database:\n      port: 0\n  datacatalog:\n    database:\n      port: \"5432\"\n",
    )?;
    assert_eq!(positions(&core, Rule::DatabasePortRange), [(4, 13)]);
    Ok(())
}

#[test]
fn a_provider_needs_its_own_settings() -> TestResult {
    let binary = lint(
        Chart::FlyteBinary,
        "configuration:\n  storage:\n    provider: gcs\n    providerConfig:\n      s3:\n        region: us-east-1\n",
    )?;
    let found = only(&binary, Rule::StorageProviderConfigMissing)?;
    assert_eq!((found.line, found.column), (3, 15));
    assert!(
        found.message.contains("providerConfig.gcs.project"),
        "{found}"
    );

    let core = lint(Chart::FlyteCore, "storage:\n  type: gcs\n")?;
    assert_eq!(
        positions(&core, Rule::StorageProviderConfigMissing),
        [(2, 9)]
    );
    let core = lint(
        Chart::FlyteCore,
        "storage:\n  type: gcs\n  bucketName: b-1\n  gcs:\n    projectId: p\n",
    )?;
    assert!(core.findings.is_empty(), "{:#?}", core.findings);
    Ok(())
}

#[test]
fn accesskey_auth_needs_both_keys() -> TestResult {
    let report = lint(
        Chart::FlyteBinary,
        "configuration:\n  storage:\n    providerConfig:\n      s3:\n        authType: accesskey\n        accessKey: AKIAEXAMPLE\n",
    )?;
    assert_eq!(
        positions(&report, Rule::StorageAccessKeyWithoutKeys),
        [(5, 19)]
    );
    let core = lint(
        Chart::FlyteCore,
        "storage:\n  type: s3\n  s3:\n    authType: accesskey\n    accessKey: a\n    secretKey: b\n",
    )?;
    assert!(core.findings.is_empty(), "{:#?}", core.findings);
    Ok(())
}

#[test]
fn endpoint_scheme_must_agree_with_disable_ssl() -> TestResult {
    let plain = lint(
        Chart::FlyteBinary,
        "configuration:\n  storage:\n    providerConfig:\n      s3:\n        endpoint: http://minio.flyte:9000\n",
    )?;
    let found = only(&plain, Rule::StorageEndpointScheme)?;
    assert_eq!(
        (found.line, found.column, found.severity),
        (5, 19, Severity::Warning)
    );
    let agreed = lint(
        Chart::FlyteBinary,
        "configuration:\n  storage:\n    providerConfig:\n      s3:\n        endpoint: http://minio.flyte:9000\n        disableSSL: true\n",
    )?;
    assert!(agreed.findings.is_empty(), "{:#?}", agreed.findings);
    Ok(())
}

#[test]
fn names_follow_the_provider_rules() -> TestResult {
    let s3 = lint(
        Chart::FlyteBinary,
        "configuration:\n  storage:\n    metadataContainer: My_Bucket\n    userDataContainer: ok-bucket\n",
    )?;
    assert_eq!(positions(&s3, Rule::StorageBucketName), [(3, 24)]);
    let azure = lint(
        Chart::FlyteBinary,
        "configuration:\n  storage:\n    provider: azure\n    metadataContainer: flyte--data\n    userDataContainer: flyte-data\n    providerConfig:\n      azure:\n        account: Flyte-Storage\n",
    )?;
    assert_eq!(
        positions(&azure, Rule::StorageBucketName),
        [(4, 24), (8, 18)]
    );
    Ok(())
}

#[test]
fn default_plugins_must_be_enabled_case_insensitively() -> TestResult {
    let report = lint(
        Chart::FlyteBinary,
        "configuration:\n  inline:\n    tasks:\n      task-plugins:\n        enabled-plugins:\n          - Container\n          - sidecar\n          - K8S-ARRAY\n        default-for-task-types:\n          - container: container\n          - container_array: k8s-array\n          - ray: ray\n",
    )?;
    let found = only(&report, Rule::PluginDefaultNotEnabled)?;
    assert_eq!((found.line, found.column), (12, 18));
    assert!(found.message.contains("\"ray\""), "{found}");
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    Ok(())
}

const CORE_PLUGINS: &str = "configmap:\n  enabled_plugins:\n    tasks:\n      task-plugins:\n        enabled-plugins:\n          - sidecar\n          - spark\n          - connector-service\n        default-for-task-types:\n          sidecar: sidecar\n          spark: Spark\n";

#[test]
fn core_plugins_need_container_their_operator_and_a_connector() -> TestResult {
    let report = lint(Chart::FlyteCore, CORE_PLUGINS)?;
    assert_eq!(
        positions(&report, Rule::PluginContainerNotEnabled),
        [(5, 9)]
    );
    assert_eq!(positions(&report, Rule::PluginOperatorOff), [(5, 9)]);
    let connector = only(&report, Rule::PluginConnectorWithoutEndpoint)?;
    assert_eq!((connector.line, connector.severity), (5, Severity::Warning));
    assert!(only(&report, Rule::PluginOperatorOff)?
        .message
        .contains("sparkoperator.enabled"));
    // The file's own defaults (sidecar, spark) are enabled; the chart's container and
    // container_array defaults stay in force and name plugins the file does not enable.
    let defaults: Vec<_> = report
        .of(Rule::PluginDefaultNotEnabled)
        .map(|f| (f.line, f.column, f.message.contains("\"container_array\"")))
        .collect();
    assert_eq!(defaults, [(5, 9, false), (5, 9, true)]);

    let fixed = format!(
        "{CORE_PLUGINS}sparkoperator:\n  enabled: true\nflyteconnector:\n  enabled: true\n"
    );
    let report = lint(Chart::FlyteCore, &fixed)?;
    assert_eq!(report.of(Rule::PluginOperatorOff).count(), 0);
    assert_eq!(report.of(Rule::PluginConnectorWithoutEndpoint).count(), 0);
    Ok(())
}

#[test]
fn binary_connector_endpoint_comes_from_the_chart_or_inline() -> TestResult {
    let emptied = "configuration:\n  connectorService:\n    defaultConnector:\n      endpoint: \"\"\nenabled_plugins:\n  tasks:\n    task-plugins:\n      enabled-plugins:\n        - container\n        - agent-service\n";
    let report = lint(Chart::FlyteBinary, emptied)?;
    assert_eq!(
        positions(&report, Rule::PluginConnectorWithoutEndpoint),
        [(8, 7)]
    );
    let inline = emptied.replace(
        "      endpoint: \"\"\n",
        "      endpoint: \"\"\n  inline:\n    plugins:\n      agent-service:\n        defaultAgent:\n          endpoint: dns:///agent:8000\n",
    );
    let report = lint(Chart::FlyteBinary, &inline)?;
    assert_eq!(report.of(Rule::PluginConnectorWithoutEndpoint).count(), 0);
    Ok(())
}

#[test]
fn an_empty_enabled_list_enables_everything() -> TestResult {
    let report = lint(
        Chart::FlyteCore,
        "configmap:\n  enabled_plugins:\n    tasks:\n      task-plugins:\n        enabled-plugins: []\n        default-for-task-types:\n          spark: spark\n",
    )?;
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    Ok(())
}

#[test]
fn the_charts_defaults_lint_without_errors() -> TestResult {
    let binary = Linter::new().lint(include_str!("values/flyte-binary-defaults.yaml"))?;
    assert_eq!(
        (binary.chart, binary.chart_guessed),
        (Chart::FlyteBinary, true)
    );
    assert!(binary.findings.is_empty(), "{:#?}", binary.findings);

    let core = Linter::new().lint(include_str!("values/flyte-core-defaults.yaml"))?;
    assert_eq!(core.chart, Chart::FlyteCore);
    assert!(!core.has_errors(), "{:#?}", core.findings);
    let rules: Vec<_> = core.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, [Rule::PluginConnectorWithoutEndpoint]);
    Ok(())
}

#[test]
fn starter_files_have_only_placeholder_errors() -> TestResult {
    let eks = Linter::new().lint(include_str!("values/eks-starter.yaml"))?;
    let gke = Linter::new().lint(include_str!("values/gke-starter.yaml"))?;
    for report in [&eks, &gke] {
        assert!(report.has_errors());
        for finding in &report.findings {
            assert_eq!(finding.rule, Rule::Placeholder, "{finding}");
        }
    }
    assert_eq!(
        positions(&eks, Rule::Placeholder),
        [
            (6, 15),
            (7, 11),
            (10, 24),
            (11, 24),
            (15, 17),
            (34, 48),
            (34, 48),
            (39, 33)
        ]
    );
    assert_eq!(positions(&gke, Rule::Placeholder), [(20, 20), (24, 37)]);
    Ok(())
}

#[test]
fn files_that_are_not_values_are_errors_with_a_position() {
    match Linter::new().lint("- a\n- b\n") {
        Err(LintError::NotAMapping { line, column }) => assert_eq!((line, column), (1, 1)),
        other => panic!("expected NotAMapping, got {other:?}"),
    }
    let err = Linter::new().lint("a: [1,\n").err();
    assert!(matches!(err, Some(LintError::Yaml(_))), "{err:?}");
    assert!(Linter::new().lint("").is_ok_and(|r| r.findings.is_empty()));
}

#[test]
fn truncated_and_reshaped_files_never_panic() {
    let files = [
        include_str!("values/flyte-binary-defaults.yaml"),
        include_str!("values/flyte-core-defaults.yaml"),
        include_str!("values/eks-starter.yaml"),
    ];
    for text in files {
        for end in (0..text.len()).filter(|i| text.is_char_boundary(*i)) {
            // Ok or Err are both fine; the point is that no cut makes the lint panic.
            let _ = Linter::new().lint(&text[..end]);
        }
    }
    // Values of the wrong shape where every rule looks.
    let odd = "configuration: [1]\nflyteadmin: 3\nconfigmap:\n  clusters:\n    clusterConfigs: {a: b}\n    labelClusterMap: [x]\n  enabled_plugins:\n    tasks:\n      task-plugins:\n        enabled-plugins: {a: b}\n        default-for-task-types: [[1], 2]\ndb:\n  admin:\n    database:\n      port: [1]\nstorage:\n  type: [gcs]\n";
    for chart in [Chart::FlyteBinary, Chart::FlyteCore] {
        assert!(lint(chart, odd).is_ok());
    }
}

#[test]
fn unknown_keys_inside_known_flyte_config_sections() -> TestResult {
    let binary = lint(
        Chart::FlyteBinary,
        "configuration:\n  inline:\n    tasks:\n      task-plugins:\n        enabled-plugin:\n          - container\n    secrets:\n      secret-prefix: /etc/secrets\n    Tasks:\n      Task-Plugins:\n        Enabled-Plugins: []\n    plugins:\n      anything: goes\n",
    )?;
    assert_eq!(positions(&binary, Rule::UnknownKey), [(5, 9), (8, 7)]);
    assert!(binary.findings[0]
        .message
        .contains("did you mean `tasks.task-plugins.enabled-plugins`?"));
    assert_eq!(
        binary.findings[1].path,
        "configuration.inline.secrets.secret-prefix"
    );
    assert!(binary.findings[1]
        .message
        .contains("`secrets.secrets-prefix`"));

    let core = lint(
        Chart::FlyteCore,
        "configmap:\n  clusters:\n    clusterConfig: []\n    labelClusterMap: {}\n",
    )?;
    assert_eq!(positions(&core, Rule::UnknownKey), [(3, 5)]);
    assert!(core.findings[0]
        .message
        .contains("`clusters.clusterConfigs`"));
    Ok(())
}

#[test]
fn the_charts_own_task_type_defaults_stay_in_force() -> TestResult {
    // No k8s-array, and container_array not remapped: the chart's default still points at it.
    let text = "enabled_plugins:\n  tasks:\n    task-plugins:\n      enabled-plugins:\n        - container\n        - sidecar\n";
    let report = lint(Chart::FlyteBinary, text)?;
    let found = only(&report, Rule::PluginDefaultNotEnabled)?;
    assert_eq!((found.line, found.column), (4, 7));
    assert!(
        found
            .message
            .contains("\"container_array\" to \"k8s-array\""),
        "{found}"
    );

    let remapped =
        format!("{text}      default-for-task-types:\n        container_array: container\n");
    let report = lint(Chart::FlyteBinary, &remapped)?;
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    Ok(())
}
