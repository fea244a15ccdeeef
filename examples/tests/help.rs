//! Every example answers `--help` with its usage, and exits 0.

mod common;

const EXAMPLES: [&str; 15] = [
    "quickstart",
    "config",
    "deploy",
    "login",
    "projects",
    "register",
    "launch",
    "launchplans",
    "executions",
    "attributes",
    "storage",
    "onboard",
    "secrets",
    "doctor",
    "cache",
];

#[test]
fn every_example_answers_help() -> Result<(), Box<dyn std::error::Error>> {
    for name in EXAMPLES {
        let out = std::process::Command::new(common::example(name)?)
            .arg("--help")
            .env_clear()
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name} --help failed");
        assert!(text.contains("Usage:"), "{name} --help:\n{text}");
    }
    // And each is one of the crate's examples, so this list stays whole.
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))?;
    assert_eq!(manifest.matches("[[example]]").count(), EXAMPLES.len());
    Ok(())
}
