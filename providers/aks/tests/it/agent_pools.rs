//! Reading a pool, resizing it with the body it was read as, following the operation, and the
//! errors ARM gives, each with its code, retriability and fix.
use std::time::Duration;

use kfscale_aks::{OperationState, scaled};
use serde_json::json;

use crate::common::{fake_and_client, pool};

#[tokio::test]
async fn a_resize_sends_the_pool_back_and_is_followed_to_its_end() {
    let (fake, aks) = fake_and_client().await;
    let read = aks.agent_pool(&pool("kfuse")).await.unwrap();
    assert_eq!((read.count, read.vm_size.as_str()), (3, "Standard_D8s_v5"));
    assert_eq!(read.availability_zones, ["1", "2", "3"]);
    assert_eq!(read.node_labels["kf_role"], "data");
    assert!(read.is_settled());

    let accepted = aks
        .put_agent_pool(&pool("kfuse"), &scaled(&read, 5, None), read.etag.as_deref())
        .await
        .unwrap();
    assert_eq!(
        (accepted.pool.count, accepted.pool.provisioning_state.as_str()),
        (5, "Updating")
    );
    let url = accepted.async_operation.expect("ARM names the operation");
    assert_eq!(
        aks.operation(&pool("kfuse"), &url).await.unwrap().state,
        OperationState::InProgress
    );
    fake.clock().advance(Duration::from_secs(30));
    let done = aks.operation(&pool("kfuse"), &url).await.unwrap();
    assert_eq!((done.state, done.error), (OperationState::Succeeded, None));
    let after = aks.agent_pool(&pool("kfuse")).await.unwrap();
    assert_eq!((after.count, after.node_labels["kf_role"].as_str()), (5, "data"));
    assert_eq!(fake.pool("kfuse", "kfuse").unwrap().nodes, 5);
    assert_eq!(fake.mutations()["AgentPools_CreateOrUpdate"], 1);
    assert_eq!(
        aks.request_counts(),
        [
            ("AgentPools_CreateOrUpdate".to_string(), 1),
            ("AgentPools_Get".to_string(), 2),
            ("AsyncOperation_Get".to_string(), 2)
        ]
        .into()
    );
    fake.stop().await;
}

#[tokio::test]
async fn autoscaler_bounds_travel_with_the_count() {
    let (fake, aks) = fake_and_client().await;
    let read = aks.agent_pool(&pool("auto")).await.unwrap();
    assert_eq!(
        (read.enable_auto_scaling, read.min_count, read.max_count),
        (true, Some(1), Some(3))
    );
    let refused = aks
        .put_agent_pool(&pool("auto"), &scaled(&read, 5, None), None)
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), refused.is_retriable()),
        (Some("InvalidParameter"), false)
    );
    assert!(refused.to_string().contains("autoscaler bounds"), "{refused}");
    aks.put_agent_pool(&pool("auto"), &scaled(&read, 5, Some((1, 5))), None)
        .await
        .unwrap();
    let now = fake.pool("kfuse", "auto").unwrap();
    assert_eq!((now.count, now.max_count), (5, Some(5)));
    fake.stop().await;
}

