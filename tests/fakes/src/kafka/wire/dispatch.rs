//! From a request frame to a response frame: the header picks the API, the version is checked
//! against what the fake serves (Kafka closes the connection on anything else, SocketServer
//! `parseRequestHeader`), faults apply, the handler runs against the cluster under its lock.
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{
    Decodable, Encodable, HeaderVersion, Message, Request, decode_request_header_from_buffer,
};

use crate::kafka::control::faults::FaultAction;
use crate::kafka::control::mutations::MutationEntry;
use crate::kafka::handlers::{Ctx, Handler};
use crate::kafka::shared::{Shared, lock};

/// What to do after a request.
pub enum Reply {
    Send(BytesMut),
    /// Close the connection without an answer (unsupported request, injected drop).
    Close,
}

/// The version range the fake serves for one API: what both the crate's request and response codecs
/// handle (and therefore what the handlers were written and tested for).
pub fn versions<R: Request>() -> (i16, i16) {
    let request = <R as Message>::VERSIONS;
    let response = <R::Response as Message>::VERSIONS;
    (request.min.max(response.min), request.max.min(response.max))
}

macro_rules! served_apis {
    ($($request:ty),* $(,)?) => {
        /// Every API the fake serves besides ApiVersions: (key, min version, max version).
        pub fn served() -> Vec<(i16, i16, i16)> {
            vec![$({
                let (min, max) = versions::<$request>();
                (<$request as Request>::KEY, min, max)
            }),*]
        }

        async fn dispatch_served(shared: &Arc<Shared>, broker: i32, header: RequestHeader, body: Bytes) -> Reply {
            match header.request_api_key {
                $(key if key == <$request as Request>::KEY => serve::<$request>(shared, broker, header, body).await,)*
                _ => Reply::Close,
            }
        }
    };
}

served_apis!(
    MetadataRequest,
    DescribeClusterRequest,
    CreateTopicsRequest,
    CreatePartitionsRequest,
    AlterPartitionReassignmentsRequest,
    ListPartitionReassignmentsRequest,
    ElectLeadersRequest,
    DescribeConfigsRequest,
    AlterConfigsRequest,
    IncrementalAlterConfigsRequest,
    DescribeLogDirsRequest,
    ListOffsetsRequest,
    OffsetFetchRequest,
    FindCoordinatorRequest,
    ListGroupsRequest,
    DescribeGroupsRequest,
);

/// Handles one request frame received by `broker`.
pub async fn dispatch(shared: &Arc<Shared>, broker: i32, frame: BytesMut) -> Reply {
    let mut buf = frame.freeze();
    let header = match decode_request_header_from_buffer(&mut buf) {
        Ok(header) => header,
        Err(error) => {
            tracing::info!(broker, %error, "unparsable request header: closing the connection");
            return Reply::Close;
        }
    };
    if header.request_api_key == ApiVersionsRequest::KEY {
        lock(&shared.requests).count("ApiVersions");
        return api_versions(shared, broker, header, buf).await;
    }
    let served = served()
        .into_iter()
        .any(|(key, min, max)| key == header.request_api_key && (min..=max).contains(&header.request_api_version));
    if !served {
        tracing::info!(
            broker,
            api_key = header.request_api_key,
            version = header.request_api_version,
            "request api key and version not enabled: closing the connection"
        );
        return Reply::Close;
    }
    dispatch_served(shared, broker, header, buf).await
}

