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
//!
//! `check` reads a running release instead (kubeconfig as kubectl finds it, or `--kubeconfig`,
//! `--context`): the Flyte config its chart rendered into ConfigMaps, merged per service as
//! Flyte merges it and linted with the same rules, then checked against the cluster (plugin
//! CRDs, connector Services, the database password Secret, the service accounts' cloud
//! identity) with the chart and Flyte version running. Each finding that is about a config value
//! prints as `configmap/NAME[FILE]:LINE:COL: ...`. Exits 1 when any finding is an error, or
//! with one `error: ...` line when there is no such release or the cluster cannot be read.
//!
//! ```text
//! cargo run --example deploy -- check [--namespace flyte] [--release NAME] [-o text|json]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use flyte_deploy::{Chart, CheckReport, Linter, Report};
use flyte_examples::{fail, outln, KubeArgs};

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
    /// Check a running release: its rendered config, linted, and against the cluster; exit 1
    /// when there are errors.
    Check {
        #[command(flatten)]
        kube: KubeArgs,
        /// The namespace Flyte runs in.
        #[arg(short, long, default_value = "flyte")]
        namespace: String,
        /// The Helm release (default: the only Flyte release in the namespace).
        #[arg(long)]
        release: Option<String>,
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
    match Cli::parse().command {
        Command::Lint {
            file,
            chart,
            output,
        } => lint(&file, chart, output),
        Command::Check {
            kube,
            namespace,
            release,
            output,
        } => check(&kube, &namespace, release.as_deref(), output),
    }
}

fn lint(file: &std::path::Path, chart: Option<Chart>, output: Format) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
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
        Format::Text => print_text(file, &report),
        Format::Json => print_json(file, &report),
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

/// `error: MESSAGE: CAUSE` for an error and its sources, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    text
}

fn check(kube: &KubeArgs, namespace: &str, release: Option<&str>, output: Format) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(e),
    };
    let result = runtime.block_on(async {
        let k8s = kube.client().await.map_err(|e| chain(&e))?;
        flyte_deploy::check(&k8s, namespace, release)
            .await
            .map_err(|e| chain(&e))
    });
    let report = match result {
        Ok(report) => report,
        Err(e) => return fail(e),
    };
    match output {
        Format::Text => print_check(&report),
        Format::Json => match serde_json::to_string_pretty(&report) {
            Ok(doc) => outln!("{doc}"),
            Err(e) => return fail(e),
        },
    }
    if report.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_check(report: &CheckReport) {
    outln!(
        "release {} in namespace {}: {} {}, Flyte {}",
        report.release,
        report.namespace,
        report.chart,
        report
            .chart_version
            .as_deref()
            .unwrap_or("(unknown version)"),
        report
            .flyte_version
            .as_deref()
            .unwrap_or("(versions differ or unknown)")
    );
    for c in &report.components {
        outln!(
            "  {}: deployment {}, image {}, service account {}, {} config files",
            c.name,
            c.deployment.as_deref().unwrap_or("(missing)"),
            c.image.as_deref().unwrap_or("-"),
            c.service_account.as_deref().unwrap_or("-"),
            c.config_files.len()
        );
    }
    for finding in &report.findings {
        outln!("{finding}");
    }
    if report.findings.is_empty() {
        outln!("no findings");
    }
}
