//! The URIs Flyte writes: `s3://bucket/key`, `gs://bucket/key`, `az://container/key`,
//! `abfs[s]://container@account.dfs.core.windows.net/key`, `file:///path` and plain paths.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result, UriProblem};

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
///
/// Parsing checks what could send a request anywhere but the configured store, before any
/// request is made: cloud URIs have no port, no query or fragment (`?`, `#`), no `user@` before
/// an S3 or GCS bucket; bucket, container and Azure account names follow their cloud's rules
/// (see [`FlyteUri::parse`]); an Azure host is `ACCOUNT.dfs.SUFFIX` or `ACCOUNT.blob.SUFFIX`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlyteUri {
    scheme: Scheme,
    bucket: String,
    account: Option<String>,
    /// The Azure host after the account (`dfs.core.windows.net`), when the URI names one.
    domain: Option<String>,
    key: String,
}

/// Characters that end or reshape a URL's authority or path wherever they appear in one.
fn url_changing(c: char) -> bool {
    matches!(c, '/' | '?' | '#' | '@' | ':' | '%' | '\\' | '[' | ']')
        || c.is_whitespace()
        || c.is_control()
}

impl FlyteUri {
    /// Parses a URI or a local path.
    ///
    /// Names are checked as each cloud documents them:
    /// - S3 buckets: 3 to 63 characters of `a-z 0-9 . -`, starting and ending with a letter or
    ///   digit, no `..`, not an IPv4 address, not starting with `xn--`, `sthree-` or
    ///   `amzn-s3-demo-`. Legacy buckets (us-east-1 before 2018, and MinIO in its legacy
    ///   mode) may also hold upper-case letters and `_`, up to 255 characters: they are
    ///   accepted, because such buckets still exist and requests name them in the path, never
    ///   in the host. Access point aliases (`-s3alias`, `--ol-s3`) and directory buckets
    ///   (`--x-s3`) are accepted too: requests take them where a bucket goes.
    /// - GCS buckets: `a-z 0-9 . _ -`, starting and ending with a letter or digit, 3 to 63
    ///   characters (up to 222 with dots, each part at most 63), not an IPv4 address, not
    ///   starting with `goog` nor containing `google`.
    /// - Azure containers (`abfs`, `abfss`, `az`): 3 to 63 characters of `a-z 0-9 -`, starting
    ///   and ending with a letter or digit, no `--`; or `$root`, `$web`, `$logs`. Accounts: 3 to
    ///   24 lower-case letters and digits. The host after the account is `dfs.` or `blob.` and
    ///   a domain suffix of lower-case DNS labels; an Azure store refuses any suffix but its
    ///   configured one (`core.windows.net` unless `domain_suffix` says otherwise).
    ///
    /// `file://` URIs and plain paths are paths on this machine, taken as they are.
    ///
    /// # Errors
    /// [`Error::InvalidUri`], its [`UriProblem`](crate::UriProblem) saying which rule the URI
    /// breaks: empty, an unsupported scheme, no bucket, a name against its cloud's rules, a
    /// port, user info, a query or fragment, a malformed Azure host, `..` in the key.
    pub fn parse(text: &str) -> Result<FlyteUri> {
        let invalid = |problem: UriProblem, reason: &str| Error::invalid_uri(text, problem, reason);
        if text.trim().is_empty() {
            return Err(invalid(UriProblem::Empty, "empty URI"));
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            // A plain path.
            let path = std::path::absolute(text).map_err(|e| {
                invalid(UriProblem::Path, &format!("not a usable path: {e}")).with_source(e)
            })?;
            return Ok(FlyteUri {
                scheme: Scheme::File,
                bucket: String::new(),
                account: None,
                domain: None,
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
                return Err(invalid(
                    UriProblem::UnsupportedScheme,
                    &format!(
                    "unsupported scheme {other:?}: expected s3, gs, az, abfs, abfss, afs or file"
                ),
                ))
            }
        };
        if scheme == Scheme::File {
            if !rest.starts_with('/') {
                return Err(invalid(
                    UriProblem::Path,
                    "file URIs need an absolute path: file:///path",
                ));
            }
            return Ok(FlyteUri {
                scheme,
                bucket: String::new(),
                account: None,
                domain: None,
                key: rest.to_owned(),
            });
        }
        if rest.contains(['?', '#']) {
            return Err(invalid(
                UriProblem::QueryOrFragment,
                "a storage URI has no query or fragment ('?' or '#')",
            ));
        }
        let (host, key) = rest.split_once('/').unwrap_or((rest, ""));
        let (bucket, account, domain) = match scheme {
            // Flyte writes `abfs://container/key`; Azure's own form names the account too.
            Scheme::Abfs | Scheme::Abfss | Scheme::Az => {
                let (container, account) = match host.split_once('@') {
                    Some((container, host)) => {
                        let (account, domain) =
                            azure_host(host).map_err(|(p, r)| invalid(p, &r))?;
                        (container, Some((account, domain)))
                    }
                    None => (host, None),
                };
                check_azure_container(container).map_err(|(p, r)| invalid(p, &r))?;
                let (account, domain) = account.unzip();
                (container.to_owned(), account, domain)
            }
            Scheme::S3 | Scheme::Gs | Scheme::File => {
                check_bucket(scheme, host).map_err(|(p, r)| invalid(p, &r))?;
                (host.to_owned(), None, None)
            }
        };
        if key.split('/').any(|s| s == "..") {
            return Err(invalid(UriProblem::Key, "'..' is not allowed in a key"));
        }
        Ok(FlyteUri {
            scheme,
            bucket,
            account,
            domain,
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

    /// The domain suffix of the Azure host the URI names (`core.windows.net` in
    /// `abfs://c@acct.dfs.core.windows.net/k`); `None` when it names no host.
    pub fn azure_domain_suffix(&self) -> Option<&str> {
        let domain = self.domain.as_deref()?;
        domain.split_once('.').map(|(_, suffix)| suffix)
    }

    /// The key inside the bucket (for local files, the absolute path).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The URI of the bucket itself (the key emptied): `s3://bkt/`.
    pub(crate) fn root(&self) -> FlyteUri {
        FlyteUri {
            key: String::new(),
            ..self.clone()
        }
    }

    /// The URI of `name` under this one (`s3://bkt/a` joined with `x.pb` is `s3://bkt/a/x.pb`).
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
                "{}://{}@{account}.{}/{}",
                s.as_str(),
                self.bucket,
                self.domain.as_deref().unwrap_or("dfs.core.windows.net"),
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

/// Why a name was refused.
type Refusal = (UriProblem, String);

/// The account and the domain (`dfs.core.windows.net`) of an Azure host.
fn azure_host(host: &str) -> Result<(String, String), Refusal> {
    let refuse = |p: UriProblem, why: String| Err((p, why));
    if host.contains('@') {
        return refuse(
            UriProblem::UserInfo,
            "user info after the container: an Azure URI names only container@account".to_owned(),
        );
    }
    if host.contains(':') {
        return refuse(
            UriProblem::Port,
            "a port after the Azure host: the endpoint comes from the config".to_owned(),
        );
    }
    let (account, domain) = host.split_once('.').unwrap_or((host, ""));
    if account.is_empty() {
        return refuse(
            UriProblem::AccountName,
            "no storage account after '@'".to_owned(),
        );
    }
    check_azure_account(account)?;
    let suffix = domain
        .strip_prefix("dfs.")
        .or_else(|| domain.strip_prefix("blob."));
    let well_formed = suffix.is_some_and(|s| {
        s.split('.').count() >= 2
            && s.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            })
    });
    if !well_formed {
        return refuse(
            UriProblem::Host,
            format!(
                "Azure host {host:?} is not ACCOUNT.dfs.SUFFIX or ACCOUNT.blob.SUFFIX \
                 (such as {account}.dfs.core.windows.net)"
            ),
        );
    }
    Ok((account.to_owned(), domain.to_owned()))
}

/// Azure's rule for storage account names: 3 to 24 lower-case letters and digits.
pub(crate) fn check_azure_account(account: &str) -> Result<(), Refusal> {
    let ok = (3..=24).contains(&account.len())
        && account
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err((
            UriProblem::AccountName,
            format!(
                "storage account {account:?}: Azure account names are 3 to 24 lower-case \
                 letters and digits"
            ),
        ))
    }
}

/// Azure's rule for container names (`$root`, `$web` and `$logs` are the system containers).
fn check_azure_container(name: &str) -> Result<(), Refusal> {
    if name.is_empty() {
        return Err((UriProblem::NoBucket, "no bucket or container".to_owned()));
    }
    if name.contains(url_changing) {
        return Err(url_refusal("container", name));
    }
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let ok = matches!(name, "$root" | "$web" | "$logs")
        || ((3..=63).contains(&name.len())
            && name.bytes().all(|b| alnum(b) || b == b'-')
            && name.bytes().next().is_some_and(alnum)
            && name.bytes().last().is_some_and(alnum)
            && !name.contains("--"));
    if ok {
        Ok(())
    } else {
        Err((
            UriProblem::BucketName,
            format!(
                "container {name:?}: Azure container names are 3 to 63 lower-case letters, \
                 digits and single hyphens, starting and ending with a letter or digit"
            ),
        ))
    }
}

/// The refusal of a name holding a character that would change the request's URL.
fn url_refusal(what: &str, name: &str) -> Refusal {
    let (problem, why) = if let Some((_, bucket)) = name.rsplit_once('@') {
        // The user info may be a password: only what follows it is shown.
        return (
            UriProblem::UserInfo,
            format!("{what} {bucket:?}: user info ('@') before it"),
        );
    } else if name.contains('[') {
        (UriProblem::BucketName, "an IP address, not a name")
    } else if name.contains(':') {
        (
            UriProblem::Port,
            "a port: the endpoint comes from the config",
        )
    } else {
        (
            UriProblem::BucketName,
            "a character that would change the request's URL",
        )
    };
    (problem, format!("{what} {name:?}: {why}"))
}

/// S3's or GCS's rules for bucket names, as [`FlyteUri::parse`] documents them.
fn check_bucket(scheme: Scheme, name: &str) -> Result<(), Refusal> {
    if name.is_empty() {
        return Err((UriProblem::NoBucket, "no bucket or container".to_owned()));
    }
    if name.contains(url_changing) {
        return Err(url_refusal("bucket", name));
    }
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    let is_ipv4 = name.parse::<std::net::Ipv4Addr>().is_ok();
    let ends_ok = name.bytes().next().is_some_and(alnum) && name.bytes().last().is_some_and(alnum);
    let (ok, rule) = if scheme == Scheme::Gs {
        let lower = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let max = if name.contains('.') { 222 } else { 63 };
        (
            (3..=max).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| lower(b) || matches!(b, b'.' | b'_' | b'-'))
                && ends_ok
                && name.split('.').all(|part| (1..=63).contains(&part.len()))
                && !is_ipv4
                && !name.starts_with("goog")
                && !name.contains("google"),
            "GCS bucket names are 3 to 63 lower-case letters, digits, '.', '_' and '-' (222 \
             with dots, 63 between them), start and end with a letter or digit, are no IP \
             address, and neither start with \"goog\" nor contain \"google\"",
        )
    } else {
        let legacy = name.bytes().any(|b| b.is_ascii_uppercase() || b == b'_');
        let max = if legacy { 255 } else { 63 };
        (
            (3..=max).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| alnum(b) || matches!(b, b'.' | b'-' | b'_'))
                && ends_ok
                && !name.contains("..")
                && !is_ipv4
                && !["xn--", "sthree-", "amzn-s3-demo-"]
                    .iter()
                    .any(|p| name.starts_with(p)),
            "S3 bucket names are 3 to 63 lower-case letters, digits, '.' and '-' (legacy names \
             also upper-case letters and '_', up to 255), start and end with a letter or digit, \
             have no '..', are no IP address, and do not start with \"xn--\", \"sthree-\" or \
             \"amzn-s3-demo-\"",
        )
    };
    if ok {
        Ok(())
    } else {
        Err((UriProblem::BucketName, format!("bucket {name:?}: {rule}")))
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
        let u = FlyteUri::parse("gs://bkt/k")?;
        assert_eq!((u.scheme(), u.bucket(), u.key()), (Scheme::Gs, "bkt", "k"));
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
            FlyteUri::parse("s3://bkt/a/")?.join("x.pb").to_string(),
            "s3://bkt/a/x.pb"
        );
        assert_eq!(
            FlyteUri::parse("s3://bkt")?.join("x.pb").to_string(),
            "s3://bkt/x.pb"
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
        assert!(reason("s3://bkt/a/../../etc").contains(".."));
    }

