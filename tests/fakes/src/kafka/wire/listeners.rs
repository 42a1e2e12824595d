//! One TCP listener per live broker on 127.0.0.1, advertised in Metadata with the port it got.
//! Listeners follow the model: a fenced broker's listener closes (with its connections, as when its
//! pod goes away), an unfenced one opens again, on its old port when that port is still free.
use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::dispatch::{Reply, dispatch};
use super::frame::{read_frame, write_frame};
use crate::kafka::shared::{Shared, lock};

#[derive(Default)]
pub struct Listeners {
    running: BTreeMap<i32, watch::Sender<bool>>,
    /// Set at shutdown: a request still in flight must not open listeners again.
    shut_down: bool,
}

impl Listeners {
    /// Stops every listener and connection for good (shutdown).
    pub fn stop_all(&mut self) {
        self.shut_down = true;
        for (_, stop) in std::mem::take(&mut self.running) {
            let _ = stop.send(true);
        }
    }
}

/// Opens and closes listeners until they match the live brokers of the model.
pub fn sync(shared: &Arc<Shared>) {
    let wanted: BTreeMap<i32, u16> = lock(&shared.cluster)
        .brokers
        .values()
        .filter(|b| !b.fenced)
        .map(|b| (b.id, b.port))
        .collect();
    let mut listeners = lock(&shared.listeners);
    if listeners.shut_down || listeners.running.keys().eq(wanted.keys()) {
        return;
    }
    let gone: Vec<i32> = listeners
        .running
        .keys()
        .copied()
        .filter(|id| !wanted.contains_key(id))
        .collect();
    for id in gone {
        if let Some(stop) = listeners.running.remove(&id) {
            let _ = stop.send(true);
            tracing::info!(broker = id, "listener closed");
        }
    }
    let missing: Vec<(i32, u16)> = wanted
        .iter()
        .filter(|(id, _)| !listeners.running.contains_key(id))
        .map(|(&id, &port)| (id, port))
        .collect();
    for (id, port) in missing {
        let listener = match bind(port) {
            Ok(listener) => listener,
            Err(error) => {
                tracing::error!(broker = id, %error, "cannot open a listener");
                continue;
            }
        };
        let Ok(bound) = listener.local_addr() else { continue };
        if let Some(b) = lock(&shared.cluster).brokers.get_mut(&id) {
            b.port = bound.port();
        }
        let (stop, stopped) = watch::channel(false);
        listeners.running.insert(id, stop);
        tracing::info!(broker = id, %bound, "listener open");
        tokio::spawn(accept_loop(Arc::clone(shared), id, listener, stopped));
    }
}

/// The broker's old port if it is free, else any free one (a pod may come back elsewhere).
fn bind(port: u16) -> std::io::Result<TcpListener> {
    let std_listener =
        std::net::TcpListener::bind(("127.0.0.1", port)).or_else(|_| std::net::TcpListener::bind(("127.0.0.1", 0)))?;
    std_listener.set_nonblocking(true)?;
    TcpListener::from_std(std_listener)
}

async fn accept_loop(shared: Arc<Shared>, broker: i32, listener: TcpListener, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(Arc::clone(&shared), broker, stream, stopped.clone()));
                }
                Err(error) => tracing::warn!(broker, %error, "accept failed"),
            },
            _ = stopped.changed() => return,
        }
    }
}

/// Requests of one connection, one at a time (Kafka mutes a connection until it answered).
async fn serve_connection(shared: Arc<Shared>, broker: i32, stream: TcpStream, mut stopped: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let (mut reader, mut writer) = stream.into_split();
    loop {
        let frame = tokio::select! {
            frame = read_frame(&mut reader) => frame,
            _ = stopped.changed() => return,
        };
        let frame = match frame {
            Ok(Some(frame)) => frame,
            Ok(None) => return,
            Err(error) => {
                tracing::debug!(broker, %error, "connection closed");
                return;
            }
        };
        let reply = tokio::select! {
            reply = dispatch(&shared, broker, frame) => reply,
            _ = stopped.changed() => return,
        };
        match reply {
            Reply::Send(payload) => {
                if write_frame(&mut writer, &payload).await.is_err() {
                    return;
                }
            }
            Reply::Close => return,
        }
    }
}
