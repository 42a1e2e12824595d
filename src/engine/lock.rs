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
    #[error("cannot use the local lock file {path}: {error}; fix: check the state directory is writable")]
    LocalFile { path: String, error: std::io::Error },
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
    /// How long to wait for a lock someone else holds (`-lock-timeout`), polling with backoff;
    /// zero refuses at once.
    pub wait: Duration,
}

/// A lock held by this process. Dropping the lease is `release`; the local file lock goes with the
/// process in any case.
pub struct HeldLock {
    kube: Kube,
    request: LockRequest,
    _local: File,
    local_path: PathBuf,
    lease: watch::Receiver<LeaseState>,
    renewer: tokio::task::JoinHandle<()>,
}

/// What the renewer knows about the lease.
#[derive(Debug, Clone)]
enum LeaseState {
    Held(LeaseRecord),
    /// Someone else wrote it: it is theirs now.
    Taken,
    /// Renewals have failed for longer than half the lease: another operator may take it any
    /// moment, so this apply stops at its next safe point rather than act without it.
    Lapsing {
        since: Duration,
    },
}

/// A cheap, cloneable view of whether the lock is still this process's: the runner checks it
/// between steps, and every wait between its polls.
#[derive(Debug, Clone)]
pub struct LeaseWatch(watch::Receiver<LeaseState>);

impl LeaseWatch {
    /// A lock no one else can take: for running a step outside an apply (the benchmarks), where
    /// there is no other operator and no lease.
    pub fn standalone() -> LeaseWatch {
        let (_sender, receiver) = watch::channel(LeaseState::Held(LeaseRecord {
            name: LEASE_NAME.into(),
            holder: None,
            duration_seconds: None,
            acquire_time: None,
            renew_time: None,
            annotations: BTreeMap::new(),
            resource_version: None,
            written_at: None,
        }));
        LeaseWatch(receiver)
    }

    /// Why this process can no longer count on the lock, if so.
    pub fn lost(&self) -> Option<String> {
        match &*self.0.borrow() {
            LeaseState::Held(_) => None,
            LeaseState::Taken => {
                Some("the lock lease was taken by someone else (it expired while this apply could not renew it)".into())
            }
            LeaseState::Lapsing { since } => Some(format!(
                "the lock lease could not be renewed for {} s, more than half its duration: another operator could take it",
                since.as_secs()
            )),
        }
    }
}

impl HeldLock {
    pub fn id(&self) -> &str {
        &self.request.id
    }

    /// False once a renewal found the lease taken by someone else, or renewals kept failing for
    /// half the lease: stop at the next safe point.
    pub fn still_held(&self) -> bool {
        self.watch().lost().is_none()
    }

    pub fn watch(&self) -> LeaseWatch {
        LeaseWatch(self.lease.clone())
    }

