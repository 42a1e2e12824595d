#!/usr/bin/env python3
"""Extracts the field lists the AKS fake's conformance test checks against, from the ARM models the
Azure CLI itself uses: azure-mgmt-containerservice (the containerservice spec, generated) and
azure-mgmt-resource (subscriptions), as installed with azure-cli by tests/rig/install/azure-cli.sh.

    ~/.cache/kfscale/rig/azure-cli-2.91.0/bin/python extract_fields.py > fields.json

Each schema maps a REST field name to its JSON kind (string, integer, number, boolean, array,
object) and whether only the service writes it (readOnly). The test (tests/it/aks_conformance.rs)
re-runs this script with the rig's azure-cli Python (KFSCALE_AZURE_CLI_PYTHON) and fails when the
committed copy drifted.
"""
import importlib.metadata
import json
import re
import sys

from azure.mgmt.containerservice import models as aks
from azure.mgmt.resource.subscriptions import models as subscriptions

# Every schema the fake writes or reads.
AKS_SCHEMAS = [
    "AgentPool", "AgentPoolUpgradeSettings", "ErrorDetail", "ErrorResponse", "ManagedCluster",
    "ManagedClusterAgentPoolProfile", "ManagedClusterAgentPoolProfileProperties", "ManagedClusterProperties",
    "PowerState",
]
SUBSCRIPTION_SCHEMAS = ["Subscription", "SubscriptionListResult", "SubscriptionPolicies"]

# ARM's async operation status (common-types/resource-management/v5/types.json, OperationStatusResult),
# which azure-core's ARM poller reads at the Azure-AsyncOperation URL; no package models it.
OPERATION_STATUS = {
    "id": {"kind": "string", "readOnly": True},
    "resourceId": {"kind": "string", "readOnly": True},
    "name": {"kind": "string", "readOnly": False},
    "status": {"kind": "string", "readOnly": False},
    "percentComplete": {"kind": "number", "readOnly": False},
    "startTime": {"kind": "string", "readOnly": False},
    "endTime": {"kind": "string", "readOnly": False},
    "operations": {"kind": "array", "readOnly": False},
    "error": {"kind": "object", "readOnly": False},
}


def kind(annotation):
    text = str(annotation)
    if "list[" in text or "List[" in text:
        return "array"
    if "dict[" in text or "Dict[" in text:
        return "object"
    if "ForwardRef" in text and "Union[str" not in text:
        return "object"
    for name, out in (("bool", "boolean"), ("int", "integer"), ("float", "number"), ("str", "string"),
                      ("datetime", "string")):
        if re.search(r"\b%s\b" % name, text):
            return out
    return "object"


def typespec_schema(cls):
    cls()  # the generated models compute their field table on first use
    annotations = {}
    for base in reversed(cls.__mro__):
        annotations.update(getattr(base, "__annotations__", {}))
    out = {}
    for attr, field in cls._attr_to_rest_field.items():
        out[field._rest_name] = {"kind": kind(annotations.get(attr)), "readOnly": field._visibility == ["read"]}
    return out


def msrest_schema(cls):
    readonly = {name for name, rule in getattr(cls, "_validation", {}).items() if rule.get("readonly")}
    out = {}
    for attr, spec in cls._attribute_map.items():
        msrest_type = spec["type"]
        out[spec["key"].split(".")[-1]] = {
            "kind": {"str": "string", "int": "integer", "bool": "boolean", "float": "number"}.get(
                msrest_type, "array" if msrest_type.startswith("[") else "object"),
            "readOnly": attr in readonly,
        }
    return out


def main():
    schemas = {name: typespec_schema(getattr(aks, name)) for name in AKS_SCHEMAS}
    schemas.update({name: msrest_schema(getattr(subscriptions, name)) for name in SUBSCRIPTION_SCHEMAS})
    schemas["OperationStatusResult"] = OPERATION_STATUS
    json.dump({
        "source": "azure-mgmt-containerservice %s (api-version %s), azure-mgmt-resource %s" % (
            importlib.metadata.version("azure-mgmt-containerservice"), aks_api_version(),
            importlib.metadata.version("azure-mgmt-resource")),
        "schemas": schemas,
    }, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


def aks_api_version():
    from azure.mgmt.containerservice import _configuration
    source = open(_configuration.__file__).read()
    return re.search(r'api_version: str = kwargs.pop\("api_version", "([^"]+)"\)', source).group(1)


if __name__ == "__main__":
    main()
