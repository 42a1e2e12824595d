//! A values file's text, with errors that name the file and the fix.
use std::path::Path;

use anyhow::anyhow;

use crate::values::decode_values_text;

pub fn read_values_text(path: &Path) -> anyhow::Result<String> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|err| anyhow!("cannot read {shown}: {err}; fix: check the path"))?;
    Ok(decode_values_text(&shown, bytes)?)
}
