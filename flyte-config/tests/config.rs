//! The client config: every key, the search order, the environment, errors with positions.
//!
//! Over 800 lines on purpose: it walks flytectl's whole key table, a short test a section;
//! the file families have their own test file (`files.rs`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use flyte_config::{
    AuthType, Config, ConfigLoader, ConfigSource, Error, FoundBy, Severity, StorageAuthType,
    StorageType, StowSettings, ValidateOptions,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A loader that sees nothing of this machine: no env, empty home, working dir and system path.
fn isolated(dir: &Path) -> ConfigLoader {
    ConfigLoader::new()
        .env_vars(Vec::<(String, String)>::new())
        .home_dir(dir.join("home"))
        .working_dir(dir.join("cwd"))
        .system_path(dir.join("etc/flyte/config/config.yaml"))
}

#[test]
fn every_key_of_the_full_fixture_is_read() -> TestResult {
    let c = Config::from_path(fixture("full.yaml"))?;
    assert!(
        c.warnings()
            .iter()
            .all(|w| w.key.starts_with("admin.useAuth")
                || w.key.starts_with("admin.authorizationServerUrl")
                || w.key.starts_with("files.k8ServiceAccount")),
        "unexpected warnings: {:?}",
        c.warnings()
    );
    let a = &c.admin;
    assert_eq!(a.endpoint, "dns:///flyte.example.com:8443");
    assert!(!a.insecure);
    assert!(a.insecure_skip_verify);
    assert_eq!(a.ca_cert_file_path, "/etc/ssl/flyte-ca.pem");
    assert_eq!(a.max_backoff_delay, Duration::from_secs(10));
    assert_eq!(a.per_retry_timeout, Duration::from_secs(30));
    assert_eq!(a.max_retries, 6);
    assert_eq!(a.max_message_size_bytes, 41_943_040);
    assert_eq!(a.auth_type, AuthType::ClientSecret);
    assert_eq!(a.token_refresh_window, Duration::from_secs(60));
    assert!(a.use_auth);
    assert_eq!(a.client_id, "my-robot");
    assert_eq!(
        a.client_secret_location,
        "/var/run/secrets/flyte/client_secret"
    );
    assert_eq!(a.client_secret_env_var, "MY_FLYTE_SECRET");
    assert_eq!(a.client_secret.expose(), "inline-secret-value");
    assert_eq!(a.scopes, ["all", "offline"]);
    assert!(a.use_audience_from_admin);
    assert_eq!(a.audience, "https://flyte.example.com");
    assert_eq!(a.authorization_server_url, "https://old.example.com");
    assert_eq!(a.token_url, "https://idp.example.com/oauth2/token");
    assert_eq!(a.authorization_header, "flyte-authorization");
    assert_eq!(a.pkce_config.timeout, Duration::from_secs(180));
    assert_eq!(a.pkce_config.refresh_time, Duration::from_secs(360));
    assert_eq!(a.device_flow_config.refresh_time, Duration::from_secs(420));
    assert_eq!(a.device_flow_config.timeout, Duration::from_secs(660));
    assert_eq!(a.device_flow_config.poll_interval, Duration::from_secs(6));
    assert_eq!(a.command, ["gcloud", "auth", "print-identity-token"]);
    assert_eq!(a.proxy_command, ["iap-token", "--audience", "flyte"]);
    assert!(a.default_service_config.contains("round_robin"));
    assert_eq!(a.http_proxy_url, "http://proxy.example.com:3128");

    let s = &c.storage;
    assert_eq!(s.kind, StorageType::Minio);
    assert_eq!(s.container, "my-bucket");
    assert!(s.enable_multicontainer);
    assert_eq!(s.connection.endpoint, "http://localhost:30002");
    assert_eq!(s.connection.auth_type, StorageAuthType::AccessKey);
    assert_eq!(s.connection.access_key, "minio");
    assert_eq!(s.connection.secret_key.expose(), "miniostorage");
    assert_eq!(s.connection.region, "eu-west-1");
    assert!(s.connection.disable_ssl);
    assert_eq!(s.stow.kind, "s3");
    assert_eq!(s.stow.config.get("secret_key"), Some("stow-secret-value"));
    assert_eq!(s.cache.max_size_mbs, 64);
    assert_eq!(s.cache.target_gc_percent, 70);
    assert_eq!(s.limits.max_download_mbs, 10);
    assert_eq!(s.default_http_client.timeout, Duration::from_secs(45));
    assert_eq!(s.default_http_client.headers["X-Team"], ["ml"]);
    assert_eq!(
        s.signed_url.stow_config_override.get("endpoint"),
        Some("http://minio.public.example.com")
    );

    assert_eq!(c.console.endpoint, "https://console.example.com");
    assert_eq!(c.logger.level, 5);
    assert!(c.logger.show_source);
    assert!(c.logger.mute);
    assert_eq!(c.logger.formatter_type, "text");
    let f = &c.files;
    assert_eq!(f.version, "v42");
    assert!(f.force && f.continue_on_error && f.archive && f.dry_run && f.enable_schedule);
    assert_eq!(f.assumable_iam_role, "arn:aws:iam::123456789012:role/flyte");
    assert_eq!(f.k8s_service_account, "flyte-runner");
    assert_eq!(f.k8_service_account, "flyte-runner");
    assert_eq!(f.output_location_prefix, "s3://my-bucket/raw");
    assert_eq!(f.source_upload_path, "s3://my-bucket/fast");
    assert_eq!(f.destination_directory, "/root");
    assert_eq!(c.root.project, "flytesnacks");
    assert_eq!(c.root.domain, "development");
    assert_eq!(c.root.output, "JSON");
    assert!(c.root.interactive);
    assert_eq!(c.task.project, "fallback-project");
    assert_eq!(c.task.domain, "staging");
    assert_eq!(c.task.org, "my-org");
    assert_eq!(c.otel.get("type").and_then(|v| v.as_str()), Some("noop"));
    Ok(())
}

