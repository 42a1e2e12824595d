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

#[test]
fn a_silent_remote_is_given_up_in_time_naming_the_fix() {
    let dir = repo_with_values();
    // A git daemon that accepts the connection and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("git://{}/customer.git", listener.local_addr().unwrap());
    let _held = std::thread::spawn(move || {
        let connections: Vec<_> = listener.incoming().take(1).collect();
        std::thread::sleep(std::time::Duration::from_secs(30));
        drop(connections);
    });
    git(dir.path(), &["remote", "add", "silent", &url]);
    let started = std::time::Instant::now();
    let err = kfscale_git::push_within(dir.path(), "silent", "main", std::time::Duration::from_secs(2)).unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, kfscale_git::GitError::PushTimeout { .. }), "{err}");
    assert!(waited < std::time::Duration::from_secs(10), "{waited:?}");
    let message = err.to_string();
    assert!(message.contains("within 2 s") && message.contains("fix:"), "{message}");
}
