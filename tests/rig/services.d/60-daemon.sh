# The kfscale-rig daemon: node provisioner (EKS node groups in moto -> Node objects) and pod runner
# (bound pods -> Running/Ready, Job pods -> Succeeded, faults on request). Timing from the environment;
# the GKE pools it mirrors from KFSCALE_RIG_GKE_CONTROL (55-fake-gke.sh), the EKS ones from moto.
rig_env KFSCALE_RIG_NODE_BOOT_DELAY_MS "${KFSCALE_RIG_NODE_BOOT_DELAY_MS:-1000}"
rig_env KFSCALE_RIG_POD_START_DELAY_MS "${KFSCALE_RIG_POD_START_DELAY_MS:-300}"
if [[ -z "${KFSCALE_RIG_BIN:-}" ]]; then
  log "building kfscale-rig"
  (cd "$repo" && cargo build -q --locked -p kfscale-rig --bin kfscale-rig) || die "cargo build kfscale-rig failed"
  KFSCALE_RIG_BIN="$(rig_target_dir)/debug/kfscale-rig"
fi
[[ -x "$KFSCALE_RIG_BIN" ]] || die "KFSCALE_RIG_BIN=$KFSCALE_RIG_BIN is not an executable"
rig_wait moto 30 curl -sf -o /dev/null "http://127.0.0.1:$PORT_MOTO/moto-api/"
rig_spawn kfscale-rig "$KFSCALE_RIG_BIN" run --env-file "$RIG_RUN/rig.env"
