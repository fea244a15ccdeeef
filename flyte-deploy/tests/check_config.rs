//! `FlyteConfig` and `Linter::lint_flyte_config`: Flyte's own config files merged as Flyte's
//! loader merges them, linted with findings in each file's own lines.

use flyte_deploy::{FlyteConfig, LintError, Linter, Rule, Severity};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn findings_use_flyte_config_paths_and_the_file_they_are_in() -> TestResult {
    let mut config = FlyteConfig::new();
    config.merge("core.yaml", "secrets:\n  secrets-prefix: flyte-secret-\n")?;
    config.merge(
        "plugins.yaml",
        "tasks:\n  task-pluginz:\n    enabled-plugins: [container]\n",
    )?;
    let findings = Linter::new().lint_flyte_config(&config)?;
    let found: Vec<_> = findings
        .iter()
        .map(|f| {
            (
                f.file,
                f.finding.rule,
                f.finding.line,
                f.finding.column,
                f.finding.path.as_str(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                0,
                Rule::SecretsPrefixNotAPath,
                2,
                19,
                "secrets.secrets-prefix"
            ),
            (1, Rule::UnknownKey, 2, 3, "tasks.task-pluginz"),
        ]
    );
    let typo = &findings[1].finding;
    assert_eq!(typo.severity, Severity::Warning);
    assert!(
        typo.message.contains("`tasks.task-plugins`"),
        "{}",
        typo.message
    );
    assert!(
        !typo.message.contains("configuration.inline"),
        "{}",
        typo.message
    );
    assert_eq!(config.files(), ["core.yaml", "plugins.yaml"]);
    Ok(())
}

#[test]
fn a_connector_plugin_needs_an_endpoint_in_the_config_itself() -> TestResult {
    let plugins = "tasks:\n  task-plugins:\n    enabled-plugins: [container, connector-service]\n";
    let mut config = FlyteConfig::new();
    config.merge("plugins.yaml", plugins)?;
    let findings = Linter::new().lint_flyte_config(&config)?;
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        findings[0].finding.rule,
        Rule::PluginConnectorWithoutEndpoint
    );
    assert_eq!(
        (findings[0].finding.line, findings[0].finding.column),
        (3, 5)
    );

    config.merge(
        "connector.yaml",
        "plugins:\n  connector-service:\n    defaultConnector:\n      endpoint: dns:///c.flyte.svc:8000\n",
    )?;
    assert_eq!(Linter::new().lint_flyte_config(&config)?, []);
    Ok(())
}

#[test]
fn an_empty_config_is_clean_and_bad_files_are_refused_with_a_position() -> TestResult {
    let mut config = FlyteConfig::new();
    assert_eq!(Linter::new().lint_flyte_config(&config)?, []);
    config.merge("empty.yaml", "")?;
    assert_eq!(config.to_yaml(), "");
    let err = config
        .merge("bad.yaml", "a: [1\n")
        .err()
        .ok_or("accepted bad YAML")?;
    assert!(matches!(err, LintError::Yaml(_)), "{err:?}");
    assert_eq!(config.files(), ["empty.yaml"]);
    Ok(())
}
