//! A key name as the words a person reads in it: `adminPassword`, `DB_PASSWORD`, `x-api-key`,
//! `sasl.jaas.config` and `postgrespassword` all name a password or a key the same way, so the
//! rules (rules.rs) match whole words instead of substrings: `tokenizer` holds no `token` and
//! `keyspace` no `key`.

/// Secret words that are often glued to a prefix in all-lowercase keys (`postgrespassword`,
/// `clientsecret`): a word ending in one of them is read as two words. Only long words: a short
/// one (`pass`) would split `bypass` and `compass`.
const GLUED: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "credentials",
];

/// The lowercase words of `key`: split at `_ - . / :` and spaces, at camelCase humps
/// (`adminPassword`), at the end of an acronym (`DBPassword` -> db, password) and at a glued
/// secret word (`postgrespassword` -> postgres, password). Digits stay with the word before
/// them (`s3`, `oauth2`).
pub fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in key.split(|c: char| !c.is_alphanumeric()) {
        for word in humps(part) {
            unglue(&word.to_lowercase(), &mut out);
        }
    }
    out
}

/// `adminPassword` -> admin, Password; `DBPassword` -> DB, Password; `s3SecretKey` -> s3, Secret, Key.
fn humps(part: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = part.char_indices().collect();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..chars.len() {
        let (at, current) = chars[i];
        let previous = chars[i - 1].1;
        let next_is_lower = chars.get(i + 1).is_some_and(|(_, c)| c.is_lowercase());
        let hump = current.is_uppercase()
            && (previous.is_lowercase() || previous.is_ascii_digit() || (previous.is_uppercase() && next_is_lower));
        if hump {
            out.push(&part[start..at]);
            start = at;
        }
    }
    if start < part.len() {
        out.push(&part[start..]);
    }
    out
}

fn unglue(word: &str, out: &mut Vec<String>) {
    if let Some(glued) = GLUED.iter().find(|g| word.len() > g.len() && word.ends_with(*g)) {
        let prefix = &word[..word.len() - glued.len()];
        // `clientsecretkey` is not split twice: one level is what people glue.
        out.push(prefix.to_string());
        out.push(glued.to_string());
    } else {
        out.push(word.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(key: &str) -> Vec<String> {
        words(key)
    }

    #[test]
    fn splits_the_ways_keys_are_written() {
        assert_eq!(w("adminPassword"), ["admin", "password"]);
        assert_eq!(w("DB_PASSWORD"), ["db", "password"]);
        assert_eq!(w("x-api-key"), ["x", "api", "key"]);
        assert_eq!(w("sasl.jaas.config"), ["sasl", "jaas", "config"]);
        assert_eq!(w("DBPassword"), ["db", "password"]);
        assert_eq!(w("clientID"), ["client", "id"]);
        assert_eq!(w("s3SecretKey"), ["s3", "secret", "key"]);
        assert_eq!(w("oauth2Token"), ["oauth2", "token"]);
        assert_eq!(w(".dockerconfigjson"), ["dockerconfigjson"]);
        assert_eq!(w("postgrespassword"), ["postgres", "password"]);
        assert_eq!(w("PGPASSWORD"), ["pg", "password"]);
        assert_eq!(
            w("GF_SECURITY_ADMIN_PASSWORD__FILE"),
            ["gf", "security", "admin", "password", "file"]
        );
    }

    #[test]
    fn look_alike_words_stay_whole() {
        assert_eq!(w("tokenizer"), ["tokenizer"]);
        assert_eq!(w("keyspace"), ["keyspace"]);
        assert_eq!(w("bypass"), ["bypass"]);
        assert_eq!(w("authMode"), ["auth", "mode"]);
    }
}
