//! The two shapes flytectl's files give string pairs: a mapping under `values` (labels,
//! annotations) and a list of `{key, value}` entries under `values` (environment variables).

use std::collections::BTreeMap;

use crate::fields::{Section, Visitor};

/// Labels or annotations as flytectl's files nest them: `{values: {k: v}}`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct KeyValues {
    /// `values`.
    pub values: BTreeMap<String, String>,
}

impl Section for KeyValues {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("values", &mut self.values);
    }
}

/// One `envs.values` entry.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct KeyValuePair {
    /// `key`.
    pub key: String,
    /// `value`.
    pub value: String,
}

impl KeyValuePair {
    /// A pair.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        KeyValuePair {
            key: key.into(),
            value: value.into(),
        }
    }
}

impl Section for KeyValuePair {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("key", &mut self.key);
        v.field("value", &mut self.value);
    }
}

/// `envs`: `{values: [{key, value}]}`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Envs {
    /// `values`.
    pub values: Vec<KeyValuePair>,
}

impl Section for Envs {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("values", &mut self.values);
    }
}
