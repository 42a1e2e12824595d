//! The review flow's other side: the customer remote reached over a bare path or over smart HTTP
//! (`git http-backend`), and a reviewer's clone of it that merges review branches the ways the
//! hosting platforms do (a merge commit, a squash, a rebase), done on the remote side with the
//! real git CLI.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};

use super::git_http::GitHttp;

/// How the customer's clone reaches its remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `git.remote` is a path to the bare repository.
    Bare,
    /// `git.remote` is an `http://` URL served by `git http-backend`.
    Http,
}

/// How reviewers merge a review branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeStyle {
    /// A merge commit (`--no-ff`), the proposal as its second parent.
    Merge,
    /// One new commit with the proposal's changes and message, on top of a branch that moved on.
    Squash,
    /// The proposal re-created on top of a branch that moved on.
    Rebase,
}

/// Points `clone`'s `origin` at `remote` over `transport`; the HTTP server lives as long as the
/// returned value.
pub async fn connect(transport: Transport, clone: &Path, remote: &Path) -> Result<Option<GitHttp>> {
    match transport {
        Transport::Bare => {
            git(clone, &["remote", "set-url", "origin", path(remote)?])?;
            Ok(None)
        }
        Transport::Http => {
            let root = remote.parent().context("the remote has no parent directory")?;
            let name = remote.file_name().context("the remote has no name")?;
            let http = GitHttp::serve(root).await?;
            git(
                clone,
                &["remote", "set-url", "origin", &http.url_of(&name.to_string_lossy())],
            )?;
            Ok(Some(http))
        }
    }
}

/// A reviewer's clone of the bare remote, on `main`.
pub struct Reviewer {
    pub clone: PathBuf,
}

impl Reviewer {
    pub fn clone_of(remote: &Path, into: &Path) -> Result<Reviewer> {
        let clone = into.to_path_buf();
        let parent = clone.parent().context("no parent")?;
        std::fs::create_dir_all(parent)?;
        git(parent, &["clone", "-q", path(remote)?, path(&clone)?])?;
        Ok(Reviewer { clone })
    }

    /// `main` as the remote has it now.
    fn sync(&self) -> Result<()> {
        git(&self.clone, &["fetch", "-q", "origin"])?;
        git(&self.clone, &["checkout", "-q", "main"])?;
        git(&self.clone, &["reset", "-q", "--hard", "origin/main"])
    }

    /// Merges `branch` into the remote's `main` the `style` way and pushes; returns the new tip.
    /// Squash and rebase first land an unrelated commit, as other work does meanwhile, so the
    /// merged commit is a new one.
    pub fn merge(&self, branch: &str, style: MergeStyle) -> Result<String> {
        self.sync()?;
        let proposal = format!("origin/{branch}");
        match style {
            MergeStyle::Merge => git(
                &self.clone,
                &[
                    "merge",
                    "-q",
                    "--no-ff",
                    &proposal,
                    "-m",
                    &format!("Merge pull request #7 from {branch}"),
                ],
            )?,
            MergeStyle::Squash => {
                self.land_unrelated("squash")?;
                git(&self.clone, &["merge", "-q", "--squash", &proposal])?;
                // The platforms' default squash message: the title with the request number, the
                // commit's body (trailer included) below.
                let message = output(&self.clone, &["log", "-1", "--format=%B", &proposal])?;
                let (title, body) = message.split_once('\n').unwrap_or((&message, ""));
                git(&self.clone, &["commit", "-q", "-m", &format!("{title} (#8)\n{body}")])?;
            }
            MergeStyle::Rebase => {
                self.land_unrelated("rebase")?;
                let base = output(&self.clone, &["merge-base", "HEAD", &proposal])?;
                let range = format!("{}..{proposal}", base.trim());
                git(&self.clone, &["cherry-pick", &range])?;
            }
        }
        git(&self.clone, &["push", "-q", "origin", "main"])?;
        self.tip()
    }

    /// A commit on the review branch that edits the values file (a reviewer's change), pushed.
    pub fn edit_review_branch(&self, branch: &str, values: &str) -> Result<()> {
        self.sync()?;
        git(
            &self.clone,
            &["checkout", "-q", "-B", "review", &format!("origin/{branch}")],
        )?;
        self.append(values, "# tuned in review\n", "review: tune the values")?;
        git(
            &self.clone,
            &["push", "-q", "origin", &format!("HEAD:refs/heads/{branch}")],
        )?;
        git(&self.clone, &["checkout", "-q", "main"])
    }

    /// A commit on the remote's `main` that edits the values file; returns it.
    pub fn edit_main(&self, values: &str) -> Result<String> {
        self.sync()?;
        self.append(
            values,
            "# changed after the merge\n",
            "values: a change after the merge",
        )?;
        git(&self.clone, &["push", "-q", "origin", "main"])?;
        self.tip()
    }

    /// The reviewer clone's HEAD.
    pub fn tip(&self) -> Result<String> {
        Ok(output(&self.clone, &["rev-parse", "HEAD"])?.trim().to_string())
    }

    fn land_unrelated(&self, what: &str) -> Result<()> {
        self.append(
            "NOTES.md",
            &format!("other work before the {what}\n"),
            "docs: other work",
        )?;
        git(&self.clone, &["push", "-q", "origin", "main"])
    }

    fn append(&self, file: &str, text: &str, message: &str) -> Result<()> {
        let path = self.clone.join(file);
        let mut content = std::fs::read_to_string(&path).unwrap_or_default();
        content.push_str(text);
        std::fs::write(&path, content)?;
        git(&self.clone, &["add", file])?;
        git(&self.clone, &["commit", "-q", "-m", message])
    }
}

/// The commits of `branch` in `repo` not on `base`, newest first, as `id subject`.
pub fn commits_on(repo: &Path, base: &str, branch: &str) -> Result<Vec<String>> {
    Ok(output(repo, &["log", "--format=%H %s", &format!("{base}..{branch}")])?
        .lines()
        .map(String::from)
        .collect())
}

/// `git -C dir ARGS` as the test user.
pub fn git(dir: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Reviewer", "-c", "user.email=reviewer@customer.invalid"])
        .args(args)
        .output()?;
    ensure!(
        out.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

pub fn output(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output()?;
    ensure!(
        out.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

fn path(p: &Path) -> Result<&str> {
    p.to_str().context("path is not UTF-8")
}