#[tokio::test]
async fn arms_refusals_carry_their_code_a_fix_and_whether_to_retry() {
    let (fake, aks) = fake_and_client().await;
    let read = aks.agent_pool(&pool("kfuse")).await.unwrap();

    let stale = aks
        .put_agent_pool(&pool("kfuse"), &scaled(&read, 4, None), Some("not-the-etag"))
        .await
        .unwrap_err();
    assert!(stale.refused_for_now() && stale.http_status() == Some(412), "{stale}");

    fake.add_fault(serde_json::from_value(json!({"kind": "http_error", "method": "AgentPools_CreateOrUpdate", "code": 429, "retry_after_seconds": 9, "count": 1})).unwrap());
    let throttled = aks
        .put_agent_pool(&pool("kfuse"), &scaled(&read, 4, None), None)
        .await
        .unwrap_err();
    assert!(throttled.refused_for_now());
    assert_eq!(throttled.retry_after(), Some(Duration::from_secs(9)));
    assert!(throttled.to_string().contains("the 9 s it asked for"), "{throttled}");

    fake.add_fault(
        serde_json::from_value(json!({"kind": "http_error", "method": "AgentPools_Get", "code": 403, "count": 1}))
            .unwrap(),
    );
    let forbidden = aks.agent_pool(&pool("kfuse")).await.unwrap_err();
    assert_eq!(
        (forbidden.code(), forbidden.is_retriable()),
        (Some("AuthorizationFailed"), false)
    );
    assert!(
        forbidden.to_string().contains("az role assignment create"),
        "{forbidden}"
    );

    fake.add_fault(serde_json::from_value(json!({"kind": "http_error", "method": "mutations", "code": 400, "error_code": "QuotaExceeded", "count": 1})).unwrap());
    let quota = aks
        .put_agent_pool(&pool("kfuse"), &scaled(&read, 4, None), None)
        .await
        .unwrap_err();
    assert!(!quota.is_retriable() && quota.to_string().contains("quota"), "{quota}");

    let accepted = aks
        .put_agent_pool(&pool("kfuse"), &scaled(&read, 4, None), None)
        .await
        .unwrap();
    let busy = aks
        .put_agent_pool(
            &pool("auto"),
            &scaled(&aks.agent_pool(&pool("auto")).await.unwrap(), 3, None),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(busy.code(), Some("OperationNotAllowed"));
    assert!(busy.refused_for_now(), "{busy}");

    fake.add_fault(
        serde_json::from_value(json!({"kind": "http_error", "method": "AsyncOperation_Get", "code": 503, "count": 1}))
            .unwrap(),
    );
    let unavailable = aks
        .operation(&pool("kfuse"), accepted.async_operation.as_deref().unwrap())
        .await
        .unwrap_err();
    assert!(unavailable.is_retriable() && !unavailable.refused_for_now());

    let missing = aks.agent_pool(&pool("nope")).await.unwrap_err();
    assert!(
        !missing.is_retriable() && missing.to_string().contains("cluster.azure.pool"),
        "{missing}"
    );
    fake.stop().await;
}

#[tokio::test]
async fn a_failed_operation_reports_arms_error() {
    let (fake, aks) = fake_and_client().await;
    fake.add_fault(serde_json::from_value(json!({"kind": "operation_error", "count": 1})).unwrap());
    let read = aks.agent_pool(&pool("kfuse")).await.unwrap();
    let url = aks
        .put_agent_pool(&pool("kfuse"), &scaled(&read, 6, None), None)
        .await
        .unwrap()
        .async_operation
        .unwrap();
    fake.clock().advance(Duration::from_secs(30));
    let failed = aks.operation(&pool("kfuse"), &url).await.unwrap();
    assert_eq!(failed.state, OperationState::Failed);
    assert_eq!(failed.error.unwrap().0, "QuotaExceeded");
    fake.stop().await;
}

#[tokio::test]
async fn an_operation_url_elsewhere_is_refused_before_any_token_leaves() {
    let (fake, aks) = fake_and_client().await;
    let err = aks
        .operation(&pool("kfuse"), "https://attacker.example/op?api-version=1")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FOREIGN_URL"));
    assert!(aks.request_counts().is_empty());
    fake.stop().await;
}

#[tokio::test]
async fn an_unreachable_endpoint_is_retriable() {
    let aks = kfscale_aks::Aks::connect(kfscale_aks::AksOptions {
        endpoint: Some("http://127.0.0.1:9/".into()),
        credentials: kfscale_aks::Credentials::AccessToken("t".into()),
        call_timeout: Duration::from_secs(2),
        ..kfscale_aks::AksOptions::default()
    })
    .unwrap();
    let err = aks.agent_pool(&pool("kfuse")).await.unwrap_err();
    assert_eq!((err.code(), err.is_retriable()), (Some("UNREACHABLE"), true));
}
