//! Finding, reading and layering the config: defaults, then the file, then the environment,
//! then explicit overrides.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::env::apply_env;
use crate::error::{Diagnostic, Location, Result, Severity};
use crate::fields::{prune, DecodeCx, Encoder, Positions, Setter};
use crate::files::codec::{read_bounded, read_text};
use crate::secret::Secret;
use crate::value::Value;
use crate::{yaml, Config, Endpoint, Error};

/// The system-wide file flytestdlib falls back to.
pub const SYSTEM_CONFIG_PATH: &str = "/etc/flyte/config/config.yaml";
/// The variable flytectl reads the config path from.
pub const CONFIG_PATH_ENV: &str = "FLYTECTL_CONFIG";
/// The largest config file (and exec-spec, project or attribute file) read: 4 MiB. A file's
/// size is checked before it is read and the read stops past this, so a device or a FIFO
/// named as the config (`FLYTECTL_CONFIG=/dev/zero`) is refused rather than read without end.
pub const MAX_CONFIG_FILE_BYTES: u64 = yaml::MAX_BYTES as u64;
/// The largest client secret file read (`admin.clientSecretLocation`): 64 KiB.
pub const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// How the config file was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FoundBy {
    /// Given by the caller (`--config`).
    Explicit,
    /// Named by `$FLYTECTL_CONFIG`.
    EnvVar,
    /// `~/.flyte/config.yaml`.
    HomeDir,
    /// `./config.yaml`.
    WorkingDir,
    /// `/etc/flyte/config/config.yaml`.
    System,
}

impl fmt::Display for FoundBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FoundBy::Explicit => "given explicitly",
            FoundBy::EnvVar => "from $FLYTECTL_CONFIG",
            FoundBy::HomeDir => "the default ~/.flyte/config.yaml",
            FoundBy::WorkingDir => "./config.yaml in the working directory",
            FoundBy::System => "the system file",
        })
    }
}

/// Where a [`Config`] came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConfigSource {
    /// A file, and how it was found.
    File {
        /// The file read.
        path: PathBuf,
        /// How it was found.
        found_by: FoundBy,
    },
    /// Text given to [`Config::from_yaml_str`].
    Text,
    /// No file: defaults (and the environment) only.
    #[default]
    Defaults,
}

impl ConfigSource {
    /// The file, when there was one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ConfigSource::File { path, .. } => Some(path),
            _ => None,
        }
    }
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::File { path, found_by } => write!(f, "{} ({found_by})", path.display()),
            ConfigSource::Text => f.write_str("YAML text"),
            ConfigSource::Defaults => {
                f.write_str("no config file found; defaults and environment only")
            }
        }
    }
}

/// What a [`Config`] knows about itself beyond its values. Not part of equality. `Debug` names
/// the environment's variables without their values, which may be secrets.
#[derive(Clone, Default)]
pub(crate) struct Meta {
    pub(crate) source: ConfigSource,
    pub(crate) positions: Positions,
    pub(crate) warnings: Vec<Diagnostic>,
    /// Lower-cased key paths set by the file, the environment or an override.
    pub(crate) explicit: BTreeSet<String>,
    /// The environment seen at load time; `None` means the process environment.
    pub(crate) env: Option<BTreeMap<String, String>>,
}

impl fmt::Debug for Meta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Meta")
            .field("source", &self.source)
            .field("positions", &self.positions)
            .field("warnings", &self.warnings)
            .field("explicit", &self.explicit)
            .field(
                "env",
                &self.env.as_ref().map(|env| env.keys().collect::<Vec<_>>()),
            )
            .finish()
    }
}

impl PartialEq for Meta {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Config {
    /// Loads the config as flytectl does (see [`ConfigLoader`]) and applies `FLYTE_*` variables.
    ///
    /// # Errors
    /// A file that cannot be read, a YAML syntax error, or values of the wrong type (all of
    /// them, in [`Error::Invalid`]).
    pub fn load() -> Result<Config> {
        ConfigLoader::new().load()
    }

    /// Reads one file, without the search and without the environment.
    ///
    /// # Errors
    /// As [`Config::load`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<Config> {
        ConfigLoader::new().path(path.as_ref()).without_env().load()
    }

    /// Reads YAML text, without the environment.
    ///
    /// # Errors
    /// A YAML syntax error, or values of the wrong type.
    pub fn from_yaml_str(text: &str) -> Result<Config> {
        let (config, diagnostics) = decode_text(text, None, ConfigSource::Text)?;
        into_result(config, diagnostics)
    }

