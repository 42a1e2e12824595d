#!/usr/bin/env python3
"""Extracts, from the apache/pinot sources, the JSON field lists of every controller response the Pinot
fake serves, into fields.json (committed). tests/pinot_conformance.rs checks the fake's responses
against that file and, when KFSCALE_PINOT_GIT_DIR names a clone of apache/pinot, re-runs this script
and fails if the committed file drifted.

    python3 extract_fields.py --git-dir /path/to/pinot/.git [--rev HEAD] > fields.json
    python3 extract_fields.py --checkout /path/to/pinot > fields.json

Field names come from what Jackson serializes: @JsonProperty names, getters of @JsonProperty-annotated
or plain bean getters, public fields, and the literal keys of hand-built ObjectNodes.
"""
import argparse
import json
import re
import subprocess
import sys

CONTROLLER = "pinot-controller/src/main/java/org/apache/pinot/controller"
RESOURCES = CONTROLLER + "/api/resources"
COMMON = "pinot-common/src/main/java/org/apache/pinot/common"
SPI = "pinot-spi/src/main/java/org/apache/pinot/spi"

FILES = {
    "RebalanceResult": COMMON + "/restlet/resources/RebalanceResult.java",
    "RebalanceSummaryResult": COMMON + "/restlet/resources/RebalanceSummaryResult.java",
    "RebalancePreCheckerResult": COMMON + "/restlet/resources/RebalancePreCheckerResult.java",
    "RebalanceConfig": COMMON + "/restlet/resources/RebalanceConfig.java",
    "TableRebalanceProgressStats": COMMON + "/restlet/resources/TableRebalanceProgressStats.java",
    "TableRebalanceContext": COMMON + "/restlet/resources/TableRebalanceContext.java",
    "ServerRebalanceJobStatusResponse": COMMON + "/restlet/resources/ServerRebalanceJobStatusResponse.java",
    "TableView": COMMON + "/restlet/resources/TableView.java",
    "InstancePartitions": COMMON + "/assignment/InstancePartitions.java",
    "SegmentStatusInfo": RESOURCES + "/SegmentStatusInfo.java",
    "SuccessResponse": RESOURCES + "/SuccessResponse.java",
    "SimpleHttpErrorInfo": COMMON + "/utils/SimpleHttpErrorInfo.java",
    "PinotInstanceRestletResource": RESOURCES + "/PinotInstanceRestletResource.java",
    "PinotTableRestletResource": RESOURCES + "/PinotTableRestletResource.java",
    "TableViews": RESOURCES + "/TableViews.java",
    "PinotControllerHealthCheck": RESOURCES + "/PinotControllerHealthCheck.java",
    "TableRebalancer": CONTROLLER + "/helix/core/rebalance/TableRebalancer.java",
    "DefaultRebalancePreChecker": CONTROLLER + "/helix/core/rebalance/DefaultRebalancePreChecker.java",
    "RebalanceJobConstants": CONTROLLER + "/helix/core/rebalance/RebalanceJobConstants.java",
    "TableConfig": SPI + "/config/table/TableConfig.java",
    "SegmentsValidationAndRetentionConfig": SPI + "/config/table/SegmentsValidationAndRetentionConfig.java",
    "TenantConfig": SPI + "/config/table/TenantConfig.java",
    "CommonConstants": SPI + "/utils/CommonConstants.java",
    "ConsumingSegmentInfoReader": CONTROLLER + "/util/ConsumingSegmentInfoReader.java",
}


class Source:
    def __init__(self, args):
        self.args = args
        if args.git_dir:
            self.commit = git(args.git_dir, "rev-parse", args.rev).strip()
        else:
            self.commit = git(args.checkout + "/.git", "rev-parse", "HEAD").strip()

    def read(self, path):
        if self.args.git_dir:
            return git(self.args.git_dir, "show", f"{self.commit}:{path}")
        with open(f"{self.args.checkout}/{path}") as f:
            return f.read()


def git(git_dir, *args):
    return subprocess.run(["git", "--git-dir", git_dir, *args], check=True, capture_output=True, text=True).stdout


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def block(text, opener):
    """The body of the first `{...}` after `opener` (a regex)."""
    match = re.search(opener, text)
    if not match:
        raise SystemExit(f"not found: {opener}")
    start = text.index("{", match.end() - 1 if text[match.end() - 1] == "{" else match.end())
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start + 1:i]
    raise SystemExit(f"unbalanced: {opener}")


