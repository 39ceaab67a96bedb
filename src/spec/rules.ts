import { isIP } from "node:net";

import { gfs2LockTable } from "./defaults.js";
import { knownFenceAgents, secretCapableFenceOptions } from "./fence-agents.js";
import { nearest, type SpecPath } from "./path.js";
import type { Problem } from "./shape.js";
import type { SecretRef, Section, Spec } from "./types.js";

/**
 * Semantic rules: what a schema cannot say and what the upstream tools miss (corosync -t
 * does not check quorum semantics or duplicate addresses, drbdadm-84 does not check enum
 * values, nothing checks GFS2 lock-table names until mkfs runs on a node).
 */
type Report = (path: SpecPath, message: string, hint: string, atKey?: boolean) => void;
type Check = (spec: Spec, report: Report) => void;

/**
 * A rule and the sections it reads. When the schema finds problems, a rule still runs if
 * every section it reads is well-formed, so one run reports both kinds of problem.
 */
interface Rule {
  reads: readonly Section[];
  check: Check;
}

const lockTableName = /^[A-Za-z0-9_-]+$/;

const clusterName: Check = (spec, report) => {
  const n = spec.cluster.name;
  if (n.length > 32 || !lockTableName.test(n)) {
    report(
      ["cluster", "name"],
      `cluster name '${n}' cannot be a GFS2 lock-table prefix`,
      "use at most 32 letters, digits, '-' or '_' (it becomes corosync's cluster_name and the lock table's first half)",
    );
  }
};

const filesystemNames: Check = (spec, report) => {
  const seen = new Map<string, number>();
  spec.filesystems.forEach((fs, i) => {
    if (fs.name.length > 30 || !lockTableName.test(fs.name)) {
      report(
        ["filesystems", i, "name"],
        `filesystem name '${fs.name}' cannot be a GFS2 lock-table name`,
        "use at most 30 letters, digits, '-' or '_'",
      );
    }
    const first = seen.get(fs.name);
    if (first !== undefined) {
      report(
        ["filesystems", i, "name"],
        `lock table '${gfs2LockTable(spec, fs)}' is already used by filesystems[${first}]`,
        "give every filesystem its own name: GFS2 refuses to mount two filesystems with one lock table",
      );
    } else seen.set(fs.name, i);
  });
};

const journals: Check = (spec, report) => {
  const nodes = spec.nodes.length;
  spec.filesystems.forEach((fs, i) => {
    if (fs.journals < nodes) {
      report(
        ["filesystems", i, "journals"],
        `${fs.journals} journal(s) for ${nodes} nodes: every node that mounts needs its own journal`,
        `set journals to at least ${nodes} (spares let nodes join later without gfs2_jadd)`,
      );
    }
    const mb = Number.parseInt(fs.journalSize, 10);
    if (mb < 8 || mb > 1024) {
      report(["filesystems", i, "journalSize"], `journal size ${fs.journalSize} is out of range`, "mkfs.gfs2 accepts 8M to 1024M; 64M is a good default");
    }
  });
};

const uniqueNodes: Check = (spec, report) => {
  const names = new Map<string, number>();
  const endpoints = new Map<string, number>();
  const rings = new Map<string, string>();
  spec.nodes.forEach((n, i) => {
    const dupName = names.get(n.name);
    if (dupName !== undefined) {
      report(["nodes", i, "name"], `node name '${n.name}' is also used by nodes[${dupName}]`, "every node needs its own name (its hostname)");
    } else names.set(n.name, i);

    const endpoint = `${n.host}:${n.ssh?.port ?? spec.ssh.port}`;
    const dupHost = endpoints.get(endpoint);
    if (dupHost !== undefined) {
      report(["nodes", i, "host"], `SSH address ${endpoint} is also used by nodes[${dupHost}]`, "each node must be reached at its own address or port");
    } else endpoints.set(endpoint, i);

    for (const ring of ["ring0", "ring1"] as const) {
      const addr = n[ring];
      if (addr === undefined) continue;
      if (isIP(addr) === 0) {
        report(["nodes", i, ring], `'${addr}' is not an IP address`, "cluster-wire addresses must be literal IPv4 or IPv6 addresses (corosync and DRBD bind to them)");
        continue;
      }
      const dup = rings.get(addr);
      if (dup !== undefined) {
        report(["nodes", i, ring], `ring address ${addr} is also used by ${dup}`, "every node needs its own address on each cluster link");
      } else rings.set(addr, `nodes[${i}].${ring}`);
    }
  });
  const withRing1 = spec.nodes.filter((n) => n.ring1 !== undefined).length;
  if (withRing1 !== 0 && withRing1 !== spec.nodes.length) {
    report(["nodes"], "ring1 is set on some nodes but not all", "corosync needs the same number of links on every node: set ring1 everywhere or nowhere");
  }
  if (withRing1 > 0 && spec.corosync.transport === "udpu") {
    report(["corosync", "transport"], "udpu supports one link only", "use transport: knet for two links, or drop ring1");
  }
};

