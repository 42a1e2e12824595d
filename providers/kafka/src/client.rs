//! The admin client's core: its view of the cluster (brokers, controller, partition leaders, group
//! coordinators), a pool of one connection per broker, routing a request to the node it must go
//! to, and the retry loop. The operations themselves live in `ops/`.
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::task::JoinSet;

use crate::connector::{BrokerAddress, Connector, Dial, DirectTcp};
use crate::error::KafkaError;
use crate::retry::{Attempts, KAFKA_RETRY, RetryPolicy};
use crate::types::TopicPartition;
use crate::wire::connection::Connection;
use crate::wire::counter::RequestCounter;
use crate::wire::versions::Api;

/// How often the bootstrap servers are all tried before kfscale says none is reachable: enough to
/// ride out a blip, short enough that a wrong address fails within a second or two.
const BOOTSTRAP_ROUNDS: u32 = 3;

pub struct AdminOptions {
    /// Where to ask for the cluster's metadata first.
    pub bootstrap: Vec<BrokerAddress>,
    pub connector: Arc<dyn Connector>,
    /// Deadline of one operation, retries included.
    pub timeout: Duration,
    /// Deadline of one request (and of opening a connection); never beyond the operation's.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
}

impl AdminOptions {
    /// Options with kfscale's defaults: 30 s per operation, 10 s per request, Kafka's backoff.
    pub fn new(bootstrap: Vec<BrokerAddress>, connector: Arc<dyn Connector>) -> AdminOptions {
        AdminOptions {
            bootstrap,
            connector,
            timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
            retry: KAFKA_RETRY,
        }
    }

    /// Plain TCP to the advertised addresses.
    pub fn direct(bootstrap: Vec<BrokerAddress>) -> AdminOptions {
        let connector = Arc::new(DirectTcp::new(BTreeMap::new(), Duration::from_secs(10)));
        AdminOptions::new(bootstrap, connector)
    }
}

/// kfscale's Kafka admin client. Cheap to clone (one shared pool and view).
#[derive(Clone)]
pub struct KafkaAdmin {
    inner: Arc<Inner>,
}

struct Inner {
    options: AdminOptions,
    counter: RequestCounter,
    view: Mutex<View>,
    pool: Mutex<BTreeMap<Dial, Slot>>,
}

/// One broker's connection; the lock keeps one request in flight on it.
type Slot = Arc<tokio::sync::Mutex<Option<Connection>>>;

#[derive(Debug, Default)]
struct View {
    brokers: BTreeMap<i32, BrokerAddress>,
    controller: Option<i32>,
    /// Something moved (a controller, a leader, a broker): refresh before routing again.
    stale: bool,
    leaders: BTreeMap<TopicPartition, Option<i32>>,
    coordinators: BTreeMap<String, i32>,
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// Any broker (Kafka's least-loaded node): one already connected when there is one.
    Any,
    /// The controller as Metadata names it (KRaft brokers forward controller requests).
    Controller,
    Broker(i32),
}

