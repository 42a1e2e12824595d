//! Reading the repository's history: refs, commits, files at a commit, ancestry.
use std::path::Path;

use crate::{GitError, Repo, git, tree_path};

/// One commit, as a reader of `git log` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: String,
    /// Parents in order (the first is the branch the commit was made on).
    pub parents: Vec<String>,
    /// The whole message.
    pub message: String,
}

impl CommitInfo {
    /// The message's first line.
    pub fn summary(&self) -> &str {
        self.message.lines().next().unwrap_or_default()
    }

    /// The first 12 characters of the id.
    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }
}

impl Repo {
    /// The branch HEAD is on (None when detached or unborn).
    pub fn head_branch(&self) -> Option<String> {
        let head = self.repo.head().ok()?;
        if !head.is_branch() {
            return None;
        }
        head.shorthand().ok().map(String::from)
    }

    /// The commit a ref (`refs/remotes/origin/main`, `HEAD`, ...) points at; None when it does not
    /// exist.
    pub fn resolve(&self, name: &str) -> Result<Option<String>, GitError> {
        match self.repo.revparse_single(&format!("{name}^{{commit}}")) {
            Ok(object) => Ok(Some(object.id().to_string())),
            Err(err) if err.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(source) => Err(git(&format!("resolve {name}"), source)),
        }
    }

    pub fn commit_info(&self, id: &str) -> Result<CommitInfo, GitError> {
        let commit = self.find_commit(id)?;
        Ok(CommitInfo {
            id: commit.id().to_string(),
            parents: commit.parent_ids().map(|id| id.to_string()).collect(),
            message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
        })
    }

    /// The id of the blob at `path` (relative to the root) in `commit`; None when the commit has
    /// no such file.
    pub fn file_id_at(&self, commit: &str, path: &Path) -> Result<Option<String>, GitError> {
        let tree = self
            .find_commit(commit)?
            .tree()
            .map_err(|source| git("read a commit's tree", source))?;
        match tree.get_path(Path::new(&tree_path(path))) {
            Ok(entry) if entry.kind() == Some(git2::ObjectType::Blob) => Ok(Some(entry.id().to_string())),
            Ok(_) => Ok(None),
            Err(err) if err.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(source) => Err(git(&format!("find {} in {commit}", path.display()), source)),
        }
    }

    /// The bytes of a blob.
    pub fn blob(&self, id: &str) -> Result<Vec<u8>, GitError> {
        let oid = oid(id)?;
        let blob = self
            .repo
            .find_blob(oid)
            .map_err(|source| git(&format!("read blob {id}"), source))?;
        Ok(blob.content().to_vec())
    }

    /// The bytes of `path` in `commit`; None when the commit has no such file.
    pub fn file_at(&self, commit: &str, path: &Path) -> Result<Option<Vec<u8>>, GitError> {
        self.file_id_at(commit, path)?.map(|id| self.blob(&id)).transpose()
    }

    /// The commits reachable from `tip` and not from `hide` (all of `tip`'s history without one),
    /// newest first, parents after their children.
    pub fn commits_between(&self, tip: &str, hide: Option<&str>) -> Result<Vec<CommitInfo>, GitError> {
        let mut walk = self.repo.revwalk().map_err(|source| git("walk the history", source))?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)
            .map_err(|source| git("walk the history", source))?;
        walk.push(oid(tip)?).map_err(|source| git("walk the history", source))?;
        if let Some(hide) = hide {
            walk.hide(oid(hide)?)
                .map_err(|source| git("walk the history", source))?;
        }
        walk.map(|id| {
            let id = id.map_err(|source| git("walk the history", source))?;
            self.commit_info(&id.to_string())
        })
        .collect()
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Result<bool, GitError> {
        let (ancestor, descendant) = (oid(ancestor)?, oid(descendant)?);
        if ancestor == descendant {
            return Ok(true);
        }
        self.repo
            .graph_descendant_of(descendant, ancestor)
            .map_err(|source| git("compare two commits", source))
    }

    /// Commits `local` has that `upstream` lacks, and the reverse.
    pub fn ahead_behind(&self, local: &str, upstream: &str) -> Result<(usize, usize), GitError> {
        self.repo
            .graph_ahead_behind(oid(local)?, oid(upstream)?)
            .map_err(|source| git("count commits ahead and behind", source))
    }

    /// The URL a remote fetches from (None when there is no such remote).
    pub fn remote_url(&self, remote: &str) -> Option<String> {
        let remote = self.repo.find_remote(remote).ok()?;
        remote.url().ok().map(String::from)
    }

    /// The remote `branch` tracks (`branch.<name>.remote`); None without an upstream.
    pub fn upstream_remote(&self, branch: &str) -> Option<String> {
        let remote = self.repo.branch_upstream_remote(&format!("refs/heads/{branch}")).ok()?;
        remote.as_str().ok().map(String::from)
    }

    pub(crate) fn find_commit(&self, id: &str) -> Result<git2::Commit<'_>, GitError> {
        self.repo
            .find_commit(oid(id)?)
            .map_err(|source| git(&format!("read commit {id}"), source))
    }
}

fn oid(id: &str) -> Result<git2::Oid, GitError> {
    git2::Oid::from_str(id).map_err(|source| git(&format!("read the id {id}"), source))
}
