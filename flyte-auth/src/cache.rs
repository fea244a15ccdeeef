//! Where tokens are kept between processes: memory, or files (the default), one per endpoint and
//! client, readable only by their owner.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flyte_config::Secret;

use crate::token::AccessToken;

/// Which login a cached token belongs to: never reused for another endpoint or client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CacheKey {
    /// The FlyteAdmin endpoint as configured.
    pub endpoint: String,
    /// The OAuth2 client the token was issued to.
    pub client_id: String,
}

impl CacheKey {
    /// A key for `endpoint` and `client_id`.
    pub fn new(endpoint: impl Into<String>, client_id: impl Into<String>) -> Self {
        CacheKey {
            endpoint: endpoint.into(),
            client_id: client_id.into(),
        }
    }

    /// A file name safe on every platform, unique per key.
    fn file_name(&self) -> String {
        use sha2::{Digest as _, Sha256};
        let readable: String = format!("{}__{}", self.endpoint, self.client_id)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .take(80)
            .collect();
        let digest = Sha256::digest(format!("{}\n{}", self.endpoint, self.client_id).as_bytes());
        let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        format!("{readable}-{short}.json")
    }
}

/// A store for tokens. Implementations must never log token values.
pub trait TokenCache: Send + Sync + fmt::Debug {
    /// The token stored for `key`, if any.
    fn load(&self, key: &CacheKey) -> Option<AccessToken>;
    /// Stores `token` for `key`.
    fn store(&self, key: &CacheKey, token: &AccessToken);
    /// Forgets the token for `key`.
    fn remove(&self, key: &CacheKey);
}

/// Tokens in this process only.
#[derive(Debug, Default)]
pub struct MemoryCache {
    tokens: Mutex<HashMap<CacheKey, AccessToken>>,
}

impl MemoryCache {
    /// An empty cache.
    pub fn new() -> Self {
        MemoryCache::default()
    }
}

impl TokenCache for MemoryCache {
    fn load(&self, key: &CacheKey) -> Option<AccessToken> {
        self.tokens.lock().ok()?.get(key).cloned()
    }
    fn store(&self, key: &CacheKey, token: &AccessToken) {
        if let Ok(mut t) = self.tokens.lock() {
            t.insert(key.clone(), token.clone());
        }
    }
    fn remove(&self, key: &CacheKey) {
        if let Ok(mut t) = self.tokens.lock() {
            t.remove(key);
        }
    }
}

/// Tokens in files under a directory (by default `~/.flyte/tokens`), one per endpoint and client,
/// created with mode 0600 and replaced atomically. A corrupt file is ignored with a warning.
#[derive(Debug, Clone)]
pub struct FileCache {
    dir: PathBuf,
}

impl FileCache {
    /// A cache in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileCache { dir: dir.into() }
    }

    /// The default location, `~/.flyte/tokens`, when a home directory is known.
    pub fn default_location() -> Option<Self> {
        let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
        Some(FileCache::new(
            Path::new(&home).join(".flyte").join("tokens"),
        ))
    }

    /// The file that holds `key`'s token.
    pub fn path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(key.file_name())
    }

    fn write(&self, key: &CacheKey, text: &str) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700));
        }
        let path = self.path(key);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        {
            use std::io::Write as _;
            let mut f = options.open(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl TokenCache for FileCache {
    fn load(&self, key: &CacheKey) -> Option<AccessToken> {
        let path = self.path(key);
        let text = std::fs::read_to_string(&path).ok()?;
        let parsed = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                // A token stored for another endpoint or client is never used, whatever its name.
                if v["endpoint"].as_str() != Some(key.endpoint.as_str())
                    || v["client_id"].as_str() != Some(key.client_id.as_str())
                {
                    return None;
                }
                let value = v["access_token"].as_str()?;
                Some(AccessToken {
                    value: Secret::new(value),
                    token_type: v["token_type"].as_str().unwrap_or("Bearer").to_owned(),
                    expires_at: v["expiry"]
                        .as_u64()
                        .map(|s| UNIX_EPOCH + Duration::from_secs(s)),
                    refresh_token: v["refresh_token"].as_str().map(Secret::new),
                })
            });
        if parsed.is_none() {
            tracing::warn!(path = %path.display(), "ignoring an unreadable token cache file");
        }
        parsed
    }

    fn store(&self, key: &CacheKey, token: &AccessToken) {
        let json = serde_json::json!({
            "endpoint": key.endpoint,
            "client_id": key.client_id,
            "access_token": token.value.expose(),
            "token_type": token.token_type,
            "refresh_token": token.refresh_token.as_ref().map(Secret::expose),
            "expiry": token.expires_at.map(unix),
        });
        if let Err(e) = self.write(key, &json.to_string()) {
            tracing::warn!(dir = %self.dir.display(), "could not save the token cache: {e}");
        }
    }

    fn remove(&self, key: &CacheKey) {
        let _ = std::fs::remove_file(self.path(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_cache_round_trip_permissions_and_isolation() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let cache = FileCache::new(dir.path().join("tokens"));
        let key = CacheKey::new("dns:///a.example", "flytectl");
        let other = CacheKey::new("dns:///b.example", "flytectl");
        let mut token =
            AccessToken::new("tok", Some(UNIX_EPOCH + Duration::from_secs(4_000_000_000)));
        token.refresh_token = Some(Secret::new("ref"));
        cache.store(&key, &token);
        assert_eq!(cache.load(&key), Some(token.clone()));
        assert_eq!(
            cache.load(&other),
            None,
            "never reused for another endpoint"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(cache.path(&key))?.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // A file copied under another key's name is refused too.
        std::fs::copy(cache.path(&key), cache.path(&other))?;
        assert_eq!(cache.load(&other), None);
        std::fs::write(cache.path(&key), "{not json")?;
        assert_eq!(cache.load(&key), None, "corrupt files are ignored");
        cache.remove(&key);
        assert!(!cache.path(&key).exists());
        Ok(())
    }
}
