//! `validate()` and `config init`.

use std::net::TcpListener;

use flyte_config::{Config, Diagnostic, Error, InitOptions, ValidateOptions};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn errors(diagnostics: &[Diagnostic]) -> Vec<(String, String)> {
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.key.clone(), d.message.clone()))
        .collect()
}

#[test]
fn a_good_config_has_no_errors() -> TestResult {
    let c = Config::from_yaml_str(
        "admin:\n  endpoint: dns:///localhost:30080\n  insecure: true\n  authType: Pkce\nconsole:\n  endpoint: http://localhost:30080\n",
    )?;
    assert_eq!(errors(&c.validate_with(&ValidateOptions::offline())), []);
    Ok(())
}

#[test]
fn every_problem_is_reported_at_once_with_its_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("config.yaml");
    std::fs::write(
        &path,
        "admin:\n  endpoint: https://flyte.example.com\n  insecure: true\n  maxRetries: -1\n  authType: ClientSecret\n  clientSecretLocation: \"\"\n  authorizationHeader: Flyte-Authorization\nstorage:\n  connection:\n    auth-type: accesskey\n    endpoint: minio:9000\nroot:\n  output: XML\n",
    )?;
    let c = Config::from_path(&path)?;
    let problems = c.validate_with(&ValidateOptions::offline());
    let keys: Vec<String> = errors(&problems).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "admin.insecure",
            "admin.maxRetries",
            "admin.authorizationHeader",
            "admin.authType",
            "storage.connection.access-key",
            "storage.connection.secret-key",
            "storage.connection.endpoint",
            "root.output",
        ]
    );
    let retries = problems
        .iter()
        .find(|d| d.key == "admin.maxRetries")
        .ok_or("no maxRetries problem")?;
    assert_eq!(
        retries.to_string(),
        format!(
            "{}:4:15: admin.maxRetries: must be 0 or more, found -1 (flytectl panics on a negative value)",
            path.display()
        )
    );
    let insecure = problems
        .iter()
        .find(|d| d.key == "admin.insecure")
        .ok_or("none")?;
    assert!(
        insecure
            .message
            .contains("contradicts the https:// endpoint"),
        "{insecure}"
    );
    let no_keys = problems
        .iter()
        .find(|d| d.key == "storage.connection.secret-key")
        .ok_or("none")?;
    // Not written in the file: the problem names the file but no position.
    assert_eq!(
        no_keys.to_string(),
        format!(
            "{}: storage.connection.secret-key: auth-type accesskey needs secret-key",
            path.display()
        )
    );
    Ok(())
}

#[test]
fn client_secret_sources_are_checked_only_when_chosen() -> TestResult {
    // The default ClientSecret type with the default file: auth may never be needed.
    let quiet = Config::from_yaml_str("admin:\n  endpoint: localhost:1\n  insecure: true\n")?;
    assert_eq!(errors(&quiet.validate()), []);

    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("no-secret");
    let chosen = Config::from_yaml_str(&format!(
        "admin:\n  endpoint: localhost:1\n  insecure: true\n  authType: ClientSecret\n  clientSecretLocation: {}\n",
        missing.display()
    ))?;
    let found = errors(&chosen.validate());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "admin.clientSecretLocation");
    assert!(found[0].1.contains("does not exist"));

    let unset_var = Config::from_yaml_str(
        "admin:\n  endpoint: localhost:1\n  insecure: true\n  clientSecretEnvVar: FLYTE_RS_TEST_SURELY_UNSET_VAR\n",
    )?;
    let found = errors(&unset_var.validate());
    assert_eq!(found[0].0, "admin.clientSecretEnvVar");
    assert!(found[0]
        .1
        .contains("$FLYTE_RS_TEST_SURELY_UNSET_VAR, which is not set"));
    Ok(())
}

#[test]
fn external_command_needs_a_command() -> TestResult {
    let c = Config::from_yaml_str(
        "admin:\n  endpoint: localhost:1\n  insecure: true\n  authType: ExternalCommand\n",
    )?;
    assert_eq!(errors(&c.validate())[0].0, "admin.command");
    Ok(())
}

