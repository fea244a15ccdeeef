//! Enums in the files: spelled as strings ([`ConfigEnum`]) or as proto numbers ([`IntEnum`]).

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