def own_body(body):
    """A class body without its nested classes/enums, so their members are not counted as the outer's."""
    out, i = [], 0
    for m in re.finditer(r"\b(?:static\s+)?(?:final\s+)?(?:class|enum)\s+\w+[^{]*\{", body):
        if m.start() < i:
            continue
        out.append(body[i:m.start()])
        depth, j = 0, m.end() - 1
        while True:
            depth += {"{": 1, "}": -1}.get(body[j], 0)
            if depth == 0:
                break
            j += 1
        i = j + 1
    out.append(body[i:])
    return "".join(out)


def json_properties(body):
    return re.findall(r'@JsonProperty\(\s*(?:value\s*=\s*)?"([^"]+)"', body)


def getters(body):
    names = []
    for m in re.finditer(r"public\s+[\w<>,\s\[\].?]+?\s+(get|is)([A-Z]\w*)\s*\(\s*\)", body):
        before = body[max(0, m.start() - 120):m.start()]
        if "@JsonIgnore" in before.split(";")[-1].split("}")[-1]:
            continue
        names.append(m.group(2)[0].lower() + m.group(2)[1:])
    return names


def public_fields(body):
    return re.findall(r"^\s*public\s+(?!static)[\w<>,\s]+?\s+(_\w+)\s*;", body, flags=re.M)


def serialized_fields(body):
    """Jackson's names of the public fields: the field's own @JsonProperty, else the Java name (underscore
    included). A creator parameter's @JsonProperty only names what is read, so it does not count."""
    names = []
    for m in re.finditer(r"public\s+(?!static)[\w<>,\s]+?\s+(_\w+)\s*;", body):
        before = re.split(r"[;{}]", body[:m.start()])[-1]
        annotated = re.search(r'@JsonProperty\(\s*(?:value\s*=\s*)?"([^"]+)"', before)
        names.append(annotated.group(1) if annotated else m.group(1))
    return names


def enum_values(text, name):
    return [v.strip() for v in re.sub(r"\(.*?\)", "", block(text, rf"enum\s+{name}\s*(?:implements\s+\w+\s*)?\{{").split(";")[0]).split(",") if v.strip()]


def constants(body):
    return dict(re.findall(r'public\s+static\s+final\s+String\s+(\w+)\s*=\s*"([^"]*)"', body))


