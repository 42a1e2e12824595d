//! How the client reaches the controller: a URL given by the user, or a Kubernetes port-forward to
//! the controller pod (`pinot-controller-0:9000` in the release namespace), so no Service has to be
//! exposed and no kubectl is needed.
use std::time::Duration;

use reqwest::Url;

use crate::client::Pinot;
use crate::error::PinotError;
use crate::port_forward::PortForward;

/// Where the controller is.
pub enum Target {
    /// A controller URL such as `http://pinot-controller.kfuse:9000`.
    Url(String),
    /// A port-forward through the Kubernetes API server to `pod:port` in `namespace`.
    PortForward {
        client: kube::Client,
        namespace: String,
        pod: String,
        port: u16,
    },
}

/// The live connection behind a client; a port-forward lives as long as the client.
pub(crate) enum Connection {
    Direct,
    Forwarded(PortForward),
}

impl Pinot {
    /// A client of the controller at `target`; every request gives up after `timeout`. A URL is only
    /// parsed here; a port-forward checks that the pod exists and is Running before it listens.
    pub async fn connect(target: Target, timeout: Duration) -> Result<Pinot, PinotError> {
        match target {
            Target::Url(url) => {
                let base = parse_url(&url)?;
                Pinot::new(base, timeout, Connection::Direct)
            }
            Target::PortForward {
                client,
                namespace,
                pod,
                port,
            } => {
                let forward = PortForward::start(client, &namespace, &pod, port).await?;
                let base = parse_url(&format!("http://{}", forward.local_addr()))?;
                Pinot::new(base, timeout, Connection::Forwarded(forward))
            }
        }
    }
}

impl Connection {
    /// The controller as errors name it.
    pub(crate) fn describe(&self, base: &Url) -> String {
        match self {
            Connection::Direct => base.as_str().trim_end_matches('/').to_string(),
            Connection::Forwarded(forward) => format!(
                "{} (port-forward to pod {}:{} in namespace {})",
                base.as_str().trim_end_matches('/'),
                forward.pod(),
                forward.port(),
                forward.namespace()
            ),
        }
    }

    /// Why the port-forward failed, when it did: the API server's answer explains a reset connection.
    pub(crate) fn forward_error(&self) -> Option<String> {
        match self {
            Connection::Direct => None,
            Connection::Forwarded(forward) => forward.last_error(),
        }
    }

    /// What to check when the controller cannot be reached.
    pub(crate) fn reach_hint(&self) -> String {
        match self {
            Connection::Direct => {
                "check pinot.url in kfscale.yaml (the controller, port 9000) and that it is reachable \
                                   from here (VPN, port-forward, firewall)"
                    .into()
            }
            Connection::Forwarded(forward) => format!(
                "check that pod {} in namespace {} is Running and its controller listens on port {} (kubectl -n {} \
                 logs {}), or set pinot.url in kfscale.yaml",
                forward.pod(),
                forward.namespace(),
                forward.port(),
                forward.namespace(),
                forward.pod()
            ),
        }
    }
}

fn parse_url(url: &str) -> Result<Url, PinotError> {
    let parsed = Url::parse(url).map_err(|err| PinotError::BadUrl {
        url: url.to_string(),
        message: err.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
        return Err(PinotError::BadUrl {
            url: url.to_string(),
            message: "not an http(s) URL".into(),
        });
    }
    Ok(parsed)
}

/// The default per-request timeout of the controller client.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http() {
        assert!(parse_url("http://127.0.0.1:9000").is_ok());
        assert!(parse_url("https://pinot.example/controller/").is_ok());
        for bad in ["pinot-controller:9000", "ftp://x", "not a url"] {
            let err = parse_url(bad).unwrap_err();
            assert!(err.to_string().contains("fix: set pinot.url"), "{err}");
        }
    }
}
