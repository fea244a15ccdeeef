//! Protobuf wire bytes to the JSON value that Go's `jsonpb.Marshaler{}` (golang/protobuf 1.5.4,
//! the marshaler of flytestdlib's `pbhash`) writes and `encoding/json` reads back into
//! `interface{}`, which is what objecthash then hashes.
//!
//! The rules, from `jsonpb/encode.go`:
//! - field names are the JSON names (lowerCamelCase); unknown fields are dropped;
//! - a proto3 scalar is written unless it is zero, a message field whenever it is set (even
//!   empty), a oneof member whenever it is set (even to zero), lists and maps unless empty;
//! - `int64`/`uint64` are decimal strings, other integers and doubles numbers (Go reads every
//!   number back as a float64), non-finite doubles the strings `NaN`, `Infinity`, `-Infinity`;
//! - enums are their value's name (the number when the value is unknown); `NullValue` is `null`;
//! - bytes are standard base64 with padding;
//! - maps are objects keyed by the key's text;
//! - `Timestamp` is RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits, `Duration` seconds with
//!   0, 3, 6 or 9 fractional digits and an `s`, `Struct`/`Value`/`ListValue` plain JSON.
//!
//! Working on the wire bytes rather than prost's structs keeps fields the `flyteidl` crate does
//! not know (prost drops them when decoding) when the caller has the bytes as they were sent.

use base64::Engine as _;
use serde_json::{Map, Number, Value};

use super::schema::{Card, Field, Kind, Msg, Wkt};
use super::KeyError;

/// How deep messages may nest before the input is refused (literals nest through
/// collections, maps and unions; Go's decoder refuses past 10,000).
const MAX_DEPTH: usize = 100;

/// The JSON form of the message `msg` encoded in `bytes`.
pub(crate) fn to_json(msg: &'static Msg, bytes: &[u8]) -> Result<Value, KeyError> {
    message(msg, bytes, 0)
}

/// One field's occurrences on the wire, in order.
#[derive(Default)]
struct Seen<'a> {
    values: Vec<Raw<'a>>,
}

/// A raw wire value.
#[derive(Clone, Copy)]
enum Raw<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Bytes(&'a [u8]),
}

fn malformed(what: impl Into<String>) -> KeyError {
    KeyError::Malformed(what.into())
}

fn varint(bytes: &[u8], pos: &mut usize) -> Result<u64, KeyError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes
            .get(*pos)
            .ok_or_else(|| malformed("a varint runs past the end of the message"))?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(malformed("a varint is longer than 10 bytes"))
}

fn take<'a>(bytes: &'a [u8], pos: &mut usize, len: usize) -> Result<&'a [u8], KeyError> {
    let end = pos
        .checked_add(len)
        .filter(|end| *end <= bytes.len())
        .ok_or_else(|| malformed("a field runs past the end of the message"))?;
    let slice = &bytes[*pos..end];
    *pos = end;
    Ok(slice)
}

/// The fields of a message on the wire, in order.
fn wire_fields(bytes: &[u8]) -> Result<Vec<(u64, Raw<'_>)>, KeyError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let key = varint(bytes, &mut pos)?;
        let number = key >> 3;
        let raw = match key & 7 {
            0 => Raw::Varint(varint(bytes, &mut pos)?),
            1 => Raw::Fixed64(fixed64(take(bytes, &mut pos, 8)?)),
            2 => {
                let len = varint(bytes, &mut pos)?;
                let len = usize::try_from(len).map_err(|_| malformed("a length overflows"))?;
                Raw::Bytes(take(bytes, &mut pos, len)?)
            }
            5 => {
                let b = take(bytes, &mut pos, 4)?;
                Raw::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            other => {
                return Err(malformed(format!(
                    "wire type {other} (groups) in field {number}"
                )))
            }
        };
        if number == 0 {
            return Err(malformed("field number 0"));
        }
        out.push((number, raw));
    }
    Ok(out)
}

