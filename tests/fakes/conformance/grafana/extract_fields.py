#!/usr/bin/env python3
"""Extracts the JSON field lists of Grafana's rules listing from its Go source.

Usage: extract_fields.py PATH/TO/prom.go COMMIT > fields.json

prom.go is grafana/grafana pkg/services/ngalert/api/tooling/definitions/prom.go. For each struct of
the rules listing it records the JSON names (from `json:"..."` tags; an embedded struct contributes
its own fields, as encoding/json flattens it), which ones carry `omitempty`, and which ones swagger
marks `// required: true`. The fake's conformance test (tests/it/grafana_conformance.rs) checks
every response key against these lists, and that every key Go always writes (no omitempty) is there.
"""
import json
import re
import sys

STRUCTS = ["RuleResponse", "DiscoveryBase", "RuleDiscovery", "RuleGroup", "AlertingRule", "Rule", "Alert"]
FIELD = re.compile(r'^\s*(\w+)\s+([\w\.\*\[\]]+(?:\[[\w]+\][\w]+)?)\s+`json:"([^"]*)"`')
EMBED = re.compile(r"^\s*([A-Z]\w*)\s*$")


def parse(text):
    structs = {}
    for match in re.finditer(r"type (\w+) struct \{(.*?)\n\}", text, re.S):
        name, body = match.group(1), match.group(2)
        fields, embedded, required_next = [], [], False
        for line in body.splitlines():
            if "required: true" in line:
                required_next = True
                continue
            found = FIELD.match(line)
            if found:
                tag = found.group(3).split(",")
                fields.append({"json": tag[0], "omitempty": "omitempty" in tag[1:], "required": required_next})
                required_next = False
                continue
            embed = EMBED.match(line)
            if embed:
                embedded.append(embed.group(1))
                required_next = False
        structs[name] = {"fields": fields, "embedded": embedded}
    return structs


def flatten(structs, name):
    own = structs[name]["fields"]
    seen = {f["json"] for f in own}
    out = list(own)
    for inner in structs[name]["embedded"]:
        # encoding/json: the shallower field wins a name conflict.
        out.extend(f for f in flatten(structs, inner) if f["json"] not in seen)
    return out


def main():
    path, commit = sys.argv[1], sys.argv[2]
    structs = parse(open(path).read())
    shapes = {}
    for name in STRUCTS:
        fields = flatten(structs, name)
        shapes[name] = {
            "fields": [f["json"] for f in fields],
            "always": [f["json"] for f in fields if not f["omitempty"]],
            "required": [f["json"] for f in fields if f["required"]],
        }
    json.dump(
        {
            "repository": "grafana/grafana",
            "commit": commit,
            "file": "pkg/services/ngalert/api/tooling/definitions/prom.go",
            "shapes": shapes,
        },
        sys.stdout,
        indent=1,
    )
    print()


main()
