//! One description of each config struct's keys, shared by the decoder, the environment
//! overrides, the writer and the key listing, so a key is spelled in exactly one place.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::duration;
use crate::error::{Diagnostic, Location};
use crate::secret::Secret;
use crate::value::Value;
use crate::yaml::{Kind, Mark, Node};

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
        for pair in split_list(text) {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                format!("expected key=value pairs separated by commas, found {pair:?}")
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

/// An enum spelled as strings in the file.
pub(crate) trait ConfigEnum: Sized + Copy + PartialEq + 'static {
    /// Canonical spellings, as flytectl writes them.
    const NAMES: &'static [(&'static str, Self)];
    /// Other spellings accepted on input, each with a note on why it is not canonical (or "").
    const ALIASES: &'static [(&'static str, Self, &'static str)] = &[];

    fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("", |(n, _)| n)
    }

    fn lookup(text: &str) -> Result<(Self, Option<&'static str>), String> {
        if let Some((_, v)) = Self::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(text))
        {
            return Ok((*v, None));
        }
        if let Some((_, v, note)) = Self::ALIASES
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(text))
        {
            return Ok((*v, (!note.is_empty()).then_some(*note)));
        }
        let names: Vec<&str> = Self::NAMES.iter().map(|(n, _)| *n).collect();
        Err(format!(
            "expected one of {}, found {text:?}",
            names.join(", ")
        ))
    }
}

/// Makes a [`ConfigEnum`] a [`Field`].
macro_rules! enum_field {
    ($t:ty) => {
        impl $crate::fields::Field for $t {
            fn decode(
                &mut self,
                node: &$crate::yaml::Node,
                warnings: &mut Vec<String>,
            ) -> Result<(), String> {
                let text = match &node.kind {
                    $crate::yaml::Kind::Scalar { text, .. } => text.as_str(),
                    _ => return Err(format!("expected a string, found {}", node.describe())),
                };
                let (v, note) = <$t as $crate::fields::ConfigEnum>::lookup(text)?;
                warnings.extend(note.map(str::to_owned));
                *self = v;
                Ok(())
            }
            fn parse_text(&mut self, text: &str) -> Result<(), String> {
                *self = <$t as $crate::fields::ConfigEnum>::lookup(text.trim())?.0;
                Ok(())
            }
            fn encode(&self) -> $crate::value::Value {
                $crate::value::Value::String(
                    <$t as $crate::fields::ConfigEnum>::name(*self).to_owned(),
                )
            }
        }
    };
}
pub(crate) use enum_field;

/// Where each key's value was found, by canonical key path.
pub(crate) type Positions = BTreeMap<String, Mark>;

/// State shared while decoding one document.
pub(crate) struct DecodeCx<'a> {
    pub(crate) file: Option<&'a Path>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) positions: Positions,
    /// Unknown keys are errors (flytectl's strict files) instead of warnings.
    pub(crate) strict: bool,
}

impl<'a> DecodeCx<'a> {
    pub(crate) fn new(file: Option<&'a Path>, strict: bool) -> Self {
        DecodeCx {
            file,
            diagnostics: Vec::new(),
            positions: Positions::new(),
            strict,
        }
    }

    fn loc(&self, mark: Mark) -> Option<Location> {
        Some(Location::new(self.file, mark))
    }

    pub(crate) fn error(&mut self, key: &str, message: String, mark: Mark) {
        let d = Diagnostic::error(key, message).at(self.loc(mark));
        self.diagnostics.push(d);
    }

    pub(crate) fn warn(&mut self, key: &str, message: String, mark: Mark) {
        let d = Diagnostic::warning(key, message).at(self.loc(mark));
        self.diagnostics.push(d);
    }

    /// Decodes a whole document into `target`. A document that is not a mapping is an error.
    pub(crate) fn decode_root(&mut self, root: Option<&Node>, target: &mut dyn Section) {
        let Some(root) = root else { return };
        if root.is_null() {
            return;
        }
        match &root.kind {
            Kind::Map(entries) => self.decode_map("", entries, target),
            _ => self.error(
                "",
                format!(
                    "expected a mapping of keys at the top level, found {}",
                    root.describe()
                ),
                root.mark,
            ),
        }
        // Report in file order, as a reader scans the file.
        self.diagnostics
            .sort_by_key(|d| d.location.as_ref().map(|l| (l.line, l.column)));
    }

    pub(crate) fn decode_map(
        &mut self,
        path: &str,
        entries: &[(Node, Node)],
        target: &mut dyn Section,
    ) {
        let mut d = Decoder {
            cx: self,
            path,
            entries,
            used: vec![false; entries.len()],
        };
        target.visit(&mut d);
        let used = d.used;
        for ((key, _), used) in entries.iter().zip(used) {
            if !used {
                let full = join(path, &key.key_text());
                if self.strict {
                    self.error(&full, "unknown key".to_owned(), key.mark);
                } else {
                    self.warn(&full, "unknown key (ignored)".to_owned(), key.mark);
                }
            }
        }
    }
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

struct Decoder<'c, 'a, 'n> {
    cx: &'c mut DecodeCx<'a>,
    path: &'n str,
    entries: &'n [(Node, Node)],
    used: Vec<bool>,
}