#[test]
fn the_full_fixture_covers_every_key() -> TestResult {
    let c = Config::from_path(fixture("full.yaml"))?;
    let missing: Vec<String> = Config::keys()
        .into_iter()
        .map(|k| k.path)
        .filter(|p| c.location(p).is_none())
        .collect();
    assert!(missing.is_empty(), "keys not in full.yaml: {missing:?}");
    Ok(())
}

#[test]
fn defaults_are_flytectls() {
    let c = Config::default();
    assert_eq!(c.admin.endpoint, "");
    assert_eq!(c.admin.max_backoff_delay, Duration::from_secs(8));
    assert_eq!(c.admin.per_retry_timeout, Duration::from_secs(15));
    assert_eq!(c.admin.max_retries, 4);
    assert_eq!(c.admin.max_message_size_bytes, 0);
    assert_eq!(c.admin.auth_type, AuthType::ClientSecret);
    assert_eq!(c.admin.client_id, "flytepropeller");
    assert_eq!(c.admin.client_secret_location, "/etc/secrets/client_secret");
    assert_eq!(c.admin.pkce_config.timeout, Duration::from_secs(120));
    assert_eq!(c.admin.pkce_config.refresh_time, Duration::from_secs(300));
    assert_eq!(
        c.admin.device_flow_config.refresh_time,
        Duration::from_secs(300)
    );
    assert_eq!(c.admin.device_flow_config.timeout, Duration::from_secs(600));
    assert_eq!(
        c.admin.device_flow_config.poll_interval,
        Duration::from_secs(5)
    );
    assert_eq!(c.storage.kind, StorageType::S3);
    assert_eq!(c.storage.connection.auth_type, StorageAuthType::Iam);
    assert_eq!(c.storage.connection.region, "us-east-1");
    assert_eq!(c.storage.limits.max_download_mbs, 2);
    assert_eq!(c.logger.level, 3);
    assert_eq!(c.logger.formatter_type, "json");
    assert_eq!(c.root.output, "TABLE");
    assert_eq!(c.files.version, "");
}

#[test]
fn full_config_round_trips_through_yaml() -> TestResult {
    let c = Config::from_path(fixture("full.yaml"))?;
    let text = c.to_yaml_string();
    let back = Config::from_yaml_str(&text)?;
    assert_eq!(back, c, "written:\n{text}");
    // Only non-default keys are written.
    let sandbox = Config::from_path(fixture("sandbox.yaml"))?;
    let text = sandbox.to_yaml_string();
    assert!(!text.contains("maxRetries"), "{text}");
    assert!(text.contains("endpoint: dns:///localhost:30080"), "{text}");
    Ok(())
}

