//! The kfscale.yaml `init` writes: every key it found with a comment saying where from, every
//! required key it could not find as [`FILL_IN`] with what to put there, and the report it prints.
use super::draft::{Draft, FILL_IN, Field, PoolDraft};

/// The file's text.
pub fn render_config(draft: &Draft, written_at: &str) -> String {
    let mut out = format!(
        "# kfscale.yaml, written by `kfscale init` from the kube context {} at {written_at}.\n\
         # Check it with `kfscale validate`; every key: `kfscale schema config` and the README's\n\
         # configuration table.\n",
        draft.context
    );
    out.push_str(&format!("cluster:\n  {}:\n", draft.pool.cloud()));
    match &draft.pool {
        PoolDraft::External { node_selector, note } => {
            out.push_str(&format!("    # {note}\n    node_selector:"));
            if node_selector.is_empty() {
                out.push_str(" {}\n");
            } else {
                out.push('\n');
                for (key, value) in node_selector {
                    out.push_str(&format!("      {}: {}\n", scalar(key), scalar(value)));
                }
            }
        }
        pool => {
            for field in pool.fields() {
                out.push_str(&field_line(field));
            }
        }
    }
    out.push_str("kubernetes:\n");
    if let Some(kubeconfig) = &draft.kubeconfig {
        out.push_str(&format!(
            "  kubeconfig: {}\n",
            scalar(&kubeconfig.display().to_string())
        ));
    }
    out.push_str(&format!(
        "  context: {}   # pinned: kfscale never follows a switched current context\n",
        scalar(&draft.context)
    ));
    out.push_str(&format!(
        "  namespace: {}   # the release's namespace\n",
        scalar(&draft.namespace)
    ));
    out.push_str(&format!(
        "helm:\n  release: {}   # {}\n",
        scalar(&draft.release),
        draft.release_evidence
    ));
    out.push_str(
        "  # chart: oci://<registry>/kfuse-helm/kfuse   # fill in: where the release was installed from (Helm's record does not say); apply needs it\n",
    );
    match &draft.values_file {
        Some(file) => out.push_str(&format!("values:\n  file: {}\n", scalar(&file.display().to_string()))),
        None => out.push_str(
            "# values:\n#   file: values.yaml   # fill in: the customer values file (or run init with --values FILE)\n",
        ),
    }
    match (&draft.git, &draft.git_missing) {
        (Some(git), _) => {
            out.push_str(&format!("git:\n  repo: {}\n", scalar(&git.repo.display().to_string())));
            if let Some(branch) = &git.branch {
                out.push_str(&format!("  branch: {}\n", scalar(branch)));
            }
            if let Some(remote) = &git.remote {
                out.push_str(&format!(
                    "  remote: {}   # the branch's upstream: apply pushes its record there\n",
                    scalar(remote)
                ));
            }
        }
        (None, Some(why)) => out.push_str(&format!("# git: {why}\n")),
        (None, None) => {}
    }
    out
}

fn field_line(field: &Field) -> String {
    match (&field.value, field.required) {
        (Some(value), _) => format!("    {}: {}   # from {}\n", field.key, scalar(value), field.note),
        (None, true) => format!("    {}: \"{FILL_IN}\"   # fill in: {}\n", field.key, field.note),
        (None, false) => format!("    # {}:   # {}\n", field.key, field.note),
    }
}

/// The keys still to fill in, each with what to put there, as `key: what` lines.
pub fn to_fill_in(draft: &Draft) -> Vec<String> {
    let cloud = draft.pool.cloud();
    let mut left: Vec<String> = draft
        .pool
        .fields()
        .iter()
        .filter(|field| field.value.is_none() && field.required)
        .map(|field| format!("cluster.{cloud}.{}: {}", field.key, field.note))
        .collect();
    if let PoolDraft::External { node_selector, note } = &draft.pool
        && node_selector.is_empty()
    {
        left.push(format!("cluster.external.node_selector: {note}"));
    }
    left.push(
        "helm.chart: the chart reference the release was installed from (e.g. oci://<registry>/kfuse-helm/kfuse); Helm's record does not keep it".into(),
    );
    if draft.values_file.is_none() {
        left.push("values.file: the customer values file (or run `kfscale init --values FILE --force`)".into());
    }
    if let Some(why) = &draft.git_missing {
        left.push(format!("git.repo: {why}"));
    }
    left
}

/// What was found, one `key  value  (from ...)` line each.
pub fn found_lines(draft: &Draft) -> Vec<String> {
    let cloud = draft.pool.cloud();
    let mut lines = vec![
        format!("context     {} (namespace {})", draft.context, draft.namespace),
        format!("release     {}: {}", draft.release, draft.release_evidence),
        format!("node pool   {}", draft.pool_evidence),
    ];
    for field in draft.pool.fields() {
        if let Some(value) = &field.value {
            lines.push(format!(
                "  cluster.{cloud}.{} = {value}  (from {})",
                field.key, field.note
            ));
        }
    }
    if let PoolDraft::External { node_selector, .. } = &draft.pool {
        for (key, value) in node_selector {
            lines.push(format!("  cluster.external.node_selector.{key} = {value}"));
        }
    }
    if let Some(file) = &draft.values_file {
        lines.push(format!("values      {}", file.display()));
    }
    if let Some(git) = &draft.git {
        lines.push(format!(
            "git         {} branch {}{}",
            git.repo.display(),
            git.branch.as_deref().unwrap_or("(detached HEAD)"),
            git.remote.as_ref().map(|r| format!(", remote {r}")).unwrap_or_default()
        ));
    }
    lines
}

/// A YAML plain scalar when it reads back as the same string, else a double-quoted one (JSON's
/// quoting is YAML's).
fn scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '.')
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | ".inf" | ".nan"
        );
    match plain {
        true => text.to_string(),
        false => serde_json::to_string(text).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_that_would_read_back_as_something_else_are_quoted() {
        assert_eq!(scalar("us-east-1"), "us-east-1");
        assert_eq!(scalar("/tmp/kube config"), "\"/tmp/kube config\"");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("1234"), "\"1234\"");
        assert_eq!(scalar("3.4"), "\"3.4\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar(""), "\"\"");
    }
}
