//! The pinot fake (see README.md).
