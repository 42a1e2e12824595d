#!/usr/bin/env python3
"""Writes the example snapshots under examples/snapshots/ from the example values files.

Deterministic (seeded): re-running it gives the same bytes. The values text is embedded redacted,
the way `kfscale snapshot` embeds it, by running `kfscale redact`.
Usage: examples/tools/make_snapshots.py [path/to/kfscale]
"""
import hashlib
import json
import random
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent
KFSCALE = sys.argv[1] if len(sys.argv) > 1 else str(EXAMPLES.parent / "target/debug/kfscale")


def values(name):
    path = EXAMPLES / "values" / name
    raw = path.read_bytes()
    redacted = subprocess.run([KFSCALE, "redact", "--values", str(path)], check=True, capture_output=True).stdout
    return {
        "path": f"values/{name}",
        "sha256": hashlib.sha256(raw).hexdigest(),
        "text": redacted.decode(),
        "git": {"branch": "main", "head_commit": hashlib.sha1(raw).hexdigest(), "uncommitted_changes": False},
    }


def round_robin(topic_index, partitions, brokers, rf):
    """Kafka-like placement: start shifted per topic, replicas on the following brokers."""
    out = []
    for p in range(partitions):
        first = (topic_index + p) % len(brokers)
        out.append([brokers[(first + r) % len(brokers)] for r in range(rf)])
    return out


def topics_for(spec, brokers, rng):
    topics = []
    for index, (name, partitions, rf) in enumerate(spec):
        parts = []
        for p, replicas in enumerate(round_robin(index, partitions, brokers, rf)):
            parts.append({
                "partition": p,
                "leader": replicas[0],
                "replicas": replicas,
                "isr": replicas,
                "size_bytes": rng.randrange(2, 9) * 1024**3 + rng.randrange(0, 1024**3),
            })
        topics.append({"name": name, "partitions": parts})
    return topics


def workloads(counts, nodes):
    out = []
    for kind, name, replicas in counts:
        per_node = {}
        for i in range(replicas):
            node = nodes[i % len(nodes)]
            per_node[node] = per_node.get(node, 0) + 1
        out.append({"kind": kind, "name": name, "replicas": replicas, "ready_replicas": replicas,
                    "updated_replicas": replicas, "pods_per_node": per_node})
    return out


def groups(topics, rng):
    out = []
    for topic in topics:
        table = topic["name"].removesuffix("_topic")
        parts = []
        for p in topic["partitions"]:
            end = rng.randrange(10**6, 10**7)
            parts.append({"topic": topic["name"], "partition": p["partition"], "end_offset": end,
                          "committed_offset": end - rng.randrange(0, 500)})
        out.append({"group": f"{table}_REALTIME", "partitions": parts})
    return out


def pinot(tables, servers, tenant="DefaultTenant"):
    instances = [{"name": f"Server_pinot-server-realtime-{i}.pinot-server-realtime-headless.kfuse.svc.cluster.local_8098",
                  "instance_type": "SERVER", "tags": [f"{tenant}_REALTIME"], "enabled": True} for i in range(servers)]
    instances += [{"name": "Controller_pinot-controller-0.pinot-controller-headless.kfuse.svc.cluster.local_9000",
                   "instance_type": "CONTROLLER", "tags": [], "enabled": True},
                  {"name": "Broker_pinot-broker-0.pinot-broker-headless.kfuse.svc.cluster.local_8099",
                   "instance_type": "BROKER", "tags": [f"{tenant}_BROKER"], "enabled": True}]
    names = [i["name"] for i in instances if i["instance_type"] == "SERVER"]
    return {
        "tables": [{"name": t, "table_type": "REALTIME", "server_tag": f"{tenant}_REALTIME", "replication": 1,
                    "segments": {"good": 120 + 7 * i, "bad": 0, "updating": 0}, "servers": names}
                   for i, t in enumerate(tables)],
        "instances": instances,
        "running_rebalances": [],
    }


