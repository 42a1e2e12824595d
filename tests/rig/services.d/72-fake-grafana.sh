# The Grafana fake (tests/fakes, `fake-grafana`): Grafana's alert-rule status API
# (/api/prometheus/grafana/api/v1/rules) with Kloudfuse-like rules, all Normal at the start; tests
# make a rule fire or error through its control endpoint. Tests that need a Grafana of their own
# start one in-process (kfscale_fakes::grafana::GrafanaFake) or run the binary (KFSCALE_FAKE_GRAFANA_BIN).
rig_fake_bin fake-grafana
rig_spawn fake-grafana "$KFSCALE_FAKE_GRAFANA_BIN"
rig_wait fake-grafana 30 rig_address_line fake-grafana
mapfile -t grafana_urls < <(rig_json_fields "$(rig_address_line fake-grafana)" api control)
((${#grafana_urls[@]} == 2)) || die "cannot read fake-grafana's address line: $(rig_address_line fake-grafana)"
rig_env KFSCALE_RIG_GRAFANA_URL "${grafana_urls[0]}"
rig_env KFSCALE_RIG_GRAFANA_CONTROL "${grafana_urls[1]}"
rig_env KFSCALE_FAKE_GRAFANA_BIN "$KFSCALE_FAKE_GRAFANA_BIN"
