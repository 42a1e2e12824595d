# The Kafka fake (tests/fakes, `fake-kafka`): brokers on the real wire protocol that follow the
# broker StatefulSet's pods in the sandbox namespace (broker 100+N while pod kafka-kraft-broker-N is
# Ready, advertising the pod's DNS name as a chart's broker does; legacy: KFSCALE_RIG_KAFKA_LAYOUT=legacy follows kafka-broker with ids from 0). Seeded with the
# test chart's topics (tests/fakes/seeds/kafka-<layout>.json). Tests that need their own cluster start
# one in-process instead (kfscale_fakes::kafka::FakeKafka) or run the binary themselves.
kafka_layout="${KFSCALE_RIG_KAFKA_LAYOUT:-kraft}"
case "$kafka_layout" in
  kraft) kafka_sts=kafka-kraft-broker ;;
  legacy) kafka_sts=kafka-broker ;;
  *) die "KFSCALE_RIG_KAFKA_LAYOUT must be kraft or legacy, not '$kafka_layout'" ;;
esac
rig_fake_bin fake-kafka
rig_spawn fake-kafka "$KFSCALE_FAKE_KAFKA_BIN" \
  --seed "$repo/tests/fakes/seeds/kafka-$kafka_layout.json" \
  --clock-speed "${KFSCALE_RIG_KAFKA_CLOCK_SPEED:-1}" \
  --watch-namespace "${KFSCALE_RIG_KAFKA_NAMESPACE:-kfuse}" \
  --watch-statefulset "$kafka_sts" \
  --advertise-pod-hosts \
  --kubeconfig "$KUBECONFIG"
rig_wait fake-kafka 30 rig_address_line fake-kafka
mapfile -t kafka_urls < <(rig_json_fields "$(rig_address_line fake-kafka)" control bootstrap)
((${#kafka_urls[@]} == 2)) || die "cannot read fake-kafka's address line: $(rig_address_line fake-kafka)"
rig_env KFSCALE_RIG_KAFKA_CONTROL "${kafka_urls[0]}"
rig_env KFSCALE_RIG_KAFKA_BOOTSTRAP "${kafka_urls[1]}"
rig_env KFSCALE_RIG_KAFKA_STATEFULSET "$kafka_sts"
rig_env KFSCALE_RIG_KAFKA_NAMESPACE "${KFSCALE_RIG_KAFKA_NAMESPACE:-kfuse}"
rig_env KFSCALE_FAKE_KAFKA_BIN "$KFSCALE_FAKE_KAFKA_BIN"
