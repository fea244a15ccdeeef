//! Peak memory of reading a package: two 2 MB gzip bombs (about 2 GiB of zeros, as 1 MiB code
//! bundles and as one file) against real pyflyte archives, each read with the default
//! `ArchiveLimits` in a child process of its own, whose peak resident set (`VmHWM` of
//! `/proc/self/status`, Linux) is the measure. The bombs are also read with no limits, which
//! is what reading them costs without them.
//!
//! ```text
//! cargo bench -p flyte-admin-client --bench archive_memory
//! ```
//! Prints one line per archive: its size, the outcome, the child's peak resident memory before
//! and after the read, and the time the read took.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use flyte_admin_client::register::{ArchiveLimits, Package};

#[path = "../tests/support/bomb.rs"]
mod bomb;
#[path = "support/peak.rs"]
mod peak;
use peak::peak_kib;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// In the child: read one archive, print `outcome<TAB>peak before<TAB>peak after<TAB>ms`.
fn child(path: &Path, limits: &ArchiveLimits) -> BenchResult<()> {
    let before = peak_kib()?;
    let start = Instant::now();
    let outcome = match Package::open_with([path], limits) {
        Ok(p) => format!("read: {} entities", p.entries.len()),
        Err(e) => format!("refused: {e}"),
    };
    let ms = start.elapsed().as_millis();
    println!("{outcome}\t{before}\t{}\t{ms}", peak_kib()?);
    Ok(())
}

fn main() -> BenchResult<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let path = args.get(i + 1).ok_or("--child PATH")?;
        let limits = if args.iter().any(|a| a == "--unlimited") {
            ArchiveLimits::new()
                .max_entry_bytes(u64::MAX)
                .max_total_bytes(u64::MAX)
                .max_entries(usize::MAX)
        } else {
            ArchiveLimits::new()
        };
        return child(Path::new(path), &limits);
    }
    let dir = tempfile::tempdir()?;
    let bomb_path = dir.path().join("bomb.tgz");
    std::fs::write(
        &bomb_path,
        bomb::gzip_bomb("fast.tar.gz", 1024 * 1024, 1900)?,
    )?;
    let huge_path = dir.path().join("huge.tgz");
    std::fs::write(&huge_path, bomb::huge_entry_bomb("fast.tar.gz", 2047)?)?;
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pyflyte");
    let inputs: Vec<(PathBuf, bool)> = vec![
        (bomb_path.clone(), false),
        (huge_path.clone(), false),
        (fixtures.join("shapes.tgz"), false),
        (fixtures.join("wide.tgz"), false),
        (fixtures.join("demo-fast.tgz"), false),
        (bomb_path, true),
        (huge_path, true),
    ];
    let me = std::env::current_exe()?;
    println!(
        "archive\tlimits\tbytes\tpeak RSS before (KiB)\tpeak RSS after (KiB)\tread (ms)\toutcome"
    );
    for (path, unlimited) in inputs {
        let mut cmd = Command::new(&me);
        cmd.arg("--child").arg(&path);
        if unlimited {
            cmd.arg("--unlimited");
        }
        let out = cmd.output()?;
        if !out.status.success() {
            return Err(format!(
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        let line = String::from_utf8(out.stdout)?;
        let mut fields = line.trim_end().split('\t');
        let (outcome, before, after, ms) = (
            fields.next().unwrap_or_default(),
            fields.next().unwrap_or_default(),
            fields.next().unwrap_or_default(),
            fields.next().unwrap_or_default(),
        );
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = std::fs::metadata(&path)?.len();
        let limits = if unlimited { "none" } else { "default" };
        println!("{name}\t{limits}\t{bytes}\t{before}\t{after}\t{ms}\t{outcome}");
    }
    Ok(())
}