const quorum: Check = (spec, report) => {
  if (spec.corosync.twoNode === true && spec.nodes.length !== 2) {
    report(["corosync", "twoNode"], `two_node needs exactly two nodes, the spec has ${spec.nodes.length}`, "remove twoNode: with three or more nodes ordinary majority quorum applies");
  }
};

const distroFit: Check = (spec, report) => {
  const d = spec.cluster.distro;
  // With distro auto these rules run again once the nodes have said what they are.
  if (d === "auto") return;
  if (spec.lvm.locking === "clvmd" && d !== "el7") {
    report(["lvm", "locking"], `clvmd does not exist on ${d}`, "clvmd was removed in LVM 2.03; use locking: lvmlockd");
  }
  if (spec.lvm.locking === "lvmlockd" && d === "el7") {
    report(["lvm", "locking"], "lvmlockd is not the shared-VG manager on el7", "use locking: clvmd on el7");
  }
  if (d === "el7" && spec.corosync.transport === "knet") {
    report(["corosync", "transport"], "el7 runs corosync 2, which has no knet", "use transport: udpu on el7");
  }
  if ((d === "debian13" || d === "debian12" || d === "ubuntu2404") && spec.drbd.version === "9") {
    report(["drbd", "version"], `${d} ships the in-tree DRBD 8.4 kernel module`, "use version: auto (8.4) on this distro");
  }
  if (!d.startsWith("el")) {
    if (spec.cluster.repos !== undefined) report(["cluster", "repos"], `${d} takes its cluster packages from its own archive`, "remove cluster.repos: it names EL repositories (dnf/yum) only");
    if (spec.cluster.elrepo !== undefined) report(["cluster", "elrepo"], `${d} ships DRBD in its own kernel and archive`, "remove cluster.elrepo: ELRepo is for EL targets only");
  }
  if (d === "el7" && spec.drbd.version === "9") {
    report(["drbd", "version"], "gfsdeploy drives DRBD 8.4 on el7 (kmod-drbd84)", "use version: auto (8.4) on el7");
  }
};

const dualPrimary: Check = (spec, report) => {
  if (spec.drbd.resources.length === 0) return;
  if (spec.nodes.length !== 2) {
    report(["drbd", "resources"], `dual-primary DRBD needs exactly two nodes, the spec has ${spec.nodes.length}`, "GFS2 over DRBD is a two-node design; use shared storage for more nodes");
  }
  if (spec.drbd.protocol !== "C") {
    report(["drbd", "protocol"], `protocol ${spec.drbd.protocol} cannot run dual-primary`, "use protocol: C (the kernel refuses two primaries otherwise)");
  }
};

const afterSbValues = {
  zeroPrimaries: ["disconnect", "discard-younger-primary", "discard-older-primary", "discard-zero-changes", "discard-least-changes", "discard-node-"],
  onePrimary: ["disconnect", "consensus", "discard-secondary", "call-pri-lost-after-sb", "violently-as0p"],
  twoPrimaries: ["disconnect", "call-pri-lost-after-sb", "violently-as0p"],
} as const;

const afterSplitBrain: Check = (spec, report) => {
  for (const key of ["zeroPrimaries", "onePrimary", "twoPrimaries"] as const) {
    const value = spec.drbd.afterSb[key];
    const allowed: readonly string[] = afterSbValues[key];
    // discard-node-NAME names the node whose data loses; the bare prefix names none.
    const ok = (allowed.includes(value) && value !== "discard-node-") || (key === "zeroPrimaries" && /^discard-node-[A-Za-z0-9_.-]+$/.test(value));
    if (!ok) {
      const guess = nearest(value, allowed);
      report(["drbd", "afterSb", key], `'${value}' is not a valid after-sb policy here`, guess ? `did you mean '${guess}'? (allowed: ${allowed.join(", ")})` : `use one of: ${allowed.join(", ")}`);
    }
  }
};

