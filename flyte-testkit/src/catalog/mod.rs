//! The test kit's DataCatalog: the store behind propeller's memoization of cached tasks and
//! the DataCatalog gRPC service.

pub(crate) mod keys;
pub(crate) mod memo;
pub(crate) mod store;

pub(crate) use memo::Memo;
pub(crate) use store::CatalogStore;
