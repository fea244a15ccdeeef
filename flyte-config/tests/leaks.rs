//! Values that may hold credentials never reach `Debug`, `config show` or an error: header
//! values, the arguments of `admin.command` and `admin.proxyCommand`, and malformed entries of
//! a string map read from the environment (a GCS `json=` entry holds a private key).

use flyte_config::{Config, ConfigLoader};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SECRET: &str = "S3CRET-private-key-material";

#[test]
fn a_malformed_stow_config_variable_is_named_with_the_entry_position_never_its_text() -> TestResult
{
    // The private key's JSON holds commas, so it splits into entries without `=`.
    let value = format!(
        "region=us-east-1,json={{\"type\":\"service_account\",\"private_key\":\"{SECRET}\"}}"
    );
    for value in [value, SECRET.to_owned(), format!("a=b,{SECRET}")] {
        let e = ConfigLoader::new()
            .env_vars([("FLYTE_STORAGE_STOW_CONFIG", value.as_str())])
            .load()
            .expect_err("a malformed entry");
        let (shown, debug) = (e.to_string(), format!("{e:?}"));
        assert!(
            !shown.contains(SECRET) && !debug.contains(SECRET),
            "{shown}\n{debug}"
        );
        assert!(shown.contains("FLYTE_STORAGE_STOW_CONFIG"), "{shown}");
        assert!(shown.contains("storage.stow.config"), "{shown}");
        assert!(shown.contains("entry "), "{shown}");
    }
    // A header value from the environment likewise.
    let var = flyte_config::env_var_name("storage.defaultHttpClient.headers");
    let e = ConfigLoader::new()
        .env_vars([(var.as_str(), SECRET)])
        .load()
        .expect_err("a malformed entry");
    assert!(!format!("{e} {e:?}").contains(SECRET), "{e}");
    assert!(e.to_string().contains(&var), "{e}");
    Ok(())
}

#[test]
fn the_environment_a_config_was_loaded_with_is_not_in_its_debug() -> TestResult {
    let config = ConfigLoader::new()
        .env_vars([
            ("FLYTE_CREDENTIALS_CLIENT_SECRET", SECRET),
            ("FLYTE_MY_SECRET", SECRET),
        ])
        .load()?;
    let debug = format!("{config:?} {config:#?}");
    assert!(!debug.contains(SECRET), "{debug}");
    Ok(())
}

fn config_with_secrets() -> Result<Config, flyte_config::Error> {
    Config::from_yaml_str(&format!(
        "admin:\n  endpoint: dns:///flyte.example.com\n  authType: ExternalCommand\n  command: [gcloud-token, --token, {SECRET}]\n  proxyCommand: [iap-token, {SECRET}]\nstorage:\n  defaultHttpClient:\n    headers:\n      Authorization: [Bearer {SECRET}]\n      X-Team: [blue]\n"
    ))
}

#[test]
fn header_values_and_command_arguments_are_redacted_in_debug() -> TestResult {
    let config = config_with_secrets()?;
    assert_eq!(
        config.admin.command[2], SECRET,
        "the value is still there to use"
    );
    for debug in [
        format!("{config:?}"),
        format!("{:?}", config.admin),
        format!("{:?}", config.storage.default_http_client),
    ] {
        assert!(!debug.contains(SECRET), "{debug}");
    }
    let debug = format!("{config:?}");
    for kept in ["Authorization", "gcloud-token", "iap-token"] {
        assert!(debug.contains(kept), "{kept} in {debug}");
    }
    Ok(())
}

#[test]
fn config_show_redacts_header_values_and_command_arguments() -> TestResult {
    let config = config_with_secrets()?;
    let shown = config.to_value_redacted().to_yaml_string();
    assert!(!shown.contains(SECRET), "{shown}");
    for kept in ["Authorization", "gcloud-token", "iap-token", "[redacted]"] {
        assert!(shown.contains(kept), "{kept} in {shown}");
    }
    // The unredacted writer (for `config init`) keeps every value.
    assert!(config.to_yaml_string().contains(SECRET));
    Ok(())
}

#[test]
fn proxy_credentials_are_redacted_in_debug_config_show_and_validation() -> TestResult {
    for url in [
        format!("http://user:{SECRET}@proxy.example.com:3128"),
        // Not an http(s) URL: validation reports it, without its credentials.
        format!("socks5://user:{SECRET}@proxy.example.com:1080"),
    ] {
        let config = Config::from_yaml_str(&format!(
            "admin:\n  endpoint: dns:///flyte.example.com\n  httpProxyURL: {url}\n"
        ))?;
        assert_eq!(
            config.admin.http_proxy_url, url,
            "the value is still there to use"
        );
        let shown = config.to_value_redacted().to_yaml_string();
        let debug = format!("{config:?} {:?}", config.admin);
        let problems: Vec<String> = config.validate().iter().map(ToString::to_string).collect();
        for text in [&shown, &debug, &problems.join("\n")] {
            assert!(!text.contains(SECRET), "{text}");
        }
        assert!(shown.contains("[redacted]@proxy.example.com"), "{shown}");
        if url.starts_with("socks5") {
            assert!(problems.join("\n").contains("[redacted]@"), "{problems:?}");
        }
    }
    Ok(())
}
