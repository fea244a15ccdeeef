//! Parsed YAML that keeps the line and column of every node, for tools that report on a file's
//! own lines (flyte-deploy's lint) rather than load it into a model.

use crate::value::Value;
use crate::yaml::{Kind, Node};

/// A parsed YAML document with positions, under the same limits as every file this crate reads
/// (depth, node count after aliases, size).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    root: Option<Node>,
}

impl Document {
    /// Parses one YAML document.
    ///
    /// # Errors
    /// [`Error::Syntax`](crate::Error::Syntax) with the line and column, for bad YAML or a
    /// document over the limits.
    pub fn parse(text: &str) -> crate::Result<Document> {
        crate::yaml::parse(text)
            .map(|root| Document { root })
            .map_err(|e| crate::Error::syntax(None, e))
    }

    /// The top node; `None` for an empty document.
    pub fn root(&self) -> Option<NodeRef<'_>> {
        self.root.as_ref().map(NodeRef)
    }
}

/// One node of a [`Document`]: a scalar, a list or a mapping, and where it starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeRef<'a>(&'a Node);

impl<'a> NodeRef<'a> {
    /// The 1-based line where the node starts.
    pub fn line(self) -> usize {
        self.0.mark.line
    }

    /// The 1-based column where the node starts.
    pub fn column(self) -> usize {
        self.0.mark.column
    }

    /// The text of a scalar, quoted or not (`None` for lists and mappings).
    pub fn as_scalar(self) -> Option<&'a str> {
        match &self.0.kind {
            Kind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// True for a mapping.
    pub fn is_map(self) -> bool {
        matches!(self.0.kind, Kind::Map(_))
    }

    /// True for `~`, `null` or an empty value.
    pub fn is_null(self) -> bool {
        self.0.is_null()
    }

    /// The key and value nodes of a mapping, in file order (nothing for other nodes).
    pub fn entries(self) -> impl Iterator<Item = (NodeRef<'a>, NodeRef<'a>)> {
        let entries: &'a [(Node, Node)] = match &self.0.kind {
            Kind::Map(entries) => entries,
            _ => &[],
        };
        entries.iter().map(|(k, v)| (NodeRef(k), NodeRef(v)))
    }

    /// The items of a list, in file order (nothing for other nodes).
    pub fn items(self) -> impl Iterator<Item = NodeRef<'a>> {
        let items: &'a [Node] = match &self.0.kind {
            Kind::Seq(items) => items,
            _ => &[],
        };
        items.iter().map(NodeRef)
    }

    /// The value of the last entry whose key is exactly `key`, as YAML loaders keep it.
    pub fn get(self, key: &str) -> Option<NodeRef<'a>> {
        self.entries()
            .filter(|(k, _)| k.0.key_text() == key)
            .last()
            .map(|(_, v)| v)
    }

    /// The text of this node used as a mapping key.
    pub fn key_text(self) -> String {
        self.0.key_text()
    }

    /// The untyped value, with plain scalars resolved by YAML 1.2's core schema.
    pub fn to_value(self) -> Value {
        self.0.to_value()
    }
}

#[cfg(test)]
mod tests {
    use super::Document;

    #[test]
    fn nodes_know_their_line_and_column() -> Result<(), Box<dyn std::error::Error>> {
        let doc = Document::parse("a:\n  b: [1, x]\n  c: \"q\"\n")?;
        let root = doc.root().ok_or("empty")?;
        let a = root.get("a").ok_or("no a")?;
        let (b_key, b) = a.entries().next().ok_or("no b")?;
        assert_eq!((b_key.line(), b_key.column()), (2, 3));
        let second = b.items().nth(1).ok_or("no item")?;
        assert_eq!(
            (second.line(), second.column(), second.as_scalar()),
            (2, 10, Some("x"))
        );
        assert_eq!(a.get("c").and_then(|c| c.as_scalar()), Some("q"));
        assert!(root.get("missing").is_none());
        Ok(())
    }

    #[test]
    fn bad_yaml_is_an_error_with_a_position() {
        let err = Document::parse("a: [1,\n").err().map(|e| e.to_string());
        assert!(
            err.is_some_and(|e| e.contains("2:")),
            "expected a line-2 syntax error"
        );
    }
}
