//! The walks over a [`Section`] other than decoding: writing it as YAML, setting one key
//! from text, and listing every key.

use super::{Field, Section, Visitor};
use crate::value::Value;

/// Builds the YAML value of a section with flytectl's key names.
pub(crate) struct Encoder {
    pub(crate) redact: bool,
    out: Vec<(String, Value)>,
}

impl Encoder {
    pub(crate) fn encode(section: &mut dyn Section, redact: bool) -> Value {
        let mut e = Encoder {
            redact,
            out: Vec::new(),
        };
        section.visit(&mut e);
        Value::Map(e.out)
    }
}

impl Visitor for Encoder {
    fn field(&mut self, key: &'static str, value: &mut dyn Field) {
        let v = if self.redact {
            value.encode_redacted()
        } else {
            value.encode()
        };
        self.out.push((key.to_owned(), v));
    }
    fn section(&mut self, key: &'static str, value: &mut dyn Section) {
        let v = Encoder::encode(value, self.redact);
        self.out.push((key.to_owned(), v));
    }
}

/// Drops from `value` every entry equal to the same entry of `default`, and sections left empty.
pub(crate) fn prune(value: Value, default: &Value) -> Value {
    match value {
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .filter_map(|(k, v)| {
                    let d = default.get(&k);
                    if d == Some(&v) {
                        return None;
                    }
                    let v = match (v, d) {
                        (v @ Value::Map(_), Some(d @ Value::Map(_))) => prune(v, d),
                        (v, _) => v,
                    };
                    match &v {
                        Value::Map(m) if m.is_empty() => None,
                        _ => Some((k, v)),
                    }
                })
                .collect(),
        ),
        other => other,
    }
}

/// Sets one key from text, for environment variables and explicit overrides.
pub(crate) struct Setter<'t> {
    segments: Vec<String>,
    depth: usize,
    text: &'t str,
    pub(crate) outcome: Option<Result<(), String>>,
}

impl<'t> Setter<'t> {
    pub(crate) fn set(
        target: &mut dyn Section,
        path: &str,
        text: &'t str,
    ) -> Option<Result<(), String>> {
        let mut s = Setter {
            segments: path.split('.').map(str::to_ascii_lowercase).collect(),
            depth: 0,
            text,
            outcome: None,
        };
        target.visit(&mut s);
        s.outcome
    }

    fn matches(&self, key: &str) -> bool {
        self.segments
            .get(self.depth)
            .is_some_and(|s| s.eq_ignore_ascii_case(key))
    }
}

impl Visitor for Setter<'_> {
    fn field(&mut self, key: &'static str, value: &mut dyn Field) {
        if self.outcome.is_none() && self.matches(key) && self.depth + 1 == self.segments.len() {
            self.outcome = Some(value.parse_text(self.text));
        }
    }
    fn section(&mut self, key: &'static str, value: &mut dyn Section) {
        if self.outcome.is_none() && self.matches(key) && self.depth + 1 < self.segments.len() {
            self.depth += 1;
            value.visit(self);
            self.depth -= 1;
        }
    }
}

/// Lists every leaf key path.
pub(crate) struct Lister {
    prefix: Vec<&'static str>,
    pub(crate) keys: Vec<(String, bool)>,
}

impl Lister {
    pub(crate) fn list(target: &mut dyn Section) -> Vec<(String, bool)> {
        let mut l = Lister {
            prefix: Vec::new(),
            keys: Vec::new(),
        };
        target.visit(&mut l);
        l.keys
    }
}

impl Visitor for Lister {
    fn field(&mut self, key: &'static str, value: &mut dyn Field) {
        let mut path = self.prefix.join(".");
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        self.keys.push((path, value.is_secret()));
    }
    fn section(&mut self, key: &'static str, value: &mut dyn Section) {
        self.prefix.push(key);
        value.visit(self);
        self.prefix.pop();
    }
}
