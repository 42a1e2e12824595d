# Checks the install, picks the ports and writes the settings every service shares.
[[ -f "$K8S_DIR/.complete" ]] || die "Kubernetes $K8S_VERSION is not installed in $K8S_DIR: run tests/rig/install.sh"
[[ -x "$HELM_DIR/helm" ]] || die "helm $HELM_VERSION is not installed in $HELM_DIR: run tests/rig/install.sh"
RIG_VENV="$(venv_dir)"
[[ -f "$RIG_VENV/.complete" ]] || die "the Python venv is not installed in $RIG_VENV: run tests/rig/install.sh"
[[ -f "$AZURE_CLI_DIR/.complete" && -x "$AZURE_CLI_DIR/bin/az" ]] ||
  die "azure-cli $AZURE_CLI_VERSION is not installed in $AZURE_CLI_DIR: run tests/rig/install.sh"
for tool in etcd docker-registry openssl curl git; do
  command -v "$tool" >/dev/null || die "$tool is missing: run tests/rig/install.sh"
done

mapfile -t RIG_PORTS < <(rig_free_ports 7)
PORT_ETCD="${RIG_PORTS[0]}"
PORT_ETCD_PEER="${RIG_PORTS[1]}"
PORT_APISERVER="${RIG_PORTS[2]}"
PORT_MOTO="${RIG_PORTS[3]}"
PORT_REGISTRY="${RIG_PORTS[4]}"
PORT_CONTROLLER_MANAGER="${RIG_PORTS[5]}"
PORT_SCHEDULER="${RIG_PORTS[6]}"

rig_env KFSCALE_RIG_DIR "$RIG_RUN"
rig_env KFSCALE_RIG_ENV "$RIG_RUN/rig.env"
# Dummy credentials: moto accepts any, and nothing may reach a real cloud.
rig_env AWS_ACCESS_KEY_ID testing
rig_env AWS_SECRET_ACCESS_KEY testing
rig_env AWS_REGION us-east-1
rig_env AWS_DEFAULT_REGION us-east-1
rig_env AWS_EC2_METADATA_DISABLED true
rig_env KFSCALE_RIG_PYTHON "$RIG_VENV/bin/python"
# The GKE discovery document, for the GKE fake's conformance check.
container_json="$("$RIG_VENV/bin/python" -c 'import googleapiclient, os; print(os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents", "container.v1.json"))')"
[[ -f "$container_json" ]] || die "container.v1.json is missing from google-api-python-client in $RIG_VENV"
rig_env KFSCALE_CONTAINER_V1_JSON "$container_json"
# The Azure CLI and its Python (whose azure-mgmt-containerservice the AKS fake is checked against).
rig_env KFSCALE_AZ "$AZURE_CLI_DIR/bin/az"
rig_env KFSCALE_AZURE_CLI_PYTHON "$AZURE_CLI_DIR/bin/python"
