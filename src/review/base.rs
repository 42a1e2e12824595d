//! Where a plan stands in a branch's history. A plan names the values file it was made from only
//! by its sha256 (`values.before_sha256`); its base on a branch is the newest commit of the
//! branch's first-parent chain holding exactly that file. From the base come the real bytes the
//! plan edits (a plan file holds no secrets, so it cannot carry them), and so the planned file.
use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use kfscale_git::{CommitInfo, Repo};

use crate::plan::Plan;
use crate::snapshot::sha256_hex;

/// One commit of the first-parent chain, with its values file's blob id.
pub struct Link {
    pub commit: CommitInfo,
    /// None: the commit has no values file.
    pub values_blob: Option<String>,
}

/// The plan's base on a branch and what lies after it.
pub struct Base {
    pub commit: String,
    /// The blob id of the file the plan was made from.
    pub blob: String,
    /// The commits after the base on the first-parent chain, newest first (the tip first).
    pub after: Vec<Link>,
    /// The planned values file: the plan's edits on the base's file.
    pub planned: String,
    /// Its blob id, to compare with the chain's without reading each blob.
    pub planned_blob: String,
}

/// Walks `tip`'s first-parent chain back to the plan's base; None when no commit of it holds
/// the file the plan was made from.
pub fn find_base(repo: &Repo, tip: &str, values: &Path, plan: &Plan) -> anyhow::Result<Option<Base>> {
    let mut is_before: HashMap<String, bool> = HashMap::new();
    let mut after = Vec::new();
    let mut next = Some(tip.to_string());
    while let Some(id) = next {
        let commit = repo.commit_info(&id)?;
        let values_blob = repo.file_id_at(&id, values)?;
        if let Some(blob) = &values_blob {
            let before = match is_before.get(blob) {
                Some(known) => *known,
                None => {
                    let known = sha256_hex(&repo.blob(blob)?) == plan.values.before_sha256;
                    is_before.insert(blob.clone(), known);
                    known
                }
            };
            if before {
                let text = String::from_utf8(repo.blob(blob)?)
                    .with_context(|| format!("{} at {} is not UTF-8 text", values.display(), commit.short_id()))?;
                let shown = format!("{} at {}", values.display(), commit.short_id());
                // The file as the branch holds it: its secrets are scrubbed from what follows.
                crate::scrub::register_values_text(&shown, &text);
                let planned = plan.values.apply_to(&shown, &text)?;
                let planned_blob = kfscale_git::blob_id(planned.as_bytes())?;
                return Ok(Some(Base {
                    commit: commit.id,
                    blob: blob.clone(),
                    after,
                    planned,
                    planned_blob,
                }));
            }
        }
        next = commit.parents.first().cloned();
        after.push(Link { commit, values_blob });
    }
    Ok(None)
}
