//! One description of each config struct's keys, shared by the decoder, the environment
//! overrides, the writer and the key listing, so a key is spelled in exactly one place.
//!
//! The traits are here; [`values`] reads and writes each kind of leaf value, [`enums`] the
//! enums, [`decode`] walks a YAML document into a [`Section`], and [`visitors`] holds the other
//! walks (writing, setting one key, listing keys).

mod decode;
mod enums;
mod values;
mod visitors;

pub(crate) use decode::{DecodeCx, Positions};
pub(crate) use enums::{enum_field, int_enum_field, ConfigEnum, IntEnum};
pub(crate) use values::ShownAs;
pub(crate) use visitors::{prune, Encoder, Lister, Setter};

use crate::value::Value;
use crate::yaml::Node;

/// A struct whose keys can be visited.
pub(crate) trait Section {
    fn visit(&mut self, v: &mut dyn Visitor);
}

/// Receives each key of a [`Section`] in order.
pub(crate) trait Visitor {
    fn field(&mut self, key: &'static str, value: &mut dyn Field);
    fn section(&mut self, key: &'static str, value: &mut dyn Section);
}

/// A leaf value.
pub(crate) trait Field {
    /// Reads the value from YAML; `Err` is the message after "key: ".
    fn decode(&mut self, node: &Node, warnings: &mut Vec<String>) -> Result<(), String>;
    /// Reads the value from YAML with the decoder's context, so nested structures can report
    /// their own positions. The default runs [`Field::decode`] and reports at the value.
    fn decode_in(&mut self, node: &Node, cx: &mut DecodeCx<'_>, path: &str) {
        let mut warnings = Vec::new();
        if let Err(message) = self.decode(node, &mut warnings) {
            cx.error(path, message, node.mark);
        }
        for w in warnings {
            cx.warn(path, w, node.mark);
        }
    }
    /// Reads the value from an environment variable or override.
    fn parse_text(&mut self, text: &str) -> Result<(), String>;
    /// The value as YAML.
    fn encode(&self) -> Value;
    /// Whether the value must never be shown.
    fn is_secret(&self) -> bool {
        false
    }
    /// The value as YAML for display: secrets replaced by `[redacted]`.
    fn encode_redacted(&self) -> Value {
        match self.encode() {
            Value::String(s) if self.is_secret() && !s.is_empty() => {
                Value::String(crate::secret::REDACTED.to_owned())
            }
            v => v,
        }
    }
}
