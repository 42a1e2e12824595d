# An OCI registry (Debian's docker-registry, distribution 2.8) so the chart is pulled by version from
# an oci:// reference, as the real chart is. Waited for by 35-charts.sh.
mkdir -p "$RIG_RUN/registry"
cat >"$RIG_RUN/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $RIG_RUN/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$PORT_REGISTRY
YAML
rig_spawn registry docker-registry serve "$RIG_RUN/registry.yml"
rig_env KFSCALE_RIG_REGISTRY "127.0.0.1:$PORT_REGISTRY"