#[test]
fn the_sandbox_file_flytectl_writes_is_read() -> TestResult {
    let c = Config::from_path(fixture("sandbox.yaml"))?;
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    let e = c.endpoint()?.ok_or("no endpoint")?;
    assert_eq!(
        (e.host.as_str(), e.port, e.tls),
        ("localhost", 30080, false)
    );
    assert_eq!(c.admin.auth_type, AuthType::Pkce);
    assert_eq!(c.logger.level, 0);
    Ok(())
}

#[test]
fn keys_and_enum_values_match_case_insensitively() -> TestResult {
    let c = Config::from_path(fixture("mixed-case.yaml"))?;
    assert_eq!(c.admin.endpoint, "localhost:30081");
    assert!(c.admin.insecure);
    assert_eq!(c.admin.max_retries, 7);
    assert_eq!(c.admin.auth_type, AuthType::DeviceFlow);
    assert_eq!(c.admin.pkce_config.timeout, Duration::from_secs(90));
    assert_eq!(c.storage.kind, StorageType::S3);
    assert_eq!(c.storage.connection.auth_type, StorageAuthType::Iam);
    Ok(())
}

#[test]
fn unknown_keys_are_warnings_with_positions() -> TestResult {
    let c = Config::from_yaml_str("admin:\n  endpoint: x:1\n  endpont: y\nfancy: 1\n")?;
    let w: Vec<String> = c.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(
        w,
        [
            "3:3: warning: admin.endpont: unknown key (ignored)",
            "4:1: warning: fancy: unknown key (ignored)"
        ]
    );
    assert!(c.warnings().iter().all(|d| d.severity == Severity::Warning));
    Ok(())
}

#[test]
fn duplicate_keys_differing_in_case_warn_and_the_last_wins() -> TestResult {
    let c = Config::from_yaml_str("admin:\n  endpoint: a:1\n  Endpoint: b:2\n")?;
    assert_eq!(c.admin.endpoint, "b:2");
    assert!(
        c.warnings()[0].message.contains("more than once"),
        "{:?}",
        c.warnings()
    );
    Ok(())
}

#[test]
fn pyflyte_auth_names_are_accepted_with_a_warning() -> TestResult {
    let c = Config::from_yaml_str("admin:\n  authType: standard\n")?;
    assert_eq!(c.admin.auth_type, AuthType::Pkce);
    assert!(c.warnings()[0]
        .message
        .contains("flytectl only accepts \"Pkce\""));
    Ok(())
}

#[test]
fn go_durations_and_bare_numbers() -> TestResult {
    let c = Config::from_yaml_str(
        "admin:\n  perRetryTimeout: 1h30m\n  maxBackoffDelay: 250ms\n  pkceConfig:\n    timeout: 5m0s\n  tokenRefreshWindow: 1000000000\n",
    )?;
    assert_eq!(c.admin.per_retry_timeout, Duration::from_secs(5400));
    assert_eq!(c.admin.max_backoff_delay, Duration::from_millis(250));
    assert_eq!(c.admin.pkce_config.timeout, Duration::from_secs(300));
    // flytestdlib reads a bare number as nanoseconds; we do too, and say so.
    assert_eq!(c.admin.token_refresh_window, Duration::from_secs(1));
    assert!(c.warnings()[0].message.contains("nanoseconds"));
    Ok(())
}

#[test]
fn comma_separated_lists_are_split_as_flytestdlib_does() -> TestResult {
    let c = Config::from_yaml_str("admin:\n  scopes: all, offline\n")?;
    assert_eq!(c.admin.scopes, ["all", "offline"]);
    Ok(())
}

