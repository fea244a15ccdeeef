//! A small YAML document model with source positions, built from `yaml-rust2`'s event stream.
//!
//! We drive the parser's iterative event API ourselves (never its recursive loader), so deeply
//! nested input cannot overflow the stack, and we expand aliases with a budget, so an
//! "exploding aliases" document is refused instead of eating all memory.

use std::collections::HashMap;
use std::fmt::Write as _;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

use crate::value::Value;

/// Deepest nesting of sequences and mappings we accept. Real config files nest a handful of levels.
pub(crate) const MAX_DEPTH: usize = 64;
/// Most nodes a document may hold once aliases are expanded.
pub(crate) const MAX_NODES: usize = 100_000;
/// Largest document we read, in bytes.
pub(crate) const MAX_BYTES: usize = 4 * 1024 * 1024;

/// A 1-based line and column in a YAML document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Mark {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl From<Marker> for Mark {
    fn from(m: Marker) -> Self {
        Mark {
            line: m.line(),
            column: m.col() + 1,
        }
    }
}

/// One node of a parsed document, with where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) mark: Mark,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A scalar: its text and whether it was quoted or a block scalar (so never a null, bool or number).
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParseError {
    pub(crate) mark: Mark,
    pub(crate) message: String,
    /// The scanner's error, when it is the scanner that refused the text.
    pub(crate) cause: Option<ScanError>,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            self.mark.line, self.mark.column, self.message
        )
    }
}

impl std::error::Error for ParseError {}

enum Frame {
    Seq(Vec<Node>, Mark, usize),
    Map(Vec<(Node, Node)>, Option<Node>, Mark, usize),
}

impl Node {
    fn size(&self) -> usize {
        match &self.kind {
            Kind::Scalar { .. } => 1,
            Kind::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Kind::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.size() + v.size())
                    .sum::<usize>()
            }
        }
    }

    /// True for an explicit or implicit YAML null (`~`, `null`, or nothing at all).
    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, plain: true } if is_null_text(text))
    }

    /// A short description of the node for "expected X, found Y" messages.
    pub(crate) fn describe(&self) -> String {
        match &self.kind {
            Kind::Scalar { .. } if self.is_null() => "null".to_owned(),
            Kind::Scalar { text, .. } => {
                let mut shown: String = text.chars().take(40).collect();
                if shown.len() < text.len() {
                    shown.push('…');
                }
                format!("{shown:?}")
            }
            Kind::Seq(_) => "a list".to_owned(),
            Kind::Map(_) => "a mapping".to_owned(),
        }
    }

    /// The untyped value of this node, resolving plain scalars with YAML 1.2's core schema.
    pub(crate) fn to_value(&self) -> Value {
        match &self.kind {
            Kind::Scalar { text, plain: false } => Value::String(text.clone()),
            Kind::Scalar { text, plain: true } => resolve_plain(text),
            Kind::Seq(items) => Value::List(items.iter().map(Node::to_value).collect()),
            Kind::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.key_text(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// The text of a mapping key; non-scalar keys are shown as their YAML.
    pub(crate) fn key_text(&self) -> String {
        match &self.kind {
            Kind::Scalar { text, .. } => text.clone(),
            _ => emit_inline(&self.to_value()),
        }
    }
}

pub(crate) fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// Resolves a plain scalar the way YAML 1.2's core schema does.
pub(crate) fn resolve_plain(text: &str) -> Value {
    if is_null_text(text) {
        return Value::Null;
    }
    match text {
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(i) = parse_int(text) {
        return Value::Int(i);
    }
    if let Some(f) = parse_float(text) {
        return Value::Float(f);
    }
    Value::String(text.to_owned())
}

pub(crate) fn parse_int(text: &str) -> Option<i64> {
    let (neg, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let parsed = if let Some(hex) = body.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(oct) = body.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()
    } else if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        body.parse::<i64>().ok()
    } else {
        None
    }?;
    Some(if neg { -parsed } else { parsed })
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let looks_numeric = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && text.bytes().any(|b| b.is_ascii_digit());
    if looks_numeric {
        text.parse::<f64>().ok()
    } else {
        None
    }
}

/// Parses one YAML document. An empty document is an empty mapping.
pub(crate) fn parse(text: &str) -> Result<Option<Node>, ParseError> {
    if text.len() > MAX_BYTES {
        return Err(ParseError {
            mark: Mark { line: 1, column: 1 },
            message: format!(
                "the document is {} bytes; config files larger than {MAX_BYTES} bytes are refused",
                text.len()
            ),
            cause: None,
        });
    }
    let mut parser = Parser::new_from_str(text);
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    let mut documents = 0usize;
    loop {
        let (event, marker) = parser.next_token().map_err(|e| ParseError {
            mark: (*e.marker()).into(),
            message: e.info().to_owned(),
            cause: Some(e),
        })?;
        let mark = Mark::from(marker);
        let too_deep = || ParseError {
            mark,
            message: format!("nesting deeper than {MAX_DEPTH} levels is refused"),
            cause: None,
        };
        let finished: Option<(Node, usize)> = match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(ParseError {
                        mark,
                        message: "a config file holds one YAML document; found a second `---`"
                            .to_owned(),
                        cause: None,
                    });
                }
                None
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let plain = matches!(style, TScalarStyle::Plain);
                Some((
                    Node {
                        kind: Kind::Scalar { text, plain },
                        mark,
                    },
                    anchor,
                ))
            }
            Event::Alias(id) => {
                let (node, size) = anchors.get(&id).ok_or_else(|| ParseError {
                    mark,
                    message: "alias to an unknown anchor".to_owned(),
                    cause: None,
                })?;
                nodes += size;
                if nodes > MAX_NODES {
                    return Err(ParseError {
                        mark,
                        message: format!(
                            "aliases expand to more than {MAX_NODES} nodes; refusing an exploding-alias document"
                        ),
                        cause: None,
                    });
                }
                Some((
                    Node {
                        kind: node.kind.clone(),
                        mark,
                    },
                    0,
                ))
            }
            Event::SequenceStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(too_deep());
                }
                stack.push(Frame::Seq(Vec::new(), mark, anchor));
                None
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(too_deep());
                }
                stack.push(Frame::Map(Vec::new(), None, mark, anchor));
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, start, anchor)) => Some((
                    Node {
                        kind: Kind::Seq(items),
                        mark: start,
                    },
                    anchor,
                )),
                _ => return Err(unbalanced(mark)),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(entries, None, start, anchor)) => Some((
                    Node {
                        kind: Kind::Map(entries),
                        mark: start,
                    },
                    anchor,
                )),
                _ => return Err(unbalanced(mark)),
            },
        };
        let Some((node, anchor)) = finished else {
            continue;
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(ParseError {
                mark,
                message: format!("the document has more than {MAX_NODES} nodes"),
                cause: None,
            });
        }
        if anchor > 0 {
            let size = node.size();
            anchors.insert(anchor, (node.clone(), size));
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq(items, ..)) => items.push(node),
            Some(Frame::Map(entries, pending, ..)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
    }
    Ok(root)
}

