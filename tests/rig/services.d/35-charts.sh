# Helm with writable dirs of its own, and the test chart packaged at each version and pushed to the
# registry: oci://127.0.0.1:PORT/kfuse-helm/kfuse --version 3.4.0 resolves like the real chart.
helm_home="$RIG_RUN/helm"
mkdir -p "$helm_home/cache" "$helm_home/config" "$helm_home/data"
rig_env KFSCALE_RIG_HELM "$HELM_DIR/helm"
rig_env HELM_CACHE_HOME "$helm_home/cache"
rig_env HELM_CONFIG_HOME "$helm_home/config"
rig_env HELM_DATA_HOME "$helm_home/data"
mapfile -t chart_versions < <("$repo/tests/charts/package.sh" "$HELM_DIR/helm" "$RIG_RUN/charts")
rig_wait registry 20 curl -sf "http://127.0.0.1:$PORT_REGISTRY/v2/"
for v in "${chart_versions[@]}"; do
  "$HELM_DIR/helm" push "$RIG_RUN/charts/kfuse-$v.tgz" "oci://127.0.0.1:$PORT_REGISTRY/kfuse-helm" \
    --plain-http >"$RIG_RUN/logs/helm-push-$v.log" 2>&1 ||
    die "helm push kfuse-$v failed: $(cat "$RIG_RUN/logs/helm-push-$v.log")"
done
rig_env KFSCALE_RIG_CHART "oci://127.0.0.1:$PORT_REGISTRY/kfuse-helm/kfuse"
rig_env KFSCALE_RIG_CHART_VERSIONS "$(IFS=,; echo "${chart_versions[*]}")"
rig_env KFSCALE_RIG_CHART_DIR "$RIG_RUN/charts"
rig_env KFSCALE_RIG_VALUES "$repo/tests/charts/values/kraft.yaml"
rig_env KFSCALE_RIG_VALUES_LEGACY "$repo/tests/charts/values/legacy.yaml"
