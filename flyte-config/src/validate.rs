//! Checks that a loaded config will work, reporting every problem at once.

use std::net::{TcpListener, ToSocketAddrs};
use std::path::Path;

use crate::error::{Diagnostic, Severity};
use crate::model::{AuthType, StorageAuthType, StorageType};
use crate::{Config, Endpoint};

/// FlyteAdmin's default PKCE redirect URI (`flyteadmin/auth/config`).
pub const DEFAULT_PKCE_REDIRECT_URI: &str = "http://localhost:53593/callback";

/// What [`Config::validate_with`] may look at beyond the config itself.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct ValidateOptions {
    /// Check that files the config names (CA bundle, client secret) exist.
    pub check_files: bool,
    /// For PKCE, check that the callback port of this redirect URI can be bound; `None` skips it.
    pub pkce_redirect_uri: Option<String>,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            check_files: true,
            pkce_redirect_uri: Some(DEFAULT_PKCE_REDIRECT_URI.to_owned()),
        }
    }
}

impl ValidateOptions {
    /// Only checks of the config's own values: no file system, no ports.
    pub fn offline() -> Self {
        ValidateOptions {
            check_files: false,
            pkce_redirect_uri: None,
        }
    }

    /// Checks the PKCE callback against this redirect URI (the one your FlyteAdmin advertises).
    pub fn pkce_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.pkce_redirect_uri = Some(uri.into());
        self
    }
}

struct Report<'c> {
    config: &'c Config,
    out: Vec<Diagnostic>,
}

impl Report<'_> {
    fn push(&mut self, severity: Severity, key: &str, message: String) {
        let d = match severity {
            Severity::Warning => Diagnostic::warning(key, message),
            _ => Diagnostic::error(key, message),
        }
        .at(self.config.location(key))
        .in_file(self.config.source().path());
        self.out.push(d);
    }
    fn error(&mut self, key: &str, message: impl Into<String>) {
        self.push(Severity::Error, key, message.into());
    }
    fn warn(&mut self, key: &str, message: impl Into<String>) {
        self.push(Severity::Warning, key, message.into());
    }
}

fn is_http_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    (lower.starts_with("http://") && s.len() > 7) || (lower.starts_with("https://") && s.len() > 8)
}

impl Config {
    /// Checks the config with [`ValidateOptions::default`]: every problem, errors and warnings,
    /// each naming its key and, where it came from the file, its line.
    pub fn validate(&self) -> Vec<Diagnostic> {
        self.validate_with(&ValidateOptions::default())
    }

    /// Checks the config; see [`Config::validate`].
    pub fn validate_with(&self, options: &ValidateOptions) -> Vec<Diagnostic> {
        let mut r = Report {
            config: self,
            out: Vec::new(),
        };
        self.check_admin(&mut r);
        self.check_auth(&mut r, options);
        self.check_storage(&mut r);
        self.check_rest(&mut r);
        if options.check_files {
            let ca = &self.admin.ca_cert_file_path;
            if !ca.is_empty() && !Path::new(ca).is_file() {
                r.error(
                    "admin.caCertFilePath",
                    format!("CA bundle {ca} does not exist"),
                );
            }
        }
        r.out
    }

