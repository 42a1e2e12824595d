# Binaries of this workspace for start.sh's services. Sourced, never run; needs $repo, log and die.
#
# A service takes a prebuilt binary from its variable (KFSCALE_RIG_BIN, KFSCALE_FAKE_KAFKA_BIN, ...)
# or has it built here. Every fake not given is built by the first request, in one cargo run: each
# cargo run costs about a second even when nothing changed, and the warm start counts them.

# The workspace's cargo target directory (CARGO_TARGET_DIR honoured), looked up once.
rig_target_dir() {
  if [[ -z "${RIG_TARGET_DIR:-}" ]]; then
    RIG_TARGET_DIR="$(cd "$repo" && cargo metadata -q --format-version 1 --no-deps |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')" ||
      die "cargo metadata failed: cannot find the target directory"
  fi
  printf '%s\n' "$RIG_TARGET_DIR"
}

# The fake binaries of kfscale-fakes and the variable that names a prebuilt one.
RIG_FAKE_BINS=(fake-gke:KFSCALE_FAKE_GKE_BIN fake-aks:KFSCALE_FAKE_AKS_BIN fake-kafka:KFSCALE_FAKE_KAFKA_BIN fake-pinot:KFSCALE_FAKE_PINOT_BIN fake-grafana:KFSCALE_FAKE_GRAFANA_BIN)

# rig_fake_bin BIN: makes sure the variable of fake BIN (e.g. KFSCALE_FAKE_PINOT_BIN for fake-pinot)
# names an executable, building the fakes that were not given when it is unset.
rig_fake_bin() {
  local wanted="$1" wanted_var="" entry bin var
  local -a missing=()
  for entry in "${RIG_FAKE_BINS[@]}"; do
    bin="${entry%%:*}" var="${entry#*:}"
    [[ "$bin" == "$wanted" ]] && wanted_var="$var"
    [[ -n "${!var:-}" ]] || missing+=("$bin")
  done
  [[ -n "$wanted_var" ]] || die "rig_fake_bin: unknown fake $wanted"
  if [[ -z "${!wanted_var:-}" ]]; then
    log "cargo build ${missing[*]} (quick when they are up to date)"
    (cd "$repo" && cargo build -q --locked -p kfscale-fakes "${missing[@]/#/--bin=}") ||
      die "cargo build of ${missing[*]} failed"
    for entry in "${RIG_FAKE_BINS[@]}"; do
      bin="${entry%%:*}" var="${entry#*:}"
      [[ -n "${!var:-}" ]] || printf -v "$var" '%s' "$(rig_target_dir)/debug/$bin"
    done
  fi
  [[ -x "${!wanted_var}" ]] || die "$wanted_var=${!wanted_var} is not an executable"
}
