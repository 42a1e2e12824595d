//! The customer values file and what git says about it.
use anyhow::bail;

use crate::connect::ConfigContext;
use crate::snapshot::{GitInfo, ValuesFile, sha256_hex};
use crate::values::Document;
use crate::values::secrets::redacted_text;

pub async fn observe(context: &ConfigContext<'_>) -> anyhow::Result<ValuesFile> {
    let Some(values) = &context.config.values else {
        bail!(
            "{}: no `values:` section; fix: add `values: {{file: path/to/values.yaml}}`",
            context.origin
        );
    };
    let path = context.resolve(&values.file);
    let text = crate::files::read_values_text(&path)?;
    let document = Document::parse(&values.file.display().to_string(), &text)?;
    let git = match &context.config.git {
        Some(git) => {
            let repo = kfscale_git::Repo::discover(&context.resolve(&git.repo))?;
            let state = repo.file_state(&path)?;
            Some(GitInfo {
                branch: state.branch.unwrap_or_else(|| "(detached)".into()),
                head_commit: state.head_commit.unwrap_or_default(),
                uncommitted_changes: state.uncommitted_changes,
            })
        }
        None => None,
    };
    Ok(ValuesFile {
        path: values.file.display().to_string(),
        sha256: sha256_hex(text.as_bytes()),
        text: redacted_text(&document, &text),
        git,
    })
}
