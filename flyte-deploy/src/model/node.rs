//! Reading typed sections from positioned YAML, and writing them back as commented YAML.

use flyte_config::{NodeRef, Value};

use super::{Error, Extra};

/// A section of the model: read from a mapping, written back to one.
pub(crate) trait Section: Sized {
    /// Reads the section from the mapping `r` walks; keys it does not take end up in `extra`.
    fn read(r: &mut Reader<'_>) -> Result<Self, Error>;
    /// Writes the section's keys, known ones first, then its `extra`.
    fn write(&self, out: &mut Out);
}

/// Walks one mapping, remembering which keys the model took so the rest land in `extra`.
pub(crate) struct Reader<'a> {
    node: Option<NodeRef<'a>>,
    path: String,
    taken: Vec<&'static str>,
}

impl<'a> Reader<'a> {
    /// A reader over `node` (a mapping, or null for an empty section) at dotted `path`.
    pub(crate) fn new(node: NodeRef<'a>, path: &str) -> Result<Reader<'a>, Error> {
        if !node.is_null() && !node.is_map() {
            return Err(Error::wrong_type(path, "a mapping", node));
        }
        Ok(Reader {
            node: (!node.is_null()).then_some(node),
            path: path.to_owned(),
            taken: Vec::new(),
        })
    }

    fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The value node of `key` (the last one, as YAML loaders keep it); null counts as unset.
    fn take(&mut self, key: &'static str) -> Option<NodeRef<'a>> {
        self.taken.push(key);
        self.node?.get(key).filter(|v| !v.is_null())
    }

    /// A scalar as text (numbers and booleans as written).
    pub(crate) fn string(&mut self, key: &'static str) -> Result<Option<String>, Error> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => v
                .as_scalar()
                .map(|s| Some(s.to_owned()))
                .ok_or_else(|| Error::wrong_type(&self.child_path(key), "a string", v)),
        }
    }

    /// `true` or `false` (also quoted, as Helm's templates compare them as text).
    pub(crate) fn bool(&mut self, key: &'static str) -> Result<Option<bool>, Error> {
        let Some(v) = self.take(key) else {
            return Ok(None);
        };
        match v.to_value() {
            Value::Bool(b) => Ok(Some(b)),
            Value::String(s) if s == "true" || s == "false" => Ok(Some(s == "true")),
            _ => Err(Error::wrong_type(&self.child_path(key), "true or false", v)),
        }
    }

    /// An integer (also quoted).
    pub(crate) fn int(&mut self, key: &'static str) -> Result<Option<i64>, Error> {
        let Some(v) = self.take(key) else {
            return Ok(None);
        };
        match v.to_value() {
            Value::Int(i) => Ok(Some(i)),
            Value::String(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| Error::wrong_type(&self.child_path(key), "an integer", v)),
            _ => Err(Error::wrong_type(&self.child_path(key), "an integer", v)),
        }
    }

    /// A list of scalars; `Some(vec![])` for `[]`, which overrides a chart's default list.
    pub(crate) fn strings(&mut self, key: &'static str) -> Result<Option<Vec<String>>, Error> {
        let Some(v) = self.take(key) else {
            return Ok(None);
        };
        if v.as_scalar().is_some() {
            return Err(Error::wrong_type(&self.child_path(key), "a list", v));
        }
        let path = self.child_path(key);
        v.items()
            .enumerate()
            .map(|(i, item)| {
                item.as_scalar()
                    .map(str::to_owned)
                    .ok_or_else(|| Error::wrong_type(&format!("{path}[{i}]"), "a string", item))
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// A mapping of scalars (annotations, labels, `connectorForTaskTypes`), in file order.
    pub(crate) fn string_map(
        &mut self,
        key: &'static str,
    ) -> Result<Option<Vec<(String, String)>>, Error> {
        self.map_of(key, |val, path| {
            let text = if val.is_null() {
                Some("")
            } else {
                val.as_scalar()
            };
            text.map(str::to_owned)
                .ok_or_else(|| Error::wrong_type(path, "a string", val))
        })
    }

    /// A nested section.
    pub(crate) fn section<T: Section>(&mut self, key: &'static str) -> Result<Option<T>, Error> {
        let Some(v) = self.take(key) else {
            return Ok(None);
        };
        let mut r = Reader::new(v, &self.child_path(key))?;
        T::read(&mut r).map(Some)
    }

    /// A mapping of named sections (`connectors`), in file order.
    pub(crate) fn named<T: Section>(
        &mut self,
        key: &'static str,
    ) -> Result<Option<Vec<(String, T)>>, Error> {
        self.map_of(key, |val, path| T::read(&mut Reader::new(val, path)?))
    }

    /// A mapping whose values `read` turns into `T` (given each value's dotted path).
    fn map_of<T>(
        &mut self,
        key: &'static str,
        read: impl Fn(NodeRef<'a>, &str) -> Result<T, Error>,
    ) -> Result<Option<Vec<(String, T)>>, Error> {
        let Some(v) = self.take(key) else {
            return Ok(None);
        };
        let path = self.child_path(key);
        if !v.is_map() {
            return Err(Error::wrong_type(&path, "a mapping", v));
        }
        v.entries()
            .map(|(k, val)| {
                let name = k.key_text();
                read(val, &format!("{path}.{name}")).map(|t| (name, t))
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// A list of sections (`clusterConfigs`).
    pub(crate) fn list<T: Section>(&mut self, key: &'static str) -> Result<Option<Vec<T>>, Error> {
        let Some(v) = self.take(key) else {
            return Ok(None);
        };
        let path = self.child_path(key);
        if v.as_scalar().is_some() || v.is_map() {
            return Err(Error::wrong_type(&path, "a list", v));
        }
        v.items()
            .enumerate()
            .map(|(i, item)| {
                let mut r = Reader::new(item, &format!("{path}[{i}]"))?;
                T::read(&mut r)
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// Any value, kept as it is.
    pub(crate) fn value(&mut self, key: &'static str) -> Option<Value> {
        self.take(key).map(NodeRef::to_value)
    }

    /// The node of `key` itself, for sections with more than one shape.
    pub(crate) fn node(&mut self, key: &'static str) -> Option<(NodeRef<'a>, String)> {
        let path = self.child_path(key);
        self.take(key).map(|n| (n, path))
    }

    /// Every key the model did not take, in file order, so nothing is dropped.
    pub(crate) fn extra(&self) -> Extra {
        self.node
            .into_iter()
            .flat_map(NodeRef::entries)
            .filter_map(|(k, v)| {
                let key = k.key_text();
                (!self.taken.contains(&key.as_str())).then(|| (key, v.to_value()))
            })
            .collect()
    }
}

/// A mapping being written: entries in order, each with the comment lines above it.
#[derive(Debug, Default)]
pub(crate) struct Out {
    entries: Vec<OutEntry>,
}

#[derive(Debug)]
struct OutEntry {
    key: String,
    comment: Vec<String>,
    value: OutValue,
}

#[derive(Debug)]
enum OutValue {
    Value(Value),
    Map(Out),
}

impl Out {
    fn push(&mut self, key: &str, value: OutValue) {
        self.entries.push(OutEntry {
            key: key.to_owned(),
            comment: Vec::new(),
            value,
        });
    }

    /// Any value.
    pub(crate) fn value(&mut self, key: &str, value: Option<Value>) {
        if let Some(v) = value {
            self.push(key, OutValue::Value(v));
        }
    }

    pub(crate) fn string(&mut self, key: &str, value: &Option<String>) {
        self.value(key, value.clone().map(Value::String));
    }

    pub(crate) fn bool(&mut self, key: &str, value: Option<bool>) {
        self.value(key, value.map(Value::Bool));
    }

    pub(crate) fn int(&mut self, key: &str, value: Option<i64>) {
        self.value(key, value.map(Value::Int));
    }

    pub(crate) fn strings(&mut self, key: &str, value: &Option<Vec<String>>) {
        let list = value
            .as_ref()
            .map(|l| Value::List(l.iter().cloned().map(Value::String).collect()));
        self.value(key, list);
    }

    pub(crate) fn string_map(&mut self, key: &str, value: &Option<Vec<(String, String)>>) {
        let map = value.as_ref().map(|m| {
            Value::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            )
        });
        self.value(key, map);
    }

    pub(crate) fn section<T: Section>(&mut self, key: &str, value: &Option<T>) {
        if let Some(section) = value {
            let mut inner = Out::default();
            section.write(&mut inner);
            self.push(key, OutValue::Map(inner));
        }
    }

    pub(crate) fn named<T: Section>(&mut self, key: &str, value: &Option<Vec<(String, T)>>) {
        if let Some(named) = value {
            let mut inner = Out::default();
            for (name, section) in named {
                let mut one = Out::default();
                section.write(&mut one);
                inner.push(name, OutValue::Map(one));
            }
            self.push(key, OutValue::Map(inner));
        }
    }

    pub(crate) fn list<T: Section>(&mut self, key: &str, value: &Option<Vec<T>>) {
        if let Some(items) = value {
            let list = items.iter().map(|item| {
                let mut one = Out::default();
                item.write(&mut one);
                one.to_value()
            });
            self.value(key, Some(Value::List(list.collect())));
        }
    }

    pub(crate) fn extra(&mut self, extra: &Extra) {
        for (k, v) in extra.iter() {
            self.push(k, OutValue::Value(v.clone()));
        }
    }

    /// Puts `lines` above the entry at the dotted `path`; false when there is no such entry.
    pub(crate) fn comment(&mut self, path: &str, lines: &[String]) -> bool {
        let (first, rest) = path
            .split_once('.')
            .map_or((path, None), |(a, b)| (a, Some(b)));
        let Some(entry) = self.entries.iter_mut().find(|e| e.key == first) else {
            return false;
        };
        match (rest, &mut entry.value) {
            (None, _) => {
                entry.comment.extend(lines.iter().cloned());
                true
            }
            (Some(rest), OutValue::Map(inner)) => inner.comment(rest, lines),
            (Some(_), OutValue::Value(_)) => false,
        }
    }

    pub(crate) fn to_value(&self) -> Value {
        Value::Map(
            self.entries
                .iter()
                .map(|e| {
                    let v = match &e.value {
                        OutValue::Value(v) => v.clone(),
                        OutValue::Map(m) => m.to_value(),
                    };
                    (e.key.clone(), v)
                })
                .collect(),
        )
    }

    /// The mapping as block YAML, comments above their entries.
    pub(crate) fn render(&self) -> String {
        let mut text = String::new();
        self.render_at(&mut text, 0);
        text
    }

    fn render_at(&self, text: &mut String, level: usize) {
        let pad = " ".repeat(level);
        for entry in &self.entries {
            for line in &entry.comment {
                text.push_str(&format!("{pad}# {line}\n").replace(" \n", "\n"));
            }
            let key = Value::String(entry.key.clone()).to_string();
            match &entry.value {
                OutValue::Map(inner) if !inner.entries.is_empty() => {
                    text.push_str(&format!("{pad}{key}:\n"));
                    inner.render_at(text, level + 2);
                }
                OutValue::Map(_) => text.push_str(&format!("{pad}{key}: {{}}\n")),
                OutValue::Value(v @ (Value::Map(_) | Value::List(_))) if !is_empty(v) => {
                    text.push_str(&format!("{pad}{key}:\n"));
                    for line in v.to_yaml_string().lines() {
                        text.push_str(&format!("{pad}  {line}\n"));
                    }
                }
                OutValue::Value(v) => text.push_str(&format!("{pad}{key}: {v}\n")),
            }
        }
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Map(m) => m.is_empty(),
        Value::List(l) => l.is_empty(),
        _ => false,
    }
}
