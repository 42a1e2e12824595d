//! The kafka fake (see README.md).
