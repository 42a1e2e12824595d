//! The secrets corpus (tests/secrets/corpus.yaml, #14 item 7): every secret shape in it is hidden
//! (by structure in the values shown, by value from free text) and every look-alike stays visible,
//! through the library and through the real binary.
use std::path::Path;
use std::process::Command;

use kfscale::values::Document;
use kfscale::values::json::to_json;
use kfscale::values::secrets::{document_needles, redact_json, redacted_text};

struct Case {
    secret: bool,
    text: String,
    why: String,
}

fn corpus_path() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/secrets/corpus.yaml")
        .display()
        .to_string()
}

/// The corpus's text with its case comments blanked (they quote each secret; the structural
/// checks must not see them) and its cases.
fn corpus() -> (String, Vec<Case>) {
    let text = std::fs::read_to_string(corpus_path()).unwrap();
    let mut cases = Vec::new();
    let mut body = String::new();
    for line in text.lines() {
        let marker = line
            .strip_prefix("  # secret(")
            .map(|rest| (true, rest))
            .or_else(|| line.strip_prefix("  # keep(").map(|rest| (false, rest)));
        match marker {
            Some((secret, rest)) => {
                let (text, why) = rest.split_once("): ").expect("a case comment: `# secret(TEXT): why`");
                cases.push(Case {
                    secret,
                    text: text.to_string(),
                    why: why.to_string(),
                });
                body.push('\n');
            }
            None => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    (body, cases)
}

/// The cases `shown` gets wrong: a secret it shows, a look-alike it hides.
fn wrong(cases: &[Case], shown: &str) -> Vec<String> {
    cases
        .iter()
        .filter(|case| shown.contains(&case.text) == case.secret)
        .map(|case| {
            let what = if case.secret {
                "secret shown"
            } else {
                "look-alike hidden"
            };
            format!("{what}: {} ({})", case.text, case.why)
        })
        .collect()
}

#[test]
fn the_corpus_has_enough_cases() {
    let (_, cases) = corpus();
    let secrets = cases.iter().filter(|case| case.secret).count();
    assert!(secrets >= 30, "{secrets} secret shapes");
    assert!(cases.len() - secrets >= 10, "{} look-alikes", cases.len() - secrets);
}

#[test]
fn every_secret_shape_is_hidden_and_every_look_alike_kept_in_the_values_shown() {
    let (body, cases) = corpus();
    let document = Document::parse("corpus.yaml", &body).unwrap();
    let shown = redacted_text(&document, &body);
    let wrong_in_text = wrong(&cases, &shown);
    assert!(wrong_in_text.is_empty(), "redacted_text:\n{}", wrong_in_text.join("\n"));
    // The JSON form (Helm's user values) by the same rules.
    let mut json = to_json(&document);
    redact_json(&mut json);
    let wrong_in_json = wrong(&cases, &serde_json::to_string(&json).unwrap().replace("\\/", "/"));
    assert!(wrong_in_json.is_empty(), "redact_json:\n{}", wrong_in_json.join("\n"));
}

#[test]
fn every_secret_is_scrubbed_from_free_text_and_no_look_alike_is() {
    let (body, cases) = corpus();
    let document = Document::parse("corpus.yaml", &body).unwrap();
    kfscale::scrub::register(document_needles(&document, &body));
    let mut leaks = Vec::new();
    for case in &cases {
        // As helm's stderr, a log line's debug quoting and a JSON event would carry it.
        let said = format!("Error: UPGRADE FAILED: {} refused", case.text);
        for form in [said.clone(), format!("{said:?}"), serde_json::to_string(&said).unwrap()] {
            let scrubbed = kfscale::scrub::text(&form);
            if scrubbed.contains(&case.text) == case.secret {
                let what = if case.secret { "not scrubbed" } else { "scrubbed" };
                leaks.push(format!("{what}: {} ({}) in {form}", case.text, case.why));
            }
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}

#[test]
fn kfscale_redact_hides_every_secret_even_in_comments_and_keeps_every_look_alike() {
    let (_, cases) = corpus();
    let path = corpus_path();
    for json in [false, true] {
        let mut args = vec!["redact", "--values", path.as_str()];
        if json {
            args.push("--json");
        }
        let output = Command::new(env!("CARGO_BIN_EXE_kfscale"))
            .args(&args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8(output.stdout).unwrap();
        // The case comments quote every secret: only the stdout door's scrubbing removes them.
        let mut problems = wrong(&cases, &stdout);
        if !json {
            let comments = stdout.lines().filter(|line| line.starts_with("  # secret(")).count();
            assert!(comments >= 30, "the comments were dropped:\n{stdout}");
        }
        problems.sort();
        assert!(
            problems.is_empty(),
            "kfscale redact (json: {json}):\n{}",
            problems.join("\n")
        );
    }
}

#[test]
fn scale_values_prints_the_customer_file_with_its_secrets_and_nothing_else_does() {
    let values = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/values/kraft-values.yaml");
    let output = Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .args([
            "scale-values",
            "--values",
            values.to_str().unwrap(),
            "--from-nodes",
            "6",
            "--to-nodes",
            "9",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    // The rewritten file is the operator's to save: a `(sensitive)` in it would break the release.
    for secret in ["s3cr3t-Pa55word", "hunter2-db-pass", "okta-client-secret-value"] {
        assert!(stdout.contains(secret), "the printed file lost {secret}");
        assert!(!stderr.contains(secret), "stderr shows {secret}:\n{stderr}");
    }
    assert!(stderr.contains("change(s)"), "{stderr}");
}
