//! Puts the commit and the build date into `kfscale --version` (env KFSCALE_COMMIT and
//! KFSCALE_BUILD_DATE), so an operator's bug report names the exact build.
//!
//! Built from a tarball without `.git` (or with git missing), the commit is "unknown": a build
//! never fails for want of git. A checkout nested inside another repository does not borrow that
//! repository's commit: the work tree's top must be this package's directory. The date honours
//! SOURCE_DATE_EPOCH (reproducible builds) and is the day this script last ran: it runs again
//! only when HEAD moves, not on every edit (so no "modified" mark: it would go stale).
// A build script talks to cargo through its stdout; clippy.toml's rule is for the binary.
#![allow(clippy::disallowed_macros)]
use std::path::Path;
use std::process::Command;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let commit = match git(&manifest_dir, &["rev-parse", "--show-toplevel"]) {
        Some(top) if same_dir(&top, &manifest_dir) => {
            watch_head(&manifest_dir);
            git(&manifest_dir, &["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into())
        }
        _ => "unknown".into(),
    };
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rustc-env=KFSCALE_COMMIT={commit}");
    println!("cargo:rustc-env=KFSCALE_BUILD_DATE={}", build_date());
}

/// Re-runs this script when HEAD moves: HEAD itself (a branch switch), the branch's ref file (a
/// commit) and packed-refs (a gc), those that exist. Git names their paths (a worktree's differ from a clone's).
fn watch_head(dir: &str) {
    let mut paths = vec![git(dir, &["rev-parse", "--git-path", "HEAD"])];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        paths.push(git(dir, &["rev-parse", "--git-path", &branch]));
    }
    paths.push(git(dir, &["rev-parse", "--git-path", "packed-refs"]));
    for path in paths.into_iter().flatten() {
        let path = Path::new(dir).join(path);
        // A path that does not exist would make cargo run this script on every build.
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}

fn git(dir: &str, args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).current_dir(dir).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn same_dir(a: &str, b: &str) -> bool {
    match (Path::new(a).canonicalize(), Path::new(b).canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// YYYY-MM-DD (UTC) of SOURCE_DATE_EPOCH, else of now.
fn build_date() -> String {
    let from_epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|text| text.trim().parse::<i64>().ok())
        .and_then(|seconds| jiff::Timestamp::from_second(seconds).ok());
    let when = from_epoch.unwrap_or_else(jiff::Timestamp::now);
    when.strftime("%Y-%m-%d").to_string()
}
