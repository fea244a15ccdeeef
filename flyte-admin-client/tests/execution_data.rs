//! Execution data: inline, behind a signed URL, or in the blob store, offloaded literals
//! resolved, and the errors when it is in none of those places.

use std::collections::HashMap;
use std::time::Duration;

use flyte_admin_client::pb::admin;

use flyte_admin_client::{AdminClient, ExecutionId, WaitOptions};
use flyte_testkit::TestAdmin;

mod common;
use common::{client, int, int_type, register, TestResult};

#[tokio::test]
async fn outputs_not_inline_come_from_the_signed_url() -> TestResult {
    use flyte_testkit::RemoteData;
    let admin = TestAdmin::builder()
        .remote_data(RemoteData::default().max_size_in_bytes(1).signed_urls(true))
        .start()
        .await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let id = c
        .launch(&lp, Some("big"), HashMap::from([("x".to_owned(), int(42))]))
        .await?;
    c.wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(30)))
        .await?;
    // FlyteAdmin's answer has no inline outputs, only a URL ...
    #[allow(deprecated)]
    let raw = c
        .admin_service()
        .get_execution_data(admin::WorkflowExecutionGetDataRequest {
            id: Some(id.to_pb()),
        })
        .await?
        .into_inner();
    assert!(raw.full_outputs.is_none());
    #[allow(deprecated)]
    let url = raw.outputs.map(|b| b.url).unwrap_or_default();
    assert!(url.contains("signature="), "{url}");
    // ... and the client reads the outputs from it.
    let (_, outputs) = c.execution_data(&id).await?;
    assert_eq!(outputs.literals["x"], int(42));

    // A failed download names the object, never the signature.
    use object_store::ObjectStoreExt as _;
    admin
        .store()
        .delete(&object_store::path::Path::from(
            "metadata/propeller/flytesnacks-development-big/end-node/data/0/outputs.pb",
        ))
        .await?;
    let err = c.execution_data(&id).await.expect_err("gone");
    let text = err.to_string();
    assert!(text.contains("end-node/data/0/outputs.pb"), "{text}");
    assert!(text.contains("404"), "{text}");
    assert!(!text.contains("signature"), "{text}");
    Ok(())
}

#[tokio::test]
async fn outputs_neither_inline_nor_signed_are_an_error_not_an_empty_map() -> TestResult {
    use flyte_testkit::RemoteData;
    let admin = TestAdmin::builder()
        .remote_data(RemoteData::default().max_size_in_bytes(1))
        .start()
        .await?;
    let c = client(&admin)?;
    let lp = register(&c, "v1").await?;
    let id = c
        .launch(&lp, None, HashMap::from([("x".to_owned(), int(1))]))
        .await?;
    c.wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(30)))
        .await?;
    let err = c.execution_data(&id).await.expect_err("no way to the data");
    assert_eq!(err.code(), flyte_admin_client::Code::Unavailable);
    assert!(err.message().contains("remoteData.maxSizeInBytes"), "{err}");
    assert!(
        err.message()
            .contains("s3://flyte-testkit/metadata/propeller/flytesnacks-development-")
            && err.message().contains("no blob store is configured"),
        "names where the outputs are and what is missing: {err}"
    );
    Ok(())
}

/// A test kit that returns no outputs inline and keeps `s3://flyte-testkit/...` in
/// `dir/flyte-testkit`, where a local FlyteStorage rooted at `dir` finds bucket flyte-testkit.
async fn kit_with_outputs_in_a_directory(
) -> Result<(tempfile::TempDir, TestAdmin), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let admin = TestAdmin::builder()
        .remote_data(flyte_testkit::RemoteData::default().max_size_in_bytes(1))
        .storage_dir(dir.path().join("flyte-testkit"))
        .start()
        .await?;
    Ok((dir, admin))
}

/// Registers the test workflow, runs execution `name` with `x` and waits for its end.
async fn run_to_the_end(
    c: &AdminClient,
    name: &str,
    x: i64,
) -> Result<ExecutionId, Box<dyn std::error::Error>> {
    let lp = register(c, "v1").await?;
    let id = c
        .launch(&lp, Some(name), HashMap::from([("x".to_owned(), int(x))]))
        .await?;
    c.wait_for_execution(&id, WaitOptions::timeout(Duration::from_secs(30)))
        .await?;
    Ok(id)
}