#[test]
fn type_errors_name_key_line_and_found_value_all_at_once() -> TestResult {
    let err = Config::from_path(fixture("problems.yaml")).expect_err("invalid file");
    let file = fixture("problems.yaml");
    let f = file.display();
    let errors: Vec<String> = err
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errors,
        [
            format!("{f}:3:15: admin.maxRetries: expected an integer, found \"four\""),
            format!("{f}:4:13: admin.insecure: expected true or false, found \"maybe\""),
            format!("{f}:5:20: admin.perRetryTimeout: invalid duration \"15 seconds\": unknown unit \" seconds\"; use ns, us, ms, s, m or h"),
            format!("{f}:6:13: admin.authType: expected one of ClientSecret, Pkce, ExternalCommand, DeviceFlow, found \"Kerberos\""),
            format!("{f}:7:11: admin.scopes: expected a list of strings, found a mapping"),
            format!("{f}:10:11: storage.limits: expected a mapping, found \"12\""),
            format!("{f}:12:18: storage.connection.disable-ssl: expected true or false, found a list"),
        ]
    );
    // The summary names the first problem and counts the rest.
    assert!(err
        .to_string()
        .contains("admin.maxRetries: expected an integer, found \"four\""));
    assert!(err.to_string().contains("and 6 more problems"), "{err}");
    let loc = err.location().ok_or("no location")?;
    assert_eq!((loc.line, loc.column), (3, 15));
    Ok(())
}

#[test]
fn lenient_loading_returns_every_problem_and_keeps_going() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (config, diagnostics) = isolated(dir.path())
        .path(fixture("problems.yaml"))
        .load_lenient()?;
    assert_eq!(config.admin.endpoint, "dns:///flyte.example.com");
    assert_eq!(
        config.admin.max_retries, 4,
        "an invalid value leaves the default"
    );
    assert_eq!(diagnostics.iter().filter(|d| d.is_error()).count(), 7);
    let warnings: Vec<&str> = diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .map(|d| d.key.as_str())
        .collect();
    assert_eq!(warnings, ["admin.endpont", "unknownSection"]);
    Ok(())
}

#[test]
fn yaml_syntax_errors_name_file_line_and_column() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, "admin:\n  endpoint: x\n   insecure: [true\n")?;
    let err = Config::from_path(&path).expect_err("bad yaml");
    let Error::Syntax { file, line, .. } = &err else {
        return Err(format!("expected a syntax error, got {err:?}").into());
    };
    assert_eq!(file.as_deref(), Some(path.as_path()));
    assert!(*line >= 3, "{err}");
    assert!(
        err.to_string().starts_with(&format!("{}:", path.display())),
        "{err}"
    );
    Ok(())
}

#[test]
fn errors_keep_their_cause_as_source() -> TestResult {
    use std::error::Error as _;

    let dir = tempfile::tempdir()?;
    let bad_yaml = dir.path().join("bad.yaml");
    std::fs::write(&bad_yaml, "admin:\n  endpoint: x\n   insecure: [true\n")?;
    let err = Config::from_path(&bad_yaml).expect_err("bad yaml");
    let cause = err.source().ok_or("a scanner error has a source")?;
    assert!(!cause.to_string().is_empty(), "{err}");

    let not_utf8 = dir.path().join("latin1.yaml");
    std::fs::write(&not_utf8, b"admin:\n  endpoint: caf\xe9\n")?;
    let err = Config::from_path(&not_utf8).expect_err("not UTF-8");
    assert!(matches!(err, Error::Syntax { line: 2, .. }), "{err}");
    let cause = err.source().ok_or("a UTF-8 error has a source")?;
    assert!(cause.is::<std::str::Utf8Error>(), "{cause:?}");

    let missing = dir.path().join("missing.yaml");
    let err = flyte_config::ExecSpec::from_path(&missing).expect_err("missing");
    let cause = err.source().ok_or("an I/O error has a source")?;
    let io = cause
        .downcast_ref::<std::io::Error>()
        .ok_or("the source is the io::Error")?;
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);

    // A refusal of this crate's own has no cause beneath it.
    let err = Config::from_yaml_str("a: 1\n---\nb: 2\n").expect_err("two documents");
    assert!(matches!(err, Error::Syntax { .. }), "{err}");
    assert!(err.source().is_none(), "{err}");
    Ok(())
}

#[test]
fn errors_cross_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Error>();
}

