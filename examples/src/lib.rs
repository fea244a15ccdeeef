//! Helpers shared by the flyte-rs examples: connection flags, one-line failures, and stdout
//! that ends quietly when its reader goes away.
//!
//! The examples themselves live beside this crate (`examples/*.rs`); run one with
//! `cargo run --example NAME -- --help`. Every example writes stdout through [`outln!`] and
//! [`out!`], never `println!`: `println!` panics with a backtrace when the output is piped into
//! `head` and the pipe closes (`tests/pipes.rs` checks both).

use std::fmt::Display;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use flyte_admin_client::AdminClient;
use flyte_config::{Config, ConfigLoader};

/// The connection flags every FlyteAdmin example takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Connection {
    /// Config file (default: flytectl's search: $FLYTECTL_CONFIG, ~/.flyte/config.yaml, ...).
    #[arg(short, long, global = true)]
    pub config: Option<PathBuf>,
    /// FlyteAdmin endpoint, overriding the config (e.g. flyte.example.com:443).
    #[arg(long, global = true)]
    pub endpoint: Option<String>,
    /// Plaintext gRPC (with --endpoint).
    #[arg(long, global = true)]
    pub insecure: bool,
}

impl Connection {
    /// The config, with `--endpoint` and `--insecure` applied over it.
    ///
    /// # Errors
    /// A config that cannot be read.
    pub fn config(&self) -> Result<Config, flyte_config::Error> {
        let mut loader = ConfigLoader::new().maybe_path(self.config.clone());
        if let Some(e) = &self.endpoint {
            loader = loader.set("admin.endpoint", e.as_str());
            if self.insecure {
                loader = loader.set("admin.insecure", "true");
            }
        }
        loader.load()
    }

    /// A client for the configured FlyteAdmin.
    ///
    /// # Errors
    /// A config that cannot be read or names no endpoint.
    pub fn client(&self) -> Result<(AdminClient, Config), Box<dyn std::error::Error>> {
        let config = self.config()?;
        let client = AdminClient::from_config(&config)?;
        Ok((client, config))
    }
}

/// `-p/--project` and `-d/--domain`, defaulting to the config's `project` and `domain` as
/// flytectl's do.
#[derive(Debug, Clone, clap::Args)]
pub struct ProjectDomain {
    /// Project (default: the config's root.project).
    #[arg(short, long, global = true)]
    pub project: Option<String>,
    /// Domain (default: the config's root.domain).
    #[arg(short, long, global = true)]
    pub domain: Option<String>,
}

impl ProjectDomain {
    /// The project and domain: the flags, else the config's.
    ///
    /// # Errors
    /// Which of the two is set in neither place.
    pub fn resolve(&self, config: &Config) -> Result<(String, String), String> {
        let project = self
            .project
            .clone()
            .or_else(|| config.project().map(str::to_owned))
            .ok_or("missing project: pass --project or set project in the config")?;
        let domain = self
            .domain
            .clone()
            .or_else(|| config.domain().map(str::to_owned))
            .ok_or("missing domain: pass --domain or set domain in the config")?;
        Ok((project, domain))
    }
}

/// The Kubernetes flags of the examples that talk to a cluster: the kubeconfig as kubectl
/// finds it (`$KUBECONFIG`, `~/.kube/config`, or in-cluster), `--kubeconfig` and `--context`
/// as kubectl takes them.
#[derive(Debug, Clone, clap::Args)]
pub struct KubeArgs {
    /// Kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster).
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: its current context).
    #[arg(long, global = true)]
    pub context: Option<String>,
}

impl KubeArgs {
    /// A client for the chosen cluster.
    ///
    /// # Errors
    /// A kubeconfig that cannot be read or used.
    pub async fn client(&self) -> Result<flyte_k8s::K8s, flyte_k8s::Error> {
        let path = self.kubeconfig.clone().or_else(|| {
            self.context.as_ref()?;
            std::env::var_os("KUBECONFIG")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube/config")))
        });
        match path {
            Some(p) => flyte_k8s::K8s::from_kubeconfig(p, self.context.as_deref()).await,
            None => flyte_k8s::K8s::try_default().await,
        }
    }
}

/// Prints `error: {e}` on one line to stderr and returns exit code 1.
pub fn fail(e: impl Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::FAILURE
}

