//! MessagePack for JSON values: how flytekit (1.14 and later) writes dataclasses and pydantic
//! models, as a `Binary` scalar tagged `msgpack`. Encoding uses the shortest forms, as Python's
//! `msgpack.packb` does.

use serde_json::{Map, Number, Value as Json};

/// `value` as MessagePack.
pub(crate) fn encode(value: &Json) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out, value);
    out
}

fn write_len(out: &mut Vec<u8>, len: usize, fix: Option<(u8, usize)>, codes: [u8; 3]) {
    match (fix, len) {
        (Some((base, max)), n) if n <= max => out.push(base | n as u8),
        (_, n) if n <= 0xff && codes[0] != 0 => out.extend([codes[0], n as u8]),
        (_, n) if n <= 0xffff => {
            out.push(codes[1]);
            out.extend((n as u16).to_be_bytes());
        }
        (_, n) => {
            out.push(codes[2]);
            out.extend(u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
        }
    }
}

fn write_int(out: &mut Vec<u8>, n: &Number) {
    if let Some(u) = n.as_u64() {
        match u {
            0..=0x7f => out.push(u as u8),
            0x80..=0xff => out.extend([0xcc, u as u8]),
            0x100..=0xffff => {
                out.push(0xcd);
                out.extend((u as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(0xce);
                out.extend((u as u32).to_be_bytes());
            }
            _ => {
                out.push(0xcf);
                out.extend(u.to_be_bytes());
            }
        }
    } else if let Some(i) = n.as_i64() {
        match i {
            -32..=-1 => out.push(i as u8),
            -0x80..=-33 => out.extend([0xd0, i as u8]),
            -0x8000..=-0x81 => {
                out.push(0xd1);
                out.extend((i as i16).to_be_bytes());
            }
            -0x8000_0000..=-0x8001 => {
                out.push(0xd2);
                out.extend((i as i32).to_be_bytes());
            }
            _ => {
                out.push(0xd3);
                out.extend(i.to_be_bytes());
            }
        }
    } else {
        out.push(0xcb);
        out.extend(n.as_f64().unwrap_or(f64::NAN).to_be_bytes());
    }
}

fn write(out: &mut Vec<u8>, value: &Json) {
    match value {
        Json::Null => out.push(0xc0),
        Json::Bool(false) => out.push(0xc2),
        Json::Bool(true) => out.push(0xc3),
        Json::Number(n) => write_int(out, n),
        Json::String(s) => {
            write_len(out, s.len(), Some((0xa0, 31)), [0xd9, 0xda, 0xdb]);
            out.extend(s.as_bytes());
        }
        Json::Array(items) => {
            write_len(out, items.len(), Some((0x90, 15)), [0, 0xdc, 0xdd]);
            for item in items {
                write(out, item);
            }
        }
        Json::Object(map) => {
            write_len(out, map.len(), Some((0x80, 15)), [0, 0xde, 0xdf]);
            for (k, v) in map {
                write(out, &Json::String(k.clone()));
                write(out, v);
            }
        }
    }
}

/// MessagePack as JSON. Binary values become base64 strings; map keys that are not strings are
/// written as JSON text; extension types and trailing bytes are errors (with the offset).
pub(crate) fn decode(bytes: &[u8]) -> Result<Json, String> {
    let mut r = Reader { bytes, at: 0 };
    let v = r.value(0)?;
    if r.at != bytes.len() {
        return Err(format!(
            "{} trailing bytes at offset {}",
            bytes.len() - r.at,
            r.at
        ));
    }
    Ok(v)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

const MAX_DEPTH: usize = 256;

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| format!("truncated at offset {}: {n} more bytes needed", self.at))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, String> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn str(&mut self, n: usize) -> Result<Json, String> {
        let at = self.at;
        let s = self.take(n)?;
        std::str::from_utf8(s)
            .map(|s| Json::String(s.to_owned()))
            .map_err(|_| format!("invalid UTF-8 in the string at offset {at}"))
    }

    fn array(&mut self, n: usize, depth: usize) -> Result<Json, String> {
        let mut items = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            items.push(self.value(depth + 1)?);
        }
        Ok(Json::Array(items))
    }

    fn map(&mut self, n: usize, depth: usize) -> Result<Json, String> {
        let mut map = Map::new();
        for _ in 0..n {
            let key = match self.value(depth + 1)? {
                Json::String(s) => s,
                other => other.to_string(),
            };
            let value = self.value(depth + 1)?;
            map.insert(key, value);
        }
        Ok(Json::Object(map))
    }

    fn float(f: f64) -> Json {
        Number::from_f64(f).map_or(Json::Null, Json::Number)
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        let at = self.at;
        let code = self.take(1)?[0];
        let n = |v: u64| usize::try_from(v).map_err(|_| format!("length too large at offset {at}"));
        Ok(match code {
            0x00..=0x7f => Json::from(code),
            0x80..=0x8f => self.map(usize::from(code & 0x0f), depth)?,
            0x90..=0x9f => self.array(usize::from(code & 0x0f), depth)?,
            0xa0..=0xbf => self.str(usize::from(code & 0x1f))?,
            0xc0 => Json::Null,
            0xc2 => Json::Bool(false),
            0xc3 => Json::Bool(true),
            0xc4..=0xc6 => {
                let len = n(self.be(1 << (code - 0xc4))?)?;
                let b = self.take(len)?;
                Json::String(base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    b,
                ))
            }
            0xca => Self::float(f64::from(f32::from_bits(self.be(4)? as u32))),
            0xcb => Self::float(f64::from_bits(self.be(8)?)),
            0xcc..=0xcf => Json::from(self.be(1 << (code - 0xcc))?),
            0xd0 => Json::from(i64::from(self.be(1)? as u8 as i8)),
            0xd1 => Json::from(i64::from(self.be(2)? as u16 as i16)),
            0xd2 => Json::from(i64::from(self.be(4)? as u32 as i32)),
            0xd3 => Json::from(self.be(8)? as i64),
            0xd9..=0xdb => {
                let len = n(self.be(1 << (code - 0xd9))?)?;
                self.str(len)?
            }
            0xdc | 0xdd => {
                let len = n(self.be(if code == 0xdc { 2 } else { 4 })?)?;
                self.array(len, depth)?
            }
            0xde | 0xdf => {
                let len = n(self.be(if code == 0xde { 2 } else { 4 })?)?;
                self.map(len, depth)?
            }
            0xe0..=0xff => Json::from(i64::from(code as i8)),
            _ => {
                return Err(format!(
                    "unsupported MessagePack type 0x{code:02x} at offset {at}"
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
            .collect()
    }

    // msgpack.packb([1,-5,-33,200,-200,2**40,-2**33,1.5,'x',None,True,False,'y'*40,[],{}])
    // from Python's msgpack 1.x, the library flytekit uses.
    const PYTHON_LIST: &str = "9f01fbd0dfccc8d1ff38cf0000010000000000d3fffffffe00000000cb3ff8000000000000a178c0c3c2d928797979797979797979797979797979797979797979797979797979797979797979797979797979799080";

    #[test]
    fn matches_python_msgpack_both_ways() -> Result<(), String> {
        let json = serde_json::json!([
            1,
            -5,
            -33,
            200,
            -200,
            1_099_511_627_776_u64,
            -8_589_934_592_i64,
            1.5,
            "x",
            null,
            true,
            false,
            "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy",
            [],
            {}
        ]);
        assert_eq!(decode(&hex(PYTHON_LIST))?, json);
        assert_eq!(encode(&json), hex(PYTHON_LIST));
        Ok(())
    }

    #[test]
    fn round_trips_large_and_nested_values() -> Result<(), String> {
        let nested: Map<String, Json> = (0..40).map(|i| (format!("k{i}"), Json::from(i))).collect();
        let json = serde_json::json!({
            "name": "résumé", "long": "z".repeat(70_000), "xs": (0..70_000).collect::<Vec<u32>>(),
            "nested": nested, "neg": -40_000, "deep": [[[{"a": [1.25e300]}]]],
            "u32": 4_000_000_000_u64, "i32": -2_000_000_000,
        });
        assert_eq!(decode(&encode(&json))?, json);
        Ok(())
    }

    #[test]
    fn bad_bytes_are_errors_with_offsets() {
        assert_eq!(
            decode(&hex("9201")).expect_err("truncated"),
            "truncated at offset 2: 1 more bytes needed"
        );
        assert!(decode(&hex("0101"))
            .expect_err("trailing")
            .contains("trailing"));
        assert!(decode(&hex("c1")).expect_err("never used").contains("0xc1"));
        assert!(decode(&hex("a2ffff")).expect_err("utf8").contains("UTF-8"));
        assert!(
            decode(&hex("dfffffffff")).is_err(),
            "a huge length is not allocated"
        );
        let deep = vec![0x91_u8; 10_000];
        assert!(decode(&deep).expect_err("deep").contains("nested"));
    }
}
