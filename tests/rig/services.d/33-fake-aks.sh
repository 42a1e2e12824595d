# The AKS fake (tests/fakes, `fake-aks`): Azure Resource Manager for AKS agent pools, seeded with
# subscription kfscale-rig (tests/rig/seeds/aks.json, or KFSCALE_RIG_AKS_SEED): cluster kfscale-rig-aks
# (resource group kfscale-rig, eastus) with a system pool, the user pool `kfuse` (3 Standard_D8s_v5
# over zones 1-3) and the autoscaled pool `auto` (3, 1..3). Operations take 3 model seconds;
# KFSCALE_RIG_AKS_CLOCK_SPEED (default 1) scales model time. Served over HTTP (kfscale) and HTTPS (the
# Azure CLI sends bearer tokens only over TLS) with a certificate made here for localhost. Spawned
# while the API server starts; 56-fake-aks.sh waits for it and publishes its URLs before the daemon
# (60), which mirrors its pools into Nodes.
rig_fake_bin fake-aks
aks_tls="$RIG_RUN/aks-tls"
mkdir -p "$aks_tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -addext "basicConstraints=critical,CA:TRUE" \
  -keyout "$aks_tls/key.pem" -out "$aks_tls/cert.pem" 2>"$aks_tls/openssl.log" ||
  die "openssl could not make the AKS fake's certificate: $(cat "$aks_tls/openssl.log")"
aks_seed="${KFSCALE_RIG_AKS_SEED:-$repo/tests/rig/seeds/aks.json}"
rig_spawn fake-aks "$KFSCALE_FAKE_AKS_BIN" --seed "$aks_seed" --clock-speed "${KFSCALE_RIG_AKS_CLOCK_SPEED:-1}" \
  --tls-port 0 --tls-cert "$aks_tls/cert.pem" --tls-key "$aks_tls/key.pem"
