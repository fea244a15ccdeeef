//! The URIs Flyte writes: `s3://bucket/key`, `gs://bucket/key`, `az://container/key`,
//! `abfs[s]://container@account.dfs.core.windows.net/key`, `file:///path` and plain paths.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Where a [`FlyteUri`] lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `s3://` (AWS S3, MinIO, any S3-compatible store).
    S3,
    /// `gs://` (Google Cloud Storage).
    Gs,
    /// `az://` (Azure Blob Storage).
    Az,
    /// `abfs://` (Azure Data Lake Gen2).
    Abfs,
    /// `abfss://` (Azure Data Lake Gen2 over TLS).
    Abfss,
    /// `file://` or a plain path on this machine.
    File,
}

impl Scheme {
    /// The scheme as written in URIs (`s3`, `gs`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::S3 => "s3",
            Scheme::Gs => "gs",
            Scheme::Az => "az",
            Scheme::Abfs => "abfs",
            Scheme::Abfss => "abfss",
            Scheme::File => "file",
        }
    }
}

/// A parsed storage URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlyteUri {
    scheme: Scheme,
    bucket: String,
    account: Option<String>,
    key: String,
}

impl FlyteUri {
    /// Parses a URI or a local path.
    ///
    /// # Errors
    /// [`Error::InvalidUri`]: empty, an unsupported scheme, no bucket, a malformed Azure host.
    pub fn parse(text: &str) -> Result<FlyteUri> {
        let invalid = |reason: &str| Error::invalid_uri(text, reason);
        if text.trim().is_empty() {
            return Err(invalid("empty URI"));
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            // A plain path.
            let path = std::path::absolute(text)
                .map_err(|e| invalid(&format!("not a usable path: {e}")).with_source(e))?;
            return Ok(FlyteUri {
                scheme: Scheme::File,
                bucket: String::new(),
                account: None,
                key: path.to_string_lossy().into_owned(),
            });
        };
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "s3" | "s3a" => Scheme::S3,
            "gs" | "gcs" => Scheme::Gs,
            "az" | "azure" => Scheme::Az,
            // `afs://` is what older flytestdlib releases wrote for Azure.
            "abfs" | "afs" => Scheme::Abfs,
            "abfss" => Scheme::Abfss,
            "file" => Scheme::File,
            other => {
                return Err(invalid(&format!(
                    "unsupported scheme {other:?}: expected s3, gs, az, abfs, abfss, afs or file"
                )))
            }
        };
        if scheme == Scheme::File {
            if !rest.starts_with('/') {
                return Err(invalid("file URIs need an absolute path: file:///path"));
            }
            return Ok(FlyteUri {
                scheme,
                bucket: String::new(),
                account: None,
                key: rest.to_owned(),
            });
        }
        let (host, key) = rest.split_once('/').unwrap_or((rest, ""));
        let (bucket, account) = match scheme {
            // Flyte writes `abfs://container/key`; Azure's own form names the account too.
            Scheme::Abfs | Scheme::Abfss if host.contains('@') => {
                let (container, host) = host.split_once('@').unwrap_or_default();
                let account = host
                    .split('.')
                    .next()
                    .filter(|a| !a.is_empty())
                    .ok_or_else(|| invalid("no storage account after '@'"))?;
                (container.to_owned(), Some(account.to_owned()))
            }
            _ => (host.to_owned(), None),
        };
        if bucket.is_empty() {
            return Err(invalid("no bucket or container"));
        }
        if key.split('/').any(|s| s == "..") {
            return Err(invalid("'..' is not allowed in a key"));
        }
        Ok(FlyteUri {
            scheme,
            bucket,
            account,
            key: key.trim_end_matches('/').to_owned(),
        })
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The bucket or container (empty for local files).
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The Azure storage account, for `abfs(s)://` URIs.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// The key inside the bucket (for local files, the absolute path).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The URI of the bucket itself (the key emptied): `s3://b/`.
    pub(crate) fn root(&self) -> FlyteUri {
        FlyteUri {
            key: String::new(),
            ..self.clone()
        }
    }

