import type { Distro, DrbdDialect, Section, Spec } from "./types.js";

/** The first DRBD port when a resource names none; later resources count up from it. */
export const firstDrbdPort = 7789;

/** A default that depends on other fields: the section it fills and the sections it reads. */
interface DerivedDefault {
  fills: Section;
  reads: readonly Section[];
  fill: (spec: Spec) => void;
}

const derivedDefaults: readonly DerivedDefault[] = [
  { fills: "corosync", reads: ["cluster"], fill: (spec) => (spec.corosync.transport ??= spec.cluster.distro === "el7" ? "udpu" : "knet") },
  { fills: "drbd", reads: [], fill: (spec) => (spec.drbd.version = String(spec.drbd.version) as Spec["drbd"]["version"]) },
  {
    fills: "lvm",
    reads: ["cluster"],
    fill: (spec) => (spec.lvm.locking ??= spec.lvm.volumeGroups.length === 0 ? "none" : spec.cluster.distro === "el7" ? "clvmd" : "lvmlockd"),
  },
  {
    fills: "drbd",
    reads: [],
    fill: (spec) => {
      // Unset ports count up from 7789, stepping over any port another resource names itself.
      const taken = new Set(spec.drbd.resources.map((r) => r.port).filter((p) => p !== undefined));
      let next = firstDrbdPort;
      for (const r of spec.drbd.resources) {
        if (r.port !== undefined) continue;
        while (taken.has(next)) next++;
        r.port = next;
        taken.add(next);
      }
    },
  },
  { fills: "filesystems", reads: ["nodes"], fill: (spec) => spec.filesystems.forEach((fs) => (fs.journals ??= spec.nodes.length)) },
  { fills: "stonith", reads: [], fill: (spec) => spec.stonith.devices.forEach((d) => (d.avoidTarget ??= d.target !== undefined)) },
  {
    fills: "stonith",
    reads: ["nodes"],
    fill: (spec) => {
      if (spec.nodes.length === 2) spec.stonith.survivor ??= spec.nodes[0]?.name;
    },
  },
  {
    fills: "stonith",
    reads: [],
    fill: (spec) => {
      if (spec.stonith.sbd) spec.stonith.sbd.msgwaitTimeout ??= 2 * spec.stonith.sbd.watchdogTimeout;
    },
  },
];

/**
 * Fills in the defaults that depend on other fields. Runs after the schema (which filled
 * the plain ones), before the semantic rules, so the rules judge what will really be built.
 * Only sections that are `usable` (well-formed) are read or filled; returns the test for
 * the sections that are then complete, which the rules go by: a section whose default
 * could not be derived from a malformed one is not.
 */
export function applyDerivedDefaults(spec: Spec, usable: (section: Section) => boolean = () => true): (section: Section) => boolean {
  const incomplete = new Set<Section>();
  for (const d of derivedDefaults) {
    if (!usable(d.fills)) continue;
    if (d.reads.every(usable)) d.fill(spec);
    else incomplete.add(d.fills);
  }
  return (section) => usable(section) && !incomplete.has(section);
}

/** Which DRBD configuration dialect a spec gets: 8.4 where the distro's kernel ships 8.4. */
export function drbdDialect(spec: Spec): DrbdDialect | undefined {
  if (spec.drbd.version !== "auto") return spec.drbd.version;
  switch (spec.cluster.distro) {
    case "debian13":
    case "debian12":
    case "ubuntu2404":
    case "el7":
      return "8.4";
    case "el8":
    case "el9":
      return "9";
    case "auto":
      return undefined;
  }
}

/** A GFS2 filesystem's lock table, `cluster:filesystem`: what mkfs.gfs2 writes and its DLM lockspace is named after. */
export function gfs2LockTable(spec: Pick<Spec, "cluster">, fs: { name: string }): string {
  return `${spec.cluster.name}:${fs.name}`;
}

/** The backing disk of a DRBD resource on one node. */
export function backingDisk(spec: Spec, resource: string, node: string): string | undefined {
  const r = spec.drbd.resources.find((x) => x.name === resource);
  return r?.disks?.[node] ?? r?.disk;
}

/**
 * The interpreter gfsdeploy's helper scripts run under: the one pcs itself runs on, since
 * pcs_batch.py imports pcs. EL8's pcs lives in platform-python (3.6), which is always there,
 * while /usr/bin/python3 is an optional module; EL7's pcs 0.9 is Python 2.7 and python3 is
 * usually absent.
 */
export function pythonFor(distro: Distro): string {
  switch (distro) {
    case "el7":
      return "/usr/bin/python";
    case "el8":
      return "/usr/libexec/platform-python";
    case "debian13":
    case "debian12":
    case "ubuntu2404":
    case "el9":
      return "/usr/bin/python3";
  }
}
