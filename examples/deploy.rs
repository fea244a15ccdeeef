//! Lints Helm values for Flyte's charts before `helm install`: unknown keys with the closest
//! known key, blocks in the wrong place, starter-file placeholders, and database, storage and
//! task plugin mistakes, each as `FILE:LINE:COL: SEVERITY[RULE] PATH: MESSAGE`. Exits 1 when
//! any finding is an error, or with one `error: ...` line when the file cannot be read or is
//! not YAML.
//!
//! ```text
//! cargo run --example deploy -- lint values.yaml [--chart flyte-binary|flyte-core] [-o text|json]
//! ```
//!
//! Without `--chart` the chart is guessed from the top-level keys.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use flyte_deploy::{Chart, Linter, Report};
use flyte_examples::{fail, outln};

#[derive(Parser, Debug)]
#[command(name = "deploy", about = "Lint Helm values for Flyte's charts")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print every finding in a values file; exit 1 when there are errors.
    Lint {
        /// The values file.
        file: PathBuf,
        /// The chart the file is for (default: guessed from the keys).
        #[arg(long)]
        chart: Option<Chart>,
        /// Output format.
        #[arg(short, long, value_enum, default_value_t = Format::Text)]
        output: Format,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let Command::Lint {
        file,
        chart,
        output,
    } = Cli::parse().command;
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) => return fail(format_args!("{}: {e}", file.display())),
    };
    let linter = chart.map_or_else(Linter::new, |c| Linter::new().chart(c));
    let report = match linter.lint(&text) {
        Ok(report) => report,
        Err(e) => {
            let cause = std::error::Error::source(&e)
                .map(|c| format!(": {c}"))
                .unwrap_or_default();
            return fail(format_args!("{}: {e}{cause}", file.display()));
        }
    };
    match output {
        Format::Text => print_text(&file, &report),
        Format::Json => print_json(&file, &report),
    }
    if report.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_text(file: &std::path::Path, report: &Report) {
    if report.chart_guessed {
        eprintln!(
            "linting {} as {} (guessed from its keys; set --chart to choose)",
            file.display(),
            report.chart
        );
    }
    for finding in &report.findings {
        outln!("{}:{finding}", file.display());
    }
}

fn print_json(file: &std::path::Path, report: &Report) {
    let findings: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "file": file.display().to_string(),
                "line": f.line,
                "column": f.column,
                "severity": f.severity.to_string(),
                "rule": f.rule.id(),
                "path": f.path,
                "message": f.message,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "chart": report.chart.name(),
        "chartGuessed": report.chart_guessed,
        "findings": findings,
    });
    outln!("{doc:#}");
}
