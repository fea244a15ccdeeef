//! Bad input of any shape is an error, never a panic: every fixture, mutated many ways, goes
//! through every reader. (`fuzz/` has the same check as a cargo-fuzz target.)

use std::path::Path;

use flyte_config::files::{
    ClusterResourceAttributesFile, ExecutionClusterLabelFile, ExecutionQueueAttributesFile,
    PluginOverridesFile, TaskResourceAttributesFile, WorkflowExecutionConfigFile,
};
use flyte_config::{AttributeFile, Config, ExecSpec, ProjectFile, ValidateOptions, Value};

/// A small deterministic generator, so a failure reproduces.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SPICE: &[&str] = &[
    ":",
    "- ",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "!!str ",
    "\"",
    "'",
    "\n",
    "  ",
    "#",
    "|",
    ">",
    "~",
    "0x",
    "-1",
    "1e999",
    "---\n",
    "? ",
    "\t",
    "\u{feff}",
    "é",
    "\\",
    ",",
    "%YAML 1.2\n",
];

fn mutate(rng: &mut XorShift, text: &str) -> String {
    let mut s: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(s.len() + 1);
        match rng.below(3) {
            0 if !s.is_empty() => {
                let end = (at + rng.below(8)).min(s.len());
                s.drain(at.min(s.len())..end);
            }
            1 => {
                let spice = SPICE[rng.below(SPICE.len())];
                for (i, c) in spice.chars().enumerate() {
                    s.insert((at + i).min(s.len()), c);
                }
            }
            _ => {
                if !s.is_empty() {
                    let i = at.min(s.len() - 1);
                    s[i] = char::from(b' ' + (rng.below(95) as u8));
                }
            }
        }
    }
    s.into_iter().collect()
}

fn exercise(text: &str) {
    if let Ok(c) = Config::from_yaml_str(text) {
        let _ = c.validate_with(&ValidateOptions::offline());
        let _ = c.endpoint();
        let written = c.to_yaml_string();
        // What we write, we read back.
        let back = Config::from_yaml_str(&written)
            .unwrap_or_else(|e| panic!("rewritten config unreadable: {e}\n{written}"));
        assert_eq!(back, c, "round trip changed the config:\n{written}");
    }
    let _ = ExecSpec::from_yaml_str(text).map(|s| s.to_yaml_string());
    let _ = ProjectFile::from_yaml_str(text).map(|p| p.to_yaml_string());
    let _ = TaskResourceAttributesFile::from_yaml_str(text).map(|f| f.to_yaml_string());
    let _ = ClusterResourceAttributesFile::from_yaml_str(text).map(|f| f.to_yaml_string());
    let _ = ExecutionQueueAttributesFile::from_yaml_str(text).map(|f| f.to_yaml_string());
    let _ = ExecutionClusterLabelFile::from_yaml_str(text).map(|f| f.to_yaml_string());
    let _ = PluginOverridesFile::from_yaml_str(text).map(|f| f.to_yaml_string());
    let _ = WorkflowExecutionConfigFile::from_yaml_str(text).map(|f| f.to_yaml_string());
    if let Ok(v) = Value::from_yaml_str(text) {
        let _ = Value::from_yaml_str(&v.to_yaml_string());
    }
}

#[test]
fn mutated_fixtures_never_panic() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut rng = XorShift(0x5eed_f1e7_c0ff_ee11);
    let mut fixtures = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        fixtures.push(std::fs::read_to_string(entry?.path())?);
    }
    fixtures.sort();
    for text in &fixtures {
        exercise(text);
        for _ in 0..300 {
            exercise(&mutate(&mut rng, text));
        }
    }
    Ok(())
}

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The path and limit of a [`flyte_config::Error::TooLarge`], whose message names the path.
fn too_large<T: std::fmt::Debug>(
    result: Result<T, flyte_config::Error>,
) -> Result<(String, u64), String> {
    let e = match result {
        Ok(v) => return Err(format!("expected TooLarge, got {v:?}")),
        Err(e) => e,
    };
    let shown = e.to_string();
    match e {
        flyte_config::Error::TooLarge { path, limit, .. }
            if shown.contains(&path.display().to_string()) =>
        {
            Ok((path.display().to_string(), limit))
        }
        other => Err(format!("expected TooLarge naming its file, got {other:?}")),
    }
}

#[test]
fn files_that_never_end_are_refused_by_size_not_read_without_end() -> TestResult {
    // /dev/zero says it is empty and never ends; it is refused once past the limit.
    let limit = flyte_config::MAX_CONFIG_FILE_BYTES;
    let loaded = flyte_config::ConfigLoader::new()
        .env_vars([("FLYTECTL_CONFIG", "/dev/zero")])
        .load();
    assert_eq!(too_large(loaded)?, ("/dev/zero".to_owned(), limit));
    assert_eq!(too_large(ExecSpec::from_path("/dev/zero"))?.1, limit);
    assert_eq!(too_large(ProjectFile::from_path("/dev/zero"))?.1, limit);
    assert_eq!(
        too_large(TaskResourceAttributesFile::from_path("/dev/zero"))?.1,
        limit
    );

    // A sparse file of 1 TiB is refused by its size, before a byte is read.
    let dir = tempfile::tempdir()?;
    let huge = dir.path().join("config.yaml");
    std::fs::File::create(&huge)?.set_len(1 << 40)?;
    assert_eq!(too_large(Config::from_path(&huge))?.1, limit);

    // The client secret file has a limit of its own.
    let config = Config::from_yaml_str("admin:\n  clientSecretLocation: /dev/zero\n")?;
    assert_eq!(
        too_large(config.client_secret())?,
        ("/dev/zero".to_owned(), flyte_config::MAX_SECRET_FILE_BYTES)
    );
    Ok(())
}

#[test]
fn a_fifo_that_never_ends_is_refused_once_past_the_limit() -> TestResult {
    let dir = tempfile::tempdir()?;
    let fifo = dir.path().join("config.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status()?;
    assert!(made.success(), "mkfifo");
    // A writer that writes until the reader goes away (then its write fails).
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || -> std::io::Result<()> {
            let mut out = std::fs::OpenOptions::new().write(true).open(fifo)?;
            let line = b"# a comment, forever\n".repeat(4096);
            loop {
                std::io::Write::write_all(&mut out, &line)?;
            }
        })
    };
    let loaded = flyte_config::ConfigLoader::new()
        .env_vars([("FLYTECTL_CONFIG", fifo.display().to_string())])
        .load();
    let (path, limit) = too_large(loaded)?;
    assert_eq!(
        (path, limit),
        (
            fifo.display().to_string(),
            flyte_config::MAX_CONFIG_FILE_BYTES
        )
    );
    let ended = writer.join().map_err(|_| "the writer panicked")?;
    assert!(ended.is_err(), "the writer ends when the reader stops");
    Ok(())
}
