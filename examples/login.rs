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
use flyte_admin_client::AdminClient;
use flyte_auth::{CredentialsBuilder, Terminal};
use flyte_config::ConfigLoader;
use flyte_examples::{exit, outln};

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
    let interaction = if cli.no_browser {
        Terminal::no_browser()
    } else {
        Terminal::new()
    };
    // The admin client discovers the authorization server over its own channel (then HTTP),
    // as flytectl does; a config whose login cannot work is reported here.
    let login = CredentialsBuilder::from_config(&config)?.interaction(Arc::new(interaction));
    let client = AdminClient::builder()
        .config(&config)
        .login(login)
        .build()?;
    let credentials = client
        .credentials()
        .ok_or("the config names no way to log in")?;
    // Log in now rather than at the server's first refusal, to show the login's own error.
    let expiry = match credentials.token().await {
        Ok(token) => token.expires_at(),
        Err(e) if e.is_disabled() => {
            eprintln!("authentication is off on this FlyteAdmin");
            None
        }
        Err(e) => return Err(e.into()),
    };
    let me = client
        .user_info()
        .await
        .map_err(|e| format!("UserInfo failed: {e}"))?;
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
