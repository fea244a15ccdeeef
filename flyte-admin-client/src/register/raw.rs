//! gRPC calls whose request is given as bytes, so that fields the `flyteidl` crate does not know
//! are sent as the package holds them.

use prost::bytes::{Buf as _, BufMut as _};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::Status;

use crate::client::AdminClient;
use crate::error::Result;

/// Sends bytes as they are; ignores the answer's bytes (the create calls answer empty
/// messages).
#[derive(Debug, Default, Clone, Copy)]
struct Passthrough;

impl Encoder for Passthrough {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut EncodeBuf<'_>,
    ) -> std::result::Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Passthrough {
    type Item = ();
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> std::result::Result<Option<()>, Status> {
        src.advance(src.remaining());
        Ok(Some(()))
    }
}

impl Codec for Passthrough {
    type Encode = Vec<u8>;
    type Decode = ();
    type Encoder = Passthrough;
    type Decoder = Passthrough;
    fn encoder(&mut self) -> Passthrough {
        Passthrough
    }
    fn decoder(&mut self) -> Passthrough {
        Passthrough
    }
}

impl AdminClient {
    /// Calls AdminService method `method` (`CreateTask`, ...) with `request` as its encoded
    /// request, retried like every call.
    pub(crate) async fn admin_raw(&self, method: &'static str, request: Vec<u8>) -> Result<()> {
        let path = format!("/flyteidl.service.AdminService/{method}");
        self.call(method, || {
            let i = self
                .inner
                .next
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let transport = self.inner.spread[i % self.inner.spread.len()].clone();
            let request = request.clone();
            let path = path.clone();
            async move {
                let mut grpc = tonic::client::Grpc::new(transport);
                grpc.ready()
                    .await
                    .map_err(|e| Status::unavailable(format!("not ready: {e}")))?;
                let path = tonic::codegen::http::uri::PathAndQuery::try_from(path)
                    .map_err(|e| Status::internal(e.to_string()))?;
                grpc.unary(tonic::Request::new(request), path, Passthrough)
                    .await
            }
        })
        .await
    }
}
