//! Flyte's literal files: `inputs.pb` and `outputs.pb` with their offloaded literals resolved,
//! and `error.pb`.
//!
//! Since Flyte 1.13, propeller may store a large literal in a file of its own and leave in its
//! place a `Literal` whose value is `offloaded_metadata` (field 8 of `Literal.value`): the URI,
//! the size and the inferred type. The `flyteidl` crate predates that field, so prost drops it
//! and such a literal decodes with no value at all. This module reads the field from the same
//! bytes with a small message of its own and replaces each offloaded literal with the literal
//! stored at its URI.

use std::collections::HashMap;

use flyteidl::flyteidl::core::{literal, ErrorDocument, Literal, LiteralMap, LiteralType};

use crate::error::{Error, Result};
use crate::store::{FlyteStorage, LITERAL_LIMIT_SETTING};

/// Offloaded literals may point at literals that are themselves offloaded; this many levels are
/// followed before the chain is taken for a loop.
const MAX_OFFLOAD_DEPTH: usize = 8;

/// At most this many offloaded literals are read for one map or literal. A literal
/// naming another ten times, which names another ten times, and so on, would otherwise take
/// 10^8 reads within the depth limit.
const MAX_OFFLOADED_READS: usize = 10_000;

/// What one call may still read: offloaded literals, and bytes over all of them.
struct Budget {
    reads: usize,
    /// `u64::MAX` for no limit.
    bytes: u64,
    /// The configured total, for errors.
    limit: u64,
}

impl Budget {
    fn of(store: &FlyteStorage) -> Budget {
        let limit = store.literal_limit();
        Budget {
            reads: MAX_OFFLOADED_READS,
            bytes: if limit == 0 { u64::MAX } else { limit },
            limit,
        }
    }
}

/// Where an offloaded literal lives (`flyteidl.core.LiteralOffloadedMetadata`).
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct OffloadedMetadata {
    /// The URI of the file holding the serialized `Literal`.
    #[prost(string, tag = "1")]
    pub(crate) uri: String,
    /// Its size in bytes.
    #[prost(uint64, tag = "2")]
    pub(crate) size_bytes: u64,
    /// The type propeller inferred for it.
    #[prost(message, optional, tag = "3")]
    pub(crate) inferred_type: Option<LiteralType>,
}

/// The parts of a `Literal` the `flyteidl` crate does not know, plus the nesting that leads to
/// them.
#[derive(Clone, PartialEq, prost::Message)]
struct LiteralShadow {
    #[prost(message, optional, tag = "2")]
    collection: Option<CollectionShadow>,
    #[prost(message, optional, tag = "3")]
    map: Option<MapShadow>,
    #[prost(message, optional, tag = "8")]
    offloaded: Option<OffloadedMetadata>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct CollectionShadow {
    #[prost(message, repeated, tag = "1")]
    literals: Vec<LiteralShadow>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct MapShadow {
    #[prost(map = "string, message", tag = "1")]
    literals: HashMap<String, LiteralShadow>,
}

fn corrupt(uri: &str, what: &str, e: prost::DecodeError) -> Error {
    Error::corrupt(uri, format!("not a {what}: {e}")).with_source(e)
}

/// Every offloaded literal under `shadow`, with the path that reaches it (`["a", "2"]` is key
/// `a`, then item 2).
fn offloaded_under(
    shadow: &LiteralShadow,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, OffloadedMetadata)>,
) {
    if let Some(m) = &shadow.offloaded {
        out.push((path.clone(), m.clone()));
    }
    if let Some(c) = &shadow.collection {
        for (i, item) in c.literals.iter().enumerate() {
            path.push(i.to_string());
            offloaded_under(item, path, out);
            path.pop();
        }
    }
    if let Some(m) = &shadow.map {
        for (k, item) in &m.literals {
            path.push(k.clone());
            offloaded_under(item, path, out);
            path.pop();
        }
    }
}

/// The literal at `path` under `root`.
fn literal_at<'a>(root: &'a mut Literal, path: &[String]) -> Option<&'a mut Literal> {
    let Some((first, rest)) = path.split_first() else {
        return Some(root);
    };
    let next = match root.value.as_mut()? {
        literal::Value::Collection(c) => c.literals.get_mut(first.parse::<usize>().ok()?)?,
        literal::Value::Map(m) => m.literals.get_mut(first)?,
        literal::Value::Scalar(_) => return None,
    };
    literal_at(next, rest)
}

/// A serialized `Literal` that stands for the literal stored at `uri` (`size_bytes` long), as
/// propeller writes one when it offloads a large value: what [`FlyteStorage::read_literal_map`]
/// resolves. For tests, and for tools that offload literals themselves.
pub fn offloaded_literal(
    uri: &str,
    size_bytes: u64,
    inferred_type: Option<LiteralType>,
) -> Vec<u8> {
    prost::Message::encode_to_vec(&LiteralShadow {
        offloaded: Some(OffloadedMetadata {
            uri: uri.to_owned(),
            size_bytes,
            inferred_type,
        }),
        ..Default::default()
    })
}

/// The URIs of the offloaded literals in a serialized `LiteralMap`, however deeply nested: the
/// files a reader needs besides it (none: the map stands alone, no store is needed to read it).
/// `source` names where the bytes came from, for errors, as in
/// [`FlyteStorage::resolve_literal_map`].
///
/// # Errors
/// [`Error::Corrupt`] when `map` is not a `LiteralMap` (protobuf's error is its source).
pub fn offloaded_uris(map: &[u8], source: &str) -> Result<Vec<String>> {
    let shadow: MapShadow =
        prost::Message::decode(map).map_err(|e| corrupt(source, "LiteralMap", e))?;
    let mut found = Vec::new();
    for item in shadow.literals.values() {
        offloaded_under(item, &mut Vec::new(), &mut found);
    }
    Ok(found.into_iter().map(|(_, m)| m.uri).collect())
}

