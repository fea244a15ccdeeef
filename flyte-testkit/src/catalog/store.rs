//! DataCatalog's state: datasets, their artifacts, tags and reservations, with DataCatalog's
//! rules (one dataset per id, one tag name per dataset, one reservation per tag) and its error
//! codes. Propeller's memoization ([`super::memo`]) and the DataCatalog gRPC service read and
//! write the same store, so what a test sees through the API is what executions hit.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use flyteidl::flyteidl::core::Literal;
use prost_types::Timestamp;
use tonic::Code;

/// A dataset's id: what DataCatalog keys datasets by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub(crate) struct DatasetKey {
    pub(crate) project: String,
    pub(crate) name: String,
    pub(crate) domain: String,
    pub(crate) version: String,
    pub(crate) uuid: String,
}

impl DatasetKey {
    /// The key without its `uuid`, which DataCatalog ignores when it looks a dataset up.
    fn lookup(&self) -> (&str, &str, &str, &str) {
        (&self.project, &self.name, &self.domain, &self.version)
    }
}

/// A dataset as DataCatalog stores it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dataset {
    pub(crate) id: DatasetKey,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) partition_keys: Vec<String>,
}

/// An artifact: named outputs of one run, in a dataset.
#[derive(Debug, Clone, Default)]
pub(crate) struct Artifact {
    pub(crate) id: String,
    pub(crate) dataset: DatasetKey,
    pub(crate) data: Vec<(String, Literal)>,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) partitions: Vec<(String, String)>,
    pub(crate) tags: Vec<String>,
    pub(crate) created_at: Timestamp,
}

/// A reservation on one tag of a dataset, held by one owner until it expires.
#[derive(Debug, Clone)]
pub(crate) struct Reservation {
    pub(crate) dataset: DatasetKey,
    pub(crate) tag: String,
    pub(crate) owner: String,
    pub(crate) heartbeat: Duration,
    /// Seconds since the Unix epoch, by the test kit's clock.
    pub(crate) expires_at: u64,
}

/// A DataCatalog error: its gRPC code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CatalogError {
    pub(crate) code: Code,
    pub(crate) message: String,
}

impl CatalogError {
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Self {
        CatalogError {
            code,
            message: message.into(),
        }
    }

    fn missing(entity: &str, id: impl std::fmt::Display) -> Self {
        CatalogError::new(
            Code::NotFound,
            format!("missing entity of type {entity} with identifier {id}"),
        )
    }

    fn exists() -> Self {
        CatalogError::new(Code::AlreadyExists, "entity already exists")
    }

    pub(crate) fn is_not_found(&self) -> bool {
        self.code == Code::NotFound
    }

    pub(crate) fn is_already_exists(&self) -> bool {
        self.code == Code::AlreadyExists
    }
}

impl From<CatalogError> for tonic::Status {
    fn from(e: CatalogError) -> Self {
        tonic::Status::new(e.code, e.message)
    }
}

/// How DataCatalog prints a dataset id in its errors (Go's text form of the message).
impl std::fmt::Display for DatasetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields = [
            ("project", &self.project),
            ("name", &self.name),
            ("domain", &self.domain),
            ("version", &self.version),
            ("UUID", &self.uuid),
        ];
        let mut first = true;
        for (k, v) in fields.iter().filter(|(_, v)| !v.is_empty()) {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            write!(f, "{k}:{v:?}")?;
        }
        Ok(())
    }
}

/// Every dataset, artifact, tag and reservation of one test kit.
#[derive(Debug, Default)]
pub(crate) struct CatalogStore {
    datasets: Vec<Dataset>,
    /// Artifacts by id, in creation order per dataset through `order`.
    artifacts: HashMap<String, Artifact>,
    order: Vec<String>,
    /// Tag name per dataset -> artifact id.
    tags: HashMap<(DatasetKey, String), String>,
    reservations: Vec<Reservation>,
    next_id: u64,
}

