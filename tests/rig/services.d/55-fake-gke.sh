# Waits for the GKE fake (spawned by 32-fake-gke.sh) and publishes its API base (the value of
# CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER and of the Rust client's with_endpoint), its control URL
# (the daemon's GKE pool source reads /_control/pools), the seed's project and a token file.
rig_wait fake-gke 30 rig_address_line fake-gke
mapfile -t gke_urls < <(rig_json_fields "$(rig_address_line fake-gke)" api control)
((${#gke_urls[@]} == 2)) || die "cannot read fake-gke's address line: $(rig_address_line fake-gke)"
# Any token will do (the fake wants one on every API request); a file, for gcloud --access-token-file.
printf 'kfscale-rig-token\n' >"$RIG_RUN/gke-token"
rig_env KFSCALE_RIG_GKE_URL "${gke_urls[0]}"
rig_env KFSCALE_RIG_GKE_CONTROL "${gke_urls[1]}"
rig_env KFSCALE_RIG_GKE_TOKEN_FILE "$RIG_RUN/gke-token"
rig_env KFSCALE_RIG_GKE_PROJECT "$gke_project"
rig_env KFSCALE_FAKE_GKE_BIN "$KFSCALE_FAKE_GKE_BIN"