const drbdResources: Check = (spec, report) => {
  const names = new Map<string, number>();
  const minors = new Map<number, number>();
  const ports = new Map<number, number>();
  const disksPerNode = new Map<string, string>();
  const nodeNames = [...new Set(spec.nodes.map((n) => n.name))];
  spec.drbd.resources.forEach((r, i) => {
    const at = (...rest: (string | number)[]): SpecPath => ["drbd", "resources", i, ...rest];
    if (names.has(r.name)) report(at("name"), `DRBD resource '${r.name}' is defined twice`, "give each resource its own name");
    else names.set(r.name, i);
    const m = minors.get(r.minor);
    if (m !== undefined) report(at("minor"), `minor ${r.minor} (/dev/drbd${r.minor}) is also used by drbd.resources[${m}]`, "give each resource its own minor");
    else minors.set(r.minor, i);
    const p = ports.get(r.port);
    if (p !== undefined) report(at("port"), `port ${r.port} is also used by drbd.resources[${p}]`, "give each resource its own TCP port (they share the ring addresses)");
    else ports.set(r.port, i);

    if (r.disk === undefined && r.disks === undefined) {
      report(at(), `resource '${r.name}' has no backing disk`, "add disk: /dev/… (same on every node) or disks: { node1: /dev/…, node2: /dev/… }");
      return;
    }
    if (r.disk !== undefined && r.disks !== undefined) {
      report(at("disks"), "both disk and disks are set", "use disk for one path on every node, or disks per node, not both");
    }
    for (const node of Object.keys(r.disks ?? {})) {
      if (!nodeNames.includes(node)) report(at("disks", node), `'${node}' is not a node of this cluster`, `name one of: ${nodeNames.join(", ")}`, true);
    }
    const misnamed = new Set<string>();
    for (const node of nodeNames) {
      // This resource's own disk, not a lookup by name: names may be duplicated here.
      const disk = r.disks?.[node] ?? r.disk;
      const diskPath = r.disks?.[node] !== undefined ? at("disks", node) : at("disk");
      if (disk === undefined) {
        report(at("disks"), `no backing disk for node '${node}'`, `add ${node}: /dev/… under disks`);
        continue;
      }
      if (!disk.startsWith("/dev/")) {
        if (!misnamed.has(disk)) report(diskPath, `'${disk}' is not a device path`, "name a block device such as /dev/vdb or /dev/disk/by-id/…");
        misnamed.add(disk);
      }
      const key = `${node} ${disk}`;
      const other = disksPerNode.get(key);
      if (other !== undefined) report(diskPath, `${disk} on ${node} already backs DRBD resource '${other}'`, "each resource needs its own backing disk on every node");
      else disksPerNode.set(key, r.name);
    }
  });
};

/** What `drbd/NAME` and `VG/LV` references may point at. */
function resolveDevice(spec: Spec, ref: string): "drbd" | "lv" | undefined {
  const [a, b, ...rest] = ref.split("/");
  if (a === undefined || b === undefined || rest.length > 0) return undefined;
  if (a === "drbd") return spec.drbd.resources.some((r) => r.name === b) ? "drbd" : undefined;
  const vg = spec.lvm.volumeGroups.find((v) => v.name === a);
  return vg?.logicalVolumes.some((lv) => lv.name === b) ? "lv" : undefined;
}

const lvm: Check = (spec, report) => {
  if (spec.lvm.locking === "none" && spec.lvm.volumeGroups.length > 0) {
    report(["lvm", "locking"], "volume groups need a lock manager", "use locking: lvmlockd (or clvmd on el7), or remove lvm.volumeGroups and put GFS2 on drbd/RESOURCE");
  }
  const usedPvs = new Map<string, string>();
  const vgNames = new Set<string>();
  spec.lvm.volumeGroups.forEach((vg, i) => {
    if (vgNames.has(vg.name)) report(["lvm", "volumeGroups", i, "name"], `volume group '${vg.name}' is defined twice`, "give each VG its own name");
    vgNames.add(vg.name);
    vg.pvs.forEach((pv, j) => {
      if (resolveDevice(spec, pv) !== "drbd") {
        const names = spec.drbd.resources.map((r) => `drbd/${r.name}`);
        const guess = nearest(pv, names);
        report(["lvm", "volumeGroups", i, "pvs", j], `'${pv}' is not a DRBD resource of this spec`, guess ? `did you mean '${guess}'?` : `physical volumes are DRBD devices: ${names.join(", ") || "define drbd.resources first"}`);
      } else if (usedPvs.has(pv)) {
        report(["lvm", "volumeGroups", i, "pvs", j], `${pv} is already a PV of volume group '${usedPvs.get(pv)}'`, "a device can belong to one VG only");
      } else usedPvs.set(pv, vg.name);
    });
    const lvNames = new Set<string>();
    vg.logicalVolumes.forEach((lv, j) => {
      if (lvNames.has(lv.name)) report(["lvm", "volumeGroups", i, "logicalVolumes", j, "name"], `logical volume '${lv.name}' is defined twice in '${vg.name}'`, "give each LV its own name");
      lvNames.add(lv.name);
    });
  });
};

