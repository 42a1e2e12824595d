# kube-controller-manager and kube-scheduler: without them no pod is created or bound. Controllers
# that need a kubelet or a cloud are off (nodelifecycle would evict from the rig's kubelet-less nodes).
# Higher client QPS than the defaults (20/50): a test installs about 100 pods at once.
rig_spawn kube-controller-manager "$K8S_DIR/bin/kube-controller-manager" \
  --kubeconfig="$KUBECONFIG" --leader-elect=false \
  --port=0 --bind-address=127.0.0.1 --secure-port="$PORT_CONTROLLER_MANAGER" \
  --cert-dir="$kube_dir/controller-manager-certs" \
  --controllers='*,-nodelifecycle,-nodeipam,-route,-service,-cloud-node-lifecycle,-attachdetach,-persistentvolume-binder,-ttl' \
  --service-account-private-key-file="$kube_dir/sa.key" \
  --root-ca-file="$kube_dir/ca.crt" \
  --feature-gates=TTLAfterFinished=true \
  --kube-api-qps=200 --kube-api-burst=400 -v=1
rig_spawn kube-scheduler "$K8S_DIR/bin/kube-scheduler" \
  --kubeconfig="$KUBECONFIG" --leader-elect=false \
  --port=0 --bind-address=127.0.0.1 --secure-port="$PORT_SCHEDULER" \
  --cert-dir="$kube_dir/scheduler-certs" \
  --kube-api-qps=200 --kube-api-burst=400 -v=1
