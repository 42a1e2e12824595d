//! Shared by the Kafka fake's integration tests: a minimal client on the `kafka-protocol` crate's
//! client-side codecs (encode request, decode response), and waiting helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::kafka::FakeKafka;
use kfscale_fakes::kafka::seed::Seed;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a test waits for the fake before failing.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub struct Client {
    stream: TcpStream,
    correlation_id: i32,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Result<Client> {
        let stream = tokio::time::timeout(PATIENCE, TcpStream::connect(addr))
            .await
            .context("connect timed out")??;
        Ok(Client {
            stream,
            correlation_id: 0,
        })
    }

    /// Sends `request` at `version` and decodes the response at the same version.
    pub async fn send<R: Request>(&mut self, request: R, version: i16) -> Result<R::Response> {
        let api_key = ApiKey::try_from(R::KEY).map_err(|()| anyhow::anyhow!("unknown key {}", R::KEY))?;
        let mut body = BytesMut::new();
        request
            .encode(&mut body, version)
            .with_context(|| format!("encoding {api_key:?} v{version}"))?;
        let Some(mut reply) = self.send_raw(R::KEY, version, &body).await? else {
            bail!("the fake closed the connection on {api_key:?} v{version}");
        };
        let header_version = <R::Response as HeaderVersion>::header_version(version);
        let header = ResponseHeader::decode(&mut reply, header_version)?;
        anyhow::ensure!(header.correlation_id == self.correlation_id, "correlation id mismatch");
        let response =
            R::Response::decode(&mut reply, version).with_context(|| format!("decoding {api_key:?} v{version}"))?;
        anyhow::ensure!(
            !reply.has_remaining(),
            "{} bytes left after the {api_key:?} v{version} response",
            reply.remaining()
        );
        Ok(response)
    }

    /// One request with a hand-made body; None when the fake closes the connection instead of
    /// answering. Returns the response bytes, header included.
    pub async fn send_raw(&mut self, api_key: i16, version: i16, body: &[u8]) -> Result<Option<Bytes>> {
        self.correlation_id += 1;
        let key = ApiKey::try_from(api_key).map_err(|()| anyhow::anyhow!("unknown key {api_key}"))?;
        let header = RequestHeader::default()
            .with_request_api_key(api_key)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("kfscale-fakes-test")));
        let mut frame = BytesMut::new();
        frame.put_i32(0);
        header.encode(&mut frame, key.request_header_version(version))?;
        frame.put_slice(body);
        let size = (frame.len() - 4) as i32;
        frame[..4].copy_from_slice(&size.to_be_bytes());
        self.stream.write_all(&frame).await?;
        let mut size = [0u8; 4];
        match tokio::time::timeout(PATIENCE, self.stream.read_exact(&mut size))
            .await
            .context("no answer in time")?
        {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        }
        let mut payload = vec![0u8; i32::from_be_bytes(size) as usize];
        self.stream.read_exact(&mut payload).await?;
        Ok(Some(Bytes::from(payload)))
    }
}

/// A fake whose model clock only moves when a test pushes it.
pub async fn start(seed: Seed) -> Result<FakeKafka> {
    FakeKafka::start(seed, ModelClock::new(0.0)).await
}

pub async fn client(fake: &FakeKafka, broker: i32) -> Result<Client> {
    let addr = fake
        .broker_addr(broker)
        .with_context(|| format!("broker {broker} has no listener"))?;
    Client::connect(addr).await
}