    pub async fn release(self) -> Result<(), LockError> {
        self.renewer.abort();
        let _ = std::fs::write(&self.local_path, b"");
        let current = self.lease.borrow().clone();
        if let LeaseState::Held(lease) = current
            && let Some(version) = lease.resource_version
        {
            // A delete whose answer was lost, or a renewal's: read the lease again and delete
            // what is still this apply's, at the version read.
            if !matches!(self.kube.delete_lease(LEASE_NAME, &version).await, Ok(true))
                && let Some(current) = self.kube.lease(LEASE_NAME).await?
                && written_by(&current, &self.request.holder, &self.request.id)
                && let Some(version) = current.resource_version
            {
                self.kube.delete_lease(LEASE_NAME, &version).await?;
            }
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

/// Takes the lock; while someone else holds it, waits up to `request.wait`, then refuses naming
/// the holder as without a wait.
pub async fn acquire(kube: &Kube, state_dir: &Path, request: LockRequest) -> Result<HeldLock, LockError> {
    let deadline = std::time::Instant::now() + request.wait;
    let mut pause = FIRST_LOCK_POLL;
    loop {
        match acquire_once(kube, state_dir, &request).await {
            Err(held @ (LockError::Held { .. } | LockError::HeldLocally { .. })) => {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return Err(held);
                }
                if pause == FIRST_LOCK_POLL {
                    crate::eoutln!("waiting up to {} s for the lock: {held}", left.as_secs());
                }
                tokio::time::sleep(pause.min(left)).await;
                pause = (pause * 2).min(LAST_LOCK_POLL);
            }
            other => return other,
        }
    }
}

/// The wait for a held lock polls after 0.5 s, doubling to at most 10 s: quick when an apply just
/// finished, a few reads a minute while one runs for an hour.
const FIRST_LOCK_POLL: Duration = Duration::from_millis(500);
const LAST_LOCK_POLL: Duration = Duration::from_secs(10);

async fn acquire_once(kube: &Kube, state_dir: &Path, request: &LockRequest) -> Result<HeldLock, LockError> {
    let request = request.clone();
    let (local, local_path) = lock_locally(state_dir, &request)?;
    let lease = take_lease(kube, &request).await?;
    let (sender, receiver) = watch::channel(LeaseState::Held(lease));
    let renewer = tokio::spawn(renew(kube.clone(), request.clone(), sender));
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
    let now = server_now(kube).await?;
    Ok(Some((
        lease.holder.clone().unwrap_or_default(),
        annotation(ANNOTATION_OPERATION),
        annotation(ANNOTATION_SINCE),
        annotation(ANNOTATION_ID),
        expires_at(&lease).is_some_and(|at| at <= now),
    )))
}

fn lock_locally(state_dir: &Path, request: &LockRequest) -> Result<(File, PathBuf), LockError> {
    let path = state_dir.join(LOCAL_LOCK_FILE);
    let fail = |source| LockError::LocalFile {
        path: path.display().to_string(),
        error: source,
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
    // Its own file, through no door: scrubbed here like every other (src/scrub/).
    file.write_all(&crate::scrub::bytes(info.as_bytes())).map_err(fail)?;
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
            written_at: None,
        };
        let written = match kube.lease(LEASE_NAME).await? {
            None => kube.create_lease(&wanted).await,
            Some(existing) => {
                refuse_if_held(&existing, request, server_now(kube).await?)?;
                // Expired: its holder stopped renewing (it died). Take it over at the version read.
                wanted.resource_version = existing.resource_version.clone();
                kube.replace_lease(&wanted).await
            }
        };
        match written {
            Ok(LeaseWrite::Written(lease)) => return Ok(lease),
            Ok(LeaseWrite::Conflict) => {}
            // The write may have been carried out and only its answer lost: the next round reads
            // the lease, finds this request's id on it (ours, so free) and writes over it at the
            // version read. Nothing but the read decides.
            Err(err) if err.is_retriable() => {
                tracing::warn!("taking the lock lease failed (will read it again): {err}")
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(LockError::Race)
}

/// Whether `lease` is the one this process wrote: its holder and its lock id. A write whose answer
/// was lost shows up this way on the next read, at a resourceVersion this process never saw.
fn written_by(lease: &LeaseRecord, holder: &str, id: &str) -> bool {
    lease.holder.as_deref() == Some(holder) && lease.annotations.get(ANNOTATION_ID).is_some_and(|own| own == id)
}

/// Fails with the holder when `existing` is a live lease someone else holds. Our own lease from this
/// machine, for this run or an earlier one of this state directory, counts as free: its process
/// died (kill -9, crash) before releasing it (callers hold the local lock, which proves it).
fn refuse_if_held(existing: &LeaseRecord, request: &LockRequest, now: SystemTime) -> Result<(), LockError> {
    let ours = existing.holder.as_deref() == Some(request.holder.as_str())
        && existing
            .annotations
            .get(ANNOTATION_ID)
            .is_some_and(|id| *id == request.id || request.reclaim.contains(id));
    match expires_at(existing).filter(|at| !ours && *at > now) {
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
        Some(existing) => refuse_if_held(&existing, request, server_now(kube).await?),
        None => Ok(()),
    }
}

/// Renews the lease every third of its duration. Publishes `Taken` when someone else wrote it,
/// and `Lapsing` once renewals have failed for more than half the duration (the apply stops at its
/// next safe point; a later successful renewal does not undo that: the next apply resumes).
async fn renew(kube: Kube, request: LockRequest, sender: watch::Sender<LeaseState>) {
    let duration = request.duration;
    let period = (duration / 3).max(Duration::from_millis(200));
    let mut last_renewed = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(period).await;
        let LeaseState::Held(mut lease) = sender.borrow().clone() else {
            return;
        };
        lease.renew_time = Some(now_rfc3339());
        match kube.replace_lease(&lease).await {
            Ok(LeaseWrite::Written(renewed)) => {
                last_renewed = tokio::time::Instant::now();
                let _ = sender.send(LeaseState::Held(renewed));
            }
            Ok(LeaseWrite::Conflict) => match kube.lease(LEASE_NAME).await {
                // An earlier renewal was carried out and its answer lost: the lease moved on to a
                // version this process never saw, and it is still this apply's.
                Ok(Some(current)) if written_by(&current, &request.holder, &request.id) => {
                    last_renewed = tokio::time::Instant::now();
                    let _ = sender.send(LeaseState::Held(current));
                }
                Ok(_) => {
                    let _ = sender.send(LeaseState::Taken);
                    return;
                }
                // Unreadable: the next round tries again; the lapse rule below still applies.
                Err(err) => tracing::warn!("reading the lock lease after a conflict failed (will retry): {err}"),
            },
            Err(err) => {
                let since = last_renewed.elapsed();
                if since > duration / 2 {
                    tracing::warn!(
                        "renewing the lock lease failed for {} s: stopping at the next safe point: {err}",
                        since.as_secs()
                    );
                    let _ = sender.send(LeaseState::Lapsing { since });
                    return;
                }
                tracing::warn!("renewing the lock lease failed (will retry): {err}");
            }
        }
    }
}

/// The API server's clock (its answers' `Date`), which decides when a lease runs out: two
/// operators' machines may disagree by minutes, the server agrees with itself. This machine's
/// clock only when the server sends no `Date`.
async fn server_now(kube: &Kube) -> Result<SystemTime, LockError> {
    Ok(kube.server_time().await?.unwrap_or_else(SystemTime::now))
}

/// When the lease runs out, by the server's clock: its last write as the server recorded it
/// (`managedFields`), else the renew time its holder wrote, plus its duration.
fn expires_at(lease: &LeaseRecord) -> Option<SystemTime> {
    let renewed = lease
        .written_at
        .as_deref()
        .or(lease.renew_time.as_deref())
        .or(lease.acquire_time.as_deref())
        .and_then(parse_rfc3339)?;
    Some(renewed + Duration::from_secs(lease.duration_seconds.unwrap_or(0).max(0) as u64))
}