def eks_kraft():
    rng = random.Random(6_9)
    nodes = [f"ip-10-0-1-{10 + i}.ec2.internal" for i in range(6)]
    brokers = list(range(100, 106))
    spec = [(name, 24, 1) for name in [
        "logs_ingest_topic", "kf_logs_topic", "kf_logs_metric_topic", "kf_metrics_topic", "kf_metrics_rollup_topic",
        "kf_traces_topic", "kf_traces_errors_topic", "kf_traces_metric_topic", "kf_events_topic"]]
    # A customer topic outside the values file: it does not grow, so balancing it means moving data.
    spec.append(("acme_audit_topic", 18, 1))
    topics = topics_for(spec, brokers, rng)
    topics.append({"name": "__consumer_offsets", "internal": True,
                   "partitions": [{"partition": p, "leader": brokers[p % 6], "replicas": [brokers[p % 6]],
                                   "isr": [brokers[p % 6]], "size_bytes": 1048576} for p in range(50)]})
    counts = [
        ("StatefulSet", "kafka-kraft-broker", 6), ("StatefulSet", "kafka-kraft-controller", 3),
        ("StatefulSet", "pinot-zookeeper", 3), ("StatefulSet", "pinot-controller", 3), ("StatefulSet", "pinot-broker", 3),
        ("StatefulSet", "pinot-server-realtime", 6), ("StatefulSet", "pinot-server-offline", 3), ("StatefulSet", "pinot-minion", 2),
        ("Deployment", "ingester", 6), ("Deployment", "logs-parser", 6), ("Deployment", "logs-transformer", 4),
        ("Deployment", "metrics-transformer", 4), ("Deployment", "trace-transformer", 3), ("Deployment", "query-service", 3),
        ("Deployment", "logs-query-service", 2), ("Deployment", "trace-query-service", 2),
        ("Deployment", "events-query-service", 1), ("Deployment", "rum-query-service", 1),
        ("Deployment", "kfuse-ingress-nginx-controller", 2), ("StatefulSet", "kfuse-redis", 1),
        ("StatefulSet", "kfuse-configdb", 1), ("Deployment", "kfuse-grafana", 1),
    ]
    v = values("kraft-values.yaml")
    return {
        "format_version": 1,
        "kfscale_version": "0.1.0",
        "observed_at": "2026-11-28T06:00:00Z",
        "node_pool": {"provider": "eks", "region": "us-east-1", "cluster": "acme-prod", "nodegroup": "kfuse",
                      "status": "ACTIVE", "min_size": 3, "max_size": 6, "desired_size": 6,
                      "instance_types": ["r6i.4xlarge"]},
        "kubernetes": {
            "server_version": "v1.30.4-eks",
            "namespace": "kfuse",
            "nodes": [{"name": n, "pool": "kfuse", "zone": "us-east-1a", "instance_type": "r6i.4xlarge", "ready": True}
                      for n in nodes],
            "workloads": workloads(counts, nodes),
            "jobs": [],
            "pvcs": [{"name": f"data-kafka-kraft-broker-{i}", "storage_class": "gp3-kafka", "requested": "400Gi",
                      "capacity": "400Gi"} for i in range(6)]
                    + [{"name": f"data-pinot-server-realtime-{i}", "storage_class": "gp3-pinot", "requested": "500Gi",
                        "capacity": "500Gi"} for i in range(6)],
            "storage_classes": [
                {"name": "gp3-kafka", "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3", "iops": "3000", "throughput": "125"},
                 "allow_volume_expansion": True},
                {"name": "gp3-pinot", "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3", "iops": "6000", "throughput": "500"},
                 "allow_volume_expansion": True}],
            "kfuse_version": "3.4.1",
            "kraft_cluster_id_secret": "J7s9dHqYQ9mXr1vKp2bT4w",
        },
        "helm": {"name": "kfuse", "namespace": "kfuse", "chart": "kfuse", "chart_version": "3.4.1", "app_version": "3.4.1",
                 "revision": 14, "status": "deployed", "user_values": user_values("kraft-values.yaml")},
        "values": v,
        "kafka": {
            "cluster_id": "J7s9dHqYQ9mXr1vKp2bT4w",
            "controller_id": 0,
            "brokers": [{"id": b, "host": f"kafka-kraft-broker-{b - 100}.kafka-kraft-broker-headless.kfuse.svc.cluster.local",
                         "port": 9092} for b in brokers],
            "topics": topics,
            "reassignments": [],
            "throttles": {"brokers": {}, "topics": {}},
            "consumer_groups": groups([t for t in topics if t["name"].startswith("kf_")][:3], rng),
        },
        "pinot": pinot(["kf_logs_REALTIME", "kf_metrics_REALTIME", "kf_metrics_rollup_REALTIME", "kf_events_REALTIME",
                        "kf_traces_REALTIME", "kf_traces_errors_REALTIME"], 6),
    }


