//! Registers pyflyte packages (`pyflyte package` archives, local or at `http(s)://` URLs, or
//! directories of `.pb` files) the way `flytectl register files --archive` does, but
//! concurrently: each entity as soon as what it references is registered. Shows a progress bar on a terminal, then one row per entity;
//! `--json` prints the report for machines instead (with `seconds`, the time registration took).
//!
//! ```text
//! cargo run --example register -- [--config FILE | --endpoint E [--insecure]] \
//!     ARCHIVE_OR_DIR_OR_URL... --project P --domain D --version V [--concurrency N] \
//!     [--continue-on-error] [--dry-run] [--activate-launch-plans] \
//!     [--k8s-service-account SA] [--output-location-prefix URI] [--json]
//! ```
//! Exit code 0 only when every entity is registered (or already was); 1 otherwise, with the
//! reason on the last line of stderr.

use std::process::ExitCode;

use clap::Parser;
use flyte_admin_client::register::{
    display_id, ArchiveLimits, Outcome, Package, RegisterEvent, RegisterOptions, Report,
    DEFAULT_CONCURRENCY,
};
use flyte_examples::{fail, outln, Connection};

#[derive(Parser, Debug)]
#[command(name = "register", about = "Register pyflyte packages, concurrently")]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    /// Archives (.tgz, .tar.gz, .tar; local paths or http(s):// URLs) or directories of .pb
    /// files, as pyflyte package writes.
    #[arg(required = true)]
    packages: Vec<String>,
    /// Project (default: the config's root.project).
    #[arg(short, long)]
    project: Option<String>,
    /// Domain (default: the config's root.domain).
    #[arg(short, long)]
    domain: Option<String>,
    /// Version for entities without one (required unless the package has versions).
    #[arg(short, long)]
    version: Option<String>,
    /// Use --version for every entity, whatever the package says.
    #[arg(long, requires = "version")]
    force: bool,
    /// Entities in flight at once (1 is flytectl's serial order).
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// Go on after a failure instead of stopping.
    #[arg(long)]
    continue_on_error: bool,
    /// Check and report; send and upload nothing.
    #[arg(long)]
    dry_run: bool,
    /// Make every registered launch plan active (flytectl's --enableSchedule).
    #[arg(long)]
    activate_launch_plans: bool,
    /// Launch plans run as this Kubernetes service account.
    #[arg(long)]
    k8s_service_account: Option<String>,
    /// Launch plans assume this IAM role.
    #[arg(long)]
    iam_role: Option<String>,
    /// Launch plans write raw outputs under this prefix.
    #[arg(long)]
    output_location_prefix: Option<String>,
    /// Where fast-registered code is unpacked in the container (default: .).
    #[arg(long)]
    destination_dir: Option<String>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli).await {
        Ok(report) if report.is_success() => ExitCode::SUCCESS,
        Ok(report) => {
            let failed = report.count(Outcome::Failed);
            let skipped = report.count(Outcome::Skipped);
            fail(format!(
                "{failed} failed and {skipped} not registered of {} entities",
                report.entities.len()
            ))
        }
        Err(e) => fail(e),
    }
}

async fn run(cli: &Cli) -> Result<Report, Box<dyn std::error::Error>> {
    let (urls, paths): (Vec<&String>, Vec<&String>) = cli
        .packages
        .iter()
        .partition(|p| p.starts_with("https://") || p.starts_with("http://"));
    let mut package = Package::open(paths)?;
    let (client, config) = cli.connection.client()?;
    for url in urls {
        package.extend(
            client
                .download_package(url, &ArchiveLimits::default())
                .await?,
        );
    }
    let project = cli
        .project
        .clone()
        .or_else(|| (!config.root.project.is_empty()).then(|| config.root.project.clone()))
        .ok_or("no project: pass --project (or set root.project in the config)")?;
    let domain = cli
        .domain
        .clone()
        .or_else(|| (!config.root.domain.is_empty()).then(|| config.root.domain.clone()))
        .ok_or("no domain: pass --domain (or set root.domain in the config)")?;
    let mut options = RegisterOptions::new(project, domain)
        .force_version(cli.force)
        .concurrency(cli.concurrency)
        .continue_on_error(cli.continue_on_error)
        .dry_run(cli.dry_run)
        .activate_launch_plans(cli.activate_launch_plans);
    if let Some(v) = &cli.version {
        options = options.version(v);
    }
    if let Some(sa) = &cli.k8s_service_account {
        options = options.k8s_service_account(sa);
    }
    if let Some(role) = &cli.iam_role {
        options = options.iam_role(role);
    }
    if let Some(prefix) = &cli.output_location_prefix {
        options = options.output_location_prefix(prefix);
    }
    if let Some(dir) = &cli.destination_dir {
        options = options.destination_dir(dir);
    }

    // Drawn on stderr, and only on a terminal.
    let bar = indicatif::ProgressBar::new(package.entries.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = bar.clone();
    let started = std::time::Instant::now();
    let report = client
        .register_with_progress(package, &options, move |event| match event {
            RegisterEvent::Uploading { name, bytes, .. } => {
                progress.set_message(format!("uploading {name} ({bytes} bytes)"));
            }
            RegisterEvent::Finished(row) => {
                progress.inc(1);
                progress.set_message(row.id.name.clone());
            }
            _ => {}
        })
        .await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();

    if cli.json {
        let mut json = to_json(&report);
        json["seconds"] = serde_json::json!(seconds);
        outln!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print_table(&report);
    }
    Ok(report)
}

fn outcome_text(o: Outcome) -> &'static str {
    match o {
        Outcome::Registered => "registered",
        Outcome::AlreadyExisted => "already registered",
        Outcome::Failed => "FAILED",
        Outcome::Skipped => "not registered",
        Outcome::DryRun => "dry run",
        _ => "other",
    }
}

fn print_table(report: &Report) {
    let width = report
        .entities
        .iter()
        .map(|r| display_id(&r.id).len())
        .max()
        .unwrap_or(0);
    if let Some(uri) = &report.fast_bundle_uri {
        outln!("code bundle: {uri}");
    }
    for r in &report.entities {
        let detail = match r.outcome {
            Outcome::Failed | Outcome::Skipped => format!("  {}", r.message),
            _ => String::new(),
        };
        outln!(
            "{:<11}  {:<width$}  {}{detail}",
            r.kind.as_str(),
            display_id(&r.id),
            outcome_text(r.outcome)
        );
    }
    outln!(
        "{} registered, {} already registered, {} failed, {} not registered",
        report.count(Outcome::Registered) + report.count(Outcome::DryRun),
        report.count(Outcome::AlreadyExisted),
        report.count(Outcome::Failed),
        report.count(Outcome::Skipped)
    );
}

fn to_json(report: &Report) -> serde_json::Value {
    serde_json::json!({
        "fast_bundle_uri": report.fast_bundle_uri,
        "entities": report.entities.iter().map(|r| serde_json::json!({
            "kind": r.kind.as_str(),
            "id": display_id(&r.id),
            "file": r.file,
            "outcome": outcome_text(r.outcome),
            "message": r.message,
        })).collect::<Vec<_>>(),
        "counts": {
            "registered": report.count(Outcome::Registered),
            "already_registered": report.count(Outcome::AlreadyExisted),
            "failed": report.count(Outcome::Failed),
            "not_registered": report.count(Outcome::Skipped),
            "dry_run": report.count(Outcome::DryRun),
        },
    })
}