fn fixed64(b: &[u8]) -> u64 {
    let mut le = [0u8; 8];
    le.copy_from_slice(b);
    u64::from_le_bytes(le)
}

/// Splits a message into its fields' occurrences, keeping only the fields `msg` names. A oneof
/// member set after another member of its oneof replaces it, as on decoding.
fn fields<'a>(msg: &'static Msg, bytes: &'a [u8]) -> Result<Vec<Seen<'a>>, KeyError> {
    let mut seen: Vec<Seen<'a>> = msg.fields.iter().map(|_| Seen::default()).collect();
    for (number, raw) in wire_fields(bytes)? {
        let Some(index) = msg
            .fields
            .iter()
            .position(|f| u64::from(f.number) == number)
        else {
            continue;
        };
        if let Card::Oneof(group) = msg.fields[index].card {
            for (i, other) in msg.fields.iter().enumerate() {
                if i != index && other.card == Card::Oneof(group) {
                    seen[i].values.clear();
                }
            }
        }
        seen[index].values.push(raw);
    }
    Ok(seen)
}

fn message(msg: &'static Msg, bytes: &[u8], depth: usize) -> Result<Value, KeyError> {
    if depth > MAX_DEPTH {
        return Err(malformed(format!("messages nest deeper than {MAX_DEPTH}")));
    }
    let seen = fields(msg, bytes)?;
    if let Some(wkt) = msg.wkt {
        return well_known(wkt, msg, &seen, depth);
    }
    let mut object = Map::new();
    for (field, seen) in msg.fields.iter().zip(&seen) {
        if let Some(value) = field_value(field, seen, depth)? {
            object.insert(field.json.to_owned(), value);
        }
    }
    Ok(Value::Object(object))
}

/// A field's JSON value, or `None` when jsonpb leaves it out.
fn field_value(field: &Field, seen: &Seen<'_>, depth: usize) -> Result<Option<Value>, KeyError> {
    if seen.values.is_empty() {
        return Ok(None);
    }
    match field.card {
        Card::Repeated => {
            let mut items = Vec::new();
            for raw in &seen.values {
                match (field.kind, raw) {
                    // A packed run of numbers.
                    (k, Raw::Bytes(b)) if is_packable(k) => {
                        let mut pos = 0;
                        while pos < b.len() {
                            let raw = match k {
                                Kind::Double => Raw::Fixed64(fixed64(take(b, &mut pos, 8)?)),
                                _ => Raw::Varint(varint(b, &mut pos)?),
                            };
                            items.push(single(field.kind, raw, depth)?);
                        }
                    }
                    (_, raw) => items.push(single(field.kind, *raw, depth)?),
                }
            }
            Ok((!items.is_empty()).then_some(Value::Array(items)))
        }
        Card::Map => {
            let mut entries = std::collections::BTreeMap::new();
            for raw in &seen.values {
                let Raw::Bytes(entry) = raw else {
                    return Err(malformed(format!(
                        "map field {} is not length-delimited",
                        field.json
                    )));
                };
                let (key, value) = map_entry(field.kind, entry, depth)?;
                entries.insert(key, value);
            }
            Ok(Some(Value::Object(entries.into_iter().collect())))
        }
        Card::Singular | Card::Oneof(_) => {
            let value = if let Kind::Message(_) = field.kind {
                // Repeated occurrences of a message field merge: their encodings concatenate.
                let mut merged = Vec::new();
                for raw in &seen.values {
                    let Raw::Bytes(b) = raw else {
                        return Err(malformed(format!("field {} is not a message", field.json)));
                    };
                    merged.extend_from_slice(b);
                }
                single(field.kind, Raw::Bytes(&merged), depth)?
            } else {
                let last = seen.values[seen.values.len() - 1];
                if field.card == Card::Singular && is_zero(field.kind, last) {
                    return Ok(None);
                }
                single(field.kind, last, depth)?
            };
            Ok(Some(value))
        }
    }
}

fn is_packable(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Bool
            | Kind::Int64
            | Kind::Uint64
            | Kind::Int32
            | Kind::Double
            | Kind::Enum(_)
            | Kind::Null
    )
}

