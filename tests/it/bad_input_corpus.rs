//! The bad-input corpus (`tests/bad-input/*.yaml`): each case is a command run in a workspace of
//! known-good inputs (example snapshots, a values file, a plan file, kfscale.yaml, a customer git
//! repo with a state directory) after the case's own damage is done to them. Every case must exit
//! 1 with a message naming the file, line or key and the fix, and change nothing: every file of the
//! workspace, the customer repo's `.git` and the state directory included, is hashed before and
//! after. Nothing here reaches a network: the config's endpoints point at a closed port, and every
//! case must fail before it would connect.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::common::customer::files_under;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What the case feeds kfscale, in a few words.
    what: String,
    /// kfscale's arguments, run in the workspace.
    args: Vec<String>,
    /// Damage done to the workspace before the run (and before the hashing).
    #[serde(default)]
    setup: Vec<Setup>,
    /// Texts stderr must contain: the file, line or key, and the fix.
    expect: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Setup {
    /// Writes `text` to `file`.
    Write { file: String, text: String },
    /// Keeps the first `keep` bytes of `file`.
    Truncate { file: String, keep: usize },
    /// Replaces the first `from` in `file` with `to`.
    Replace { file: String, from: String, to: String },
    /// `bytes` of seeded pseudo-random bytes (never valid UTF-8 text) in `file`.
    Garbage { file: String, bytes: usize },
    /// A `megabytes` MB YAML file of repeated valid entries.
    Large { file: String, megabytes: usize },
    /// Sets the JSON value at `pointer` in `file` (a plan file's checksum then no longer matches).
    JsonSet {
        file: String,
        pointer: String,
        value: serde_json::Value,
    },
    /// Rewrites the plan file `from` as a correctly checksummed plan file `file` made against the
    /// state `lineage`/`serial`.
    PlanForState {
        from: String,
        file: String,
        lineage: String,
        serial: u64,
    },
    /// Deletes `file`.
    Remove { file: String },
}

/// The state directory's lineage in every workspace.
const LINEAGE: &str = "6d1c3a4e-0000-4000-8000-00000000cafe";

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new(kfscale: &Path) -> Result<Workspace> {
        let dir = tempfile::tempdir()?;
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let ws = Workspace { dir };
        std::fs::copy(
            root.join("examples/snapshots/eks-kraft-6-nodes.json"),
            ws.path("eks.json"),
        )?;
        std::fs::copy(
            root.join("examples/snapshots/gke-legacy-3-nodes.json"),
            ws.path("gke.json"),
        )?;
        std::fs::copy(root.join("examples/values/kraft-values.yaml"), ws.path("values.yaml"))?;
        // The customer repo: the values file committed, a state directory with a state.
        let customer = ws.path("customer");
        std::fs::create_dir_all(customer.join(".kfscale"))?;
        std::fs::copy(
            root.join("examples/values/kraft-values.yaml"),
            customer.join("values.yaml"),
        )?;
        git(&customer, &["init", "-q", "-b", "main"])?;
        git(&customer, &["add", "values.yaml"])?;
        git(
            &customer,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "commit",
                "-q",
                "-m",
                "values",
            ],
        )?;
        // Written as a file, not through StateStore::save: save only writes over the state it
        // read, and this workspace starts with a state at serial 3 that nobody wrote before.
        let state = kfscale::state::State {
            format_version: kfscale::state::STATE_FORMAT_VERSION,
            lineage: LINEAGE.into(),
            serial: 3,
            cluster: "acme-prod/kfuse".into(),
            run: None,
        };
        let state_dir = customer.join(".kfscale");
        std::fs::create_dir_all(&state_dir)?;
        std::fs::write(
            state_dir.join(kfscale::state::STATE_FILE),
            kfscale::state::encode_state(&state)?,
        )?;
        std::fs::write(
            ws.path("kubeconfig"),
            "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: \"https://127.0.0.1:9\"}}]\n\
             users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
        )?;
        std::fs::write(
            ws.path("kfscale.yaml"),
            "cluster:\n  aws: {region: us-east-1, cluster: acme-prod, nodegroup: kfuse, endpoint: \"http://127.0.0.1:9\"}\n\
             kubernetes: {kubeconfig: kubeconfig, namespace: kfuse}\n\
             helm: {release: kfuse, chart: oci://example.invalid/kfuse}\n\
             values: {file: customer/values.yaml}\n\
             git: {repo: customer, branch: main}\n\
             profile: {base: kraft}\n\
             state: {dir: customer/.kfscale}\n",
        )?;
        // A good plan file, made against the workspace's state.
        let made = Command::new(kfscale)
            .args(["plan", "--snapshot", "eks.json", "--nodes", "9", "--out", "plan.json"])
            .current_dir(ws.dir.path())
            .output()?;
        ensure!(
            made.status.success(),
            "plan -out: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        let plan = kfscale::files::read_plan_file(&ws.path("plan.json"))?;
        write_plan_for_state(&ws.path("plan.json"), plan, LINEAGE, 3)?;
        Ok(ws)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn apply(&self, setup: &Setup) -> Result<()> {
        match setup {
            Setup::Write { file, text } => std::fs::write(self.path(file), text)?,
            Setup::Truncate { file, keep } => {
                let bytes = std::fs::read(self.path(file))?;
                std::fs::write(self.path(file), &bytes[..(*keep).min(bytes.len())])?;
            }
            Setup::Replace { file, from, to } => {
                let text = std::fs::read_to_string(self.path(file))?;
                ensure!(text.contains(from.as_str()), "{file} has no {from:?}");
                std::fs::write(self.path(file), text.replacen(from.as_str(), to, 1))?;
            }
            Setup::Garbage { file, bytes } => {
                let mut state = 0x9E37_79B9_7F4A_7C15u64;
                let garbage: Vec<u8> = (0..*bytes)
                    .map(|i| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        // An invalid UTF-8 lead byte now and then keeps it from ever being text.
                        if i % 64 == 0 { 0xff } else { state as u8 }
                    })
                    .collect();
                std::fs::write(self.path(file), garbage)?;
            }
            Setup::Large { file, megabytes } => {
                let mut text = String::from("global:\n  numNodes: 6\nfiller:\n");
                let mut i = 0;
                while text.len() < megabytes * 1024 * 1024 {
                    text += &format!("  key{i}: value-{i}-padding-padding-padding\n");
                    i += 1;
                }
                std::fs::write(self.path(file), text)?;
            }
            Setup::JsonSet { file, pointer, value } => {
                let text = std::fs::read_to_string(self.path(file))?;
                let mut json: serde_json::Value = serde_json::from_str(&text)?;
                *json
                    .pointer_mut(pointer)
                    .with_context(|| format!("{file} has no {pointer}"))? = value.clone();
                std::fs::write(self.path(file), serde_json::to_string(&json)?)?;
            }
            Setup::PlanForState {
                from,
                file,
                lineage,
                serial,
            } => {
                let plan = kfscale::files::read_plan_file(&self.path(from))?;
                write_plan_for_state(&self.path(file), plan, lineage, *serial)?;
            }
            Setup::Remove { file } => std::fs::remove_file(self.path(file))?,
        }
        Ok(())
    }

    /// Every file under the workspace (the customer repo's `.git` and state directory included)
    /// with its sha256.
    fn hashes(&self) -> Result<BTreeMap<String, String>> {
        let mut hashes = BTreeMap::new();
        for path in files_under(self.dir.path())? {
            let relative = path.strip_prefix(self.dir.path())?.display().to_string();
            hashes.insert(relative, hex::encode(Sha256::digest(std::fs::read(&path)?)));
        }
        Ok(hashes)
    }
}

