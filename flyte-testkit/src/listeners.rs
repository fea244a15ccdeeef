//! The test kit's two listeners (gRPC and HTTP) on their ports, and taking them down as a rolling
//! FlyteAdmin pod goes down: the ports close and every open connection is cut at once, in-flight
//! calls included, while the state stays for the server that starts again on the same ports.
//!
//! Stopping a server gracefully (tonic's and hyper's shutdown) waits for open connections to end,
//! and hyper runs each connection on a task of its own that outlives the accept loop, so aborting
//! the server task would leave them serving. Each accepted socket is therefore wrapped in a
//! [`Cut`]: once the listeners stop, its next read or write fails, hyper drops the connection and
//! the socket closes.

use std::future::Future as _;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use flyteidl::flyteidl::service::{
    admin_service_server::AdminServiceServer,
    agent_metadata_service_server::AgentMetadataServiceServer,
    auth_metadata_service_server::AuthMetadataServiceServer,
    data_proxy_service_server::DataProxyServiceServer,
    identity_service_server::IdentityServiceServer, signal_service_server::SignalServiceServer,
};
use futures::future::{FutureExt as _, Shared};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::executions::Shared as State;

/// What the gRPC server is built from, kept to build it again after a stop.
#[derive(Debug, Clone)]
pub(crate) struct GrpcSettings {
    pub(crate) tls: Option<(Vec<u8>, Vec<u8>)>,
    pub(crate) agents: Vec<flyteidl::flyteidl::admin::Agent>,
    /// Where committed writes are kept (`serve --state`).
    pub(crate) journal: Option<Arc<crate::journal::Journal>>,
}

/// Fires (or is dropped) when the listeners stop: every connection they accepted is cut.
type Cutter = futures::channel::oneshot::Sender<()>;
type CutSignal = Shared<futures::channel::oneshot::Receiver<()>>;

/// Both listeners, serving.
#[derive(Debug)]
pub(crate) struct Serving {
    cutter: Option<Cutter>,
    shutdown: Vec<oneshot::Sender<()>>,
    handles: Vec<JoinHandle<()>>,
}

impl Serving {
    /// Stops accepting, finishes the calls in flight and waits for both servers to end.
    pub(crate) async fn shut_down(mut self) {
        for tx in self.shutdown.drain(..) {
            let _ = tx.send(());
        }
        for handle in self.handles.drain(..) {
            let _ = handle.await;
        }
    }

    /// Closes both ports and cuts every open connection, as a killed process does; returns when
    /// the ports are free again.
    pub(crate) async fn cut(mut self) {
        self.cutter.take();
        for handle in self.handles.drain(..) {
            handle.abort();
            let _ = handle.await;
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.cutter.take();
        for handle in self.handles.drain(..) {
            handle.abort();
        }
    }
}

/// Binds `grpc_port` and `http_port` on 127.0.0.1 (0: a free port) and serves both; returns the
/// bound addresses.
///
/// # Errors
/// When a port cannot be bound (the error names it), or the TLS identity is not valid.
pub(crate) async fn serve(
    state: &Arc<State>,
    settings: &GrpcSettings,
    grpc_port: u16,
    http_port: u16,
) -> io::Result<(Serving, SocketAddr, SocketAddr)> {
    let (cutter, cut) = futures::channel::oneshot::channel::<()>();
    let cut = cut.shared();
    // Both ports bound and the gRPC server built before anything is spawned: a failure leaves
    // no server behind holding a port.
    let http_listener = bind(http_port).await?;
    let http_addr = http_listener.local_addr()?;
    let listener = bind(grpc_port).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let handle = serve_grpc(state, settings, listener, cut.clone(), rx)?;
    let (http_tx, http_rx) = oneshot::channel::<()>();
    let http_handle = crate::http::serve(
        Arc::clone(state),
        Accepted {
            listener: http_listener,
            cut,
            state: None,
        },
        http_rx,
    );
    let serving = Serving {
        cutter: Some(cutter),
        shutdown: vec![tx, http_tx],
        handles: vec![handle, http_handle],
    };
    Ok((serving, addr, http_addr))
}

async fn bind(port: u16) -> io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on 127.0.0.1:{port}: {e}")))
}

