//! A values file's text, with errors that name the file and the fix. Reading it registers its
//! secrets with the scrubber (src/scrub/): from here on no output of the process shows them.
use std::path::Path;

use anyhow::anyhow;

use crate::values::decode_values_text;

pub fn read_values_text(path: &Path) -> anyhow::Result<String> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|err| anyhow!("cannot read {shown}: {err}; fix: check the path"))?;
    let text = decode_values_text(&shown, bytes)?;
    crate::scrub::register_values_text(&shown, &text);
    Ok(text)
}
