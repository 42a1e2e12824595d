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
        .commit_files("main", &["values/v.yaml".into()], "kfscale: scale 6 -> 9")
        .unwrap()
        .unwrap();
    assert!(
        repo.commit_files("main", &["values/v.yaml".into()], "again")
            .unwrap()
            .is_none(),
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

fn git_output(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(output.status.success(), "git {args:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_commit_holds_exactly_the_files_asked_for_and_leaves_the_rest_staged() {
    let dir = repo_with_values();
    std::fs::write(dir.path().join("notes.txt"), "the operator's own work\n").unwrap();
    git(dir.path(), &["add", "notes.txt"]);
    std::fs::write(dir.path().join("values/v.yaml"), "a: 9\n").unwrap();
    std::fs::create_dir(dir.path().join(".kfscale")).unwrap();
    std::fs::write(dir.path().join(".kfscale/state.json"), "{}\n").unwrap();
    let repo = Repo::discover(dir.path()).unwrap();
    let id = repo
        .commit_files(
            "main",
            &["values/v.yaml".into(), ".kfscale/state.json".into()],
            "kfscale: record",
        )
        .unwrap()
        .unwrap();
    let files = git_output(dir.path(), &["show", "--name-only", "--format=", &id]);
    assert_eq!(files, ".kfscale/state.json\nvalues/v.yaml\n");
    assert_eq!(git_output(dir.path(), &["rev-parse", "HEAD"]).trim(), id);
    let status = git_output(dir.path(), &["status", "--porcelain"]);
    assert_eq!(status, "A  notes.txt\n", "only the operator's file is still staged");
}

#[test]
fn a_commit_on_a_branch_that_is_not_checked_out_is_refused() {
    let dir = repo_with_values();
    git(dir.path(), &["switch", "-q", "-c", "experiment"]);
    std::fs::write(dir.path().join("values/v.yaml"), "a: 9\n").unwrap();
    let repo = Repo::discover(dir.path()).unwrap();
    let before = git_output(dir.path(), &["rev-parse", "main", "experiment"]);
    let err = repo
        .commit_files("main", &["values/v.yaml".into()], "kfscale: record")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("has experiment checked out, not main") && err.contains("git switch main"),
        "{err}"
    );
    assert_eq!(git_output(dir.path(), &["rev-parse", "main", "experiment"]), before);
}

#[test]
fn a_commit_on_a_parent_changes_no_ref_and_reads_back() {
    let dir = repo_with_values();
    let repo = Repo::discover(dir.path()).unwrap();
    let head = repo.resolve("HEAD").unwrap().unwrap();
    let id = repo
        .commit_on(
            &head,
            &[
                ("values/v.yaml".into(), b"a: 2\n".to_vec()),
                ("k/p/plan.json".into(), b"{}".to_vec()),
            ],
            "proposal\n\nKfscale-Plan: abc\n",
        )
        .unwrap();
    assert_eq!(repo.resolve("HEAD").unwrap().unwrap(), head, "HEAD did not move");
    assert_eq!(
        repo.file_at(&id, Path::new("values/v.yaml")).unwrap().unwrap(),
        b"a: 2\n"
    );
    assert_eq!(repo.file_at(&head, Path::new("k/p/plan.json")).unwrap(), None);
    let info = repo.commit_info(&id).unwrap();
    assert_eq!(info.parents, vec![head.clone()]);
    assert_eq!(info.summary(), "proposal");
    let between = repo.commits_between(&id, Some(&head)).unwrap();
    assert_eq!(between.len(), 1);
    assert_eq!(between[0].id, id);
    assert!(repo.is_ancestor(&head, &id).unwrap());
    assert!(!repo.is_ancestor(&id, &head).unwrap());
    assert_eq!(repo.ahead_behind(&head, &id).unwrap(), (0, 1));
}

#[test]
fn fetches_a_branch_and_reads_where_the_remote_points() {
    let dir = repo_with_values();
    let remote = tempfile::tempdir().unwrap();
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    git(
        dir.path(),
        &["remote", "add", "origin", remote.path().to_str().unwrap()],
    );
    let timeout = std::time::Duration::from_secs(20);
    assert_eq!(
        kfscale_git::remote_branch_head(dir.path(), "origin", "main", timeout).unwrap(),
        None,
        "an empty remote has no main"
    );
    push(dir.path(), "origin", "main").unwrap();
    let repo = Repo::discover(dir.path()).unwrap();
    let head = repo.resolve("HEAD").unwrap().unwrap();
    let proposal = repo
        .commit_on(&head, &[("values/v.yaml".into(), b"a: 3\n".to_vec())], "p")
        .unwrap();
    kfscale_git::push_refspec_within(
        dir.path(),
        "origin",
        &format!("{proposal}:refs/heads/kfscale/c/p1"),
        "kfscale/c/p1",
        "`kfscale propose`",
        timeout,
    )
    .unwrap();
    assert_eq!(
        kfscale_git::remote_branch_head(dir.path(), "origin", "kfscale/c/p1", timeout).unwrap(),
        Some(proposal.clone())
    );
    let tracking = kfscale_git::fetch_branch(dir.path(), "origin", "kfscale/c/p1", timeout).unwrap();
    assert_eq!(tracking, "refs/remotes/origin/kfscale/c/p1");
    assert_eq!(repo.resolve(&tracking).unwrap(), Some(proposal));
    let err = kfscale_git::fetch_branch(dir.path(), "origin", "nope", timeout).unwrap_err();
    assert!(!err.is_retriable(), "{err}");
    assert!(err.to_string().contains("does not exist on the remote"), "{err}");
}
