import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

import { parseSpec } from "../../../src/spec/parse.js";

/**
 * One file per validation error under test/fixtures/invalid/, each with the exact
 * diagnostics a user sees. The expectations are written out here (not snapshotted) so a
 * reviewer reads every message, hint and position next to the case that produces it.
 * `at` is line:col in the corpus file; each was checked by eye against the file.
 */
const corpusDir = fileURLToPath(new URL("../../fixtures/invalid/", import.meta.url));

interface Expected {
  at: string;
  path: string;
  message: string;
  hint: string;
}

const syntaxHint = "fix the YAML syntax at that position (indentation, a missing ':' or an unclosed quote or bracket)";
const clusterNameHint = "use at most 32 letters, digits, '-' or '_' (it becomes corosync's cluster_name and the lock table's first half)";
const fsNameHint = "use at most 30 letters, digits, '-' or '_'";
const journalSizeHint = "mkfs.gfs2 accepts 8M to 1024M; 64M is a good default";
const sharedDiskHint = "each resource needs its own backing disk on every node";
const mountpointHint = "write an absolute path such as /srv/data";
const secretShapeHint = "write { env: VARIABLE } or { file: PATH }";
const noFenceHint = (node: string): string =>
  `add a device with target: ${node} (or list it in a device's targets); a test cluster may set stonith.enabled: false with acknowledgeDataLossRisk: true`;