    /// Where this config came from.
    pub fn source(&self) -> &ConfigSource {
        &self.meta.source
    }

    /// Problems that did not stop loading: unknown keys, deprecated keys, duplicate keys,
    /// pyflyte spellings, bare-number durations, misspelt `FLYTE_*` variables.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.meta.warnings
    }

    /// Where `key` (e.g. `admin.endpoint`, any case) was written in the file.
    pub fn location(&self, key: &str) -> Option<Location> {
        self.meta
            .positions
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, mark)| Location::new(self.meta.source.path(), *mark))
    }

    /// Whether `key` was set by the file, the environment or an override (not left at its default).
    pub fn is_set(&self, key: &str) -> bool {
        self.meta.explicit.contains(&key.to_ascii_lowercase())
    }

    /// Sets one key, by flytectl's key path (any case), from text as an environment variable
    /// would give it (lists comma-separated, durations in Go syntax).
    ///
    /// # Errors
    /// [`Error::UnknownKey`], or [`Error::Invalid`] when the text does not fit the key.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        match Setter::set(self, key, value) {
            None => Err(Error::UnknownKey {
                key: key.to_owned(),
            }),
            Some(Err(message)) => Err(Error::Invalid {
                diagnostics: vec![Diagnostic::error(key, message)],
            }),
            Some(Ok(())) => {
                self.meta.explicit.insert(key.to_ascii_lowercase());
                Ok(())
            }
        }
    }

    /// The admin endpoint, parsed; `None` when none is configured.
    ///
    /// # Errors
    /// [`Error::Endpoint`] when `admin.endpoint` is malformed.
    pub fn endpoint(&self) -> Result<Option<Endpoint>> {
        if self.admin.endpoint.trim().is_empty() {
            return Ok(None);
        }
        Endpoint::parse(&self.admin.endpoint, self.admin.insecure).map(Some)
    }

    /// The project to use: `root.project`, else `task.project`.
    pub fn project(&self) -> Option<&str> {
        [&self.root.project, &self.task.project]
            .into_iter()
            .find(|s| !s.is_empty())
            .map(String::as_str)
    }

    /// The domain to use: `root.domain`, else `task.domain`.
    pub fn domain(&self) -> Option<&str> {
        [&self.root.domain, &self.task.domain]
            .into_iter()
            .find(|s| !s.is_empty())
            .map(String::as_str)
    }

    /// Reads the environment variable named `name` from the environment seen at load time.
    pub(crate) fn env_var(&self, name: &str) -> Option<String> {
        match &self.meta.env {
            Some(env) => env.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }

    /// The client secret for ClientSecret auth, as the Go client finds it: `admin.clientSecret`
    /// (from `FLYTE_CREDENTIALS_CLIENT_SECRET`), else the variable named by
    /// `clientSecretEnvVar` (only that, when it is named), else the `clientSecretLocation`
    /// file, trimmed.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read. `Ok(None)` when nothing is configured or the
    /// named variable is unset or empty.
    pub fn client_secret(&self) -> Result<Option<Secret>> {
        if !self.admin.client_secret.is_empty() {
            return Ok(Some(self.admin.client_secret.clone()));
        }
        if !self.admin.client_secret_env_var.is_empty() {
            return Ok(self
                .env_var(&self.admin.client_secret_env_var)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .map(Secret::new));
        }
        if self.admin.client_secret_location.is_empty() {
            return Ok(None);
        }
        let path = Path::new(&self.admin.client_secret_location);
        let action = "read the client secret file";
        let bytes = read_bounded(path, action, MAX_SECRET_FILE_BYTES)?;
        let text = String::from_utf8(bytes).map_err(|e| Error::Io {
            action,
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
        })?;
        Ok(Some(Secret::new(text.trim())))
    }

    /// Every key with its effective value in flytectl's spelling, secrets shown as `[redacted]`:
    /// what `flytectl config`-style `show` commands print.
    pub fn to_value_redacted(&self) -> Value {
        Encoder::encode(&mut self.clone(), true)
    }

    /// The config as a YAML file flytectl reads: only keys that differ from the defaults.
    /// Secrets are written as they are (it is meant for a file); never log it.
    pub fn to_yaml_string(&self) -> String {
        let value = Encoder::encode(&mut self.clone(), false);
        let default = Encoder::encode(&mut Config::default(), false);
        yaml::emit(&prune(value, &default))
    }
}

fn into_result(mut config: Config, diagnostics: Vec<Diagnostic>) -> Result<Config> {
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Error::Invalid { diagnostics });
    }
    config.meta.warnings = diagnostics;
    Ok(config)
}

