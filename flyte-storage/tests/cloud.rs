//! GCS and Azure configs (stow kinds `google` and `azure`) against mock endpoints: requests go
//! where the config says, signed with its credentials; retries follow [`CloudOptions`]; errors
//! name the URI and never a credential.
#![cfg(all(feature = "gcp", feature = "azure"))]

use std::time::Duration;

use flyte_storage::{CloudOptions, Error, FlyteStorage, UriProblem};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Azurite's well-known development account key, published by Microsoft.
const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A service account key that tells object_store to send no OAuth token (emulator mode); the
/// private key is a marker the tests look for in errors and `Debug`.
const GCS_KEY: &str = r#"{"disable_oauth": true, "client_email": "ci@example.iam", "private_key": "PRIVATE-KEY-MARKER", "private_key_id": "k1"}"#;

/// How object_store's GCS client writes `gs://flyte-gcs/metadata/a/outputs.pb` on the wire: the
/// bucket and the object name percent-encoded whole, as the XML API allows.
const GCS_OBJECT_PATH: &str = "/flyte%2Dgcs/metadata%2Fa%2Foutputs%2Epb";

fn storage(yaml: &str) -> Result<FlyteStorage, Box<dyn std::error::Error>> {
    let config = flyte_config::Config::from_yaml_str(yaml)?;
    Ok(FlyteStorage::from_config(&config.storage)?)
}

fn gcs(endpoint: &str) -> Result<FlyteStorage, Box<dyn std::error::Error>> {
    storage(&format!(
        "storage:\n  type: stow\n  container: flyte-gcs\n  stow:\n    kind: google\n    config:\n      project_id: my-project\n      json: '{GCS_KEY}'\n      endpoint: {endpoint}\n"
    ))
}

fn azure(endpoint: &str) -> Result<FlyteStorage, Box<dyn std::error::Error>> {
    storage(&format!(
        "storage:\n  type: stow\n  container: flyte\n  enable-multicontainer: true\n  stow:\n    kind: azure\n    config:\n      account: devstoreaccount1\n      key: {AZURITE_KEY}\n      endpoint: {endpoint}/devstoreaccount1\n"
    ))
}

/// A mock GCS that takes one PUT of `GCS_OBJECT_PATH`.
async fn gcs_server_taking_one_put() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(GCS_OBJECT_PATH))
        .respond_with(ResponseTemplate::new(200).insert_header("ETag", "\"e1\""))
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn gcs_configs_reach_the_configured_endpoint() -> TestResult {
    let server = gcs_server_taking_one_put().await;
    Mock::given(method("GET"))
        .and(path(GCS_OBJECT_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ETag", "\"e1\"")
                .insert_header("Last-Modified", "Fri, 27 Nov 2026 10:00:00 GMT")
                .set_body_bytes(b"from gcs".to_vec()),
        )
        .mount(&server)
        .await;
    let s = gcs(&server.uri())?;
    s.put("gs://flyte-gcs/metadata/a/outputs.pb", "x").await?;
    assert_eq!(
        s.get("gs://flyte-gcs/metadata/a/outputs.pb").await?,
        "from gcs"
    );
    let debug = format!("{s:?}");
    assert!(debug.contains("my-project"), "{debug}");
    assert!(!debug.contains("PRIVATE-KEY-MARKER"), "{debug}");
    Ok(())
}

#[tokio::test]
async fn anonymous_gcs_sends_no_token_and_asks_for_none() -> TestResult {
    let server = gcs_server_taking_one_put().await;
    // No json key and anonymous: without it, object_store would ask the metadata server
    // (169.254.169.254) for a token before the first request.
    let s = storage(&format!(
        "storage:\n  type: stow\n  container: flyte-gcs\n  stow:\n    kind: google\n    config:\n      endpoint: {}\n      anonymous: true\n",
        server.uri()
    ))?;
    s.put("gs://flyte-gcs/metadata/a/outputs.pb", "x").await?;
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1);
    let auth = requests[0]
        .headers
        .get("authorization")
        .map(|v| v.to_str().unwrap_or_default().trim().to_owned());
    assert!(
        auth.as_deref().is_none_or(|a| a == "Bearer"),
        "no token: {auth:?}"
    );
    Ok(())
}

