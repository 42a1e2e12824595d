//! FindCoordinator, ListGroups and DescribeGroups: what kafka-python's admin client needs before it
//! can read a group's committed offsets (KafkaApis.handleFindCoordinatorRequest, the group
//! coordinator's listGroups/describeGroups). The fake's groups have no members.
use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_groups_response::DescribedGroup;
use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{
    BrokerId, DescribeGroupsRequest, DescribeGroupsResponse, FindCoordinatorRequest, FindCoordinatorResponse, GroupId,
    ListGroupsRequest, ListGroupsResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::{Ctx, Handler, acl, message, str_bytes};
use crate::kafka::errors::{ApiError, ApiResult};
use crate::kafka::model::Cluster;

/// CoordinatorType ids: GROUP, TRANSACTION, SHARE.
const KEY_TYPES: [i8; 3] = [0, 1, 2];

/// (node id, host, port) of the coordinator of `key`.
fn locate(cluster: &Cluster, key: &str, key_type: i8) -> ApiResult<(i32, String, i32)> {
    if !KEY_TYPES.contains(&key_type) {
        return Err(ApiError::new(
            ResponseError::InvalidRequest,
            format!("Unknown coordinator type: {key_type}"),
        ));
    }
    let id = cluster
        .coordinator(key)
        .ok_or_else(|| ApiError::bare(ResponseError::CoordinatorNotAvailable))?;
    let broker = cluster
        .brokers
        .get(&id)
        .ok_or_else(|| ApiError::bare(ResponseError::CoordinatorNotAvailable))?;
    Ok((id, broker.host.clone(), i32::from(broker.port)))
}

impl Handler for FindCoordinatorRequest {
    const NAME: &'static str = "FindCoordinator";

    fn handle(self, ctx: &mut Ctx) -> FindCoordinatorResponse {
        let v = ctx.version;
        let cluster = &*ctx.cluster;
        if v >= 4 {
            let coordinators = self
                .coordinator_keys
                .iter()
                .map(|key| coordinator_entry(key, locate(cluster, key.as_str(), self.key_type)))
                .collect();
            return FindCoordinatorResponse::default().with_coordinators(coordinators);
        }
        match locate(cluster, self.key.as_str(), self.key_type) {
            Ok((id, host, port)) => FindCoordinatorResponse::default()
                .with_error_message(None)
                .with_node_id(BrokerId(id))
                .with_host(str_bytes(host))
                .with_port(port),
            Err(error) => self.error_response(v, &error),
        }
    }

    fn error_response(&self, version: i16, error: &ApiError) -> FindCoordinatorResponse {
        if version >= 4 {
            let coordinators = self
                .coordinator_keys
                .iter()
                .map(|key| coordinator_entry(key, Err(error.clone())))
                .collect();
            return FindCoordinatorResponse::default().with_coordinators(coordinators);
        }
        FindCoordinatorResponse::default()
            .with_error_code(error.code)
            .with_error_message(message(error))
            .with_node_id(BrokerId(-1))
            .with_host(str_bytes(""))
            .with_port(-1)
    }
}

fn coordinator_entry(key: &StrBytes, found: ApiResult<(i32, String, i32)>) -> Coordinator {
    let entry = Coordinator::default().with_key(key.clone());
    match found {
        Ok((id, host, port)) => entry
            .with_node_id(BrokerId(id))
            .with_host(str_bytes(host))
            .with_port(port)
            .with_error_message(None),
        Err(error) => entry
            .with_node_id(BrokerId(-1))
            .with_host(str_bytes(""))
            .with_port(-1)
            .with_error_code(error.code)
            .with_error_message(message(&error)),
    }
}

impl Handler for ListGroupsRequest {
    const NAME: &'static str = "ListGroups";

    fn handle(self, ctx: &mut Ctx) -> ListGroupsResponse {
        let v = ctx.version;
        let cluster = &*ctx.cluster;
        let states: Vec<String> = if v >= 4 {
            self.states_filter.iter().map(|s| s.to_lowercase()).collect()
        } else {
            Vec::new()
        };
        let types: Vec<String> = if v >= 5 {
            self.types_filter.iter().map(|s| s.to_lowercase()).collect()
        } else {
            Vec::new()
        };
        let groups = cluster
            .groups
            .values()
            .filter(|g| cluster.coordinator(&g.id) == Some(ctx.broker))
            .filter(|g| states.is_empty() || states.contains(&g.state.to_lowercase()))
            // Groups committing offsets through the classic protocol are of type "classic".
            .filter(|_| types.is_empty() || types.iter().any(|t| t == "classic"))
            .map(|g| {
                let mut listed = ListedGroup::default()
                    .with_group_id(GroupId(str_bytes(g.id.clone())))
                    .with_protocol_type(str_bytes(g.protocol_type.clone()));
                if v >= 4 {
                    listed.group_state = str_bytes(g.state.clone());
                }
                if v >= 5 {
                    listed.group_type = str_bytes("classic");
                }
                listed
            })
            .collect();
        ListGroupsResponse::default().with_groups(groups)
    }

    fn error_response(&self, _version: i16, error: &ApiError) -> ListGroupsResponse {
        ListGroupsResponse::default().with_error_code(error.code)
    }
}

impl Handler for DescribeGroupsRequest {
    const NAME: &'static str = "DescribeGroups";

    fn handle(self, ctx: &mut Ctx) -> DescribeGroupsResponse {
        let v = ctx.version;
        let cluster = &*ctx.cluster;
        let ops = if v >= 3 && self.include_authorized_operations {
            acl::group()
        } else {
            acl::OMITTED
        };
        let groups = self
            .groups
            .iter()
            .map(|id| {
                let name = id.0.to_string();
                let described = DescribedGroup::default()
                    .with_group_id(id.clone())
                    .with_authorized_operations(ops);
                if cluster.coordinator(&name) != Some(ctx.broker) {
                    return with_error(described, v, &ApiError::bare(ResponseError::NotCoordinator));
                }
                match cluster.groups.get(&name) {
                    Some(g) => described
                        .with_group_state(str_bytes(g.state.clone()))
                        .with_protocol_type(str_bytes(g.protocol_type.clone()))
                        .with_protocol_data(str_bytes("")),
                    // KIP-1043: v6 reports a missing group; before, it is a Dead group with no error.
                    None if v >= 6 => with_error(
                        described.with_group_state(str_bytes("Dead")),
                        v,
                        &ApiError::new(ResponseError::GroupIdNotFound, format!("Group {name} not found.")),
                    ),
                    None => described.with_group_state(str_bytes("Dead")),
                }
            })
            .collect();
        DescribeGroupsResponse::default().with_groups(groups)
    }

    fn error_response(&self, version: i16, error: &ApiError) -> DescribeGroupsResponse {
        let groups = self
            .groups
            .iter()
            .map(|id| with_error(DescribedGroup::default().with_group_id(id.clone()), version, error))
            .collect();
        DescribeGroupsResponse::default().with_groups(groups)
    }
}

fn with_error(group: DescribedGroup, version: i16, error: &ApiError) -> DescribedGroup {
    let mut group = group.with_error_code(error.code);
    if version >= 6 {
        group.error_message = message(error);
    }
    group
}