def gke_legacy():
    rng = random.Random(3_4)
    nodes = [f"gke-globex-kfuse-pool-8f2a{i}" for i in range(3)]
    brokers = [0, 1, 2]
    spec = [("logs_ingest_topic", 12, 2), ("kf_logs_topic", 12, 2), ("kf_metrics_topic", 12, 2),
            ("kf_traces_topic", 12, 2), ("kf_events_topic", 6, 2)]
    topics = topics_for(spec, brokers, rng)
    counts = [
        ("StatefulSet", "kafka-broker", 3), ("StatefulSet", "kafka-zookeeper", 3), ("StatefulSet", "pinot-zookeeper", 3),
        ("StatefulSet", "pinot-controller", 1), ("StatefulSet", "pinot-broker", 1), ("StatefulSet", "pinot-server-realtime", 3),
        ("StatefulSet", "pinot-server-offline", 1), ("StatefulSet", "pinot-minion", 1), ("Deployment", "ingester", 3),
        ("Deployment", "logs-parser", 3), ("Deployment", "logs-transformer", 2), ("Deployment", "metrics-transformer", 2),
        ("Deployment", "trace-transformer", 1), ("Deployment", "query-service", 1), ("StatefulSet", "kfuse-redis", 1),
        ("StatefulSet", "kfuse-configdb", 1), ("Deployment", "kfuse-grafana", 1),
    ]
    v = values("legacy-values.yaml")
    return {
        "format_version": 1,
        "kfscale_version": "0.1.0",
        "observed_at": "2026-11-28T06:00:00Z",
        "node_pool": {"provider": "gke", "project": "globex-obs", "location": "us-central1-a", "cluster": "globex",
                      "pool": "kfuse-pool", "status": "RUNNING", "locations": ["us-central1-a"], "node_count_per_zone": 3,
                      "machine_type": "n2-highmem-16"},
        "kubernetes": {
            "server_version": "v1.30.5-gke.1014001",
            "namespace": "kfuse",
            "nodes": [{"name": n, "pool": "kfuse-pool", "zone": "us-central1-a", "instance_type": "n2-highmem-16", "ready": True}
                      for n in nodes],
            "workloads": workloads(counts, nodes),
            "jobs": [{"name": "kfuse-kafka-topic-creation", "active": 0, "succeeded": 1, "failed": 0}],
            "pvcs": [{"name": f"data-kafka-broker-{i}", "storage_class": "standard-rwo", "requested": "200Gi", "capacity": "200Gi"}
                     for i in range(3)],
            "storage_classes": [{"name": "standard-rwo", "provisioner": "pd.csi.storage.gke.io",
                                 "parameters": {"type": "pd-balanced"}, "allow_volume_expansion": True}],
            "kfuse_version": "3.4.1",
        },
        "helm": {"name": "kfuse", "namespace": "kfuse", "chart": "kfuse", "chart_version": "3.4.1", "app_version": "3.4.1",
                 "revision": 7, "status": "deployed", "user_values": user_values("legacy-values.yaml")},
        "values": v,
        "kafka": {
            "cluster_id": "gX3kZ0-2QbOeWmAb1n3yVw",
            "controller_id": 1,
            "brokers": [{"id": b, "host": f"kafka-broker-{b}.kafka-broker-headless.kfuse.svc.cluster.local", "port": 9092}
                        for b in brokers],
            "topics": topics,
            "reassignments": [],
            "throttles": {"brokers": {}, "topics": {}},
            "consumer_groups": [],
        },
        "pinot": pinot(["kf_logs_REALTIME", "kf_metrics_REALTIME", "kf_events_REALTIME", "kf_traces_REALTIME"], 3),
    }