#[tokio::test]
async fn gcs_failures_name_the_uri_and_other_schemes_are_refused() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let s = gcs(&server.uri())?;
    let e = s
        .get("gs://flyte-gcs/nope.pb")
        .await
        .err()
        .ok_or("a missing object was read")?;
    assert!(e.is_not_found(), "{e:?}");
    assert!(e.to_string().contains("gs://flyte-gcs/nope.pb"), "{e}");
    let e = s
        .get("s3://flyte-gcs/x")
        .await
        .err()
        .ok_or("an s3:// URI was read from GCS")?;
    assert!(
        matches!(&e, Error::InvalidUri { reason, .. } if reason.contains("gs://")),
        "{e:?}"
    );
    let e = s
        .get("gs://another-bucket/x")
        .await
        .err()
        .ok_or("a bucket outside the container was read")?;
    assert!(e.to_string().contains("enable-multicontainer"), "{e}");
    Ok(())
}

#[tokio::test]
async fn azure_configs_sign_with_the_shared_key_and_accept_every_uri_form() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/devstoreaccount1/flyte/raw/x.pb"))
        .respond_with(ResponseTemplate::new(201).insert_header("ETag", "\"0x1\""))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/devstoreaccount1/flyte/raw/x.pb"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ETag", "\"0x1\"")
                .insert_header("Last-Modified", "Fri, 27 Nov 2026 10:00:00 GMT")
                .set_body_bytes(b"from azure".to_vec()),
        )
        .expect(3)
        .mount(&server)
        .await;
    let s = azure(&server.uri())?;
    s.put("abfs://flyte/raw/x.pb", "x").await?;
    for uri in [
        "abfs://flyte/raw/x.pb",
        "abfss://flyte@devstoreaccount1.dfs.core.windows.net/raw/x.pb",
        "az://flyte/raw/x.pb",
    ] {
        assert_eq!(s.get(uri).await?, "from azure", "{uri}");
    }
    let requests = server.received_requests().await.unwrap_or_default();
    let auth = requests
        .iter()
        .filter_map(|r| r.headers.get("authorization")?.to_str().ok())
        .collect::<Vec<_>>();
    assert_eq!(auth.len(), requests.len(), "every request is signed");
    assert!(
        auth.iter()
            .all(|a| a.starts_with("SharedKey devstoreaccount1:")),
        "{auth:?}"
    );
    assert!(auth.iter().all(|a| !a.contains(AZURITE_KEY)));
    assert!(!format!("{s:?}").contains(AZURITE_KEY));
    Ok(())
}

#[tokio::test]
async fn azure_refuses_another_account_with_this_accounts_key() -> TestResult {
    let server = MockServer::start().await;
    let s = azure(&server.uri())?;
    let e = s
        .get("abfss://flyte@otheraccount.dfs.core.windows.net/raw/x.pb")
        .await
        .err()
        .ok_or("read another account with this account's key")?;
    assert!(
        e.to_string().contains("otheraccount") && e.to_string().contains("devstoreaccount1"),
        "{e}"
    );
    assert!(!e.to_string().contains(AZURITE_KEY));
    assert!(server
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
    Ok(())
}

#[tokio::test]
async fn azure_without_an_account_is_a_config_error() -> TestResult {
    let config = flyte_config::Config::from_yaml_str(&format!(
        "storage:\n  type: stow\n  stow:\n    kind: azure\n    config:\n      key: {AZURITE_KEY}\n"
    ))?;
    let e = FlyteStorage::from_config(&config.storage)
        .err()
        .ok_or("accepted a key without an account")?;
    assert!(
        matches!(&e, Error::Config { message, .. } if message.contains("account")),
        "{e:?}"
    );
    assert!(!e.to_string().contains(AZURITE_KEY));
    Ok(())
}

fn quick_retries(max_retries: u32) -> CloudOptions {
    CloudOptions::new().retry(
        CloudOptions::default_retry()
            .max_retries(max_retries)
            .initial_backoff(Duration::from_millis(1))
            .max_backoff(Duration::from_millis(5)),
    )
}

#[tokio::test]
async fn server_errors_are_retried_as_cloud_options_say() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let s = gcs(&server.uri())?.cloud_options(quick_retries(2));
    let e = s
        .get("gs://flyte-gcs/busy.pb")
        .await
        .err()
        .ok_or("a 503 store answered")?;
    assert!(e.to_string().contains("gs://flyte-gcs/busy.pb"), "{e}");
    // `expect(3)`: one attempt and two retries, checked when the server drops.
    Ok(())
}