/// A dataset's key with the fields DataCatalog matches on (uuid cleared).
fn plain(key: &DatasetKey) -> DatasetKey {
    DatasetKey {
        uuid: String::new(),
        ..key.clone()
    }
}

impl CatalogStore {
    /// Creates `dataset`; AlreadyExists when one with the same id exists.
    pub(crate) fn create_dataset(&mut self, dataset: Dataset) -> Result<(), CatalogError> {
        if self.find_dataset(&dataset.id).is_some() {
            return Err(CatalogError::exists());
        }
        self.datasets.push(dataset);
        Ok(())
    }

    fn find_dataset(&self, id: &DatasetKey) -> Option<&Dataset> {
        self.datasets.iter().find(|d| {
            if id.uuid.is_empty() {
                d.id.lookup() == id.lookup()
            } else {
                d.id.uuid == id.uuid
            }
        })
    }

    /// The dataset with this id.
    pub(crate) fn dataset(&self, id: &DatasetKey) -> Result<Dataset, CatalogError> {
        self.find_dataset(id)
            .cloned()
            .ok_or_else(|| CatalogError::missing("Dataset", id))
    }

    /// Every dataset, in creation order.
    pub(crate) fn datasets(&self) -> &[Dataset] {
        &self.datasets
    }

    /// A new artifact id: unique within this store, shaped like a UUID as propeller makes them.
    pub(crate) fn new_artifact_id(&mut self) -> String {
        self.next_id += 1;
        format!("00000000-0000-4000-8000-{:012x}", self.next_id)
    }

    /// Creates `artifact` in its dataset: NotFound without the dataset, AlreadyExists for an
    /// id already used, InvalidArgument for partitions the dataset does not declare.
    pub(crate) fn create_artifact(&mut self, mut artifact: Artifact) -> Result<(), CatalogError> {
        let dataset = self.dataset(&artifact.dataset)?;
        if self.artifacts.contains_key(&artifact.id) {
            return Err(CatalogError::exists());
        }
        if !artifact.partitions.is_empty() || !dataset.partition_keys.is_empty() {
            let mut given: Vec<&str> = artifact.partitions.iter().map(|(k, _)| &**k).collect();
            let mut wanted: Vec<&str> = dataset.partition_keys.iter().map(|k| &**k).collect();
            given.sort_unstable();
            wanted.sort_unstable();
            if given != wanted {
                return Err(CatalogError::new(
                    Code::InvalidArgument,
                    format!(
                        "Invalid artifact: partition keys {given:?} do not match dataset partition keys {wanted:?}"
                    ),
                ));
            }
        }
        artifact.dataset = plain(&dataset.id);
        artifact.tags.clear();
        self.order.push(artifact.id.clone());
        self.artifacts.insert(artifact.id.clone(), artifact);
        Ok(())
    }

    /// The artifact with this id in `dataset`.
    pub(crate) fn artifact(
        &self,
        dataset: &DatasetKey,
        id: &str,
    ) -> Result<Artifact, CatalogError> {
        let ds = self.dataset(dataset)?;
        self.artifacts
            .get(id)
            .filter(|a| a.dataset.lookup() == ds.id.lookup())
            .cloned()
            .ok_or_else(|| CatalogError::missing("Artifact", format!("artifact_id:{id:?}")))
    }

    /// The artifact `tag` points at in `dataset`.
    pub(crate) fn artifact_by_tag(
        &self,
        dataset: &DatasetKey,
        tag: &str,
    ) -> Result<Artifact, CatalogError> {
        let ds = self.dataset(dataset)?;
        let id = self
            .tags
            .get(&(plain(&ds.id), tag.to_owned()))
            .ok_or_else(|| CatalogError::missing("Tag", format!("name:{tag:?}")))?;
        self.artifact(&ds.id, id)
    }

