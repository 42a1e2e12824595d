//! The lock that keeps two operators apart: a Lease in the release namespace (cluster-wide: two
//! laptops see each other) plus an OS file lock in the state directory (same machine, and released
//! by the OS when the process dies). The lease is renewed while the apply runs; a holder that died
//! stops renewing, its lease expires on its own and the next apply takes it over. `force-unlock ID`
//! is for the rest, and needs the lock's id.
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use kfscale_kube::{Kube, LeaseRecord, LeaseWrite};
use tokio::sync::watch;

use crate::time::{format_rfc3339, now_rfc3339, parse_rfc3339};

pub const LEASE_NAME: &str = "kfscale-lock";
const LOCAL_LOCK_FILE: &str = "lock";
const ANNOTATION_ID: &str = "kfscale.io/lock-id";
const ANNOTATION_OPERATION: &str = "kfscale.io/operation";
const ANNOTATION_SINCE: &str = "kfscale.io/since";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the cluster is locked by {holder} ({operation} since {since}, lock id {id}); its lease runs out {expires} unless renewed. fix: wait for that apply to finish; if its holder is certainly gone, `kfscale force-unlock {id}`"
    )]
    Held {
        holder: String,
        operation: String,
        since: String,
        id: String,
        expires: String,
    },
    #[error("another kfscale on this machine holds {path} ({info}); fix: wait for it to finish")]
    HeldLocally { path: String, info: String },
    #[error("cannot use the local lock file {path}: {source}; fix: check the state directory is writable")]
    LocalFile { path: String, source: std::io::Error },
    #[error("no lock is held on this cluster; nothing to unlock")]
    NotLocked,
    #[error(
        "the lock's id is {actual}, not {given} (held by {holder}); fix: pass the id shown by `kfscale status` or the refusal message"
    )]
    WrongId {
        given: String,
        actual: String,
        holder: String,
    },
    #[error("the lock changed while kfscale was taking it; fix: run the command again")]
    Race,
    #[error(transparent)]
    Kube(#[from] kfscale_kube::KubeError),
}

/// Who takes the lock and for what.
#[derive(Debug, Clone)]
pub struct LockRequest {
    pub id: String,
    /// `user@host`.
    pub holder: String,
    pub operation: String,
    pub duration: Duration,
    /// Ids of earlier applies from this state directory: a lease this holder left under one of
    /// them (killed before it could release it) is taken over at once.
    pub reclaim: Vec<String>,
}

/// A lock held by this process. Dropping the lease is `release`; the local file lock goes with the
/// process in any case.
pub struct HeldLock {
    kube: Kube,
    request: LockRequest,
    _local: File,
    local_path: PathBuf,
    lease: watch::Receiver<Option<LeaseRecord>>,
    renewer: tokio::task::JoinHandle<()>,
}

impl HeldLock {
    pub fn id(&self) -> &str {
        &self.request.id
    }

    /// False once a renewal found the lease taken by someone else: stop at the next safe point.
    pub fn still_held(&self) -> bool {
        self.lease.borrow().is_some()
    }

    pub async fn release(self) -> Result<(), LockError> {
        self.renewer.abort();
        let _ = std::fs::write(&self.local_path, b"");
        let current = self.lease.borrow().clone();
        if let Some(version) = current.and_then(|lease| lease.resource_version) {
            self.kube.delete_lease(LEASE_NAME, &version).await?;
        }
        Ok(())
    }
}

pub fn operator_identity() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown-host".into());
    format!("{user}@{host}")
}

pub async fn acquire(kube: &Kube, state_dir: &Path, request: LockRequest) -> Result<HeldLock, LockError> {
    let (local, local_path) = lock_locally(state_dir, &request)?;
    let lease = take_lease(kube, &request).await?;
    let (sender, receiver) = watch::channel(Some(lease));
    let renewer = tokio::spawn(renew(kube.clone(), request.duration, sender));
    Ok(HeldLock {
        kube: kube.clone(),
        request,
        _local: local,
        local_path,
        lease: receiver,
        renewer,
    })
}

/// Deletes the lease, but only when `id` is the id it carries.
pub async fn force_unlock(kube: &Kube, id: &str) -> Result<(), LockError> {
    let lease = kube.lease(LEASE_NAME).await?.ok_or(LockError::NotLocked)?;
    let actual = lease.annotations.get(ANNOTATION_ID).cloned().unwrap_or_default();
    if actual != id {
        return Err(LockError::WrongId {
            given: id.into(),
            actual,
            holder: lease.holder.unwrap_or_default(),
        });
    }
    let version = lease.resource_version.unwrap_or_default();
    if kube.delete_lease(LEASE_NAME, &version).await? {
        Ok(())
    } else {
        Err(LockError::Race)
    }
}

/// The lock as `status` shows it: (holder, operation, since, id, expired).
pub async fn describe(kube: &Kube) -> Result<Option<(String, String, String, String, bool)>, LockError> {
    let Some(lease) = kube.lease(LEASE_NAME).await? else {
        return Ok(None);
    };
    let annotation = |key: &str| lease.annotations.get(key).cloned().unwrap_or_default();
    Ok(Some((
        lease.holder.clone().unwrap_or_default(),
        annotation(ANNOTATION_OPERATION),
        annotation(ANNOTATION_SINCE),
        annotation(ANNOTATION_ID),
        expires_at(&lease).is_some_and(|at| at <= SystemTime::now()),
    )))
}

