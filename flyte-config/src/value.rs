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
    pub fn from_yaml_str(text: &str) -> Result<Value, crate::Error> {
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
