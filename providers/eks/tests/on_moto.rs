//! Against moto on the rig: describe, an idempotent resize, and errors that say what to do.
use kfscale_eks::Eks;
use kfscale_rig::eks::{self, NodeGroup};
use kfscale_rig::{RigEnv, names};

#[tokio::test(flavor = "multi_thread")]
async fn describes_and_resizes_a_node_group() -> anyhow::Result<()> {
    let rig = RigEnv::from_env()?;
    let id = names::unique("eks");
    eks::create(&rig.eks_client().await?, &NodeGroup::new(&id, "ng", 2)).await?;
    let client = Eks::connect(rig.get("AWS_REGION")?, Some(rig.get("AWS_ENDPOINT_URL_EKS")?)).await;

    let group = client.describe(&id, "ng").await?;
    assert_eq!((group.status.as_str(), group.desired_size), ("ACTIVE", 2));

    let update = client
        .resize(&id, "ng", group.min_size, 3, group.max_size.max(3), "kfscale-plan-abc")
        .await?;
    assert!(!update.id.is_empty());
    assert_eq!(client.describe(&id, "ng").await?.desired_size, 3);
    // moto does not implement DescribeUpdate: the client says so instead of failing.
    assert_eq!(client.describe_update(&id, "ng", &update.id).await?, None);

    let missing = client.describe(&id, "nope").await.unwrap_err();
    assert!(!missing.is_retriable());
    let text = missing.to_string();
    assert!(
        text.contains("ResourceNotFoundException") && text.contains("fix: check cluster.aws.cluster"),
        "{text}"
    );

    let unreachable = Eks::connect("us-east-1", Some("http://127.0.0.1:9"))
        .await
        .describe(&id, "ng")
        .await
        .unwrap_err();
    assert!(unreachable.is_retriable(), "{unreachable}");
    Ok(())
}