    fn check_admin(&self, r: &mut Report<'_>) {
        let a = &self.admin;
        if a.endpoint.trim().is_empty() {
            r.warn(
                "admin.endpoint",
                "no endpoint configured; nothing can reach FlyteAdmin (set admin.endpoint or $FLYTE_ADMIN_ENDPOINT)",
            );
        } else {
            match Endpoint::parse(&a.endpoint, a.insecure) {
                Err(e) => r.error("admin.endpoint", e.to_string()),
                Ok(_) => {
                    let lower = a.endpoint.trim().to_ascii_lowercase();
                    if a.insecure && lower.starts_with("https://") {
                        r.error(
                            "admin.insecure",
                            format!(
                                "insecure: true contradicts the https:// endpoint {:?}; remove one of them",
                                a.endpoint
                            ),
                        );
                    }
                    if !a.insecure && lower.starts_with("http://") {
                        r.warn(
                            "admin.endpoint",
                            "an http:// endpoint is plaintext although insecure is false; set insecure: true to say so",
                        );
                    }
                }
            }
        }
        if a.insecure && a.insecure_skip_verify {
            r.warn(
                "admin.insecureSkipVerify",
                "has no effect with insecure: true (there is no TLS to verify)",
            );
        }
        if a.max_retries < 0 {
            r.error(
                "admin.maxRetries",
                format!(
                    "must be 0 or more, found {} (flytectl panics on a negative value)",
                    a.max_retries
                ),
            );
        }
        if a.max_message_size_bytes < 0 {
            r.error(
                "admin.maxMessageSizeBytes",
                format!(
                    "must be 0 (the default) or more, found {}",
                    a.max_message_size_bytes
                ),
            );
        }
        if !a.default_service_config.trim().is_empty() {
            if let Err(e) = serde_json::from_str::<serde_json::Value>(&a.default_service_config) {
                r.error(
                    "admin.defaultServiceConfig",
                    format!("is not valid JSON: {e}"),
                );
            }
        }
        if !a.http_proxy_url.is_empty() && !is_http_url(&a.http_proxy_url) {
            r.error(
                "admin.httpProxyURL",
                format!(
                    "{:?} is not an http:// or https:// URL",
                    crate::secret::redact_userinfo(&a.http_proxy_url)
                ),
            );
        }
    }

    fn check_auth(&self, r: &mut Report<'_>, options: &ValidateOptions) {
        let a = &self.admin;
        if !a.authorization_header.is_empty() {
            let ok = a
                .authorization_header
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
            if !ok {
                r.error(
                    "admin.authorizationHeader",
                    format!(
                        "{:?} is not a gRPC metadata key (lower-case letters, digits, '-', '_', '.')",
                        a.authorization_header
                    ),
                );
            }
        }
        if !a.token_url.is_empty() && !is_http_url(&a.token_url) {
            r.error(
                "admin.tokenUrl",
                format!("{:?} is not an http:// or https:// URL", a.token_url),
            );
        }
        match a.auth_type {
            AuthType::ClientSecret => {
                // The default auth type applies only once the server asks for auth, so a missing
                // secret matters only when the user chose client credentials on purpose.
                let chosen = [
                    "admin.authType",
                    "admin.clientSecretEnvVar",
                    "admin.clientSecretLocation",
                ]
                .iter()
                .any(|k| self.is_set(k));
                if chosen && a.client_secret.is_empty() {
                    self.check_client_secret(r, options);
                }
            }
            AuthType::ExternalCommand => {
                if a.command.is_empty() {
                    r.error(
                        "admin.command",
                        "authType ExternalCommand needs a command that prints a token",
                    );
                }
            }
            AuthType::Pkce => {
                if a.pkce_config.timeout.is_zero() {
                    r.error("admin.pkceConfig.timeout", "must be more than 0s");
                }
                if let Some(uri) = &options.pkce_redirect_uri {
                    if let Some(problem) = check_callback_port(uri) {
                        r.error("admin.authType", problem);
                    }
                }
            }
            AuthType::DeviceFlow => {
                if a.device_flow_config.timeout.is_zero() {
                    r.error("admin.deviceFlowConfig.timeout", "must be more than 0s");
                }
                if a.device_flow_config.poll_interval.is_zero() {
                    r.error(
                        "admin.deviceFlowConfig.pollInterval",
                        "must be more than 0s",
                    );
                }
            }
        }
    }

    fn check_client_secret(&self, r: &mut Report<'_>, options: &ValidateOptions) {
        let a = &self.admin;
        if !a.client_secret_env_var.is_empty() {
            if self
                .env_var(&a.client_secret_env_var)
                .unwrap_or_default()
                .is_empty()
            {
                r.error(
                    "admin.clientSecretEnvVar",
                    format!(
                        "names ${}, which is not set (the Go client then sends an empty secret)",
                        a.client_secret_env_var
                    ),
                );
            }
        } else if a.client_secret_location.is_empty() {
            r.error(
                "admin.authType",
                "ClientSecret auth needs clientSecretEnvVar or clientSecretLocation; neither is set",
            );
        } else if options.check_files && !Path::new(&a.client_secret_location).is_file() {
            r.error(
                "admin.clientSecretLocation",
                format!(
                    "client secret file {} does not exist (set clientSecretEnvVar or point this at the secret)",
                    a.client_secret_location
                ),
            );
        }
    }