#[test]
fn yaml_bombs_are_refused_quickly() {
    let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        doc.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    doc.push_str("admin:\n  endpoint: *a9\n");
    let err = Config::from_yaml_str(&doc).expect_err("bomb");
    assert!(matches!(err, Error::Syntax { .. }), "{err}");
    assert!(err.to_string().contains("alias"), "{err}");

    let deep = format!("admin: {}", "[".repeat(50_000));
    let err = Config::from_yaml_str(&deep).expect_err("deep");
    assert!(matches!(err, Error::Syntax { .. }), "{err}");
}

#[test]
fn a_non_mapping_document_is_an_error() {
    let err = Config::from_yaml_str("- just\n- a list\n").expect_err("list");
    assert!(
        err.to_string()
            .contains("expected a mapping of keys at the top level"),
        "{err}"
    );
    let ok = Config::from_yaml_str("").map(|c| c.admin.max_retries);
    assert_eq!(ok.ok(), Some(4), "an empty file is all defaults");
}

#[test]
fn search_order_follows_flytectl() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    let home_file = root.join("home/.flyte/config.yaml");
    let cwd_file = root.join("cwd/config.yaml");
    let sys_file = root.join("etc/flyte/config/config.yaml");
    let env_file = root.join("from-env.yaml");
    let explicit = root.join("explicit.yaml");
    for (path, host) in [
        (&home_file, "home"),
        (&cwd_file, "cwd"),
        (&sys_file, "system"),
        (&env_file, "env"),
        (&explicit, "explicit"),
    ] {
        std::fs::create_dir_all(path.parent().ok_or("no parent")?)?;
        std::fs::write(path, format!("admin:\n  endpoint: {host}:1\n"))?;
    }
    let loader = || isolated(root).env_vars([("FLYTECTL_CONFIG", env_file.to_string_lossy())]);

    let c = loader().path(&explicit).load()?;
    assert_eq!(c.admin.endpoint, "explicit:1");
    assert_eq!(
        c.source(),
        &ConfigSource::File {
            path: explicit.clone(),
            found_by: FoundBy::Explicit
        }
    );

    let c = loader().load()?;
    assert_eq!(c.admin.endpoint, "env:1");
    assert_eq!(c.source().path(), Some(env_file.as_path()));

    let c = isolated(root).load()?;
    assert_eq!(c.admin.endpoint, "home:1");
    assert!(matches!(
        c.source(),
        ConfigSource::File {
            found_by: FoundBy::HomeDir,
            ..
        }
    ));

    std::fs::remove_file(&home_file)?;
    let c = isolated(root).load()?;
    assert_eq!(c.admin.endpoint, "cwd:1");
    assert!(matches!(
        c.source(),
        ConfigSource::File {
            found_by: FoundBy::WorkingDir,
            ..
        }
    ));

    std::fs::remove_file(&cwd_file)?;
    let c = isolated(root).load()?;
    assert_eq!(c.admin.endpoint, "system:1");

    std::fs::remove_file(&sys_file)?;
    let c = isolated(root).load()?;
    assert_eq!(c.source(), &ConfigSource::Defaults);
    assert_eq!(c.admin.endpoint, "");
    Ok(())
}

#[test]
fn a_named_file_that_is_missing_is_an_error_not_a_fallback() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    std::fs::create_dir_all(root.join("cwd"))?;
    std::fs::write(
        root.join("cwd/config.yaml"),
        "admin:\n  endpoint: wrong:1\n",
    )?;
    let err = isolated(root)
        .path(root.join("nope.yaml"))
        .load()
        .expect_err("missing");
    assert!(
        matches!(
            err,
            Error::NotFound {
                origin: "the caller",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("nope.yaml"), "{err}");
    let err = isolated(root)
        .env_vars([("FLYTECTL_CONFIG", root.join("gone.yaml").to_string_lossy())])
        .load()
        .expect_err("missing");
    assert!(err.to_string().contains("$FLYTECTL_CONFIG"), "{err}");
    Ok(())
}

#[test]
fn tilde_in_a_named_path_is_the_home_directory() -> TestResult {
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".flyte"))?;
    std::fs::write(
        home.join(".flyte/config-sandbox.yaml"),
        "admin:\n  endpoint: sb:1\n",
    )?;
    let c = isolated(dir.path())
        .path("~/.flyte/config-sandbox.yaml")
        .load()?;
    assert_eq!(c.admin.endpoint, "sb:1");
    Ok(())
}

