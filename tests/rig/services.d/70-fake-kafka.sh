# The Kafka fake (tests/fakes, `fake-kafka`): brokers on the real wire protocol that follow the
# broker StatefulSet's pods in the sandbox namespace (broker 100+N while pod kafka-kraft-broker-N is
# Ready; legacy: KFSCALE_RIG_KAFKA_LAYOUT=legacy follows kafka-broker with ids from 0). Seeded with the
# test chart's topics (tests/fakes/seeds/kafka-<layout>.json). Tests that need their own cluster start
# one in-process instead (kfscale_fakes::kafka::FakeKafka) or run the binary themselves.
kafka_layout="${KFSCALE_RIG_KAFKA_LAYOUT:-kraft}"
case "$kafka_layout" in
  kraft) kafka_sts=kafka-kraft-broker ;;
  legacy) kafka_sts=kafka-broker ;;
  *) die "KFSCALE_RIG_KAFKA_LAYOUT must be kraft or legacy, not '$kafka_layout'" ;;
esac
if [[ -z "${KFSCALE_FAKE_KAFKA_BIN:-}" ]]; then
  log "building fake-kafka"
  (cd "$repo" && cargo build -q --locked -p kfscale-fakes --bin fake-kafka) || die "cargo build fake-kafka failed"
  KFSCALE_FAKE_KAFKA_BIN="$(cd "$repo" && cargo metadata -q --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/fake-kafka"
fi
[[ -x "$KFSCALE_FAKE_KAFKA_BIN" ]] || die "KFSCALE_FAKE_KAFKA_BIN=$KFSCALE_FAKE_KAFKA_BIN is not an executable"
rig_spawn fake-kafka "$KFSCALE_FAKE_KAFKA_BIN" \
  --seed "$repo/tests/fakes/seeds/kafka-$kafka_layout.json" \
  --clock-speed "${KFSCALE_RIG_KAFKA_CLOCK_SPEED:-1}" \
  --watch-namespace "${KFSCALE_RIG_KAFKA_NAMESPACE:-kfuse}" \
  --watch-statefulset "$kafka_sts" \
  --kubeconfig "$KUBECONFIG"
# Its first stdout line (in its log, with the diagnostics) is the JSON address line.
fake_kafka_line() { grep -m1 '^{.*"control"' "$RIG_RUN/logs/fake-kafka.log"; }
rig_wait fake-kafka 30 fake_kafka_line
fake_kafka_json="$(fake_kafka_line)"
fake_kafka_get() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$fake_kafka_json" "$1"; }
rig_env KFSCALE_RIG_KAFKA_CONTROL "$(fake_kafka_get control)"
rig_env KFSCALE_RIG_KAFKA_BOOTSTRAP "$(fake_kafka_get bootstrap)"
rig_env KFSCALE_FAKE_KAFKA_BIN "$KFSCALE_FAKE_KAFKA_BIN"
