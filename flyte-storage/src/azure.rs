//! Azure Blob Storage, configured as flytestdlib's stow kind `azure`: `account`, `key` (a
//! shared key; without it, the usual `AZURE_*` variables, workload identity or managed
//! identity) and `domain_suffix` (`base_url` is its old name) for clouds other than Azure's
//! public one. flyte-rs adds `endpoint`, the full account URL of an emulator such as Azurite
//! (`http://127.0.0.1:10000/devstoreaccount1`), `anonymous: true` (requests without
//! credentials: public containers, emulators) and `allow_other_accounts: true`.
//!
//! A URI may name its account (`abfs://container@account.dfs.core.windows.net/key`). Without
//! `allow_other_accounts`, an account other than the configured one is refused before any
//! request, whatever the credentials: a URI is often written by someone else (offloaded
//! literals by task code), and the ambient bearer token or SAS must not go to an account of
//! their choosing. A shared key signs for its own account only, so with one the option does
//! not apply. Without a configured account, the URI's account is used.
//!
//! Flyte writes `abfs://container/key`; `abfs[s]://container@account.dfs.core.windows.net/key`
//! and `az://container/key` name the same blobs.

use std::fmt;
use std::sync::Arc;

use flyte_config::{Secret, StowSettings};
use object_store::azure::MicrosoftAzureBuilder;
use object_store::ObjectStore;

use crate::cloud::{build_error, truthy};
use crate::error::{Error, Result};
use crate::hosts::AzureAccounts;
use crate::options::CloudOptions;
use crate::uri::FlyteUri;

/// How to reach the storage account.
#[derive(Clone)]
pub(crate) struct AzureSettings {
    account: Option<String>,
    key: Option<Secret>,
    domain_suffix: String,
    endpoint: Option<String>,
    anonymous: bool,
    allow_other_accounts: bool,
}

impl fmt::Debug for AzureSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureSettings")
            .field("account", &self.account)
            .field("key", &self.key.as_ref().map(|_| "<shared key>"))
            .field("domain_suffix", &self.domain_suffix)
            .field("endpoint", &self.endpoint)
            .field("anonymous", &self.anonymous)
            .field("allow_other_accounts", &self.allow_other_accounts)
            .finish()
    }
}

impl AzureSettings {
    pub(crate) fn from_stow(c: &StowSettings) -> Result<AzureSettings> {
        let non_empty = |k: &str| c.get(k).map(str::trim).filter(|v| !v.is_empty());
        let account = non_empty("account")
            .map(str::to_owned)
            .or_else(|| std::env::var("AZURE_STORAGE_ACCOUNT_NAME").ok())
            .filter(|a| !a.is_empty());
        let key = non_empty("key").map(Secret::new);
        if key.is_some() && account.is_none() {
            return Err(Error::config(
                "storage.stow.config has a key but no account; stow kind azure needs `account`",
            ));
        }
        let anonymous = non_empty("anonymous").is_some_and(truthy);
        if anonymous && key.is_some() {
            return Err(Error::config(
                "storage.stow.config: anonymous is true and key gives a shared key: choose one",
            ));
        }
        Ok(AzureSettings {
            account,
            key,
            domain_suffix: non_empty("domain_suffix")
                .or_else(|| non_empty("base_url"))
                .unwrap_or("core.windows.net")
                .to_owned(),
            endpoint: non_empty("endpoint").map(|e| e.trim_end_matches('/').to_owned()),
            anonymous,
            allow_other_accounts: non_empty("allow_other_accounts").is_some_and(truthy),
        })
    }

    /// The client for the URI's container (and account, when the URI names one).
    pub(crate) fn build(
        &self,
        uri: &FlyteUri,
        options: &CloudOptions,
    ) -> Result<Arc<dyn ObjectStore>> {
        let accounts = AzureAccounts {
            configured: self.account.as_deref(),
            domain_suffix: &self.domain_suffix,
            shared_key: self.key.is_some(),
            allow_other_accounts: self.allow_other_accounts,
        };
        let account = accounts.account(uri)?;
        let mut b = match &self.key {
            // A shared key: nothing from the environment may override it.
            Some(key) => MicrosoftAzureBuilder::new().with_access_key(key.expose()),
            // No credentials at all: never a token request (to the metadata service, say).
            None if self.anonymous => MicrosoftAzureBuilder::new().with_skip_signature(true),
            None => MicrosoftAzureBuilder::from_env(),
        }
        .with_account(&account)
        .with_container_name(uri.bucket())
        .with_retry(options.retry_config());
        let endpoint = match &self.endpoint {
            Some(e)
                if uri
                    .account()
                    .is_none_or(|a| self.account.as_deref() == Some(a)) =>
            {
                e.clone()
            }
            _ => accounts.account_url(&account),
        };
        let allow_http = endpoint.starts_with("http://");
        b = b
            .with_endpoint(endpoint)
            .with_client_options(options.client_options(allow_http)?);
        let store = b.build().map_err(|e| {
            build_error(
                &format!("Azure container {:?} of account {account:?}", uri.bucket()),
                e,
            )
        })?;
        Ok(Arc::new(store))
    }
}