#[tokio::test]
async fn outputs_neither_inline_nor_signed_are_read_from_the_blob_store() -> TestResult {
    let (dir, admin) = kit_with_outputs_in_a_directory().await?;
    let c = AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .storage(flyte_storage::FlyteStorage::local(dir.path())?)
        .build()?;
    let id = run_to_the_end(&c, "stored", 7).await?;
    let (inputs, outputs) = c.execution_data(&id).await?;
    assert_eq!(outputs.literals["x"], int(7));
    assert_eq!(inputs.literals["x"], int(7), "inputs stay inline");

    // Gone from the store: the error names the object, not an empty map.
    std::fs::remove_file(
        dir.path()
            .join("flyte-testkit/metadata/propeller/flytesnacks-development-stored/end-node/data/0/outputs.pb"),
    )?;
    let err = c.execution_data(&id).await.expect_err("deleted");
    assert_eq!(err.code(), flyte_admin_client::Code::Unavailable);
    assert!(
        err.message()
            .contains("end-node/data/0/outputs.pb: not found"),
        "{err}"
    );
    Ok(())
}

/// A `LiteralMap` of raw `Literal` bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct RawMap {
    #[prost(map = "string, bytes", tag = "1")]
    literals: HashMap<String, Vec<u8>>,
}

#[tokio::test]
async fn offloaded_outputs_behind_a_signed_url_are_read_from_the_blob_store() -> TestResult {
    use object_store::ObjectStoreExt as _;
    use prost::Message as _;
    let dir = tempfile::tempdir()?;
    let admin = TestAdmin::builder()
        .remote_data(
            flyte_testkit::RemoteData::default()
                .max_size_in_bytes(1)
                .signed_urls(true),
        )
        .storage_dir(dir.path().join("flyte-testkit"))
        .start()
        .await?;
    let with_store = AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .storage(flyte_storage::FlyteStorage::local(dir.path())?)
        .build()?;
    let id = run_to_the_end(&with_store, "offloaded", 5).await?;
    // As propeller offloads a large output: the map holds a pointer, the value its own file.
    let store = admin.store();
    let path = |p: &str| object_store::path::Path::from(p);
    store
        .put(
            &path("offloaded/x.pb"),
            int(4_000_000_000).encode_to_vec().into(),
        )
        .await?;
    let pointer =
        flyte_storage::offloaded_literal("s3://flyte-testkit/offloaded/x.pb", 16, Some(int_type()));
    let outputs = RawMap {
        literals: HashMap::from([("x".to_owned(), pointer)]),
    };
    store
        .put(
            &path(
                "metadata/propeller/flytesnacks-development-offloaded/end-node/data/0/outputs.pb",
            ),
            outputs.encode_to_vec().into(),
        )
        .await?;
    let (_, outputs) = with_store.execution_data(&id).await?;
    assert_eq!(outputs.literals["x"], int(4_000_000_000));

    // Without a blob store the pointer cannot be followed: an error, not a literal with no value.
    let err = client(&admin)?
        .execution_data(&id)
        .await
        .expect_err("no store");
    assert!(
        err.message()
            .contains("offloaded literals, stored apart at s3://flyte-testkit/offloaded/x.pb")
            && err.message().contains("no blob store is configured"),
        "{err}"
    );
    Ok(())
}

/// A gRPC server on 127.0.0.1 whose only method is `GetExecutionData`, answering `answer` (the
/// encoded response) as it is: the test kit decodes what it stores with the `flyteidl` crate, so
/// it cannot hand out a literal with fields the crate lacks.
async fn execution_data_server(
    answer: Vec<u8>,
) -> Result<std::net::SocketAddr, Box<dyn std::error::Error>> {
    use tonic::codegen::http;

    /// Bytes in, bytes out.
    #[derive(Clone, Copy, Default)]
    struct Raw;
    impl tonic::codec::Codec for Raw {
        type Encode = Vec<u8>;
        type Decode = Vec<u8>;
        type Encoder = Raw;
        type Decoder = Raw;
        fn encoder(&mut self) -> Raw {
            Raw
        }
        fn decoder(&mut self) -> Raw {
            Raw
        }
    }
    impl tonic::codec::Encoder for Raw {
        type Item = Vec<u8>;
        type Error = tonic::Status;
        fn encode(
            &mut self,
            item: Vec<u8>,
            dst: &mut tonic::codec::EncodeBuf<'_>,
        ) -> Result<(), tonic::Status> {
            prost::bytes::BufMut::put_slice(dst, &item);
            Ok(())
        }
    }
    impl tonic::codec::Decoder for Raw {
        type Item = Vec<u8>;
        type Error = tonic::Status;
        fn decode(
            &mut self,
            src: &mut tonic::codec::DecodeBuf<'_>,
        ) -> Result<Option<Vec<u8>>, tonic::Status> {
            let n = prost::bytes::Buf::remaining(src);
            Ok(Some(prost::bytes::Buf::copy_to_bytes(src, n).to_vec()))
        }
    }

    #[derive(Clone)]
    struct Admin(Vec<u8>);
    impl tonic::server::NamedService for Admin {
        const NAME: &'static str = "flyteidl.service.AdminService";
    }
    impl tower::Service<http::Request<tonic::transport::Body>> for Admin {
        type Response = http::Response<tonic::body::BoxBody>;
        type Error = std::convert::Infallible;
        type Future = std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
        >;
        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Self::Error>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn call(&mut self, req: http::Request<tonic::transport::Body>) -> Self::Future {
            let answer = self.0.clone();
            Box::pin(async move {
                if req.uri().path() != "/flyteidl.service.AdminService/GetExecutionData" {
                    return Ok(tonic::Status::unimplemented("only GetExecutionData").to_http());
                }
                let reply = tower::service_fn(move |_: tonic::Request<Vec<u8>>| {
                    let answer = answer.clone();
                    async move { Ok::<_, tonic::Status>(tonic::Response::new(answer)) }
                });
                Ok(tonic::server::Grpc::new(Raw).unary(reply, req).await)
            })
        }
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let incoming = futures::stream::unfold(listener, |l| async move {
        Some((l.accept().await.map(|(s, _)| s), l))
    });
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(Admin(answer))
            .serve_with_incoming(incoming),
    );
    Ok(addr)
}

