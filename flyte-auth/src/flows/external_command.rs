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

/// The most of a failed command's stderr an error carries: its end, where the reason usually
/// is; a chatty command would otherwise put megabytes into one error message.
const MAX_STDERR_BYTES: usize = 2048;

/// The last [`MAX_STDERR_BYTES`] of `stderr` (fewer where that would split a UTF-8 character).
fn stderr_tail(stderr: &[u8]) -> &[u8] {
    let mut start = stderr.len().saturating_sub(MAX_STDERR_BYTES);
    // Skip continuation bytes so the tail starts on a character.
    while stderr.get(start).is_some_and(|b| b & 0xC0 == 0x80) {
        start += 1;
    }
    &stderr[start..]
}

/// The token a command printed, or its failure with what it wrote to stderr.
fn command_output(program: &str, what: &'static str, out: std::process::Output) -> Result<String> {
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(stderr_tail(&out.stderr));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failed_commands_error_carries_only_the_end_of_its_stderr() {
        let argv = [
            "sh",
            "-c",
            "printf 'early-noise%.0s' $(seq 1 10000) >&2; echo é-the-reason >&2; exit 3",
        ]
        .map(String::from);
        let err = run_command(&argv, FLOW).await.expect_err("exit 3");
        let shown = err.to_string();
        assert!(shown.contains("the-reason"), "{shown}");
        assert!(
            shown.len() < MAX_STDERR_BYTES + 200,
            "{} bytes",
            shown.len()
        );
        assert_eq!(stderr_tail("é".repeat(2000).as_bytes()).len() % 2, 0);
    }
}