/// Polls `check` until it holds or PATIENCE runs out.
pub async fn wait_until(what: &str, mut check: impl FnMut() -> bool) -> Result<()> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check() {
        if tokio::time::Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// A seed from JSON text (tests keep their seeds inline).
pub fn seed(json: &str) -> Seed {
    Seed::from_json(json).expect("test seed")
}

pub fn name(s: &str) -> kafka_protocol::messages::TopicName {
    kafka_protocol::messages::TopicName(StrBytes::from_string(s.to_string()))
}

pub fn ids(brokers: &[kafka_protocol::messages::BrokerId]) -> Vec<i32> {
    brokers.iter().map(|b| b.0).collect()
}

pub fn brokers(ids: &[i32]) -> Vec<kafka_protocol::messages::BrokerId> {
    ids.iter().map(|&i| kafka_protocol::messages::BrokerId(i)).collect()
}

/// Request helpers over [`Client`], at the highest versions the fake serves.
pub mod ops {
    use std::time::Duration;

    use anyhow::Result;
    use kafka_protocol::messages::alter_partition_reassignments_request::{ReassignablePartition, ReassignableTopic};
    use kafka_protocol::messages::describe_log_dirs_request::DescribableLogDirTopic;
    use kafka_protocol::messages::incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
    use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
    use kafka_protocol::messages::*;
    use kafka_protocol::protocol::StrBytes;
    use kfscale_fakes::kafka::FakeKafka;

    use super::{Client, brokers, ids, name};

    /// One partition as Metadata shows it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Shown {
        pub error: i16,
        pub leader: i32,
        pub leader_epoch: i32,
        pub replicas: Vec<i32>,
        pub isr: Vec<i32>,
        pub offline: Vec<i32>,
    }

    pub async fn metadata(c: &mut Client, topic: &str) -> Result<Vec<Shown>> {
        let request = MetadataRequest::default()
            .with_topics(Some(vec![MetadataRequestTopic::default().with_name(Some(name(topic)))]));
        let response = c.send(request, 12).await?;
        let t = &response.topics[0];
        anyhow::ensure!(t.error_code == 0, "metadata of {topic}: error {}", t.error_code);
        Ok(t.partitions
            .iter()
            .map(|p| Shown {
                error: p.error_code,
                leader: p.leader_id.0,
                leader_epoch: p.leader_epoch,
                replicas: ids(&p.replica_nodes),
                isr: ids(&p.isr_nodes),
                offline: ids(&p.offline_replicas),
            })
            .collect())
    }

    /// Starts (Some) or cancels (None) reassignments; returns each partition's error code.
    pub async fn reassign(
        c: &mut Client,
        topic: &str,
        moves: &[(i32, Option<&[i32]>)],
    ) -> Result<Vec<(i16, Option<String>)>> {
        reassign_with(c, topic, moves, true).await
    }

    pub async fn reassign_with(
        c: &mut Client,
        topic: &str,
        moves: &[(i32, Option<&[i32]>)],
        allow_rf_change: bool,
    ) -> Result<Vec<(i16, Option<String>)>> {
        let partitions = moves
            .iter()
            .map(|(p, target)| {
                ReassignablePartition::default()
                    .with_partition_index(*p)
                    .with_replicas(target.map(brokers))
            })
            .collect();
        let request = AlterPartitionReassignmentsRequest::default()
            .with_allow_replication_factor_change(allow_rf_change)
            .with_topics(vec![
                ReassignableTopic::default()
                    .with_name(name(topic))
                    .with_partitions(partitions),
            ]);
        let response = c.send(request, 1).await?;
        anyhow::ensure!(response.error_code == 0, "top-level error {}", response.error_code);
        Ok(response.responses[0]
            .partitions
            .iter()
            .map(|p| (p.error_code, p.error_message.as_ref().map(|m| m.to_string())))
            .collect())
    }

    /// In-flight reassignments: (topic, partition, replicas, adding, removing).
    pub async fn list_reassignments(c: &mut Client) -> Result<Vec<(String, i32, Vec<i32>, Vec<i32>, Vec<i32>)>> {
        let response = c
            .send(ListPartitionReassignmentsRequest::default().with_topics(None), 0)
            .await?;
        anyhow::ensure!(response.error_code == 0, "error {}", response.error_code);
        Ok(response
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions.iter().map(move |p| {
                    (
                        t.name.0.to_string(),
                        p.partition_index,
                        ids(&p.replicas),
                        ids(&p.adding_replicas),
                        ids(&p.removing_replicas),
                    )
                })
            })
            .collect())
    }

    /// The size DescribeLogDirs on this broker reports for a partition (None: not hosted).
    pub async fn log_dir_size(c: &mut Client, topic: &str, partition: i32) -> Result<Option<i64>> {
        let request = DescribeLogDirsRequest::default().with_topics(Some(vec![
            DescribableLogDirTopic::default()
                .with_topic(name(topic))
                .with_partitions(vec![partition]),
        ]));
        let response = c.send(request, 4).await?;
        Ok(response
            .results
            .iter()
            .flat_map(|r| &r.topics)
            .flat_map(|t| &t.partitions)
            .find(|p| p.partition_index == partition)
            .map(|p| p.partition_size))
    }

    /// IncrementalAlterConfigs SET on one resource (type 2 topic, 4 broker); returns the error code.
    pub async fn set_configs(
        c: &mut Client,
        resource_type: i8,
        resource: &str,
        configs: &[(&str, &str)],
    ) -> Result<i16> {
        let configs = configs
            .iter()
            .map(|(k, v)| {
                AlterableConfig::default()
                    .with_name(StrBytes::from_string(k.to_string()))
                    .with_config_operation(0)
                    .with_value(Some(StrBytes::from_string(v.to_string())))
            })
            .collect();
        let resource = AlterConfigsResource::default()
            .with_resource_type(resource_type)
            .with_resource_name(StrBytes::from_string(resource.to_string()))
            .with_configs(configs);
        let response = c
            .send(
                IncrementalAlterConfigsRequest::default().with_resources(vec![resource]),
                1,
            )
            .await?;
        Ok(response.responses[0].error_code)
    }

    /// Pushes the model clock and runs the model to the new time.
    pub fn advance(fake: &FakeKafka, seconds: f64) {
        fake.clock().advance(Duration::from_secs_f64(seconds));
        fake.with_cluster(|_| ());
    }

    /// (log end offset, committed offset) of a partition through ListOffsets and OffsetFetch.
    pub async fn lag(fake: &FakeKafka, group: &str, topic: &str, partition: i32) -> Result<(i64, i64)> {
        let leader = fake
            .with_cluster(|c| c.partition(topic, partition).map(|p| p.leader))
            .unwrap_or(-1);
        let mut c = super::client(fake, leader).await?;
        let request = ListOffsetsRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_topics(vec![
                kafka_protocol::messages::list_offsets_request::ListOffsetsTopic::default()
                    .with_name(name(topic))
                    .with_partitions(vec![
                        kafka_protocol::messages::list_offsets_request::ListOffsetsPartition::default()
                            .with_partition_index(partition)
                            .with_timestamp(-1),
                    ]),
            ]);
        let end = c.send(request, 10).await?.topics[0].partitions[0].offset;
        let coordinator = fake.with_cluster(|c| c.coordinator(group)).unwrap_or(-1);
        let mut c = super::client(fake, coordinator).await?;
        let request = OffsetFetchRequest::default().with_groups(vec![
            kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup::default()
                .with_group_id(GroupId(StrBytes::from_string(group.to_string())))
                .with_topics(Some(vec![
                    kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopics::default()
                        .with_name(name(topic))
                        .with_partition_indexes(vec![partition]),
                ])),
        ]);
        let response = c.send(request, 9).await?;
        anyhow::ensure!(
            response.groups[0].error_code == 0,
            "offset fetch error {}",
            response.groups[0].error_code
        );
        Ok((end, response.groups[0].topics[0].partitions[0].committed_offset))
    }
}
