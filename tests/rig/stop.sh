#!/usr/bin/env bash
# Stops a rig: exactly the processes its start recorded in RUN_DIR/pids, newest first; TERM, then KILL
# after a grace period. Safe to call twice, and on a half-started rig.
# Usage: tests/rig/stop.sh RUN_DIR [--clean]   (--clean also removes the run directory)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
RIG_RUN="${1:?usage: stop.sh RUN_DIR [--clean]}"
source "$here/proc.sh"

pids_file="$RIG_RUN/pids"
alive=()
if [[ -f "$pids_file" ]]; then
  # Newest first, so each service outlives the ones that depend on it.
  while read -r name pid start; do
    if [[ "$(rig_proc_start "$pid" 2>/dev/null || true)" == "$start" ]]; then
      kill -TERM "$pid" 2>/dev/null && alive+=("$name:$pid:$start")
    fi
  done < <(tac "$pids_file")
fi

deadline=$((SECONDS + 10))
for entry in "${alive[@]}"; do
  IFS=: read -r name pid start <<<"$entry"
  while [[ "$(rig_proc_start "$pid" 2>/dev/null || true)" == "$start" ]]; do
    if ((SECONDS >= deadline)); then
      log "$name (pid $pid) ignored TERM; killing"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
done
[[ -f "$pids_file" ]] && mv "$pids_file" "$pids_file.stopped"

# etcd keeps its data in memory-backed /dev/shm; the start recorded where.
if [[ -f "$RIG_RUN/etcd-data-dir" ]]; then
  rm -rf "$(cat "$RIG_RUN/etcd-data-dir")"
  rm -f "$RIG_RUN/etcd-data-dir"
fi
if [[ "${2:-}" == "--clean" ]]; then
  rm -rf "$RIG_RUN"
fi
log "stopped ${#alive[@]} processes of $RIG_RUN"
