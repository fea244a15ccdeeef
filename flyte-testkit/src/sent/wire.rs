//! The protobuf wire format, read without a schema: enough to find a sub-message in a request,
//! merge what a client sent with what the test kit stores, and put those bytes into an answer.

use std::collections::HashMap;

use bytes::Bytes;
use prost::encoding::{decode_key, decode_varint, encode_key, encode_varint, WireType};
use prost::Message;

/// One occurrence of a field: its number, where it starts (at its key), where its payload starts
/// (for a length-delimited field) and where it ends.
#[derive(Debug, Clone, Copy)]
struct Field {
    number: u32,
    wire_type: WireType,
    start: usize,
    payload: usize,
    end: usize,
}

/// The fields of a message in the order they were written; `None` when the bytes are not a
/// message (or use groups, which no Flyte message has).
fn fields(buf: &[u8]) -> Option<Vec<Field>> {
    let mut out = Vec::new();
    let mut rest = buf;
    while !rest.is_empty() {
        let start = buf.len() - rest.len();
        let (number, wire_type) = decode_key(&mut rest).ok()?;
        let skip = match wire_type {
            WireType::Varint => {
                decode_varint(&mut rest).ok()?;
                0
            }
            WireType::SixtyFourBit => 8,
            WireType::ThirtyTwoBit => 4,
            WireType::LengthDelimited => usize::try_from(decode_varint(&mut rest).ok()?).ok()?,
            WireType::StartGroup | WireType::EndGroup => return None,
        };
        let payload = buf.len() - rest.len();
        rest = rest.get(skip..)?;
        out.push(Field {
            number,
            wire_type,
            start,
            payload,
            end: buf.len() - rest.len(),
        });
    }
    Some(out)
}

/// The embedded message at `path` (field numbers from the outermost message in): every
/// occurrence of each field concatenated, which is how protobuf merges repeated occurrences of a
/// singular message field.
pub(crate) fn message_at(buf: &[u8], path: &[u32]) -> Option<Vec<u8>> {
    let mut current = buf.to_vec();
    for number in path {
        let mut next = Vec::new();
        let mut found = false;
        for f in fields(&current)? {
            if f.number == *number && f.wire_type == WireType::LengthDelimited {
                next.extend_from_slice(&current[f.payload..f.end]);
                found = true;
            }
        }
        if !found {
            return None;
        }
        current = next;
    }
    Some(current)
}

/// The `index`th element of the repeated message field `number`.
pub(crate) fn element(buf: &[u8], number: u32, index: usize) -> Option<&[u8]> {
    fields(buf)?
        .into_iter()
        .filter(|f| f.number == number && f.wire_type == WireType::LengthDelimited)
        .nth(index)
        .map(|f| &buf[f.payload..f.end])
}

/// A sub-message as the test kit encodes it (`known`) and as it goes back to clients (`sent`):
/// the client's bytes, with what the test kit changed in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Kept {
    pub(crate) known: Bytes,
    pub(crate) sent: Bytes,
}

/// A field of `T` the test kit changes inside, and how to merge the client's bytes of it with
/// the stored value: the client's fields the test kit left alone inside it are kept too.
pub(crate) type Inner<'a> = (u32, &'a dyn Fn(&[u8]) -> Option<Kept>);

