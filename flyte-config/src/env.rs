//! The environment: the `FLYTE_*` variable of every key, pyflyte's names for the same
//! settings, and applying them to a loaded config.

use std::collections::BTreeMap;

use crate::error::Diagnostic;
use crate::fields::{Lister, Setter};
use crate::Config;

/// One config key: its path in flytectl's spelling and the variables that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigKey {
    /// The key path, e.g. `admin.maxRetries`.
    pub path: String,
    /// The flyte-rs variable, e.g. `FLYTE_ADMIN_MAX_RETRIES`.
    pub env_var: String,
    /// pyflyte's variable for the same setting, where pyflyte has one.
    pub pyflyte_env_var: Option<&'static str>,
    /// Whether the value is secret (never shown).
    pub secret: bool,
}

/// pyflyte's variable names (flytekit's `configuration/internal.py`) and the keys they set.
const PYFLYTE_ENV: &[(&str, &str)] = &[
    ("FLYTE_PLATFORM_URL", "admin.endpoint"),
    ("FLYTE_PLATFORM_INSECURE", "admin.insecure"),
    (
        "FLYTE_PLATFORM_INSECURE_SKIP_VERIFY",
        "admin.insecureSkipVerify",
    ),
    ("FLYTE_PLATFORM_CA_CERT_FILE_PATH", "admin.caCertFilePath"),
    ("FLYTE_PLATFORM_HTTP_PROXY_URL", "admin.httpProxyURL"),
    ("FLYTE_PLATFORM_CONSOLE_ENDPOINT", "console.endpoint"),
    ("FLYTE_CREDENTIALS_COMMAND", "admin.command"),
    ("FLYTE_CREDENTIALS_PROXY_COMMAND", "admin.proxyCommand"),
    ("FLYTE_CREDENTIALS_CLIENT_ID", "admin.clientId"),
    ("FLYTE_CREDENTIALS_CLIENT_SECRET", "admin.clientSecret"),
    (
        "FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION",
        "admin.clientSecretLocation",
    ),
    (
        "FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR",
        "admin.clientSecretEnvVar",
    ),
    ("FLYTE_CREDENTIALS_SCOPES", "admin.scopes"),
    ("FLYTE_CREDENTIALS_AUTH_MODE", "admin.authType"),
    ("FLYTE_CREDENTIALS_AUDIENCE", "admin.audience"),
    ("FLYTE_AWS_ENDPOINT", "storage.connection.endpoint"),
    ("FLYTE_AWS_ACCESS_KEY_ID", "storage.connection.access-key"),
    (
        "FLYTE_AWS_SECRET_ACCESS_KEY",
        "storage.connection.secret-key",
    ),
];

/// Sections whose `FLYTE_<SECTION>_*` variables we own, so a misspelt one is reported.
const OWNED_ENV_PREFIXES: &[&str] = &["FLYTE_ADMIN_", "FLYTE_STORAGE_", "FLYTE_CONSOLE_"];

/// The flyte-rs variable for a key path: `FLYTE_` and the path in upper snake case
/// (`admin.caCertFilePath` is `FLYTE_ADMIN_CA_CERT_FILE_PATH`).
pub fn env_var_name(path: &str) -> String {
    let mut out = String::from("FLYTE");
    for segment in path.split('.') {
        out.push('_');
        let mut prev: Option<char> = None;
        for c in segment.chars() {
            if c == '-' || c == '_' {
                out.push('_');
            } else {
                if c.is_ascii_uppercase()
                    && prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                {
                    out.push('_');
                }
                out.push(c.to_ascii_uppercase());
            }
            prev = Some(c);
        }
    }
    out
}

impl Config {
    /// Every key of the config with its environment variables, in file order.
    pub fn keys() -> Vec<ConfigKey> {
        Lister::list(&mut Config::default())
            .into_iter()
            .filter(|(path, _)| path != "otel")
            .map(|(path, secret)| ConfigKey {
                env_var: env_var_name(&path),
                pyflyte_env_var: PYFLYTE_ENV
                    .iter()
                    .find(|(_, p)| *p == path)
                    .map(|(v, _)| *v),
                path,
                secret,
            })
            .collect()
    }
}

pub(crate) fn apply_env(
    config: &mut Config,
    env: &BTreeMap<String, String>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let keys = Config::keys();
    // pyflyte's names first, so the flyte-rs names (applied after) win.
    let mut plan: Vec<(&str, String)> = Vec::new();
    for (var, path) in PYFLYTE_ENV {
        plan.push((var, (*path).to_owned()));
    }
    for key in &keys {
        plan.push((key.env_var.as_str(), key.path.clone()));
    }
    for (var, path) in plan {
        let Some(value) = env.get(var).filter(|v| !v.is_empty()) else {
            continue;
        };
        match Setter::set(config, &path, value) {
            Some(Ok(())) => {
                config.meta.explicit.insert(path.to_ascii_lowercase());
            }
            Some(Err(message)) => {
                diagnostics.push(Diagnostic::error(&path, format!("from ${var}: {message}")));
            }
            None => {}
        }
    }
    for var in env.keys() {
        let owned = OWNED_ENV_PREFIXES.iter().any(|p| var.starts_with(p));
        if owned && !keys.iter().any(|k| &k.env_var == var) {
            diagnostics.push(Diagnostic::warning(
                "",
                format!("environment variable ${var} matches no config key (ignored)"),
            ));
        }
    }
}
