# The GKE fake (tests/fakes, `fake-gke`): container.googleapis.com v1 for node pools, seeded with
# project kfscale-rig (tests/rig/seeds/gke.json): regional cluster `kfscale-rig` (us-central1, zones
# a/b/c) with pool `kfuse-pool` (2 n2-standard-8 per zone), zonal cluster `kfscale-rig-zonal`
# (us-central1-f) with autoscaled pool `zonal-pool` (3 e2-standard-4). Before 60-daemon.sh: the daemon
# mirrors its pools into Nodes (KFSCALE_RIG_GKE_CONTROL). Operations take 1 + 3 model seconds
# (KFSCALE_RIG_GKE_CLOCK_SPEED, default 1, scales model time).
rig_fake_bin fake-gke
gke_seed="${KFSCALE_RIG_GKE_SEED:-$repo/tests/rig/seeds/gke.json}"
rig_spawn fake-gke "$KFSCALE_FAKE_GKE_BIN" --seed "$gke_seed" --clock-speed "${KFSCALE_RIG_GKE_CLOCK_SPEED:-1}"
rig_wait fake-gke 30 rig_address_line fake-gke
gke_json="$(rig_address_line fake-gke)"
# Any token will do (the fake wants one on every API request); a file, for gcloud --access-token-file.
printf 'kfscale-rig-token\n' >"$RIG_RUN/gke-token"
rig_env KFSCALE_RIG_GKE_URL "$(rig_json_get "$gke_json" api)"
rig_env KFSCALE_RIG_GKE_CONTROL "$(rig_json_get "$gke_json" control)"
rig_env KFSCALE_RIG_GKE_TOKEN_FILE "$RIG_RUN/gke-token"
rig_env KFSCALE_RIG_GKE_PROJECT "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["project"])' "$gke_seed")"
rig_env KFSCALE_FAKE_GKE_BIN "$KFSCALE_FAKE_GKE_BIN"