/// Proto3's "not set" for a scalar with implicit presence (a double is set unless its bits are
/// all zero, so `-0.0` is written).
fn is_zero(kind: Kind, raw: Raw<'_>) -> bool {
    match raw {
        Raw::Varint(v) => match kind {
            Kind::Int32 | Kind::Enum(_) | Kind::Null => v as u32 == 0,
            _ => v == 0,
        },
        Raw::Fixed64(v) => v == 0,
        Raw::Fixed32(v) => v == 0,
        Raw::Bytes(b) => b.is_empty(),
    }
}

/// A map entry (key 1, value 2); a missing key or value is its zero value.
fn map_entry(kind: Kind, entry: &[u8], depth: usize) -> Result<(String, Value), KeyError> {
    let mut key = String::new();
    let mut value = Seen::default();
    for (number, raw) in wire_fields(entry)? {
        match (number, raw) {
            (1, Raw::Bytes(b)) => key = utf8(b)?,
            (1, _) => return Err(malformed("a map key is not a string")),
            (2, raw) => value.values.push(raw),
            _ => {}
        }
    }
    // As a oneof member, the value is written even when it is zero.
    let field = Field {
        number: 2,
        json: "value",
        kind,
        card: Card::Oneof(0),
    };
    let value = match field_value(&field, &value, depth)? {
        Some(value) => value,
        None => zero(kind, depth)?,
    };
    Ok((key, value))
}

/// The JSON of a kind's zero value (a map entry without its value).
fn zero(kind: Kind, depth: usize) -> Result<Value, KeyError> {
    match kind {
        Kind::Message(_) | Kind::String | Kind::Bytes => single(kind, Raw::Bytes(&[]), depth),
        Kind::Double => single(kind, Raw::Fixed64(0), depth),
        _ => single(kind, Raw::Varint(0), depth),
    }
}

fn utf8(bytes: &[u8]) -> Result<String, KeyError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| malformed("a string field is not valid UTF-8"))
}

