//! Any bytes through every flyte-config reader: errors are fine, panics and hangs are bugs.
//! Run with `cargo +nightly fuzz run config_loader` from this directory.
#![no_main]

use flyte_config::files::{PluginOverridesFile, WorkflowExecutionConfigFile};
use flyte_config::{AttributeFile, Config, ExecSpec, ProjectFile, ValidateOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::from_yaml_str(text) {
        let _ = config.validate_with(&ValidateOptions::offline());
        let _ = config.endpoint();
        let written = config.to_yaml_string();
        let back = Config::from_yaml_str(&written).expect("what we write, we read");
        assert_eq!(back, config);
    }
    let _ = ExecSpec::from_yaml_str(text);
    let _ = ProjectFile::from_yaml_str(text);
    let _ = PluginOverridesFile::from_yaml_str(text);
    let _ = WorkflowExecutionConfigFile::from_yaml_str(text);
});
