//! The limit on a request message's size, answered as FlyteAdmin answers it.
//!
//! FlyteAdmin's `server.grpc.maxMessageSizeBytes` is 0 by default, which leaves grpc-go's own
//! limit: 4 MiB received, answered `RESOURCE_EXHAUSTED` with `grpc: received message larger than
//! max (N vs. 4194304)`. tonic has the same limit but answers `OUT_OF_RANGE` with its own words;
//! the test kit turns that answer into grpc-go's, so clients that classify errors by code see
//! what FlyteAdmin would send.

use bytes::{Bytes, BytesMut};
use hyper::body::HttpBody as _;
use tonic::body::BoxBody;
use tonic::codegen::http;
use tonic::{Code, Status};

/// grpc-go's default limit on a received message (tonic's default too).
pub(crate) const MAX_MESSAGE_BYTES: usize = 4 << 20;

/// The length prefix of a gRPC message: a compression flag, then the length as 4 big-endian bytes.
const PREFIX: usize = 5;

/// grpc-go's answer to a message of `found` bytes.
fn too_large(found: usize) -> Status {
    Status::resource_exhausted(format!(
        "grpc: received message larger than max ({found} vs. {MAX_MESSAGE_BYTES})"
    ))
}

/// A unary request's body (its one message, prefix included), read only as far as the limit:
/// the inner error is the answer to a message over it.
///
/// # Errors
/// The body's own error, when the stream breaks.
pub(crate) async fn read_unary(
    mut body: hyper::Body,
) -> Result<Result<Bytes, Status>, hyper::Error> {
    let mut out = BytesMut::new();
    while let Some(chunk) = body.data().await {
        out.extend_from_slice(&chunk?);
        if out.len() > MAX_MESSAGE_BYTES + PREFIX {
            let declared = out
                .get(1..PREFIX)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map_or(out.len(), |b| u32::from_be_bytes(b) as usize);
            return Ok(Err(too_large(declared)));
        }
    }
    Ok(Ok(out.freeze()))
}

/// `response`, with tonic's answer to an oversized message replaced by grpc-go's.
pub(crate) fn as_grpc_go(response: http::Response<BoxBody>) -> http::Response<BoxBody> {
    // tonic answers a message it will not decode before any response message: the status is
    // in the headers (a trailers-only response).
    let Some(status) = Status::from_header_map(response.headers()) else {
        return response;
    };
    if status.code() != Code::OutOfRange {
        return response;
    }
    let found = status
        .message()
        .strip_prefix("Error, message length too large: found ")
        .and_then(|rest| rest.split_once(' '))
        .and_then(|(n, _)| n.parse::<usize>().ok());
    match found {
        Some(found) => too_large(found).to_http(),
        None => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_message_over_the_limit_is_refused_before_it_is_all_read() -> Result<(), hyper::Error>
    {
        let mut message = vec![0u8, 0, 0x50, 0, 0];
        message.resize(MAX_MESSAGE_BYTES + 64, b'x');
        let (mut tx, body) = hyper::Body::channel();
        let chunks = message
            .chunks(1 << 20)
            .map(Bytes::copy_from_slice)
            .collect::<Vec<_>>();
        tokio::spawn(async move {
            for chunk in chunks {
                if tx.send_data(chunk).await.is_err() {
                    break;
                }
            }
            // The sender stays open: the reader must not wait for the end.
            std::future::pending::<()>().await;
        });
        let status = read_unary(body).await?.expect_err("over the limit");
        assert_eq!(
            (status.code(), status.message()),
            (
                Code::ResourceExhausted,
                "grpc: received message larger than max (5242880 vs. 4194304)"
            )
        );
        let small = read_unary(hyper::Body::from(vec![0u8; 10])).await?;
        assert_eq!(small.map(|b| b.len()).ok(), Some(10));
        Ok(())
    }

    #[test]
    fn tonics_out_of_range_becomes_grpc_gos_resource_exhausted() {
        let tonic = Status::out_of_range(
            "Error, message length too large: found 10485939 bytes, the limit is: 4194304 bytes",
        )
        .to_http();
        let answer = Status::from_header_map(as_grpc_go(tonic).headers()).expect("a status");
        assert_eq!(
            (answer.code(), answer.message()),
            (
                Code::ResourceExhausted,
                "grpc: received message larger than max (10485939 vs. 4194304)"
            )
        );
        let other = Status::out_of_range("page 9 of 3").to_http();
        let answer = Status::from_header_map(as_grpc_go(other).headers()).expect("a status");
        assert_eq!(answer.message(), "page 9 of 3");
    }
}
