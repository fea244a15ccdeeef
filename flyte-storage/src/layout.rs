//! Where Flyte puts a task attempt's data, computed as flytepropeller computes it, so a tool can
//! go from a node execution to its raw outputs, checkpoints and pod without asking anyone.
//!
//! For attempt `a` of node `n` in execution `e`, propeller makes a unique id from `e-n-a`
//! (hashed to `f` + 7 base32 characters when longer than 50 characters), which is also the name
//! of the task's pod. The attempt's raw outputs go under
//! `{raw output prefix}/{shard}/{unique id}`, the shard being one of the 1296 two-character
//! prefixes `[a-z0-9][a-z0-9]` picked by a hash of the unique id; checkpoints go in
//! `_flytecheckpoints` under that.

/// The longest unique id propeller keeps as is (`IDMaxLength`); plugins may ask for less.
pub const UNIQUE_ID_MAX_LENGTH: usize = 50;

/// Base32 with propeller's alphabet (note `1`-`6`, not RFC 4648's `2`-`7`), no padding.
static PROPELLER_BASE32: std::sync::LazyLock<data_encoding::Encoding> =
    std::sync::LazyLock::new(|| {
        let mut spec = data_encoding::Specification::new();
        spec.symbols.push_str("abcdefghijklmnopqrstuvwxyz123456");
        // A constant, valid specification (32 distinct symbols); the tests encode with it.
        spec.encoding()
            .unwrap_or_else(|_| data_encoding::BASE32_NOPAD.clone())
    });

/// The 32-bit FNV-1a hash.
fn fnv1a32(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

fn base32(bytes: &[u8]) -> String {
    PROPELLER_BASE32.encode(bytes)
}

/// Propeller's id for one attempt of a task node: `{execution}-{node}-{attempt}`, or, when that
/// is longer than `max_length`, `f` followed by the base32 FNV-1a hash of it (8 characters).
/// With [`UNIQUE_ID_MAX_LENGTH`] this is also the name of the attempt's pod.
///
/// `node_id` is the node's unique id: its plain id at the top level, or the id propeller
/// derives for nodes inside sub-workflows and dynamic workflows.
pub fn task_unique_id(
    execution_name: &str,
    node_id: &str,
    attempt: u32,
    max_length: usize,
) -> String {
    // As propeller joins: a `-` before every part but those that start the id.
    let mut joined = String::new();
    for part in [execution_name, node_id, &attempt.to_string()] {
        if !joined.is_empty() {
            joined.push('-');
        }
        joined.push_str(part);
    }
    if joined.len() <= max_length {
        return joined;
    }
    format!("f{}", base32(&fnv1a32(joined.as_bytes()).to_be_bytes()))
}

/// The two-character shard propeller puts `unique_id` in.
pub fn shard(unique_id: &str) -> String {
    const CHARS: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let idx = fnv1a32(unique_id.as_bytes()) % (36 * 36);
    let idx = idx as usize;
    [CHARS[idx / 36], CHARS[idx % 36]]
        .iter()
        .map(|c| char::from(*c))
        .collect()
}

/// The raw output prefix of one task attempt: `{prefix}/{shard}/{unique id}`, where `prefix` is
/// the execution's raw output prefix (`raw_output_data_config.output_location_prefix`, else
/// the deployment's default).
pub fn raw_output_prefix(
    prefix: &str,
    execution_name: &str,
    node_id: &str,
    attempt: u32,
) -> String {
    let id = task_unique_id(execution_name, node_id, attempt, UNIQUE_ID_MAX_LENGTH);
    format!("{}/{}/{id}", prefix.trim_end_matches('/'), shard(&id))
}

/// Where an attempt writes its checkpoints, given its raw output prefix.
pub fn checkpoint_prefix(raw_output_prefix: &str) -> String {
    format!(
        "{}/_flytecheckpoints",
        raw_output_prefix.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_and_base32_match_their_definitions() {
        // FNV-1a reference values (draft-eastlake-fnv, test vectors "", "a", "foobar").
        assert_eq!(fnv1a32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a32(b"foobar"), 0xbf9c_f968);
        // RFC 4648 vectors, moved onto propeller's alphabet (2-7 become 1-6).
        assert_eq!(base32(b"f"), "my");
        assert_eq!(base32(b"fo"), "mzxq");
        assert_eq!(base32(b"foobar"), "mzxw6ytboi".replace('6', "5"));
    }

    #[test]
    fn short_ids_are_joined_and_long_ones_hashed() {
        assert_eq!(
            task_unique_id("a8x2kq4vz1", "n0", 0, UNIQUE_ID_MAX_LENGTH),
            "a8x2kq4vz1-n0-0"
        );
        let long = task_unique_id(
            &"e".repeat(40),
            "a-very-long-node-id",
            2,
            UNIQUE_ID_MAX_LENGTH,
        );
        assert_eq!(long.len(), 8);
        assert!(long.starts_with('f'));
        assert!(long
            .chars()
            .all(|c| "abcdefghijklmnopqrstuvwxyz123456".contains(c)));
        assert_ne!(
            long,
            task_unique_id(
                &"e".repeat(40),
                "a-very-long-node-id",
                3,
                UNIQUE_ID_MAX_LENGTH
            )
        );
    }

    #[test]
    fn raw_output_prefixes_are_sharded_under_the_prefix() {
        let p = raw_output_prefix("s3://raw/data/", "a8x2kq4vz1", "n1", 1);
        let (base, rest) = p.split_at("s3://raw/data/".len());
        assert_eq!(base, "s3://raw/data/");
        let (shard_part, id) = rest.split_once('/').unwrap_or_default();
        assert_eq!(id, "a8x2kq4vz1-n1-1");
        assert_eq!(shard_part, shard(id));
        assert_eq!(shard_part.len(), 2);
        assert_eq!(checkpoint_prefix(&p), format!("{p}/_flytecheckpoints"));
    }
}
