//! Secrets: one detector finds them in the values (key names, env-style name/value pairs, value
//! shapes), and everything kfscale shows or stores hides them. Two ways:
//! - by structure, for the values themselves: `redacted_text` and `redact_json` replace each
//!   secret scalar with `(sensitive)`;
//! - by value, for everything else: `document_needles`/`json_needles` list the exact strings
//!   the binary's scrubber removes from every byte it prints or writes (error texts and other
//!   programs' stderr included).
//!
//! The rules, one file each: `words.rs` (how a key name splits into words), `rules.rs` (what a
//! key's words say), `inert.rs` (values that are never secret), `shapes.rs` (secret-looking
//! values under any key), `detector.rs` (how they combine over a tree). docs/secrets.md lists
//! them for people.
mod detector;
mod inert;
mod leaves;
mod needles;
mod redact;
mod rules;
mod shapes;
mod words;

pub use detector::{Finding, Leaf, LeafKind, detect};
pub use leaves::{document_leaves, json_leaves};
pub use needles::{MIN_SCRUB_CHARS, MIN_SCRUB_CHARS_PLAIN, document_needles, json_needles, secret_needles};
pub use redact::{SENSITIVE, redact_json, redacted_text};
pub use rules::{Verdict, judge_key};

use crate::values::document::Document;

/// The secrets of a values document, in document order.
pub fn find_in_document(document: &Document) -> Vec<Finding> {
    let leaves: Vec<Leaf> = document_leaves(document).into_iter().map(|(leaf, _)| leaf).collect();
    detect(&leaves)
}
