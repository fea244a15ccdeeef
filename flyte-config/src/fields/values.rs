//! Each kind of leaf value: how it is read from YAML and from text (environment variables,
//! overrides) and written back.

use std::collections::BTreeMap;
use std::time::Duration;

use super::Field;
use crate::duration;
use crate::secret::Secret;
use crate::value::Value;
use crate::yaml::{Kind, Node};

fn scalar<'n>(node: &'n Node, expected: &str) -> Result<&'n str, String> {
    match &node.kind {
        Kind::Scalar { text, .. } => Ok(text),
        _ => Err(format!("expected {expected}, found {}", node.describe())),
    }
}

impl Field for String {
    fn decode(&mut self, node: &Node, _: &mut Vec<String>) -> Result<(), String> {
        *self = if node.is_null() {
            String::new()
        } else {
            scalar(node, "a string")?.to_owned()
        };
        Ok(())
    }
    fn parse_text(&mut self, text: &str) -> Result<(), String> {
        text.clone_into(self);
        Ok(())
    }
    fn encode(&self) -> Value {
        Value::String(self.clone())
    }
}

impl Field for Secret {
    fn decode(&mut self, node: &Node, w: &mut Vec<String>) -> Result<(), String> {
        let mut s = String::new();
        s.decode(node, w)?;
        *self = Secret::new(s);
        Ok(())
    }
    fn parse_text(&mut self, text: &str) -> Result<(), String> {
        *self = Secret::new(text);
        Ok(())
    }
    fn encode(&self) -> Value {
        Value::String(self.expose().to_owned())
    }
    fn is_secret(&self) -> bool {
        true
    }
}

/// Booleans as flytestdlib's weakly typed decoding takes them.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" | "t" | "y" => Some(true),
        "false" | "no" | "off" | "0" | "f" | "n" => Some(false),
        _ => None,
    }
}

impl Field for bool {
    fn decode(&mut self, node: &Node, _: &mut Vec<String>) -> Result<(), String> {
        if node.is_null() {
            *self = false;
            return Ok(());
        }
        let text = scalar(node, "true or false")?;
        *self = parse_bool(text)
            .ok_or_else(|| format!("expected true or false, found {}", node.describe()))?;
        Ok(())
    }
    fn parse_text(&mut self, text: &str) -> Result<(), String> {
        *self = parse_bool(text.trim())
            .ok_or_else(|| format!("expected true or false, found {text:?}"))?;
        Ok(())
    }
    fn encode(&self) -> Value {
        Value::Bool(*self)
    }
}

macro_rules! int_field {
    ($($t:ty),*) => {$(
        impl Field for $t {
            fn decode(&mut self, node: &Node, _: &mut Vec<String>) -> Result<(), String> {
                if node.is_null() {
                    *self = 0;
                    return Ok(());
                }
                let text = scalar(node, "an integer")?;
                self.parse_text(text)
                    .map_err(|_| format!("expected an integer, found {}", node.describe()))
            }
            fn parse_text(&mut self, text: &str) -> Result<(), String> {
                let wide = crate::yaml::parse_int(text.trim())
                    .ok_or_else(|| format!("expected an integer, found {text:?}"))?;
                *self = <$t>::try_from(wide).map_err(|_| {
                    format!("{wide} is out of range ({} to {})", <$t>::MIN, <$t>::MAX)
                })?;
                Ok(())
            }
            fn encode(&self) -> Value {
                Value::Int(i64::from(*self))
            }
        }
    )*};
}
int_field!(i32, i64);

impl Field for Duration {
    fn decode(&mut self, node: &Node, warnings: &mut Vec<String>) -> Result<(), String> {
        if node.is_null() {
            *self = Duration::ZERO;
            return Ok(());
        }
        let text = scalar(node, "a duration such as \"15s\"")?;
        if let (Some(nanos), Kind::Scalar { plain: true, .. }) =
            (crate::yaml::parse_int(text), &node.kind)
        {
            // flytestdlib reads a bare number as nanoseconds; keep that, but say so.
            let nanos = u64::try_from(nanos)
                .map_err(|_| format!("expected a non-negative duration, found {text}"))?;
            *self = Duration::from_nanos(nanos);
            if nanos != 0 {
                warnings.push(format!(
                    "a bare number is read as {nanos} nanoseconds (as flytectl does); write a unit, e.g. \"{nanos}s\""
                ));
            }
            return Ok(());
        }
        *self = duration::parse(text).map_err(|e| e.reason_with_value())?;
        Ok(())
    }
    fn parse_text(&mut self, text: &str) -> Result<(), String> {
        *self = duration::parse(text.trim()).map_err(|e| e.reason_with_value())?;
        Ok(())
    }
    fn encode(&self) -> Value {
        Value::String(duration::format(*self))
    }
}