fn number(value: f64) -> Value {
    match Number::from_f64(value) {
        Some(n) => Value::Number(n),
        None if value.is_nan() => Value::String("NaN".into()),
        None if value > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

/// One value of a field.
fn single(kind: Kind, raw: Raw<'_>, depth: usize) -> Result<Value, KeyError> {
    Ok(match (kind, raw) {
        (Kind::String, Raw::Bytes(b)) => Value::String(utf8(b)?),
        (Kind::Bytes, Raw::Bytes(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        (Kind::Bool, Raw::Varint(v)) => Value::Bool(v != 0),
        (Kind::Int64, Raw::Varint(v)) => Value::String((v as i64).to_string()),
        (Kind::Uint64, Raw::Varint(v)) => Value::String(v.to_string()),
        (Kind::Int32, Raw::Varint(v)) => number(f64::from(v as i32)),
        (Kind::Double, Raw::Fixed64(v)) => number(f64::from_bits(v)),
        (Kind::Null, Raw::Varint(_)) => Value::Null,
        (Kind::Enum(names), Raw::Varint(v)) => {
            let v = v as i32;
            match names.iter().find(|(n, _)| *n == v) {
                Some((_, name)) => Value::String((*name).to_owned()),
                None => number(f64::from(v)),
            }
        }
        (Kind::Message(msg), Raw::Bytes(b)) => message(msg, b, depth + 1)?,
        _ => return Err(malformed("a field has the wrong wire type for its kind")),
    })
}

/// The JSON forms of the well-known types.
fn well_known(
    wkt: Wkt,
    msg: &'static Msg,
    seen: &[Seen<'_>],
    depth: usize,
) -> Result<Value, KeyError> {
    let last_varint = |i: usize| match seen[i].values.last() {
        Some(Raw::Varint(v)) => *v,
        _ => 0,
    };
    match wkt {
        Wkt::Timestamp => timestamp(last_varint(0) as i64, last_varint(1) as i32 as i64),
        Wkt::Duration => duration(last_varint(0) as i64, last_varint(1) as i32 as i64),
        Wkt::Struct => Ok(field_value(&msg.fields[0], &seen[0], depth)?
            .unwrap_or_else(|| Value::Object(Map::new()))),
        Wkt::ListValue => Ok(field_value(&msg.fields[0], &seen[0], depth)?
            .unwrap_or_else(|| Value::Array(Vec::new()))),
        Wkt::Value => {
            for (field, seen) in msg.fields.iter().zip(seen) {
                if let Some(value) = field_value(field, seen, depth)? {
                    return Ok(value);
                }
            }
            Err(malformed(
                "a google.protobuf.Value has no kind set (jsonpb: nil Value)",
            ))
        }
    }
}

const NANOS: i64 = 1_000_000_000;

/// `123.456000000` with trailing zero groups of three trimmed, as jsonpb does.
fn fraction(whole: String, nanos: i64) -> String {
    let mut text = format!("{whole}.{nanos:09}");
    for _ in 0..2 {
        if text.ends_with("000") {
            text.truncate(text.len() - 3);
        }
    }
    if text.ends_with(".000") {
        text.truncate(text.len() - 4);
    }
    text
}

fn duration(seconds: i64, nanos: i64) -> Result<Value, KeyError> {
    const MAX_SECONDS: i64 = 315_576_000_000;
    if !(-MAX_SECONDS..=MAX_SECONDS).contains(&seconds) {
        return Err(malformed(format!(
            "a Duration's seconds are out of range: {seconds}"
        )));
    }
    if nanos <= -NANOS || nanos >= NANOS {
        return Err(malformed(format!(
            "a Duration's nanos are out of range: {nanos}"
        )));
    }
    if (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0) {
        return Err(malformed(
            "a Duration's seconds and nanos have different signs",
        ));
    }
    let (sign, seconds, nanos) = if seconds < 0 || nanos < 0 {
        ("-", -seconds, -nanos)
    } else {
        ("", seconds, nanos)
    };
    Ok(Value::String(format!(
        "{}s",
        fraction(format!("{sign}{seconds}"), nanos)
    )))
}

fn timestamp(seconds: i64, nanos: i64) -> Result<Value, KeyError> {
    if !(0..NANOS).contains(&nanos) {
        return Err(malformed(format!(
            "a Timestamp's nanos are out of range: {nanos}"
        )));
    }
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        // Go formats such years in ways RFC 3339 has no room for; no Flyte value has them.
        return Err(malformed(format!(
            "a Timestamp's year is outside 0..=9999: {year}"
        )));
    }
    let whole = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    );
    Ok(Value::String(format!("{}Z", fraction(whole, nanos))))
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_durations_are_written_as_jsonpb_writes_them() -> Result<(), KeyError> {
        // pbhash_test.go's sample time, 2019-03-29T12:00:00Z, and a millisecond.
        assert_eq!(timestamp(1_553_860_800, 0)?, "2019-03-29T12:00:00Z");
        assert_eq!(timestamp(0, 1_500_000)?, "1970-01-01T00:00:00.001500Z");
        assert_eq!(
            timestamp(-1, 123_456_789)?,
            "1969-12-31T23:59:59.123456789Z"
        );
        assert_eq!(duration(0, 1_000_000)?, "0.001s");
        assert_eq!(duration(3, 0)?, "3s");
        assert_eq!(duration(-1, -500_000_000)?, "-1.500s");
        assert!(duration(1, -1).is_err());
        assert!(timestamp(0, NANOS).is_err());
        Ok(())
    }

    #[test]
    fn truncated_or_group_encoded_bytes_are_errors_not_panics() {
        for bytes in [&[0x0a, 0x05, 0x01][..], &[0x0b], &[0x80], &[0x00]] {
            assert!(
                to_json(&super::super::schema::LITERAL_MAP, bytes).is_err(),
                "{bytes:?}"
            );
        }
    }
}
