//! Whether a value of one literal type may be bound where another is expected: flytepropeller
//! 1.16's `validators.AreTypesCastable` and its checkers
//! (`flytepropeller/pkg/compiler/validators/typing.go`), chosen by the downstream type.

use flyteidl::flyteidl::core::{
    literal_type,
    schema_type::{schema_column::SchemaColumnType, SchemaColumn},
    structured_dataset_type::DatasetColumn,
    LiteralType, SchemaType, SimpleType, StructuredDatasetType,
};

use super::json_schema;

type T = literal_type::Type;

fn is_none(t: &LiteralType) -> bool {
    matches!(t.r#type, Some(T::Simple(s)) if s == SimpleType::None as i32)
}

fn simple_of(t: &LiteralType) -> Option<i32> {
    match t.r#type {
        Some(T::Simple(s)) => Some(s),
        _ => None,
    }
}

fn tag_of(t: &LiteralType) -> &str {
    t.structure.as_ref().map_or("", |s| s.tag.as_str())
}

/// `AreTypesCastable(upstream, downstream)`: a union of one variant is first tried as that
/// variant, then the downstream type's checker decides.
pub(crate) fn castable(upstream: &LiteralType, downstream: &LiteralType) -> bool {
    if let Some(T::UnionType(u)) = &upstream.r#type {
        if let [only] = u.variants.as_slice() {
            if casts_from(downstream, only) {
                return true;
            }
        }
    }
    casts_from(downstream, upstream)
}

/// `getTypeChecker(downstream).CastsFrom(upstream)`.
fn casts_from(downstream: &LiteralType, upstream: &LiteralType) -> bool {
    match &downstream.r#type {
        Some(T::CollectionType(inner)) => match &upstream.r#type {
            // An empty collection's element type is NONE: it fits any collection.
            Some(T::CollectionType(up)) => is_none(up) || casts_from(inner, up),
            _ => false,
        },
        Some(T::MapValueType(inner)) => match &upstream.r#type {
            Some(T::MapValueType(up)) => is_none(up) || casts_from(inner, up),
            _ => false,
        },
        Some(T::Blob(down)) => match &upstream.r#type {
            // A blob type without a format is generic; dimensionality is not compared.
            Some(T::Blob(up)) => {
                up.format.is_empty() || down.format.is_empty() || up.format == down.format
            }
            _ => false,
        },
        Some(T::Schema(down)) => match &upstream.r#type {
            Some(T::Schema(up)) => schema_from_schema(up, down),
            // A schema is stored as parquet only.
            Some(T::StructuredDatasetType(up)) => {
                (up.format.is_empty() || up.format.eq_ignore_ascii_case("parquet"))
                    && schema_from_structured_dataset(up, down)
            }
            _ => false,
        },
        Some(T::UnionType(down)) => union_casts_from(&down.variants, upstream),
        Some(T::StructuredDatasetType(down)) => match &upstream.r#type {
            // Structured datasets are nullable.
            _ if is_none(upstream) => true,
            Some(T::StructuredDatasetType(up)) => {
                structured_dataset_from_structured_dataset(up, down)
            }
            Some(T::Schema(up)) => {
                (down.format.is_empty() || down.format.eq_ignore_ascii_case("parquet"))
                    && structured_dataset_from_schema(up, down)
            }
            _ => false,
        },
        _ if is_none(downstream) => is_none(upstream),
        _ => trivial_casts_from(downstream, upstream),
    }
}

/// A union accepts another union whose every variant fits one of its own, and any other type
/// that fits exactly one of its variants (two would be ambiguous).
fn union_casts_from(variants: &[LiteralType], upstream: &LiteralType) -> bool {
    if let Some(T::UnionType(up)) = &upstream.r#type {
        return up
            .variants
            .iter()
            .all(|u| variants.iter().any(|d| castable(u, d)));
    }
    variants.iter().filter(|d| castable(upstream, d)).count() == 1
}

