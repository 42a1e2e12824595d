//! One connection to one broker: Kafka's framing (a 4-byte big-endian size, then the message),
//! correlation ids, one request in flight at a time, the ApiVersions handshake at open, and a
//! timeout on every request. Any failure other than a broker's error code leaves the connection
//! unusable: the caller drops it and opens a new one.
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::counter::RequestCounter;
use super::versions::{Api, BrokerVersions};
use crate::connector::{BoxStream, Connector, Dial};
use crate::error::KafkaError;

/// Kafka's default `socket.request.max.bytes` (100 MiB). A bigger size is not a Kafka answer: a
/// TLS listener's first bytes read as a size of hundreds of megabytes.
const MAX_FRAME: usize = 104_857_600;

const CLIENT_ID: &str = "kfscale";

pub struct Connection {
    stream: BoxStream,
    /// How to name the other end in errors.
    target: String,
    correlation_id: i32,
    versions: BrokerVersions,
    counter: RequestCounter,
}

impl Connection {
    /// Connects and negotiates versions.
    pub async fn open(
        connector: &dyn Connector,
        dial: &Dial,
        target: String,
        timeout: Duration,
        counter: RequestCounter,
    ) -> Result<Connection, KafkaError> {
        let stream = tokio::time::timeout(timeout, connector.connect(dial))
            .await
            .map_err(|_| KafkaError::Network {
                api: "connect",
                target: target.clone(),
                detail: format!("no connection within {timeout:?}"),
                fix: "check that the broker is up and reachable from here".into(),
            })?
            .map_err(|e| KafkaError::Network {
                api: "connect",
                target: target.clone(),
                detail: e.detail,
                fix: e.fix,
            })?;
        let mut connection = Connection {
            stream,
            target,
            correlation_id: 0,
            versions: BrokerVersions::default(),
            counter,
        };
        connection.versions = connection.api_versions(timeout).await?;
        Ok(connection)
    }

    pub fn versions(&self) -> &BrokerVersions {
        &self.versions
    }

    /// Sends the request `build` makes for the negotiated version; returns the response and the
    /// version (response fields depend on it).
    pub async fn send<R: Api>(
        &mut self,
        build: impl FnOnce(i16) -> R,
        timeout: Duration,
    ) -> Result<(R::Response, i16), KafkaError> {
        let version = self
            .versions
            .pick::<R>()
            .map_err(|mismatch| KafkaError::UnsupportedVersion {
                api: R::NAME,
                target: self.target.clone(),
                broker: mismatch.broker,
                ours: mismatch.ours,
            })?;
        let response = self.exchange::<R>(&build(version), version, timeout).await?;
        Ok((response, version))
    }

    /// ApiVersions at the highest version kfscale knows; a broker that does not know it answers in
    /// v0 with UNSUPPORTED_VERSION and its own range (KIP-511), and kfscale asks again in that.
    async fn api_versions(&mut self, timeout: Duration) -> Result<BrokerVersions, KafkaError> {
        let mut version = ApiVersionsRequest::MAX;
        loop {
            let request = ApiVersionsRequest::default()
                .with_client_software_name(StrBytes::from_static_str("kfscale"))
                .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
            let mut body = self
                .round_trip::<ApiVersionsRequest>(&request, version, timeout)
                .await?;
            // The first field of every version is the error code: a v0 answer must be read as v0.
            let unsupported =
                body.len() >= 2 && i16::from_be_bytes([body[0], body[1]]) == ResponseError::UnsupportedVersion.code();
            let read_as = if unsupported { 0 } else { version };
            let response =
                ApiVersionsResponse::decode(&mut body, read_as).map_err(|e| self.undecodable("ApiVersions", &e))?;
            if unsupported {
                let theirs = response
                    .api_keys
                    .iter()
                    .find(|k| k.api_key == ApiVersionsRequest::KEY)
                    .map(|k| k.max_version)
                    .filter(|&max| max < version && max >= ApiVersionsRequest::MIN);
                match theirs {
                    Some(max) => {
                        version = max;
                        continue;
                    }
                    None => {
                        return Err(KafkaError::UnsupportedVersion {
                            api: "ApiVersions",
                            target: self.target.clone(),
                            broker: "none kfscale speaks".into(),
                            ours: format!("{}-{}", ApiVersionsRequest::MIN, ApiVersionsRequest::MAX),
                        });
                    }
                }
            }
            if response.error_code != 0 {
                return Err(KafkaError::api(
                    "ApiVersions",
                    format!("with {}", self.target),
                    response.error_code,
                    None,
                ));
            }
            return Ok(BrokerVersions(
                response
                    .api_keys
                    .iter()
                    .map(|k| (k.api_key, (k.min_version, k.max_version)))
                    .collect(),
            ));
        }
    }

