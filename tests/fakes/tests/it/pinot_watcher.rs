//! The pod watcher's seam: watcher events built from `Pod` objects, applied without an API server.
//! Ready `pinot-server-*` pods join the fake (with their tenant tag), pods that stop being Ready or are
//! deleted stop being live, other pods are ignored.
use k8s_openapi::api::core::v1::{Pod, PodCondition, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kfscale_fakes::clock::ModelClock;
use kfscale_fakes::pinot::{PinotFake, PodView, Seed, apply_event, pod_view};
use kube::runtime::watcher::Event;
use serde_json::Value;

fn pod(name: &str, ready: bool) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some("kfuse".into()),
            ..Default::default()
        },
        status: Some(PodStatus {
            phase: Some("Running".into()),
            conditions: Some(vec![PodCondition {
                type_: "Ready".into(),
                status: if ready { "True" } else { "False" }.into(),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn live(fake: &PinotFake) -> Vec<String> {
    let body: Value = reqwest::get(format!("{}/liveinstances", fake.api_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn pod_view_reads_readiness() {
    assert_eq!(
        pod_view(&pod("pinot-server-offline-1", true)),
        Some(PodView {
            name: "pinot-server-offline-1".into(),
            ready: true
        })
    );
    assert_eq!(
        pod_view(&pod("pinot-server-realtime-4", false)).map(|v| v.ready),
        Some(false)
    );
    assert_eq!(pod_view(&pod("pinot-broker-0", true)), None);
    let mut deleting = pod("pinot-server-realtime-4", true);
    deleting.metadata.deletion_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(Default::default()));
    assert_eq!(pod_view(&deleting).map(|v| v.ready), Some(false));
}

#[tokio::test]
async fn server_pods_join_and_leave_through_watcher_events() {
    let fake = PinotFake::start(&Seed::example(), 0, ModelClock::new(0.0))
        .await
        .unwrap();
    let handle = fake.handle();
    let realtime = "Server_pinot-server-realtime-3.pinot-server-realtime-headless.kfuse.svc.cluster.local_8098";
    let offline = "Server_pinot-server-offline-1.pinot-server-offline-headless.kfuse.svc.cluster.local_8098";

    apply_event(&Event::Apply(pod("pinot-server-realtime-3", false)), &handle);
    assert!(
        !live(&fake).await.contains(&realtime.to_string()),
        "not Ready: not joined"
    );
    apply_event(&Event::Init, &handle);
    apply_event(&Event::InitApply(pod("pinot-server-realtime-3", true)), &handle);
    apply_event(&Event::InitApply(pod("pinot-server-offline-1", true)), &handle);
    apply_event(&Event::InitApply(pod("kafka-kraft-broker-0", true)), &handle);
    apply_event(&Event::InitDone, &handle);
    let now_live = live(&fake).await;
    assert!(
        now_live.contains(&realtime.to_string()) && now_live.contains(&offline.to_string()),
        "{now_live:?}"
    );
    let instance: Value = reqwest::get(format!("{}/instances/{offline}", fake.api_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(instance["tags"], serde_json::json!(["DefaultTenant_OFFLINE"]));

    apply_event(&Event::Delete(pod("pinot-server-realtime-3", true)), &handle);
    assert!(!live(&fake).await.contains(&realtime.to_string()));
    let all: Value = reqwest::get(format!("{}/instances", fake.api_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        all["instances"]
            .as_array()
            .unwrap()
            .contains(&Value::String(realtime.into())),
        "Pinot keeps the instance config"
    );
    fake.stop().await;
}
