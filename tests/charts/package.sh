#!/usr/bin/env bash
# Packages the Kloudfuse-like test chart at each released version into OUT_DIR (kfuse-<version>.tgz).
# Usage: tests/charts/package.sh HELM OUT_DIR
# Built at rig start from the sources, so the packages can never drift from tests/charts/kfuse-mini.
set -euo pipefail
helm="$1"
out="$2"
here="$(cd "$(dirname "$0")" && pwd)"
# The versions a customer could have installed; each is pushed to the rig's registry.
VERSIONS=(3.4.0 3.4.1)
mkdir -p "$out"
for v in "${VERSIONS[@]}"; do
  "$helm" package "$here/kfuse-mini" --version "$v" --app-version "$v" -d "$out" >/dev/null
done
printf '%s\n' "${VERSIONS[@]}"
