//! `flytectl config init`: writing a starter config file.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::{yaml, Endpoint, Error};

/// The endpoint `config init` writes when no host is given: the local demo cluster.
pub const DEMO_ENDPOINT: &str = "dns:///localhost:30080";

/// What `config init` writes. With no host, it points at the local demo cluster
/// (`dns:///localhost:30080`, insecure), as flytectl does.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct InitOptions {
    /// The FlyteAdmin host, with an optional port; `dns:///`, `http://` and `https://` are stripped.
    pub host: Option<String>,
    /// Plaintext gRPC.
    pub insecure: bool,
    /// The console's URL.
    pub console: Option<String>,
    /// Overwrite an existing file.
    pub force: bool,
}

impl InitOptions {
    /// Options for `host`.
    pub fn new() -> Self {
        InitOptions::default()
    }

    /// Sets the host.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Sets plaintext gRPC.
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// Sets the console URL.
    pub fn console(mut self, url: impl Into<String>) -> Self {
        self.console = Some(url.into());
        self
    }

    /// Allows overwriting an existing file.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// The file's text.
    ///
    /// # Errors
    /// [`Error::Endpoint`] when the host is not a DNS name or IP address with an optional port,
    /// or the console is not an http(s) URL.
    pub fn render(&self) -> Result<String> {
        let (endpoint, insecure) = match &self.host {
            None => (DEMO_ENDPOINT.to_owned(), true),
            Some(raw) => {
                let trimmed = raw.trim();
                let bare = ["dns:///", "https://", "http://"]
                    .iter()
                    .find_map(|p| trimmed.strip_prefix(p))
                    .unwrap_or(trimmed);
                let bare = bare.strip_suffix('/').unwrap_or(bare);
                // Validate as host[:port] exactly as the written endpoint will be read.
                let parsed = Endpoint::parse(bare, self.insecure).map_err(|e| Error::Endpoint {
                    value: raw.clone(),
                    reason: "expected a DNS name or IP address with an optional port".to_owned(),
                    source: Some(Box::new(e)),
                })?;
                let host = if parsed.host.contains(':') && !bare.starts_with('[') {
                    format!("[{}]", parsed.host)
                } else {
                    bare.to_owned()
                };
                (format!("dns:///{host}"), self.insecure)
            }
        };
        let mut out = String::from(
            "admin:\n  # For GRPC endpoints you might want to use dns:///flyte.myexample.com\n",
        );
        out.push_str(&format!(
            "  endpoint: {}\n",
            yaml::emit_scalar_str(&endpoint)
        ));
        out.push_str(&format!("  insecure: {insecure}\n"));
        if let Some(console) = &self.console {
            let lower = console.to_ascii_lowercase();
            if !(lower.starts_with("http://") || lower.starts_with("https://")) {
                return Err(Error::endpoint(
                    console.clone(),
                    "the console must be an http:// or https:// URL",
                ));
            }
            out.push_str(&format!(
                "console:\n  endpoint: {}\n",
                yaml::emit_scalar_str(console)
            ));
        }
        Ok(out)
    }

    /// Writes the file, creating its directory.
    ///
    /// # Errors
    /// [`Error::Exists`] when the file exists and `force` is off; [`Error::Io`]; as
    /// [`InitOptions::render`].
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let text = self.render()?;
        if path.exists() && !self.force {
            return Err(Error::Exists {
                path: path.to_path_buf(),
            });
        }
        let io = |source| Error::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        // Write beside the target and rename, so a crash never leaves half a config.
        let tmp = path.with_extension("yaml.tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// flytectl's default location, `~/.flyte/config.yaml`, when a home directory is known.
    pub fn default_path() -> Option<PathBuf> {
        let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
        Some(PathBuf::from(home).join(".flyte").join("config.yaml"))
    }
}