    fn problem(text: &str) -> UriProblem {
        match FlyteUri::parse(text) {
            Err(Error::InvalidUri { problem, uri, .. }) => {
                // As given, but for its query and user info (an Azure `container@` is none).
                let mut expected = text.split(['?', '#']).next().unwrap_or_default().to_owned();
                if !text.starts_with('a') || expected.contains(":p@") {
                    expected = crate::redact_url(&expected);
                }
                assert_eq!(uri, expected, "the error names the URI, without secrets");
                problem
            }
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn hosts_that_are_not_a_storage_account_are_refused() {
        use UriProblem::*;
        for (text, expected) in [
            // The review's URI: a decimal IPv4 address, a port, the suffix in a fragment.
            (
                "abfs://c@2130706433:8443#x.dfs.core.windows.net/k",
                QueryOrFragment,
            ),
            (
                "abfs://flyte@2130706433:8443/x.dfs.core.windows.net/k",
                Port,
            ),
            ("abfss://flyte@127.0.0.1:8443/k", Port),
            ("abfss://flyte@acct.dfs.core.windows.net:443/k", Port),
            ("abfss://flyte@127.0.0.1/k", Host),
            ("abfss://flyte@localhost/k", Host),
            ("abfss://flyte@acct.evil.example/k", Host),
            (
                "abfss://flyte@acct.dfs.core.windows.net.evil.example:1/k",
                Port,
            ),
            ("abfss://flyte@acct.dfs.-evil.net/k", Host),
            ("abfss://flyte@acct.dfs.windows/k", Host),
            ("abfss://flyte@ACCT.dfs.core.windows.net/k", AccountName),
            ("abfss://flyte@ab.dfs.core.windows.net/k", AccountName),
            ("abfss://flyte@a_b_c.dfs.core.windows.net/k", AccountName),
            ("abfss://flyte@u:p@acct.dfs.core.windows.net/k", UserInfo),
            ("az://flyte@x%2e.blob.core.windows.net/k", AccountName),
            (
                "abfss://flyte@acct.dfs.core.windows.net/k?sv=1",
                QueryOrFragment,
            ),
            ("s3://bucket:9000/k", Port),
            ("s3://user@bucket/k", UserInfo),
            ("s3://user:pass@bucket/k", UserInfo),
            ("gs://127.0.0.1:8443/k", Port),
            ("gs://bucket/k#frag", QueryOrFragment),
            ("s3://bucket/k?x-id=GetObject", QueryOrFragment),
            ("s3://buck%2Fet/k", BucketName),
            ("s3://buck\\et/k", BucketName),
            ("s3://buck et/k", BucketName),
            ("s3://[::1]/k", BucketName),
        ] {
            assert_eq!(problem(text), expected, "{text}");
        }
    }

    #[test]
    fn names_follow_each_clouds_rules() -> Result<()> {
        use UriProblem::BucketName;
        for ok in [
            "s3://my-bucket.v2/k",
            "s3://abc/k",
            // Legacy us-east-1 names, and access point aliases, name real buckets.
            "s3://My_Legacy_Bucket/k",
            "s3://my-ap-abcdefghijklmnop-s3alias/k",
            "gs://my_bucket.example.com/k",
            "abfs://a-b-c/k",
            "az://$web/index.html",
            "abfss://$root@acct.blob.core.windows.net/k",
            "abfss://flyte@acct.dfs.core.chinacloudapi.cn/k",
        ] {
            FlyteUri::parse(ok)?;
        }
        for bad in [
            "s3://ab/k",
            "s3://-bucket/k",
            "s3://bucket-/k",
            "s3://my..bucket/k",
            "s3://192.168.5.4/k",
            "s3://xn--bucket/k",
            "s3://sthree-bucket/k",
            "s3://amzn-s3-demo-bucket/k",
            "s3://bück/k",
            "gs://Upper/k",
            "gs://googlebucket/k",
            "gs://my-google-bucket/k",
            "gs://a.b..c/k",
            "gs://10.0.0.1/k",
            "abfs://Flyte/k",
            "abfs://fl--yte/k",
            "abfs://-flyte/k",
            "abfs://fl_yte/k",
            "abfs://ab/k",
            "az://$other/k",
        ] {
            assert_eq!(problem(bad), BucketName, "{bad}");
        }
        assert!(FlyteUri::parse(&format!("s3://{}/k", "a".repeat(63))).is_ok());
        assert_eq!(problem(&format!("s3://{}/k", "a".repeat(64))), BucketName);
        assert_eq!(problem(&format!("abfs://{}/k", "a".repeat(64))), BucketName);
        Ok(())
    }

    #[test]
    fn azure_hosts_keep_their_service_and_suffix() -> Result<()> {
        let u = FlyteUri::parse("abfss://data@acct.blob.core.usgovcloudapi.net/raw/f")?;
        assert_eq!(u.azure_domain_suffix(), Some("core.usgovcloudapi.net"));
        assert_eq!(
            u.to_string(),
            "abfss://data@acct.blob.core.usgovcloudapi.net/raw/f"
        );
        assert_eq!(
            FlyteUri::parse("abfs://data/f")?.azure_domain_suffix(),
            None
        );
        Ok(())
    }
}
