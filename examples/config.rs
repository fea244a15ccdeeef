//! Shows, checks and writes flytectl's client config, the file every flyte-rs crate starts from.
//!
//! `show` prints the effective config (defaults, file and `FLYTE_*` variables merged) with
//! flytectl's key names and secrets redacted; `validate` prints every problem as
//! `FILE:LINE:COL: key: message` and exits 1 when there are errors; `init` writes a starter
//! file like `flytectl config init`; `env` lists the variable for each key.
//!
//! ```text
//! cargo run --example config -- show [--config FILE] [-o yaml|json]
//! cargo run --example config -- validate [--config FILE] [--strict]
//! cargo run --example config -- init --host flyte.example.com [--insecure] [--console URL] [--force] [--path FILE]
//! cargo run --example config -- env
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use flyte_config::{Config, ConfigLoader, Diagnostic, Error, InitOptions};
use flyte_examples::{fail, out, outln};

#[derive(Parser, Debug)]
#[command(
    name = "config",
    about = "Show, validate and write flytectl's client config"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the effective config with secrets redacted, and the file it came from.
    Show {
        /// Config file (default: flytectl's search order).
        #[arg(short, long)]
        config: Option<PathBuf>,
        /// Output format.
        #[arg(short, long, value_enum, default_value_t = Format::Yaml)]
        output: Format,
    },
    /// Print every problem in the config; exit 1 when there are errors.
    Validate {
        /// Config file (default: flytectl's search order).
        #[arg(short, long)]
        config: Option<PathBuf>,
        /// Treat warnings (unknown keys, deprecated keys) as errors.
        #[arg(long)]
        strict: bool,
    },
    /// Write a starter config, as `flytectl config init` does.
    Init {
        /// FlyteAdmin host with an optional port (default: the local demo cluster).
        #[arg(long)]
        host: Option<String>,
        /// Use plaintext gRPC.
        #[arg(long)]
        insecure: bool,
        /// The console URL.
        #[arg(long)]
        console: Option<String>,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
        /// Where to write (default: ~/.flyte/config.yaml).
        #[arg(long)]
        path: Option<PathBuf>,
    },
    /// List each config key with the environment variables that set it.
    Env,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Yaml,
    Json,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Show { config, output } => show(config, output),
        Command::Validate { config, strict } => validate(config, strict),
        Command::Init {
            host,
            insecure,
            console,
            force,
            path,
        } => init(host, insecure, console, force, path),
        Command::Env => env(),
    }
}

fn show(path: Option<PathBuf>, format: Format) -> ExitCode {
    let config = match ConfigLoader::new().maybe_path(path).load() {
        Ok(c) => c,
        Err(e) => return report_load_error(&e),
    };
    for w in config.warnings() {
        eprintln!("{w}");
    }
    let value = config.to_value_redacted();
    match format {
        Format::Yaml => {
            outln!("# source: {}", config.source());
            out!("{}", value.to_yaml_string());
        }
        Format::Json => {
            let out = serde_json::json!({
                "source": config.source().to_string(),
                "config": value.to_json(),
            });
            match serde_json::to_string_pretty(&out) {
                Ok(text) => outln!("{text}"),
                Err(e) => return fail(e),
            }
        }
    }
    ExitCode::SUCCESS
}

fn validate(path: Option<PathBuf>, strict: bool) -> ExitCode {
    let (config, mut problems) = match ConfigLoader::new().maybe_path(path).load_lenient() {
        Ok(loaded) => loaded,
        Err(e) => return report_load_error(&e),
    };
    problems.extend(config.validate());
    for p in &problems {
        outln!("{p}");
    }
    let failing = problems.iter().filter(|p| strict || p.is_error()).count();
    if failing > 0 {
        eprintln!("{failing} problem(s) in {}", config.source());
        return ExitCode::FAILURE;
    }
    eprintln!("ok: {}", config.source());
    ExitCode::SUCCESS
}

/// Errors that stop loading are printed like problems: with their position where they have one.
fn report_load_error(e: &Error) -> ExitCode {
    let diagnostics: &[Diagnostic] = e.diagnostics();
    if diagnostics.is_empty() {
        outln!("{e}");
    } else {
        for d in diagnostics {
            outln!("{d}");
        }
    }
    ExitCode::FAILURE
}

fn init(
    host: Option<String>,
    insecure: bool,
    console: Option<String>,
    force: bool,
    path: Option<PathBuf>,
) -> ExitCode {
    let Some(path) = path.or_else(InitOptions::default_path) else {
        return fail("no home directory is known; pass --path");
    };
    let mut options = InitOptions::new().insecure(insecure).force(force);
    if let Some(h) = host {
        options = options.host(h);
    }
    if let Some(c) = console {
        options = options.console(c);
    }
    match options.write(&path) {
        Ok(()) => {
            outln!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(Error::Exists { path }) => fail(format!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        )),
        Err(e) => fail(e),
    }
}

fn env() -> ExitCode {
    outln!("{:<44} {:<48} PYFLYTE", "KEY", "VARIABLE");
    for key in Config::keys() {
        let secret = if key.secret { " (secret)" } else { "" };
        outln!(
            "{:<44} {:<48} {}{secret}",
            key.path,
            key.env_var,
            key.pyflyte_env_var.unwrap_or("-")
        );
    }
    ExitCode::SUCCESS
}
