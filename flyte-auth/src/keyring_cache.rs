//! The OS keyring cache (feature `keyring`).

use crate::cache::{CacheKey, TokenCache};
use crate::keyring_format::{decode, encode, keyring_user, KEYRING_SERVICE};
use crate::token::AccessToken;

/// Tokens in the OS keyring under flytectl's service and user names, so a login made with
/// flytectl serves flyte-rs and the other way round. Keyed by endpoint only, as flytectl does.
/// Keyring failures (no Secret Service on a headless machine) are warnings, never errors: pair it
/// with a [`crate::FileCache`] fallback where that matters.
#[derive(Debug, Default, Clone, Copy)]
#[non_exhaustive]
pub struct KeyringCache;

impl KeyringCache {
    /// The keyring cache.
    pub fn new() -> Self {
        KeyringCache {}
    }

    fn entry(key: &CacheKey) -> Option<keyring::Entry> {
        keyring::Entry::new(KEYRING_SERVICE, &keyring_user(&key.endpoint))
            .map_err(|e| tracing::warn!("keyring unavailable: {e}"))
            .ok()
    }
}

impl TokenCache for KeyringCache {
    fn load(&self, key: &CacheKey) -> Option<AccessToken> {
        let text = Self::entry(key)?.get_password().ok()?;
        let token = decode(&text);
        if token.is_none() {
            tracing::warn!("ignoring an unreadable keyring entry for {}", key.endpoint);
        }
        token
    }

    fn store(&self, key: &CacheKey, token: &AccessToken) {
        if let Some(entry) = Self::entry(key) {
            if let Err(e) = entry.set_password(&encode(token)) {
                tracing::warn!("could not save the token in the keyring: {e}");
            }
        }
    }

    fn remove(&self, key: &CacheKey) {
        if let Some(entry) = Self::entry(key) {
            let _ = entry.delete_credential();
        }
    }
}