#[tokio::test]
async fn offloaded_outputs_inline_in_flyteadmins_answer_are_read_from_the_blob_store() -> TestResult
{
    use prost::Message as _;
    /// `WorkflowExecutionGetDataResponse` with its inline maps as raw bytes.
    #[derive(Clone, PartialEq, prost::Message)]
    struct Answer {
        #[prost(bytes = "vec", tag = "3")]
        full_inputs: Vec<u8>,
        #[prost(bytes = "vec", tag = "4")]
        full_outputs: Vec<u8>,
    }
    let dir = tempfile::tempdir()?;
    let storage = flyte_storage::FlyteStorage::local(dir.path())?;
    storage
        .put("s3://bucket/offloaded/big.pb", int(7).encode_to_vec())
        .await?;
    let outputs = RawMap {
        literals: HashMap::from([
            ("small".to_owned(), int(1).encode_to_vec()),
            (
                "big".to_owned(),
                flyte_storage::offloaded_literal("s3://bucket/offloaded/big.pb", 16, None),
            ),
        ]),
    };
    let answer = Answer {
        full_inputs: RawMap {
            literals: HashMap::from([("x".to_owned(), int(1).encode_to_vec())]),
        }
        .encode_to_vec(),
        full_outputs: outputs.encode_to_vec(),
    };
    let addr = execution_data_server(answer.encode_to_vec()).await?;
    let id = ExecutionId::new("flytesnacks", "development", "inline");
    let with_store = AdminClient::builder()
        .endpoint(addr.to_string())
        .insecure(true)
        .storage(storage)
        .build()?;
    let (_, got) = with_store.execution_data(&id).await?;
    assert_eq!(got.literals["small"], int(1));
    assert_eq!(
        got.literals["big"],
        int(7),
        "resolved, not a literal with no value"
    );
    let without = AdminClient::builder()
        .endpoint(addr.to_string())
        .insecure(true)
        .build()?;
    let err = without.execution_data(&id).await.expect_err("no store");
    assert!(
        err.message()
            .contains("stored apart at s3://bucket/offloaded/big.pb"),
        "{err}"
    );
    Ok(())
}

#[tokio::test]
async fn the_configs_storage_section_is_where_large_outputs_are_read() -> TestResult {
    let (dir, admin) = kit_with_outputs_in_a_directory().await?;
    let endpoint = admin.addr();
    let config = |storage: &str| {
        flyte_config::Config::from_yaml_str(&format!(
            "admin:\n  endpoint: dns:///{endpoint}\n  insecure: true\nstorage:\n{storage}"
        ))
    };
    let local = format!(
        "  type: stow\n  stow:\n    kind: local\n    config:\n      path: {}\n",
        dir.path().display()
    );
    let c = AdminClient::from_config(&config(&local)?)?;
    let id = run_to_the_end(&c, "cfg", 3).await?;
    assert_eq!(c.execution_data(&id).await?.1.literals["x"], int(3));

    // A storage section this build cannot use: the client still works, and the error comes
    // when the blob store is needed, saying what is wrong with the section.
    let c = AdminClient::from_config(&config("  type: local\n")?)?;
    let err = c.execution_data(&id).await.expect_err("no usable store");
    assert!(
        err.message().contains("storage section cannot be used")
            && err.message().contains("storage.stow.config.path"),
        "{err}"
    );
    Ok(())
}
