//! Lock hygiene on the rig: a lease left by an operator on another machine who died (it is never
//! renewed) refuses applies while it runs and expires on its own, after which an apply takes it
//! over and finishes; `kfscale status` shows who holds it; `force-unlock` needs the lock's id and
//! leaves the lease alone when given another.
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use kfscale_kube::LeaseRecord;

use crate::common::customer::{CustomerSpec, customer_cluster, text};
use crate::common::leftovers::kube_of;

const DEAD_HOLDER: &str = "ops@laptop-that-died";
const DEAD_ID: &str = "apply-0123456789ab";

/// The lease another kfscale writes (engine/lock.rs), renewed now for `seconds`.
fn lease_of_another_machine(seconds: i32) -> LeaseRecord {
    let now = kfscale::time::now_rfc3339();
    LeaseRecord {
        name: kfscale::engine::lock::LEASE_NAME.into(),
        holder: Some(DEAD_HOLDER.into()),
        duration_seconds: Some(seconds),
        acquire_time: Some(now.clone()),
        renew_time: Some(now.clone()),
        annotations: BTreeMap::from([
            ("kfscale.io/lock-id".to_string(), DEAD_ID.to_string()),
            ("kfscale.io/operation".to_string(), "apply 6 -> 12 nodes".to_string()),
            ("kfscale.io/since".to_string(), now),
        ]),
        resource_version: None,
        written_at: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_holders_lease_expires_on_its_own_and_force_unlock_needs_the_id() -> Result<()> {
    let customer = customer_cluster(CustomerSpec {
        prefix: "lock",
        ..CustomerSpec::default()
    })
    .await?;
    let config = customer.config_arg()?;
    let kube = kube_of(&customer).await?;
    kube.create_lease(&lease_of_another_machine(6)).await?;

    // status names the holder and the id; a second apply is refused and changes nothing.
    let status = customer.kfscale(&["status", "--config", config]);
    let (stdout, _) = text(&status);
    ensure!(
        stdout.contains(&format!("lock: held by {DEAD_HOLDER}")) && stdout.contains(DEAD_ID),
        "{stdout}"
    );
    let refused = customer.apply(12)?;
    let (_, stderr) = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    ensure!(stderr.contains(DEAD_HOLDER) && stderr.contains(DEAD_ID), "{stderr}");
    ensure!(customer.state().is_err(), "a refused apply wrote a state");

    // force-unlock with another id leaves the lease where it is.
    let wrong = customer.kfscale(&["force-unlock", "apply-ffffffffffff", "--config", config]);
    let (_, stderr) = text(&wrong);
    assert_eq!(wrong.status.code(), Some(1), "{stderr}");
    ensure!(stderr.contains(DEAD_ID) && stderr.contains("fix:"), "{stderr}");
    ensure!(kube.lease(kfscale::engine::lock::LEASE_NAME).await?.is_some());

    // Nobody renews it: it runs out, status says so, and the next apply takes it over.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = customer.kfscale(&["status", "--config", config, "--json"]);
        let value: serde_json::Value = serde_json::from_slice(&status.stdout).context("status --json")?;
        if value["lock"]["expired"] == true {
            break;
        }
        ensure!(Instant::now() < deadline, "the lease never expired: {value}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let applied = customer.apply(12)?;
    let (_, stderr) = text(&applied);
    ensure!(applied.status.success(), "the apply after expiry failed:\n{stderr}");
    ensure!(
        kube.lease(kfscale::engine::lock::LEASE_NAME).await?.is_none(),
        "the apply left its lease behind"
    );

    // force-unlock with the right id removes a lease.
    kube.create_lease(&lease_of_another_machine(600)).await?;
    let unlocked = customer.kfscale(&["force-unlock", DEAD_ID, "--config", config]);
    let (stdout, stderr) = text(&unlocked);
    ensure!(unlocked.status.success(), "{stdout}\n{stderr}");
    ensure!(kube.lease(kfscale::engine::lock::LEASE_NAME).await?.is_none());
    let status = customer.kfscale(&["status", "--config", config]);
    ensure!(text(&status).0.contains("lock: free"), "{}", text(&status).0);
    Ok(())
}