fn unbalanced(mark: Mark) -> ParseError {
    ParseError {
        mark,
        message: "unbalanced collection events".to_owned(),
        cause: None,
    }
}

/// Writes a value as block-style YAML, the way flytectl's files look.
pub(crate) fn emit(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Map(entries) if entries.is_empty() => out.push_str("{}\n"),
        Value::Map(entries) => emit_map(&mut out, entries, 0),
        Value::List(items) if items.is_empty() => out.push_str("[]\n"),
        Value::List(items) => emit_seq(&mut out, items, 0),
        other => {
            out.push_str(&emit_inline(other));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn emit_map(out: &mut String, entries: &[(String, Value)], level: usize) {
    for (key, value) in entries {
        indent(out, level);
        out.push_str(&emit_scalar_str(key));
        out.push(':');
        emit_child(out, value, level);
    }
}

fn emit_seq(out: &mut String, items: &[Value], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            Value::Map(entries) if !entries.is_empty() => {
                // The first key goes on the dash line; the rest line up under it.
                let mut first = String::new();
                emit_map(&mut first, entries, level + 2);
                out.push(' ');
                out.push_str(first.trim_start());
            }
            _ => emit_child(out, item, level),
        }
    }
}

fn emit_child(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            emit_map(out, entries, level + 2);
        }
        Value::List(items) if !items.is_empty() => {
            out.push('\n');
            emit_seq(out, items, level + 2);
        }
        other => {
            out.push(' ');
            out.push_str(&emit_inline(other));
            out.push('\n');
        }
    }
}