#[test]
fn precedence_is_override_then_env_then_file_then_default() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("c.yaml");
    std::fs::write(&file, "admin:\n  endpoint: file:1\n  maxRetries: 2\n")?;
    let base = || isolated(dir.path()).path(&file);

    assert_eq!(base().load()?.admin.endpoint, "file:1");
    let pyflyte = base()
        .env_vars([("FLYTE_PLATFORM_URL", "pyflyte:1")])
        .load()?;
    assert_eq!(pyflyte.admin.endpoint, "pyflyte:1");
    let both = base()
        .env_vars([
            ("FLYTE_PLATFORM_URL", "pyflyte:1"),
            ("FLYTE_ADMIN_ENDPOINT", "ours:1"),
        ])
        .load()?;
    assert_eq!(
        both.admin.endpoint, "ours:1",
        "our variable wins over pyflyte's"
    );
    let overridden = base()
        .env_vars([("FLYTE_ADMIN_ENDPOINT", "ours:1")])
        .set("admin.endpoint", "flag:1")
        .load()?;
    assert_eq!(overridden.admin.endpoint, "flag:1");
    assert_eq!(
        overridden.admin.max_retries, 2,
        "untouched keys keep the file's value"
    );
    assert_eq!(
        base().load()?.admin.max_backoff_delay,
        Duration::from_secs(8)
    );
    // An empty variable is ignored rather than blanking the file's value.
    let empty = base().env_vars([("FLYTE_ADMIN_ENDPOINT", "")]).load()?;
    assert_eq!(empty.admin.endpoint, "file:1");
    Ok(())
}

#[test]
fn every_kind_of_key_can_come_from_the_environment() -> TestResult {
    let dir = tempfile::tempdir()?;
    let c = isolated(dir.path())
        .env_vars([
            ("FLYTE_ADMIN_INSECURE", "true"),
            ("FLYTE_ADMIN_MAX_RETRIES", "9"),
            ("FLYTE_ADMIN_PER_RETRY_TIMEOUT", "1m30s"),
            ("FLYTE_ADMIN_AUTH_TYPE", "ExternalCommand"),
            ("FLYTE_ADMIN_COMMAND", "print-token,--quiet"),
            ("FLYTE_ADMIN_PKCE_CONFIG_TIMEOUT", "4m"),
            ("FLYTE_ADMIN_HTTP_PROXY_URL", "http://proxy:1"),
            ("FLYTE_STORAGE_TYPE", "stow"),
            ("FLYTE_STORAGE_CONNECTION_ACCESS_KEY", "ak"),
            ("FLYTE_STORAGE_LIMITS_MAX_DOWNLOAD_MBS", "7"),
            ("FLYTE_STORAGE_STOW_CONFIG", "region=us-west-2,bucket=b"),
            ("FLYTE_CONSOLE_ENDPOINT", "https://console"),
            ("FLYTE_ROOT_PROJECT", "p"),
            ("FLYTE_LOGGER_FORMATTER_TYPE", "text"),
            ("FLYTE_CREDENTIALS_CLIENT_ID", "robot"),
            ("FLYTE_CREDENTIALS_CLIENT_SECRET", "s3cr3t"),
            ("FLYTE_CREDENTIALS_SCOPES", "a,b"),
            ("FLYTE_AWS_SECRET_ACCESS_KEY", "sk"),
        ])
        .load()?;
    assert!(c.admin.insecure);
    assert_eq!(c.admin.max_retries, 9);
    assert_eq!(c.admin.per_retry_timeout, Duration::from_secs(90));
    assert_eq!(c.admin.auth_type, AuthType::ExternalCommand);
    assert_eq!(c.admin.command, ["print-token", "--quiet"]);
    assert_eq!(c.admin.pkce_config.timeout, Duration::from_secs(240));
    assert_eq!(c.admin.http_proxy_url, "http://proxy:1");
    assert_eq!(c.storage.kind, StorageType::Stow);
    assert_eq!(c.storage.connection.access_key, "ak");
    assert_eq!(c.storage.limits.max_download_mbs, 7);
    assert_eq!(c.storage.stow.config.get("region"), Some("us-west-2"));
    assert_eq!(c.console.endpoint, "https://console");
    assert_eq!(c.project(), Some("p"));
    assert_eq!(c.logger.formatter_type, "text");
    assert_eq!(c.admin.client_id, "robot");
    assert_eq!(c.admin.client_secret.expose(), "s3cr3t");
    assert_eq!(c.admin.scopes, ["a", "b"]);
    assert_eq!(c.storage.connection.secret_key.expose(), "sk");
    assert!(c.is_set("admin.maxRetries") && !c.is_set("admin.clientSecretLocation"));
    Ok(())
}