impl KafkaAdmin {
    /// A client; nothing is sent until the first operation.
    pub fn new(options: AdminOptions) -> Result<KafkaAdmin, KafkaError> {
        if options.bootstrap.is_empty() {
            return Err(KafkaError::Routing {
                api: "bootstrap",
                detail: "no bootstrap server given".into(),
                fix: "list at least one broker as host:port in kafka.bootstrap in kfscale.yaml".into(),
            });
        }
        Ok(KafkaAdmin {
            inner: Arc::new(Inner {
                options,
                counter: RequestCounter::default(),
                view: Mutex::new(View::default()),
                pool: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// Requests sent so far by this client (and its clones), by Kafka's API name.
    pub fn request_counts(&self) -> BTreeMap<&'static str, u64> {
        self.inner.counter.snapshot()
    }

    pub fn request_total(&self) -> u64 {
        self.inner.counter.total()
    }

    pub(crate) fn options(&self) -> &AdminOptions {
        &self.inner.options
    }

    pub(crate) fn attempts(&self) -> Attempts {
        Attempts::new(self.inner.options.retry, self.inner.options.timeout)
    }

    pub(crate) fn request_timeout(&self, attempts: &Attempts) -> Duration {
        self.inner
            .options
            .request_timeout
            .min(attempts.remaining())
            .max(Duration::from_millis(1))
    }

    /// Sends one request to `node` with retries; `read` turns the response into a value or an
    /// error (the broker's error codes).
    pub(crate) async fn call<R: Api, T>(
        &self,
        node: Node,
        build: impl Fn(i16) -> R,
        read: impl Fn(R::Response, i16) -> Result<T, KafkaError>,
    ) -> Result<T, KafkaError> {
        let mut attempts = self.attempts();
        loop {
            let timeout = self.request_timeout(&attempts);
            let outcome = match self.send(&node, &build, timeout).await {
                Ok((response, version)) => read(response, version),
                Err(error) => Err(error),
            };
            match outcome {
                Ok(value) => return Ok(value),
                Err(error) => {
                    self.note_failure(&error);
                    attempts.failed(error).await?;
                }
            }
        }
    }

    /// Sends one request to `node`, no retries.
    pub(crate) async fn send<R: Api>(
        &self,
        node: &Node,
        build: impl Fn(i16) -> R,
        timeout: Duration,
    ) -> Result<(R::Response, i16), KafkaError> {
        let (dial, target) = self.resolve::<R>(node).await?;
        self.send_on(&dial, target, build, timeout).await
    }

    /// The version kfscale sends each API it speaks at to `broker` (None: no common version),
    /// from the connection's ApiVersions answer (opening the connection if needed).
    pub async fn negotiated_versions(&self, broker: i32) -> Result<BTreeMap<&'static str, Option<i16>>, KafkaError> {
        let (dial, target) = self
            .resolve::<kafka_protocol::messages::ApiVersionsRequest>(&Node::Broker(broker))
            .await?;
        let slot = self.slot(&dial);
        let mut guard = slot.lock().await;
        let connection = self
            .connection(&mut guard, &dial, target, self.inner.options.request_timeout)
            .await?;
        Ok(crate::wire::versions::spoken()
            .into_iter()
            .map(|(name, key, min, max)| (name, connection.versions().pick_key(key, min, max).ok()))
            .collect())
    }

    /// Forgets what an error says is out of date.
    pub(crate) fn note_failure(&self, error: &KafkaError) {
        use kafka_protocol::ResponseError as E;
        let code = error.code().and_then(kafka_protocol::ResponseError::try_from_code);
        let mut view = self.view();
        match code {
            Some(E::NotController) => {
                view.controller = None;
                view.stale = true;
            }
            Some(E::NotLeaderOrFollower | E::LeaderNotAvailable | E::FencedLeaderEpoch | E::UnknownLeaderEpoch) => {
                view.stale = true;
            }
            Some(E::NotCoordinator | E::CoordinatorNotAvailable) => view.coordinators.clear(),
            _ if matches!(
                error,
                KafkaError::Network { .. } | KafkaError::Timeout { .. } | KafkaError::GaveUp { .. }
            ) =>
            {
                // A broker went away or moved: its address, leaderships and groups may be elsewhere.
                view.stale = true;
                view.coordinators.clear();
            }
            _ => {}
        }
    }

    /// Ids of the live brokers (refreshing the view when it is empty or stale).
    pub(crate) async fn broker_ids(&self) -> Result<Vec<i32>, KafkaError> {
        self.ensure_fresh().await?;
        Ok(self.view().brokers.keys().copied().collect())
    }

    /// Partition leaders from the view; refreshes the metadata of topics it does not know.
    pub(crate) async fn leaders(
        &self,
        partitions: &[TopicPartition],
    ) -> Result<Vec<(TopicPartition, Option<i32>)>, KafkaError> {
        let (stale, missing): (bool, BTreeSet<String>) = {
            let view = self.view();
            let missing = partitions
                .iter()
                .filter(|tp| !view.leaders.contains_key(tp))
                .map(|tp| tp.topic.clone())
                .collect();
            (view.stale, missing)
        };
        if stale || !missing.is_empty() {
            let topics = if stale {
                partitions.iter().map(|tp| tp.topic.clone()).collect::<BTreeSet<_>>()
            } else {
                missing
            };
            self.metadata_with_retries(Some(topics.into_iter().collect())).await?;
        }
        let view = self.view();
        Ok(partitions
            .iter()
            .map(|tp| (tp.clone(), view.leaders.get(tp).copied().flatten()))
            .collect())
    }

    pub(crate) fn coordinator(&self, group: &str) -> Option<i32> {
        self.view().coordinators.get(group).copied()
    }

    pub(crate) fn remember_coordinator(&self, group: &str, broker: i32, address: BrokerAddress) {
        let mut view = self.view();
        view.coordinators.insert(group.to_string(), broker);
        view.brokers.entry(broker).or_insert(address);
    }

    pub(crate) fn forget_coordinator(&self, group: &str) {
        self.view().coordinators.remove(group);
    }

    /// Runs `work` for every key at once (one task each) and returns the results in key order.
    pub(crate) async fn fan_out<K, T, F, Fut>(&self, keys: Vec<K>, work: F) -> Vec<(K, Result<T, KafkaError>)>
    where
        K: Clone + Send + 'static,
        T: Send + 'static,
        F: Fn(KafkaAdmin, K) -> Fut,
        Fut: Future<Output = Result<T, KafkaError>> + Send + 'static,
    {
        let mut tasks = JoinSet::new();
        for (index, key) in keys.iter().enumerate() {
            let future = work(self.clone(), key.clone());
            tasks.spawn(async move { (index, future.await) });
        }
        let mut results: Vec<Option<Result<T, KafkaError>>> = keys.iter().map(|_| None).collect();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((index, result)) => results[index] = Some(result),
                // A panic in an operation is a bug: let it surface as one.
                Err(error) => std::panic::resume_unwind(error.into_panic()),
            }
        }
        keys.into_iter()
            .zip(results)
            .map(|(key, result)| {
                // Every task either set its slot or panicked above.
                let result = result.unwrap_or_else(|| {
                    Err(KafkaError::Routing {
                        api: "fan-out",
                        detail: "a task ended without a result".into(),
                        fix: "this is a kfscale bug: report it with `-vv` output".into(),
                    })
                });
                (key, result)
            })
            .collect()
    }

    /// Metadata (`topics` None: every topic) with retries; updates the view.
    pub(crate) async fn metadata_with_retries(
        &self,
        topics: Option<Vec<String>>,
    ) -> Result<(MetadataResponse, i16), KafkaError> {
        let mut attempts = self.attempts();
        loop {
            match self.metadata_once(topics.as_deref(), &attempts).await {
                Ok(answer) => return Ok(answer),
                Err(error) => {
                    self.note_failure(&error);
                    attempts.failed(error).await?;
                }
            }
        }
    }

    async fn ensure_fresh(&self) -> Result<(), KafkaError> {
        let fresh = {
            let view = self.view();
            !view.stale && !view.brokers.is_empty()
        };
        if !fresh {
            self.metadata_with_retries(Some(Vec::new())).await?;
        }
        Ok(())
    }

    /// One Metadata request: to a known broker when there is one (falling back to the bootstrap
    /// servers), else to the bootstrap servers in turn, a few rounds, within the deadline.
    async fn metadata_once(
        &self,
        topics: Option<&[String]>,
        attempts: &Attempts,
    ) -> Result<(MetadataResponse, i16), KafkaError> {
        let known: Vec<(i32, BrokerAddress)> = {
            let view = self.view();
            view.brokers.iter().map(|(id, a)| (*id, a.clone())).collect()
        };
        let mut candidates = Vec::new();
        for (id, address) in &known {
            candidates.push((Some(*id), address.clone()));
        }
        candidates.sort_by_key(|(id, address)| (!self.is_connected(address), *id));
        candidates.extend(self.inner.options.bootstrap.iter().map(|a| (None, a.clone())));
        let rounds = if known.is_empty() { BOOTSTRAP_ROUNDS } else { 1 };
        let mut failures = Vec::new();
        'rounds: for round in 0..rounds {
            if round > 0 {
                tokio::time::sleep(self.inner.options.retry.ceiling(round).min(attempts.remaining())).await;
            }
            for (id, address) in &candidates {
                if attempts.remaining().is_zero() {
                    break 'rounds;
                }
                let timeout = self.request_timeout(attempts);
                let dial = self.dial(address)?;
                let target = match id {
                    Some(id) => format!("broker {id} ({dial})"),
                    None => format!("bootstrap server {address} ({dial})"),
                };
                let build = |version: i16| metadata_request(topics, version);
                match self.send_on::<MetadataRequest>(&dial, target, build, timeout).await {
                    Ok((response, version)) => {
                        if response.error_code != 0 {
                            return Err(KafkaError::api("Metadata", "of the cluster", response.error_code, None));
                        }
                        self.absorb(&response, topics.is_some_and(|t| t.is_empty()));
                        return Ok((response, version));
                    }
                    Err(error @ (KafkaError::Network { .. } | KafkaError::Timeout { .. })) => failures.push(error),
                    Err(error) => return Err(error),
                }
            }
        }
        if known.is_empty() {
            let tried = self
                .inner
                .options
                .bootstrap
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let fix = match failures.first() {
                Some(KafkaError::Network { fix, .. }) => fix.clone(),
                _ => "check kafka.bootstrap in kfscale.yaml and that the brokers are up".into(),
            };
            let detail = match failures.first() {
                None => "no attempt finished within kafka.timeout_seconds".to_string(),
                Some(KafkaError::Network {
                    api, target, detail, ..
                }) => {
                    format!("{api} to {target}: {detail}{}", others(failures.len()))
                }
                Some(first) => format!("{first}{}", others(failures.len())),
            };
            return Err(KafkaError::Unreachable { tried, detail, fix });
        }
        Err(failures.pop().unwrap_or_else(|| KafkaError::Routing {
            api: "Metadata",
            detail: "no broker to ask".into(),
            fix: "check kafka.bootstrap in kfscale.yaml".into(),
        }))
    }

