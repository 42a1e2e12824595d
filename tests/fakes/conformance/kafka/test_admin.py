"""Conformance of the Kafka fake with an independent real client: kafka-python 3.0.12's
KafkaAdminClient against the `fake-kafka` binary, asserting Kafka's documented results and errors.

Run by tests/fakes/tests/kafka_conformance.rs (through scripts/test, with the rig's Python venv):
    KFSCALE_FAKE_KAFKA_BIN=target/debug/fake-kafka python -m unittest -v test_admin
Each test class starts its own fake from a seed (model clock at speed 0: it moves only when a test
advances it through the control endpoint), so classes do not share state.
"""

import json
import os
import select
import subprocess
import tempfile
import time
import unittest
import urllib.request

import kafka
import kafka.errors as Errors
from kafka.admin import ConfigResource, KafkaAdminClient, OffsetSpec
from kafka.structs import TopicPartition

FAKE_BIN = os.environ.get("KFSCALE_FAKE_KAFKA_BIN")
START_TIMEOUT_S = 15

SEED = {
    "cluster_id": "kfscaleConformance0001",
    "brokers": [{"id": 100}, {"id": 101}, {"id": 102}, {"id": 103}],
    "topics": [
        {"name": "kf_logs_topic", "partitions": [
            {"replicas": [100, 101], "size_bytes": 8000000},
            {"replicas": [101, 102], "size_bytes": 8000000},
            {"replicas": [102, 100], "size_bytes": 8000000},
        ], "log_end_offset": 5000, "produce_per_sec": 100},
        {"name": "kf_metrics_topic", "partition_count": 2, "replication_factor": 2,
         "log_end_offset": 1000, "produce_per_sec": 10},
        {"name": "__consumer_offsets", "partition_count": 50, "replication_factor": 3},
    ],
    "groups": [
        {"group_id": "kf_logs_REALTIME", "offsets": [
            {"topic": "kf_logs_topic", "lag": 300, "consume_per_sec": 50},
        ]},
        {"group_id": "lag_probe", "offsets": [
            {"topic": "kf_logs_topic", "lag": 300, "consume_per_sec": 50},
        ]},
    ],
}