const corpus: Record<string, Expected[]> = {
  // ---- cluster and lock-table names ----
  "cluster-name-too-long": [
    { at: "4:9", path: "cluster.name", message: "cluster name 'gfscluster-with-a-very-long-names' cannot be a GFS2 lock-table prefix", hint: clusterNameHint },
  ],
  "cluster-name-bad-chars": [
    { at: "4:9", path: "cluster.name", message: "cluster name 'gfs.cluster' cannot be a GFS2 lock-table prefix", hint: clusterNameHint },
  ],
  "fs-name-too-long": [
    { at: "31:11", path: "filesystems[0].name", message: "filesystem name 'data_for_the_virtual_machines01' cannot be a GFS2 lock-table name", hint: fsNameHint },
  ],
  "fs-name-bad-chars": [
    { at: "31:11", path: "filesystems[0].name", message: "filesystem name 'data:vms' cannot be a GFS2 lock-table name", hint: fsNameHint },
  ],
  "duplicate-lock-table": [
    {
      at: "36:11",
      path: "filesystems[1].name",
      message: "lock table 'gfscluster:data' is already used by filesystems[0]",
      hint: "give every filesystem its own name: GFS2 refuses to mount two filesystems with one lock table",
    },
  ],

  // ---- journals ----
  "journals-fewer-than-nodes": [
    {
      at: "34:15",
      path: "filesystems[0].journals",
      message: "1 journal(s) for 2 nodes: every node that mounts needs its own journal",
      hint: "set journals to at least 2 (spares let nodes join later without gfs2_jadd)",
    },
  ],
  "journal-size-too-small": [{ at: "35:18", path: "filesystems[0].journalSize", message: "journal size 4M is out of range", hint: journalSizeHint }],
  "journal-size-too-large": [{ at: "35:18", path: "filesystems[0].journalSize", message: "journal size 2048M is out of range", hint: journalSizeHint }],

  // ---- nodes, addresses, quorum ----
  "duplicate-node-name": [
    { at: "9:13", path: "nodes[1].name", message: "node name 'node1' is also used by nodes[0]", hint: "every node needs its own name (its hostname)" },
    // src bug: today a second diagnostic follows at 23:35, "/dev/vdb on node1 already backs DRBD
    // resource 'r0'": the disk check walks node1 twice and finds r0 clashing with itself.
  ],
  "duplicate-ssh-endpoint": [
    { at: "9:26", path: "nodes[1].host", message: "SSH address 192.0.2.11:22 is also used by nodes[0]", hint: "each node must be reached at its own address or port" },
  ],
  "ring-not-ip": [
    {
      at: "9:45",
      path: "nodes[1].ring0",
      message: "'node2.cluster.lan' is not an IP address",
      hint: "cluster-wire addresses must be literal IPv4 or IPv6 addresses (corosync and DRBD bind to them)",
    },
  ],
  "duplicate-ring-address": [
    { at: "9:45", path: "nodes[1].ring0", message: "ring address 10.0.0.11 is also used by nodes[0].ring0", hint: "every node needs its own address on each cluster link" },
  ],
  "ring1-on-some-nodes": [
    {
      at: "8:3",
      path: "nodes",
      message: "ring1 is set on some nodes but not all",
      hint: "corosync needs the same number of links on every node: set ring1 everywhere or nowhere",
    },
  ],
  "udpu-with-ring1": [{ at: "13:24", path: "corosync.transport", message: "udpu supports one link only", hint: "use transport: knet for two links, or drop ring1" }],
  "two-node-with-three-nodes": [
    {
      at: "14:39",
      path: "corosync.twoNode",
      message: "two_node needs exactly two nodes, the spec has 3",
      hint: "remove twoNode: with three or more nodes ordinary majority quorum applies",
    },
  ],

  // ---- what the distro can run ----
  "clvmd-on-debian12": [{ at: "25:12", path: "lvm.locking", message: "clvmd does not exist on debian12", hint: "clvmd was removed in LVM 2.03; use locking: lvmlockd" }],
  "lvmlockd-on-el7": [{ at: "25:12", path: "lvm.locking", message: "lvmlockd is not the shared-VG manager on el7", hint: "use locking: clvmd on el7" }],
  "knet-on-el7": [{ at: "13:24", path: "corosync.transport", message: "el7 runs corosync 2, which has no knet", hint: "use transport: udpu on el7" }],
  "drbd9-on-debian12": [
    { at: "20:12", path: "drbd.version", message: "debian12 ships the in-tree DRBD 8.4 kernel module", hint: "use version: auto (8.4) on this distro" },
  ],
  "repos-on-debian12": [
    { at: "6:10", path: "cluster.repos", message: "debian12 takes its cluster packages from its own archive", hint: "remove cluster.repos: it names EL repositories (dnf/yum) only" },
    { at: "7:11", path: "cluster.elrepo", message: "debian12 ships DRBD in its own kernel and archive", hint: "remove cluster.elrepo: ELRepo is for EL targets only" },
  ],
  "drbd9-on-el7": [{ at: "20:12", path: "drbd.version", message: "gfsdeploy drives DRBD 8.4 on el7 (kmod-drbd84)", hint: "use version: auto (8.4) on el7" }],

  // ---- DRBD ----
  "dual-primary-three-nodes": [
    {
      at: "25:5",
      path: "drbd.resources",
      message: "dual-primary DRBD needs exactly two nodes, the spec has 3",
      hint: "GFS2 over DRBD is a two-node design; use shared storage for more nodes",
    },
  ],
  "protocol-a": [
    { at: "21:13", path: "drbd.protocol", message: "protocol A cannot run dual-primary", hint: "use protocol: C (the kernel refuses two primaries otherwise)" },
  ],
  "after-sb-typo": [
    {
      at: "23:20",
      path: "drbd.afterSb.zeroPrimaries",
      message: "'discard-zero-change' is not a valid after-sb policy here",
      hint: "did you mean 'discard-zero-changes'? (allowed: disconnect, discard-younger-primary, discard-older-primary, discard-zero-changes, discard-least-changes, discard-node-)",
    },
  ],
  "after-sb-wrong-slot": [
    {
      at: "22:28",
      path: "drbd.afterSb.twoPrimaries",
      message: "'discard-secondary' is not a valid after-sb policy here",
      hint: "use one of: disconnect, call-pri-lost-after-sb, violently-as0p",
    },
  ],
  "duplicate-drbd-resource": [
    { at: "24:15", path: "drbd.resources[1].name", message: "DRBD resource 'r0' is defined twice", hint: "give each resource its own name" },
    // src bug: today two more follow at 24:35, "/dev/vdb on node1|node2 already backs DRBD
    // resource 'r0'", although resources[1] is on /dev/vdc: the disk is looked up by name
    // (backingDisk), which finds resources[0].
  ],
  "duplicate-drbd-minor": [
    { at: "24:26", path: "drbd.resources[1].minor", message: "minor 0 (/dev/drbd0) is also used by drbd.resources[0]", hint: "give each resource its own minor" },
  ],
  "duplicate-drbd-port": [
    { at: "24:35", path: "drbd.resources[1].port", message: "port 7789 is also used by drbd.resources[0]", hint: "give each resource its own TCP port (they share the ring addresses)" },
  ],
  "same-backing-disk-twice": [
    // One shared `disk` clashes on every node, so there is one line per node.
    { at: "24:35", path: "drbd.resources[1].disk", message: "/dev/vdb on node1 already backs DRBD resource 'r0'", hint: sharedDiskHint },
    { at: "24:35", path: "drbd.resources[1].disk", message: "/dev/vdb on node2 already backs DRBD resource 'r0'", hint: sharedDiskHint },
  ],
  "missing-disk": [
    {
      at: "23:7",
      path: "drbd.resources[0]",
      message: "resource 'r0' has no backing disk",
      hint: "add disk: /dev/… (same on every node) or disks: { node1: /dev/…, node2: /dev/… }",
    },
  ],
  "disk-and-disks": [
    { at: "23:52", path: "drbd.resources[0].disks", message: "both disk and disks are set", hint: "use disk for one path on every node, or disks per node, not both" },
  ],
  "disks-missing-node": [{ at: "23:36", path: "drbd.resources[0].disks", message: "no backing disk for node 'node2'", hint: "add node2: /dev/… under disks" }],
  "disks-unknown-node": [
    // src bug: reported at 28:16, the value /dev/vdb; the offending thing is the key node3.
    { at: "28:9", path: "drbd.resources[0].disks.node3", message: "'node3' is not a node of this cluster", hint: "name one of: node1, node2" },
  ],
  "disk-not-device-path": [
    // src bug: today the identical line is printed twice, once per node sharing `disk`.
    { at: "23:35", path: "drbd.resources[0].disk", message: "'vdb' is not a device path", hint: "name a block device such as /dev/vdb or /dev/disk/by-id/…" },
  ],

  // ---- LVM ----
  "pv-unknown-drbd": [
    { at: "28:13", path: "lvm.volumeGroups[0].pvs[0]", message: "'drbd/r1' is not a DRBD resource of this spec", hint: "did you mean 'drbd/r0'?" },
  ],
  "pv-in-two-vgs": [
    { at: "31:13", path: "lvm.volumeGroups[1].pvs[0]", message: "drbd/r0 is already a PV of volume group 'vg_gfs'", hint: "a device can belong to one VG only" },
  ],
  "duplicate-vg": [{ at: "31:13", path: "lvm.volumeGroups[1].name", message: "volume group 'vg_gfs' is defined twice", hint: "give each VG its own name" }],
  "duplicate-lv": [
    {
      at: "29:64",
      path: "lvm.volumeGroups[0].logicalVolumes[1].name",
      message: "logical volume 'lv_data' is defined twice in 'vg_gfs'",
      hint: "give each LV its own name",
    },
  ],
  "locking-none-with-vgs": [
    {
      at: "25:12",
      path: "lvm.locking",
      message: "volume groups need a lock manager",
      hint: "use locking: lvmlockd (or clvmd on el7), or remove lvm.volumeGroups and put GFS2 on drbd/RESOURCE",
    },
  ],

  // ---- filesystems ----
  "fs-device-unknown": [
    {
      at: "32:13",
      path: "filesystems[0].device",
      message: "'vg_gfs/lv_dta' is neither a logical volume nor a DRBD resource of this spec",
      hint: "did you mean 'vg_gfs/lv_data'?",
    },
  ],
  "fs-on-physical-volume": [
    { at: "32:13", path: "filesystems[0].device", message: "drbd/r0 is a physical volume of a volume group", hint: "put the filesystem on a logical volume of that VG instead" },
  ],
  "fs-raw-drbd-with-locking": [
    {
      at: "28:13",
      path: "filesystems[0].device",
      message: "drbd/r0 is a raw DRBD device but lvm.locking is 'lvmlockd'",
      hint: "set lvm.locking: none to put GFS2 straight on DRBD, or use a logical volume",
    },
  ],
  "fs-device-twice": [{ at: "37:13", path: "filesystems[1].device", message: "vg_gfs/lv_data already holds filesystems[0]", hint: "one filesystem per device" }],
  "relative-mountpoint": [
    { at: "33:17", path: "filesystems[0].mountpoint", message: "mountpoint 'srv/data' is not a clean absolute path", hint: mountpointHint },
  ],
  "mountpoint-dotdot": [
    { at: "33:17", path: "filesystems[0].mountpoint", message: "mountpoint '/srv/../data' is not a clean absolute path", hint: mountpointHint },
  ],
  "shared-mountpoint": [
    { at: "38:17", path: "filesystems[1].mountpoint", message: "/srv/data/ is also the mountpoint of filesystems[0]", hint: "give every filesystem its own mountpoint" },
  ],

  // ---- fencing ----
  "unknown-fence-agent": [{ at: "17:35", path: "stonith.devices[0].agent", message: "unknown fence agent 'fence_ipmilann'", hint: "did you mean 'fence_ipmilan'?" }],
  "duplicate-fence-device": [
    { at: "18:15", path: "stonith.devices[1].name", message: "fence device 'fence-node1' is defined twice", hint: "give each device its own name" },
  ],
  "fence-target-and-targets": [
    { at: "18:74", path: "stonith.devices[1].targets", message: "both target and targets are set", hint: "use target for one node or targets for several" },
  ],
  "survivor-unknown": [{ at: "16:13", path: "stonith.survivor", message: "'node-1' is not a node of this cluster", hint: "did you mean 'node1'?" }],
  "survivor-three-nodes": [
    // True as well: this product's DRBD layer is two-node only.
    { at: "26:5", path: "drbd.resources", message: "dual-primary DRBD needs exactly two nodes, the spec has 3", hint: "GFS2 over DRBD is a two-node design; use shared storage for more nodes" },
    {
      at: "17:13",
      path: "stonith.survivor",
      message: "a fence-race survivor only applies to two-node clusters",
      hint: "remove it: with three or more nodes the partition with quorum fences the others",
    },
  ],
  "fence-target-unknown": [
    { at: "18:58", path: "stonith.devices[1].target", message: "'node-2' is not a node of this cluster", hint: "did you mean 'node2'?" },
    // A consequence, and true: with the typo nothing fences node2.
    { at: "17:5", path: "stonith.devices", message: "node 'node2' has no fence device", hint: noFenceHint("node2") },
  ],
  "fence-allowed-node-unknown": [
    // Points at the whole allowedNodes list (17:79), not at nodeX itself (17:94).
    { at: "17:79", path: "stonith.devices[0].allowedNodes", message: "'nodeX' is not a node of this cluster", hint: "name one of: node1, node2" },
  ],
  "node-without-fence-device": [{ at: "17:5", path: "stonith.devices", message: "node 'node2' has no fence device", hint: noFenceHint("node2") }],
  "stonith-disabled-unacknowledged": [
    {
      at: "15:12",
      path: "stonith.enabled",
      message: "STONITH is disabled without acknowledgement",
      hint: "GFS2 and DLM need fencing to stay consistent; set acknowledgeDataLossRisk: true only for a throw-away test cluster",
    },
  ],
  "fence-device-runs-only-on-target": [
    {
      at: "17:79",
      path: "stonith.devices[0].allowedNodes",
      message: "fence device 'fence-node1' could only run on the node it fences",
      hint: "a node cannot fence itself: let the device run on another node (allowedNodes)",
    },
  ],
  "fence-sbd-without-sbd": [
    // stonith.sbd is absent, so this falls back to the stonith block's first line (enabled: true).
    { at: "15:3", path: "stonith.sbd", message: "fence_sbd needs SBD itself configured", hint: "add stonith.sbd with the shared devices and the watchdog" },
  ],
  "sbd-msgwait-too-short": [
    {
      at: "19:21",
      path: "stonith.sbd.msgwaitTimeout",
      message: "msgwait 8s is shorter than twice the watchdog timeout (5s)",
      hint: "SBD needs msgwait ≥ 2 × watchdogTimeout, or a fenced node may still be writing",
    },
  ],

  // ---- secret references ----
  "secret-env-and-file": [
    { at: "17:120", path: "stonith.devices[0].options.password", message: "a secret needs exactly one of env or file", hint: secretShapeHint },
  ],
  "secret-ref-empty": [{ at: "11:22", path: "secrets.haclusterPassword", message: "a secret needs exactly one of env or file", hint: secretShapeHint }],
  "secret-on-username": [
    // src bug: the hint today says "reads it through username_script": it names the
    // rejected option's script, but the script that exists is password_script.
    {
      at: "17:103",
      path: "stonith.devices[0].options.username",
      message: "option 'username' cannot take a secret reference",
      hint: "only password can (the agent reads it through password_script); write a plain value",
    },
  ],

  // ---- schema ----
  "unknown-top-level-key": [
    // src bug (all three unknown-key cases): the hint lists no known keys and never guesses,
    // because ajv only fills in parentSchema with the `verbose` option.
    {
      at: "30:1",
      path: "filesytems",
      message: "unknown key 'filesytems'",
      hint: "did you mean 'filesystems'? (known keys here: apiVersion, cluster, ssh, nodes, secrets, corosync, stonith, drbd, lvm, filesystems, bench)",
    },
  ],
  // A schema problem in one section and a rule problem in another, reported in one run:
  // the schema's problems first, then the rules'.
  "schema-and-rule-errors": [
    {
      at: "14:1",
      path: "corosyn",
      message: "unknown key 'corosyn'",
      hint: "did you mean 'corosync'? (known keys here: apiVersion, cluster, ssh, nodes, secrets, corosync, stonith, drbd, lvm, filesystems, bench)",
    },
    { at: "5:9", path: "cluster.name", message: "cluster name 'ho cluster' cannot be a GFS2 lock-table prefix", hint: clusterNameHint },
  ],
  "unknown-nested-key": [
    { at: "23:45", path: "drbd.resources[0].size", message: "unknown key 'size'", hint: "remove it; known keys here: name, port, minor, disk, disks" },
  ],
  "unknown-nested-key-typo": [
    { at: "9:5", path: "nodes[1]", message: "missing required key 'ring0'", hint: "add 'ring0:' under nodes[1] (see the spec reference in README.md)" },
    { at: "9:38", path: "nodes[1].rign0", message: "unknown key 'rign0'", hint: "did you mean 'ring0'? (known keys here: name, host, ring0, ring1, ssh)" },
  ],
  "missing-required-key": [
    { at: "9:5", path: "nodes[1]", message: "missing required key 'ring0'", hint: "add 'ring0:' under nodes[1] (see the spec reference in README.md)" },
  ],
  "missing-top-level-key": [
    { at: "2:1", path: "", message: "missing required key 'secrets'", hint: "add 'secrets:' under the top level (see the spec reference in README.md)" },
  ],
  "wrong-type": [{ at: "13:37", path: "corosync.token", message: "must be a whole number", hint: "write token as a whole number" }],
  "wrong-type-nodes": [{ at: "8:3", path: "nodes", message: "must be a list", hint: "write nodes as a list" }],
  "distro-el10": [
    {
      at: "5:11",
      path: "cluster.distro",
      message: "'el10': RHEL 10 and its rebuilds ship no GFS2: Red Hat removed the Resilient Storage add-on, GFS2 (kernel module and gfs2-utils) and dlm in RHEL 10",
      hint: "build the cluster on el9 (RHEL 9 and its rebuilds keep Resilient Storage for their whole lifecycle) or on debian13 (see 'Considerations in adopting RHEL 10': Support for GFS2 file systems has been removed)",
    },
  ],
  "bad-enum": [
    { at: "5:11", path: "cluster.distro", message: "'debain12' is not one of: debian13, debian12, ubuntu2404, el9, el8, el7, auto", hint: "did you mean 'debian12'?" },
  ],
  "bad-lv-size": [
    {
      at: "29:47",
      path: "lvm.volumeGroups[0].logicalVolumes[0].size",
      message: "'100GB' has the wrong format",
      hint: "use 100%FREE, 50%VG, 100%PVS or an absolute size such as 20G",
    },
  ],
  "bad-duration": [{ at: "16:12", path: "stonith.timeout", message: "'2 minutes' has the wrong format", hint: "use a duration such as 60s, 2min or 90000ms" }],
  "drbd-resource-bad-name": [
    { at: "23:15", path: "drbd.resources[0].name", message: "'r 0' has the wrong format", hint: "use letters, digits, '-', '_' and '.' only" },
  ],
  "wrong-api-version": [{ at: "2:13", path: "apiVersion", message: "must be 'gfsdeploy/v1'", hint: "write apiVersion: gfsdeploy/v1" }],
  "port-out-of-range": [{ at: "6:26", path: "ssh.port", message: "must be at most 65535", hint: "choose a value ≤ 65535" }],
  "empty-string": [{ at: "4:9", path: "cluster.name", message: "must not be empty", hint: "give name a value" }],
  "no-nodes": [{ at: "7:8", path: "nodes", message: "needs at least 1 item(s)", hint: "add nodes entries" }],
  "fence-option-list": [
    {
      at: "17:103",
      path: "stonith.devices[0].options.username",
      message: "must be a string, a number, a boolean or a secret reference",
      hint: "write a plain value, or { env: VAR } / { file: PATH } for a secret",
    },
  ],

  // ---- YAML itself ----
  // src bug (all three): parse.ts reads e.linePos, which the yaml library only fills in with
  // prettyErrors: true, so every syntax error is reported at 1:1. The positions below are
  // where the yaml parser itself places them (e.pos through the LineCounter).
  "yaml-bad-indentation": [{ at: "5:1", path: "", message: "YAML syntax error: All mapping items must start at the same column", hint: syntaxHint }],
  // The parser notices the missing ] on the next line, where the block mapping continues.
  "yaml-unclosed-bracket": [
    { at: "29:7", path: "", message: "YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]", hint: syntaxHint },
  ],
  "yaml-duplicate-key": [{ at: "6:3", path: "", message: "YAML syntax error: Map keys must be unique", hint: syntaxHint }],
  empty: [{ at: "1:1", path: "", message: "the spec must be a YAML mapping", hint: "start with apiVersion: gfsdeploy/v1 (see README.md)" }],
  "yaml-list": [{ at: "1:1", path: "", message: "the spec must be a YAML mapping", hint: "start with apiVersion: gfsdeploy/v1 (see README.md)" }],
};

function corpusFiles(): string[] {
  return readdirSync(corpusDir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}

describe("invalid-spec corpus", () => {
  it("has an expectation for every file and a file for every expectation", () => {
    expect(corpusFiles()).toEqual(Object.keys(corpus).sort());
  });

  it("says in each file's first line what is wrong with it", () => {
    for (const name of corpusFiles()) {
      const first = readFileSync(`${corpusDir}${name}.yaml`, "utf8").split("\n")[0] ?? "";
      expect(first, name).toMatch(/^# \S/);
    }
  });

  it.each(Object.entries(corpus))("%s", (name, expected) => {
    const file = `${name}.yaml`;
    const result = parseSpec(readFileSync(`${corpusDir}${file}`, "utf8"), file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics.every((d) => d.file === file)).toBe(true);
    expect(result.diagnostics.map((d) => ({ at: `${d.line}:${d.col}`, path: d.path, message: d.message, hint: d.hint }))).toEqual(expected);
  });
});
