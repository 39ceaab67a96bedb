#!/usr/bin/python3 -Es
"""Compare the live CIB with the part of it gfsdeploy manages, and push only the difference.

usage: cib_sync.py check|apply DESIRED.xml

DESIRED.xml is a CIB built from nothing with gfsdeploy's pcs commands. What it contains is
what gfsdeploy manages: the cluster properties it sets, and the resources and constraints it
defines, by id. Everything else in the live CIB (nodes, status, an admin's own resources)
is left alone. Output: one JSON object {"changes": [...], "pushed": bool}.

apply builds the merged CIB, diffs it against the live one with crm_diff and applies the
patch with cibadmin --patch: only the difference travels, and a concurrent change to the
CIB makes the patch fail, so the whole read-merge-patch is retried.

It runs in the interpreter pcs runs on, Python 2.7 (EL7) to 3.12, so it keeps to what all of
them have (no f-strings, subprocess.run or ET.canonicalize).
"""
from __future__ import print_function

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

PROPERTY_SET = "cib-bootstrap-options"


def canonical(elem):
    """What makes two elements the same configuration: tag, attributes in any order, text
    without surrounding whitespace, and children in order (formatting is not configuration)."""
    return (elem.tag, sorted(elem.attrib.items()), (elem.text or "").strip(), [canonical(child) for child in elem])


def run(argv, stdin=None):
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    out, err = process.communicate(stdin)
    return process.returncode, out, err


def section(cib, name):
    found = cib.find("configuration/" + name)
    if found is None:
        found = ET.SubElement(cib.find("configuration"), name)
    return found


def property_set(cib):
    crm_config = section(cib, "crm_config")
    for cps in crm_config.findall("cluster_property_set"):
        if cps.get("id") == PROPERTY_SET:
            return cps
    return ET.SubElement(crm_config, "cluster_property_set", {"id": PROPERTY_SET})


def differences(live, desired):
    """What must change in `live` so it holds every managed element of `desired`."""
    changes = []
    live_props = {nv.get("name"): nv for nv in property_set(live).findall("nvpair")}
    for nv in property_set(desired).findall("nvpair"):
        have = live_props.get(nv.get("name"))
        if have is None or have.get("value") != nv.get("value"):
            changes.append({"kind": "property", "id": nv.get("name"),
                            "before": None if have is None else have.get("value"), "after": nv.get("value")})
    for name in ("resources", "constraints"):
        live_by_id = {e.get("id"): e for e in section(live, name)}
        for elem in section(desired, name):
            have = live_by_id.get(elem.get("id"))
            if have is None:
                changes.append({"kind": "add", "id": elem.get("id"), "tag": elem.tag})
            elif canonical(have) != canonical(elem):
                changes.append({"kind": "change", "id": elem.get("id"), "tag": elem.tag})
    return changes


def merged(live, desired):
    out = copy.deepcopy(live)
    props = property_set(out)
    by_name = {nv.get("name"): nv for nv in props.findall("nvpair")}
    for nv in property_set(desired).findall("nvpair"):
        if nv.get("name") in by_name:
            by_name[nv.get("name")].set("value", nv.get("value"))
        else:
            props.append(copy.deepcopy(nv))
    for name in ("resources", "constraints"):
        target = section(out, name)
        index = {e.get("id"): i for i, e in enumerate(target)}
        for elem in section(desired, name):
            if elem.get("id") in index:
                target[index[elem.get("id")]] = copy.deepcopy(elem)
            else:
                target.append(copy.deepcopy(elem))
    return out


def live_cib():
    code, out, err = run(["cibadmin", "--query"])
    if code != 0:
        sys.exit("cibadmin --query failed: " + err.strip())
    return ET.fromstring(out)


def push(live, desired):
    tmp = tempfile.mkdtemp()
    try:
        old, new = os.path.join(tmp, "live.xml"), os.path.join(tmp, "new.xml")
        ET.ElementTree(live).write(old)
        ET.ElementTree(merged(live, desired)).write(new)
        code, diff, err = run(["crm_diff", "--no-version", "-o", old, "-n", new])
        if code == 0:
            return True
        if code != 1:
            sys.exit("crm_diff failed: " + err.strip())
        code, _, err = run(["cibadmin", "--patch", "--xml-pipe"], diff)
        if code != 0:
            print("cibadmin --patch failed: " + err.strip(), file=sys.stderr)
        return code == 0
    finally:
        shutil.rmtree(tmp)


def main():
    mode, desired_file = sys.argv[1], sys.argv[2]
    desired = ET.parse(desired_file).getroot()
    live = live_cib()
    changes = differences(live, desired)
    pushed = False
    if mode == "apply" and changes:
        for _ in range(5):
            if push(live, desired):
                pushed = True
                break
            live = live_cib()
        if not pushed:
            sys.exit("the CIB kept changing underneath (5 attempts); run apply again")
        changes = differences(live_cib(), desired)
    print(json.dumps({"changes": changes, "pushed": pushed}))


main()
