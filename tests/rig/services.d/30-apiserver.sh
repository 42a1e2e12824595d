# kube-apiserver v1.20.2: token auth (one admin token), RBAC, service-account keys. Waited for (and
# its kubeconfig written) by 40-kubeconfig.sh, so the chart push overlaps its start.
kube_dir="$RIG_RUN/kube"
mkdir -p "$kube_dir/certs"
openssl genrsa -out "$kube_dir/sa.key" 2048 2>/dev/null
openssl rsa -in "$kube_dir/sa.key" -pubout -out "$kube_dir/sa.pub" 2>/dev/null
RIG_TOKEN="$(openssl rand -hex 24)"
printf '%s,kfscale-rig-admin,kfscale-rig-admin,"system:masters"\n' "$RIG_TOKEN" >"$kube_dir/tokens.csv"
rig_wait etcd 20 curl -sf "http://127.0.0.1:$PORT_ETCD/health"
# TTLAfterFinished (alpha in 1.20, on by default from 1.21) so hook Jobs expire as on a real cluster.
rig_spawn kube-apiserver "$K8S_DIR/bin/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$PORT_ETCD" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
  --secure-port="$PORT_APISERVER" --insecure-port=0 \
  --cert-dir="$kube_dir/certs" \
  --token-auth-file="$kube_dir/tokens.csv" \
  --authorization-mode=RBAC \
  --service-account-key-file="$kube_dir/sa.pub" \
  --service-account-signing-key-file="$kube_dir/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range=10.0.0.0/16 \
  --endpoint-reconciler-type=none \
  --feature-gates=TTLAfterFinished=true \
  --profiling=false -v=1
