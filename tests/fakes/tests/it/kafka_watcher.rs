//! Brokers following StatefulSet pods on the rig's real Kubernetes API server: broker 100+N lives
//! while pod `kafka-kraft-broker-N` is Ready. Pods here are never scheduled (a scheduler name nobody
//! serves); the test sets their Ready condition itself, as the rig's pod runner would.
//! Needs the rig (KUBECONFIG and KFSCALE_RIG_KUBE_URL, exported by scripts/test); fails without it.

use crate::kafka_common::{seed, start, wait_until};
use k8s_openapi::api::core::v1::{Namespace, Pod, ServiceAccount};
use kfscale_fakes::kafka::watcher::{self, WatchTarget};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

fn rig_kubeconfig() -> std::path::PathBuf {
    let missing = |var: &str| -> ! {
        panic!(
            "{var} is not set, so there is no rig Kubernetes API server for the pod watcher test: run the tests \
             through scripts/test (it starts the rig and exports KUBECONFIG and KFSCALE_RIG_KUBE_URL)"
        )
    };
    // Both, so a developer's own KUBECONFIG (a real cluster) is never used by accident.
    std::env::var("KFSCALE_RIG_KUBE_URL").unwrap_or_else(|_| missing("KFSCALE_RIG_KUBE_URL"));
    std::env::var("KUBECONFIG")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| missing("KUBECONFIG"))
}

async fn create_pod(pods: &Api<Pod>, name: &str) -> anyhow::Result<()> {
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/component": "broker"}},
        "spec": {
            "schedulerName": "kfscale-fake-kafka-test-unscheduled",
            "automountServiceAccountToken": false,
            "containers": [{"name": "kafka", "image": "bitnami/kafka:3.9"}]
        }
    }))?;
    pods.create(&PostParams::default(), &pod).await?;
    Ok(())
}

async fn set_ready(pods: &Api<Pod>, name: &str, ready: bool) -> anyhow::Result<()> {
    let status = if ready { "True" } else { "False" };
    let patch = json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": status}]}});
    pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await?;
    Ok(())
}

#[tokio::test]
async fn brokers_join_when_their_pods_are_ready_and_leave_when_they_go() -> anyhow::Result<()> {
    let kubeconfig = rig_kubeconfig();
    let client = watcher::client(Some(&kubeconfig)).await?;
    let namespace = format!("fake-kafka-watch-{}", std::process::id());
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace =
        serde_json::from_value(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}))?;
    namespaces.create(&PostParams::default(), &ns).await?;
    // Pod admission needs the namespace's default service account; the controller-manager makes it a
    // moment after the namespace, so make it now (already there is fine).
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), &namespace);
    let account: ServiceAccount = serde_json::from_value(json!({"metadata": {"name": "default"}}))?;
    if let Err(error) = accounts.create(&PostParams::default(), &account).await
        && !matches!(&error, kube::Error::Api(status) if status.code == 409)
    {
        return Err(error.into());
    }
    let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);

    let result = async {
        // Three registered brokers whose pods do not exist yet: the watcher fences them at its first
        // listing, then follows the pods.
        let fake = start(seed(
            r#"{"brokers": [{"id": 100}, {"id": 101}, {"id": 102}],
            "topics": [{"name": "t", "partitions": [{"replicas": [100, 101]}]}]}"#,
        ))
        .await?;
        let target = WatchTarget {
            namespace: namespace.clone(),
            statefulset: "kafka-kraft-broker".into(),
            id_base: 100,
            rack_from_node_zone: false,
        };
        let watch = tokio::spawn(watcher::run(fake.shared(), client.clone(), target));
        wait_until("every broker fenced without pods", || fake.broker_addrs().is_empty()).await?;

        for n in 0..3 {
            create_pod(&pods, &format!("kafka-kraft-broker-{n}")).await?;
        }
        // Unrelated pods are ignored.
        create_pod(&pods, "kafka-kraft-controller-0").await?;
        set_ready(&pods, "kafka-kraft-controller-0", true).await?;
        set_ready(&pods, "kafka-kraft-broker-0", true).await?;
        set_ready(&pods, "kafka-kraft-broker-1", true).await?;
        wait_until("brokers 100 and 101 live", || {
            fake.broker_addrs().keys().copied().eq([100, 101])
        })
        .await?;
        // Fenced in id order at the first listing, 101 was the last in-sync replica: it leads again
        // and 100 catches up behind it.
        let leader = fake.with_cluster(|c| c.partition("t", 0).map(|p| (p.leader, p.isr.clone())));
        assert_eq!(leader, Some((101, vec![101, 100])));

        // A pod that stops being Ready, and one that is deleted: both brokers leave.
        set_ready(&pods, "kafka-kraft-broker-1", false).await?;
        wait_until("broker 101 fenced", || fake.broker_addrs().keys().copied().eq([100])).await?;
        pods.delete("kafka-kraft-broker-0", &DeleteParams::default()).await?;
        wait_until("broker 100 fenced", || fake.broker_addrs().is_empty()).await?;
        let leader = fake.with_cluster(|c| c.partition("t", 0).map(|p| (p.leader, p.isr.clone())));
        assert_eq!(
            leader,
            Some((-1, vec![100])),
            "no live replica left to lead; the last one stays in the ISR"
        );

        // Scale-out: a new ordinal registers a new broker; an old one comes back.
        create_pod(&pods, "kafka-kraft-broker-3").await?;
        set_ready(&pods, "kafka-kraft-broker-3", true).await?;
        set_ready(&pods, "kafka-kraft-broker-1", true).await?;
        wait_until("brokers 101 and 103 live", || {
            fake.broker_addrs().keys().copied().eq([101, 103])
        })
        .await?;
        let leader = fake.with_cluster(|c| c.partition("t", 0).map(|p| p.leader));
        assert_eq!(
            leader,
            Some(-1),
            "101 is out of the ISR: only 100, the last in-sync replica, may lead (clean election)"
        );
        watch.abort();
        anyhow::Ok(())
    }
    .await;
    let _ = namespaces.delete(&namespace, &DeleteParams::default()).await;
    result
}
