//! Against real repositories made with the real git CLI.
use std::path::Path;
use std::process::Command;

use kfscale_git::{Repo, push};

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

fn repo_with_values() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    std::fs::create_dir(dir.path().join("values")).unwrap();
    std::fs::write(dir.path().join("values/v.yaml"), "a: 1\n").unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "seed"]);
    dir
}

#[test]
fn reads_the_file_at_head_and_sees_uncommitted_edits() {
    let dir = repo_with_values();
    let repo = Repo::discover(&dir.path().join("values")).unwrap();
    let file = dir.path().join("values/v.yaml");
    let state = repo.file_state(&file).unwrap();
    assert_eq!(state.branch.as_deref(), Some("main"));
    assert_eq!(state.committed.as_deref(), Some(&b"a: 1\n"[..]));
    assert!(!state.uncommitted_changes);
    std::fs::write(&file, "a: 2\n").unwrap();
    let state = repo.file_state(&file).unwrap();
    assert!(state.uncommitted_changes);
    assert_eq!(
        state.committed.as_deref(),
        Some(&b"a: 1\n"[..]),
        "HEAD still has the old bytes"
    );
}

#[test]
fn commits_and_pushes_to_a_bare_remote() {
    let dir = repo_with_values();
    let remote = tempfile::tempdir().unwrap();
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    git(
        dir.path(),
        &["remote", "add", "origin", remote.path().to_str().unwrap()],
    );
    std::fs::write(dir.path().join("values/v.yaml"), "a: 9\n").unwrap();
    let repo = Repo::discover(dir.path()).unwrap();
    let id = repo
        .commit_files(&["values/v.yaml".into()], "kfscale: scale 6 -> 9")
        .unwrap()
        .unwrap();
    assert!(
        repo.commit_files(&["values/v.yaml".into()], "again").unwrap().is_none(),
        "nothing to commit twice"
    );
    push(dir.path(), "origin", "main").unwrap();
    let log = Command::new("git")
        .arg("-C")
        .arg(remote.path())
        .args(["log", "--format=%H %s", "main"])
        .output()
        .unwrap();
    let log = String::from_utf8(log.stdout).unwrap();
    assert!(log.starts_with(&format!("{id} kfscale: scale 6 -> 9")), "{log}");
}

#[test]
fn errors_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let err = Repo::discover(dir.path()).err().unwrap().to_string();
    assert!(
        err.contains("not inside a git repository") && err.contains("fix:"),
        "{err}"
    );
    let repo_dir = repo_with_values();
    let err = push(repo_dir.path(), "nowhere", "main").unwrap_err().to_string();
    assert!(
        err.contains("git push nowhere main failed") && err.contains("fix:"),
        "{err}"
    );
}
