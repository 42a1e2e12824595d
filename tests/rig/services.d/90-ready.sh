# Ready means: the scheduler and controller-manager answer, the service-account controllers have made
# the default account with its token (pods can be created), and the daemon runs and has created the
# storage classes.
rig_wait kube-scheduler 30 curl -sfk "https://127.0.0.1:$PORT_SCHEDULER/healthz"
rig_wait kube-controller-manager 30 curl -sfk "https://127.0.0.1:$PORT_CONTROLLER_MANAGER/healthz"
default_sa_has_token() {
  curl -sfk -H "Authorization: Bearer $RIG_TOKEN" \
    "https://127.0.0.1:$PORT_APISERVER/api/v1/namespaces/default/serviceaccounts/default" |
    grep -q '"secrets"'
}
rig_wait kube-controller-manager 30 default_sa_has_token
rig_check_alive kfscale-rig
storage_classes_exist() {
  curl -sfk -H "Authorization: Bearer $RIG_TOKEN" \
    "https://127.0.0.1:$PORT_APISERVER/apis/storage.k8s.io/v1/storageclasses/gp3" >/dev/null
}
rig_wait kfscale-rig 30 storage_classes_exist
