//! Making commits that hold exactly the files asked for: each tree is the parent's tree with those
//! paths replaced, never the index, so whatever else the operator staged stays out of the commit
//! (and stays staged).
use std::path::{Path, PathBuf};

use crate::{GitError, Repo, git, tree_path};

impl Repo {
    /// Commits `files` (paths relative to the root, as they are in the working tree, filtered as
    /// `git add` would) on `branch`, which must be the checked-out branch. Returns the new commit
    /// id, or None when the files already are as committed. The index entries of `files` are set
    /// to what was committed; every other entry is left as it was.
    pub fn commit_files(&self, branch: &str, files: &[PathBuf], message: &str) -> Result<Option<String>, GitError> {
        let refname = format!("refs/heads/{branch}");
        let checked_out = self.checked_out_ref()?;
        if checked_out.as_deref() != Some(refname.as_str()) {
            return Err(GitError::NotOnBranch {
                branch: branch.into(),
                found: checked_out
                    .map(|name| name.trim_start_matches("refs/heads/").to_string())
                    .unwrap_or_else(|| "a detached HEAD".into()),
            });
        }
        let parent = match self.repo.find_reference(&refname) {
            Ok(reference) => Some(
                reference
                    .peel_to_commit()
                    .map_err(|source| git(&format!("read {refname}"), source))?,
            ),
            Err(err) if err.code() == git2::ErrorCode::NotFound => None,
            Err(source) => return Err(git(&format!("read {refname}"), source)),
        };
        let mut index = self.repo.index().map_err(|source| git("open the index", source))?;
        let mut builder = git2::build::TreeUpdateBuilder::new();
        for file in files {
            let shown = file.display().to_string();
            index
                .add_path(file)
                .map_err(|source| git(&format!("read {shown} into a blob"), source))?;
            let entry = index
                .get_path(Path::new(&tree_path(file)), 0)
                .ok_or_else(|| git(&format!("find {shown} in the index"), git2::Error::from_str("missing")))?;
            builder.upsert(tree_path(file), entry.id, file_mode(entry.mode));
        }
        let baseline = match &parent {
            Some(parent) => parent.tree().map_err(|source| git("read the parent tree", source))?,
            None => self.empty_tree()?,
        };
        let tree_id = builder
            .create_updated(&self.repo, &baseline)
            .map_err(|source| git("write the tree", source))?;
        if tree_id == baseline.id() {
            return Ok(None);
        }
        let tree = self
            .repo
            .find_tree(tree_id)
            .map_err(|source| git("find the tree", source))?;
        let signature = self.signature()?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        // libgit2 refuses when the branch no longer points at `parent` (someone committed meanwhile).
        let id = self
            .repo
            .commit(Some(&refname), &signature, &signature, message, &tree, &parents)
            .map_err(|source| git(&format!("commit on {branch}"), source))?;
        index.write().map_err(|source| git("write the index", source))?;
        Ok(Some(id.to_string()))
    }

    /// A commit on top of `parent` whose tree is `parent`'s with `files` (path relative to the root,
    /// exact bytes) replaced. No ref, index or working file changes: push it by its id.
    pub fn commit_on(&self, parent: &str, files: &[(PathBuf, Vec<u8>)], message: &str) -> Result<String, GitError> {
        let parent = self.find_commit(parent)?;
        let baseline = parent.tree().map_err(|source| git("read the parent tree", source))?;
        let mut builder = git2::build::TreeUpdateBuilder::new();
        for (path, bytes) in files {
            let blob = self
                .repo
                .blob(bytes)
                .map_err(|source| git(&format!("write {} as a blob", path.display()), source))?;
            builder.upsert(tree_path(path), blob, git2::FileMode::Blob);
        }
        let tree_id = builder
            .create_updated(&self.repo, &baseline)
            .map_err(|source| git("write the tree", source))?;
        let tree = self
            .repo
            .find_tree(tree_id)
            .map_err(|source| git("find the tree", source))?;
        let signature = self.signature()?;
        let id = self
            .repo
            .commit(None, &signature, &signature, message, &tree, &[&parent])
            .map_err(|source| git("commit", source))?;
        Ok(id.to_string())
    }

    /// The full name of the branch HEAD points at, born or not; None when detached.
    fn checked_out_ref(&self) -> Result<Option<String>, GitError> {
        let head = self
            .repo
            .find_reference("HEAD")
            .map_err(|source| git("read HEAD", source))?;
        Ok(head.symbolic_target().ok().flatten().map(String::from))
    }

    fn empty_tree(&self) -> Result<git2::Tree<'_>, GitError> {
        let id = self
            .repo
            .treebuilder(None)
            .and_then(|builder| builder.write())
            .map_err(|source| git("write an empty tree", source))?;
        self.repo
            .find_tree(id)
            .map_err(|source| git("find the empty tree", source))
    }

    /// The user's git identity (user.name, user.email), else kfscale's.
    fn signature(&self) -> Result<git2::Signature<'static>, GitError> {
        self.repo
            .signature()
            .or_else(|_| git2::Signature::now("kfscale", "kfscale@localhost"))
            .map_err(|source| git("make a signature", source))
    }
}

/// An index entry's mode as a tree entry's (an executable file stays executable).
fn file_mode(mode: u32) -> git2::FileMode {
    match mode {
        0o100755 => git2::FileMode::BlobExecutable,
        0o120000 => git2::FileMode::Link,
        _ => git2::FileMode::Blob,
    }
}