#[test]
fn every_key_has_a_distinct_documented_variable() {
    let keys = Config::keys();
    let mut names: Vec<&str> = keys.iter().map(|k| k.env_var.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), keys.len(), "two keys share a variable");
    let find = |p: &str| keys.iter().find(|k| k.path == p).map(|k| k.env_var.clone());
    assert_eq!(
        find("admin.endpoint").as_deref(),
        Some("FLYTE_ADMIN_ENDPOINT")
    );
    assert_eq!(
        find("admin.caCertFilePath").as_deref(),
        Some("FLYTE_ADMIN_CA_CERT_FILE_PATH")
    );
    assert_eq!(
        find("admin.httpProxyURL").as_deref(),
        Some("FLYTE_ADMIN_HTTP_PROXY_URL")
    );
    assert_eq!(
        find("storage.connection.access-key").as_deref(),
        Some("FLYTE_STORAGE_CONNECTION_ACCESS_KEY")
    );
    assert_eq!(
        find("storage.limits.maxDownloadMBs").as_deref(),
        Some("FLYTE_STORAGE_LIMITS_MAX_DOWNLOAD_MBS")
    );
    assert_eq!(
        keys.iter()
            .find(|k| k.path == "admin.authType")
            .and_then(|k| k.pyflyte_env_var),
        Some("FLYTE_CREDENTIALS_AUTH_MODE")
    );
}

#[test]
fn bad_environment_values_name_the_variable() -> TestResult {
    let dir = tempfile::tempdir()?;
    let err = isolated(dir.path())
        .env_vars([
            ("FLYTE_ADMIN_MAX_RETRIES", "lots"),
            ("FLYTE_CREDENTIALS_AUTH_MODE", "magic"),
        ])
        .load()
        .expect_err("bad env");
    let all: Vec<String> = err.diagnostics().iter().map(ToString::to_string).collect();
    assert!(
        all.contains(
            &"admin.maxRetries: from $FLYTE_ADMIN_MAX_RETRIES: expected an integer, found \"lots\""
                .to_owned()
        ),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|d| d.starts_with("admin.authType: from $FLYTE_CREDENTIALS_AUTH_MODE")),
        "{all:?}"
    );
    Ok(())
}

#[test]
fn misspelt_flyte_variables_are_reported() -> TestResult {
    let dir = tempfile::tempdir()?;
    let c = isolated(dir.path())
        .env_vars([
            ("FLYTE_ADMIN_ENDPONT", "x:1"),
            ("FLYTE_INTERNAL_IMAGE", "ignored"),
        ])
        .load()?;
    let w: Vec<String> = c.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(
        w,
        ["warning: environment variable $FLYTE_ADMIN_ENDPONT matches no config key (ignored)"]
    );
    Ok(())
}

#[test]
fn overrides_naming_unknown_keys_or_bad_values_fail() -> TestResult {
    let dir = tempfile::tempdir()?;
    let err = isolated(dir.path())
        .set("admin.nope", "1")
        .load()
        .expect_err("unknown");
    assert!(matches!(err, Error::UnknownKey { .. }), "{err}");
    let err = isolated(dir.path())
        .set("ADMIN.MAXRETRIES", "x")
        .load()
        .expect_err("bad");
    assert!(
        err.to_string().contains("override: expected an integer"),
        "{err}"
    );
    let mut c = Config::default();
    c.set("storage.connection.auth-type", "accesskey")?;
    assert_eq!(c.storage.connection.auth_type, StorageAuthType::AccessKey);
    Ok(())
}