/// The exit status of a run: success, or [`fail`] with its error.
pub fn exit(result: Result<(), impl Display>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// Writes to stdout, as `print!` does; when the reader has gone (`| head -1`, a closed pager)
/// the process ends at once with status 0, the reader having taken all it wanted. Any other
/// write failure (a full disk) ends it with `error: writing to stdout: ...` and status 1.
///
/// Rust ignores SIGPIPE, so a closed pipe shows up here as an `EPIPE` write error instead of
/// the signal that stops C tools (status 141 in a shell).
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to stdout: {e}");
        std::process::exit(1);
    }
}

/// `println!` for the examples: a closed stdout ends the process quietly (see [`write_stdout`]).
#[macro_export]
macro_rules! outln {
    () => {
        $crate::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for the examples: a closed stdout ends the process quietly (see [`write_stdout`]).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!($($arg)*))
    };
}

/// The `-o` formats: `table` (the default: aligned columns that fit 80 columns, for people),
/// `json` (a stream is JSON lines, one object a line; a single object is one JSON document)
/// and `yaml` (a single object, as flytectl's `-o yaml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
#[non_exhaustive]
pub enum Format {
    /// Aligned columns, or `key: value` lines for one object.
    #[default]
    Table,
    /// JSON: one document, or one object per line for a stream.
    Json,
    /// YAML, for one object.
    Yaml,
}

/// Prints one object as `-o json` (a pretty JSON document) or `-o yaml` asks; `Table` prints
/// it as YAML too, the closest readable form of a nested object.
///
/// # Errors
/// None in practice: JSON values always serialize and are valid YAML.
pub fn print_document(
    value: &serde_json::Value,
    format: Format,
) -> Result<(), Box<dyn std::error::Error>> {
    match format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(value)?),
        // JSON is YAML: parse it as YAML and write it back in block style.
        _ => out!(
            "{}",
            flyte_config::Value::from_yaml_str(&value.to_string())?.to_yaml_string()
        ),
    }
    Ok(())
}

/// Seconds since the epoch as `2026-01-31 12:00` (UTC), the width a table has room for; empty
/// for none.
pub fn short_time(seconds: Option<i64>) -> String {
    seconds
        .map(|t| {
            let mut s = flyte_config::format_rfc3339(t, 0);
            s.truncate(16);
            s.replace('T', " ")
        })
        .unwrap_or_default()
}

/// The longest wait the examples' `--timeout` gives: a year, as good as none, and small enough
/// that adding it to the clock cannot overflow (which panics).
pub const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(365 * 24 * 3600);

/// `--timeout SECS` as a wait, at most [`MAX_WAIT`].
pub fn wait_secs(secs: u64) -> std::time::Duration {
    std::time::Duration::from_secs(secs).min(MAX_WAIT)
}

/// Follows an execution to its end as `launch --wait` does: each phase change on stderr, the
/// error when it failed, then the outputs as one JSON object on the last line of stdout.
/// Returns status 0 only when it SUCCEEDED.
///
/// # Errors
/// The polls' failures, and DEADLINE_EXCEEDED after `timeout` (at most [`MAX_WAIT`]).
pub async fn follow(
    client: &AdminClient,
    id: &flyte_admin_client::ExecutionId,
    timeout: std::time::Duration,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    use flyte_admin_client::pb::admin::execution_closure::OutputResult;
    use flyte_admin_client::pb::core::workflow_execution::Phase;
    use futures::TryStreamExt as _;

    let timeout = timeout.min(MAX_WAIT);
    let options = flyte_admin_client::WaitOptions::timeout(timeout);
    let mut changes = client.watch_execution(id, options);
    let mut last = Phase::Undefined;
    while let Some(execution) = changes.try_next().await? {
        last = flyte_admin_client::phase_of(&execution);
        eprintln!("{id}: {}", last.as_str_name());
        if let Some(OutputResult::Error(e)) = execution.closure.and_then(|c| c.output_result) {
            eprintln!("{id}: {}: {}", e.code, e.message);
        }
    }
    let (_, outputs) = client.execution_data(id).await?;
    outln!(
        "{}",
        flyte_admin_client::literals::literal_map_to_json(&outputs)
    );
    Ok(if last == Phase::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
