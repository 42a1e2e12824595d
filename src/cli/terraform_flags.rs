//! Terraform users type one dash: `-out FILE`, `-auto-approve`, `-lock-timeout=5m`. The flags
//! kfscale shares are rewritten to clap's two dashes before parsing (clap would read `-out` as
//! `-o ut`); the Terraform flags kfscale has no use for get a hint saying what to do instead,
//! rather than clap's "unexpected argument '-t'".
use std::ffi::OsString;

/// Flags kfscale spells as Terraform does, accepted with one dash.
const SHARED_FLAGS: &[&str] = &[
    "out",
    "detailed-exitcode",
    "auto-approve",
    "json",
    "no-color",
    "snapshot",
    "lock-timeout",
];

/// Terraform's flags that kfscale does not have, with what to do instead.
const TERRAFORM_ONLY: &[(&str, &str)] = &[
    (
        "target",
        "kfscale plans the whole scale-out, never a part of it: every step checks the live system first and skips what is already done",
    ),
    (
        "replace",
        "kfscale replaces nothing: a step that failed runs again on the next `kfscale apply`",
    ),
    (
        "refresh-only",
        "kfscale reads the live systems on every plan: `kfscale snapshot` shows what it sees, `kfscale plan` what would change",
    ),
    (
        "refresh",
        "kfscale always reads the live systems; to plan without them, `kfscale plan --snapshot FILE`",
    ),
    (
        "var",
        "kfscale takes no variables: the change is --nodes N or --add-nodes M, the settings live in kfscale.yaml",
    ),
    (
        "var-file",
        "kfscale takes no variable files: settings live in kfscale.yaml (--config FILE or KFSCALE_CONFIG)",
    ),
    (
        "lock",
        "the lock cannot be turned off; -lock-timeout=DURATION waits for a held one, `kfscale force-unlock ID` removes a dead holder's",
    ),
    ("input", "kfscale asks only for the approval: --auto-approve answers it"),
    (
        "parallelism",
        "kfscale runs its steps one after another, in the runbook's order",
    ),
    ("destroy", "kfscale only scales out: it never removes nodes or data"),
    (
        "state",
        "the state lives in state.dir of kfscale.yaml; `kfscale state list` shows it",
    ),
    (
        "state-out",
        "the state lives in state.dir of kfscale.yaml; `kfscale state list` shows it",
    ),
    (
        "backup",
        "the state is committed to git after every apply (history/<id>.json): git is its backup",
    ),
    ("compact-warnings", "kfscale prints each pre-check once, with its fix"),
    (
        "chdir",
        "run kfscale in that directory, or name the config with --config FILE",
    ),
];

/// The arguments with Terraform's one-dash spellings of shared flags turned into two dashes.
pub fn terraform_style_flags(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    args.into_iter()
        .map(|arg| match one_dash_name(&arg) {
            Some(name) if SHARED_FLAGS.contains(&name) => format!("-{}", arg.to_string_lossy()).into(),
            _ => arg,
        })
        .collect()
}

/// A hint for the first one-dash Terraform flag kfscale does not have, for the parse error.
pub fn terraform_only_hint(args: &[OsString]) -> Option<String> {
    args.iter().find_map(|arg| {
        let name = one_dash_name(arg)?;
        let (_, instead) = TERRAFORM_ONLY.iter().find(|(flag, _)| *flag == name)?;
        Some(format!(
            "`-{name}` is a Terraform flag kfscale does not have: {instead}"
        ))
    })
}

/// `out` of `-out` or `-out=FILE`; None for `--out`, `-o` style short flags and plain values.
fn one_dash_name(arg: &OsString) -> Option<&str> {
    let text = arg.to_str()?;
    let rest = text.strip_prefix('-').filter(|rest| !rest.starts_with('-'))?;
    let name = rest.split('=').next().unwrap_or(rest);
    // A short flag is one letter (`-v`, `-vv`, `-o FILE`): never a Terraform word.
    (name.len() > 1 && name.chars().all(|c| c.is_ascii_lowercase() || c == '-') && !is_repeated_short(name))
        .then_some(name)
}

/// `-vv`, `-vvv`: clap's counted short flags.
fn is_repeated_short(name: &str) -> bool {
    name.chars().all(|c| c == 'v')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn shared_flags_get_two_dashes_and_others_stay() {
        let rewritten = terraform_style_flags(args(&[
            "kfscale",
            "apply",
            "-auto-approve",
            "-lock-timeout=5m",
            "-out",
            "p.json",
            "-vv",
            "--json",
            "-target=x",
        ]));
        assert_eq!(
            rewritten,
            args(&[
                "kfscale",
                "apply",
                "--auto-approve",
                "--lock-timeout=5m",
                "--out",
                "p.json",
                "-vv",
                "--json",
                "-target=x"
            ])
        );
    }

    #[test]
    fn terraform_only_flags_get_a_hint_and_others_none() {
        let hint = terraform_only_hint(&args(&["kfscale", "plan", "-target=module.x"])).unwrap();
        assert!(hint.starts_with("`-target` is a Terraform flag"), "{hint}");
        assert!(terraform_only_hint(&args(&["kfscale", "plan", "-refresh-only"])).is_some());
        assert!(terraform_only_hint(&args(&["kfscale", "plan", "-var", "a=b"])).is_some());
        assert!(terraform_only_hint(&args(&["kfscale", "plan", "-vv", "--target"])).is_none());
        assert!(terraform_only_hint(&args(&["kfscale", "plan", "-frobnicate"])).is_none());
    }
}
