//! `MergedConfig` and `Linter::lint_flyte_config`: Flyte's own config files merged as Flyte's
//! loader merges them, linted with findings in each file's own lines.

use flyte_deploy::{LintError, Linter, MergedConfig, Rule, Severity};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn findings_use_flyte_config_paths_and_the_file_they_are_in() -> TestResult {
    let mut config = MergedConfig::new();
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
    let mut config = MergedConfig::new();
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
    let mut config = MergedConfig::new();
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

#[test]
fn truncated_files_merge_and_lint_without_panicking() -> TestResult {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/cluster/flyte-binary.yaml"
    );
    let fixture = std::fs::read_to_string(path)?;
    let first = fixture.split("\n---\n").next().ok_or("empty fixture")?;
    let map = flyte_config::Value::from_yaml_str(first)?;
    let data = map.get("data").ok_or("no data")?;
    let files: Vec<&str> = ["000-core.yaml", "001-plugins.yaml", "003-storage.yaml"]
        .iter()
        .filter_map(|k| data.get(k)?.as_str())
        .collect();
    assert_eq!(files.len(), 3);
    for file in &files {
        for cut in (0..file.len()).filter(|c| file.is_char_boundary(*c)) {
            let mut config = MergedConfig::new();
            for other in &files {
                let _ = config.merge("other.yaml", other);
            }
            // Refused or merged, never a panic; what merged lints, and its findings are in
            // the files merged.
            let _ = config.merge("cut.yaml", &file[..cut]);
            let findings = Linter::new().lint_flyte_config(&config)?;
            assert!(findings.iter().all(|f| f.file < config.files().len()));
        }
    }
    Ok(())
}

#[test]
fn debug_shows_the_files_not_the_values() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = MergedConfig::new();
    config.merge(
        "000-core.yaml",
        "database:\n  postgres:\n    password: hunter2-in-a-configmap\n",
    )?;
    let shown = format!("{config:?} {config:#?}");
    assert!(shown.contains("000-core.yaml"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    Ok(())
}
