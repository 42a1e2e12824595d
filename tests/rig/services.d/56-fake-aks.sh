# Waits for the AKS fake (spawned by 33-fake-aks.sh) and publishes its resource-manager URLs (HTTP
# for kfscale's cluster.azure.endpoint, HTTPS for the Azure CLI), its control URL (the daemon's AKS
# pool source reads /_control/pools), its managed-identity endpoint and header (IDENTITY_ENDPOINT /
# IDENTITY_HEADER for az login --identity and azure_identity), the CA for HTTPS, the seed's
# subscription, a token file, and the Azure CLI of the rig's install.
rig_wait fake-aks 30 rig_address_line fake-aks
mapfile -t aks_urls < <(rig_json_fields "$(rig_address_line fake-aks)" api tlsApi control identity identityHeader)
((${#aks_urls[@]} == 5)) || die "cannot read fake-aks's address line: $(rig_address_line fake-aks)"
printf 'kfscale-rig-azure-token\n' >"$RIG_RUN/aks-token"
rig_env KFSCALE_RIG_AKS_URL "${aks_urls[0]}"
rig_env KFSCALE_RIG_AKS_TLS_URL "${aks_urls[1]}"
rig_env KFSCALE_RIG_AKS_CONTROL "${aks_urls[2]}"
rig_env KFSCALE_RIG_AKS_IDENTITY_ENDPOINT "${aks_urls[3]}"
rig_env KFSCALE_RIG_AKS_IDENTITY_HEADER "${aks_urls[4]}"
rig_env KFSCALE_RIG_AKS_CA "$RIG_RUN/aks-tls/cert.pem"
rig_env KFSCALE_RIG_AKS_TOKEN_FILE "$RIG_RUN/aks-token"
aks_subscription="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["subscriptions"][0]["subscriptionId"])' \
  "${KFSCALE_RIG_AKS_SEED:-$repo/tests/rig/seeds/aks.json}")" || die "cannot read the AKS seed's subscription"
rig_env KFSCALE_RIG_AKS_SUBSCRIPTION "$aks_subscription"
rig_env KFSCALE_FAKE_AKS_BIN "$KFSCALE_FAKE_AKS_BIN"
