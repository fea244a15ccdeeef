//! Which datasets or artifacts a list returns, and in which pages and order.

use flyte_catalog::keys::DATASET_NAME_PREFIX;
use flyte_catalog::pb::{
    artifact_property_filter, dataset_property_filter, pagination_options,
    partition_property_filter, single_property_filter, tag_property_filter, ArtifactPropertyFilter,
    DatasetPropertyFilter, FilterExpression, KeyValuePair, PaginationOptions,
    PartitionPropertyFilter, SinglePropertyFilter, TagPropertyFilter,
};

/// The filters (all must match), page size and order of
/// [`DataCatalogClient::list_datasets`](super::DataCatalogClient::list_datasets) and
/// [`list_artifacts`](super::DataCatalogClient::list_artifacts). Dataset filters apply to
/// datasets; tag, partition and artifact filters to artifacts.
///
/// ```
/// use flyte_admin_client::catalog::CatalogQuery;
/// let q = CatalogQuery::new().project("flytesnacks").task("wf.square").page_size(50);
/// assert_eq!(q.filter().filters.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct CatalogQuery {
    filters: Vec<SinglePropertyFilter>,
    page_size: u32,
    ascending: bool,
}

impl Default for CatalogQuery {
    fn default() -> Self {
        CatalogQuery {
            filters: Vec::new(),
            page_size: Self::DEFAULT_PAGE_SIZE,
            ascending: false,
        }
    }
}

impl CatalogQuery {
    /// Items per request unless [`CatalogQuery::page_size`] says otherwise.
    pub const DEFAULT_PAGE_SIZE: u32 = 100;

    /// No filters, pages of [`CatalogQuery::DEFAULT_PAGE_SIZE`], newest first.
    pub fn new() -> Self {
        CatalogQuery::default()
    }

    fn push(mut self, filter: single_property_filter::PropertyFilter) -> Self {
        self.filters.push(SinglePropertyFilter {
            property_filter: Some(filter),
            operator: single_property_filter::ComparisonOperator::Equals as i32,
        });
        self
    }

    fn dataset(self, property: dataset_property_filter::Property) -> Self {
        self.push(single_property_filter::PropertyFilter::DatasetFilter(
            DatasetPropertyFilter {
                property: Some(property),
            },
        ))
    }

    /// Datasets of this project.
    pub fn project(self, project: impl Into<String>) -> Self {
        self.dataset(dataset_property_filter::Property::Project(project.into()))
    }

    /// Datasets of this domain.
    pub fn domain(self, domain: impl Into<String>) -> Self {
        self.dataset(dataset_property_filter::Property::Domain(domain.into()))
    }

    /// Datasets of this name.
    pub fn name(self, name: impl Into<String>) -> Self {
        self.dataset(dataset_property_filter::Property::Name(name.into()))
    }

    /// The datasets propeller made for the task of this name (`flyte_task-<name>`): one per
    /// cache version and interface.
    pub fn task(self, task_name: &str) -> Self {
        self.name(format!("{DATASET_NAME_PREFIX}-{task_name}"))
    }

    /// Datasets of this version.
    pub fn version(self, version: impl Into<String>) -> Self {
        self.dataset(dataset_property_filter::Property::Version(version.into()))
    }

    /// Datasets of this organization.
    pub fn org(self, org: impl Into<String>) -> Self {
        self.dataset(dataset_property_filter::Property::Org(org.into()))
    }

    /// Artifacts with this tag.
    pub fn tag(self, tag: impl Into<String>) -> Self {
        self.push(single_property_filter::PropertyFilter::TagFilter(
            TagPropertyFilter {
                property: Some(tag_property_filter::Property::TagName(tag.into())),
            },
        ))
    }

    /// Artifacts with this partition.
    pub fn partition(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.push(single_property_filter::PropertyFilter::PartitionFilter(
            PartitionPropertyFilter {
                property: Some(partition_property_filter::Property::KeyVal(KeyValuePair {
                    key: key.into(),
                    value: value.into(),
                })),
            },
        ))
    }

    /// The artifact of this id.
    pub fn artifact_id(self, id: impl Into<String>) -> Self {
        self.push(single_property_filter::PropertyFilter::ArtifactFilter(
            ArtifactPropertyFilter {
                property: Some(artifact_property_filter::Property::ArtifactId(id.into())),
            },
        ))
    }

    /// Items per request (at least 1).
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// Oldest first (DataCatalog's default is newest first).
    pub fn oldest_first(mut self) -> Self {
        self.ascending = true;
        self
    }

    /// The filter expression sent.
    pub fn filter(&self) -> FilterExpression {
        FilterExpression {
            filters: self.filters.clone(),
        }
    }

    /// The pagination sent for the page after `token`.
    pub(crate) fn pagination(&self, token: String) -> PaginationOptions {
        let order = if self.ascending {
            pagination_options::SortOrder::Ascending
        } else {
            pagination_options::SortOrder::Descending
        };
        PaginationOptions {
            limit: self.page_size,
            token,
            sort_key: pagination_options::SortKey::CreationTime as i32,
            sort_order: order as i32,
        }
    }
}
