//! Flyte's task cache as a client sees it: each node's cache status and catalog key, as
//! FlyteAdmin reports them, and why a node was or was not served from the cache
//! ([`AdminClient::explain_cache`](crate::AdminClient::explain_cache)).
//!
//! Flyte memoizes a task whose metadata is `discoverable` (flytekit's `cache=True`, or
//! [`ContainerTask::cache`](crate::build::ContainerTask::cache)) in DataCatalog: one dataset per
//! task name, cache version and interface, one artifact per distinct inputs, tagged with their
//! hash. A node that finds its tag reports `CACHE_HIT` and reuses the artifact; one that does not
//! runs and reports `CACHE_POPULATED`.

mod explain;
mod explanation;
mod key;

pub use explanation::{
    CacheExplanation, CacheReason, ExpectedKey, ExplainOptions, NearArtifact, DEFAULT_NEAREST,
    DEFAULT_SCAN,
};
pub use flyteidl::flyteidl::core::CatalogCacheStatus;
pub use key::{cache_status, CatalogKey};