fn lock_locally(state_dir: &Path, request: &LockRequest) -> Result<(File, PathBuf), LockError> {
    let path = state_dir.join(LOCAL_LOCK_FILE);
    let fail = |source| LockError::LocalFile {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(state_dir).map_err(fail)?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(fail)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let info = std::fs::read_to_string(&path).unwrap_or_default();
            return Err(LockError::HeldLocally {
                path: path.display().to_string(),
                info: info.trim().to_string(),
            });
        }
        Err(std::fs::TryLockError::Error(source)) => return Err(fail(source)),
    }
    file.set_len(0).map_err(fail)?;
    let info = format!(
        "{} pid {} {} since {} (lock id {})",
        request.holder,
        std::process::id(),
        request.operation,
        now_rfc3339(),
        request.id
    );
    file.write_all(info.as_bytes()).map_err(fail)?;
    Ok((file, path))
}

async fn take_lease(kube: &Kube, request: &LockRequest) -> Result<LeaseRecord, LockError> {
    // A few rounds: each conflict means someone else wrote in between; re-read and decide again.
    for _ in 0..5 {
        let now = now_rfc3339();
        let mut wanted = LeaseRecord {
            name: LEASE_NAME.into(),
            holder: Some(request.holder.clone()),
            duration_seconds: Some(request.duration.as_secs().max(1) as i32),
            acquire_time: Some(now.clone()),
            renew_time: Some(now.clone()),
            annotations: BTreeMap::from([
                (ANNOTATION_ID.to_string(), request.id.clone()),
                (ANNOTATION_OPERATION.to_string(), request.operation.clone()),
                (ANNOTATION_SINCE.to_string(), now),
            ]),
            resource_version: None,
        };
        let written = match kube.lease(LEASE_NAME).await? {
            None => kube.create_lease(&wanted).await?,
            Some(existing) => {
                refuse_if_held(&existing, request)?;
                // Expired: its holder stopped renewing (it died). Take it over at the version read.
                wanted.resource_version = existing.resource_version.clone();
                kube.replace_lease(&wanted).await?
            }
        };
        if let LeaseWrite::Written(lease) = written {
            return Ok(lease);
        }
    }
    Err(LockError::Race)
}

/// Fails with the holder when `existing` is a live lease someone else holds. Our own lease from this
/// machine, for this run or an earlier one of this state directory, counts as free: its process
/// died (kill -9, crash) before releasing it (callers hold the local lock, which proves it).
fn refuse_if_held(existing: &LeaseRecord, request: &LockRequest) -> Result<(), LockError> {
    let ours = existing.holder.as_deref() == Some(request.holder.as_str())
        && existing
            .annotations
            .get(ANNOTATION_ID)
            .is_some_and(|id| *id == request.id || request.reclaim.contains(id));
    match expires_at(existing).filter(|at| !ours && *at > SystemTime::now()) {
        Some(expires) => {
            let annotation = |key: &str| existing.annotations.get(key).cloned().unwrap_or_else(|| "?".into());
            Err(LockError::Held {
                holder: existing.holder.clone().unwrap_or_else(|| "?".into()),
                operation: annotation(ANNOTATION_OPERATION),
                since: annotation(ANNOTATION_SINCE),
                id: annotation(ANNOTATION_ID),
                expires: format!("at {}", format_rfc3339(expires)),
            })
        }
        None => Ok(()),
    }
}

/// Refuses early, before planning, when another holder has the cluster locked: the second
/// operator learns who holds it instead of reading a plan that cannot run.
pub async fn check_free(kube: &Kube, request: &LockRequest) -> Result<(), LockError> {
    match kube.lease(LEASE_NAME).await? {
        Some(existing) => refuse_if_held(&existing, request),
        None => Ok(()),
    }
}

/// Renews the lease every third of its duration; publishes None when someone else took it.
async fn renew(kube: Kube, duration: Duration, sender: watch::Sender<Option<LeaseRecord>>) {
    let period = (duration / 3).max(Duration::from_millis(200));
    loop {
        tokio::time::sleep(period).await;
        let Some(mut lease) = sender.borrow().clone() else {
            return;
        };
        lease.renew_time = Some(now_rfc3339());
        match kube.replace_lease(&lease).await {
            Ok(LeaseWrite::Written(renewed)) => {
                let _ = sender.send(Some(renewed));
            }
            Ok(LeaseWrite::Conflict) => {
                let _ = sender.send(None);
                return;
            }
            // A failed renewal is retried next period; the lease only lapses after a whole duration.
            Err(err) => tracing::warn!("renewing the lock lease failed (will retry): {err}"),
        }
    }
}

fn expires_at(lease: &LeaseRecord) -> Option<SystemTime> {
    let renewed = lease
        .renew_time
        .as_deref()
        .or(lease.acquire_time.as_deref())
        .and_then(parse_rfc3339)?;
    Some(renewed + Duration::from_secs(lease.duration_seconds.unwrap_or(0).max(0) as u64))
}
