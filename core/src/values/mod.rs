//! The customer values file: a lossless YAML editor (parse with positions, replace scalar bytes,
//! prove by re-parsing that nothing else changed), secret detection and redaction (`secrets/`) and storage quantities.
pub mod document;
pub mod edit;
pub mod error;
pub mod insert;
pub mod json;
pub mod path;
pub mod quantity;
pub mod secrets;
mod source;
pub mod text;
pub mod typed;

pub use document::{Document, Lookup, Node, Scalar};
pub use edit::{ScalarEdit, apply_edits, editable_scalar};
pub use error::ValuesError;
pub use insert::{InsertValue, KeyInsert, holds_list, insert_keys};
pub use path::ValuePath;
pub use text::decode_values_text;
