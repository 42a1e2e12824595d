#!/usr/bin/env bash
# Starts the rig: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, moto (EKS), an OCI
# registry holding the test chart's versions, a seeded bare git remote, the GKE fake, the kfscale-rig
# daemon (node provisioner + pod runner) and the Kafka, Pinot and Grafana fakes, all on free 127.0.0.1 ports.
# Writes RUN_DIR/rig.env and prints its path.
# Usage: tests/rig/start.sh [RUN_DIR]     (stop with tests/rig/stop.sh RUN_DIR)
#
# Each file in services.d/ starts one service, in name order; a later fake (Kafka, Pinot, GKE) adds a
# file there, spawns with rig_spawn and publishes its URL with rig_env. Files before 60-daemon.sh are
# visible to the daemon's env file; the install (tests/rig/install.sh) must have run.
# KFSCALE_RIG_BIN names a built kfscale-rig binary, KFSCALE_FAKE_{GKE,KAFKA,PINOT,GRAFANA}_BIN built fakes;
# without them the script builds them with cargo (tests/rig/cargo.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
source "$here/lib.sh"
source "$here/proc.sh"
source "$here/cargo.sh"

RIG_RUN="${1:-$(mktemp -d "${TMPDIR:-/tmp}/kfscale-rig.XXXXXX")}"
mkdir -p "$RIG_RUN"
RIG_RUN="$(cd "$RIG_RUN" && pwd)"
if [[ -f "$RIG_RUN/pids" ]]; then
  die "a rig was started in $RIG_RUN and not stopped: tests/rig/stop.sh $RIG_RUN"
fi
: >"$RIG_RUN/rig.env"

# A failed start stops whatever it had started, so nothing is left running.
on_exit() {
  local status=$?
  if ((status != 0)); then
    log "start failed; stopping what was started"
    "$here/stop.sh" "$RIG_RUN" >&2 || true
  fi
}
trap on_exit EXIT

started_ns="$(date +%s%N)"
for service in "$here"/services.d/*.sh; do
  # shellcheck source=/dev/null
  source "$service"
done
elapsed_ms=$((($(date +%s%N) - started_ns) / 1000000))
printf '%s\n' "$elapsed_ms" >"$RIG_RUN/start-ms"
log "rig ready in $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s: $RIG_RUN/rig.env"
printf '%s\n' "$RIG_RUN/rig.env"
