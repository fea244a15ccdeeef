//! A command that prints a token (`admin.command`): for logins flyte-rs cannot do itself.

use std::fmt;

use crate::error::{Error, Kind, Result};
use crate::token::AccessToken;

const FLOW: &str = "external command";

/// A command that prints a token on stdout, run each time a token is needed (tokens from it
/// are not cached: the command keeps its own).
#[derive(Clone)]
#[non_exhaustive]
pub struct ExternalCommand {
    /// The argv: the program, then its arguments.
    pub command: Vec<String>,
}

impl ExternalCommand {
    /// Runs `argv` (the program, then its arguments).
    pub fn new(argv: impl IntoIterator<Item = impl Into<String>>) -> Self {
        ExternalCommand {
            command: argv.into_iter().map(Into::into).collect(),
        }
    }

    pub(crate) async fn login(&self) -> Result<AccessToken> {
        Ok(AccessToken::new(
            run_command(&self.command, FLOW).await?,
            None,
        ))
    }
}

impl fmt::Debug for ExternalCommand {
    /// The program only: arguments may hold secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExternalCommand")
            .field("program", &self.command.first())
            .finish_non_exhaustive()
    }
}

/// Runs `argv` to completion without blocking the runtime (`admin.command` at each login,
/// `admin.proxyCommand` once per handle) and returns what it printed.
pub(crate) async fn run_command(argv: &[String], what: &'static str) -> Result<String> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Error::new(Kind::Config, what, "the command is empty"))?;
    let out = tokio::process::Command::new(program)
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| {
            Error::new(Kind::Command, what, format!("cannot run {program}: {e}")).with_source(e)
        })?;
    command_output(program, what, out)
}

/// The token a command printed, or its failure with what it wrote to stderr.
fn command_output(program: &str, what: &'static str, out: std::process::Output) -> Result<String> {
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(Error::new(
            Kind::Command,
            what,
            format!("{program} exited with {}: {}", out.status, stderr.trim()),
        ));
    }
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if token.is_empty() {
        return Err(Error::new(
            Kind::Command,
            what,
            format!("{program} printed nothing"),
        ));
    }
    Ok(token)
}
