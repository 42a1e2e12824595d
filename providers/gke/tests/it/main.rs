//! All integration tests of the package in one binary: one link instead of one per file.
mod credentials;
mod node_pools;