/// Merges what a client sent for a message with the value the test kit stored for it: each
/// field the test kit left as sent keeps the client's bytes (fields the `flyteidl` crate does
/// not know among them), each field it changed (as FlyteAdmin changes it) takes the stored
/// value, as does each field it added. `None` when the client's bytes say nothing the test
/// kit's own encoding does not (nothing to keep), or when they cannot be merged.
pub(crate) fn keep<T: Message + Default + PartialEq>(
    sent: &[u8],
    stored: &T,
    inner: &[Inner<'_>],
) -> Option<Kept> {
    let known = stored.encode_to_vec();
    let sent_fields = fields(sent)?;
    let known_fields = fields(&known)?;
    let occurrences = |buf: &[u8], fs: &[Field], number: u32| -> Vec<u8> {
        fs.iter()
            .filter(|f| f.number == number)
            .flat_map(|f| buf[f.start..f.end].iter().copied())
            .collect()
    };
    // Whether a field is as sent, judged by what it decodes to (a map's entries may come in any
    // order); a field `T` does not know decodes to nothing on both sides, so it is kept.
    let mut same: HashMap<u32, bool> = HashMap::new();
    let mut written = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(sent.len());
    for f in &sent_fields {
        let unchanged = *same.entry(f.number).or_insert_with(|| {
            let theirs = occurrences(sent, &sent_fields, f.number);
            let ours = occurrences(&known, &known_fields, f.number);
            theirs == ours
                || matches!(
                    (T::decode(theirs.as_slice()), T::decode(ours.as_slice())),
                    (Ok(a), Ok(b)) if a == b
                )
        });
        if unchanged {
            out.extend_from_slice(&sent[f.start..f.end]);
            continue;
        }
        if !written.insert(f.number) {
            // Written already, at the field's first occurrence.
            continue;
        }
        let merged = inner
            .iter()
            .find(|(n, _)| *n == f.number)
            .and_then(|(_, merge)| {
                let theirs = message_at(sent, &[f.number])?;
                merge(&theirs)
            });
        match merged {
            Some(kept) => {
                encode_key(f.number, WireType::LengthDelimited, &mut out);
                encode_varint(kept.sent.len() as u64, &mut out);
                out.extend_from_slice(&kept.sent);
            }
            None => out.extend(occurrences(&known, &known_fields, f.number)),
        }
    }
    for f in known_fields
        .iter()
        .filter(|f| !same.contains_key(&f.number))
    {
        out.extend_from_slice(&known[f.start..f.end]);
    }
    // Whatever happened above, clients of the `flyteidl` crate must read exactly what is stored.
    let decoded = T::decode(out.as_slice()).ok()?;
    (decoded == *stored && out != known).then(|| Kept {
        known: known.into(),
        sent: out.into(),
    })
}

/// Where kept bytes go: (field number, occurrence) pairs from the outer message in.
pub(crate) type Path<'a> = &'a [(u32, usize)];

/// `buf` with the message at each path replaced by its `Kept::sent`, where what is there is
/// its `Kept::known` (elsewhere the value changed since it was kept, and stays as it is). One
/// pass over the message, however many entities a list answer holds.
pub(crate) fn splice(buf: &[u8], splices: &[(Path<'_>, &Kept)]) -> Option<Vec<u8>> {
    let mut seen: HashMap<u32, usize> = HashMap::new();
    let mut out = Vec::with_capacity(buf.len());
    for f in fields(buf)? {
        let whole = &buf[f.start..f.end];
        if f.wire_type != WireType::LengthDelimited {
            out.extend_from_slice(whole);
            continue;
        }
        let counter = seen.entry(f.number).or_insert(0);
        let index = *counter;
        *counter += 1;
        let here: Vec<(Path<'_>, &Kept)> = splices
            .iter()
            .filter(|(path, _)| path.first() == Some(&(f.number, index)))
            .map(|(path, kept)| (&path[1..], *kept))
            .collect();
        if here.is_empty() {
            out.extend_from_slice(whole);
            continue;
        }
        let payload = &buf[f.payload..f.end];
        let replaced = match here.iter().find(|(rest, _)| rest.is_empty()) {
            Some((_, kept)) if payload == kept.known.as_ref() => kept.sent.to_vec(),
            Some(_) => payload.to_vec(),
            None => splice(payload, &here).unwrap_or_else(|| payload.to_vec()),
        };
        encode_key(f.number, WireType::LengthDelimited, &mut out);
        encode_varint(replaced.len() as u64, &mut out);
        out.extend_from_slice(&replaced);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flyteidl::flyteidl::core::{Identifier, TaskMetadata, TaskTemplate};

    /// `message` followed by field `number` as a length-delimited value the `flyteidl` crate
    /// does not know.
    fn with_unknown(message: &impl Message, number: u32, value: &[u8]) -> Vec<u8> {
        let mut buf = message.encode_to_vec();
        encode_key(number, WireType::LengthDelimited, &mut buf);
        encode_varint(value.len() as u64, &mut buf);
        buf.extend_from_slice(value);
        buf
    }

    fn template(name: &str) -> TaskTemplate {
        TaskTemplate {
            id: Some(Identifier {
                name: name.into(),
                ..Identifier::default()
            }),
            r#type: "python-task".into(),
            metadata: Some(TaskMetadata {
                discovery_version: "1".into(),
                ..TaskMetadata::default()
            }),
            ..TaskTemplate::default()
        }
    }

    #[test]
    fn unchanged_fields_keep_the_clients_bytes_and_changed_ones_take_the_stored_value() {
        let sent = with_unknown(&template("as-sent"), 99, b"newer");
        let mut stored = template("as-stored");
        stored.r#type = "python-task".into();
        let kept = keep(&sent, &stored, &[]).expect("something to keep");
        assert_eq!(TaskTemplate::decode(kept.sent.as_ref()), Ok(stored.clone()));
        assert_eq!(
            message_at(&kept.sent, &[99]).as_deref(),
            Some(&b"newer"[..])
        );
        assert_eq!(kept.known.as_ref(), stored.encode_to_vec().as_slice());
    }

    #[test]
    fn nothing_is_kept_when_the_client_encoded_what_the_test_kit_would() {
        let t = template("a");
        assert_eq!(keep(&t.encode_to_vec(), &t, &[]), None);
    }

    #[test]
    fn a_changed_field_merges_inside_when_told_how() {
        let metadata = with_unknown(&TaskMetadata::default(), 14, &[]);
        // TaskTemplate.metadata is field 3, TaskMetadata.is_eager (newer than the crate) 14.
        let mut sent = Vec::new();
        encode_key(3, WireType::LengthDelimited, &mut sent);
        encode_varint(metadata.len() as u64, &mut sent);
        sent.extend_from_slice(&metadata);
        let stored = TaskTemplate {
            metadata: Some(TaskMetadata {
                discovery_version: "2".into(),
                ..TaskMetadata::default()
            }),
            ..TaskTemplate::default()
        };
        let stored_metadata = stored.metadata.clone().unwrap_or_default();
        let merge = |theirs: &[u8]| keep(theirs, &stored_metadata, &[]);
        let kept = keep(&sent, &stored, &[(3, &merge)]).expect("kept");
        assert_eq!(TaskTemplate::decode(kept.sent.as_ref()), Ok(stored));
        assert_eq!(message_at(&kept.sent, &[3, 14]), Some(Vec::new()));
    }

    #[test]
    fn splicing_replaces_only_what_was_kept() {
        let kept = Kept {
            known: template("a").encode_to_vec().into(),
            sent: with_unknown(&template("a"), 99, b"x").into(),
        };
        let mut list = Vec::new();
        for name in ["b", "a"] {
            encode_key(1, WireType::LengthDelimited, &mut list);
            let t = template(name).encode_to_vec();
            encode_varint(t.len() as u64, &mut list);
            list.extend_from_slice(&t);
        }
        // Element 0 is not what was kept: it stays as it is.
        let spliced = splice(&list, &[(&[(1, 0)], &kept), (&[(1, 1)], &kept)]).expect("spliced");
        assert_eq!(element(&spliced, 1, 1), Some(kept.sent.as_ref()));
        assert_eq!(element(&spliced, 1, 0), element(&list, 1, 0));
        assert_eq!(splice(&list, &[]), Some(list.clone()));
    }

    #[test]
    fn bytes_that_are_not_a_message_are_refused_not_a_panic() {
        for bad in [&[0x0a, 0x05, 0x01][..], &[0xff; 11][..], &[0x0b][..]] {
            assert!(fields(bad).is_none());
            assert_eq!(keep(bad, &template("a"), &[]), None);
            assert_eq!(message_at(bad, &[1]), None);
        }
    }

    #[test]
    fn any_bytes_from_a_client_are_read_without_a_panic() {
        // A deterministic generator: the same buffers every run.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let stored = template("a");
        let kept = Kept {
            known: stored.encode_to_vec().into(),
            sent: with_unknown(&stored, 99, b"x").into(),
        };
        for round in 0..2000 {
            let len = (next() % 64) as usize;
            let mut buf: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if round % 2 == 0 {
                // Half start as a real message, so that parsing goes past the first field.
                buf = [stored.encode_to_vec(), buf].concat();
            }
            let _ = message_at(&buf, &[1, 2]);
            let _ = element(&buf, 1, 1);
            if let Some(kept) = keep(&buf, &stored, &[]) {
                assert_eq!(TaskTemplate::decode(kept.sent.as_ref()), Ok(stored.clone()));
            }
            let _ = splice(&buf, &[(&[(1, 0)], &kept), (&[(3, 0), (1, 0)], &kept)]);
        }
    }
}
