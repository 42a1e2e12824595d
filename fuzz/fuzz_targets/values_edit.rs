//! The values editor: any text either parses or gives a clean error; a parsed file edited at one
//! of its scalars either gives a text that re-parses with exactly that scalar changed (every other
//! scalar as it was), or a clean refusal. Never a panic.
#![no_main]

use kfscale::values::Document;
use kfscale::values::edit::{ScalarEdit, apply_edits};
use libfuzzer_sys::fuzz_target;

/// New values the planner writes (counts, sizes) and some that need quoting.
const NEW_VALUES: &[&str] = &["12", "0", "400Gi", "1.5", "-3", "yes", "a b", "x: y", "#z", "'q'", "\"", ""];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(document) = Document::parse("fuzz.yaml", text) else {
        return;
    };
    let scalars = document.scalars();
    if scalars.is_empty() {
        return;
    }
    let (path, _) = &scalars[usize::from(choice) % scalars.len()];
    let new_value = NEW_VALUES[usize::from(choice / 16) % NEW_VALUES.len()];
    let edit = ScalarEdit {
        path: path.clone(),
        new_value: new_value.to_string(),
    };
    let Ok(out) = apply_edits(&document, text, std::slice::from_ref(&edit)) else {
        return;
    };
    // Checked here again, independently of the editor's own verification.
    let reparsed = Document::parse("fuzz.yaml", &out).expect("an edited file must parse again");
    let before: Vec<(String, String)> = scalars.iter().map(|(p, s)| (p.to_string(), s.value.clone())).collect();
    let after: Vec<(String, String)> = reparsed
        .scalars()
        .iter()
        .map(|(p, s)| (p.to_string(), s.value.clone()))
        .collect();
    assert_eq!(before.len(), after.len(), "the edit added or removed values");
    for ((path_before, value_before), (path_after, value_after)) in before.iter().zip(&after) {
        assert_eq!(path_before, path_after);
        if *path_before == edit.path.to_string() {
            assert_eq!(value_after, new_value, "the edited value");
        } else {
            assert_eq!(value_before, value_after, "{path_before} changed");
        }
    }
});
