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
