//! Helpers shared by the flyte-rs examples: one-line failures and JSON output.
//!
//! The examples themselves live beside this crate (`examples/*.rs`); run one with
//! `cargo run --example NAME -- --help`.

use std::fmt::Display;
use std::process::ExitCode;

use flyte_config::Value;

/// Prints `error: {e}` on one line to stderr and returns exit code 1.
pub fn fail(e: impl Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::FAILURE
}

/// A YAML value as JSON. Non-finite floats become `null`, as JSON has no other spelling for them.
pub fn to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::List(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        _ => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_values_become_json() {
        let v = Value::Map(vec![
            (
                "a".into(),
                Value::List(vec![Value::Int(1), Value::Float(0.5)]),
            ),
            ("b".into(), Value::Null),
            ("c".into(), Value::Float(f64::NAN)),
        ]);
        assert_eq!(
            to_json(&v).to_string(),
            r#"{"a":[1,0.5],"b":null,"c":null}"#
        );
    }
}
