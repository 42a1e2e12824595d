//! How a connection to a broker is made. Brokers advertise addresses that may only resolve inside
//! the cluster (`kafka-kraft-broker-3.kafka-kraft-broker-headless.kfuse.svc.cluster.local:9092`):
//! a [`Connector`] turns an advertised address into something it can dial, directly over TCP
//! ([`DirectTcp`], with an optional address map) or through the Kubernetes API ([`PortForward`]).
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};

mod direct;
mod port_forward;

pub use direct::DirectTcp;
pub use port_forward::{PortForward, pod_for};

/// A `host:port` as brokers advertise it (Metadata) or as a bootstrap server is given.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BrokerAddress {
    pub host: String,
    pub port: u16,
}

impl BrokerAddress {
    pub fn new(host: impl Into<String>, port: u16) -> BrokerAddress {
        BrokerAddress {
            host: host.into(),
            port,
        }
    }

    /// `host:port`, `[v6]:port`. The error says what is wrong with the text.
    pub fn parse(text: &str) -> Result<BrokerAddress, String> {
        let text = text.trim();
        let (host, port) = text
            .rsplit_once(':')
            .ok_or_else(|| format!("`{text}` has no port (expected host:port)"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("`{text}` has no host (expected host:port)"));
        }
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("`{text}` has no valid port (expected host:port, port 1-65535)"))?;
        Ok(BrokerAddress::new(host, port))
    }
}

impl fmt::Display for BrokerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Where a connector actually goes for an advertised address. Connections are pooled by it, so a
/// bootstrap server and the broker advertising the same place share one connection.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dial {
    Tcp { address: String },
    Pod { namespace: String, pod: String, port: u16 },
}

impl fmt::Display for Dial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dial::Tcp { address } => f.write_str(address),
            Dial::Pod { namespace, pod, port } => write!(f, "pod {namespace}/{pod} port {port} (port-forward)"),
        }
    }
}

/// A byte stream to one broker.
pub trait KafkaStream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> KafkaStream for T {}

pub type BoxStream = Box<dyn KafkaStream>;
pub type ConnectFuture<'a> = Pin<Box<dyn Future<Output = Result<BoxStream, ConnectError>> + Send + 'a>>;

/// Opens connections to brokers.
pub trait Connector: Send + Sync {
    /// Where a connection to `address` goes.
    fn dial(&self, address: &BrokerAddress) -> Result<Dial, ConnectError>;

    /// Opens a stream to `dial` (a value [`Connector::dial`] returned).
    fn connect<'a>(&'a self, dial: &'a Dial) -> ConnectFuture<'a>;
}

/// A connection that could not be opened: where, why, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot connect to {target}: {detail}")]
pub struct ConnectError {
    pub target: String,
    pub detail: String,
    pub fix: String,
}