    async fn exchange<R: Api>(
        &mut self,
        request: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response, KafkaError> {
        let mut body = self.round_trip::<R>(request, version, timeout).await?;
        let response = R::Response::decode(&mut body, version).map_err(|e| self.undecodable(R::NAME, &e))?;
        Ok(response)
    }

    /// Writes one request and reads its answer; returns the response body after the header.
    async fn round_trip<R: Api>(&mut self, request: &R, version: i16, timeout: Duration) -> Result<Bytes, KafkaError> {
        self.correlation_id = self.correlation_id.wrapping_add(1);
        let correlation_id = self.correlation_id;
        let frame = self.frame(request, version, correlation_id)?;
        self.counter.count(R::NAME);
        let exchange = async {
            self.stream.write_all(&frame).await?;
            self.stream.flush().await?;
            let mut size = [0u8; 4];
            self.stream.read_exact(&mut size).await?;
            let size = i32::from_be_bytes(size);
            let size = usize::try_from(size).ok().filter(|&s| s <= MAX_FRAME).ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("a frame of {size} bytes"))
            })?;
            let mut payload = BytesMut::zeroed(size);
            self.stream.read_exact(&mut payload).await?;
            Ok::<_, std::io::Error>(payload.freeze())
        };
        let mut payload = match tokio::time::timeout(timeout, exchange).await {
            Err(_) => {
                return Err(KafkaError::Timeout {
                    api: R::NAME,
                    target: self.target.clone(),
                    timeout,
                });
            }
            Ok(Err(e)) => return Err(self.io_error(R::NAME, &e)),
            Ok(Ok(payload)) => payload,
        };
        let header = ResponseHeader::decode(&mut payload, R::Response::header_version(version))
            .map_err(|e| self.undecodable(R::NAME, &e))?;
        if header.correlation_id != correlation_id {
            return Err(KafkaError::Protocol {
                api: R::NAME,
                target: self.target.clone(),
                detail: format!(
                    "the answer carries correlation id {}, the request had {correlation_id}",
                    header.correlation_id
                ),
                fix: "retry; a proxy between kfscale and the broker may be mixing connections".into(),
            });
        }
        Ok(payload)
    }

    fn frame<R: Api>(&self, request: &R, version: i16, correlation_id: i32) -> Result<BytesMut, KafkaError> {
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(StrBytes::from_static_str(CLIENT_ID)));
        let header_version = ApiKey::try_from(R::KEY)
            .map(|key| key.request_header_version(version))
            .map_err(|()| self.unencodable(R::NAME, version, "unknown API key"))?;
        let mut frame = BytesMut::new();
        frame.put_i32(0);
        header
            .encode(&mut frame, header_version)
            .and_then(|()| request.encode(&mut frame, version))
            .map_err(|e| self.unencodable(R::NAME, version, &e.to_string()))?;
        let size =
            i32::try_from(frame.len() - 4).map_err(|_| self.unencodable(R::NAME, version, "request too large"))?;
        frame[..4].copy_from_slice(&size.to_be_bytes());
        Ok(frame)
    }

    fn io_error(&self, api: &'static str, error: &std::io::Error) -> KafkaError {
        use std::io::ErrorKind;
        let (detail, fix) = match error.kind() {
            ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset | ErrorKind::BrokenPipe => (
                format!("the broker closed the connection ({error})"),
                "if this repeats, the listener may expect TLS or SASL, which kfscale does not speak: point kafka.bootstrap at a PLAINTEXT listener",
            ),
            ErrorKind::InvalidData => (
                format!("the answer is not Kafka's framing ({error})"),
                "the address is not a PLAINTEXT Kafka listener (TLS or another protocol?): check kafka.bootstrap",
            ),
            _ => (error.to_string(), "check the network path to the broker"),
        };
        KafkaError::Network {
            api,
            target: self.target.clone(),
            detail,
            fix: fix.into(),
        }
    }

    fn undecodable(&self, api: &'static str, error: &impl std::fmt::Display) -> KafkaError {
        KafkaError::Protocol {
            api,
            target: self.target.clone(),
            detail: format!("cannot decode the answer: {error}"),
            fix: "the address may not be a Kafka broker; check kafka.bootstrap".into(),
        }
    }

    fn unencodable(&self, api: &'static str, version: i16, detail: &str) -> KafkaError {
        KafkaError::Protocol {
            api,
            target: self.target.clone(),
            detail: format!("cannot encode the request at v{version}: {detail}"),
            fix: "this is a kfscale bug: report it with the command and `-vv` output".into(),
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}
