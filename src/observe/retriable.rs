//! Whether an observation failed for a reason another try may fix: a provider's retriable error
//! anywhere in the error's chain (a timeout, a refused connection, 5xx, throttling).
pub fn is_retriable(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        says::<kfscale_kube::KubeError>(cause, kfscale_kube::KubeError::is_retriable)
            || says::<kfscale_eks::EksError>(cause, kfscale_eks::EksError::is_retriable)
            || says::<kfscale_gke::GkeError>(cause, kfscale_gke::GkeError::is_retriable)
            || says::<kfscale_kafka::KafkaError>(cause, kfscale_kafka::KafkaError::is_retriable)
            || says::<kfscale_helm::HelmError>(cause, kfscale_helm::HelmError::is_retriable)
    })
}

/// Whether `cause` is an `E` for which `retriable` holds.
fn says<E: std::error::Error + 'static>(cause: &(dyn std::error::Error + 'static), retriable: fn(&E) -> bool) -> bool {
    cause.downcast_ref::<E>().is_some_and(retriable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttled_call_deep_in_the_chain_is_retriable_a_bad_config_is_not() {
        let throttled = kfscale_eks::EksError::Api {
            call: "DescribeNodegroup",
            cluster: "c".into(),
            nodegroup: "n".into(),
            code: "ThrottlingException".into(),
            message: "Rate exceeded".into(),
            fix: "wait".into(),
            retriable: true,
        };
        let err = anyhow::Error::new(throttled).context("observing the node pool");
        assert!(is_retriable(&err));
        let missing = anyhow::anyhow!("kfscale.yaml: cluster.aws.region is missing");
        assert!(!is_retriable(&missing));
    }
}
