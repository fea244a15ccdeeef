//! DataCatalog's state: datasets, their artifacts, tags and reservations, with DataCatalog's
//! rules (`datacatalog/pkg/manager/impl` and its validators at v1.16.8): one dataset per id,
//! one tag name per dataset, one reservation per tag, partitions as the dataset declares them,
//! and its error codes and messages. Propeller's memoization ([`super::memo`]) and the gRPC
//! service ([`super::service`]) read and write the same store, so what a test sees through the
//! API is what executions hit.

use std::collections::HashMap;
use std::time::Duration;

use flyte_catalog::pb::{
    Artifact, ArtifactData, Dataset, DatasetId, Metadata, Partition, Reservation, ReservationId,
    Tag,
};
use prost_types::Timestamp;
use tonic::Code;

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

    /// The repositories' NotFound, naming the entity in Go's text form of its message.
    fn missing(entity: &str, id: &str) -> Self {
        CatalogError::new(
            Code::NotFound,
            format!("missing entity of type {entity} with identifier {id}"),
        )
    }

    fn exists() -> Self {
        CatalogError::new(Code::AlreadyExists, "entity already exists")
    }

    /// A validator's "missing FIELD".
    pub(crate) fn missing_field(field: &str) -> Self {
        CatalogError::new(Code::InvalidArgument, format!("missing {field}"))
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

/// Go's text form of a dataset id (fields in field order, empty ones left out).
pub(crate) fn dataset_text(id: &DatasetId) -> String {
    [
        ("project", &id.project),
        ("name", &id.name),
        ("domain", &id.domain),
        ("version", &id.version),
        ("UUID", &id.uuid),
        ("org", &id.org),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}:{v:?}"))
    .collect::<Vec<_>>()
    .join(" ")
}

/// DataCatalog's validation of a dataset id: every part but the uuid is required.
pub(crate) fn validate_dataset_id(id: Option<&DatasetId>) -> Result<&DatasetId, CatalogError> {
    let id = id.ok_or_else(|| CatalogError::missing_field("dataset"))?;
    for (value, field) in [
        (&id.project, "project"),
        (&id.domain, "domain"),
        (&id.name, "name"),
        (&id.version, "version"),
    ] {
        if value.is_empty() {
            return Err(CatalogError::missing_field(field));
        }
    }
    Ok(id)
}

/// Whether the stored dataset `have` is the one `want` names: its key, and its uuid when given.
fn same_dataset(have: &DatasetId, want: &DatasetId) -> bool {
    have.project == want.project
        && have.name == want.name
        && have.domain == want.domain
        && have.version == want.version
        && have.org == want.org
        && (want.uuid.is_empty() || have.uuid == want.uuid)
}

/// A dataset's key without its uuid: what tags, artifacts and reservations are filed under.
fn key(id: &DatasetId) -> (String, String, String, String, String) {
    (
        id.project.clone(),
        id.name.clone(),
        id.domain.clone(),
        id.version.clone(),
        id.org.clone(),
    )
}

type DatasetKey = (String, String, String, String, String);

/// A stored reservation: its owner and expiry by the test kit's clock.
#[derive(Debug, Clone)]
struct Held {
    owner: String,
    /// Seconds since the Unix epoch.
    expires_at: u64,
}

/// Every dataset, artifact, tag and reservation of one test kit.
#[derive(Debug, Default)]
pub(crate) struct CatalogStore {
    /// In creation order.
    datasets: Vec<Dataset>,
    /// In creation order; tags are filled in when an artifact is read.
    artifacts: Vec<Artifact>,
    /// (dataset, tag name) -> artifact id.
    tags: HashMap<(DatasetKey, String), String>,
    reservations: HashMap<(DatasetKey, String), Held>,
    next_id: u64,
}

impl CatalogStore {
    fn next(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A new id shaped like the UUIDs DataCatalog and propeller make.
    pub(crate) fn new_uuid(&mut self) -> String {
        format!("00000000-0000-4000-8000-{:012x}", self.next())
    }

    /// Creates `dataset` (DataCatalog gives it a uuid): AlreadyExists for an id in use,
    /// InvalidArgument for a partition key given twice.
    pub(crate) fn create_dataset(&mut self, mut dataset: Dataset) -> Result<(), CatalogError> {
        let id = validate_dataset_id(dataset.id.as_ref())?.clone();
        let mut seen: HashMap<&str, u8> = HashMap::new();
        for k in &dataset.partition_keys {
            *seen.entry(k).or_default() += 1;
        }
        if seen.values().any(|n| *n > 1) {
            return Err(CatalogError::new(
                Code::InvalidArgument,
                format!(
                    "invalid value for partitionKey, value:[Keys are not unique, occurrence count: {seen:?}]"
                ),
            ));
        }
        if self
            .datasets
            .iter()
            .any(|d| d.id.as_ref().is_some_and(|have| key(have) == key(&id)))
        {
            return Err(CatalogError::exists());
        }
        let uuid = self.new_uuid();
        dataset.id = Some(DatasetId { uuid, ..id });
        self.datasets.push(dataset);
        Ok(())
    }

    /// The dataset `id` names.
    pub(crate) fn dataset(&self, id: &DatasetId) -> Result<&Dataset, CatalogError> {
        self.datasets
            .iter()
            .find(|d| d.id.as_ref().is_some_and(|have| same_dataset(have, id)))
            .ok_or_else(|| {
                let named = DatasetId {
                    uuid: String::new(),
                    ..id.clone()
                };
                CatalogError::missing("Dataset", &dataset_text(&named))
            })
    }

    /// Every dataset, in creation order.
    pub(crate) fn datasets(&self) -> &[Dataset] {
        &self.datasets
    }

    /// Creates `artifact` in its dataset: NotFound without the dataset, AlreadyExists for an
    /// id in use, InvalidArgument for missing data or partitions other than the dataset's.
    pub(crate) fn create_artifact(
        &mut self,
        mut artifact: Artifact,
        now: Timestamp,
    ) -> Result<(), CatalogError> {
        let id = validate_dataset_id(artifact.dataset.as_ref())?.clone();
        if artifact.id.is_empty() {
            return Err(CatalogError::missing_field("artifactID"));
        }
        if artifact.data.is_empty() {
            return Err(CatalogError::missing_field("artifactData"));
        }
        let dataset = self.dataset(&id)?;
        validate_partitions(&dataset.partition_keys, &artifact.partitions)?;
        let stored_id = dataset.id.clone().unwrap_or_default();
        if self.artifacts.iter().any(|a| {
            a.id == artifact.id
                && a.dataset
                    .as_ref()
                    .is_some_and(|d| key(d) == key(&stored_id))
        }) {
            return Err(CatalogError::exists());
        }
        artifact.dataset = Some(stored_id);
        artifact.tags.clear();
        artifact.created_at = Some(now);
        self.artifacts.push(artifact);
        Ok(())
    }

    /// The artifact `artifact_id` of the dataset `id` names (of any dataset without one).
    pub(crate) fn artifact(
        &self,
        id: Option<&DatasetId>,
        artifact_id: &str,
    ) -> Result<Artifact, CatalogError> {
        let found = self.artifacts.iter().find(|a| {
            a.id == artifact_id
                && id.is_none_or(|id| a.dataset.as_ref().is_some_and(|d| same_dataset(d, id)))
        });
        match found {
            Some(a) => Ok(self.with_tags(a)),
            None => {
                let named = DatasetId {
                    uuid: String::new(),
                    ..id.cloned().unwrap_or_default()
                };
                Err(CatalogError::missing(
                    "Artifact",
                    &format!("id:{artifact_id:?} dataset:{{{}}}", dataset_text(&named)),
                ))
            }
        }
    }

    /// The artifact `tag` points at in the dataset `id` names.
    pub(crate) fn artifact_by_tag(
        &self,
        id: &DatasetId,
        tag: &str,
    ) -> Result<Artifact, CatalogError> {
        // DataCatalog's tag lookup names an empty tag in its error (it prints the zero value).
        let artifact_id = self
            .tags
            .get(&(key(id), tag.to_owned()))
            .ok_or_else(|| CatalogError::missing("Tag", ""))?;
        self.artifact(Some(id), artifact_id)
    }

    /// Tags an artifact: NotFound without its dataset or artifact, AlreadyExists when the
    /// dataset has the tag.
    pub(crate) fn add_tag(&mut self, tag: &Tag) -> Result<(), CatalogError> {
        let id = validate_dataset_id(tag.dataset.as_ref())?.clone();
        if tag.name.is_empty() {
            return Err(CatalogError::missing_field("tagName"));
        }
        if tag.artifact_id.is_empty() {
            return Err(CatalogError::missing_field("artifactID"));
        }
        self.dataset(&id)?;
        self.artifact(Some(&id), &tag.artifact_id)?;
        let k = (key(&id), tag.name.clone());
        if self.tags.contains_key(&k) {
            return Err(CatalogError::exists());
        }
        self.tags.insert(k, tag.artifact_id.clone());
        Ok(())
    }

    /// Replaces the data (and, when given, the metadata) of the artifact named by id or tag;
    /// returns its id.
    pub(crate) fn update_artifact(
        &mut self,
        id: Option<&DatasetId>,
        handle: ArtifactHandle<'_>,
        data: Vec<ArtifactData>,
        metadata: Option<Metadata>,
    ) -> Result<String, CatalogError> {
        let found = match (handle, id) {
            (ArtifactHandle::Id(a), _) => self.artifact(id, a)?,
            (ArtifactHandle::Tag(t), Some(id)) => self.artifact_by_tag(id, t)?,
            (ArtifactHandle::Tag(_), None) => return Err(CatalogError::missing_field("dataset")),
        };
        if data.is_empty() {
            return Err(CatalogError::missing_field("artifactData"));
        }
        let stored = self
            .artifacts
            .iter_mut()
            .find(|a| a.id == found.id && a.dataset == found.dataset);
        if let Some(a) = stored {
            a.data = data;
            if metadata.is_some() {
                a.metadata = metadata;
            }
        }
        Ok(found.id)
    }

    /// The artifacts of the dataset `id` names, in creation order, each with its tags.
    pub(crate) fn artifacts(&self, id: &DatasetId) -> Result<Vec<Artifact>, CatalogError> {
        let dataset = self.dataset(id)?.id.clone().unwrap_or_default();
        Ok(self
            .artifacts
            .iter()
            .filter(|a| a.dataset.as_ref().is_some_and(|d| key(d) == key(&dataset)))
            .map(|a| self.with_tags(a))
            .collect())
    }

    /// `a` with the tags pointing at it.
    fn with_tags(&self, a: &Artifact) -> Artifact {
        let dataset = a.dataset.clone().unwrap_or_default();
        let mut tags: Vec<Tag> = self
            .tags
            .iter()
            .filter(|((ds, _), artifact)| *ds == key(&dataset) && **artifact == a.id)
            .map(|((_, name), _)| Tag {
                name: name.clone(),
                artifact_id: a.id.clone(),
                dataset: Some(dataset.clone()),
            })
            .collect();
        tags.sort_by(|x, y| x.name.cmp(&y.name));
        Artifact { tags, ..a.clone() }
    }

    /// DataCatalog's `GetOrExtendReservation`: takes the reservation for `owner` when it is free
    /// or expired, extends it when `owner` holds it, and otherwise returns the holder's.
    pub(crate) fn get_or_extend_reservation(
        &mut self,
        id: &ReservationId,
        owner: &str,
        heartbeat: Duration,
        now: u64,
        multiplier: u32,
    ) -> Reservation {
        let k = reservation_key(id);
        let fresh = Held {
            owner: owner.to_owned(),
            expires_at: now.saturating_add(heartbeat.saturating_mul(multiplier).as_secs()),
        };
        let held = match self.reservations.get(&k) {
            Some(h) if h.owner != owner && h.expires_at >= now => h.clone(),
            _ => {
                self.reservations.insert(k, fresh.clone());
                fresh
            }
        };
        // DataCatalog answers with the heartbeat of the request, whoever holds the reservation.
        Reservation {
            reservation_id: Some(id.clone()),
            owner_id: held.owner,
            heartbeat_interval: Some(prost_types::Duration {
                seconds: i64::try_from(heartbeat.as_secs()).unwrap_or(i64::MAX),
                nanos: 0,
            }),
            expires_at: Some(Timestamp {
                seconds: i64::try_from(held.expires_at).unwrap_or(i64::MAX),
                nanos: 0,
            }),
            metadata: None,
        }
    }

    /// DataCatalog's `ReleaseReservation`: drops `owner`'s reservation; one it does not hold
    /// (never taken, released, or taken over) is no error.
    pub(crate) fn release_reservation(&mut self, id: &ReservationId, owner: &str) {
        let k = reservation_key(id);
        if self.reservations.get(&k).is_some_and(|h| h.owner == owner) {
            self.reservations.remove(&k);
        }
    }
}

/// The store's key of a reservation: its dataset and tag.
fn reservation_key(id: &ReservationId) -> (DatasetKey, String) {
    (
        key(id.dataset_id.as_ref().unwrap_or(&DatasetId::default())),
        id.tag_name.clone(),
    )
}

/// DataCatalog's `ValidatePartitions`: an artifact has a value for each of the dataset's
/// partition keys, and no other.
fn validate_partitions(keys: &[String], partitions: &[Partition]) -> Result<(), CatalogError> {
    if keys.len() != partitions.len() {
        return Err(CatalogError::new(
            Code::InvalidArgument,
            format!(
                "Partition key mismatch, dataset keys: {keys:?}, artifact Partitions: {:?}",
                partitions
                    .iter()
                    .map(|p| format!("{}={}", p.key, p.value))
                    .collect::<Vec<_>>()
            ),
        ));
    }
    let mut errors = Vec::new();
    let mut mismatch = false;
    for (i, p) in partitions.iter().enumerate() {
        if p.key.is_empty() {
            errors.push(format!("missing partitionKey[{i}]"));
        } else if p.value.is_empty() {
            errors.push(format!("missing partitionValue[{i}]"));
        } else if !keys.contains(&p.key) {
            mismatch = true;
        }
    }
    if mismatch {
        errors.push(format!(
            "Artifact partition assignment does not match dataset partition keys: {keys:?}"
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CatalogError::new(Code::InvalidArgument, errors.join(", ")))
    }
}

/// How an update names its artifact.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ArtifactHandle<'a> {
    Id(&'a str),
    Tag(&'a str),
}
