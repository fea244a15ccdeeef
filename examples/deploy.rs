//! Lints Helm values for Flyte's charts before `helm install`: unknown keys with the closest
//! known key, blocks in the wrong place, starter-file placeholders, and database, storage and
//! task plugin mistakes, each as `FILE:LINE:COL: SEVERITY[RULE] PATH: MESSAGE`. Exits 1 when
//! any finding is an error, or with one `error: ...` line when the file cannot be read or is
//! not YAML. `init` writes starter values for a chart and a cloud that lint clean.
//!
//! ```text
//! cargo run --example deploy -- lint values.yaml [--chart flyte-binary|flyte-core] [-o text|json]
//! cargo run --example deploy -- init --chart flyte-binary --cloud aws --bucket acme-flyte \
//!     --region us-east-1 --role-arn arn:aws:iam::123456789012:role/flyte \
//!     --db-host flyte.abc.rds.amazonaws.com [--db-password-env PGPASSWORD] [--out values.yaml [--force]]
//! ```
//!
//! Without `--chart` the chart is guessed from the top-level keys. `init` prints to stdout
//! unless `--out` is given, and refuses to replace an existing file without `--force`.
//! Secrets (`--db-password-env`, `--secret-key-env`) are read from the environment variable
//! named, never from the command line, where other users could read them.
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
use flyte_deploy::{Chart, CheckReport, Cloud, Linter, Report, Starter};
use flyte_examples::{fail, outln, KubeArgs};

#[derive(Parser, Debug)]
#[command(
    name = "deploy",
    about = "Lint and write Helm values for Flyte's charts"
)]
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
    /// Write starter values for a chart on a cloud (stdout unless --out).
    Init(Box<InitArgs>),
}

#[derive(clap::Args, Debug)]
struct InitArgs {
    /// The chart.
    #[arg(long)]
    chart: Chart,
    /// The cloud: aws, gcp, azure or minio.
    #[arg(long)]
    cloud: Cloud,
    /// The bucket (Azure: container) for metadata, and for task data unless --user-data-bucket.
    #[arg(long)]
    bucket: Option<String>,
    /// A separate bucket (Azure: container) for task data.
    #[arg(long)]
    user_data_bucket: Option<String>,
    /// AWS or MinIO region.
    #[arg(long)]
    region: Option<String>,
    /// AWS: the IAM role the pods assume (IRSA).
    #[arg(long)]
    role_arn: Option<String>,
    /// GCP: the project.
    #[arg(long)]
    project: Option<String>,
    /// GCP: the Google service account the pods act as (Workload Identity).
    #[arg(long)]
    gcp_service_account: Option<String>,
    /// Azure: the storage account.
    #[arg(long)]
    storage_account: Option<String>,
    /// Azure: the client id of the workload identity.
    #[arg(long)]
    azure_client_id: Option<String>,
    /// MinIO: the S3 endpoint URL.
    #[arg(long)]
    endpoint: Option<String>,
    /// MinIO: the access key.
    #[arg(long)]
    access_key: Option<String>,
    /// MinIO: the environment variable holding the secret key.
    #[arg(long, value_name = "VAR")]
    secret_key_env: Option<String>,
    /// The Postgres host.
    #[arg(long)]
    db_host: Option<String>,
    /// The Postgres port (default 5432).
    #[arg(long)]
    db_port: Option<u16>,
    /// The database name.
    #[arg(long)]
    db_name: Option<String>,
    /// The database user (default postgres).
    #[arg(long)]
    db_user: Option<String>,
    /// The environment variable holding the database password.
    #[arg(long, value_name = "VAR")]
    db_password_env: Option<String>,
    /// A file in the pod holding the database password.
    #[arg(long)]
    db_password_path: Option<String>,
    /// Write here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace --out when it exists.
    #[arg(long, requires = "out")]
    force: bool,
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
        Command::Init(args) => init(*args),
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

fn init(args: InitArgs) -> ExitCode {
    let secret = |var: &Option<String>| match var {
        None => Ok(None),
        Some(name) => std::env::var(name)
            .map(Some)
            .map_err(|_| format!("the environment variable {name} is not set")),
    };
    let (secret_key, db_password) =
        match (secret(&args.secret_key_env), secret(&args.db_password_env)) {
            (Ok(s), Ok(p)) => (s, p),
            (Err(e), _) | (_, Err(e)) => return fail(e),
        };
    let mut starter = Starter::new(args.chart, args.cloud);
    let inputs = [
        (
            args.bucket,
            Starter::bucket as fn(Starter, String) -> Starter,
        ),
        (args.user_data_bucket, Starter::user_data_bucket),
        (args.region, Starter::region),
        (args.role_arn, Starter::role_arn),
        (args.project, Starter::project),
        (args.gcp_service_account, Starter::gcp_service_account),
        (args.storage_account, Starter::storage_account),
        (args.azure_client_id, Starter::azure_client_id),
        (args.endpoint, Starter::endpoint),
        (args.access_key, Starter::access_key),
        (secret_key, |s, v| Starter::secret_key(s, v)),
        (args.db_host, Starter::db_host),
        (args.db_name, Starter::db_name),
        (args.db_user, Starter::db_user),
        (db_password, |s, v| Starter::db_password(s, v)),
        (args.db_password_path, Starter::db_password_path),
    ];
    for (value, set) in inputs {
        if let Some(value) = value {
            starter = set(starter, value);
        }
    }
    if let Some(port) = args.db_port {
        starter = starter.db_port(port);
    }
    let yaml = match starter.render() {
        Ok(yaml) => yaml,
        Err(e) => return fail(e),
    };
    let Some(path) = args.out else {
        outln!("{}", yaml.trim_end());
        return ExitCode::SUCCESS;
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        // create_new refuses an existing file atomically, so nothing is ever half-replaced.
        options.create_new(true);
    }
    // The values may hold the database password or a storage secret key: owner only, also
    // when --force replaces a file that others could read.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&path).and_then(|mut f| {
        #[cfg(unix)]
        f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        std::io::Write::write_all(&mut f, yaml.as_bytes())
    });
    match written {
        Ok(()) => {
            eprintln!(
                "wrote {} ({} on {})",
                path.display(),
                args.chart,
                args.cloud
            );
            ExitCode::SUCCESS
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => fail(format_args!(
            "{} exists; pass --force to replace it",
            path.display()
        )),
        Err(e) => fail(format_args!("{}: {e}", path.display())),
    }
}