fn decode_text(
    text: &str,
    file: Option<&Path>,
    source: ConfigSource,
) -> Result<(Config, Vec<Diagnostic>)> {
    let root = yaml::parse(text).map_err(|e| Error::syntax(file, e))?;
    let mut config = Config::default();
    let mut cx = DecodeCx::new(file, false);
    cx.decode_root(root.as_ref(), &mut config);
    // A key whose value was rejected stays at its default, so it does not count as set.
    let rejected: BTreeSet<&str> = cx
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.key.as_str())
        .collect();
    for key in cx
        .positions
        .keys()
        .filter(|k| !rejected.contains(k.as_str()))
    {
        config.meta.explicit.insert(key.to_ascii_lowercase());
    }
    for deprecated in [
        "admin.useAuth",
        "admin.authorizationServerUrl",
        "files.k8ServiceAccount",
    ] {
        if let Some(mark) = cx.positions.get(deprecated).copied() {
            let msg = if deprecated == "files.k8ServiceAccount" {
                "deprecated; use files.k8sServiceAccount".to_owned()
            } else {
                "deprecated and ignored by flytectl and flyte-rs".to_owned()
            };
            cx.warn(deprecated, msg, mark);
        }
    }
    config.meta.positions = cx.positions;
    config.meta.source = source;
    Ok((config, cx.diagnostics))
}

/// Finds and loads the config, with every step replaceable for tests and tools.
///
/// The search follows flytectl: the explicit path, else `$FLYTECTL_CONFIG`, else
/// `~/.flyte/config.yaml`; when that does not exist, `./config.yaml`, then
/// `/etc/flyte/config/config.yaml`; when none exists, defaults. Unlike flytectl, an explicit
/// path or `$FLYTECTL_CONFIG` naming a missing file is an error rather than a silent fallback to
/// another file, so a typo cannot point a tool at the wrong cluster.
///
/// Layers, later winning: defaults, the file, the environment, [`ConfigLoader::set`] overrides.
///
/// Environment: each key has a `FLYTE_` variable named by [`env_var_name`](crate::env_var_name)
/// (see [`Config::keys`]), and pyflyte's names work too (`FLYTE_PLATFORM_URL`,
/// `FLYTE_CREDENTIALS_CLIENT_ID`, ...); when both are set, the `FLYTE_<SECTION>_<KEY>` name wins.
/// Empty variables are ignored. Lists are comma-separated.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ConfigLoader {
    path: Option<PathBuf>,
    env: Option<BTreeMap<String, String>>,
    use_env: bool,
    home: Option<PathBuf>,
    cwd: Option<PathBuf>,
    system: Option<PathBuf>,
    overrides: Vec<(String, String)>,
}

impl ConfigLoader {
    /// A loader with flytectl's search order and the process environment.
    pub fn new() -> Self {
        ConfigLoader {
            use_env: true,
            ..ConfigLoader::default()
        }
    }

    /// Reads this file (flytectl's `--config`). `~/` is expanded.
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Reads this file when `path` is `Some`, else searches.
    pub fn maybe_path(mut self, path: Option<impl Into<PathBuf>>) -> Self {
        self.path = path.map(Into::into);
        self
    }

