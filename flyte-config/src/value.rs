//! Untyped YAML values, for the parts of flytectl's files whose shape depends on the server
//! (execution inputs) or that we carry without interpreting.

use std::fmt;

/// A YAML value with its mapping order kept.
///
/// Plain scalars resolve as YAML 1.2's core schema says (`true`, `12`, `1.5`, `~`); quoted
/// scalars are always strings. Mapping keys are kept as text.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum Value {
    /// `~`, `null` or an empty value.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// Text.
    String(String),
    /// A sequence.
    List(Vec<Value>),
    /// A mapping, in file order.
    Map(Vec<(String, Value)>),
}

impl Value {
    /// The entry named `key` when this is a mapping (exact match).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer when this is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The boolean when this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Parses a YAML document into a value.
    ///
    /// # Errors
    /// A syntax error, or a document that nests too deeply or whose aliases explode.
    pub fn from_yaml_str(text: &str) -> crate::Result<Value> {
        match crate::yaml::parse(text) {
            Ok(Some(node)) => Ok(node.to_value()),
            Ok(None) => Ok(Value::Null),
            Err(e) => Err(crate::Error::syntax(None, e)),
        }
    }

    /// Writes this value as block-style YAML.
    pub fn to_yaml_string(&self) -> String {
        crate::yaml::emit(self)
    }

    /// This value as JSON, for APIs that take JSON (FlyteAdmin's literals, struct inputs).
    ///
    /// Nulls, booleans, 64-bit integers, strings, sequences and mappings map one to one.
    /// Finite floats become JSON numbers; NaN and the infinities become `null`, as JSON has no
    /// spelling for them. A mapping that repeats a key keeps the last value. Keys are in the
    /// order of [`serde_json::Map`]: sorted, or file order when serde_json's `preserve_order`
    /// feature is on.
    ///
    /// The result is a `serde_json::Value` on purpose: it is what JSON-taking APIs accept, and
    /// serde_json 1 is stable, so it does not tie callers to this crate's dependencies.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match self {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Value::String(s) => Json::String(s.clone()),
            Value::List(items) => Json::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

impl fmt::Display for Value {
    /// One-line YAML (flow style for collections).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::yaml::emit_inline(self))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Value;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn scalars_become_their_json_kind() {
        assert_eq!(Value::Null.to_json(), json!(null));
        assert_eq!(Value::Bool(true).to_json(), json!(true));
        assert_eq!(Value::Bool(false).to_json(), json!(false));
        assert_eq!(Value::Int(-12).to_json(), json!(-12));
        assert_eq!(Value::Float(0.5).to_json(), json!(0.5));
        assert_eq!(Value::String("héllo".into()).to_json(), json!("héllo"));
        assert_eq!(Value::String(String::new()).to_json(), json!(""));
    }

    #[test]
    fn integers_keep_every_bit_of_i64() {
        assert_eq!(Value::Int(i64::MAX).to_json().as_i64(), Some(i64::MAX));
        assert_eq!(Value::Int(i64::MIN).to_json().as_i64(), Some(i64::MIN));
        assert_eq!(
            Value::Int(i64::MAX).to_json().to_string(),
            "9223372036854775807"
        );
    }

    #[test]
    fn integers_beyond_i64_arrive_as_floats() -> TestResult {
        // YAML reads them as floats (they do not fit 64 bits), and JSON keeps the float.
        let v = Value::from_yaml_str("99999999999999999999")?;
        assert_eq!(v, Value::Float(1e20));
        assert_eq!(v.to_json().as_f64(), Some(1e20));
        assert!(v.to_json().as_i64().is_none());
        Ok(())
    }

    #[test]
    fn non_finite_floats_become_null() -> TestResult {
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(Value::Float(f).to_json(), json!(null), "{f}");
        }
        let v = Value::from_yaml_str("[.nan, .inf, -.inf, 1.5e3]")?;
        assert_eq!(v.to_json(), json!([null, null, null, 1500.0]));
        Ok(())
    }

    #[test]
    fn nested_collections_convert_all_the_way_down() -> TestResult {
        let v = Value::from_yaml_str(
            "outer:\n  inner:\n    list: [1, two, {three: 3.0}]\n    empty_map: {}\n    empty_list: []\n    none: ~\n",
        )?;
        assert_eq!(
            v.to_json(),
            json!({"outer": {"inner": {
                "list": [1, "two", {"three": 3.0}],
                "empty_map": {},
                "empty_list": [],
                "none": null,
            }}})
        );
        Ok(())
    }

    #[test]
    fn quoted_scalars_stay_strings() -> TestResult {
        let v = Value::from_yaml_str("a: \"12\"\nb: 'true'\nc: \"~\"\nd: 0x1f\n")?;
        assert_eq!(
            v.to_json(),
            json!({"a": "12", "b": "true", "c": "~", "d": 31})
        );
        Ok(())
    }

    #[test]
    fn a_repeated_key_keeps_the_last_value() {
        let v = Value::Map(vec![
            ("k".into(), Value::Int(1)),
            ("other".into(), Value::Bool(true)),
            ("k".into(), Value::Int(2)),
        ]);
        assert_eq!(v.to_json(), json!({"k": 2, "other": true}));
    }
}
