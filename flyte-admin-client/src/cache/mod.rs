//! Flyte's task cache as a client sees it: each node's cache status and catalog key, as
//! FlyteAdmin reports them.
//!
//! Flyte memoizes a task whose metadata is `discoverable` (flytekit's `cache=True`, or
//! [`ContainerTask::cache`](crate::build::ContainerTask::cache)) in DataCatalog: one dataset per
//! task name, cache version and interface, one artifact per distinct inputs, tagged with their
//! hash. A node that finds its tag reports `CACHE_HIT` and reuses the artifact; one that does not
//! runs and reports `CACHE_POPULATED`.

mod key;

pub use flyteidl::flyteidl::core::CatalogCacheStatus;
pub use key::{cache_status, CatalogKey};
