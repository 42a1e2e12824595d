//! Test equipment, never the product: fakes of Kafka, the Pinot controller, GKE, AKS (Azure Resource Manager) and Grafana's alert-rule status API that follow the
//! upstream sources closely enough that independent real clients (kafka-python, gcloud) cannot tell
//! the difference for the operations kfscale uses. Each fake counts the mutating requests it gets
//! and takes fault injections through a small control endpoint (see README.md).
pub mod aks;
pub mod clock;
pub mod gke;
pub mod grafana;
pub mod kafka;
pub mod pinot;
pub mod scaffold;
