//! Value shapes that are secrets under any key: a PEM block under `material:`, a JWT under
//! `header:`, a password inside a database URL or a JAAS line, a vendor's token wherever it is
//! pasted. Each shape says which part of the value is the secret, so that part can be scrubbed
//! from free text (an error message that quotes the URL) as well as the value itself.
use std::sync::LazyLock;

use base64::Engine;
use regex::Regex;

use super::inert::is_placeholder;
use super::rules::judge_key;

/// One secret found in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub rule: &'static str,
    /// The exact secret text inside the value (the password of a URL, the token in a sentence).
    pub secret: String,
    /// The whole value is the secret (a PEM block, a docker config), not only `secret`.
    pub whole: bool,
}

/// A shape: a pattern, which capture group is the secret (0: the whole match), and whether the
/// whole value is secret once the pattern is seen in it.
struct Shape {
    rule: &'static str,
    pattern: &'static str,
    group: usize,
    whole: bool,
}

/// The shape list. Vendor prefixes follow each vendor's published token format.
const SHAPES: &[Shape] = &[
    Shape {
        rule: "PEM block",
        pattern: r"-----BEGIN [A-Z0-9 ]{0,40}-----",
        group: 0,
        whole: true,
    },
    // base64 of "-----BEGIN": a PEM block as Kubernetes Secret data carries it.
    Shape {
        rule: "base64 PEM block",
        pattern: r"\bLS0tLS1CRUdJT[A-Za-z0-9+/=]*",
        group: 0,
        whole: true,
    },
    Shape {
        rule: "docker config",
        pattern: r#""auths"\s*:"#,
        group: 0,
        whole: true,
    },
    Shape {
        rule: "JWT",
        pattern: r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*",
        group: 0,
        whole: false,
    },
    // scheme://user:password@host: the password; `https://host:8443/a@b` has no `@` before its path.
    Shape {
        rule: "URL credentials",
        pattern: r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:([^/\s@]+)@",
        group: 1,
        whole: false,
    },
    Shape {
        rule: "AWS access key id",
        pattern: r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}",
        group: 0,
        whole: false,
    },
    Shape {
        rule: "GitHub token",
        pattern: r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
        group: 0,
        whole: false,
    },
    Shape {
        rule: "GitLab token",
        pattern: r"\bglpat-[A-Za-z0-9_-]{20,}",
        group: 0,
        whole: false,
    },
    Shape {
        rule: "Slack token",
        pattern: r"\b(?:xox[abposr]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})",
        group: 0,
        whole: false,
    },
    // The path of a webhook URL is its credential: anyone holding it can post.
    Shape {
        rule: "Slack webhook",
        pattern: r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+",
        group: 0,
        whole: false,
    },
    Shape {
        rule: "Discord or Teams webhook",
        pattern: r"https://(?:(?:discord|discordapp)\.com/api/webhooks|[A-Za-z0-9.-]*webhook\.office\.com)/[A-Za-z0-9/@._-]+",
        group: 0,
        whole: false,
    },
    Shape {
        rule: "Google API key",
        pattern: r"\bAIza[0-9A-Za-z_-]{35}",
        group: 0,
        whole: false,
    },
    Shape {
        rule: "Stripe key",
        pattern: r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}",
        group: 0,
        whole: false,
    },
    Shape {
        rule: "npm token",
        pattern: r"\bnpm_[A-Za-z0-9]{36}",
        group: 0,
        whole: false,
    },
    Shape {
        rule: "Grafana token",
        pattern: r"\bgl(?:sa|c)_[A-Za-z0-9_=+/-]{20,}",
        group: 0,
        whole: false,
    },
    Shape {
        rule: "SendGrid key",
        pattern: r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}",
        group: 0,
        whole: false,
    },
    // Not after a `-`: `disk-sk-live-...` is a name. Project and Anthropic keys carry a kind;
    // legacy keys are one long run of letters and digits.
    Shape {
        rule: "OpenAI or Anthropic key",
        pattern: r"(?:^|[^A-Za-z0-9_-])(sk-(?:proj|ant|svcacct|admin)-[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9]{32,})",
        group: 1,
        whole: false,
    },
    // An Authorization header's credential. Capitalised, with a digit or a symbol in it, so prose
    // such as "Basic authentication" is not one.
    Shape {
        rule: "HTTP credentials",
        pattern: r"\b(?:Basic|Bearer) ([A-Za-z0-9._~+/=-]*[0-9+/=._~-][A-Za-z0-9._~+/=-]*)",
        group: 1,
        whole: false,
    },
];