impl FlyteStorage {
    /// The `LiteralMap` of an `inputs.pb` or `outputs.pb`, with every offloaded literal
    /// (however deeply nested in collections and maps) replaced by the literal stored at its
    /// URI. [`FlyteStorage::read_proto`] gives the file as stored.
    ///
    /// # Errors
    /// As [`FlyteStorage::get`], for the file and for each offloaded literal;
    /// [`Error::Corrupt`] when a file is not what it should be, offloaded literals nest deeper
    /// than 8 levels, or more than 10,000 of them are to be read; [`Error::TooLarge`] when
    /// they add up to more than [`FlyteStorage::max_literal_bytes`];
    /// [`Error::InvalidUri`] with [`crate::UriProblem::OutsideStore`] when one names a local
    /// file that is not this store's (see [`crate::UriProblem::OutsideStore`]).
    pub async fn read_literal_map(&self, uri: &str) -> Result<LiteralMap> {
        let bytes = self.get(uri).await?;
        self.resolve_literal_map(bytes, uri).await
    }

    /// A serialized `LiteralMap` obtained elsewhere (inline from FlyteAdmin, from a signed URL),
    /// with its offloaded literals read from this store as [`Self::read_literal_map`] does.
    /// `source` names where the bytes came from, for errors.
    ///
    /// # Errors
    /// As [`Self::read_literal_map`].
    pub async fn resolve_literal_map(
        &self,
        bytes: impl Into<bytes::Bytes>,
        source: &str,
    ) -> Result<LiteralMap> {
        let bytes = bytes.into();
        let mut map: LiteralMap =
            prost::Message::decode(bytes.clone()).map_err(|e| corrupt(source, "LiteralMap", e))?;
        let shadow: MapShadow =
            prost::Message::decode(bytes).map_err(|e| corrupt(source, "LiteralMap", e))?;
        let mut budget = Budget::of(self);
        for (name, item) in &shadow.literals {
            if let Some(lit) = map.literals.get_mut(name) {
                self.resolve(lit, item, 0, &mut budget).await?;
            }
        }
        Ok(map)
    }

    /// The literal stored at `uri` (an offloaded literal's file), itself resolved.
    ///
    /// # Errors
    /// As [`FlyteStorage::read_literal_map`].
    pub async fn read_literal(&self, uri: &str) -> Result<Literal> {
        let mut budget = Budget::of(self);
        self.read_literal_at(uri, 0, &mut budget).await
    }

    async fn read_literal_at(
        &self,
        uri: &str,
        depth: usize,
        budget: &mut Budget,
    ) -> Result<Literal> {
        let bytes = self
            .get_within(uri, budget.bytes, LITERAL_LIMIT_SETTING)
            .await
            .map_err(|e| match e {
                // Against the total, not this read alone: say so.
                Error::TooLarge {
                    uri, size, setting, ..
                } if setting == LITERAL_LIMIT_SETTING => {
                    Error::too_large(uri, size, budget.limit, setting)
                }
                e => e,
            })?;
        budget.bytes -= bytes.len() as u64;
        let mut lit: Literal =
            prost::Message::decode(bytes.clone()).map_err(|e| corrupt(uri, "Literal", e))?;
        let shadow: LiteralShadow =
            prost::Message::decode(bytes).map_err(|e| corrupt(uri, "Literal", e))?;
        self.resolve(&mut lit, &shadow, depth, budget).await?;
        Ok(lit)
    }

    /// Replaces every offloaded literal under `lit` (its `shadow` read from the same bytes).
    async fn resolve(
        &self,
        lit: &mut Literal,
        shadow: &LiteralShadow,
        depth: usize,
        budget: &mut Budget,
    ) -> Result<()> {
        let mut found = Vec::new();
        offloaded_under(shadow, &mut Vec::new(), &mut found);
        for (path, meta) in found {
            if depth >= MAX_OFFLOAD_DEPTH {
                return Err(Error::corrupt(
                    meta.uri,
                    format!(
                        "offloaded literals nest more than {MAX_OFFLOAD_DEPTH} levels deep (a loop?)"
                    ),
                ));
            }
            if budget.reads == 0 {
                return Err(Error::corrupt(
                    meta.uri,
                    format!("more than {MAX_OFFLOADED_READS} offloaded literals to read"),
                ));
            }
            budget.reads -= 1;
            // Task code writes these URIs: only the store's own are followed.
            let uri = self.followable(&meta.uri).await?;
            let stored = Box::pin(self.read_literal_at(&uri, depth + 1, budget)).await?;
            let Some(slot) = literal_at(lit, &path) else {
                continue;
            };
            // The stored literal carries the value; the placeholder may carry hash and metadata.
            let mut stored = stored;
            if stored.hash.is_empty() {
                stored.hash = std::mem::take(&mut slot.hash);
            }
            for (k, v) in std::mem::take(&mut slot.metadata) {
                stored.metadata.entry(k).or_insert(v);
            }
            *slot = stored;
        }
        Ok(())
    }

    /// The error a task wrote (`error.pb`): its code, message, kind and origin.
    ///
    /// # Errors
    /// As [`FlyteStorage::read_proto`].
    pub async fn read_error_document(&self, uri: &str) -> Result<ErrorDocument> {
        self.read_proto(uri).await
    }
}
