# Waits for the API server and writes the kubeconfig. The CA is the last certificate of the
# self-signed serving bundle the API server wrote into its cert dir.
rig_wait kube-apiserver 60 curl -sfk -H "Authorization: Bearer $RIG_TOKEN" \
  "https://127.0.0.1:$PORT_APISERVER/readyz"
awk '/BEGIN CERTIFICATE/ { cert = "" } { cert = cert $0 "\n" } END { printf "%s", cert }' \
  "$kube_dir/certs/apiserver.crt" >"$kube_dir/ca.crt"
cat >"$kube_dir/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
  - name: kfscale-rig
    cluster:
      server: https://127.0.0.1:$PORT_APISERVER
      certificate-authority-data: $(base64 -w0 "$kube_dir/ca.crt")
users:
  - name: kfscale-rig-admin
    user:
      token: $RIG_TOKEN
contexts:
  - name: kfscale-rig
    context:
      cluster: kfscale-rig
      user: kfscale-rig-admin
current-context: kfscale-rig
YAML
chmod 600 "$kube_dir/kubeconfig"
rig_env KUBECONFIG "$kube_dir/kubeconfig"
rig_env KFSCALE_RIG_KUBE_URL "https://127.0.0.1:$PORT_APISERVER"
