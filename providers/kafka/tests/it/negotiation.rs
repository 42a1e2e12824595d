//! ApiVersions negotiation against a scripted broker: an older broker answers ApiVersions v4 in v0
//! with UNSUPPORTED_VERSION (KIP-511), the client asks again in the broker's highest version and
//! then sends each API at the highest version both sides speak.

use bytes::{BufMut, BytesMut};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::metadata_response::MetadataResponseBroker;
use kafka_protocol::messages::{ApiVersionsResponse, BrokerId, MetadataResponse, ResponseHeader};
use kafka_protocol::protocol::{Encodable, StrBytes, decode_request_header_from_buffer};
use kfscale_kafka::{BrokerAddress, KafkaAdmin, KafkaError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A broker that speaks ApiVersions up to v3 and Metadata in `metadata_versions`.
async fn scripted_broker(metadata_versions: (i16, i16)) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                loop {
                    let mut size = [0u8; 4];
                    if socket.read_exact(&mut size).await.is_err() {
                        return;
                    }
                    let mut frame = BytesMut::zeroed(i32::from_be_bytes(size) as usize);
                    socket.read_exact(&mut frame).await.unwrap();
                    let mut frame = frame.freeze();
                    let header = decode_request_header_from_buffer(&mut frame).unwrap();
                    let mut body = BytesMut::new();
                    // ApiVersions answers always carry header v0; Metadata v9+ header v1.
                    let mut header_version = 0;
                    match (header.request_api_key, header.request_api_version) {
                        (18, v) if v > 3 => ApiVersionsResponse::default()
                            .with_error_code(ResponseError::UnsupportedVersion.code())
                            .with_api_keys(vec![ApiVersion::default().with_api_key(18).with_max_version(3)])
                            .encode(&mut body, 0)
                            .unwrap(),
                        (18, v) => ApiVersionsResponse::default()
                            .with_api_keys(vec![
                                ApiVersion::default().with_api_key(18).with_max_version(3),
                                ApiVersion::default()
                                    .with_api_key(3)
                                    .with_min_version(metadata_versions.0)
                                    .with_max_version(metadata_versions.1),
                            ])
                            .encode(&mut body, v)
                            .unwrap(),
                        (3, v) => {
                            header_version = if v >= 9 { 1 } else { 0 };
                            MetadataResponse::default()
                                .with_brokers(vec![
                                    MetadataResponseBroker::default()
                                        .with_node_id(BrokerId(7))
                                        .with_host(StrBytes::from_static_str("127.0.0.1"))
                                        .with_port(i32::from(port)),
                                ])
                                .with_cluster_id(Some(StrBytes::from_static_str("scripted")))
                                .with_controller_id(BrokerId(7))
                                .encode(&mut body, v)
                                .unwrap()
                        }
                        _ => return,
                    }
                    let mut out = BytesMut::new();
                    out.put_i32(0);
                    ResponseHeader::default()
                        .with_correlation_id(header.correlation_id)
                        .encode(&mut out, header_version)
                        .unwrap();
                    out.extend_from_slice(&body);
                    let size = (out.len() - 4) as i32;
                    out[..4].copy_from_slice(&size.to_be_bytes());
                    socket.write_all(&out).await.unwrap();
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn an_older_broker_gets_apiversions_again_in_its_own_version() {
    let port = scripted_broker((1, 9)).await;
    let admin = KafkaAdmin::new(crate::common::options(vec![BrokerAddress::new("127.0.0.1", port)])).unwrap();
    let metadata = admin.metadata().await.unwrap();
    assert_eq!(metadata.cluster_id.as_deref(), Some("scripted"));
    assert_eq!(metadata.controller_id, Some(7));
    let versions = admin.negotiated_versions(7).await.unwrap();
    assert_eq!(versions["ApiVersions"], Some(3));
    assert_eq!(versions["Metadata"], Some(9));
    assert_eq!(versions["ListOffsets"], None, "the broker does not offer it");
    assert_eq!(admin.request_counts(), [("ApiVersions", 2), ("Metadata", 1)].into());
}

#[tokio::test]
async fn no_common_version_is_an_error_that_names_both_ranges() {
    let port = scripted_broker((0, 0)).await;
    let admin = KafkaAdmin::new(crate::common::options(vec![BrokerAddress::new("127.0.0.1", port)])).unwrap();
    let error = admin.metadata().await.unwrap_err();
    assert!(
        matches!(error, KafkaError::UnsupportedVersion { api: "Metadata", .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("supports versions 0-0, kfscale speaks 1-13"), "{text}");
    assert!(
        text.contains("fix: kfscale needs a Kafka broker of version 2.4 or newer"),
        "{text}"
    );
}
