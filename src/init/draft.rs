//! What `kfscale init` learned, key by key, with where each value came from (or why it could not
//! be found): the material of the kfscale.yaml it writes and of the report it prints.
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What `init` writes for a required key it could not find: a value that parses (the file passes
/// the schema) and that `kfscale validate` refuses, naming the key.
pub const FILL_IN: &str = "<fill in>";

/// One key of the draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    /// None: not found.
    pub value: Option<String>,
    /// Where the value came from; when not found, what to fill in.
    pub note: String,
    /// A required key is written as [`FILL_IN`] when not found; an optional one is left out.
    pub required: bool,
}

impl Field {
    pub fn found(key: &'static str, value: String, from: impl Into<String>) -> Field {
        Field {
            key,
            value: Some(value),
            note: from.into(),
            required: true,
        }
    }

    /// `found` when `value` is Some, else the key to fill in with `what` (a required key).
    pub fn or_fill_in(key: &'static str, value: Option<(String, String)>, what: &str) -> Field {
        match value {
            Some((value, from)) => Field::found(key, value, from),
            None => Field {
                key,
                value: None,
                note: what.to_string(),
                required: true,
            },
        }
    }

    pub fn optional(mut self) -> Field {
        self.required = false;
        self
    }
}

/// The node pool, per cloud (the `cluster:` section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolDraft {
    Aws(Vec<Field>),
    Gcp(Vec<Field>),
    Azure(Vec<Field>),
    /// No cloud pool label on the nodes Kloudfuse runs on: the labels they share.
    External {
        node_selector: BTreeMap<String, String>,
        note: String,
    },
}

impl PoolDraft {
    /// The `cluster.<cloud>` key of the section.
    pub fn cloud(&self) -> &'static str {
        match self {
            PoolDraft::Aws(_) => "aws",
            PoolDraft::Gcp(_) => "gcp",
            PoolDraft::Azure(_) => "azure",
            PoolDraft::External { .. } => "external",
        }
    }

    pub fn fields(&self) -> &[Field] {
        match self {
            PoolDraft::Aws(fields) | PoolDraft::Gcp(fields) | PoolDraft::Azure(fields) => fields,
            PoolDraft::External { .. } => &[],
        }
    }
}

/// The customer repository kfscale records into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitDraft {
    /// Relative to the kfscale.yaml written (or absolute when it is not below it).
    pub repo: PathBuf,
    pub branch: Option<String>,
    pub remote: Option<String>,
}

/// Everything `init` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub pool: PoolDraft,
    /// How the pool was chosen (which nodes the release's pods run on).
    pub pool_evidence: String,
    /// Written only when given with --kubeconfig (else KUBECONFIG / ~/.kube/config applies).
    pub kubeconfig: Option<PathBuf>,
    pub context: String,
    pub namespace: String,
    pub release: String,
    /// `chart version, revision, status` of the release, for the report.
    pub release_evidence: String,
    /// Relative to the kfscale.yaml written, as given with --values.
    pub values_file: Option<PathBuf>,
    pub git: Option<GitDraft>,
    /// Why there is no git section (not a repository here).
    pub git_missing: Option<String>,
}