    /// Takes brokers, the controller and partition leaders from a Metadata answer.
    fn absorb(&self, response: &MetadataResponse, brokers_only: bool) {
        let mut view = self.view();
        view.brokers = response
            .brokers
            .iter()
            .filter_map(|b| {
                let port = u16::try_from(b.port).ok()?;
                Some((b.node_id.0, BrokerAddress::new(b.host.as_str(), port)))
            })
            .collect();
        view.controller = Some(response.controller_id.0).filter(|&id| id >= 0);
        view.stale = false;
        if brokers_only {
            return;
        }
        for topic in &response.topics {
            let Some(name) = &topic.name else { continue };
            view.leaders.retain(|tp, _| tp.topic != name.as_str());
            for partition in &topic.partitions {
                let leader = Some(partition.leader_id.0).filter(|&id| id >= 0);
                view.leaders
                    .insert(TopicPartition::new(name.as_str(), partition.partition_index), leader);
            }
        }
    }

    /// The connection a request to `node` goes on.
    async fn resolve<R: Api>(&self, node: &Node) -> Result<(Dial, String), KafkaError> {
        self.ensure_fresh().await.map_err(|e| match e {
            // The caller's retry loop sees the failure as its own.
            KafkaError::GaveUp { last, .. } => *last,
            other => other,
        })?;
        let (id, address) = {
            let view = self.view();
            let id = match node {
                Node::Broker(id) => *id,
                // A controller that is not a broker (a KRaft quorum reached through brokers that
                // forward) or none at all: any broker takes the request.
                Node::Controller => match view.controller.filter(|id| view.brokers.contains_key(id)) {
                    Some(id) => id,
                    None => self.any_broker(&view),
                },
                Node::Any => self.any_broker(&view),
            };
            let address = view.brokers.get(&id).cloned();
            (id, address)
        };
        let Some(address) = address else {
            let known: Vec<i32> = self.view().brokers.keys().copied().collect();
            return Err(KafkaError::Routing {
                api: R::NAME,
                detail: format!("broker {id} is not in the cluster's metadata (live brokers: {known:?})"),
                fix: "a stopped or fenced broker is not listed: start it, or address a live one".into(),
            });
        };
        let dial = self.dial(&address)?;
        let target = format!("broker {id} ({dial})");
        Ok((dial, target))
    }

