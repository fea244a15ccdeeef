//! AdminService calls outside the generated stubs: requests given as bytes (registration sends
//! a package's own bytes, keeping fields the `flyteidl` crate does not know), and answers
//! decoded into messages of our own (execution data, whose literals may hold such fields).

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
    /// request, retried by the transport like every call.
    pub(crate) async fn admin_raw(&self, method: &'static str, request: Vec<u8>) -> Result<()> {
        self.admin_unary(method, request, Passthrough).await
    }

    /// Calls AdminService method `method`, its request encoded and its answer decoded by
    /// `codec`, retried like every call. Calls go round-robin over the client's connections.
    pub(crate) async fn admin_unary<C>(
        &self,
        method: &'static str,
        request: C::Encode,
        codec: C,
    ) -> Result<C::Decode>
    where
        C: Codec + Clone + Send + 'static,
        C::Encode: Clone + Send + Sync + 'static,
        C::Decode: Send + Sync + 'static,
    {
        let path = tonic::codegen::http::uri::PathAndQuery::try_from(format!(
            "/flyteidl.service.AdminService/{method}"
        ))
        .map_err(|e| self.invalid(method, format!("not a gRPC method name: {e}")))?;
        let i = self
            .inner
            .next
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let transport = self.inner.spread[i % self.inner.spread.len()].clone();
        let size = self.inner.max_message_size;
        let mut grpc = tonic::client::Grpc::new(transport)
            .max_decoding_message_size(size)
            .max_encoding_message_size(size);
        self.unary(method, async move {
            grpc.ready()
                .await
                .map_err(|e| Status::unavailable(format!("not ready: {e}")))?;
            grpc.unary(tonic::Request::new(request), path, codec).await
        })
        .await
    }
}
