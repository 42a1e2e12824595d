//! Plain TCP to the advertised address, or to the address the map gives for it (a load balancer,
//! an SSH tunnel, a local `kubectl port-forward`).
use std::collections::BTreeMap;
use std::time::Duration;

use tokio::net::TcpStream;

use super::{BoxStream, BrokerAddress, ConnectError, ConnectFuture, Connector, Dial};

pub struct DirectTcp {
    /// Advertised `host:port` -> the `host:port` to dial instead; or advertised `host` -> the
    /// host to dial on the advertised port (one entry serves a broker whatever its port).
    address_map: BTreeMap<String, String>,
    connect_timeout: Duration,
}

impl DirectTcp {
    pub fn new(address_map: BTreeMap<String, String>, connect_timeout: Duration) -> DirectTcp {
        DirectTcp {
            address_map,
            connect_timeout,
        }
    }
}

impl Connector for DirectTcp {
    fn dial(&self, address: &BrokerAddress) -> Result<Dial, ConnectError> {
        let advertised = address.to_string();
        let mapped = match self.address_map.get(&advertised) {
            Some(to) => to.clone(),
            None => match self.address_map.get(&address.host) {
                Some(host) => BrokerAddress::new(host.clone(), address.port).to_string(),
                None => advertised,
            },
        };
        Ok(Dial::Tcp { address: mapped })
    }

    fn connect<'a>(&'a self, dial: &'a Dial) -> ConnectFuture<'a> {
        Box::pin(async move {
            let Dial::Tcp { address } = dial else {
                return Err(ConnectError {
                    target: dial.to_string(),
                    detail: "direct TCP cannot dial a pod".into(),
                    fix: "set kafka.port_forward: true in kfscale.yaml".into(),
                });
            };
            let failed = |detail: String, fix: String| ConnectError {
                target: address.clone(),
                detail,
                fix,
            };
            // Resolve first: an in-cluster name that does not resolve here needs a different fix
            // than a broker that is down.
            let resolved: Vec<_> =
                tokio::time::timeout(self.connect_timeout, tokio::net::lookup_host(address.as_str()))
                    .await
                    .map_err(|_| failed("name resolution timed out".into(), resolution_fix(address)))?
                    .map_err(|e| failed(format!("the name does not resolve ({e})"), resolution_fix(address)))?
                    .collect();
            let mut last = format!("{address} resolves to no address");
            for socket in resolved {
                match tokio::time::timeout(self.connect_timeout, TcpStream::connect(socket)).await {
                    Ok(Ok(stream)) => {
                        // Requests are small and answered one at a time: send them at once.
                        let _ = stream.set_nodelay(true);
                        return Ok(Box::new(stream) as BoxStream);
                    }
                    Ok(Err(e)) => last = format!("{socket}: {e}"),
                    Err(_) => last = format!("{socket}: no answer within {:?}", self.connect_timeout),
                }
            }
            Err(failed(
                last,
                format!(
                    "check that a Kafka broker listens on {address} and that kafka.bootstrap and kafka.address_map in kfscale.yaml point at it"
                ),
            ))
        })
    }
}

fn resolution_fix(address: &str) -> String {
    format!(
        "{address} is probably a name only the cluster's DNS knows: map it to a reachable address in kafka.address_map, or set kafka.port_forward: true in kfscale.yaml"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_advertised_addresses() {
        let map = BTreeMap::from([("broker-0.svc:9092".to_string(), "127.0.0.1:19092".to_string())]);
        let direct = DirectTcp::new(map, Duration::from_secs(1));
        assert_eq!(
            direct.dial(&BrokerAddress::new("broker-0.svc", 9092)).unwrap(),
            Dial::Tcp {
                address: "127.0.0.1:19092".into()
            }
        );
        assert_eq!(
            direct.dial(&BrokerAddress::new("10.0.0.5", 9092)).unwrap(),
            Dial::Tcp {
                address: "10.0.0.5:9092".into()
            }
        );
    }

    #[test]
    fn a_host_alone_maps_every_port_of_it() {
        let map = BTreeMap::from([
            ("broker-1.svc".to_string(), "127.0.0.1".to_string()),
            ("broker-1.svc:9093".to_string(), "10.9.9.9:1".to_string()),
        ]);
        let direct = DirectTcp::new(map, Duration::from_secs(1));
        let dial = |port| direct.dial(&BrokerAddress::new("broker-1.svc", port)).unwrap();
        assert_eq!(
            dial(41234),
            Dial::Tcp {
                address: "127.0.0.1:41234".into()
            }
        );
        // host:port is the more precise entry and wins.
        assert_eq!(
            dial(9093),
            Dial::Tcp {
                address: "10.9.9.9:1".into()
            }
        );
    }

    #[tokio::test]
    async fn an_unresolvable_name_says_to_map_it() {
        let direct = DirectTcp::new(BTreeMap::new(), Duration::from_secs(2));
        let dial = direct
            .dial(&BrokerAddress::new(
                "kafka-0.kafka-headless.kfuse.svc.cluster.local.invalid",
                9092,
            ))
            .unwrap();
        let error = match direct.connect(&dial).await {
            Err(error) => error,
            Ok(_) => panic!("connected to an .invalid name"),
        };
        assert!(error.fix.contains("kafka.address_map"), "{error:?}");
    }
}
