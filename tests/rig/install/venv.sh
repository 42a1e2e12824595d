#!/usr/bin/env bash
# A Python venv with moto's server (the EKS emulator), boto3 and kafka-python (the independent real
# Kafka client later tests check the fake broker with). Keyed by a hash of the requirement list and
# the interpreter version; skipped when present and importable.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

dir="$(venv_dir)"
verified() {
  [[ -f "$dir/.complete" ]] &&
    "$dir/bin/python" -c 'import moto, boto3, kafka, flask, googleapiclient; assert moto.__version__ == "5.2.5"' 2>/dev/null &&
    [[ -x "$dir/bin/moto_server" ]]
}

if verified; then
  log "python venv cached in $dir"
  exit 0
fi

log "creating python venv in $dir (${PY_REQUIREMENTS[*]})"
rm -rf "$dir"
python3 -m venv "$dir" || die "python3 -m venv failed"
"$dir/bin/python" -m pip install -q --disable-pip-version-check "${PY_REQUIREMENTS[@]}" ||
  die "pip install ${PY_REQUIREMENTS[*]} failed"
touch "$dir/.complete"
verified || die "venv at $dir does not import moto 5.2.5, boto3, kafka, googleapiclient"
log "python venv ready"
