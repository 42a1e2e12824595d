//! A local TCP listener whose connections are each carried to `pod:port` through the Kubernetes API
//! server's port-forward (kube's `ws` feature), like `kubectl port-forward`.
//!
//! Untested against a real kubelet: the rig's API server has none, so a forwarded connection fails
//! there. What is tested is the pod check before listening and the error a failed forward produces.
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::error::PinotError;

pub(crate) struct PortForward {
    local: SocketAddr,
    namespace: String,
    pod: String,
    port: u16,
    /// Why the last forwarded connection failed, for the client's error message.
    last_error: Arc<Mutex<Option<String>>>,
    task: JoinHandle<()>,
}

impl PortForward {
    pub(crate) async fn start(
        client: kube::Client,
        namespace: &str,
        pod: &str,
        port: u16,
    ) -> Result<PortForward, PinotError> {
        let error = |message: String| PinotError::PortForward {
            namespace: namespace.to_string(),
            pod: pod.to_string(),
            port,
            message,
        };
        let pods: Api<Pod> = Api::namespaced(client, namespace);
        let found = pods
            .get_opt(pod)
            .await
            .map_err(|err| error(format!("cannot read the pod: {err}")))?
            .ok_or_else(|| error("the pod does not exist".into()))?;
        let phase = found.status.and_then(|s| s.phase).unwrap_or_default();
        if phase != "Running" {
            return Err(error(format!("the pod is {phase:?}, not Running")));
        }
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|err| error(format!("cannot listen on 127.0.0.1: {err}")))?;
        let local = listener
            .local_addr()
            .map_err(|err| error(format!("cannot read the local address: {err}")))?;
        let last_error = Arc::new(Mutex::new(None));
        let task = tokio::spawn(accept_loop(listener, pods, pod.to_string(), port, last_error.clone()));
        Ok(PortForward {
            local,
            namespace: namespace.to_string(),
            pod: pod.to_string(),
            port,
            last_error,
            task,
        })
    }

    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub(crate) fn namespace(&self) -> &str {
        &self.namespace
    }

    pub(crate) fn pod(&self) -> &str {
        &self.pod
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Why the last forwarded connection failed, if one did.
    pub(crate) fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }
}

impl Drop for PortForward {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    pods: Api<Pod>,
    pod: String,
    port: u16,
    last_error: Arc<Mutex<Option<String>>>,
) {
    loop {
        let connection = match listener.accept().await {
            Ok((connection, _)) => connection,
            Err(err) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!("port-forward listener: {err}");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                continue;
            }
        };
        let (pods, pod, last_error) = (pods.clone(), pod.clone(), last_error.clone());
        tokio::spawn(async move {
            let mut connection = connection;
            // The connection stays open until the reason is recorded, so the client's error has it.
            if let Err(message) = forward(&mut connection, &pods, &pod, port).await {
                // The client sees the connection close; its error quotes this reason.
                tracing::debug!("port-forward to {pod}:{port}: {message}");
                if let Ok(mut last) = last_error.lock() {
                    *last = Some(message);
                }
            }
            drop(connection);
        });
    }
}

async fn forward(connection: &mut TcpStream, pods: &Api<Pod>, pod: &str, port: u16) -> Result<(), String> {
    let mut forwarder = pods.portforward(pod, &[port]).await.map_err(|err| match err {
        // The API server's own words ("error dialing backend: ...") say what failed.
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    })?;
    let mut upstream = forwarder
        .take_stream(port)
        .ok_or_else(|| format!("the API server gave no stream for port {port}"))?;
    tokio::io::copy_bidirectional(connection, &mut upstream)
        .await
        .map_err(|err| err.to_string())?;
    drop(upstream);
    forwarder.join().await.map_err(|err| err.to_string())
}
