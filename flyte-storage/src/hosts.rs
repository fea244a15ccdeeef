//! Where a request for a URI may go: the decisions the Azure store makes before it builds a
//! client, kept free of the cloud features so that the `storage_uri` fuzz target and plain
//! `cargo test` check the same code the store runs.

use crate::error::{Error, Result, UriProblem};
use crate::uri::FlyteUri;

/// What an Azure store was configured with, as far as choosing an account goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AzureAccounts<'a> {
    /// `storage.stow.config.account` (or `AZURE_STORAGE_ACCOUNT_NAME`).
    pub(crate) configured: Option<&'a str>,
    /// `domain_suffix`: `core.windows.net` unless another cloud is configured.
    pub(crate) domain_suffix: &'a str,
    /// A shared key is configured: it signs for its own account only.
    pub(crate) shared_key: bool,
    /// `allow_other_accounts: true`: ambient credentials may go to accounts a URI names.
    pub(crate) allow_other_accounts: bool,
}

impl AzureAccounts<'_> {
    /// The account a request for `uri` goes to.
    ///
    /// A URI naming another cloud's suffix is refused. A URI naming another account than the
    /// configured one is refused unless `allow_other_accounts` is set without a shared key:
    /// otherwise a URI written by anyone (an offloaded literal is written by task code) would
    /// send the ambient bearer token or SAS to an account of its choosing.
    pub(crate) fn account(&self, uri: &FlyteUri) -> Result<String> {
        let refuse = |problem: UriProblem, reason: String| {
            Error::invalid_uri(uri.to_string(), problem, reason)
        };
        if let Some(suffix) = uri.azure_domain_suffix() {
            if suffix != self.domain_suffix {
                return Err(refuse(
                    UriProblem::Host,
                    format!(
                        "Azure domain suffix {suffix:?}, but the store is configured for {:?} \
                         (storage.stow.config.domain_suffix)",
                        self.domain_suffix
                    ),
                ));
            }
        }
        match (uri.account(), self.configured) {
            (Some(theirs), Some(ours)) if theirs != ours && self.shared_key => Err(refuse(
                UriProblem::OtherAccount,
                format!(
                    "storage account {theirs:?}, but the configured key is for account {ours:?}"
                ),
            )),
            (Some(theirs), Some(ours)) if theirs != ours && !self.allow_other_accounts => {
                Err(refuse(
                    UriProblem::OtherAccount,
                    format!(
                        "storage account {theirs:?}, but the configured account is {ours:?}; set \
                         storage.stow.config.allow_other_accounts: true to send this store's \
                         credentials to other accounts"
                    ),
                ))
            }
            (Some(account), _) | (None, Some(account)) => Ok(account.to_owned()),
            (None, None) => Err(Error::config(
                "stow kind azure needs storage.stow.config.account (or AZURE_STORAGE_ACCOUNT_NAME)",
            )),
        }
    }

    /// The account's blob endpoint in the configured cloud.
    pub(crate) fn account_url(&self, account: &str) -> String {
        format!("https://{account}.blob.{}", self.domain_suffix)
    }
}
