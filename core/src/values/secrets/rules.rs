//! The key-name rules: what a key's words say about the value under it. A key names its last
//! word, as English compounds do: `adminPassword` is a password, `passwordPolicy` a policy,
//! `secretName` a name, `tokenUrl` a URL, `authMode` a mode. So the last word (the head) decides,
//! and the words before it only qualify it. The lists below are the whole rule set; docs/secrets.md
//! explains each choice.
use super::words::words;

/// What a key says about its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The value is a secret (`password`, `clientSecret`, `licenseKey`).
    Secret(&'static str),
    /// The value and everything under it are secrets (`credentials:`, `auths:`, `extraSecrets:`),
    /// except what names something (a `name:` under `imagePullSecrets`).
    Container(&'static str),
    /// The value names a secret, or where one is, and is not one (`secretName`,
    /// `existingSecret`, `passwordFile`, `secretKeyRef`). It stays visible.
    Reference(&'static str),
    /// Nothing secret about the name.
    Plain,
}

impl Verdict {
    pub fn is_secret(self) -> bool {
        matches!(self, Verdict::Secret(_) | Verdict::Container(_))
    }
}

/// Heads whose value is a secret.
const SECRET_HEADS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "passphrase",
    "passcode",
    "secret",
    "token",
    "jwt",
    "bearer",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "credential",
    "dsn",
    "webhook",
    "license",
    "licence",
    // A value under `auth` is a credential (docker's `auth`, `basicAuth: user:pass`); `authMode`
    // and `authType` have other heads.
    "auth",
    "authorization",
    "cookie",
    "salt",
    "htpasswd",
    // TLS material: a certificate is public, but it travels with its key and tells a reviewer
    // nothing; kfscale has always hidden it.
    "cert",
    "crt",
    "certificate",
    "pem",
    "keystore",
    "truststore",
    "jks",
    "pfx",
    "p12",
];

/// Heads whose whole subtree is secret.
const CONTAINER_HEADS: &[&str] = &["credentials", "creds", "secrets", "auths", "passwords", "tokens"];

/// `key` and `keys` are secret only after one of these: `apiKey`, `accessKey`, `licenseKey`. Alone
/// or after another word a key is a lookup key (`topologyKey`, a toleration's `key`,
/// `partitionKey`, `kmsKeyId`) or a public one (`publicKey`).
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "license",
    "licence",
    "encryption",
    "signing",
    "master",
    "auth",
    "client",
    "shared",
    "session",
    "hmac",
    "ssh",
    "gpg",
    "pgp",
    "aes",
    "account",
    "storage",
    "ingest",
    "ingestion",
    "sas",
    "subscription",
    "write",
    "admin",
    "app",
    "root",
    "service",
    "instrumentation",
];

/// Word runs that make a key secret wherever they stand: `sasl.jaas.config` (a JAAS login line
/// carries the password), `connectionString`, `dockerConfigJson`. Not `kubeconfig`: kfscale.yaml's
/// names a file; a kubeconfig pasted into values is caught by its own keys (`token:`,
/// `client-key-data:`) inside the string.
const SECRET_PHRASES: &[&[&str]] = &[
    &["jaas"],
    &["connection", "string"],
    &["conn", "string"],
    &["dockerconfigjson"],
    &["dockercfg"],
    &["docker", "config"],
];

/// Heads that point at something instead of holding it: `secretName`, `passwordFile`,
/// `tokenPath`, `secretKeyRef`, `certMountPath`.
const REFERENCE_HEADS: &[&str] = &[
    "name",
    "names",
    "ref",
    "refs",
    "reference",
    "file",
    "files",
    "filename",
    "path",
    "paths",
    "dir",
    "directory",
    "location",
    "arn",
    "id",
    "ids",
];

/// What a Secret called `<this>Secret` holds: `tlsSecret`, `passwordSecret` and
/// `imagePullSecret` name a Kubernetes Secret; `clientSecret`, `jwtSecret` and `webhookSecret`
/// are secrets (their first word is not here).
const SECRET_HOLDERS: &[&str] = &[
    "tls",
    "ssl",
    "cert",
    "certificate",
    "ca",
    "password",
    "credentials",
    "creds",
    "license",
    "licence",
    "keystore",
    "truststore",
    "pull",
    "registry",
];

/// Trailing words that say how a value is stored, not what it is: `passwordHash`, `tokenValue`,
/// `secretData`, `passwordB64`.
const TRANSPARENT: &[&str] = &[
    "value",
    "values",
    "data",
    "b64",
    "base64",
    "encoded",
    "string",
    "str",
    "raw",
    "plain",
    "plaintext",
    "text",
    "hash",
    "hashed",
    "enc",
    "encrypted",
    "content",
    "contents",
    "bytes",
];

