//! The values editor is lossless: edits change exactly the intended scalars and not one other byte.
use kfscale::values::{Document, ScalarEdit, ValuePath, apply_edits};
use proptest::prelude::*;

/// A random values file: nested block and flow mappings, lists of mappings, comments, blank lines,
/// quoted and plain scalars. Returns the text and the paths of its integer scalars.
#[derive(Debug, Clone)]
enum Tree {
    Int(u32, Quote),
    Text(String, Quote),
    Block(Vec<(String, Tree)>),
    Flow(Vec<(String, u32)>),
    List(Vec<Vec<(String, u32)>>),
}

#[derive(Debug, Clone, Copy)]
enum Quote {
    Plain,
    Single,
    Double,
}

fn quote_strategy() -> impl Strategy<Value = Quote> {
    prop_oneof![Just(Quote::Plain), Just(Quote::Single), Just(Quote::Double)]
}

fn key_strategy() -> impl Strategy<Value = String> {
    "[a-z][a-zA-Z0-9-]{0,10}"
}

fn tree_strategy() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        (0u32..100_000, quote_strategy()).prop_map(|(n, q)| Tree::Int(n, q)),
        ("[a-zA-Z][a-zA-Z0-9 _.-]{0,12}[a-zA-Z0-9]", quote_strategy()).prop_map(|(s, q)| Tree::Text(s, q)),
        prop::collection::vec((key_strategy(), 0u32..1000), 1..4).prop_map(|entries| Tree::Flow(dedup(entries))),
        prop::collection::vec(prop::collection::vec((key_strategy(), 0u32..1000), 1..3), 1..4)
            .prop_map(|items| Tree::List(items.into_iter().map(dedup).collect())),
    ];
    leaf.prop_recursive(3, 40, 6, |inner| {
        prop::collection::vec((key_strategy(), inner), 1..6).prop_map(|entries| Tree::Block(dedup(entries)))
    })
}

fn dedup<T>(entries: Vec<(String, T)>) -> Vec<(String, T)> {
    let mut seen = std::collections::BTreeSet::new();
    entries
        .into_iter()
        .filter(|(key, _)| seen.insert(key.clone()))
        .collect()
}

fn scalar(text: &str, quote: Quote) -> String {
    match quote {
        Quote::Plain => text.to_string(),
        Quote::Single => format!("'{text}'"),
        Quote::Double => format!("\"{text}\""),
    }
}

fn render(
    entries: &[(String, Tree)],
    indent: usize,
    path: &str,
    out: &mut String,
    ints: &mut Vec<String>,
    salt: &mut u32,
) {
    let pad = " ".repeat(indent);
    for (key, tree) in entries {
        *salt += 1;
        let child = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if salt.is_multiple_of(4) {
            out.push_str(&format!("{pad}# comment {salt} about {key}\n"));
        }
        if salt.is_multiple_of(7) {
            out.push('\n');
        }
        match tree {
            Tree::Int(n, q) => {
                let comment = if salt.is_multiple_of(3) { "   # trailing" } else { "" };
                out.push_str(&format!("{pad}{key}: {}{comment}\n", scalar(&n.to_string(), *q)));
                ints.push(child);
            }
            Tree::Text(s, q) => {
                let comment = if salt.is_multiple_of(2) {
                    " # note: 'quoted' \"text\""
                } else {
                    ""
                };
                out.push_str(&format!("{pad}{key}: {}{comment}\n", scalar(s, *q)));
                ints.push(child);
            }
            Tree::Block(children) => {
                out.push_str(&format!("{pad}{key}:\n"));
                render(children, indent + 2, &child, out, ints, salt);
            }
            Tree::Flow(pairs) => {
                let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                out.push_str(&format!("{pad}{key}: {{{}}}\n", body.join(", ")));
                ints.extend(pairs.iter().map(|(k, _)| format!("{child}.{k}")));
            }
            Tree::List(items) => {
                out.push_str(&format!("{pad}{key}:\n"));
                for (index, item) in items.iter().enumerate() {
                    if index % 2 == 0 {
                        let body: Vec<String> = item.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                        out.push_str(&format!("{pad}  - {{{}}}\n", body.join(", ")));
                    } else {
                        for (i, (k, v)) in item.iter().enumerate() {
                            let lead = if i == 0 { "- " } else { "  " };
                            out.push_str(&format!("{pad}  {lead}{k}: {v}\n"));
                        }
                    }
                    ints.extend(item.iter().map(|(k, _)| format!("{child}[{index}].{k}")));
                }
            }
        }
    }
}

