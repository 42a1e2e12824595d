#!/usr/bin/env bash
# The Azure CLI (azure-cli from PyPI, pinned) in a venv of its own: the real client the AKS fake is
# checked with (`az cloud register` points its resource manager at the fake), and the source of the
# ARM models (azure-mgmt-containerservice) the fake's conformance test compares field lists with.
# Skipped when present and `az version` reports the pinned version.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

verified() {
  [[ -f "$AZURE_CLI_DIR/.complete" && -x "$AZURE_CLI_DIR/bin/az" ]] &&
    AZURE_CONFIG_DIR="$(mktemp -d)" "$AZURE_CLI_DIR/bin/az" version --output tsv --query '"azure-cli"' 2>/dev/null |
    grep -qx "$AZURE_CLI_VERSION"
}

if verified; then
  log "azure-cli $AZURE_CLI_VERSION cached in $AZURE_CLI_DIR"
  exit 0
fi

log "installing azure-cli $AZURE_CLI_VERSION into $AZURE_CLI_DIR"
rm -rf "$AZURE_CLI_DIR"
python3 -m venv "$AZURE_CLI_DIR" || die "python3 -m venv failed"
"$AZURE_CLI_DIR/bin/python" -m pip install -q --disable-pip-version-check "azure-cli==$AZURE_CLI_VERSION" ||
  die "pip install azure-cli==$AZURE_CLI_VERSION failed"
touch "$AZURE_CLI_DIR/.complete"
verified || die "az in $AZURE_CLI_DIR does not report azure-cli $AZURE_CLI_VERSION"
log "azure-cli ready"