impl Decoder<'_, '_, '_> {
    /// The value for `key`, matched case-insensitively as viper does; the last one wins.
    fn find(&mut self, key: &str) -> Option<&'_ Node> {
        let full = join(self.path, key);
        let mut found: Option<usize> = None;
        for (i, (k, _)) in self.entries.iter().enumerate() {
            if let Kind::Scalar { text, .. } = &k.kind {
                if text.eq_ignore_ascii_case(key) {
                    if let Some(prev) = found {
                        let prev_mark = self.entries[prev].0.mark;
                        self.cx.warn(
                            &full,
                            format!(
                                "key given more than once (keys are case-insensitive); the one at line {} is ignored",
                                prev_mark.line
                            ),
                            k.mark,
                        );
                    }
                    found = Some(i);
                    self.used[i] = true;
                }
            }
        }
        found.map(|i| &self.entries[i].1)
    }
}

impl Visitor for Decoder<'_, '_, '_> {
    fn field(&mut self, key: &'static str, value: &mut dyn Field) {
        let full = join(self.path, key);
        let Some(node) = self.find(key) else { return };
        let node = node.clone();
        self.cx.positions.insert(full.clone(), node.mark);
        value.decode_in(&node, self.cx, &full);
    }

    fn section(&mut self, key: &'static str, value: &mut dyn Section) {
        let full = join(self.path, key);
        let Some(node) = self.find(key) else { return };
        let node = node.clone();
        self.cx.positions.insert(full.clone(), node.mark);
        match &node.kind {
            _ if node.is_null() => {}
            Kind::Map(entries) => self.cx.decode_map(&full, entries, value),
            _ => self.cx.error(
                &full,
                format!("expected a mapping, found {}", node.describe()),
                node.mark,
            ),
        }
    }
}

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

/// A list of structs (plugin overrides, env entries), each decoded with its own positions.
impl<T: Section + Default + Clone> Field for Vec<T> {
    fn decode(&mut self, node: &Node, _: &mut Vec<String>) -> Result<(), String> {
        let mut cx = DecodeCx::new(None, true);
        self.decode_in(node, &mut cx, "");
        match cx.diagnostics.into_iter().find(Diagnostic::is_error) {
            Some(d) => Err(d.to_string()),
            None => Ok(()),
        }
    }
    fn decode_in(&mut self, node: &Node, cx: &mut DecodeCx<'_>, path: &str) {
        self.clear();
        match &node.kind {
            _ if node.is_null() => {}
            Kind::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    let mut t = T::default();
                    match &item.kind {
                        Kind::Map(entries) => cx.decode_map(&item_path, entries, &mut t),
                        _ => cx.error(
                            &item_path,
                            format!("expected a mapping, found {}", item.describe()),
                            item.mark,
                        ),
                    }
                    self.push(t);
                }
            }
            _ => cx.error(
                path,
                format!("expected a list, found {}", node.describe()),
                node.mark,
            ),
        }
    }
    fn parse_text(&mut self, text: &str) -> Result<(), String> {
        let node = crate::yaml::parse(text)
            .map_err(|e| e.message)?
            .unwrap_or(Node {
                kind: Kind::Seq(Vec::new()),
                mark: Mark::default(),
            });
        self.decode(&node, &mut Vec::new())
    }
    fn encode(&self) -> Value {
        Value::List(
            self.iter()
                .map(|item| Encoder::encode(&mut item.clone(), false))
                .collect(),
        )
    }
}

/// An enum written as an integer in flytectl's files (Go's JSON of a proto enum); names are
/// accepted on input too.
pub(crate) trait IntEnum: Sized + Copy + PartialEq + 'static {
    const VALUES: &'static [(&'static str, i64, Self)];
}

macro_rules! int_enum_field {
    ($t:ty) => {
        impl $crate::fields::Field for $t {
            fn decode(
                &mut self,
                node: &$crate::yaml::Node,
                _: &mut Vec<String>,
            ) -> Result<(), String> {
                match &node.kind {
                    $crate::yaml::Kind::Scalar { text, .. } => self.parse_text(text),
                    _ => Err(format!("expected a number, found {}", node.describe())),
                }
            }
            fn parse_text(&mut self, text: &str) -> Result<(), String> {
                let text = text.trim();
                let values = <$t as $crate::fields::IntEnum>::VALUES;
                let found = match $crate::yaml::parse_int(text) {
                    Some(n) => values.iter().find(|(_, i, _)| *i == n),
                    None => values
                        .iter()
                        .find(|(name, _, _)| name.eq_ignore_ascii_case(text)),
                };
                let allowed: Vec<String> = values
                    .iter()
                    .map(|(n, i, _)| format!("{i} ({n})"))
                    .collect();
                let (_, _, v) = found.ok_or_else(|| {
                    format!("expected one of {}, found {text:?}", allowed.join(", "))
                })?;
                *self = *v;
                Ok(())
            }
            fn encode(&self) -> $crate::value::Value {
                let values = <$t as $crate::fields::IntEnum>::VALUES;
                values
                    .iter()
                    .find(|(_, _, v)| v == self)
                    .map_or($crate::value::Value::Null, |(_, i, _)| {
                        $crate::value::Value::Int(*i)
                    })
            }
        }
    };
}
pub(crate) use int_enum_field;