    /// A connected broker if there is one (no new connection, no extra ApiVersions), else the
    /// lowest id.
    fn any_broker(&self, view: &View) -> i32 {
        view.brokers
            .iter()
            .find(|(_, address)| self.is_connected(address))
            .or_else(|| view.brokers.iter().next())
            .map_or(-1, |(id, _)| *id)
    }

    fn is_connected(&self, address: &BrokerAddress) -> bool {
        let Ok(dial) = self.dial(address) else { return false };
        let pool = self.pool();
        pool.get(&dial)
            .is_some_and(|slot| slot.try_lock().map(|c| c.is_some()).unwrap_or(true))
    }

    fn dial(&self, address: &BrokerAddress) -> Result<Dial, KafkaError> {
        self.inner
            .options
            .connector
            .dial(address)
            .map_err(|e| KafkaError::Routing {
                api: "connect",
                detail: e.to_string(),
                fix: e.fix,
            })
    }

    async fn send_on<R: Api>(
        &self,
        dial: &Dial,
        target: String,
        build: impl Fn(i16) -> R,
        timeout: Duration,
    ) -> Result<(R::Response, i16), KafkaError> {
        let slot = self.slot(dial);
        let mut guard = slot.lock().await;
        let connection = self.connection(&mut guard, dial, target, timeout).await?;
        let result = connection.send::<R>(build, timeout).await;
        if let Err(error) = &result
            && !matches!(error, KafkaError::UnsupportedVersion { .. })
        {
            // A timed-out or broken connection may still deliver a late answer: never reuse it.
            *guard = None;
        }
        result
    }