class Fake:
    """One `fake-kafka` process: its addresses, its control endpoint, and a way to stop it."""

    def __init__(self, seed):
        if not FAKE_BIN:
            raise RuntimeError(
                "KFSCALE_FAKE_KAFKA_BIN is not set: run this suite through "
                "tests/fakes/tests/kafka_conformance.rs (scripts/test)")
        self._dir = tempfile.TemporaryDirectory(prefix="fake-kafka-conformance-")
        seed_path = os.path.join(self._dir.name, "seed.json")
        with open(seed_path, "w") as f:
            json.dump(seed, f)
        self._log = open(os.path.join(self._dir.name, "fake.log"), "w")
        self.proc = subprocess.Popen(
            [FAKE_BIN, "--seed", seed_path, "--clock-speed", "0"],
            stdout=subprocess.PIPE, stderr=self._log, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], START_TIMEOUT_S)
        if not ready:
            self.stop()
            raise RuntimeError("fake-kafka printed no address line in %ss" % START_TIMEOUT_S)
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("fake-kafka exited: " + self.log())
        self.addresses = json.loads(line)
        self.bootstrap = self.addresses["bootstrap"]

    def log(self):
        with open(os.path.join(self._dir.name, "fake.log")) as f:
            return f.read()

    def control(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.addresses["control"] + path, data=data, method=method,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def advance(self, seconds):
        return self.control("POST", "/_control/clock/advance", {"seconds": seconds})

    def mutations(self):
        return self.control("GET", "/_control/mutations")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self._log.close()
        self._dir.cleanup()


class FakeTestCase(unittest.TestCase):
    seed = SEED

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake(cls.seed)
        try:
            cls.admin = KafkaAdminClient(bootstrap_servers=cls.fake.bootstrap, request_timeout_ms=10000,
                                         client_id="kfscale-conformance")
        except Exception:
            cls.fake.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.admin.close()
        cls.fake.stop()

    def partitions(self, topic):
        [described] = self.admin.describe_topics([topic])
        self.assertEqual(described["error_code"], 0)
        return {p["partition_index"]: p for p in described["partitions"]}


class TestClientAndCluster(FakeTestCase):
    def test_the_client_is_kafka_python_3_0_12(self):
        self.assertEqual(kafka.__version__, "3.0.12")

    def test_version_negotiation_identifies_a_kafka_4_0_broker(self):
        # kafka-python infers the broker version from ApiVersions (ListOffsets v10 -> 4.0).
        self.assertEqual(self.admin._manager.broker_version, (4, 0))

    def test_describe_cluster_lists_every_broker_at_its_advertised_address(self):
        cluster = self.admin.describe_cluster()
        self.assertEqual(cluster["cluster_id"], "kfscaleConformance0001")
        brokers = {b["broker_id"]: "%s:%d" % (b["host"], b["port"]) for b in cluster["brokers"]}
        self.assertEqual(brokers, {int(k): v for k, v in self.fake.addresses["brokers"].items()})
        self.assertIn(cluster["controller_id"], brokers)
        self.assertTrue(all(not b["is_fenced"] for b in cluster["brokers"]))


class TestTopics(FakeTestCase):
    def test_create_topics_places_replicas_on_the_brokers(self):
        result = self.admin.create_topics({"kf_events_topic": {"num_partitions": 4, "replication_factor": 3}})
        [topic] = result["topics"]
        self.assertEqual((topic["error_code"], topic["num_partitions"], topic["replication_factor"]), (0, 4, 3))
        partitions = self.partitions("kf_events_topic")
        self.assertEqual(len(partitions), 4)
        for p in partitions.values():
            self.assertEqual(len(set(p["replica_nodes"])), 3)
            self.assertEqual(p["leader_id"], p["replica_nodes"][0])
            self.assertEqual(sorted(p["isr_nodes"]), sorted(p["replica_nodes"]))

    def test_creating_an_existing_topic_raises_topic_already_exists(self):
        with self.assertRaises(Errors.TopicAlreadyExistsError):
            self.admin.create_topics({"kf_metrics_topic": {"num_partitions": 1, "replication_factor": 1}})

    def test_more_replicas_than_brokers_raises_invalid_replication_factor(self):
        with self.assertRaises(Errors.InvalidReplicationFactorError):
            self.admin.create_topics({"too_wide": {"num_partitions": 1, "replication_factor": 5}})

    def test_errors_come_back_as_codes_without_raise_errors(self):
        result = self.admin.create_topics(
            {"kf_metrics_topic": {"num_partitions": 1, "replication_factor": 1}}, raise_errors=False)
        [topic] = result["topics"]
        self.assertEqual(topic["error_code"], Errors.TopicAlreadyExistsError.errno)
        self.assertEqual(topic["error_message"], "Topic 'kf_metrics_topic' already exists.")

    def test_validate_only_creates_nothing(self):
        self.admin.create_topics({"dry_run_topic": {"num_partitions": 2, "replication_factor": 2}}, validate_only=True)
        self.assertNotIn("dry_run_topic", self.admin.list_topics())


class TestPartitions(FakeTestCase):
    def test_create_partitions_without_an_assignment_adds_partitions(self):
        self.admin.create_topics({"grow_plain": {"num_partitions": 2, "replication_factor": 2}})
        response = self.admin.create_partitions({"grow_plain": 6})
        self.assertEqual([r.error_code for r in response.results], [0])
        partitions = self.partitions("grow_plain")
        self.assertEqual(sorted(partitions), list(range(6)))
        self.assertTrue(all(len(p["replica_nodes"]) == 2 for p in partitions.values()))

    def test_create_partitions_with_an_assignment_uses_it(self):
        self.admin.create_topics({"grow_assigned": {"num_partitions": 1, "replication_factor": 2}})
        self.admin.create_partitions({"grow_assigned": {"count": 3, "assignments": [[103, 100], [102, 103]]}})
        partitions = self.partitions("grow_assigned")
        self.assertEqual(partitions[1]["replica_nodes"], [103, 100])
        self.assertEqual(partitions[2]["replica_nodes"], [102, 103])
        self.assertEqual(partitions[1]["leader_id"], 103)

    def test_decreasing_partitions_raises_invalid_partitions(self):
        with self.assertRaises(Errors.InvalidPartitionsError) as raised:
            self.admin.create_partitions({"kf_logs_topic": 2})
        self.assertIn("3 partition(s); 2 would not be an increase", str(raised.exception))
        self.assertEqual(len(self.partitions("kf_logs_topic")), 3)

    def test_the_same_count_raises_invalid_partitions(self):
        with self.assertRaises(Errors.InvalidPartitionsError):
            self.admin.create_partitions({"kf_logs_topic": 3})

    def test_an_unknown_topic_raises_unknown_topic_or_partition(self):
        with self.assertRaises(Errors.UnknownTopicOrPartitionError):
            self.admin.create_partitions({"no_such_topic": 4})

    def test_an_assignment_naming_an_unknown_broker_raises_invalid_replica_assignment(self):
        with self.assertRaises(Errors.InvalidReplicationAssignmentError):
            self.admin.create_partitions({"kf_metrics_topic": {"count": 3, "assignments": [[100, 999]]}})

    def test_an_assignment_of_the_wrong_size_raises_invalid_replica_assignment(self):
        with self.assertRaises(Errors.InvalidReplicationAssignmentError):
            self.admin.create_partitions({"kf_metrics_topic": {"count": 4, "assignments": [[100, 101]]}})


class TestReassignments(FakeTestCase):
    def test_a_throttled_reassignment_copies_at_the_throttled_rate_then_completes(self):
        # What kafka-reassign-partitions --throttle sets: leader and follower throttled replicas on
        # the topic, a rate on the brokers involved.
        tp = TopicPartition("kf_logs_topic", 0)
        self.admin.alter_configs([ConfigResource("TOPIC", "kf_logs_topic", {
            "leader.replication.throttled.replicas": "0:100,0:101",
            "follower.replication.throttled.replicas": "0:103",
        })])
        for broker in ("100", "101", "103"):
            self.admin.alter_configs([ConfigResource("BROKER", broker, {
                "leader.replication.throttled.rate": "1000000",
                "follower.replication.throttled.rate": "1000000",
            })])
        self.assertEqual(self.admin.alter_partition_reassignments({tp: [101, 103]}), {tp: None})

        ongoing = self.admin.list_partition_reassignments([tp])
        self.assertEqual(ongoing, {tp: {"replicas": [101, 103, 100], "adding_replicas": [103],
                                        "removing_replicas": [100]}})
        p = self.partitions("kf_logs_topic")[0]
        self.assertEqual((p["leader_id"], p["isr_nodes"]), (100, [100, 101]))

        # 8 MB at 1 MB/s: 8 model seconds; the copy shows on broker 103's log dir meanwhile.
        self.fake.advance(3)
        [dirs] = self.admin.describe_log_dirs({"kf_logs_topic": [0]}, brokers=[103])
        sizes = [p["partition_size"] for d in dirs["log_dirs"] for t in d["topics"] for p in t["partitions"]]
        self.assertEqual(sizes, [3000000])
        self.fake.advance(4.999)
        self.assertIn(tp, self.admin.list_partition_reassignments())
        self.fake.advance(0.001)
        self.assertEqual(self.admin.list_partition_reassignments(), {})

        p = self.partitions("kf_logs_topic")[0]
        self.assertEqual(p["replica_nodes"], [101, 103])
        self.assertEqual(sorted(p["isr_nodes"]), [101, 103])
        self.assertEqual(p["leader_id"], 101)
        self.assertGreater(p["leader_epoch"], 0)

        # Throttles must not outlive the move: delete them and check they are gone.
        self.admin.alter_configs([ConfigResource("TOPIC", "kf_logs_topic", {
            "leader.replication.throttled.replicas": ("DELETE", None),
            "follower.replication.throttled.replicas": ("DELETE", None),
        })])
        described = self.admin.describe_configs([ConfigResource("TOPIC", "kf_logs_topic")])
        self.assertNotIn("leader.replication.throttled.replicas", described["topic"]["kf_logs_topic"])

    def test_cancelling_a_reassignment_reverts_it_and_cancelling_nothing_is_refused(self):
        tp = TopicPartition("kf_logs_topic", 1)
        self.assertEqual(self.admin.alter_partition_reassignments({tp: [100, 103]}), {tp: None})
        self.assertIn(tp, self.admin.list_partition_reassignments({"kf_logs_topic": [1]}))
        self.assertEqual(self.admin.alter_partition_reassignments({tp: None}), {tp: None})
        self.assertNotIn(tp, self.admin.list_partition_reassignments())
        self.assertEqual(sorted(self.partitions("kf_logs_topic")[1]["replica_nodes"]), [101, 102])
        again = self.admin.alter_partition_reassignments({tp: None})
        self.assertIs(again[tp], Errors.NoReassignmentInProgressError)

    def test_reassigning_to_an_unknown_broker_is_refused(self):
        tp = TopicPartition("kf_logs_topic", 2)
        result = self.admin.alter_partition_reassignments({tp: [100, 999]})
        self.assertIs(result[tp], Errors.InvalidReplicationAssignmentError)
        self.assertNotIn(tp, self.admin.list_partition_reassignments())

    def test_reassigning_an_unknown_partition_is_refused(self):
        tp = TopicPartition("kf_logs_topic", 42)
        result = self.admin.alter_partition_reassignments({tp: [100, 101]})
        self.assertIs(result[tp], Errors.UnknownTopicOrPartitionError)


class TestConfigs(FakeTestCase):
    def test_describe_configs_of_a_broker_lists_the_throttle_rates(self):
        described = self.admin.describe_configs([ConfigResource("BROKER", "102")], config_filter="all")
        configs = described["broker"]["102"]
        rate = configs["follower.replication.throttled.rate"]
        self.assertEqual((rate["value"], rate["read_only"], rate["config_source"]),
                         (str(2**63 - 1), False, "DEFAULT_CONFIG"))
        self.assertTrue(configs["broker.id"]["read_only"])
        self.assertEqual(configs["broker.id"]["value"], "102")

    def test_incremental_alter_configs_sets_a_broker_throttle(self):
        result = self.admin.alter_configs([ConfigResource("BROKER", "101", {"leader.replication.throttled.rate": "5000"})])
        self.assertEqual(result, {"broker": {"101": "OK"}})
        modified = self.admin.describe_configs([ConfigResource("BROKER", "101")])["broker"]["101"]
        self.assertEqual(modified["leader.replication.throttled.rate"]["value"], "5000")
        self.assertEqual(modified["leader.replication.throttled.rate"]["config_source"], "DYNAMIC_BROKER_CONFIG")

    def test_legacy_alter_configs_works_and_the_client_keeps_other_modified_keys(self):
        self.admin.alter_configs([ConfigResource("TOPIC", "kf_metrics_topic", {"retention.ms": "3600000"})])
        result = self.admin.alter_configs(
            [ConfigResource("TOPIC", "kf_metrics_topic", {"follower.replication.throttled.replicas": "*"})],
            incremental=False)
        self.assertEqual(result, {"topic": {"kf_metrics_topic": "OK"}})
        modified = self.admin.describe_configs([ConfigResource("TOPIC", "kf_metrics_topic")])["topic"]["kf_metrics_topic"]
        self.assertEqual(modified["retention.ms"]["value"], "3600000")
        self.assertEqual(modified["follower.replication.throttled.replicas"]["value"], "*")
        self.assertEqual(modified["retention.ms"]["config_source"], "DYNAMIC_TOPIC_CONFIG")

    def test_a_malformed_throttled_replica_list_is_an_invalid_config(self):
        result = self.admin.alter_configs(
            [ConfigResource("TOPIC", "kf_metrics_topic", {"leader.replication.throttled.replicas": "0-100"})])
        self.assertTrue(result["topic"]["kf_metrics_topic"].startswith("[Error 40] InvalidConfigurationError"),
                        result)

    def test_an_unknown_topic_config_is_an_invalid_config(self):
        result = self.admin.alter_configs(
            [ConfigResource("TOPIC", "kf_metrics_topic", {"no.such.config": "1"})], raise_on_unknown=False)
        self.assertIn("Unknown topic config name: no.such.config", result["topic"]["kf_metrics_topic"])

    def test_the_client_refuses_keys_that_describe_configs_does_not_list(self):
        with self.assertRaises(ValueError):
            self.admin.alter_configs([ConfigResource("BROKER", "100", {"no.such.config": "1"})])

    def test_a_read_only_broker_config_cannot_be_altered(self):
        result = self.admin.alter_configs([ConfigResource("BROKER", "100", {"broker.id": "7"})],
                                          raise_on_unknown=False)
        self.assertTrue(result["broker"]["100"].startswith("[Error 42] InvalidRequestError"), result)


class TestGroups(FakeTestCase):
    group = "kf_logs_REALTIME"

    def test_list_consumer_group_offsets_returns_committed_offsets_that_move_on_the_clock(self):
        # Seeded 300 behind a log end of 5000, consuming 50/s; other tests may have moved the clock.
        now_s = self.fake.control("GET", "/_control/clock")["now_ms"] / 1000
        offsets = self.admin.list_group_offsets(self.group)[self.group]
        expected = 4700 + int(50 * now_s)
        self.assertEqual({tp.partition: o.offset for tp, o in offsets.items()}, {0: expected, 1: expected, 2: expected})
        self.fake.advance(10)
        offsets = self.admin.list_group_offsets({self.group: [TopicPartition("kf_logs_topic", 0)]})[self.group]
        self.assertEqual(offsets[TopicPartition("kf_logs_topic", 0)].offset, expected + 500)

    def test_lag_is_the_log_end_minus_the_committed_offset_and_grows_with_a_slow_consumer(self):
        tp = TopicPartition("kf_logs_topic", 2)
        group = "lag_probe"

        def lag():
            end = self.admin.list_partition_offsets({tp: OffsetSpec.LATEST})[tp].offset
            committed = self.admin.list_group_offsets({group: [tp]})[group][tp].offset
            return end - committed

        before = lag()
        self.fake.advance(20)
        self.assertEqual(lag() - before, 20 * (100 - 50))
        self.fake.control("POST", "/_control/rates/consume",
                          {"group": group, "topic": "kf_logs_topic", "partition": 2, "per_sec": 1000})
        self.fake.advance(60)
        self.assertEqual(lag(), 0)

    def test_offsets_of_an_unknown_group_are_empty(self):
        self.assertEqual(self.admin.list_group_offsets("no_such_group"), {"no_such_group": {}})

    def test_list_and_describe_groups(self):
        listed = self.admin.list_groups()
        self.assertIn(self.group, [g["group_id"] for g in listed])
        described = self.admin.describe_groups([self.group])[self.group]
        self.assertEqual((described["group_state"], described["error"]), ("Empty", None))


class TestFaults(FakeTestCase):
    def test_not_controller_once_is_retried_by_the_client_and_both_requests_are_counted(self):
        before = self.fake.mutations().get("CreatePartitions", 0)
        self.fake.control("POST", "/_control/faults",
                          {"api": "CreatePartitions", "error": "NOT_CONTROLLER", "count": 1})
        self.admin.create_partitions({"kf_metrics_topic": 3})
        self.assertEqual(len(self.partitions("kf_metrics_topic")), 3)
        self.assertEqual(self.fake.mutations()["CreatePartitions"], before + 2)
        log = self.fake.control("GET", "/_control/mutations/log")
        self.assertEqual([e["processed"] for e in log[-2:]], [False, True])

    def test_request_timed_out_surfaces_as_the_clients_error(self):
        self.fake.control("POST", "/_control/faults",
                          {"api": "AlterPartitionReassignments", "error": "REQUEST_TIMED_OUT", "count": 1})
        with self.assertRaises(Errors.RequestTimedOutError):
            self.admin.alter_partition_reassignments({TopicPartition("kf_metrics_topic", 0): [102, 103]})
        self.assertEqual(self.admin.list_partition_reassignments(), {})


class TestElectLeaders(FakeTestCase):
    seed = {
        "brokers": [{"id": 100}, {"id": 101}, {"id": 102}],
        "topics": [{"name": "kf_logs_topic", "partitions": [
            # Led by its second replica (the first came back): a preferred election moves it.
            {"replicas": [100, 101], "leader": 101},
            # Led by its preferred replica already.
            {"replicas": [101, 102]},
            # Its preferred replica is out of the ISR (still copying: the model clock stands still).
            {"replicas": [102, 100], "isr": [100], "leader": 100, "size_bytes": 8000000},
        ]}],
    }

    def results(self, response):
        return {(r.topic, p.partition_id): p.error_code
                for r in response.replica_election_results for p in r.partition_result}

    def elections_sent(self):
        log = self.fake.control("GET", "/_control/mutations/log")
        return [m["request"] for m in log if m["api"] == "ElectLeaders"]

    def test_a_preferred_election_moves_leadership_to_the_first_replica(self):
        before = len(self.elections_sent())
        self.assertEqual(self.partitions("kf_logs_topic")[0]["leader_id"], 101)
        response = self.admin.elect_leaders(0, {"kf_logs_topic": [0]})
        self.assertEqual(self.results(response), {("kf_logs_topic", 0): 0})
        self.assertEqual(self.partitions("kf_logs_topic")[0]["leader_id"], 100)
        # Again: nothing to do, and the client takes ELECTION_NOT_NEEDED as success.
        again = self.admin.elect_leaders(0, {"kf_logs_topic": [0]})
        self.assertEqual(self.results(again), {("kf_logs_topic", 0): Errors.ElectionNotNeededError.errno})
        sent = self.elections_sent()[before:]
        self.assertEqual(sent, [{"election_type": 0, "partitions": ["kf_logs_topic-0"]}] * 2)

    def test_a_preferred_leader_out_of_the_isr_is_not_available(self):
        with self.assertRaises(Errors.PreferredLeaderNotAvailableError):
            self.admin.elect_leaders(0, {"kf_logs_topic": [2]})
        response = self.admin.elect_leaders(0, {"kf_logs_topic": [2]}, raise_errors=False)
        self.assertEqual(self.results(response),
                         {("kf_logs_topic", 2): Errors.PreferredLeaderNotAvailableError.errno})
        self.assertEqual(self.partitions("kf_logs_topic")[2]["leader_id"], 100)

    def test_an_unknown_partition_is_named(self):
        response = self.admin.elect_leaders(0, {"kf_logs_topic": [7]}, raise_errors=False)
        self.assertEqual(self.results(response),
                         {("kf_logs_topic", 7): Errors.UnknownTopicOrPartitionError.errno})


class TestLegacyLayout(FakeTestCase):
    seed = {
        "layout": "legacy",
        "brokers": [{"id": 0}, {"id": 1}, {"id": 2}],
        "topics": [{"name": "kf_logs_topic", "partition_count": 3, "replication_factor": 2}],
    }

    def test_broker_ids_start_at_zero_and_the_client_finds_the_controller(self):
        cluster = self.admin.describe_cluster()
        self.assertEqual(sorted(b["broker_id"] for b in cluster["brokers"]), [0, 1, 2])
        self.assertEqual(cluster["controller_id"], 0)
        self.admin.create_partitions({"kf_logs_topic": 6})
        self.assertEqual(len(self.partitions("kf_logs_topic")), 6)


if __name__ == "__main__":
    unittest.main()
