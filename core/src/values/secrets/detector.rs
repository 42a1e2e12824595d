//! The one detector: which values of a tree (the values file, Helm's user values, kfscale.yaml)
//! are secrets, and which exact strings inside them. It reads the tree as leaves with their
//! paths, so the YAML and the JSON form of the same values give the same answer (the
//! `values-drift` pre-check compares them redacted). Rules, in order:
//! 1. inert values are never secret (inert.rs): booleans, `none`, placeholders;
//! 2. the key rules (rules.rs) on the leaf's own key; a `value:`/`data:` directly under a secret
//!    key (`password: {value: ...}`) and every leaf under a container key (`credentials:`) but
//!    the names in it;
//! 3. env-style pairs: `- name: DB_PASSWORD` makes its sibling `value:` secret (the same for
//!    `key:`/`value:`);
//! 4. a Kubernetes Secret written into the values (`kind: Secret`): its `data`/`stringData`;
//! 5. value shapes (shapes.rs), under any key, references included;
//! 6. copies: a value equal to a secret found by rules 2-5 is that secret wherever it stands (a
//!    password pasted twice, an anchor whose alias sits under `password:` once Helm expanded it).
use std::collections::HashMap;

use super::inert::is_inert;
use super::rules::{Verdict, judge_key};
use super::shapes;
use crate::values::path::{Segment, ValuePath};

/// A scalar of the tree.
#[derive(Debug, Clone)]
pub struct Leaf {
    pub path: ValuePath,
    pub text: String,
    pub kind: LeafKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKind {
    Text,
    Number,
    /// A boolean or null: never secret.
    Literal,
}

/// A secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Index of the leaf in the detector's input.
    pub leaf: usize,
    pub path: ValuePath,
    pub value: String,
    /// Why: the rule that matched, for `kfscale redact --explain`-style reports and tests.
    pub rule: String,
    /// The whole value is the secret (by key, or a PEM block); else only `parts` are, and the
    /// value is hidden because it carries them.
    pub whole: bool,
    /// The exact secrets inside the value (a URL's password, a JWT in a sentence).
    pub parts: Vec<String>,
}

/// Every secret among `leaves`, in their order.
pub fn detect(leaves: &[Leaf]) -> Vec<Finding> {
    let by_path: HashMap<&ValuePath, &Leaf> = leaves.iter().map(|leaf| (&leaf.path, leaf)).collect();
    let judged: Vec<Option<Judged>> = leaves.iter().map(|leaf| judge_leaf(leaf, &by_path)).collect();
    // Rule 6: the whole secrets, by value, and where each was found first.
    let mut secret_values: HashMap<&str, &ValuePath> = HashMap::new();
    for (leaf, found) in leaves.iter().zip(&judged) {
        if let Some((_, true, _)) = found {
            secret_values.entry(leaf.text.as_str()).or_insert(&leaf.path);
        }
    }
    leaves
        .iter()
        .zip(judged)
        .enumerate()
        .filter_map(|(index, (leaf, found))| {
            let found = found.or_else(|| {
                let first = secret_values.get(leaf.text.as_str()).filter(|_| is_copyable(leaf))?;
                Some((format!("same value as the secret at `{first}`"), true, Vec::new()))
            })?;
            let (rule, whole, parts) = found;
            Some(Finding {
                leaf: index,
                path: leaf.path.clone(),
                value: leaf.text.clone(),
                rule,
                whole,
                parts,
            })
        })
        .collect()
}

/// A copy counts only for a value long enough to be a secret's and not inert: `3` or `true`
/// under `password:` does not make every other `3` a secret.
fn is_copyable(leaf: &Leaf) -> bool {
    leaf.kind != LeafKind::Literal
        && !is_inert(&leaf.text)
        && leaf.text.chars().count() >= super::needles::MIN_SCRUB_CHARS
}

type Judged = (String, bool, Vec<String>);

fn judge_leaf(leaf: &Leaf, by_path: &HashMap<&ValuePath, &Leaf>) -> Option<Judged> {
    if leaf.kind == LeafKind::Literal || is_inert(&leaf.text) {
        return None;
    }
    let by_structure = by_key(&leaf.path)
        .or_else(|| by_env_pair(&leaf.path, by_path))
        .or_else(|| by_secret_manifest(&leaf.path, by_path));
    let hits = if leaf.kind == LeafKind::Text {
        shapes::find(&leaf.text)
    } else {
        Vec::new()
    };
    let parts: Vec<String> = hits
        .iter()
        .filter(|hit| !hit.whole)
        .map(|hit| hit.secret.clone())
        .collect();
    match (by_structure, hits.first()) {
        (Some(rule), _) => Some((rule, true, parts)),
        (None, Some(first)) => Some((
            format!("value shape: {}", first.rule),
            hits.iter().any(|hit| hit.whole),
            parts,
        )),
        (None, None) => None,
    }
}