fn document() -> impl Strategy<Value = (String, Vec<String>)> {
    prop::collection::vec((key_strategy(), tree_strategy()), 1..8).prop_map(|entries| {
        let mut text = String::from("# customer values\n\n");
        let mut ints = Vec::new();
        render(&dedup(entries), 0, "", &mut text, &mut ints, &mut 0);
        (text, ints)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn edits_change_exactly_the_intended_scalars(
        (text, ints) in document(),
        picks in prop::collection::vec((any::<prop::sample::Index>(), 0u64..1_000_000), 1..6),
    ) {
        prop_assume!(!ints.is_empty());
        let document = Document::parse("values.yaml", &text).unwrap();
        let mut edits: Vec<ScalarEdit> = Vec::new();
        for (index, value) in picks {
            let path = ValuePath::parse(&ints[index.index(ints.len())]).unwrap();
            edits.retain(|edit| edit.path != path);
            edits.push(ScalarEdit { path, new_value: value.to_string() });
        }
        let new_text = apply_edits(&document, &text, &edits).unwrap();

        // Every scalar reads the same after the edit, except the edited ones.
        let after = Document::parse("values.yaml", &new_text).unwrap();
        let before_scalars = document.scalars();
        let after_scalars = after.scalars();
        prop_assert_eq!(before_scalars.len(), after_scalars.len());
        for ((path, old), (new_path, new)) in before_scalars.iter().zip(after_scalars.iter()) {
            prop_assert_eq!(path, new_path);
            match edits.iter().find(|edit| &edit.path == path) {
                Some(edit) => prop_assert_eq!(&new.value, &edit.new_value),
                None => prop_assert_eq!(&new.value, &old.value),
            }
        }
        // Not one byte outside the edited scalars changed: lines without an edit are identical.
        let edited_lines: std::collections::BTreeSet<usize> = edits
            .iter()
            .map(|edit| before_scalars.iter().find(|(p, _)| p == &edit.path).unwrap().1.line)
            .collect();
        let old_lines: Vec<&str> = text.split('\n').collect();
        let new_lines: Vec<&str> = new_text.split('\n').collect();
        prop_assert_eq!(old_lines.len(), new_lines.len());
        for (number, (old, new)) in old_lines.iter().zip(new_lines.iter()).enumerate() {
            if !edited_lines.contains(&(number + 1)) {
                prop_assert_eq!(old, new, "line {} changed", number + 1);
            }
        }
    }

    #[test]
    fn a_parse_without_edits_is_byte_identical((text, _) in document()) {
        let document = Document::parse("values.yaml", &text).unwrap();
        prop_assert_eq!(apply_edits(&document, &text, &[]).unwrap(), text);
    }
}

fn edit(text: &str, path: &str, value: &str) -> Result<String, String> {
    let document = Document::parse("values.yaml", text).map_err(|err| err.to_string())?;
    apply_edits(
        &document,
        text,
        &[ScalarEdit {
            path: ValuePath::parse(path).unwrap(),
            new_value: value.into(),
        }],
    )
    .map_err(|err| err.to_string())
}

#[test]
fn keeps_quoting_style_and_comments() {
    let text = "a:\n  size: \"600Gi\"   # disk\n  other: '5'\n  n: 6 # nodes\n";
    assert_eq!(
        edit(text, "a.size", "900Gi").unwrap(),
        "a:\n  size: \"900Gi\"   # disk\n  other: '5'\n  n: 6 # nodes\n"
    );
    assert_eq!(
        edit(text, "a.other", "9").unwrap(),
        "a:\n  size: \"600Gi\"   # disk\n  other: '9'\n  n: 6 # nodes\n"
    );
    assert_eq!(
        edit(text, "a.n", "9").unwrap(),
        "a:\n  size: \"600Gi\"   # disk\n  other: '5'\n  n: 9 # nodes\n"
    );
}

#[test]
fn edits_flow_mappings_and_list_items() {
    let text =
        "ingester: {replicaCount: 6, x: y}\ntopics:\n  - {name: a, partitions: 12}\n  - name: b\n    partitions: 4\n";
    assert_eq!(
        edit(text, "ingester.replicaCount", "9").unwrap(),
        "ingester: {replicaCount: 9, x: y}\ntopics:\n  - {name: a, partitions: 12}\n  - name: b\n    partitions: 4\n"
    );
    assert_eq!(
        edit(text, "topics[1].partitions", "6").unwrap(),
        "ingester: {replicaCount: 6, x: y}\ntopics:\n  - {name: a, partitions: 12}\n  - name: b\n    partitions: 6\n"
    );
}

#[test]
fn keeps_crlf_and_non_ascii_text() {
    let text = "# café ☕\r\nglobal:\r\n  numNodes: 6\r\n  owner: \"Zoë\"\r\n";
    assert_eq!(
        edit(text, "global.numNodes", "9").unwrap(),
        "# café ☕\r\nglobal:\r\n  numNodes: 9\r\n  owner: \"Zoë\"\r\n"
    );
}

#[test]
fn refuses_what_it_cannot_edit_alone() {
    let cases = [
        ("a: &n 3\nb: *n\n", "a", "anchor shared by the aliases at line(s) 2"),
        ("a: &n 3\nb: *n\n", "b", "alias"),
        ("base: &b {r: 1}\nsvc:\n  <<: *b\n", "svc.r", "merge key"),
        ("a:\n  b: 1\n", "a", "a mapping, not a single value"),
        ("a: |\n  text\n", "a", "block scalar"),
        ("a: 1\n", "b", "not in the file"),
    ];
    for (text, path, expected) in cases {
        let err = edit(text, path, "9").unwrap_err();
        assert!(err.contains(expected), "{path} in {text:?}: {err}");
        assert!(err.starts_with("values.yaml"), "{err}");
    }
}

#[test]
fn parse_errors_name_the_line_and_the_fix() {
    let cases = [
        ("a: 1\nb: [1, 2\n", "values.yaml:3"),
        (
            "global:\n  numNodes: 6\n  numNodes: 7\n",
            "values.yaml:3: duplicate key `global.numNodes` (first defined at line 2)",
        ),
        ("a: 1\n---\nb: 2\n", "more than one YAML document"),
        ("- a\n- b\n", "the top level of the file is a list"),
        ("a:\n\tb: 1\n", "values.yaml:2"),
    ];
    for (text, expected) in cases {
        let err = Document::parse("values.yaml", text).unwrap_err().to_string();
        assert!(err.contains(expected), "{text:?}: {err}");
        assert!(err.contains("fix:"), "{err}");
    }
}

#[test]
fn refuses_a_file_too_large_to_be_a_values_file() {
    let text = "a: 1\n".repeat(4 * 1024 * 1024);
    let err = Document::parse("huge.yaml", &text).unwrap_err().to_string();
    assert!(err.contains("huge.yaml") && err.contains("bytes"), "{err}");
}