    fn check_storage(&self, r: &mut Report<'_>) {
        let s = &self.storage;
        let c = &s.connection;
        if c.auth_type == StorageAuthType::AccessKey {
            if c.access_key.is_empty() {
                r.error(
                    "storage.connection.access-key",
                    "auth-type accesskey needs access-key",
                );
            }
            if c.secret_key.is_empty() {
                r.error(
                    "storage.connection.secret-key",
                    "auth-type accesskey needs secret-key",
                );
            }
        }
        if !c.endpoint.is_empty() {
            if !is_http_url(&c.endpoint) {
                r.error(
                    "storage.connection.endpoint",
                    format!("{:?} is not an http:// or https:// URL", c.endpoint),
                );
            } else if c.disable_ssl && c.endpoint.to_ascii_lowercase().starts_with("https://") {
                r.warn(
                    "storage.connection.disable-ssl",
                    "disable-ssl is true but the endpoint is https://",
                );
            }
        }
        if s.kind == StorageType::Stow {
            const KINDS: &[&str] = &["s3", "google", "azure", "local", "swift", "oracle", "b2"];
            if s.stow.kind.is_empty() {
                r.error(
                    "storage.stow.kind",
                    "storage type stow needs stow.kind (s3, google, azure, ...)",
                );
            } else if !KINDS.contains(&s.stow.kind.as_str()) {
                r.warn(
                    "storage.stow.kind",
                    format!(
                        "unknown stow kind {:?}; known: {}",
                        s.stow.kind,
                        KINDS.join(", ")
                    ),
                );
            }
        }
        if s.limits.max_download_mbs < 0 {
            r.error("storage.limits.maxDownloadMBs", "must be 0 or more");
        }
        if s.cache.max_size_mbs < 0 {
            r.error("storage.cache.max_size_mbs", "must be 0 or more");
        }
        if !(0..=100).contains(&s.cache.target_gc_percent) {
            r.error("storage.cache.target_gc_percent", "must be from 0 to 100");
        }
    }

    fn check_rest(&self, r: &mut Report<'_>) {
        if !self.console.endpoint.is_empty() && !is_http_url(&self.console.endpoint) {
            r.error(
                "console.endpoint",
                format!(
                    "{:?} is not an http:// or https:// URL",
                    self.console.endpoint
                ),
            );
        }
        if !(0..=5).contains(&self.logger.level) {
            r.warn(
                "logger.level",
                format!("{} is outside 0 (panic) to 5 (debug)", self.logger.level),
            );
        }
        if !["json", "text", "gcp"].contains(&self.logger.formatter_type.as_str()) {
            r.warn(
                "logger.formatter.type",
                format!(
                    "unknown formatter {:?}; use json, text or gcp",
                    self.logger.formatter_type
                ),
            );
        }
        const OUTPUTS: &[&str] = &["TABLE", "JSON", "YAML", "DOT", "DOTURL"];
        if !OUTPUTS
            .iter()
            .any(|o| o.eq_ignore_ascii_case(&self.root.output))
        {
            r.error(
                "root.output",
                format!(
                    "unknown output {:?}; use one of {}",
                    self.root.output,
                    OUTPUTS.join(", ")
                ),
            );
        }
        let f = &self.files;
        if !f.k8_service_account.is_empty()
            && !f.k8s_service_account.is_empty()
            && f.k8_service_account != f.k8s_service_account
        {
            r.warn(
                "files.k8ServiceAccount",
                "differs from files.k8sServiceAccount, which wins",
            );
        }
    }
}

/// Why the PKCE callback server could not listen where the redirect URI says, if it cannot.
fn check_callback_port(uri: &str) -> Option<String> {
    let rest = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let with_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addrs: Vec<_> = match with_port.to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => {
            return Some(format!(
                "cannot resolve the PKCE redirect host in {uri}: {e}"
            ))
        }
    };
    // Like Go's net.Listen, one usable address is enough.
    let mut first_error = None;
    for addr in &addrs {
        match TcpListener::bind(addr) {
            Ok(_) => return None,
            Err(e) => {
                first_error.get_or_insert((addr, e));
            }
        }
    }
    let (addr, e) = first_error?;
    Some(format!(
        "the PKCE login listens on {addr} (from the redirect URI {uri}) but cannot: {e}; free the port or use DeviceFlow"
    ))
}