/// A value on one line, in flow style where it is a collection.
pub(crate) fn emit_inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_nan() => ".nan".to_owned(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { ".inf" } else { "-.inf" }.to_owned(),
        Value::Float(f) => {
            let s = format!("{f:?}");
            s
        }
        Value::String(s) => emit_scalar_str(s),
        Value::List(items) => {
            let inner: Vec<String> = items.iter().map(emit_inline).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Map(entries) => {
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", emit_scalar_str(k), emit_inline(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// A string as a YAML scalar: plain when that reads back as the same string, else double-quoted.
pub(crate) fn emit_scalar_str(s: &str) -> String {
    if needs_quotes(s) {
        let mut q = String::with_capacity(s.len() + 2);
        q.push('"');
        for c in s.chars() {
            match c {
                '"' => q.push_str("\\\""),
                '\\' => q.push_str("\\\\"),
                '\n' => q.push_str("\\n"),
                '\t' => q.push_str("\\t"),
                '\r' => q.push_str("\\r"),
                c if c.is_control() => {
                    let _ = write!(q, "\\u{:04x}", c as u32);
                }
                c => q.push(c),
            }
        }
        q.push('"');
        q
    } else {
        s.to_owned()
    }
}

fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return true;
    }
    if !matches!(resolve_plain(s), Value::String(_)) {
        return true;
    }
    // YAML 1.1 readers (Go's yaml.v2, older pyyaml) take these as booleans.
    if matches!(
        s.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off"
    ) {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // "-foo" and "./x" style values are fine plain, except where the indicator starts a construct.
        let safe_dash = first == '-' && s.len() > 1 && !s[1..].starts_with(' ');
        if !safe_dash {
            return true;
        }
    }
    s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.chars().any(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_one_based() -> Result<(), Box<dyn std::error::Error>> {
        let node = parse("admin:\n  endpoint: x\n")?.ok_or("empty")?;
        let Kind::Map(entries) = &node.kind else {
            return Err("not a map".into());
        };
        assert_eq!(entries[0].0.mark, Mark { line: 1, column: 1 });
        let Kind::Map(inner) = &entries[0].1.kind else {
            return Err("not a map".into());
        };
        assert_eq!(
            inner[0].1.mark,
            Mark {
                line: 2,
                column: 13
            }
        );
        Ok(())
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let deep = "[".repeat(100_000);
        let err = parse(&deep).expect_err("must be refused");
        assert!(
            err.message.contains("nesting") || err.message.contains("recursion"),
            "{}",
            err.message
        );
        let block: String = (0..200)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        let err = parse(&block).expect_err("must be refused");
        assert!(err.message.contains("nesting"), "{}", err.message);
    }

    #[test]
    fn exploding_aliases_are_refused() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = parse(&doc).expect_err("must be refused");
        assert!(err.message.contains("alias"), "{}", err.message);
    }

    #[test]
    fn small_aliases_still_work() -> Result<(), Box<dyn std::error::Error>> {
        let node = parse("base: &b {x: 1}\nother: *b\n")?.ok_or("empty")?;
        let v = node.to_value();
        assert_eq!(
            v.get("other").and_then(|o| o.get("x")),
            Some(&Value::Int(1))
        );
        Ok(())
    }

    #[test]
    fn core_schema_resolution() {
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("True"), Value::Bool(true));
        assert_eq!(resolve_plain("0x1f"), Value::Int(31));
        assert_eq!(resolve_plain("-12"), Value::Int(-12));
        assert_eq!(resolve_plain("1.5e3"), Value::Float(1500.0));
        assert_eq!(resolve_plain("v1.2"), Value::String("v1.2".into()));
        assert_eq!(resolve_plain("yes"), Value::String("yes".into()));
    }

    #[test]
    fn emitted_strings_read_back_unchanged() -> Result<(), Box<dyn std::error::Error>> {
        let tricky = [
            "",
            " lead",
            "true",
            "123",
            "1.5",
            "null",
            "yes",
            "a: b",
            "#x",
            "- x",
            "-x",
            "x #y",
            "dns:///host:81",
            "quote\"d",
            "back\\slash",
            "line\nbreak",
            "{x}",
            "*a",
            "&a",
            "ok_plain",
            "http://x/y?z=1",
            "tab\there",
            "~",
            "@x",
            "`x`",
            "x:",
        ];
        for s in tricky {
            let doc = emit(&Value::Map(vec![("k".into(), Value::String(s.into()))]));
            let back = parse(&doc)?.ok_or("empty")?.to_value();
            assert_eq!(back.get("k"), Some(&Value::String(s.into())), "{doc}");
        }
        Ok(())
    }
}