def eks_kraft_sparse():
    """A sparse customer file over the chart's defaults (recorded in the release), a workload the
    profile does not name, one it cannot place, and Pinot realtime volumes grown by hand."""
    rng = random.Random(6_1)
    nodes = [f"ip-10-1-1-{10 + i}.ec2.internal" for i in range(6)]
    brokers = list(range(100, 106))
    spec = [(name, 12, 1) for name in ["logs_ingest_topic", "kf_logs_topic", "kf_metrics_topic", "kf_traces_topic"]]
    topics = topics_for(spec, brokers, rng)
    counts = [
        ("StatefulSet", "kafka-kraft-broker", 6), ("StatefulSet", "kafka-kraft-controller", 3),
        ("StatefulSet", "pinot-zookeeper", 3), ("StatefulSet", "pinot-controller", 2), ("StatefulSet", "pinot-broker", 2),
        ("StatefulSet", "pinot-server-realtime", 6), ("StatefulSet", "pinot-server-offline", 2), ("StatefulSet", "pinot-minion", 2),
        ("Deployment", "ingester", 6), ("Deployment", "logs-parser", 4), ("Deployment", "logs-transformer", 4),
        ("Deployment", "query-service", 2), ("StatefulSet", "kfuse-redis", 1), ("StatefulSet", "kfuse-configdb", 1),
        ("Deployment", "kfuse-grafana", 1),
        # Not in the profile: placed by the chart's convention (`rum-ingester.replicaCount`)...
        ("Deployment", "kfuse-rum-ingester", 2),
        # ... and one whose replica count the chart keeps elsewhere: a warning names it.
        ("Deployment", "kfuse-hydration-service", 1),
        # Scaled to zero: nothing to account for.
        ("Deployment", "kfuse-profiler", 0),
    ]
    chart_defaults = {
        "global": {"numNodes": 3, "cloudProvider": "aws"},
        "kafka-kraft": {"controller": {"replicaCount": 3}, "broker": {"replicaCount": 3, "persistence": {"size": "400Gi"}}},
        "kafka": {"logRetentionBytes": 10737418240},
        "kafkaTopics": [{"name": t, "partitions": 12, "replicationFactor": 1} for t, _, _ in spec],
        "pinot": {"zookeeper": {"replicaCount": 3}, "controller": {"replicaCount": 2}, "broker": {"replicaCount": 2},
                  "server": {"realtime": {"replicaCount": 3, "persistence": {"size": "500Gi"}},
                             "offline": {"replicaCount": 2}},
                  "minion": {"replicaCount": 2}},
        "ingester": {"replicaCount": 3}, "logs-parser": {"replicaCount": 4}, "logs-transformer": {"replicaCount": 4},
        "query-service": {"replicaCount": 2},
        "kfuse-redis": {"replicaCount": 1}, "kfuse-configdb": {"replicaCount": 1}, "kfuse-grafana": {"replicaCount": 1},
        "rum-ingester": {"replicaCount": 2},
        "hydration": {"service": {"replicas": 1}},
    }
    workload_list = workloads(counts, nodes)
    for workload in workload_list:
        if workload["name"] == "kafka-kraft-broker":
            workload["volume_claim_templates"] = {"data": "400Gi"}
        if workload["name"] == "pinot-server-realtime":
            # Re-created by hand after its claims were grown: the template already says 600Gi.
            workload["volume_claim_templates"] = {"data": "600Gi"}
    v = values("kraft-sparse-values.yaml")
    return {
        "format_version": 1,
        "kfscale_version": "0.1.0",
        "observed_at": "2026-12-06T06:00:00Z",
        "node_pool": {"provider": "eks", "region": "us-east-1", "cluster": "initech-prod", "nodegroup": "kfuse",
                      "status": "ACTIVE", "min_size": 3, "max_size": 9, "desired_size": 6,
                      "instance_types": ["r6i.4xlarge"]},
        "kubernetes": {
            "server_version": "v1.30.4-eks",
            "namespace": "kfuse",
            "nodes": [{"name": n, "pool": "kfuse", "zone": "us-east-1a", "instance_type": "r6i.4xlarge", "ready": True}
                      for n in nodes],
            "workloads": workload_list,
            "jobs": [],
            "pvcs": [{"name": f"data-kafka-kraft-broker-{i}", "storage_class": "gp3", "requested": "400Gi",
                      "capacity": "400Gi"} for i in range(6)]
                    + [{"name": f"data-pinot-server-realtime-{i}", "storage_class": "gp3", "requested": "600Gi",
                        "capacity": "600Gi"} for i in range(6)],
            "storage_classes": [{"name": "gp3", "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"},
                                 "allow_volume_expansion": True}],
            "kfuse_version": "3.4.1",
            "kraft_cluster_id_secret": "Q1nItEcHcLuStErIdAbCdE",
        },
        "helm": {"name": "kfuse", "namespace": "kfuse", "chart": "kfuse", "chart_version": "3.4.1", "app_version": "3.4.1",
                 "revision": 5, "status": "deployed", "user_values": user_values("kraft-sparse-values.yaml"),
                 "chart_values": chart_defaults},
        "values": v,
        "kafka": {
            "cluster_id": "Q1nItEcHcLuStErIdAbCdE",
            "controller_id": 0,
            "brokers": [{"id": b, "host": f"kafka-kraft-broker-{b - 100}.kafka-kraft-broker-headless.kfuse.svc.cluster.local",
                         "port": 9092} for b in brokers],
            "topics": topics,
            "reassignments": [],
            "throttles": {"brokers": {}, "topics": {}},
            "consumer_groups": [],
        },
        "pinot": pinot(["kf_logs_REALTIME", "kf_metrics_REALTIME", "kf_traces_REALTIME"], 6),
    }


def user_values(name):
    """What `helm get values -o json` returns when the file is up to date, secrets redacted."""
    path = EXAMPLES / "values" / name
    out = subprocess.run([KFSCALE, "redact", "--json", "--values", str(path)], check=True, capture_output=True).stdout
    return json.loads(out)


def main():
    for name, snapshot in [("eks-kraft-6-nodes.json", eks_kraft()), ("gke-legacy-3-nodes.json", gke_legacy()),
                           ("eks-kraft-sparse-6-nodes.json", eks_kraft_sparse())]:
        path = EXAMPLES / "snapshots" / name
        path.write_text(json.dumps(snapshot, indent=2) + "\n")
        print(f"wrote {path.relative_to(EXAMPLES.parent)}")


if __name__ == "__main__":
    main()
