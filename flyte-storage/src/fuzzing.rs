//! Entry points for the fuzz targets in the repository's `fuzz/` directory.
//!
//! **Not part of the API**: hidden from the docs, exempt from semantic versioning, and free to
//! change or go in any release. They exist because the code they reach is private, and a fuzz
//! target is a separate crate. Each function must return for any input; a panic is a bug.

use std::future::Future;
use std::task::{Context, Poll, Waker};

use crate::hosts::AzureAccounts;
use crate::uri::{FlyteUri, Scheme};
use crate::FlyteStorage;

/// The account an Azure store is configured with in [`storage_uri`].
const CONFIGURED_ACCOUNT: &str = "flyteaccount";

/// Parses `text` as a storage URI and panics if a URI that parses would send a request to a
/// host other than the configured store's: S3's and GCS's endpoint with the bucket as the first
/// path segment, or for Azure the configured account's blob host (another account only when
/// `allow_other_accounts` is set, and then a well-formed one in the configured cloud). Also
/// panics if the URI's text does not parse back to the same URI. Returns whether it parsed.
pub fn storage_uri(text: &str) -> bool {
    let uri = match FlyteUri::parse(text) {
        Ok(uri) => uri,
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"));
            return false;
        }
    };
    match uri.scheme() {
        Scheme::File => return true,
        Scheme::S3 => bucket_stays_in_path(&uri, "https://s3.us-east-1.amazonaws.com"),
        Scheme::Gs => bucket_stays_in_path(&uri, "https://storage.googleapis.com"),
        Scheme::Az | Scheme::Abfs | Scheme::Abfss => azure_stays_home(&uri),
    }
    let again = FlyteUri::parse(&uri.to_string());
    assert_eq!(
        again.ok().as_ref(),
        Some(&uri),
        "{text:?} does not round-trip"
    );
    true
}