    /// The URI of `name` under this one (`s3://b/a` joined with `x.pb` is `s3://b/a/x.pb`).
    pub fn join(&self, name: &str) -> FlyteUri {
        let mut out = self.clone();
        let name = name.trim_start_matches('/');
        out.key = if out.key.is_empty() || out.key.ends_with('/') {
            format!("{}{name}", out.key)
        } else {
            format!("{}/{name}", out.key)
        };
        out
    }
}

impl fmt::Display for FlyteUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.scheme, &self.account) {
            (Scheme::File, _) => write!(f, "file://{}", self.key),
            (s, Some(account)) => write!(
                f,
                "{}://{}@{account}.dfs.core.windows.net/{}",
                s.as_str(),
                self.bucket,
                self.key
            ),
            (s, None) => write!(f, "{}://{}/{}", s.as_str(), self.bucket, self.key),
        }
    }
}

impl FromStr for FlyteUri {
    type Err = Error;

    fn from_str(s: &str) -> Result<FlyteUri> {
        FlyteUri::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_scheme_flyte_writes() -> Result<()> {
        let u = FlyteUri::parse("s3://my-s3-bucket/metadata/propeller/x/outputs.pb")?;
        assert_eq!(
            (u.scheme(), u.bucket(), u.key()),
            (
                Scheme::S3,
                "my-s3-bucket",
                "metadata/propeller/x/outputs.pb"
            )
        );
        let u = FlyteUri::parse("gs://b/k")?;
        assert_eq!((u.scheme(), u.bucket(), u.key()), (Scheme::Gs, "b", "k"));
        let u = FlyteUri::parse("abfss://data@acct.dfs.core.windows.net/raw/file.parquet")?;
        assert_eq!(
            (u.bucket(), u.account(), u.key()),
            ("data", Some("acct"), "raw/file.parquet")
        );
        assert_eq!(
            u.to_string(),
            "abfss://data@acct.dfs.core.windows.net/raw/file.parquet"
        );
        for flyte_wrote in ["abfs://data/raw/f.pb", "afs://data/raw/f.pb"] {
            let u = FlyteUri::parse(flyte_wrote)?;
            assert_eq!(
                (u.scheme(), u.bucket(), u.account(), u.key()),
                (Scheme::Abfs, "data", None, "raw/f.pb")
            );
            assert_eq!(u.to_string(), "abfs://data/raw/f.pb");
        }
        let u = FlyteUri::parse("file:///tmp/x/outputs.pb")?;
        assert_eq!((u.scheme(), u.key()), (Scheme::File, "/tmp/x/outputs.pb"));
        let u = FlyteUri::parse("/tmp/y")?;
        assert_eq!(u.to_string(), "file:///tmp/y");
        assert_eq!(
            FlyteUri::parse("s3://b/a/")?.join("x.pb").to_string(),
            "s3://b/a/x.pb"
        );
        assert_eq!(
            FlyteUri::parse("s3://b")?.join("x.pb").to_string(),
            "s3://b/x.pb"
        );
        Ok(())
    }

    #[test]
    fn bad_uris_say_why() {
        let reason = |t: &str| match FlyteUri::parse(t) {
            Err(Error::InvalidUri { reason, .. }) => reason,
            other => panic!("{t}: {other:?}"),
        };
        assert!(reason("").contains("empty"));
        assert!(reason("ftp://host/x").contains("unsupported scheme \"ftp\""));
        assert!(reason("s3:///key").contains("no bucket"));
        assert!(reason("abfs://@acct.dfs.core.windows.net/x").contains("no bucket"));
        assert!(reason("abfs://c@/x").contains("no storage account"));
        assert!(reason("file://relative").contains("absolute"));
        assert!(reason("s3://b/a/../../etc").contains(".."));
    }
}
