//! A Kubernetes port-forward per broker pod, so kfscale reaches in-cluster Kafka from an operator's
//! laptop with only a kubeconfig. Brokers of a StatefulSet advertise their pod's DNS name
//! (`<pod>.<headless service>.<namespace>.svc.cluster.local:<port>`): the first label is the pod.
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;

use super::{BoxStream, BrokerAddress, ConnectError, ConnectFuture, Connector, Dial};

pub struct PortForward {
    client: kube::Client,
    /// The namespace of names that do not carry one (`kafka-kraft-broker-0:9092`).
    namespace: String,
}

impl PortForward {
    pub fn new(client: kube::Client, namespace: impl Into<String>) -> PortForward {
        PortForward {
            client,
            namespace: namespace.into(),
        }
    }
}

/// (namespace, pod) for an advertised host: `pod`, `pod.service`, `pod.service.namespace`,
/// `pod.service.namespace.svc[.cluster domain]`. An IP address names no pod.
pub fn pod_for(host: &str, default_namespace: &str) -> Result<(String, String), String> {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Err(format!(
            "the broker advertises the IP address {host}, which names no pod; set kafka.port_forward: false and map it in kafka.address_map"
        ));
    }
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    let pod = labels[0];
    if !is_dns_label(pod) {
        return Err(format!("`{pod}` (from {host}) is not a pod name"));
    }
    let namespace = match labels.as_slice() {
        [_, _, namespace, ..] if is_dns_label(namespace) => *namespace,
        [_, _, namespace, ..] => return Err(format!("`{namespace}` (from {host}) is not a namespace name")),
        _ => default_namespace,
    };
    Ok((namespace.to_string(), pod.to_string()))
}

/// RFC 1123 label, as Kubernetes requires of pod and namespace names.
fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

impl Connector for PortForward {
    fn dial(&self, address: &BrokerAddress) -> Result<Dial, ConnectError> {
        let (namespace, pod) = pod_for(&address.host, &self.namespace).map_err(|detail| ConnectError {
            target: address.to_string(),
            detail,
            fix: "give kafka.bootstrap as pod names or in-cluster DNS names with their port".into(),
        })?;
        Ok(Dial::Pod {
            namespace,
            pod,
            port: address.port,
        })
    }

    fn connect<'a>(&'a self, dial: &'a Dial) -> ConnectFuture<'a> {
        Box::pin(async move {
            let Dial::Pod { namespace, pod, port } = dial else {
                return Err(ConnectError {
                    target: dial.to_string(),
                    detail: "port-forward dials pods, not TCP addresses".into(),
                    fix: "set kafka.port_forward: false in kfscale.yaml".into(),
                });
            };
            let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
            let mut forwarder = pods
                .portforward(pod, &[*port])
                .await
                .map_err(|e| port_forward_error(dial, namespace, &e))?;
            let stream = forwarder.take_stream(*port).ok_or_else(|| ConnectError {
                target: dial.to_string(),
                detail: "the port-forward opened no stream for the port".into(),
                fix: "retry; if it persists, check the API server's logs".into(),
            })?;
            // The forwarder's task keeps running while the stream lives; its error channel says
            // why a port stopped working (nothing listening, pod gone).
            if let Some(errors) = forwarder.take_error(*port) {
                let shown = dial.to_string();
                tokio::spawn(async move {
                    if let Some(message) = errors.await {
                        tracing::warn!(target = %shown, %message, "Kafka port-forward failed");
                    }
                });
            }
            Ok(Box::new(stream) as BoxStream)
        })
    }
}

fn port_forward_error(dial: &Dial, namespace: &str, error: &kube::Error) -> ConnectError {
    let status = match error {
        kube::Error::Api(status) => Some(status.code),
        kube::Error::UpgradeConnection(kube::client::UpgradeConnectionError::ProtocolSwitch(status)) => {
            Some(status.as_u16())
        }
        _ => None,
    };
    let fix = match status {
        Some(401) => "the kubeconfig's credentials were refused: log in again (for EKS: aws eks update-kubeconfig) or check kubernetes.context".to_string(),
        Some(403) => format!(
            "the kubeconfig's user may not port-forward: it needs `create` on `pods/portforward` in namespace {namespace}, or set kafka.bootstrap to addresses reachable from here"
        ),
        Some(404) => format!(
            "no such pod in namespace {namespace}: check kubernetes.namespace and profile.kafka.broker_workload, or give kafka.bootstrap explicitly"
        ),
        _ => "check that the API server can reach the pod's kubelet (kubectl port-forward fails the same way), or set kafka.bootstrap to addresses reachable from here with kafka.port_forward: false".to_string(),
    };
    ConnectError {
        target: dial.to_string(),
        detail: format!("the Kubernetes API refused the port-forward: {error}"),
        fix,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertised_names_map_to_pods() {
        let cases = [
            (
                "kafka-kraft-broker-3.kafka-kraft-broker-headless.kfuse.svc.cluster.local",
                ("kfuse", "kafka-kraft-broker-3"),
            ),
            ("kafka-kraft-broker-3.kafka-kraft-broker-headless.other.svc", ("other", "kafka-kraft-broker-3")),
            ("kafka-broker-0.kafka-broker-headless.prod", ("prod", "kafka-broker-0")),
            ("kafka-broker-0.kafka-broker-headless", ("dflt", "kafka-broker-0")),
            ("kafka-kraft-broker-2", ("dflt", "kafka-kraft-broker-2")),
            ("kafka-kraft-broker-2.kafka-kraft-broker-headless.kfuse.svc.cluster.local.", ("kfuse", "kafka-kraft-broker-2")),
        ];
        for (host, (namespace, pod)) in cases {
            assert_eq!(
                pod_for(host, "dflt"),
                Ok((namespace.to_string(), pod.to_string())),
                "{host}"
            );
        }
    }

    #[test]
    fn names_that_are_no_pod_are_refused_with_a_reason() {
        assert!(pod_for("10.1.2.3", "kfuse").unwrap_err().contains("kafka.address_map"));
        assert!(pod_for("::1", "kfuse").is_err());
        assert!(pod_for("Kafka_0.svc", "kfuse").unwrap_err().contains("not a pod name"));
        assert!(pod_for("kafka-0.svc.Bad_NS.svc", "kfuse").unwrap_err().contains("not a namespace"));
    }

    #[test]
    fn the_dial_keeps_the_advertised_port() {
        // A client needs no API server to build; the mapping alone is tested here.
        let dial = pod_for("kafka-kraft-broker-3.kafka-kraft-broker-headless.kfuse.svc.cluster.local", "x")
            .map(|(namespace, pod)| Dial::Pod { namespace, pod, port: 9092 })
            .unwrap();
        assert_eq!(dial.to_string(), "pod kfuse/kafka-kraft-broker-3 port 9092 (port-forward)");
    }
}
