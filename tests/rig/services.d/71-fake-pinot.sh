# The Pinot fake (tests/fakes, `fake-pinot`): the Pinot controller REST API, seeded like the test chart
# (tests/rig/seeds/pinot.json): the six Kloudfuse REALTIME tables (12 partitions, replication 1) on
# tenant DefaultTenant, held by servers pinot-server-realtime-0..5. The servers follow the pods of the
# sandbox namespace (${KFSCALE_RIG_PINOT_NAMESPACE:-kfuse}): live while their pod is Ready; a new
# pinot-server-* pod registers when Ready, tagged DefaultTenant_REALTIME (_OFFLINE for -offline pods),
# and holds segments only after a rebalance. Started after 60-daemon.sh, which makes pods Ready.
# Tests that need a Pinot of their own start one in-process (kfscale_fakes::pinot::PinotFake) or run
# the binary (KFSCALE_FAKE_PINOT_BIN) with --watch-namespace on their namespace.
rig_fake_bin fake-pinot
pinot_namespace="${KFSCALE_RIG_PINOT_NAMESPACE:-kfuse}"
# Instance names embed the namespace (Server_<pod>.<set>-headless.<ns>.svc.cluster.local_8098): for
# another namespace than the seed's, the seed is rewritten.
pinot_seed="$repo/tests/rig/seeds/pinot.json"
if [[ "$pinot_namespace" != kfuse ]]; then
  python3 -c 'import json, sys
seed = json.load(open(sys.argv[1]))
seed["namespace"] = sys.argv[2]
json.dump(seed, open(sys.argv[3], "w"), indent=1)' "$pinot_seed" "$pinot_namespace" "$RIG_RUN/pinot-seed.json"
  pinot_seed="$RIG_RUN/pinot-seed.json"
fi
rig_spawn fake-pinot "$KFSCALE_FAKE_PINOT_BIN" --seed "$pinot_seed" \
  --clock-speed "${KFSCALE_RIG_PINOT_CLOCK_SPEED:-1}" \
  --watch-namespace "$pinot_namespace"
rig_wait fake-pinot 30 rig_address_line fake-pinot
mapfile -t pinot_urls < <(rig_json_fields "$(rig_address_line fake-pinot)" api control)
((${#pinot_urls[@]} == 2)) || die "cannot read fake-pinot's address line: $(rig_address_line fake-pinot)"
rig_env KFSCALE_RIG_PINOT_URL "${pinot_urls[0]}"
rig_env KFSCALE_RIG_PINOT_CONTROL "${pinot_urls[1]}"
rig_env KFSCALE_RIG_PINOT_NAMESPACE "$pinot_namespace"
rig_env KFSCALE_FAKE_PINOT_BIN "$KFSCALE_FAKE_PINOT_BIN"
