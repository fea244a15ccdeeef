//! The test kit's DataCatalog: the store behind propeller's memoization of cached tasks and
//! the DataCatalog gRPC service.

pub(crate) mod memo;
mod service;
pub(crate) mod store;

pub(crate) use memo::Memo;
pub(crate) use service::Catalog;
pub(crate) use store::CatalogStore;