/// `trivialChecker`: simple types, enums and untyped literal types.
fn trivial_casts_from(downstream: &LiteralType, upstream: &LiteralType) -> bool {
    let string = Some(SimpleType::String as i32);
    // An enum is a constrained string: each converts to the other.
    if matches!(upstream.r#type, Some(T::EnumType(_))) && simple_of(downstream) == string {
        return true;
    }
    if matches!(downstream.r#type, Some(T::EnumType(_))) && simple_of(upstream) == string {
        return true;
    }
    let up_tag = tag_of(upstream);
    if !up_tag.is_empty() && tag_of(downstream) != up_tag {
        return false;
    }
    let structure = Some(SimpleType::Struct as i32);
    if simple_of(upstream) == structure && simple_of(downstream) == structure {
        // The JSON schemas sit in the metadata; older flytekit left them out, and a type without
        // one is accepted so that reference tasks keep working.
        return match (&upstream.metadata, &downstream.metadata) {
            (Some(up), Some(down)) => {
                json_schema::same_type(up, down) || json_schema::super_type(up, down)
            }
            _ => true,
        };
    }
    // Structure, metadata and annotation are ignored: only the type itself is compared.
    upstream.r#type == downstream.r#type
}

/// A named column of a schema or a structured dataset.
trait Column {
    fn name(&self) -> &str;
}

impl Column for SchemaColumn {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Column for DatasetColumn {
    fn name(&self) -> &str {
        &self.name
    }
}

/// Every downstream column has an upstream column of its name (the last of that name, as Go's
/// map keeps it) that fits it; no columns on either side is generic.
fn columns_fit<U: Column, D: Column>(up: &[U], down: &[D], fits: impl Fn(&U, &D) -> bool) -> bool {
    if up.is_empty() || down.is_empty() {
        return true;
    }
    down.iter().all(|d| {
        up.iter()
            .rev()
            .find(|u| u.name() == d.name())
            .is_some_and(|u| fits(u, d))
    })
}

fn column_simple(c: &DatasetColumn) -> i32 {
    c.literal_type.as_ref().and_then(simple_of).unwrap_or(0)
}

fn schema_from_schema(up: &SchemaType, down: &SchemaType) -> bool {
    columns_fit(&up.columns, &down.columns, |u, d| u.r#type == d.r#type)
}

fn structured_dataset_from_structured_dataset(
    up: &StructuredDatasetType,
    down: &StructuredDatasetType,
) -> bool {
    // An empty format is generic (flyteorg/flyte#2864).
    if !up.format.is_empty()
        && !down.format.is_empty()
        && !up.format.eq_ignore_ascii_case(&down.format)
    {
        return false;
    }
    columns_fit(&up.columns, &down.columns, |u, d| {
        casts_from(
            &d.literal_type.clone().unwrap_or_default(),
            &u.literal_type.clone().unwrap_or_default(),
        )
    })
}

fn structured_dataset_from_schema(up: &SchemaType, down: &StructuredDatasetType) -> bool {
    columns_fit(&up.columns, &down.columns, |u, d| {
        column_matches(u.r#type, column_simple(d))
    })
}

fn schema_from_structured_dataset(up: &StructuredDatasetType, down: &SchemaType) -> bool {
    columns_fit(&up.columns, &down.columns, |u, d| {
        column_matches(d.r#type, column_simple(u))
    })
}

/// `schemaTypeIsMatchStructuredDatasetType`: a schema column type and the simple type of a
/// structured dataset column name the same thing.
fn column_matches(column: i32, simple: i32) -> bool {
    let want = match SchemaColumnType::try_from(column) {
        Ok(SchemaColumnType::Integer) => SimpleType::Integer,
        Ok(SchemaColumnType::Float) => SimpleType::Float,
        Ok(SchemaColumnType::String) => SimpleType::String,
        Ok(SchemaColumnType::Boolean) => SimpleType::Boolean,
        Ok(SchemaColumnType::Datetime) => SimpleType::Datetime,
        Ok(SchemaColumnType::Duration) => SimpleType::Duration,
        Err(_) => return false,
    };
    simple == want as i32
}
