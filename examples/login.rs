//! Logs in to FlyteAdmin with the flow your config names (client secret, PKCE, device flow or
//! an external command), asks IdentityService who you are, and prints the subject and when the
//! token expires. The token itself is never printed.
//!
//! ```text
//! cargo run --example login -- [--config FILE | --endpoint HOST:PORT [--insecure]] [--no-browser]
//! ```
//!
//! `--no-browser` only prints the PKCE URL, or the device flow's verification URI and code, to
//! stderr: for SSH sessions and containers.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use clap::Parser;
use flyte_auth::{CredentialsBuilder, Terminal};
use flyte_config::ConfigLoader;
use flyte_examples::{exit, outln};
use flyteidl::flyteidl::service::identity_service_client::IdentityServiceClient;
use flyteidl::flyteidl::service::UserInfoRequest;

#[derive(Parser, Debug)]
#[command(name = "login", about = "Log in to FlyteAdmin and show who you are")]
struct Cli {
    /// Config file (default: flytectl's search order).
    #[arg(short, long)]
    config: Option<PathBuf>,
    /// FlyteAdmin endpoint, overriding the config (e.g. flyte.example.com:443).
    #[arg(long)]
    endpoint: Option<String>,
    /// Plaintext gRPC (with --endpoint).
    #[arg(long)]
    insecure: bool,
    /// Do not open a browser; print the URL or device code only.
    #[arg(long)]
    no_browser: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    exit(run(Cli::parse()).await)
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let mut loader = ConfigLoader::new().maybe_path(cli.config);
    if let Some(e) = &cli.endpoint {
        loader = loader.set("admin.endpoint", e.as_str());
        if cli.insecure {
            loader = loader.set("admin.insecure", "true");
        }
    }
    let config = loader.load()?;
    let endpoint = config
        .endpoint()?
        .ok_or("no FlyteAdmin endpoint: pass --endpoint or set admin.endpoint")?;
    eprintln!("FlyteAdmin: {endpoint} (config: {})", config.source());
    let mut channel = tonic::transport::Channel::from_shared(endpoint.uri())?;
    if endpoint.tls {
        channel = channel.tls_config(
            tonic::transport::ClientTlsConfig::new().domain_name(endpoint.host.clone()),
        )?;
    }
    let channel = channel
        .connect()
        .await
        .map_err(|e| format!("cannot reach {endpoint}: {e}"))?;
    let interaction = if cli.no_browser {
        Terminal::no_browser()
    } else {
        Terminal::new()
    };
    let credentials = CredentialsBuilder::from_config(&config)?
        .grpc_channel(channel.clone())
        .interaction(Arc::new(interaction))
        .build()?;
    let mut identity = IdentityServiceClient::new(channel);
    let mut request = tonic::Request::new(UserInfoRequest {});
    let mut expiry = None;
    match credentials.header().await {
        Ok((name, value)) => {
            request.metadata_mut().insert(
                tonic::metadata::MetadataKey::from_bytes(name.as_bytes())?,
                value.parse()?,
            );
            expiry = credentials.token().await?.expires_at();
        }
        Err(e) if e.is_disabled() => eprintln!("authentication is off on this FlyteAdmin"),
        Err(e) => return Err(e.into()),
    }
    let me = identity
        .user_info(request)
        .await
        .map_err(|s| format!("UserInfo failed: {} {}", s.code(), s.message()))?
        .into_inner();
    outln!(
        "subject: {}",
        if me.subject.is_empty() {
            "(anonymous)"
        } else {
            &me.subject
        }
    );
    if !me.name.is_empty() {
        outln!("name: {}", me.name);
    }
    match expiry.and_then(|at| at.duration_since(SystemTime::now()).ok()) {
        Some(left) => outln!("token expires in {}s", left.as_secs()),
        None if expiry.is_some() => outln!("token has expired"),
        None => outln!("token expiry: unknown"),
    }
    Ok(())
}
