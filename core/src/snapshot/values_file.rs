//! The customer's values file as read from their git repository.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValuesFile {
    /// Path as configured (relative to the repository when in git).
    pub path: String,
    /// SHA-256 (hex) of the file's real bytes: what an apply checks it still edits.
    pub sha256: String,
    /// The text with secret values replaced by `(sensitive)`.
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitInfo {
    pub branch: String,
    pub head_commit: String,
    /// The working file differs from the file at HEAD.
    pub uncommitted_changes: bool,
}
