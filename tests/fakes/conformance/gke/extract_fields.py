#!/usr/bin/env python3
"""Extracts the field lists the GKE fake's conformance test checks against, from the discovery document
`container.v1.json` shipped in the PyPI package google-api-python-client
(googleapiclient/discovery_cache/documents/container.v1.json).

    pip download --no-deps google-api-python-client==2.202.0 -d /tmp/gapi
    unzip -o /tmp/gapi/google_api_python_client-*.whl \
        'googleapiclient/discovery_cache/documents/container.v1.json' -d /tmp/gapi
    python3 extract_fields.py /tmp/gapi/googleapiclient/discovery_cache/documents/container.v1.json \
        google-api-python-client==2.202.0 > container.v1.fields.json

The test (tests/gke_conformance.rs) also re-runs this extraction in Rust when KFSCALE_CONTAINER_V1_JSON
names the full document, so the committed list cannot drift from the source.
"""
import json
import sys

# Every schema the fake writes or reads. The test fails if a response reaches a schema not listed here.
SCHEMAS = [
    "Cluster", "ListClustersResponse", "ListNodePoolsResponse", "NodeConfig", "NodeManagement", "NodePool",
    "NodePoolAutoscaling", "NodeTaint", "Operation", "SetNodePoolAutoscalingRequest", "SetNodePoolSizeRequest",
    "Status", "UpgradeSettings",
]


def field(prop):
    items = prop.get("items") or {}
    extra = prop.get("additionalProperties") or {}
    out = {
        "type": prop.get("type"),
        "format": prop.get("format"),
        "ref": prop.get("$ref"),
        "items": items.get("$ref") or items.get("type"),
        "values": extra.get("$ref") or extra.get("type"),
        "enum": prop.get("enum"),
    }
    return {k: v for k, v in out.items() if v}


def main():
    doc = json.load(open(sys.argv[1]))
    schemas = {name: {f: field(p) for f, p in doc["schemas"][name].get("properties", {}).items()} for name in SCHEMAS}
    package = sys.argv[2] if len(sys.argv) > 2 else "google-api-python-client"
    json.dump({"source": package + ": googleapiclient/discovery_cache/documents/container.v1.json",
               "revision": doc["revision"], "schemas": schemas}, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