fn write_plan_for_state(path: &Path, mut plan: kfscale::plan::Plan, lineage: &str, serial: u64) -> Result<()> {
    plan.state = Some(kfscale::plan::StateRef {
        lineage: lineage.into(),
        serial,
    });
    kfscale::files::write_plan_file(path, &plan)?;
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<()> {
    let status = Command::new("git").args(args).current_dir(dir).status()?;
    ensure!(status.success(), "git {args:?} failed");
    Ok(())
}

fn cases() -> Result<Vec<(String, Case)>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input");
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path)?;
            // Read with kfscale's own YAML reader (no second YAML crate for the tests).
            let shown = path.display().to_string();
            let document = kfscale::values::Document::parse(&shown, &text)?;
            let case: Case =
                serde_json::from_value(kfscale::values::json::to_json(&document)).with_context(|| shown.clone())?;
            cases.push((
                path.file_stem().unwrap_or_default().to_string_lossy().into_owned(),
                case,
            ));
        }
    }
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(cases)
}

/// Runs one case; Err says what went wrong with it.
fn run(kfscale: &Path, name: &str, case: &Case) -> Result<()> {
    let ws = Workspace::new(kfscale)?;
    for setup in &case.setup {
        ws.apply(setup).with_context(|| format!("setting up {setup:?}"))?;
    }
    let before = ws.hashes()?;
    let output = Command::new(kfscale)
        .args(&case.args)
        .current_dir(ws.dir.path())
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() != Some(1) {
        bail!(
            "{name} ({}): exit {:?}, not 1; stderr:\n{stderr}",
            case.what,
            output.status.code()
        );
    }
    let missing: Vec<&String> = case.expect.iter().filter(|t| !stderr.contains(t.as_str())).collect();
    if !missing.is_empty() {
        bail!("{name} ({}): stderr lacks {missing:?}:\n{stderr}", case.what);
    }
    if !stderr.contains("fix") {
        bail!("{name} ({}): the message names no fix:\n{stderr}", case.what);
    }
    let after = ws.hashes()?;
    if after != before {
        let changed: Vec<&String> = after
            .keys()
            .chain(before.keys())
            .filter(|k| after.get(*k) != before.get(*k))
            .collect();
        bail!("{name} ({}): files written or changed: {changed:?}", case.what);
    }
    Ok(())
}

#[test]
fn every_bad_input_exits_1_naming_the_place_and_the_fix_and_writes_nothing() -> Result<()> {
    let kfscale = Path::new(env!("CARGO_BIN_EXE_kfscale"));
    let cases = cases()?;
    ensure!(cases.len() >= 40, "the corpus has only {} cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, case)| run(kfscale, name, case).err().map(|e| format!("{e:#}")))
        .collect();
    eprintln!("bad-input corpus: {} cases, {} failed", cases.len(), failures.len());
    ensure!(failures.is_empty(), "{}", failures.join("\n\n"));
    Ok(())
}