/// The bucket, pasted unencoded into the path as object_store does, leaves the host and the
/// path's first segment as they were.
fn bucket_stays_in_path(uri: &FlyteUri, endpoint: &str) {
    let url = format!("{endpoint}/{}/object", uri.bucket());
    let parsed = reqwest::Url::parse(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
    let expected = reqwest::Url::parse(endpoint).unwrap_or_else(|e| panic!("{endpoint}: {e}"));
    assert_eq!(parsed.host_str(), expected.host_str(), "{uri}");
    assert_eq!(parsed.port(), None, "{uri}");
    assert_eq!((parsed.query(), parsed.fragment()), (None, None), "{uri}");
    assert_eq!(parsed.path(), format!("/{}/object", uri.bucket()), "{uri}");
}

/// Every account the Azure store would choose for the URI is the configured one, or with
/// `allow_other_accounts` one whose host is that account's in the configured cloud.
fn azure_stays_home(uri: &FlyteUri) {
    for (configured, shared_key, allow_other_accounts) in [
        (Some(CONFIGURED_ACCOUNT), false, false),
        (Some(CONFIGURED_ACCOUNT), true, false),
        (Some(CONFIGURED_ACCOUNT), true, true),
        (Some(CONFIGURED_ACCOUNT), false, true),
        (None, false, false),
    ] {
        let accounts = AzureAccounts {
            configured,
            domain_suffix: "core.windows.net",
            shared_key,
            allow_other_accounts,
        };
        let Ok(account) = accounts.account(uri) else {
            continue;
        };
        if configured.is_some() && (shared_key || !allow_other_accounts) {
            assert_eq!(account, CONFIGURED_ACCOUNT, "{uri}");
        }
        let url = accounts.account_url(&account);
        let parsed = reqwest::Url::parse(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(
            parsed.host_str(),
            Some(format!("{account}.blob.core.windows.net").as_str()),
            "{uri}"
        );
        assert!(crate::uri::check_azure_account(&account).is_ok(), "{uri}");
        assert_eq!(parsed.port(), None, "{uri}");
        assert_eq!(
            (parsed.path(), parsed.query(), parsed.fragment()),
            ("/", None, None)
        );
    }
}

/// Reads `data` as a serialized `LiteralMap` and as a `Literal` with offloaded literals in it,
/// resolving them from an in-memory store that holds `data` itself at
/// `s3://fuzz-bucket/literal.pb` (so an input can point at itself). Returns how many offloaded
/// URIs the map names (0 when it does not decode).
pub fn offloaded_literal(data: &[u8]) -> usize {
    let found = crate::offloaded_uris(data, "fuzz").map_or(0, |uris| uris.len());
    let storage = FlyteStorage::memory();
    let bytes = bytes::Bytes::copy_from_slice(data);
    let work = async {
        storage
            .put("s3://fuzz-bucket/literal.pb", bytes.clone())
            .await?;
        let _ = storage.resolve_literal_map(bytes, "fuzz").await;
        storage.read_literal("s3://fuzz-bucket/literal.pb").await
    };
    // The in-memory store never waits, so the future is ready as soon as it is polled.
    let _ = poll_ready(work);
    found
}

/// Polls `future` a bounded number of times with a waker that does nothing.
fn poll_ready<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    (0..1_000).find_map(|_| match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the `storage_uri` fuzzer is seeded with and what it found, run by every `cargo
    /// test` (CI has no nightly toolchain to fuzz with).
    pub(crate) const URIS: &[&str] = &[
        "",
        "s3://my-s3-bucket/metadata/propeller/x/outputs.pb",
        "s3a://My_Legacy_Bucket/k",
        "gs://my_bucket.example.com/k",
        "abfs://flyte/raw/f.pb",
        "afs://flyte/raw/f.pb",
        "az://$web/index.html",
        "abfss://flyte@flyteaccount.dfs.core.windows.net/raw/x.pb",
        "abfss://flyte@otheraccount.blob.core.windows.net/raw/x.pb",
        "abfss://flyte@flyteaccount.dfs.core.chinacloudapi.cn/raw/x.pb",
        "abfs://c@2130706433:8443#x.dfs.core.windows.net/k",
        "abfs://flyte@2130706433:8443/x.dfs.core.windows.net/k",
        "abfs://flyte@2130706433.dfs.core.windows.net/k",
        "abfs://flyte@0x7f000001.dfs.core.windows.net/k",
        "abfss://flyte@127.0.0.1/k",
        "abfss://flyte@[::1]:8443/k",
        "abfss://flyte@acct.dfs.core.windows.net.evil.example/k",
        "abfss://flyte@acct\\.dfs.core.windows.net/k",
        "abfss://flyte@acct%2edfs.core.windows.net/k",
        "s3://bucket:9000/k",
        "s3://user:pass@bucket/k",
        "s3://2130706433/k",
        "s3://[::1]/k",
        "s3://buck%2F..%2Fet/k",
        "s3://bucket/@127.0.0.1:8443/k",
        "s3://bucket//k",
        "s3://bucket/k/../../x",
        "gs://bucket\\@evil/k",
        "gs://bucket\t/k",
        "file:///tmp/x#y",
        "file://relative",
        "/tmp/plain path?",
        "ftp://host/x",
        "S3://BUCKET/k",
        "abfs://flyte@ACCOUNT.dfs.core.windows.net/k",
        "abfs://fl\u{0}yte/k",
        "s3://bück/k",
    ];

    #[test]
    fn storage_uri_seeds_never_leave_the_configured_host() {
        let parsed: Vec<_> = URIS.iter().filter(|u| storage_uri(u)).collect();
        assert!(
            parsed.len() >= 10 && parsed.len() < URIS.len() / 2 + 10,
            "the seeds cover both sides: {parsed:?}"
        );
    }

    /// A protobuf field: its tag byte, the body's length, the body.
    fn field(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        prost::encoding::encode_varint(body.len() as u64, &mut out);
        out.extend_from_slice(body);
        out
    }

    /// A `Literal` whose collection holds `n` offloaded literals pointing at the store's copy
    /// of the input itself.
    fn self_pointing_collection(n: usize) -> Vec<u8> {
        let offloaded = crate::offloaded_literal("s3://fuzz-bucket/literal.pb", 9, None);
        field(0x12, &field(0x0a, &offloaded).repeat(n))
    }

    /// Serialized maps and literals the `offloaded_literal` fuzzer is seeded with.
    fn literal_seeds() -> Vec<Vec<u8>> {
        let offloaded = crate::offloaded_literal("s3://fuzz-bucket/literal.pb", 9, None);
        let map_entry = field(0x0a, &[field(0x0a, b"x"), field(0x12, &offloaded)].concat());
        vec![
            Vec::new(),
            vec![0xff; 16],
            vec![0x0a, 0x80, 0x80, 0x80, 0x80, 0x10],
            vec![0x42, 0x05, 0x0a, 0x03, b'a', b':', b'/'],
            offloaded,
            map_entry,
            self_pointing_collection(2),
            self_pointing_collection(10),
            [0x12, 0x7f].repeat(64),
        ]
    }

    #[test]
    fn offloaded_literals_fanning_out_are_refused_after_a_bounded_number_of_reads() {
        // Seven levels, each a collection naming the next level ten times: 10^7 reads.
        let storage = FlyteStorage::memory();
        let read = poll_ready(async {
            for level in 0..7 {
                let next = format!("s3://fuzz-bucket/l{}.pb", level + 1);
                let item = crate::offloaded_literal(&next, 9, None);
                let body = field(0x12, &field(0x0a, &item).repeat(10));
                storage
                    .put(&format!("s3://fuzz-bucket/l{level}.pb"), body)
                    .await?;
            }
            storage.put("s3://fuzz-bucket/l7.pb", Vec::new()).await?;
            storage.read_literal("s3://fuzz-bucket/l0.pb").await
        });
        let err = match read {
            Some(Err(e)) => e.to_string(),
            other => panic!("{other:?}"),
        };
        assert!(err.contains("more than 10000 offloaded literals"), "{err}");
    }

    #[test]
    fn offloaded_literal_seeds_return() {
        let seeds = literal_seeds();
        let found: usize = seeds.iter().map(|s| offloaded_literal(s)).sum();
        assert!(found >= 1, "a seed names an offloaded literal");
    }
}
