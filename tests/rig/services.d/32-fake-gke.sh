# The GKE fake (tests/fakes, `fake-gke`): container.googleapis.com v1 for node pools, seeded with
# project kfscale-rig (tests/rig/seeds/gke.json, or KFSCALE_RIG_GKE_SEED): regional cluster
# `kfscale-rig` (us-central1, zones a/b/c) with pool `kfuse-pool` (2 n2-standard-8 per zone), zonal
# cluster `kfscale-rig-zonal` (us-central1-f) with autoscaled pool `zonal-pool` (3 e2-standard-4).
# Operations take 1 + 3 model seconds; KFSCALE_RIG_GKE_CLOCK_SPEED (default 1) scales model time.
# Spawned while the API server starts; 55-fake-gke.sh waits for it and publishes its URLs before the
# daemon (60), which mirrors its pools into Nodes.
rig_fake_bin fake-gke
gke_seed="${KFSCALE_RIG_GKE_SEED:-$repo/tests/rig/seeds/gke.json}"
rig_spawn fake-gke "$KFSCALE_FAKE_GKE_BIN" --seed "$gke_seed" --clock-speed "${KFSCALE_RIG_GKE_CLOCK_SPEED:-1}"
gke_project="$(rig_json_fields "$(cat "$gke_seed")" project)"