    /// Uses these variables instead of the process environment (for `$FLYTECTL_CONFIG`, `$HOME`
    /// and the `FLYTE_*` overrides).
    pub fn env_vars<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self.use_env = true;
        self
    }

    /// Ignores the environment entirely (no `$FLYTECTL_CONFIG`, no overrides, no `$HOME` search).
    pub fn without_env(mut self) -> Self {
        self.use_env = false;
        self.env = Some(BTreeMap::new());
        self
    }

    /// The home directory to search instead of `$HOME`.
    pub fn home_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.home = Some(dir.into());
        self
    }

    /// The directory searched for `config.yaml` instead of the current one.
    pub fn working_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// The system-wide file instead of [`SYSTEM_CONFIG_PATH`].
    pub fn system_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.system = Some(path.into());
        self
    }

    /// Sets a key after everything else (flytectl's `--admin.endpoint`-style flags).
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.overrides.push((key.into(), value.into()));
        self
    }

    fn env_snapshot(&self) -> BTreeMap<String, String> {
        match &self.env {
            Some(env) => env.clone(),
            None if self.use_env => std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .filter(|(k, _)| k.starts_with("FLYTE") || k == "HOME" || k == "USERPROFILE")
                .collect(),
            None => BTreeMap::new(),
        }
    }

    fn home(&self, env: &BTreeMap<String, String>) -> Option<PathBuf> {
        self.home.clone().or_else(|| {
            env.get("HOME")
                .or_else(|| env.get("USERPROFILE"))
                .filter(|h| !h.is_empty())
                .map(PathBuf::from)
        })
    }

    fn expand(&self, path: &Path, env: &BTreeMap<String, String>) -> PathBuf {
        match (path.strip_prefix("~"), self.home(env)) {
            (Ok(rest), Some(home)) => home.join(rest),
            _ => path.to_path_buf(),
        }
    }

    /// Which file [`ConfigLoader::load`] would read.
    ///
    /// # Errors
    /// [`Error::NotFound`] when an explicit path or `$FLYTECTL_CONFIG` names a missing file.
    pub fn find(&self) -> Result<ConfigSource> {
        self.find_in(&self.env_snapshot())
    }

    fn find_in(&self, env: &BTreeMap<String, String>) -> Result<ConfigSource> {
        let named = match (
            &self.path,
            env.get(CONFIG_PATH_ENV).filter(|p| !p.is_empty()),
        ) {
            (Some(p), _) => Some((p.clone(), FoundBy::Explicit, "the caller")),
            (None, Some(p)) if self.use_env => {
                Some((PathBuf::from(p), FoundBy::EnvVar, "$FLYTECTL_CONFIG"))
            }
            _ => None,
        };
        if let Some((path, found_by, origin)) = named {
            let path = self.expand(&path, env);
            return if path.exists() {
                Ok(ConfigSource::File { path, found_by })
            } else {
                Err(Error::NotFound { path, origin })
            };
        }
        let mut candidates = Vec::new();
        if self.use_env || self.home.is_some() {
            if let Some(home) = self.home(env) {
                candidates.push((home.join(".flyte").join("config.yaml"), FoundBy::HomeDir));
            }
        }
        let cwd = match &self.cwd {
            Some(d) => Some(d.clone()),
            None => std::env::current_dir().ok(),
        };
        if let Some(cwd) = cwd {
            candidates.push((cwd.join("config.yaml"), FoundBy::WorkingDir));
        }
        candidates.push((
            self.system
                .clone()
                .unwrap_or_else(|| PathBuf::from(SYSTEM_CONFIG_PATH)),
            FoundBy::System,
        ));
        Ok(candidates
            .into_iter()
            .find(|(p, _)| p.is_file())
            .map_or(ConfigSource::Defaults, |(path, found_by)| {
                ConfigSource::File { path, found_by }
            }))
    }

    /// Loads the config, failing on any invalid value.
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::Io`], [`Error::Syntax`], [`Error::UnknownKey`] for an
    /// override, or [`Error::Invalid`] listing every invalid value.
    pub fn load(&self) -> Result<Config> {
        let (config, diagnostics) = self.load_lenient()?;
        into_result(config, diagnostics)
    }

    /// Loads the config, keeping defaults where values are invalid, and returns every problem
    /// found (errors and warnings), for tools such as `config validate`.
    ///
    /// # Errors
    /// Only what stops reading altogether: a missing or unreadable file, a YAML syntax error,
    /// or an override naming an unknown key.
    pub fn load_lenient(&self) -> Result<(Config, Vec<Diagnostic>)> {
        let env = self.env_snapshot();
        let source = self.find_in(&env)?;
        let (mut config, mut diagnostics) = match &source {
            ConfigSource::File { path, .. } => {
                let text = read_text(path)?;
                decode_text(&text, Some(path), source.clone())?
            }
            _ => (Config::default(), Vec::new()),
        };
        if self.use_env {
            apply_env(&mut config, &env, &mut diagnostics);
        }
        // Variables named by the config (clientSecretEnvVar) are read later: from the injected
        // set when there is one, else from the process.
        config.meta.env = match (&self.env, self.use_env) {
            (None, true) => None,
            _ => Some(env),
        };
        for (key, value) in &self.overrides {
            match config.set(key, value) {
                Ok(()) => {}
                Err(Error::Invalid { diagnostics: ds }) => diagnostics.extend(
                    ds.into_iter()
                        .map(|d| Diagnostic::error(d.key, format!("override: {}", d.message))),
                ),
                Err(e) => return Err(e),
            }
        }
        let file = config.meta.source.path().map(Path::to_path_buf);
        let diagnostics: Vec<Diagnostic> = diagnostics
            .into_iter()
            .map(|d| d.in_file(file.as_deref()))
            .collect();
        config.meta.warnings = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .cloned()
            .collect();
        Ok((config, diagnostics))
    }
}