/// `name=value` or `name: value` inside a string (a JDBC URL's `password=`, a JAAS line's
/// `password="..."`, an Azure `AccountKey=`, a config block pasted under one key): the value is a
/// secret when the key rules (rules.rs) say `name` is.
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    // Only the name and its `=`/`:`: the value is read by `value_at`, so a long value (a URL)
    // cannot swallow the next assignment (`https://host/x?api_key=...`).
    compile(r#"(?m)(?:^|[^A-Za-z0-9_.-])["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?[ \t]*[=:][ \t]*"#)
});

/// The value that starts at `text[at..]`: quoted, a placeholder (`${X}`, `{{ .X }}`, `$(X)`, seen
/// whole so it is judged inert), or a run up to the next separator.
static VALUE: LazyLock<Regex> = LazyLock::new(|| {
    compile(r#"^(?:"[^"\n]*"|'[^'\n]*'|\$\{[^}\n]*\}|\{\{[^}\n]*\}\}|\$\([^)\n]*\)|[^\s;&,"'})\]]+)"#)
});

static COMPILED: LazyLock<Vec<Regex>> = LazyLock::new(|| SHAPES.iter().map(|shape| compile(shape.pattern)).collect());

/// Below this, a base64-looking value is not decoded: short words are base64 too.
const MIN_BASE64_CHARS: usize = 16;

/// The secrets in `value`, by shape.
pub fn find(value: &str) -> Vec<Hit> {
    let mut hits = direct(value);
    if hits.is_empty()
        && let Some(decoded) = base64_text(value)
        && let Some(inner) = direct(&decoded).into_iter().next()
    {
        hits.push(Hit {
            rule: base64_rule(inner.rule),
            secret: value.trim().to_string(),
            whole: true,
        });
    }
    hits
}

fn direct(value: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (shape, regex) in SHAPES.iter().zip(COMPILED.iter()) {
        for captures in regex.captures_iter(value) {
            let Some(found) = captures.get(shape.group) else {
                continue;
            };
            let secret = found.as_str();
            if shape.rule == "HTTP credentials" && secret.len() < 8 {
                continue;
            }
            if !is_placeholder(secret) {
                hits.push(Hit {
                    rule: shape.rule,
                    secret: secret.to_string(),
                    whole: shape.whole,
                });
            }
        }
    }
    for captures in ASSIGNMENT.captures_iter(value) {
        let (Some(name), Some(whole)) = (captures.get(1), captures.get(0)) else {
            continue;
        };
        let Some(raw) = VALUE.find(&value[whole.end()..]) else {
            continue;
        };
        let secret = unquote(raw.as_str());
        // `Authorization: Basic ...`: the scheme is no secret; "HTTP credentials" takes what follows.
        let scheme = matches!(secret, "Basic" | "Bearer" | "Digest" | "Negotiate" | "Token" | "token");
        if judge_key(name.as_str()).is_secret() && !scheme && !super::inert::is_inert(secret) {
            hits.push(Hit {
                rule: "name=value inside a string",
                secret: secret.to_string(),
                whole: false,
            });
        }
    }
    hits
}

fn unquote(raw: &str) -> &str {
    let quoted =
        raw.len() >= 2 && (raw.starts_with('"') && raw.ends_with('"') || raw.starts_with('\'') && raw.ends_with('\''));
    if quoted { &raw[1..raw.len() - 1] } else { raw }
}

/// The text a base64 value decodes to, when it is base64 of text (Secret data, a docker config).
fn base64_text(value: &str) -> Option<String> {
    // Wrapped base64 (PEM bodies, `base64 -w 76`) is one value; spaces make it prose.
    let compact: String = value.trim().chars().filter(|c| *c != '\n' && *c != '\r').collect();
    let alphabet = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_' | '=');
    if compact.len() < MIN_BASE64_CHARS || !compact.chars().all(alphabet) {
        return None;
    }
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let bytes = engines.iter().find_map(|engine| engine.decode(&compact).ok())?;
    String::from_utf8(bytes).ok()
}

fn base64_rule(inner: &'static str) -> &'static str {
    match inner {
        "docker config" => "base64 docker config",
        "URL credentials" => "base64 of URL credentials",
        "name=value inside a string" => "base64 of name=value",
        _ => "base64 of a secret shape",
    }
}

/// The patterns are constants checked by the unit tests below, so a failure here is a bug in
/// this file, found by `cargo test` before any release.
fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|err| panic!("secret shape {pattern}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(value: &str) -> Vec<String> {
        find(value).into_iter().map(|hit| hit.secret).collect()
    }

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(COMPILED.len(), SHAPES.len());
        LazyLock::force(&ASSIGNMENT);
        LazyLock::force(&VALUE);
    }

    #[test]
    fn url_passwords_are_the_part_after_the_colon() {
        assert_eq!(secrets("postgres://kfuse:pw0rd@db:5432/kfuse"), ["pw0rd"]);
        assert_eq!(secrets("see https://u:p4ss@host/x and more"), ["p4ss"]);
        assert_eq!(secrets("redis://:r3dis-pw@redis:6379/0"), ["r3dis-pw"]);
        assert!(secrets("https://user@host/x").is_empty());
        assert!(secrets("https://host:8443/a@b").is_empty());
        assert!(secrets("postgres://kfuse:${PGPASS}@db/kfuse").is_empty());
    }

    #[test]
    fn embedded_assignments_follow_the_key_rules() {
        assert_eq!(
            secrets("jdbc:postgresql://db:5432/kfuse?user=kfuse&password=Jdbc-pw1"),
            ["Jdbc-pw1"]
        );
        assert_eq!(
            secrets(
                r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="kfuse" password="jaas-pw-9";"#
            ),
            ["jaas-pw-9"]
        );
        assert_eq!(
            secrets(
                "DefaultEndpointsProtocol=https;AccountName=kf;AccountKey=abc/def+123==;EndpointSuffix=core.windows.net"
            ),
            ["abc/def+123=="]
        );
        assert!(secrets("user=kfuse&sslmode=require&tokenizer=std").is_empty());
        assert_eq!(
            secrets("https://api.example.io/v1/feed.json?api_key=Qs-1&x=2"),
            ["Qs-1"]
        );
        assert!(secrets("password: ${DB_PASSWORD}").is_empty());
    }

    #[test]
    fn vendor_tokens_anywhere() {
        let github = format!("https://ghp_{}@github.com/acme/values.git", "a".repeat(36));
        assert_eq!(secrets(&github), [format!("ghp_{}", "a".repeat(36))]);
        assert_eq!(secrets("xoxb-1234567890-abcdefghij"), ["xoxb-1234567890-abcdefghij"]);
        assert_eq!(secrets("AKIAIOSFODNN7EXAMPLE"), ["AKIAIOSFODNN7EXAMPLE"]);
        assert_eq!(secrets("Authorization: Bearer abc.def-123"), ["abc.def-123"]);
        assert!(secrets("Basic authentication is off").is_empty());
    }

    #[test]
    fn whole_value_shapes() {
        let pem = find("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
        assert!(pem.iter().any(|hit| hit.whole && hit.rule == "PEM block"));
        let docker = r#"{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz"}}}"#;
        assert!(find(docker).iter().any(|hit| hit.whole));
        let encoded = base64::engine::general_purpose::STANDARD.encode(docker);
        assert_eq!(find(&encoded)[0].rule, "base64 docker config");
    }

    #[test]
    fn look_alikes_are_not_secrets() {
        for value in [
            "J7s9dHqYQ9mXr1vKp2bT4w",
            "registry.example.com/kfuse/pause@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "topology.kubernetes.io/zone",
            "https://kfuse@grafana.example.com/d/abc",
            "disk-sk-live-region-with-a-long-name",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@acme",
        ] {
            assert!(find(value).is_empty(), "{value}: {:?}", find(value));
        }
    }
}
