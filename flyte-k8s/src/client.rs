//! [`K8s`]: the client, and the one way flyte-rs writes objects (server-side apply).

use std::fmt;
use std::path::Path;

use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, ObjectRef, Result};

/// The field manager of every write.
pub const FIELD_MANAGER: &str = "flyte-rs";
/// The `app.kubernetes.io/managed-by` label value on what flyte-rs creates.
pub const MANAGED_BY: &str = "flyte-rs";
/// The label that says who manages an object.
pub(crate) const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Objects per list request unless [`K8s::page_size`] says otherwise: kubectl's `--chunk-size`.
const DEFAULT_PAGE_SIZE: u32 = 500;

/// What a call did to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// It did not exist and was created.
    Created,
    /// It differed and was updated.
    Updated,
    /// It already was as wanted; nothing was written.
    Unchanged,
    /// It was deleted.
    Deleted,
}

/// One object and what happened to it (in a dry run, what would happen).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Change {
    /// The object.
    pub object: ObjectRef,
    /// What happened.
    pub action: Action,
    /// Whether this was a dry run (nothing was kept).
    pub dry_run: bool,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match (self.action, self.dry_run) {
            (Action::Created, false) => "created",
            (Action::Created, true) => "would create",
            (Action::Updated, false) => "updated",
            (Action::Updated, true) => "would update",
            (Action::Unchanged, _) => "unchanged",
            (Action::Deleted, false) => "deleted",
            (Action::Deleted, true) => "would delete",
        };
        write!(f, "{}: {verb}", self.object)
    }
}

/// A Kubernetes client for Flyte's objects. Cheap to clone.
#[derive(Clone)]
pub struct K8s {
    pub(crate) client: kube::Client,
    pub(crate) dry_run: bool,
    pub(crate) force: bool,
    page_size: u32,
}

impl fmt::Debug for K8s {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("K8s")
            .field("dry_run", &self.dry_run)
            .field("force", &self.force)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

/// kube talks TLS through rustls, which needs one process-wide crypto provider; when a program
/// links both of rustls's providers (other crates may enable aws-lc-rs), none is chosen for it.
/// Picks ring, unless the program already picked one.
fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

impl K8s {
    /// The kubeconfig as kubectl finds it (`$KUBECONFIG`, `~/.kube/config`), or the in-cluster
    /// service account.
    ///
    /// # Errors
    /// [`Error::Config`] when neither can be used.
    pub async fn try_default() -> Result<K8s> {
        ensure_crypto_provider();
        let client = kube::Client::try_default()
            .await
            .map_err(|e| Error::config(None, e))?;
        Ok(K8s::new(client))
    }

    /// A kubeconfig file, with `context` (kubectl's `--context`) or its current context.
    ///
    /// # Errors
    /// [`Error::Config`]: an unreadable file, an unknown context, a bad cluster or user entry.
    pub async fn from_kubeconfig(path: impl AsRef<Path>, context: Option<&str>) -> Result<K8s> {
        ensure_crypto_provider();
        let path = path.as_ref();
        let kubeconfig = Kubeconfig::read_from(path).map_err(|e| Error::config(Some(path), e))?;
        let options = KubeConfigOptions {
            context: context.map(str::to_owned),
            ..Default::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| Error::config(Some(path), e))?;
        let client = kube::Client::try_from(config).map_err(|e| Error::config(None, e))?;
        Ok(K8s::new(client))
    }