const filesystems: Check = (spec, report) => {
  const mounts = new Map<string, number>();
  const devices = new Map<string, number>();
  const pvs = new Set(spec.lvm.volumeGroups.flatMap((vg) => vg.pvs));
  spec.filesystems.forEach((fs, i) => {
    const kind = resolveDevice(spec, fs.device);
    if (kind === undefined) {
      const candidates = [
        ...spec.lvm.volumeGroups.flatMap((vg) => vg.logicalVolumes.map((lv) => `${vg.name}/${lv.name}`)),
        ...spec.drbd.resources.map((r) => `drbd/${r.name}`),
      ];
      const guess = nearest(fs.device, candidates);
      report(["filesystems", i, "device"], `'${fs.device}' is neither a logical volume nor a DRBD resource of this spec`, guess ? `did you mean '${guess}'?` : `use VG/LV or drbd/RESOURCE; defined here: ${candidates.join(", ") || "none"}`);
    } else if (kind === "drbd" && pvs.has(fs.device)) {
      report(["filesystems", i, "device"], `${fs.device} is a physical volume of a volume group`, "put the filesystem on a logical volume of that VG instead");
    } else if (kind === "drbd" && spec.lvm.locking !== "none") {
      report(["filesystems", i, "device"], `${fs.device} is a raw DRBD device but lvm.locking is '${spec.lvm.locking}'`, "set lvm.locking: none to put GFS2 straight on DRBD, or use a logical volume");
    }
    const d = devices.get(fs.device);
    if (d !== undefined) report(["filesystems", i, "device"], `${fs.device} already holds filesystems[${d}]`, "one filesystem per device");
    else devices.set(fs.device, i);

    if (!fs.mountpoint.startsWith("/") || fs.mountpoint.includes("//") || /\/\.\.?(\/|$)/.test(fs.mountpoint)) {
      report(["filesystems", i, "mountpoint"], `mountpoint '${fs.mountpoint}' is not a clean absolute path`, "write an absolute path such as /srv/data");
    }
    const normalized = fs.mountpoint.replace(/\/+$/, "") || "/";
    const m = mounts.get(normalized);
    if (m !== undefined) report(["filesystems", i, "mountpoint"], `${fs.mountpoint} is also the mountpoint of filesystems[${m}]`, "give every filesystem its own mountpoint");
    else mounts.set(normalized, i);
  });
};

function isSecretRef(v: unknown): v is SecretRef {
  return typeof v === "object" && v !== null;
}

const secrets: Check = (spec, report) => {
  const ref = spec.secrets.haclusterPassword;
  if ((ref.env === undefined) === (ref.file === undefined)) {
    report(["secrets", "haclusterPassword"], "a secret needs exactly one of env or file", "write { env: VARIABLE } or { file: PATH }");
  }
  spec.stonith.devices.forEach((d, i) => {
    for (const [key, value] of Object.entries(d.options)) {
      if (!isSecretRef(value)) continue;
      if ((value.env === undefined) === (value.file === undefined)) {
        report(["stonith", "devices", i, "options", key], "a secret needs exactly one of env or file", "write { env: VARIABLE } or { file: PATH }");
      }
      if (!secretCapableFenceOptions.includes(key)) {
        report(["stonith", "devices", i, "options", key], `option '${key}' cannot take a secret reference`, `only ${secretCapableFenceOptions.join(", ")} can (the agent reads it through ${secretCapableFenceOptions.map((o) => `${o}_script`).join(", ")}); write a plain value`);
      }
    }
  });
};

