//! Helpers shared by the flyte-rs examples: one-line failures and JSON output.
//!
//! The examples themselves live beside this crate (`examples/*.rs`); run one with
//! `cargo run --example NAME -- --help`.

use std::fmt::Display;
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
