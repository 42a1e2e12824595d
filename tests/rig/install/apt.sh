#!/usr/bin/env bash
# Debian packages the rig needs at run time (etcd, openssl, an OCI registry for the charts) and, only
# while the Kubernetes binaries are not cached yet, at build time (Go, rsync, make, reflect2). Installs just what
# is missing; loud on failure.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

need=(etcd-server openssl docker-registry)
if [[ ! -f "$K8S_DIR/.complete" ]]; then
  need+=(golang-go rsync make golang-github-modern-go-reflect2-dev)
fi

missing=()
for pkg in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
  log "apt packages present: ${need[*]}"
  exit 0
fi

log "installing apt packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || die "apt-get update failed"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
  die "apt-get install ${missing[*]} failed"

# The packages may start system services (etcd on 2379, a registry on 5000) where an init system
# runs; the rig runs its own on free ports, so stop those to leave no stray process.
for svc in etcd docker-registry; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
etcd_version="$(etcd --version 2>/dev/null | sed -n 's/^etcd Version: //p')"
[[ "$etcd_version" == "$ETCD_MAJOR_MINOR".* ]] || die "etcd $ETCD_MAJOR_MINOR.x expected, found '$etcd_version'"
log "apt packages installed"
