//! The Kafka fake: several brokers on the real wire protocol, one listener each on 127.0.0.1,
//! sharing one cluster model (see README.md, "Kafka").
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use kfscale_fakes::clock::ModelClock;
//! use kfscale_fakes::kafka::{FakeKafka, seed::{Layout, Seed}};
//! let fake = FakeKafka::start(Seed::with_brokers(Layout::Kraft, 3), ModelClock::new(0.0)).await?;
//! let bootstrap = fake.bootstrap_servers(); // "127.0.0.1:40001,127.0.0.1:40002,..."
//! let control = fake.control_url(); // "http://127.0.0.1:40123"
//! # Ok(()) }
//! ```
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use tokio::task::JoinHandle;

use crate::clock::ModelClock;

pub mod control;
pub mod errors;
pub mod handlers;
pub mod model;
pub mod seed;
pub mod shared;
pub mod watcher;
pub mod wire;

use control::faults::Faults;
use control::mutations::Mutations;
use model::Cluster;
use seed::Seed;
use shared::{Shared, lock};
use wire::listeners::Listeners;

/// How often the model runs forward on its own (so faults and returning brokers take effect
/// without a request), in real time.
const TICK: Duration = Duration::from_millis(50);

/// A running fake cluster. Dropping it stops everything.
pub struct FakeKafka {
    shared: Arc<Shared>,
    control: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl FakeKafka {
    /// Starts the brokers of `seed` on free ports and the control endpoint on a free port.
    pub async fn start(seed: Seed, clock: ModelClock) -> Result<FakeKafka> {
        FakeKafka::start_on(seed, clock, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Like `start`, with the control endpoint on `control` (port 0: a free one).
    pub async fn start_on(seed: Seed, clock: ModelClock, control: SocketAddr) -> Result<FakeKafka> {
        let epoch_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let now = clock.now_ms();
        let cluster = Cluster::from_seed(&seed, now, epoch_ms - now as i64)?;
        let shared = Arc::new(Shared {
            cluster: Mutex::new(cluster),
            clock,
            faults: Mutex::new(Faults::default()),
            mutations: Mutex::new(Mutations::default()),
            listeners: Mutex::new(Listeners::default()),
            requests: Mutex::new(Default::default()),
            poll_clock: Mutex::new(None),
        });
        shared.sync_listeners();
        let listener = tokio::net::TcpListener::bind(control)
            .await
            .with_context(|| format!("binding the Kafka fake's control endpoint on {control}"))?;
        let control = listener.local_addr()?;
        let router = control::router(Arc::clone(&shared));
        let http = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "control endpoint stopped");
            }
        });
        let ticker_shared = Arc::clone(&shared);
        let ticker = tokio::spawn(async move {
            let mut interval = tokio::time::interval(TICK);
            loop {
                interval.tick().await;
                ticker_shared.with_cluster(|_| ());
                ticker_shared.sync_listeners();
            }
        });
        Ok(FakeKafka {
            shared,
            control,
            tasks: vec![http, ticker],
        })
    }

    /// `host:port` of every live broker, comma-separated (a client's bootstrap servers).
    pub fn bootstrap_servers(&self) -> String {
        self.broker_addrs()
            .values()
            .map(SocketAddr::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The address of every live broker, by id.
    pub fn broker_addrs(&self) -> BTreeMap<i32, SocketAddr> {
        lock(&self.shared.cluster)
            .brokers
            .values()
            .filter(|b| !b.fenced && b.port != 0)
            .map(|b| (b.id, SocketAddr::from(([127, 0, 0, 1], b.port))))
            .collect()
    }

    pub fn broker_addr(&self, id: i32) -> Option<SocketAddr> {
        self.broker_addrs().get(&id).copied()
    }

    pub fn control_url(&self) -> String {
        format!("http://{}", self.control)
    }

    pub fn clock(&self) -> &ModelClock {
        &self.shared.clock
    }

    /// Runs `f` on the cluster at the model clock's time, then lets listeners follow broker changes.
    pub fn with_cluster<T>(&self, f: impl FnOnce(&mut Cluster) -> T) -> T {
        let out = self.shared.with_cluster(f);
        self.shared.sync_listeners();
        out
    }

    /// Mutating requests received so far, by API name.
    pub fn mutation_counts(&self) -> BTreeMap<String, u64> {
        lock(&self.shared.mutations).counts()
    }

    /// Requests received so far, by API name (every API, ApiVersions included).
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        lock(&self.shared.requests).counts()
    }

    /// Moves the model clock on each request of API `api_key` (see `control::poll_clock`); None
    /// stops it.
    pub fn advance_clock_on(&self, poll: Option<control::poll_clock::PollClock>) {
        self.shared.set_poll_clock(poll);
    }

    pub fn faults(&self) -> std::sync::MutexGuard<'_, Faults> {
        lock(&self.shared.faults)
    }

    /// The state shared with listeners, for the watcher and the binary.
    pub fn shared(&self) -> Arc<Shared> {
        Arc::clone(&self.shared)
    }

    /// The line the binary prints at start: control URL, bootstrap servers, broker addresses.
    pub fn addresses(&self) -> serde_json::Value {
        let brokers: BTreeMap<String, String> = self
            .broker_addrs()
            .into_iter()
            .map(|(id, addr)| (id.to_string(), addr.to_string()))
            .collect();
        let cluster_id = lock(&self.shared.cluster).cluster_id.clone();
        serde_json::json!({
            "control": self.control_url(),
            "bootstrap": self.bootstrap_servers(),
            "brokers": brokers,
            "cluster_id": cluster_id,
        })
    }
}

impl Drop for FakeKafka {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        lock(&self.shared.listeners).stop_all();
    }
}
