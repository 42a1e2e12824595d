//! What the HTTP fakes (GKE, Pinot, Grafana, AKS) share, so each fake's own files hold only the system
//! it imitates: the server that starts and stops it, the request faults with their shots, the
//! `/_control/` routes every fake answers the same way, the counters of what it received, and the
//! `main` of its binary.
pub mod control;
pub mod desk;
pub mod faults;
pub mod process;
pub mod server;
pub mod timefmt;
pub mod tls;
