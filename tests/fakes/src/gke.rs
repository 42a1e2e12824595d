//! The gke fake (see README.md).
