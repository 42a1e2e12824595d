//! The scrubber: every secret value the detector (`kfscale_core::values::secrets`) finds in the
//! values kfscale reads is removed from every byte kfscale prints or stores. Secrets are
//! registered where values enter the process (`register_values_text`: the values file as
//! `files::read_values_text` reads it, kfscale.yaml as `Config::load` reads it, a values file
//! read from git for review; `register_json_values`: a Helm release's user values), and
//! scrubbed at the doors every output goes through:
//! - stdout: `out!`/`outln!` (src/output.rs);
//! - stderr: `eout!`/`eoutln!` and the tracing writer (src/stderr.rs), the final error and
//!   panics (src/main.rs); clippy.toml forbids `eprint!`/`eprintln!`;
//! - files kfscale writes for itself: `files::write_atomic`, `files::write_json` and the state
//!   and plan-file writers (string values scrubbed before the checksum is taken);
//! - git: commit messages (`scrub::git`; clippy.toml forbids the provider's commit calls
//!   elsewhere).
//!
//! So an error carrying helm's or git's stderr, a log line quoting a value, or a step error saved
//! in the state shows `(sensitive)` where the secret was, whichever path it took. The exceptions
//! are the customer's own values file, which kfscale writes and commits as it is, and prints as
//! it is when asked for it (`scale-values`, `output::write_customer_file`).
pub mod git;
mod sources;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::RwLock;

use aho_corasick::{AhoCorasick, MatchKind};

pub use kfscale_core::values::secrets::SENSITIVE;
pub use sources::{register_json_values, register_secret, register_values_text};

/// The secrets registered so far and a matcher built from them. Process-wide on purpose: the
/// doors are process-wide (stdout, stderr, the files), and a secret read by one part of a
/// command must be scrubbed from what any other part prints.
struct Registry {
    secrets: BTreeSet<String>,
    matcher: Option<AhoCorasick>,
}

static REGISTRY: RwLock<Registry> = RwLock::new(Registry {
    secrets: BTreeSet::new(),
    matcher: None,
});

/// Adds secrets to scrub from here on (below `MIN_SCRUB_CHARS` they are dropped by the core's
/// needle list already).
pub fn register(secrets: impl IntoIterator<Item = String>) {
    let mut registry = REGISTRY.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = registry.secrets.len();
    registry
        .secrets
        .extend(secrets.into_iter().filter(|secret| !secret.is_empty()));
    if registry.secrets.len() == before {
        return;
    }
    // Leftmost-longest: of two secrets starting at the same byte (a URL and its password), the
    // longer is replaced whole, and nothing of it is left to show.
    registry.matcher = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&registry.secrets)
        .ok();
}

/// `text` with every registered secret replaced by `(sensitive)`.
pub fn text(text: &str) -> Cow<'_, str> {
    let registry = REGISTRY.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    match &registry.matcher {
        Some(matcher) if matcher.is_match(text) => {
            Cow::Owned(matcher.replace_all(text, &vec![SENSITIVE; matcher.patterns_len()]))
        }
        _ => Cow::Borrowed(text),
    }
}

/// The same for bytes (a file's contents, a child's output), UTF-8 or not.
pub fn bytes(bytes: &[u8]) -> Cow<'_, [u8]> {
    let registry = REGISTRY.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    match &registry.matcher {
        Some(matcher) if matcher.is_match(bytes) => {
            let with = vec![SENSITIVE.as_bytes(); matcher.patterns_len()];
            Cow::Owned(matcher.replace_all_bytes(bytes, &with))
        }
        _ => Cow::Borrowed(bytes),
    }
}

/// `text` scrubbed, owned: the shape the JSON writers' scrub function takes.
pub fn owned(text: &str) -> String {
    self::text(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    // One process-wide registry: each test registers its own, distinct secrets.
    #[test]
    fn replaces_the_longest_secret_and_keeps_the_rest() {
        register(["sc-url-pw-41".to_string(), "postgres://u:sc-url-pw-41@db".to_string()]);
        assert_eq!(
            text("dial postgres://u:sc-url-pw-41@db/x failed; pw sc-url-pw-41"),
            "dial (sensitive)/x failed; pw (sensitive)"
        );
        assert_eq!(bytes(b"\xffsc-url-pw-41").as_ref(), b"\xff(sensitive)");
        assert!(matches!(text("nothing here"), Cow::Borrowed(_)));
    }
}
