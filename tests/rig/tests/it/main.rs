//! All integration tests of the package in one binary: one link instead of one per file.
mod chart;
mod eks_zones;
mod fakes_on_the_rig;
mod pinot_servers;
mod pod_life;
mod scale_out;
mod volumes;