#[test]
fn secrets_never_show_in_debug_display_or_show_output() -> TestResult {
    let c = Config::from_path(fixture("full.yaml"))?;
    let debug = format!("{c:?} {c:#?}");
    let shown = c.to_value_redacted().to_yaml_string();
    for secret in ["inline-secret-value", "miniostorage", "stow-secret-value"] {
        assert!(!debug.contains(secret), "{secret} in Debug");
        assert!(!shown.contains(secret), "{secret} in show output:\n{shown}");
    }
    assert!(shown.contains("secret-key: \"[redacted]\""), "{shown}");
    assert!(
        shown.contains("access_key_id: AKIAEXAMPLE"),
        "ids stay visible:\n{shown}"
    );
    assert!(shown.contains("access-key: minio"), "{shown}");
    Ok(())
}

#[test]
fn stow_settings_built_in_code_are_redacted_like_read_ones() {
    let settings = StowSettings::new()
        .with("region", "us-west-2")
        .with("secret_key", "built-secret-value");
    assert_eq!(settings.get("secret_key"), Some("built-secret-value"));
    let collected: StowSettings = [
        ("secret_key", "built-secret-value"),
        ("region", "us-west-2"),
    ]
    .into_iter()
    .collect();
    assert_eq!(collected, settings);
    assert_eq!(
        settings.iter().collect::<Vec<_>>(),
        [
            ("region", "us-west-2"),
            ("secret_key", "built-secret-value")
        ]
    );

    let mut c = Config::default();
    c.storage.stow.config = settings;
    let debug = format!("{c:?}");
    let shown = c.to_value_redacted().to_yaml_string();
    assert!(!debug.contains("built-secret-value"), "{debug}");
    assert!(!shown.contains("built-secret-value"), "{shown}");
    assert!(shown.contains("region: us-west-2"), "{shown}");
}

#[test]
fn secrets_never_show_in_errors() -> TestResult {
    let dir = tempfile::tempdir()?;
    let err = isolated(dir.path())
        .env_vars([
            ("FLYTE_CREDENTIALS_CLIENT_SECRET", "topsecret-value"),
            ("FLYTE_ADMIN_MAX_RETRIES", "topsecret-value"),
        ])
        .load()
        .expect_err("bad retries");
    // The bad value of a non-secret key is quoted; that is the user's own mistake to see.
    // The secret variable itself never appears in a message about another key.
    assert!(err
        .diagnostics()
        .iter()
        .all(|d| d.key != "admin.clientSecret"));
    let c = Config::from_yaml_str("storage:\n  connection:\n    secret-key: hush-hush\n")?;
    for d in c.validate_with(&ValidateOptions::offline()) {
        assert!(!d.to_string().contains("hush-hush"), "{d}");
    }
    Ok(())
}

#[test]
fn client_secret_resolution_follows_the_go_client() -> TestResult {
    let dir = tempfile::tempdir()?;
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "from-file\n")?;
    let file = dir.path().join("c.yaml");
    std::fs::write(
        &file,
        format!(
            "admin:\n  clientSecretLocation: {}\n  clientSecretEnvVar: MY_SECRET\n",
            secret_file.display()
        ),
    )?;
    let with_env = isolated(dir.path())
        .path(&file)
        .env_vars([("MY_SECRET", " from-env ")])
        .load()?;
    assert_eq!(
        with_env.client_secret()?.map(|s| s.expose().to_owned()),
        Some("from-env".into())
    );
    let env_unset = isolated(dir.path()).path(&file).load()?;
    assert_eq!(
        env_unset.client_secret()?,
        None,
        "a named variable is the only source, as in Go"
    );
    let mut file_only = env_unset.clone();
    file_only.admin.client_secret_env_var.clear();
    assert_eq!(
        file_only.client_secret()?.map(|s| s.expose().to_owned()),
        Some("from-file".into())
    );
    let mut missing = file_only.clone();
    missing.admin.client_secret_location = dir.path().join("nope").display().to_string();
    assert!(matches!(missing.client_secret(), Err(Error::Io { .. })));
    Ok(())
}
