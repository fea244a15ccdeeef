//! Where tokens are kept between processes: memory, or files (the default), one per endpoint and
//! client, readable only by their owner.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use flyte_config::Secret;

use crate::token::{from_unix, AccessToken};

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
///
/// The directory is created 0700. On Unix, a directory owned by another user or writable by
/// group or others is refused (nothing is read from or written to it, with a warning naming
/// it); elsewhere its access lists are not inspected.
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

    /// Replaces `key`'s file with `text`: written to a new file of a random name (created
    /// exclusively, never through a link, 0600 from the start), synced, then renamed over the
    /// old one; the new file is removed if any step fails.
    fn write(&self, key: &CacheKey, text: &str) -> std::io::Result<()> {
        self.prepare_dir()?;
        let path = self.path(key);
        let mut suffix = [0u8; 12];
        getrandom::getrandom(&mut suffix).map_err(std::io::Error::other)?;
        let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
        let tmp = self.dir.join(format!(".{}.{suffix}.tmp", key.file_name()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        let mut file = options.open(&tmp)?;
        let written = (|| {
            use std::io::Write as _;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }

    /// Creates the directory (0700) if needed and checks that only this user can write in it.
    fn prepare_dir(&self) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.dir)?;
        }
        #[cfg(not(unix))]
        std::fs::create_dir_all(&self.dir)?;
        self.check_dir()
    }

    /// Refuses a directory another user owns or that group or others may write: anyone who can
    /// write in it can swap the token files (to read a login, or to plant their own). On
    /// platforms other than Unix the directory's access lists are not inspected: keep it under
    /// the user's profile, as the default is.
    fn check_dir(&self) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            let meta = std::fs::metadata(&self.dir)?;
            let me = rustix::process::geteuid().as_raw();
            let refuse = |why: String| {
                Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("token cache directory {} {why}", self.dir.display()),
                ))
            };
            if meta.uid() != me {
                return refuse(format!(
                    "is owned by user {}, not by this user ({me}); use a directory of your own",
                    meta.uid()
                ));
            }
            if meta.mode() & 0o022 != 0 {
                return refuse(format!(
                    "is writable by group or others (mode {:o}); run chmod 700 on it",
                    meta.mode() & 0o777
                ));
            }
        }
        Ok(())
    }

    /// The text of `path`, at most [`MAX_CACHE_FILE_BYTES`] of it.
    fn read(&self, path: &Path) -> std::io::Result<String> {
        use std::io::Read as _;
        self.check_dir()?;
        let mut text = String::new();
        std::fs::File::open(path)?
            .take(MAX_CACHE_FILE_BYTES + 1)
            .read_to_string(&mut text)?;
        if text.len() as u64 > MAX_CACHE_FILE_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("larger than {MAX_CACHE_FILE_BYTES} bytes"),
            ));
        }
        Ok(text)
    }
}

/// The most a token cache file may hold: a token, its refresh token and their names fit in a
/// few kilobytes.
const MAX_CACHE_FILE_BYTES: u64 = 1024 * 1024;

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl TokenCache for FileCache {
    fn load(&self, key: &CacheKey) -> Option<AccessToken> {
        let path = self.path(key);
        let text = match self.read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), "not using the token cache: {e}");
                return None;
            }
        };
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
                    expires_at: v["expiry"].as_u64().map(from_unix),
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
    use std::time::Duration;

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

    #[test]
    fn a_huge_expiry_in_a_cache_file_is_read_without_panicking(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let cache = FileCache::new(dir.path().join("tokens"));
        let key = CacheKey::new("dns:///a.example", "flytectl");
        cache.store(&key, &AccessToken::new("tok", None));
        let text = std::fs::read_to_string(cache.path(&key))?;
        let mut json: serde_json::Value = serde_json::from_str(&text)?;
        json["expiry"] = u64::MAX.into();
        std::fs::write(cache.path(&key), json.to_string())?;
        let token = cache.load(&key).ok_or("still a token")?;
        assert!(token.expires_at().is_some_and(|at| at > SystemTime::now()));
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn temporary_files_are_never_followed_through_a_planted_link(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let cache = FileCache::new(dir.path().join("tokens"));
        let key = CacheKey::new("dns:///a.example", "flytectl");
        std::fs::create_dir_all(dir.path().join("tokens"))?;
        let loot = dir.path().join("loot");
        std::fs::write(&loot, "")?;
        // Whatever name the temporary file could have had before: the cache file's own with a
        // pid, and a few guesses around it.
        let planted = cache.path(&key);
        for name in [
            planted.with_extension(format!("tmp{}", std::process::id())),
            planted.with_extension("tmp"),
        ] {
            std::os::unix::fs::symlink(&loot, name)?;
        }
        cache.store(&key, &AccessToken::new("tok-secret", None));
        assert_eq!(
            std::fs::read_to_string(&loot)?,
            "",
            "nothing written through a link"
        );
        assert_eq!(
            cache.load(&key).map(|t| t.secret().to_owned()).as_deref(),
            Some("tok-secret")
        );
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn the_temporary_file_is_removed_when_the_write_fails() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let cache = FileCache::new(dir.path().join("tokens"));
        let key = CacheKey::new("dns:///a.example", "flytectl");
        // A directory where the file should go: the rename fails.
        std::fs::create_dir_all(cache.path(&key).join("x"))?;
        let err = cache
            .write(&key, "{}")
            .expect_err("cannot replace a directory");
        assert!(!err.to_string().is_empty());
        let left: Vec<_> = std::fs::read_dir(dir.path().join("tokens"))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()?;
        assert_eq!(left.len(), 1, "only the directory is left: {left:?}");
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn directories_others_can_write_or_own_are_refused() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir()?;
        let tokens = dir.path().join("tokens");
        let cache = FileCache::new(&tokens);
        let key = CacheKey::new("dns:///a.example", "flytectl");
        cache.store(&key, &AccessToken::new("tok", None));
        let mode = std::fs::metadata(&tokens)?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "created 0700");
        std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o770))?;
        let err = cache.write(&key, "{}").expect_err("group-writable");
        assert!(
            err.to_string().contains(&tokens.display().to_string()),
            "{err}"
        );
        assert!(err.to_string().contains("writable"), "{err}");
        assert_eq!(cache.load(&key), None, "nothing is read from it either");
        std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o700))?;
        assert!(cache.load(&key).is_some());
        // Owned by another user (only root can arrange that).
        if rustix::process::geteuid().is_root() {
            std::os::unix::fs::chown(&tokens, Some(4242), None)?;
            let err = cache.write(&key, "{}").expect_err("another user's");
            assert!(
                err.to_string().contains(&tokens.display().to_string()),
                "{err}"
            );
            assert!(err.to_string().contains("4242"), "{err}");
            assert_eq!(cache.load(&key), None);
        }
        Ok(())
    }
}
