//! One HTTP fake on 127.0.0.1: bound, served in a background task (plain HTTP, or HTTPS through
//! [`super::tls`]), stopped gracefully.
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::rustls::ServerConfig;

use super::tls::TlsListener;

/// A running server; dropping it stops it (without waiting), `stop` waits for it.
pub struct FakeServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Binds 127.0.0.1:`port` (0 = any free port), lets `build` make the router (and whatever the fake
    /// keeps beside it) knowing the address, and serves it. `what` names the fake in errors and logs.
    pub async fn start<T>(
        what: &str,
        port: u16,
        build: impl FnOnce(SocketAddr) -> anyhow::Result<(Router, T)>,
    ) -> anyhow::Result<(FakeServer, T)> {
        let listener = FakeServer::bind(what, port).await?;
        let addr = listener.local_addr()?;
        let (app, kept) = build(addr)?;
        Ok((FakeServer::serve(what, listener, app)?, kept))
    }

    /// A listener on 127.0.0.1:`port` (0 = any free port), for a fake that needs its addresses (more
    /// than one) before it builds its router.
    pub async fn bind(what: &str, port: u16) -> anyhow::Result<TcpListener> {
        TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("binding the {what} fake"))
    }

    /// Serves `app` on `listener` over plain HTTP.
    pub fn serve(what: &str, listener: TcpListener, app: Router) -> anyhow::Result<FakeServer> {
        let addr = listener.local_addr()?;
        Ok(FakeServer::spawn(what, addr, listener, app))
    }

    /// Serves `app` on `listener` over HTTPS with `tls`.
    pub fn serve_tls(
        what: &str,
        listener: TcpListener,
        tls: Arc<ServerConfig>,
        app: Router,
    ) -> anyhow::Result<FakeServer> {
        let addr = listener.local_addr()?;
        Ok(FakeServer::spawn(what, addr, TlsListener::new(listener, tls), app))
    }

    fn spawn<L>(what: &str, addr: SocketAddr, listener: L, app: Router) -> FakeServer
    where
        L: axum::serve::Listener,
        L::Addr: std::fmt::Debug,
    {
        let (tx, rx) = oneshot::channel::<()>();
        let what = what.to_string();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                tracing::error!("{what} fake server stopped: {e}");
            }
        });
        FakeServer {
            addr,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
