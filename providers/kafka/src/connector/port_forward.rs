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
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
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
        Some(_) => "the API server could not reach the pod through its kubelet (`kubectl port-forward` fails the same way): check the node, or set kafka.bootstrap to addresses reachable from here with kafka.port_forward: false".to_string(),
        None => "check that the Kubernetes API server is reachable with kubernetes.kubeconfig and kubernetes.context in kfscale.yaml".to_string(),
    };
    // kube's Display of an API status repeats it in Debug form: the message and code say it all.
    let shown = match error {
        kube::Error::Api(status) => format!("{} (HTTP {})", status.message, status.code),
        other => other.to_string(),
    };
    ConnectError {
        target: dial.to_string(),
        detail: format!("the port-forward through the Kubernetes API failed: {shown}"),
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
            (
                "kafka-kraft-broker-3.kafka-kraft-broker-headless.other.svc",
                ("other", "kafka-kraft-broker-3"),
            ),
            ("kafka-broker-0.kafka-broker-headless.prod", ("prod", "kafka-broker-0")),
            ("kafka-broker-0.kafka-broker-headless", ("dflt", "kafka-broker-0")),
            ("kafka-kraft-broker-2", ("dflt", "kafka-kraft-broker-2")),
            (
                "kafka-kraft-broker-2.kafka-kraft-broker-headless.kfuse.svc.cluster.local.",
                ("kfuse", "kafka-kraft-broker-2"),
            ),
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
        assert!(
            pod_for("kafka-0.svc.Bad_NS.svc", "kfuse")
                .unwrap_err()
                .contains("not a namespace")
        );
    }

    fn client(url: &str) -> kube::Client {
        let config = kube::Config::new(url.parse().unwrap());
        kube::Client::try_from(config).unwrap()
    }

    #[tokio::test]
    async fn dials_the_pod_behind_an_advertised_name() {
        let forward = PortForward::new(client("http://127.0.0.1:9"), "kfuse");
        let advertised = BrokerAddress::new(
            "kafka-kraft-broker-3.kafka-kraft-broker-headless.kfuse.svc.cluster.local",
            9092,
        );
        let dial = forward.dial(&advertised).unwrap();
        assert_eq!(
            dial,
            Dial::Pod {
                namespace: "kfuse".into(),
                pod: "kafka-kraft-broker-3".into(),
                port: 9092
            }
        );
        assert_eq!(
            dial.to_string(),
            "pod kfuse/kafka-kraft-broker-3 port 9092 (port-forward)"
        );
        let error = forward.dial(&BrokerAddress::new("10.0.0.7", 9092)).unwrap_err();
        assert!(error.detail.contains("kafka.address_map"), "{error:?}");
    }

    #[tokio::test]
    async fn an_unreachable_api_server_says_to_check_the_kubeconfig() {
        let forward = PortForward::new(client("http://127.0.0.1:9"), "kfuse");
        let dial = forward.dial(&BrokerAddress::new("kafka-kraft-broker-0", 9092)).unwrap();
        let error = match forward.connect(&dial).await {
            Err(error) => error,
            Ok(_) => panic!("port-forward through a closed port"),
        };
        assert!(error.fix.contains("kubernetes.kubeconfig"), "{error:?}");
        assert_eq!(error.target, "pod kfuse/kafka-kraft-broker-0 port 9092 (port-forward)");
    }
}