/// The verdict on one key name.
pub fn judge_key(key: &str) -> Verdict {
    let words = words(key);
    judge_words(&words)
}

fn judge_words(words: &[String]) -> Verdict {
    let Some(last) = words.last() else {
        return Verdict::Plain;
    };
    if words.len() > 1 && words[0] == "existing" {
        return Verdict::Reference("existing*: names an existing Secret");
    }
    if REFERENCE_HEADS.contains(&last.as_str()) {
        return Verdict::Reference("names or locates a secret, does not hold one");
    }
    if let Some(rule) = names_a_secret(words) {
        return Verdict::Reference(rule);
    }
    if let Some(phrase) = SECRET_PHRASES.iter().find(|phrase| {
        words
            .windows(phrase.len())
            .any(|run| run.iter().zip(phrase.iter()).all(|(a, b)| a == b))
    }) {
        return Verdict::Secret(phrase_rule(phrase));
    }
    // `passwordHash` is a password; `value` alone stays `value` (a one-word key has no head to strip to).
    let mut end = words.len();
    while end > 1 && TRANSPARENT.contains(&words[end - 1].as_str()) {
        end -= 1;
    }
    let head = words[end - 1].as_str();
    let before = end.checked_sub(2).map(|i| words[i].as_str());
    if let Some(rule) = CONTAINER_HEADS.iter().find(|h| **h == head) {
        return Verdict::Container(rule);
    }
    if let Some(rule) = SECRET_HEADS.iter().find(|h| **h == head) {
        return Verdict::Secret(rule);
    }
    if matches!(head, "key" | "keys") && before.is_some_and(|b| KEY_QUALIFIERS.contains(&b)) {
        return Verdict::Secret("<qualifier>Key: an API, access, license or private key");
    }
    Verdict::Plain
}

/// `tlsSecret`, `passwordSecret`: the name of a Kubernetes Secret that holds the first word.
/// `passwordSecretKey`, `tlsSecretKey`: the name of a key inside such a Secret.
fn names_a_secret(words: &[String]) -> Option<&'static str> {
    let n = words.len();
    let is = |i: usize, word: &str| words.get(i).is_some_and(|w| w == word);
    let holder = |i: usize| words.get(i).is_some_and(|w| SECRET_HOLDERS.contains(&w.as_str()));
    if n >= 2 && is(n - 1, "secret") && holder(n - 2) {
        return Some("<what>Secret: names the Secret holding it");
    }
    if n >= 3 && (is(n - 1, "key") || is(n - 1, "keys")) && is(n - 2, "secret") && holder(n - 3) {
        return Some("<what>SecretKey: names a key inside a Secret");
    }
    None
}

fn phrase_rule(phrase: &[&str]) -> &'static str {
    match phrase {
        ["jaas"] => "jaas: a JAAS login line carries the password",
        ["connection" | "conn", "string"] => "connection string: carries the password or account key",
        _ => "docker config: registry credentials",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(key: &str) -> bool {
        judge_key(key).is_secret()
    }

    #[test]
    fn secret_names() {
        for key in [
            "password",
            "adminPassword",
            "DB_PASSWORD",
            "dbPass",
            "pwd",
            "jwt",
            "bearer",
            "apiToken",
            "clientSecret",
            "aws_secret_access_key",
            "licenseKey",
            "apiKey",
            "x-api-key",
            "sasl.jaas.config",
            "connectionString",
            ".dockerconfigjson",
            "auth",
            "basicAuth",
            "passwordHash",
            "tls.crt",
            "secretKey",
            "awsSecretKey",
            "postgrespassword",
            "PGPASSWORD",
            "dsn",
            "slackWebhook",
        ] {
            assert!(secret(key), "{key} should be secret: {:?}", judge_key(key));
        }
        for key in ["credentials", "auths", "extraSecrets", "imagePullSecrets", "passwords"] {
            assert!(matches!(judge_key(key), Verdict::Container(_)), "{key}");
        }
    }

    #[test]
    fn names_that_only_look_secret() {
        for key in [
            "tokenizer",
            "keyspace",
            "secretName",
            "existingSecret",
            "existingSecretPasswordKey",
            "authMode",
            "authType",
            "clientID",
            "clientId",
            "publicKey",
            "keyFile",
            "passwordFile",
            "POSTGRES_PASSWORD_FILE",
            "secretKeyRef",
            "tlsSecret",
            "imagePullSecret",
            "passwordSecretKey",
            "topologyKey",
            "key",
            "kmsKeyId",
            "tokenTTL",
            "tokenUrl",
            "passwordPolicy",
            "accessKeyId",
            "bypass",
            "passThrough",
            "value",
        ] {
            assert!(!secret(key), "{key} should stay visible: {:?}", judge_key(key));
        }
    }
}