    /// Tags `artifact` with `tag` in `dataset`: AlreadyExists when the dataset has the tag.
    pub(crate) fn add_tag(
        &mut self,
        dataset: &DatasetKey,
        tag: &str,
        artifact: &str,
    ) -> Result<(), CatalogError> {
        let ds = plain(&self.dataset(dataset)?.id);
        self.artifact(&ds, artifact)?;
        let key = (ds, tag.to_owned());
        if self.tags.contains_key(&key) {
            return Err(CatalogError::exists());
        }
        self.tags.insert(key, artifact.to_owned());
        Ok(())
    }

    /// Replaces the data (and metadata) of the artifact `tag` points at; returns its id.
    pub(crate) fn update_artifact(
        &mut self,
        dataset: &DatasetKey,
        handle: ArtifactHandle<'_>,
        data: Vec<(String, Literal)>,
        metadata: Option<BTreeMap<String, String>>,
    ) -> Result<String, CatalogError> {
        let existing = match handle {
            ArtifactHandle::Id(id) => self.artifact(dataset, id)?,
            ArtifactHandle::Tag(tag) => self.artifact_by_tag(dataset, tag)?,
        };
        let Some(a) = self.artifacts.get_mut(&existing.id) else {
            return Err(CatalogError::missing("Artifact", &existing.id));
        };
        a.data = data;
        if let Some(m) = metadata {
            a.metadata = m;
        }
        Ok(existing.id)
    }

    /// The artifacts of `dataset`, oldest first, each with its tags.
    pub(crate) fn artifacts(&self, dataset: &DatasetKey) -> Result<Vec<Artifact>, CatalogError> {
        let ds = self.dataset(dataset)?;
        Ok(self
            .order
            .iter()
            .filter_map(|id| self.artifacts.get(id))
            .filter(|a| a.dataset.lookup() == ds.id.lookup())
            .map(|a| self.with_tags(a))
            .collect())
    }

    /// `a` with the names of the tags pointing at it.
    pub(crate) fn with_tags(&self, a: &Artifact) -> Artifact {
        let mut tags: Vec<String> = self
            .tags
            .iter()
            .filter(|((ds, _), id)| ds.lookup() == a.dataset.lookup() && **id == a.id)
            .map(|((_, name), _)| name.clone())
            .collect();
        tags.sort();
        Artifact { tags, ..a.clone() }
    }

    /// Gets the reservation of `tag` in `dataset`, or takes it for `owner`, or extends it when
    /// `owner` holds it; a reservation past its expiry goes to whoever asks.
    pub(crate) fn get_or_extend_reservation(
        &mut self,
        dataset: &DatasetKey,
        tag: &str,
        owner: &str,
        heartbeat: Duration,
        now: u64,
        expiry_multiplier: u32,
    ) -> Reservation {
        let ds = plain(dataset);
        let expires_at = now.saturating_add(heartbeat.saturating_mul(expiry_multiplier).as_secs());
        let fresh = Reservation {
            dataset: ds.clone(),
            tag: tag.to_owned(),
            owner: owner.to_owned(),
            heartbeat,
            expires_at,
        };
        match self
            .reservations
            .iter_mut()
            .find(|r| r.dataset == ds && r.tag == tag)
        {
            Some(r) if r.owner != owner && r.expires_at > now => r.clone(),
            Some(r) => {
                *r = fresh.clone();
                fresh
            }
            None => {
                self.reservations.push(fresh.clone());
                fresh
            }
        }
    }

    /// Releases `owner`'s reservation of `tag`; NotFound when `owner` holds none.
    pub(crate) fn release_reservation(
        &mut self,
        dataset: &DatasetKey,
        tag: &str,
        owner: &str,
    ) -> Result<(), CatalogError> {
        let ds = plain(dataset);
        let before = self.reservations.len();
        self.reservations
            .retain(|r| !(r.dataset == ds && r.tag == tag && r.owner == owner));
        if self.reservations.len() == before {
            return Err(CatalogError::missing(
                "Reservation",
                format!("dataset_id:{{{ds}}} tag_name:{tag:?}"),
            ));
        }
        Ok(())
    }
}

/// How an update names its artifact.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ArtifactHandle<'a> {
    Id(&'a str),
    Tag(&'a str),
}