async fn serve<R: Handler>(shared: &Arc<Shared>, broker: i32, header: RequestHeader, mut body: Bytes) -> Reply
where
    R::Response: Encodable + HeaderVersion,
{
    let version = header.request_api_version;
    let request = match R::decode(&mut body, version) {
        Ok(request) => request,
        Err(error) => {
            tracing::info!(broker, api = R::NAME, version, %error, "undecodable request: closing the connection");
            return Reply::Close;
        }
    };
    lock(&shared.requests).count(R::NAME);
    shared.on_request(R::KEY);
    let fault = lock(&shared.faults).take(R::KEY, broker);
    if let Some(f) = &fault
        && f.latency_ms > 0
    {
        tokio::time::sleep(Duration::from_millis(f.latency_ms)).await;
    }
    let process = fault
        .as_ref()
        .is_none_or(|f| f.apply || (f.error.is_none() && !f.drop_connection));
    let mutation = request.mutation(version);
    let response = shared.with_cluster(|cluster| {
        if !cluster.is_active(broker) {
            // The broker went away while this request was on its way.
            return Err(());
        }
        if let Some(request) = mutation {
            let entry = MutationEntry {
                seq: 0,
                api: R::NAME,
                broker,
                model_ms: cluster.now_ms,
                processed: process,
                fault: fault.as_ref().map(|f| f.id),
                request,
            };
            lock(&shared.mutations).record(entry);
        }
        Ok(process.then(|| {
            request.clone().handle(&mut Ctx {
                broker,
                version,
                cluster,
            })
        }))
    });
    shared.sync_listeners();
    let Ok(response) = response else { return Reply::Close };
    let response = match (fault, response) {
        (
            Some(FaultAction {
                drop_connection: true, ..
            }),
            _,
        ) => return Reply::Close,
        (Some(FaultAction { error: Some(error), .. }), _) => request.error_response(version, &error),
        (_, Some(response)) => response,
        // Unreachable: a fault without error or drop leaves the request to be processed.
        (_, None) => return Reply::Close,
    };
    encode::<R>(header.correlation_id, version, &response)
}

fn encode<R: Request>(correlation_id: i32, version: i16, response: &R::Response) -> Reply
where
    R::Response: Encodable + HeaderVersion,
{
    let mut out = BytesMut::new();
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let encoded = header
        .encode(&mut out, <R::Response as HeaderVersion>::header_version(version))
        .and_then(|()| response.encode(&mut out, version));
    match encoded {
        Ok(()) => Reply::Send(out),
        Err(error) => {
            // A handler set a field this version lacks: a bug of the fake, loud in the log.
            tracing::error!(key = R::KEY, version, %error, "cannot encode the response: closing the connection");
            Reply::Close
        }
    }
}

/// ApiVersions (KafkaApis.handleApiVersionsRequest): a version the fake does not know is answered
/// with a v0 response carrying UNSUPPORTED_VERSION and ApiVersions' own range, so the client
/// retries with a lower one (KIP-511).
async fn api_versions(shared: &Arc<Shared>, broker: i32, header: RequestHeader, mut body: Bytes) -> Reply {
    let (min, max) = versions::<ApiVersionsRequest>();
    let version = header.request_api_version;
    let own_range = ApiVersion::default()
        .with_api_key(ApiVersionsRequest::KEY)
        .with_min_version(min)
        .with_max_version(max);
    if version > max || version < min {
        let response = ApiVersionsResponse::default()
            .with_error_code(ResponseError::UnsupportedVersion.code())
            .with_api_keys(vec![own_range]);
        return encode::<ApiVersionsRequest>(header.correlation_id, 0, &response);
    }
    let Ok(request) = ApiVersionsRequest::decode(&mut body, version) else {
        return Reply::Close;
    };
    let fault = lock(&shared.faults).take(ApiVersionsRequest::KEY, broker);
    if let Some(f) = &fault {
        if f.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(f.latency_ms)).await;
        }
        if f.drop_connection {
            return Reply::Close;
        }
        if let Some(error) = &f.error {
            return encode::<ApiVersionsRequest>(
                header.correlation_id,
                version,
                &ApiVersionsResponse::default().with_error_code(error.code),
            );
        }
    }
    if version >= 3
        && !(valid_software(&request.client_software_name) && valid_software(&request.client_software_version))
    {
        let response = ApiVersionsResponse::default().with_error_code(ResponseError::InvalidRequest.code());
        return encode::<ApiVersionsRequest>(header.correlation_id, version, &response);
    }
    let mut keys = vec![own_range];
    keys.extend(served().into_iter().map(|(key, min, max)| {
        ApiVersion::default()
            .with_api_key(key)
            .with_min_version(min)
            .with_max_version(max)
    }));
    keys.sort_by_key(|k| k.api_key);
    let response = ApiVersionsResponse::default().with_api_keys(keys);
    encode::<ApiVersionsRequest>(header.correlation_id, version, &response)
}

/// ApiVersionsRequest.SOFTWARE_NAME_VERSION_PATTERN: `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
fn valid_software(s: &str) -> bool {
    let bytes = s.as_bytes();
    let edge = |c: &u8| c.is_ascii_alphanumeric();
    !bytes.is_empty()
        && bytes.first().is_some_and(edge)
        && bytes.last().is_some_and(edge)
        && bytes
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.')
}
