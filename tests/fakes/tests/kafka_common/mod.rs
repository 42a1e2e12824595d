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
        let stream = tokio::time::timeout(PATIENCE, TcpStream::connect(addr)).await.context("connect timed out")??;
        Ok(Client { stream, correlation_id: 0 })
    }

    /// Sends `request` at `version` and decodes the response at the same version.
    pub async fn send<R: Request>(&mut self, request: R, version: i16) -> Result<R::Response> {
        let api_key = ApiKey::try_from(R::KEY).map_err(|()| anyhow::anyhow!("unknown key {}", R::KEY))?;
        let mut body = BytesMut::new();
        request.encode(&mut body, version).with_context(|| format!("encoding {api_key:?} v{version}"))?;
        let Some(mut reply) = self.send_raw(R::KEY, version, &body).await? else {
            bail!("the fake closed the connection on {api_key:?} v{version}");
        };
        let header_version = <R::Response as HeaderVersion>::header_version(version);
        let header = ResponseHeader::decode(&mut reply, header_version)?;
        anyhow::ensure!(header.correlation_id == self.correlation_id, "correlation id mismatch");
        let response = R::Response::decode(&mut reply, version).with_context(|| format!("decoding {api_key:?} v{version}"))?;
        anyhow::ensure!(!reply.has_remaining(), "{} bytes left after the {api_key:?} v{version} response", reply.remaining());
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
        match tokio::time::timeout(PATIENCE, self.stream.read_exact(&mut size)).await.context("no answer in time")? {
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset) => {
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
    let addr = fake.broker_addr(broker).with_context(|| format!("broker {broker} has no listener"))?;
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
