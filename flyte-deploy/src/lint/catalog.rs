//! Caching: propeller's `catalog-cache` of type `datacatalog` needs the DataCatalog service.

use flyte_config::NodeRef;

use super::{entry, text, Context};
use crate::{Chart, Rule, Severity};

pub(super) fn check(cx: &mut Context, root: NodeRef<'_>) {
    // Both charts configure catalog-cache as datacatalog unless Flyte's config overrides it.
    let (toggle, off, cache_type) = match cx.chart {
        Chart::FlyteBinary => (
            "flyte-core-components.dataCatalog.disabled",
            true,
            text(root, "configuration.inline.catalog-cache.type"),
        ),
        Chart::FlyteCore => (
            "datacatalog.enabled",
            false,
            text(root, "configmap.catalog.catalog-cache.type"),
        ),
    };
    let Some((_, node)) = entry(root, toggle) else {
        return;
    };
    if node.to_value().as_bool() == Some(off)
        && cache_type.unwrap_or("datacatalog") == "datacatalog"
    {
        cx.push(
            Rule::CatalogDatacatalogDisabled,
            Severity::Error,
            toggle,
            node,
            "DataCatalog is off but catalog-cache is of type datacatalog: cached tasks fail \
             to reach it; set catalog-cache type to noop, or keep DataCatalog"
                .to_owned(),
        );
    }
}