    /// Wraps a `kube` client.
    ///
    /// kube is this crate's one heavy dependency and its client is shown on purpose: users
    /// build it with kube's own config (in-cluster, a kubeconfig context, a custom TLS stack).
    pub fn new(client: kube::Client) -> K8s {
        K8s {
            client,
            dry_run: false,
            force: false,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }

    /// Check every write with the API server without keeping it (server-side dry run).
    #[must_use]
    pub fn dry_run(mut self, yes: bool) -> K8s {
        self.dry_run = yes;
        self
    }

    /// Take over fields another field manager set (`kubectl apply --force-conflicts`): what
    /// flyte-rs is asked to write wins. Off by default: such a field is then an
    /// [`Error::Conflict`](crate::Error::Conflict) naming the object, the other manager and the
    /// field, and nothing is written.
    #[must_use]
    pub fn force_conflicts(mut self, yes: bool) -> K8s {
        self.force = yes;
        self
    }

    /// How many objects each list request asks for (the API's `limit`; at least 1, 500 by
    /// default, as kubectl's `--chunk-size`). Lists follow the API's `continue` token to the
    /// end, so this changes how many requests a list takes, never what it returns.
    #[must_use]
    pub fn page_size(mut self, objects: u32) -> K8s {
        self.page_size = objects.max(1);
        self
    }

    /// The `kube` client, for anything this crate does not cover.
    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    /// Applies `desired` unless `current` already says all of it (`same`), and says what
    /// happened.
    pub(crate) async fn apply<K>(
        &self,
        api: &Api<K>,
        object: ObjectRef,
        desired: &K,
        same: impl FnOnce(&K) -> bool,
    ) -> Result<Change>
    where
        K: kube::Resource + Clone + DeserializeOwned + Serialize + fmt::Debug,
    {
        let current = api
            .get_opt(&object.name)
            .await
            .map_err(|e| Error::from_kube(object.clone(), e))?;
        let action = match &current {
            Some(c) if same(c) => {
                return Ok(Change {
                    object,
                    action: Action::Unchanged,
                    dry_run: self.dry_run,
                })
            }
            Some(_) => Action::Updated,
            None => Action::Created,
        };
        let mut params = PatchParams::apply(FIELD_MANAGER);
        params.dry_run = self.dry_run;
        params.force = self.force;
        api.patch(&object.name, &params, &Patch::Apply(desired))
            .await
            .map_err(|e| Error::from_kube(object.clone(), e))?;
        tracing::info!(object = %object, ?action, dry_run = self.dry_run, "applied");
        Ok(Change {
            object,
            action,
            dry_run: self.dry_run,
        })
    }

    /// Every object `params` selects, page by page (`limit` and `continue`, as kubectl lists).
    /// `object` names the list in errors.
    ///
    /// A continue token the API server no longer honours (410 Gone: the list's snapshot was
    /// compacted away) restarts the list as one request without `limit`, as client-go's pager
    /// does: a whole, consistent list rather than pages from two points in time.
    pub(crate) async fn list_all<K>(
        &self,
        api: &Api<K>,
        params: ListParams,
        object: ObjectRef,
    ) -> Result<Vec<K>>
    where
        K: Clone + DeserializeOwned + fmt::Debug,
    {
        let mut page_params = params.clone().limit(self.page_size);
        let mut items = Vec::new();
        loop {
            let page = match api.list(&page_params).await {
                Ok(page) => page,
                Err(kube::Error::Api(s))
                    if s.code == 410 && page_params.continue_token.is_some() =>
                {
                    tracing::debug!(object = %object, "continue token expired; listing in one request");
                    return api
                        .list(&params)
                        .await
                        .map(|list| list.items)
                        .map_err(|e| Error::from_kube(object, e));
                }
                Err(e) => return Err(Error::from_kube(object, e)),
            };
            items.extend(page.items);
            match page.metadata.continue_ {
                Some(token) if !token.is_empty() => {
                    page_params = page_params.continue_token(&token);
                }
                _ => return Ok(items),
            }
        }
    }

    /// Deletes an object; one that is not there is not an error (nothing changes).
    pub(crate) async fn delete<K>(&self, api: &Api<K>, object: ObjectRef) -> Result<Option<Change>>
    where
        K: kube::Resource + Clone + DeserializeOwned + fmt::Debug,
    {
        let params = DeleteParams {
            dry_run: self.dry_run,
            ..DeleteParams::default()
        };
        match api.delete(&object.name, &params).await {
            Ok(_) => {
                tracing::info!(object = %object, dry_run = self.dry_run, "deleted");
                Ok(Some(Change {
                    object,
                    action: Action::Deleted,
                    dry_run: self.dry_run,
                }))
            }
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(None),
            Err(e) => Err(Error::from_kube(object, e)),
        }
    }
}