#[test]
fn pkce_with_a_busy_callback_port_is_reported() -> TestResult {
    let busy = TcpListener::bind("127.0.0.1:0")?;
    let port = busy.local_addr()?.port();
    let c = Config::from_yaml_str(
        "admin:\n  endpoint: localhost:1\n  insecure: true\n  authType: Pkce\n",
    )?;
    let options =
        ValidateOptions::offline().pkce_redirect_uri(format!("http://127.0.0.1:{port}/callback"));
    let found = errors(&c.validate_with(&options));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].1.contains(&format!("127.0.0.1:{port}")),
        "{found:?}"
    );
    assert!(
        found[0].1.contains("DeviceFlow"),
        "suggests the headless alternative"
    );
    drop(busy);
    assert_eq!(errors(&c.validate_with(&options)), []);
    Ok(())
}

#[test]
fn missing_ca_bundle_and_bad_urls_are_errors() -> TestResult {
    let c = Config::from_yaml_str(
        "admin:\n  endpoint: \"bad host:1\"\n  caCertFilePath: /nonexistent/ca.pem\n  tokenUrl: idp/token\n  defaultServiceConfig: '{oops'\nconsole:\n  endpoint: console.example.com\n",
    )?;
    let keys: Vec<String> = errors(&c.validate()).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "admin.endpoint",
            "admin.defaultServiceConfig",
            "admin.tokenUrl",
            "console.endpoint",
            "admin.caCertFilePath"
        ]
    );
    Ok(())
}

#[test]
fn init_writes_what_flytectl_writes() -> TestResult {
    let text = InitOptions::new().render()?;
    assert_eq!(
        text,
        "admin:\n  # For GRPC endpoints you might want to use dns:///flyte.myexample.com\n  endpoint: dns:///localhost:30080\n  insecure: true\n"
    );
    let text = InitOptions::new()
        .host("https://flyte.example.com:443")
        .console("https://console.example.com")
        .render()?;
    let c = Config::from_yaml_str(&text)?;
    assert_eq!(c.admin.endpoint, "dns:///flyte.example.com:443");
    assert!(!c.admin.insecure);
    assert_eq!(c.console.endpoint, "https://console.example.com");
    let e = c.endpoint()?.ok_or("no endpoint")?;
    assert!(e.tls);

    let c = Config::from_yaml_str(
        &InitOptions::new()
            .host("dns:///[::1]:8089")
            .insecure(true)
            .render()?,
    )?;
    let e = c.endpoint()?.ok_or("no endpoint")?;
    assert_eq!((e.host.as_str(), e.port, e.tls), ("::1", 8089, false));
    Ok(())
}

#[test]
fn init_rejects_bad_hosts_and_consoles() -> TestResult {
    for bad in ["bad host", "host:notaport", "flyte.example.com/path", ""] {
        let err = InitOptions::new().host(bad).render().expect_err(bad);
        assert!(matches!(err, Error::Endpoint { .. }), "{bad}: {err}");
        assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        // Why the host is not an endpoint travels as the source.
        let cause = std::error::Error::source(&err).ok_or("no source")?;
        assert!(cause.downcast_ref::<Error>().is_some(), "{cause:?}");
    }
    let err = InitOptions::new()
        .console("console.example.com")
        .render()
        .expect_err("console");
    assert!(err.to_string().contains("http:// or https://"), "{err}");
    Ok(())
}

#[test]
fn init_refuses_to_overwrite_without_force() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(".flyte/config.yaml");
    InitOptions::new().host("flyte.example.com").write(&path)?;
    assert_eq!(
        Config::from_path(&path)?.admin.endpoint,
        "dns:///flyte.example.com"
    );

    let err = InitOptions::new()
        .host("other.example.com")
        .write(&path)
        .expect_err("exists");
    assert!(matches!(err, Error::Exists { .. }), "{err}");
    assert_eq!(
        Config::from_path(&path)?.admin.endpoint,
        "dns:///flyte.example.com",
        "untouched"
    );

    InitOptions::new()
        .host("other.example.com")
        .force(true)
        .write(&path)?;
    assert_eq!(
        Config::from_path(&path)?.admin.endpoint,
        "dns:///other.example.com"
    );
    assert!(!dir.path().join(".flyte/config.yaml.tmp").exists());
    Ok(())
}