    /// The slot's connection, opened (with its ApiVersions handshake) if there is none.
    async fn connection<'g>(
        &self,
        slot: &'g mut Option<Connection>,
        dial: &Dial,
        target: String,
        timeout: Duration,
    ) -> Result<&'g mut Connection, KafkaError> {
        let connection = match slot.take() {
            Some(connection) => connection,
            None => self.open(dial, target, timeout).await?,
        };
        Ok(slot.insert(connection))
    }

    async fn open(&self, dial: &Dial, target: String, timeout: Duration) -> Result<Connection, KafkaError> {
        tracing::debug!(%target, "Kafka: connecting");
        Connection::open(
            self.inner.options.connector.as_ref(),
            dial,
            target,
            timeout,
            self.inner.counter.clone(),
        )
        .await
    }

    fn slot(&self, dial: &Dial) -> Slot {
        Arc::clone(self.pool().entry(dial.clone()).or_default())
    }

    fn view(&self) -> MutexGuard<'_, View> {
        // Every update of the view is a few assignments that cannot panic half-way.
        self.inner.view.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn pool(&self) -> MutexGuard<'_, BTreeMap<Dial, Slot>> {
        self.inner.pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// "(and N other attempts failed)" after the first failure of a bootstrap.
fn others(failures: usize) -> String {
    match failures {
        0 | 1 => String::new(),
        n => format!(" (and {} other attempts failed)", n - 1),
    }
}

fn metadata_request(topics: Option<&[String]>, version: i16) -> MetadataRequest {
    let topics = topics.map(|names| {
        names
            .iter()
            .map(|name| MetadataRequestTopic::default().with_name(Some(TopicName(StrBytes::from_string(name.clone())))))
            .collect()
    });
    let mut request = MetadataRequest::default().with_topics(topics);
    if version >= 4 {
        // An admin client never creates topics by asking about them.
        request.allow_auto_topic_creation = false;
    }
    request
}
