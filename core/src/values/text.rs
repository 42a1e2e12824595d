//! A values file's bytes as text: YAML is UTF-8, and a file that is not is named with the byte
//! where it stops being text (the file itself is read at the edge, `kfscale::files`).
use super::ValuesError;

pub fn decode_values_text(shown: &str, bytes: Vec<u8>) -> Result<String, ValuesError> {
    String::from_utf8(bytes).map_err(|err| {
        ValuesError::new(
            shown,
            None,
            None,
            format!("byte {} is not UTF-8 text", err.utf8_error().valid_up_to()),
            "a values file is UTF-8 YAML: check you passed the right file",
        )
    })
}
