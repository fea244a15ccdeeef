//! Ben Laurie's objecthash of a JSON value, as `github.com/benlaurie/objecthash/go/objecthash`
//! at d1e3d6079fc1 (the version flytestdlib pins) computes `CommonJSONHash`: SHA-256 over a type
//! letter and the content; lists hash their items' hashes in order, objects their (key hash,
//! value hash) pairs sorted by key hash; every number is a float64, written as sign, binary
//! exponent and mantissa bits.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::KeyError;

fn hash(kind: &[u8], content: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(kind);
    h.update(content);
    h.finalize().into()
}

/// The objecthash of `value`.
pub(crate) fn object_hash(value: &Value) -> Result<[u8; 32], KeyError> {
    Ok(match value {
        Value::Null => hash(b"n", b""),
        Value::Bool(b) => hash(b"b", if *b { b"1" } else { b"0" }),
        Value::String(s) => hash(b"u", s.as_bytes()),
        Value::Number(n) => {
            let f = n
                .as_f64()
                .ok_or_else(|| KeyError::Malformed(format!("number {n} is not a float64")))?;
            hash(b"f", float_normalize(f)?.as_bytes())
        }
        Value::Array(items) => {
            let mut content = Vec::with_capacity(items.len() * 32);
            for item in items {
                content.extend_from_slice(&object_hash(item)?);
            }
            hash(b"l", &content)
        }
        Value::Object(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (key, value) in map {
                entries.push((hash(b"u", key.as_bytes()), object_hash(value)?));
            }
            entries.sort();
            let mut content = Vec::with_capacity(entries.len() * 64);
            for (k, v) in entries {
                content.extend_from_slice(&k);
                content.extend_from_slice(&v);
            }
            hash(b"d", &content)
        }
    })
}

/// objecthash's float text: `+` or `-`, the exponent `e` that brings the magnitude into
/// (0.5, 1], `:`, then the mantissa's bits; zero (either sign) is `+0:`.
fn float_normalize(original: f64) -> Result<String, KeyError> {
    if original == 0.0 {
        return Ok("+0:".to_owned());
    }
    if !original.is_finite() {
        return Err(KeyError::Malformed(format!(
            "cannot normalize float {original}"
        )));
    }
    let mut f = original;
    let mut s = String::from("+");
    if f < 0.0 {
        s = String::from("-");
        f = -f;
    }
    let mut e = 0i32;
    while f > 1.0 {
        f /= 2.0;
        e += 1;
    }
    while f <= 0.5 {
        f *= 2.0;
        e -= 1;
    }
    s.push_str(&format!("{e}:"));
    while f != 0.0 {
        if f >= 1.0 {
            s.push('1');
            f -= 1.0;
        } else {
            s.push('0');
        }
        if s.len() >= 1000 {
            return Err(KeyError::Malformed(format!(
                "cannot normalize float {original}"
            )));
        }
        f *= 2.0;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hex(bytes: [u8; 32]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The cases of objecthash's own `common_json.test` (at the pinned commit), which every
    /// implementation of the algorithm must reproduce.
    #[test]
    fn reproduces_objecthash_common_json_vectors() -> Result<(), KeyError> {
        let cases = [
            (
                json!([]),
                "acac86c0e609ca906f632b0e2dacccb2b77d22b0621f20ebece1a4835b93f6f0",
            ),
            (
                json!(["foo"]),
                "268bc27d4974d9d576222e4cdbb8f7c6bd6791894098645a19eeca9c102d0964",
            ),
            (
                json!(["foo", "bar"]),
                "32ae896c413cfdc79eec68be9139c86ded8b279238467c216cf2bec4d5f1e4a2",
            ),
            (
                json!({}),
                "18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4",
            ),
            (
                json!({"foo": "bar"}),
                "7ef5237c3027d6c58100afadf37796b3d351025cf28038280147d42fdc53b960",
            ),
            (
                json!({"foo": ["bar", "baz"], "qux": ["norf"]}),
                "f1a9389f27558538a064f3cc250f8686a0cebb85f1cab7f4d4dcc416ceda3c92",
            ),
            (
                json!(true),
                "7dc96f776c8423e57a2785489a3f9c43fb6e756876d6ad9a9cac4aa4e72ec193",
            ),
            (
                json!(false),
                "c02c0b965e023abee808f2b548d8d5193a8b5229be6f3121a6f16e2d41a449b3",
            ),
            (
                json!(["foo", {"bar": ["baz", null, 1.0, 1.5, 0.0001, 1000.0, 2.0, -23.1234, 2.0]}]),
                "783a423b094307bcb28d005bc2f026ff44204442ef3513585e7e73b66e3c2213",
            ),
            // Integers and floats are the same number.
            (
                json!(["foo", {"bar": ["baz", null, 1, 1.5, 0.0001, 1000, 2, -23.1234, 2]}]),
                "783a423b094307bcb28d005bc2f026ff44204442ef3513585e7e73b66e3c2213",
            ),
            (
                json!({"k2": "v2", "k1": "v1", "k3": "v3"}),
                "ddd65f1f7568269a30df7cafc26044537dc2f02a1a0d830da61762fc3e687057",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(hex(object_hash(&value)?), expected, "{value}");
        }
        Ok(())
    }

    #[test]
    fn floats_normalize_as_objecthash_writes_them() -> Result<(), KeyError> {
        assert_eq!(float_normalize(1.0)?, "+0:1");
        assert_eq!(float_normalize(2.0)?, "+1:1");
        assert_eq!(float_normalize(0.75)?, "+0:011");
        assert_eq!(float_normalize(-1.5)?, "-1:011");
        assert_eq!(float_normalize(-0.0)?, "+0:");
        assert_eq!(float_normalize(f64::MIN_POSITIVE / 4.0)?, "+-1024:1");
        assert_eq!(float_normalize(0.5)?, "+-1:1");
        Ok(())
    }
}