impl Field for Vec<String> {
    fn decode(&mut self, node: &Node, _: &mut Vec<String>) -> Result<(), String> {
        *self = match &node.kind {
            _ if node.is_null() => Vec::new(),
            // flytestdlib splits a single string on commas.
            Kind::Scalar { text, .. } => split_list(text),
            Kind::Seq(items) => items
                .iter()
                .map(|item| match &item.kind {
                    Kind::Scalar { text, .. } => Ok(text.clone()),
                    _ => Err(format!(
                        "expected a list of strings, found {} in the list",
                        item.describe()
                    )),
                })
                .collect::<Result<_, _>>()?,
            Kind::Map(_) => return Err("expected a list of strings, found a mapping".to_owned()),
        };
        Ok(())
    }
    fn parse_text(&mut self, text: &str) -> Result<(), String> {
        *self = split_list(text);
        Ok(())
    }
    fn encode(&self) -> Value {
        Value::List(self.iter().cloned().map(Value::String).collect())
    }
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn map_entries<'n>(node: &'n Node, expected: &str) -> Result<&'n [(Node, Node)], String> {
    match &node.kind {
        _ if node.is_null() => Ok(&[]),
        Kind::Map(entries) => Ok(entries),
        _ => Err(format!("expected {expected}, found {}", node.describe())),
    }
}

impl Field for BTreeMap<String, String> {
    fn decode(&mut self, node: &Node, w: &mut Vec<String>) -> Result<(), String> {
        self.clear();
        for (k, v) in map_entries(node, "a mapping of strings")? {
            let mut s = String::new();
            s.decode(v, w)
                .map_err(|e| format!("{}: {e}", k.key_text()))?;
            self.insert(k.key_text(), s);
        }
        Ok(())
    }
    fn parse_text(&mut self, text: &str) -> Result<(), String> {
        self.clear();
        let pairs = split_list(text);
        for (i, pair) in pairs.iter().enumerate() {
            // The entry is named by its position, never shown: it may be part of a
            // credential (a GCS `json=` key holds commas and splits into such entries).
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                format!(
                    "entry {} of {} has no '=' (expected key=value pairs separated by commas)",
                    i + 1,
                    pairs.len()
                )
            })?;
            self.insert(k.trim().to_owned(), v.trim().to_owned());
        }
        Ok(())
    }
    fn encode(&self) -> Value {
        Value::Map(
            self.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    }
}

impl Field for BTreeMap<String, Vec<String>> {
    fn decode(&mut self, node: &Node, w: &mut Vec<String>) -> Result<(), String> {
        self.clear();
        for (k, v) in map_entries(node, "a mapping of string lists")? {
            let mut list = Vec::new();
            list.decode(v, w)
                .map_err(|e| format!("{}: {e}", k.key_text()))?;
            self.insert(k.key_text(), list);
        }
        Ok(())
    }
    fn parse_text(&mut self, text: &str) -> Result<(), String> {
        let mut flat = BTreeMap::<String, String>::new();
        flat.parse_text(text)?;
        *self = flat.into_iter().map(|(k, v)| (k, vec![v])).collect();
        Ok(())
    }
    fn encode(&self) -> Value {
        Value::Map(self.iter().map(|(k, v)| (k.clone(), v.encode())).collect())
    }
}

impl Field for Value {
    fn decode(&mut self, node: &Node, _: &mut Vec<String>) -> Result<(), String> {
        *self = node.to_value();
        Ok(())
    }
    fn parse_text(&mut self, text: &str) -> Result<(), String> {
        *self = Value::from_yaml_str(text).map_err(|e| e.to_string())?;
        Ok(())
    }
    fn encode(&self) -> Value {
        self.clone()
    }
}

impl<T: Field + Default> Field for Option<T> {
    fn decode(&mut self, node: &Node, w: &mut Vec<String>) -> Result<(), String> {
        if node.is_null() {
            *self = None;
            return Ok(());
        }
        let mut inner = T::default();
        inner.decode(node, w)?;
        *self = Some(inner);
        Ok(())
    }
    fn parse_text(&mut self, text: &str) -> Result<(), String> {
        let mut inner = T::default();
        inner.parse_text(text)?;
        *self = Some(inner);
        Ok(())
    }
    fn encode(&self) -> Value {
        self.as_ref().map_or(Value::Null, Field::encode)
    }
}

/// A value that may hold credentials (header values, a command's arguments): read and written
/// as it is, shown (`config show`) as `redact` makes it.
pub(crate) struct ShownAs<'a, T> {
    pub(crate) value: &'a mut T,
    pub(crate) redact: fn(&T) -> T,
}

impl<T: Field> Field for ShownAs<'_, T> {
    fn decode(&mut self, node: &Node, w: &mut Vec<String>) -> Result<(), String> {
        self.value.decode(node, w)
    }
    fn parse_text(&mut self, text: &str) -> Result<(), String> {
        self.value.parse_text(text)
    }
    fn encode(&self) -> Value {
        self.value.encode()
    }
    fn encode_redacted(&self) -> Value {
        (self.redact)(self.value).encode()
    }
}
