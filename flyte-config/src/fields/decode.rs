//! Decoding a YAML document into a [`Section`], with every problem's key and position.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Encoder, Field, Section, Visitor};
use crate::error::{Diagnostic, Location};
use crate::value::Value;
use crate::yaml::{Kind, Mark, Node};

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