#[tokio::test]
async fn denials_are_not_retried() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403).set_body_string("AccessDenied"))
        .expect(1)
        .mount(&server)
        .await;
    let s = gcs(&server.uri())?.cloud_options(quick_retries(4));
    let e = s
        .get("gs://flyte-gcs/secret.pb")
        .await
        .err()
        .ok_or("a denied read succeeded")?;
    assert!(matches!(e, Error::PermissionDenied { .. }), "{e:?}");
    Ok(())
}

#[tokio::test]
async fn the_builder_reaches_azurite_style_endpoints() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/devstoreaccount1/flyte/k.pb"))
        .respond_with(ResponseTemplate::new(201).insert_header("ETag", "\"0x1\""))
        .expect(1)
        .mount(&server)
        .await;
    let s = flyte_storage::StorageBuilder::azure("devstoreaccount1")
        .azure_key(AZURITE_KEY)
        .emulator_endpoint(format!("{}/devstoreaccount1", server.uri()))
        .cloud_options(quick_retries(1))
        .build()?;
    s.put("abfs://flyte/k.pb", "x").await?;
    Ok(())
}

/// Whether anything connected to `listener` (non-blocking) since the last look.
fn saw_connection(listener: &std::net::TcpListener) -> bool {
    match listener.accept() {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
        Err(e) => panic!("accept: {e}"),
    }
}

#[tokio::test]
async fn azure_uris_naming_another_host_never_reach_it() -> TestResult {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    // Requests without credentials, so that nothing but the URI decides where they go; the
    // configured endpoint is the listener, reached only by the control at the end.
    let config = |extra: &str| {
        format!(
            "storage:\n  type: stow\n  container: flyte\n  enable-multicontainer: true\n  stow:\n    kind: azure\n    config:\n      account: flyteaccount\n      anonymous: true\n      endpoint: http://127.0.0.1:{port}/flyteaccount\n{extra}"
        )
    };
    let hostile = [
        format!("abfs://c@2130706433:{port}#x.dfs.core.windows.net/k"),
        format!("abfs://flyte@2130706433:{port}#x.dfs.core.windows.net/k"),
        format!("abfs://flyte@2130706433:{port}/x.dfs.core.windows.net/k"),
        format!("abfss://flyte@127.0.0.1:{port}/k"),
        format!("abfss://flyte@localhost:{port}/k"),
        format!("abfss://flyte@u:p@127.0.0.1:{port}/x.dfs.core.windows.net/k"),
        format!("az://flyte@0x7f000001:{port}/x.blob.core.windows.net/k"),
        format!("az://flyte@127.0.0.1/x.blob.core.windows.net:{port}/k"),
        // Well formed, but another cloud than the configured one.
        "abfss://flyte@flyteaccount.dfs.localhost.localdomain/k".to_owned(),
    ];
    let refused_by_default = [
        "abfss://flyte@otheraccount.dfs.core.windows.net/k".to_owned(),
        "abfss://flyte@2130706433.blob.core.windows.net/k".to_owned(),
    ];
    let plain = storage(&config(""))?.cloud_options(quick_retries(0));
    let opted_in =
        storage(&config("      allow_other_accounts: true\n"))?.cloud_options(quick_retries(0));
    for (s, uris) in [
        (
            &plain,
            hostile
                .iter()
                .chain(&refused_by_default)
                .collect::<Vec<_>>(),
        ),
        (&opted_in, hostile.iter().collect()),
    ] {
        for uri in uris {
            let e = s
                .get(uri)
                .await
                .err()
                .ok_or_else(|| format!("{uri} was read"))?;
            assert!(matches!(e, Error::InvalidUri { .. }), "{uri}: {e:?}");
            // Named up to its query or fragment and from its host on: errors show neither
            // those nor a user:password.
            let named = uri.split(['?', '#']).next().unwrap_or_default();
            let named = named.rsplit('@').next().unwrap_or_default();
            assert!(e.to_string().contains(named), "{e} names {uri}");
            assert!(!saw_connection(&listener), "{uri} reached 127.0.0.1:{port}");
        }
    }
    let e = plain
        .get(&refused_by_default[0])
        .await
        .err()
        .ok_or("another account was read")?;
    assert!(
        matches!(
            e,
            Error::InvalidUri {
                problem: UriProblem::OtherAccount,
                ..
            }
        ) && e.to_string().contains("allow_other_accounts"),
        "the error says how to opt in: {e}"
    );

    // The control: the configured account's URI does reach the listener, so the checks above
    // would have seen a connection.
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let get = tokio::spawn(async move { plain.get("abfs://flyte/k").await });
    let (conn, _) = listener.accept().await?;
    drop(conn);
    assert!(get.await?.is_err());
    Ok(())
}