const fencing: Check = (spec, report) => {
  const st = spec.stonith;
  const nodeNames = spec.nodes.map((n) => n.name);
  if (!st.enabled) {
    if (st.acknowledgeDataLossRisk !== true) {
      report(["stonith", "enabled"], "STONITH is disabled without acknowledgement", "GFS2 and DLM need fencing to stay consistent; set acknowledgeDataLossRisk: true only for a throw-away test cluster");
    }
    return;
  }
  const covered = new Set<string>();
  const names = new Set<string>();
  st.devices.forEach((d, i) => {
    const at = (...rest: (string | number)[]): SpecPath => ["stonith", "devices", i, ...rest];
    if (names.has(d.name)) report(at("name"), `fence device '${d.name}' is defined twice`, "give each device its own name");
    names.add(d.name);
    if (!knownFenceAgents.includes(d.agent)) {
      const guess = nearest(d.agent, knownFenceAgents);
      report(at("agent"), `unknown fence agent '${d.agent}'`, guess ? `did you mean '${guess}'?` : "name an agent from fence-agents (see `pcs stonith list`)");
    }
    if (d.target !== undefined && d.targets !== undefined) report(at("targets"), "both target and targets are set", "use target for one node or targets for several");
    const targets = d.targets ?? (d.target !== undefined ? [d.target] : nodeNames);
    for (const t of targets) {
      if (!nodeNames.includes(t)) {
        const guess = nearest(t, nodeNames);
        report(at(d.target !== undefined ? "target" : "targets"), `'${t}' is not a node of this cluster`, guess ? `did you mean '${guess}'?` : `name one of: ${nodeNames.join(", ")}`);
      } else covered.add(t);
    }
    for (const n of d.allowedNodes ?? []) {
      if (!nodeNames.includes(n)) report(at("allowedNodes"), `'${n}' is not a node of this cluster`, `name one of: ${nodeNames.join(", ")}`);
    }
    const allowed = d.allowedNodes ?? nodeNames;
    const runnable = allowed.filter((n) => !(d.avoidTarget === true && targets.includes(n)));
    if (targets.length === 1 && allowed.every((n) => targets.includes(n))) {
      report(at(d.allowedNodes ? "allowedNodes" : "avoidTarget"), `fence device '${d.name}' could only run on the node it fences`, "a node cannot fence itself: let the device run on another node (allowedNodes)");
    } else if (runnable.length === 0) {
      report(at(d.allowedNodes ? "allowedNodes" : "avoidTarget"), `fence device '${d.name}' has no node left to run on`, "avoidTarget keeps a device off every node it fences: drop it for a device that fences all nodes, or widen allowedNodes");
    }
  });
  for (const n of nodeNames) {
    if (!covered.has(n)) {
      report(["stonith", "devices"], `node '${n}' has no fence device`, `add a device with target: ${n} (or list it in a device's targets); a test cluster may set stonith.enabled: false with acknowledgeDataLossRisk: true`);
    }
  }
  if (st.survivor !== undefined && !nodeNames.includes(st.survivor)) {
    const guess = nearest(st.survivor, nodeNames);
    report(["stonith", "survivor"], `'${st.survivor}' is not a node of this cluster`, guess ? `did you mean '${guess}'?` : `name one of: ${nodeNames.join(", ")}`);
  } else if (st.survivor !== undefined && nodeNames.length !== 2) {
    report(["stonith", "survivor"], "a fence-race survivor only applies to two-node clusters", "remove it: with three or more nodes the partition with quorum fences the others");
  }
  if (st.devices.some((d) => d.agent === "fence_sbd") && st.sbd === undefined) {
    report(["stonith", "sbd"], "fence_sbd needs SBD itself configured", "add stonith.sbd with the shared devices and the watchdog");
  }
  if (st.sbd && (st.sbd.msgwaitTimeout ?? 0) < 2 * st.sbd.watchdogTimeout) {
    report(["stonith", "sbd", "msgwaitTimeout"], `msgwait ${st.sbd.msgwaitTimeout}s is shorter than twice the watchdog timeout (${st.sbd.watchdogTimeout}s)`, "SBD needs msgwait ≥ 2 × watchdogTimeout, or a fenced node may still be writing");
  }
};

const rules: readonly Rule[] = [
  { reads: ["cluster"], check: clusterName },
  { reads: ["cluster", "filesystems"], check: filesystemNames },
  { reads: ["nodes", "filesystems"], check: journals },
  { reads: ["nodes", "ssh", "corosync"], check: uniqueNodes },
  { reads: ["corosync", "nodes"], check: quorum },
  { reads: ["cluster", "lvm", "corosync", "drbd"], check: distroFit },
  { reads: ["drbd", "nodes"], check: dualPrimary },
  { reads: ["drbd"], check: afterSplitBrain },
  { reads: ["drbd", "nodes"], check: drbdResources },
  { reads: ["lvm", "drbd"], check: lvm },
  { reads: ["filesystems", "lvm", "drbd"], check: filesystems },
  { reads: ["secrets", "stonith"], check: secrets },
  { reads: ["stonith", "nodes"], check: fencing },
];

/** Every problem the rules find in `spec`, from the rules whose sections are all `usable`. */
export function checkRules(spec: Spec, usable: (section: Section) => boolean = () => true): Problem[] {
  const problems: Problem[] = [];
  const report: Report = (path, message, hint, atKey) => problems.push({ path, message, hint, atKey });
  for (const rule of rules) if (rule.reads.every(usable)) rule.check(spec, report);
  return problems;
}