/// Rule 2: the leaf's own key, a `value:` under a secret key, or a container above it.
fn by_key(path: &ValuePath) -> Option<String> {
    let keys: Vec<&str> = keys(path);
    let (own, above) = keys.split_last()?;
    let verdict = judge_key(own);
    if let Verdict::Secret(rule) | Verdict::Container(rule) = verdict {
        return Some(format!("key `{own}`: {rule}"));
    }
    if let Verdict::Reference(_) = verdict {
        return None;
    }
    if let Some(parent) = above.last()
        && is_storage_word(own)
        && let Verdict::Secret(rule) = judge_key(parent)
    {
        return Some(format!("key `{parent}.{own}`: {rule}"));
    }
    above.iter().rev().find_map(|key| match judge_key(key) {
        Verdict::Container(rule) => Some(format!("under `{key}`: {rule}")),
        _ => None,
    })
}

/// Rule 3: `{name: DB_PASSWORD, value: ...}` (env lists), `{key: password, value: ...}`.
fn by_env_pair(path: &ValuePath, by_path: &HashMap<&ValuePath, &Leaf>) -> Option<String> {
    let (Segment::Key(own), parent) = path.0.split_last()? else {
        return None;
    };
    if own != "value" {
        return None;
    }
    ["name", "key"].iter().find_map(|sibling| {
        let mut at = parent.to_vec();
        at.push(Segment::Key((*sibling).to_string()));
        let name = by_path.get(&ValuePath(at))?;
        judge_key(&name.text)
            .is_secret()
            .then(|| format!("env-style pair: {sibling} `{}`", name.text))
    })
}

/// Rule 4: everything under `data:`/`stringData:` of a mapping whose `kind` is `Secret`.
fn by_secret_manifest(path: &ValuePath, by_path: &HashMap<&ValuePath, &Leaf>) -> Option<String> {
    path.0.iter().enumerate().find_map(|(at, segment)| {
        let Segment::Key(key) = segment else { return None };
        if key != "data" && key != "stringData" {
            return None;
        }
        let mut kind = path.0[..at].to_vec();
        kind.push(Segment::Key("kind".into()));
        let leaf = by_path.get(&ValuePath(kind))?;
        (leaf.text == "Secret").then(|| format!("{key} of a Kubernetes Secret"))
    })
}

/// Keys that say how the value above is stored (`password: {value: ...}`).
fn is_storage_word(key: &str) -> bool {
    matches!(
        key,
        "value" | "data" | "b64" | "base64" | "encoded" | "raw" | "plain" | "plaintext"
    )
}

fn keys(path: &ValuePath) -> Vec<&str> {
    path.0
        .iter()
        .filter_map(|segment| match segment {
            Segment::Key(key) => Some(key.as_str()),
            Segment::Index(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::values::Document;
    use crate::values::secrets::find_in_document;

    fn found(yaml: &str) -> Vec<String> {
        let document = Document::parse("v.yaml", yaml).unwrap();
        find_in_document(&document)
            .into_iter()
            .map(|f| f.path.to_string())
            .collect()
    }

    #[test]
    fn env_pairs_take_the_secret_from_the_name() {
        let yaml = "env:\n  - name: DB_PASSWORD\n    value: pw-1\n  - name: LOG_LEVEL\n    value: debug\n  - name: PW_FILE_PATH\n    value: /run/pw\n";
        assert_eq!(found(yaml), ["env[0].value"]);
    }

    #[test]
    fn containers_hide_all_but_the_names_in_them() {
        let yaml = "credentials:\n  user: ops\n  enabled: true\nimagePullSecrets:\n  - name: regcred\n";
        assert_eq!(found(yaml), ["credentials.user"]);
    }

    #[test]
    fn a_value_under_a_secret_key_and_a_secret_manifest() {
        let yaml = "rootPassword:\n  value: pw-2\n  existingSecret: db\nobj:\n  kind: Secret\n  metadata: {name: x}\n  stringData: {a: b-3}\n";
        assert_eq!(found(yaml), ["rootPassword.value", "obj.stringData.a"]);
    }

    #[test]
    fn an_alias_under_a_secret_key_makes_its_anchor_secret() {
        let yaml = "defaults: {shared: &pw anchored-4}\ndb: {password: *pw}\n";
        let document = Document::parse("v.yaml", yaml).unwrap();
        let shown = crate::values::secrets::redacted_text(&document, yaml);
        assert!(!shown.contains("anchored-4"), "{shown}");
    }

    #[test]
    fn shapes_count_under_reference_keys_too() {
        let yaml = "certFile: \"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\"\nsecretName: tls\n";
        assert_eq!(found(yaml), ["certFile"]);
    }
}