def ordered(names):
    seen = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return seen


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--git-dir")
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--checkout")
    args = parser.parse_args()
    if not (args.git_dir or args.checkout):
        parser.error("--git-dir or --checkout")
    src = Source(args)
    text = {name: strip_comments(src.read(path)) for name, path in FILES.items()}
    out = {}

    def record(key, file, fields, required=(), enums=None, note=None):
        entry = {"file": FILES[file], "fields": ordered(fields)}
        if required:
            entry["required"] = list(required)
        if enums:
            entry["enums"] = enums
        if note:
            entry["note"] = note
        out[key] = entry

    # RebalanceResult: @JsonCreator properties; jobId/status/description are always written.
    rr = own_body(block(text["RebalanceResult"], r"public\s+class\s+RebalanceResult\s*\{"))
    record("RebalanceResult", "RebalanceResult", json_properties(rr), ["jobId", "status", "description"],
           {"status": enum_values(text["RebalanceResult"], "Status")})
    pc = own_body(block(text["RebalancePreCheckerResult"], r"public\s+class\s+RebalancePreCheckerResult\s*\{"))
    record("RebalancePreCheckerResult", "RebalancePreCheckerResult", json_properties(pc), ["preCheckStatus"],
           {"preCheckStatus": enum_values(text["RebalancePreCheckerResult"], "PreCheckStatus")})
    pre = constants(own_body(block(text["DefaultRebalancePreChecker"], r"public\s+class\s+DefaultRebalancePreChecker\b[^{]*\{")))
    record("preChecksResult", "DefaultRebalancePreChecker",
           [pre[k] for k in ("IS_MINIMIZE_DATA_MOVEMENT", "DISK_UTILIZATION", "REBALANCE_CONFIG_OPTIONS", "REPLICA_GROUPS_INFO")],
           note="names of the pre-checks (keys of preChecksResult)")

    rs_text = text["RebalanceSummaryResult"]
    rs = own_body(block(rs_text, r"public\s+class\s+RebalanceSummaryResult\s*\{"))
    record("RebalanceSummaryResult", "RebalanceSummaryResult", json_properties(rs))
    for nested in ("ServerSegmentChangeInfo", "RebalanceChangeInfo", "TagInfo", "ServerInfo", "SegmentInfo",
                   "ConsumingSegmentToBeMovedSummary", "ConsumingSegmentSummaryPerServer"):
        body = own_body(block(rs_text, rf"class\s+{nested}\s*\{{"))
        enums = {"serverStatus": enum_values(rs_text, "ServerStatus")} if nested == "ServerSegmentChangeInfo" else None
        record(f"RebalanceSummaryResult.{nested}", "RebalanceSummaryResult", json_properties(body), enums=enums)

    ps_text = text["TableRebalanceProgressStats"]
    order = re.search(r"@JsonPropertyOrder\(\{(.*?)\}\)", ps_text, flags=re.S).group(1)
    record("TableRebalanceProgressStats", "TableRebalanceProgressStats", re.findall(r'"(\w+)"', order),
           enums={"status": enum_values(text["RebalanceResult"], "Status")})
    state_stats = own_body(block(ps_text, r"class\s+RebalanceStateStats\s*\{"))
    record("TableRebalanceProgressStats.RebalanceStateStats", "TableRebalanceProgressStats", public_fields(state_stats),
           note="public fields without @JsonProperty: Jackson writes the Java names, underscore included")
    progress = own_body(block(ps_text, r"class\s+RebalanceProgressStats\s*\{"))
    record("TableRebalanceProgressStats.RebalanceProgressStats", "TableRebalanceProgressStats", json_properties(progress))

    ctx = own_body(block(text["TableRebalanceContext"], r"public\s+class\s+TableRebalanceContext\s*\{"))
    record("TableRebalanceContext", "TableRebalanceContext", getters(ctx))
    srv = own_body(block(text["ServerRebalanceJobStatusResponse"], r"public\s+class\s+ServerRebalanceJobStatusResponse\s*\{"))
    record("ServerRebalanceJobStatusResponse", "ServerRebalanceJobStatusResponse", getters(srv))
    cfg = own_body(block(text["RebalanceConfig"], r"public\s+class\s+RebalanceConfig\s*\{"))
    record("RebalanceConfig", "RebalanceConfig", json_properties(cfg))
    ip = own_body(block(text["InstancePartitions"], r"public\s+class\s+InstancePartitions\s*\{"))
    record("InstancePartitions", "InstancePartitions", json_properties(ip), ["instancePartitionsName", "partitionToInstancesMap"])

    display = constants(block(text["CommonConstants"], r"class\s+DisplaySegmentStatus\s*\{"))
    ssi = own_body(block(text["SegmentStatusInfo"], r"public\s+class\s+SegmentStatusInfo\s*\{"))
    record("SegmentStatusInfo", "SegmentStatusInfo", json_properties(ssi), ["segmentName", "segmentStatus"],
           {"segmentStatus": sorted(display.values())})
    tv = own_body(block(text["TableView"], r"public\s+class\s+TableView\s*\{"))
    record("TableView", "TableView", json_properties(tv), ["OFFLINE", "REALTIME"])
    err = own_body(block(text["SimpleHttpErrorInfo"], r"public\s+class\s+SimpleHttpErrorInfo\s*\{"))
    record("SimpleHttpErrorInfo", "SimpleHttpErrorInfo", json_properties(err), ["code", "error"])
    ok = own_body(block(text["SuccessResponse"], r"public\s+class\s+SuccessResponse\s*\{"))
    record("SuccessResponse", "SuccessResponse", getters(ok), ["status"])

    inst_text = text["PinotInstanceRestletResource"]
    instances = own_body(block(inst_text, r"public\s+static\s+class\s+Instances\s*\{"))
    record("Instances", "PinotInstanceRestletResource", json_properties(instances), ["instances"])
    get_instance = block(inst_text, r"public\s+String\s+getInstance\s*\(")
    helix = constants(block(text["CommonConstants"], r"public\s+static\s+class\s+Helix\s*\{"))
    keys = re.findall(r'response\.(?:put|set)\(\s*"(\w+)"', get_instance)
    keys += [helix[c] for c in re.findall(r"response\.(?:put|set)\(\s*CommonConstants\.Helix\.(\w+)", get_instance)]
    record("GET /instances/{name}", "PinotInstanceRestletResource", keys,
           [k for k in keys if k != "queriesDisabled"], note="ObjectNode built in getInstance")

    table_text = text["PinotTableRestletResource"]
    list_tables = block(table_text, r"public\s+String\s+listTables\s*\(")
    record("GET /tables", "PinotTableRestletResource", re.findall(r'\.set\(\s*"(\w+)"', list_tables), ["tables"])
    rebalance = re.search(r"public\s+RebalanceResult\s+rebalance\s*\((.*?)\)\s*\{", table_text, flags=re.S).group(1)
    params = re.findall(r'@QueryParam\("(\w+)"\)', rebalance)
    record("POST /tables/{t}/rebalance query parameters", "PinotTableRestletResource", params)
    minimize = re.search(r'@DefaultValue\("(\w+)"\)\s*@QueryParam\("minimizeDataMovement"\)', rebalance)
    out["POST /tables/{t}/rebalance query parameters"]["enums"] = {
        "minimizeDataMovement": enum_values(strip_comments(src.read(SPI + "/utils/Enablement.java")), "Enablement"),
    }
    out["POST /tables/{t}/rebalance query parameters"]["defaults"] = {
        name: value for value, name in re.findall(r'@DefaultValue\("([^"]*)"\)\s*@QueryParam\("(\w+)"\)', rebalance)
    }
    if minimize:
        out["POST /tables/{t}/rebalance query parameters"]["defaults"]["minimizeDataMovement"] = minimize.group(1)

    tc = constants(own_body(block(text["TableConfig"], r"public\s+class\s+TableConfig\b[^{]*\{")))
    record("TableConfig", "TableConfig", [v for k, v in tc.items() if k.endswith("_KEY")], ["tableName", "tableType"])
    svr = own_body(block(text["SegmentsValidationAndRetentionConfig"], r"public\s+class\s+SegmentsValidationAndRetentionConfig\b[^{]*\{"))
    fields = re.findall(r"^\s*private\s+(?!static)[\w<>,\s]+?\s+_(\w+)\s*;", svr, flags=re.M)
    record("TableConfig.segmentsConfig", "SegmentsValidationAndRetentionConfig", fields,
           note="private fields with bean getters/setters")
    tenant = own_body(block(text["TenantConfig"], r"public\s+class\s+TenantConfig\b[^{]*\{"))
    record("TableConfig.tenants", "TenantConfig", json_properties(tenant))

    job = constants(block(text["CommonConstants"], r"public\s+static\s+class\s+ControllerJob\s*\{"))
    rjc = constants(text["RebalanceJobConstants"])
    out["GET /table/{t}/jobs job metadata"] = {
        "file": FILES["CommonConstants"] + " (ControllerJob), " + FILES["RebalanceJobConstants"],
        "fields": [job["JOB_ID"], job["TABLE_NAME_WITH_TYPE"], job["SUBMISSION_TIME_MS"], job["JOB_TYPE"],
                   rjc["JOB_METADATA_KEY_REBALANCE_PROGRESS_STATS"], rjc["JOB_METADATA_KEY_REBALANCE_CONTEXT"]],
    }

    reader = text["ConsumingSegmentInfoReader"]
    for nested, required in (("ConsumingSegmentsInfoMap", ["_segmentToConsumingInfoMap"]),
                             ("ConsumingSegmentInfo", ["serverName", "consumerState", "lastConsumedTimestamp"]),
                             ("PartitionOffsetInfo", [])):
        body = own_body(block(reader, rf"class\s+{nested}\s*\{{"))
        record(nested, "ConsumingSegmentInfoReader", serialized_fields(body), required,
               note="GET /tables/{t}/consumingSegmentsInfo; public fields: the field's @JsonProperty or the Java name")
    consumer_state = block(strip_comments(src.read(SPI + "/utils/CommonConstants.java")), r"enum\s+ConsumerState\s*\{")
    out["ConsumingSegmentInfo"]["enums"] = {"consumerState": [v.strip() for v in consumer_state.split(";")[0].split(",") if v.strip()]}

    json.dump({"repository": "apache/pinot", "commit": src.commit, "shapes": out}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