fn serve_grpc(
    state: &Arc<State>,
    settings: &GrpcSettings,
    listener: tokio::net::TcpListener,
    cut: CutSignal,
    shutdown: oneshot::Receiver<()>,
) -> io::Result<JoinHandle<()>> {
    let check = {
        let state = Arc::clone(state);
        move |req| crate::auth::intercept(&state, req)
    };
    let mut server = tonic::transport::Server::builder();
    if let Some((cert, key)) = &settings.tls {
        server = server
            .tls_config(
                tonic::transport::ServerTlsConfig::new()
                    .identity(tonic::transport::Identity::from_pem(cert, key)),
            )
            .map_err(io::Error::other)?;
    }
    let router = server
        .layer(crate::faults::FaultLayer(Arc::clone(&state.faults)))
        .layer(crate::journal::JournalLayer(settings.journal.clone()))
        .layer(crate::sent::SentLayer)
        .add_service(AdminServiceServer::with_interceptor(
            crate::service::Admin {
                shared: Arc::clone(state),
            },
            check.clone(),
        ))
        .add_service(AuthMetadataServiceServer::new(crate::auth::Metadata {
            shared: Arc::clone(state),
        }))
        .add_service(IdentityServiceServer::with_interceptor(
            crate::service::Identity,
            check.clone(),
        ))
        .add_service(SignalServiceServer::with_interceptor(
            crate::service::Signals {
                shared: Arc::clone(state),
            },
            check.clone(),
        ))
        .add_service(AgentMetadataServiceServer::with_interceptor(
            crate::agents::Agents {
                agents: settings.agents.clone(),
            },
            check.clone(),
        ))
        // DataCatalog is an internal service: no authentication, as in a Flyte deployment.
        .add_service(flyte_catalog::DataCatalogServer::new(
            crate::catalog::Catalog {
                shared: Arc::clone(state),
            },
        ))
        .add_service(DataProxyServiceServer::with_interceptor(
            crate::dataproxy::DataProxy {
                shared: Arc::clone(state),
            },
            check,
        ));
    let incoming = Accepted {
        listener,
        cut,
        state: Some(Arc::clone(state)),
    };
    Ok(tokio::spawn(async move {
        let _ = router
            .serve_with_incoming_shutdown(incoming, async {
                let _ = shutdown.await;
            })
            .await;
    }))
}

/// A listener whose connections are [`Cut`] when the listeners stop. The gRPC one counts them
/// (`state`).
pub(crate) struct Accepted {
    listener: tokio::net::TcpListener,
    cut: CutSignal,
    state: Option<Arc<State>>,
}

impl Accepted {
    fn poll_next_connection(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Cut>> {
        let (stream, _) = std::task::ready!(self.listener.poll_accept(cx))?;
        // Like FlyteAdmin's gRPC server (and tonic's own listener), without Nagle's algorithm:
        // small HTTP/2 frames are sent at once rather than held for the peer's acknowledgement.
        stream.set_nodelay(true)?;
        if let Some(state) = &self.state {
            state
                .faults
                .connections
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Poll::Ready(Ok(Cut {
            stream,
            cut: self.cut.clone(),
        }))
    }
}

impl futures::Stream for Accepted {
    type Item = io::Result<Cut>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_connection(cx).map(Some)
    }
}

impl hyper::server::accept::Accept for Accepted {
    type Conn = Cut;
    type Error = io::Error;

    fn poll_accept(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<io::Result<Cut>>> {
        self.get_mut().poll_next_connection(cx).map(Some)
    }
}

/// An accepted connection that fails every read and write once the listeners have stopped.
pub(crate) struct Cut {
    stream: TcpStream,
    cut: CutSignal,
}

impl Cut {
    /// An error once the listeners have stopped. Polling the signal also registers the task, so
    /// an idle connection waiting to read wakes up and ends.
    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        match Pin::new(&mut self.cut).poll(cx) {
            Poll::Ready(_) => Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "the test kit stopped",
            )),
            Poll::Pending => Ok(()),
        }
    }
}

impl AsyncRead for Cut {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check(cx)?;
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Cut {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check(cx)?;
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check(cx)?;
        Pin::new(&mut this.stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

impl tonic::transport::server::Connected for Cut {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}
