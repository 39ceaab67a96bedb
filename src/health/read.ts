import { execRead, fileRead, gather, type Facts, type Read } from "../probes/facts.js";
import { clusterReads, clusterSilence, clusterState, drbdReads, gfs2Mounts, gfs2MountsReads, journalReads, journalSizes, lockspaces, lockspacesReads, lockTable, lockTableReads, missingTools, toolsReads } from "../probes/node.js";
import { isRole, type ClusterState } from "../steps/crm.js";
import type { Transport } from "../transport/types.js";
import type { HealthyShape } from "./shape.js";
import { drbdsetupSyncPercent, isDrbd8, procDrbdSyncPercent } from "./sync.js";

/** What one node's own tools say about the stack (C tools only: no pcs, so it stays quick). */
export interface NodeReading {
  node: string;
  /** Pacemaker's view from this node; undefined when crm_mon does not answer. */
  cluster?: ClusterState;
  /** Why `cluster` is missing, when it is. */
  clusterSilence?: string;
  /**
   * Per DRBD resource; a field is undefined when drbdadm could not say (resource down).
   * `syncPercent` is how far a running resync has got, when one runs and DRBD says.
   */
  drbd: { resource: string; role?: string; disk?: string; connection?: string; syncPercent?: number }[];
  /** DLM lockspaces joined here, with their members' node ids. */
  lockspaces: { name: string; members: string[] }[];
  /** Mounted GFS2 filesystems and their mount options. */
  gfs2Mounts: { mountpoint: string; options: string[] }[];
  /** What each expected filesystem's device holds: lock table and journal count, undefined when unreadable. */
  devices: { device: string; lockTable?: string; journals?: number }[];
  /** The shape's tools this node lacks. */
  missingTools: string[];
}

const word = (f: Facts, ...argv: [string, ...string[]]): string | undefined => {
  const r = f.exec(...argv);
  return r.code === 0 ? r.stdout.trim() : undefined;
};

/** Everything a reading of `shape` needs, for one batch: a resync's progress is read whether one runs or not. */
export function nodeReads(shape: HealthyShape): Read[] {
  return [
    ...clusterReads(),
    ...shape.resources.flatMap((r) => [execRead("drbdadm", "role", r), ...drbdReads(r), execRead("drbdadm", "sh-minor", r), execRead("drbdsetup", "status", r, "--verbose", "--statistics")]),
    fileRead("/proc/drbd"),
    ...lockspacesReads(),
    ...gfs2MountsReads(),
    ...shape.filesystems.flatMap((fs) => [...lockTableReads(fs.device), ...journalReads(fs.device)]),
    ...toolsReads(shape.tools?.names ?? []),
  ];
}

/** How far the resync of `resource` has got, or undefined when DRBD does not say. */
function syncPercent(f: Facts, resource: string): number | undefined {
  const proc = f.file("/proc/drbd") ?? "";
  if (isDrbd8(proc)) {
    // /proc/drbd names devices by minor only; a resource's first volume is the one shown.
    const minor = /^\d+/.exec(word(f, "drbdadm", "sh-minor", resource) ?? "")?.[0];
    return minor === undefined ? undefined : procDrbdSyncPercent(proc, Number(minor));
  }
  const status = word(f, "drbdsetup", "status", resource, "--verbose", "--statistics");
  return status === undefined ? undefined : drbdsetupSyncPercent(status);
}

/** What the facts say of the node's stack, for `shape`. Pure. */
export function nodeReading(f: Facts, shape: HealthyShape): NodeReading {
  const drbd: NodeReading["drbd"] = shape.resources.map((resource) => {
    const state = { resource, role: word(f, "drbdadm", "role", resource), disk: word(f, "drbdadm", "dstate", resource), connection: word(f, "drbdadm", "cstate", resource) };
    // DRBD 8.4 says SyncSource/SyncTarget in cstate; DRBD 9 keeps cstate Connected during a
    // resync, and only the Inconsistent disk gives it away.
    const resyncing = /Sync/.test(state.connection ?? "") || /Inconsistent/.test(state.disk ?? "");
    const percent = resyncing ? syncPercent(f, resource) : undefined;
    return percent === undefined ? state : { ...state, syncPercent: percent };
  });
  const devices = shape.filesystems.map(({ device }) => {
    const table = lockTable(f, device);
    const journals = journalSizes(f, device)?.length;
    return { device, ...(table === undefined ? {} : { lockTable: table }), ...(journals === undefined ? {} : { journals }) };
  });
  const cluster = clusterState(f);
  const silence = clusterSilence(f);
  return {
    node: f.host,
    ...(cluster === undefined ? {} : { cluster }),
    ...(silence === undefined ? {} : { clusterSilence: silence }),
    drbd,
    lockspaces: lockspaces(f),
    gfs2Mounts: gfs2Mounts(f),
    devices,
    missingTools: missingTools(f, shape.tools?.names ?? []),
  };
}

/** Reads the node behind `t` for `shape`, in one remote execution. Read-only. */
export async function readNode(t: Transport, shape: HealthyShape): Promise<NodeReading> {
  return nodeReading(await gather(t, nodeReads(shape)), shape);
}

/**
 * Every way a reading falls short of `expect`, worst first, each as `node: what` for people;
 * empty when it does not. Both disks UpToDate and Connected, since a resync or a lost peer is
 * not healthy. A filesystem that is not mounted is reported alone: its lockspace, lock table
 * and journals follow from the mount, so only the cause is named.
 */
export function readingProblems(r: NodeReading, expect: HealthyShape): string[] {
  const problems: string[] = [];
  const say = (what: string) => problems.push(`${r.node}: ${what}`);
  if (!r.cluster) say(`pacemaker is not answering${r.clusterSilence === undefined ? "" : ` (${r.clusterSilence})`}`);
  else {
    if (!r.cluster.quorate) say("the cluster partition has no quorum");
    for (const n of expect.nodes) if (!r.cluster.online.includes(n)) say(`sees ${n} offline`);
    for (const f of r.cluster.failures) say(`failed action: ${f}`);
    for (const device of expect.fenceDevices) {
      if (![...(r.cluster.roles.get(device)?.values() ?? [])].some((role) => isRole(role, "Started"))) say(`fence device ${device} is not started`);
    }
  }
  for (const d of r.drbd) {
    if (d.role === undefined) {
      say(`DRBD ${d.resource} is down`);
      continue;
    }
    const faults: string[] = [];
    if (d.connection !== "Connected") faults.push(`DRBD ${d.resource} is ${d.connection ?? "unknown"}, not Connected`);
    if (d.role.split("/")[0] !== "Primary") faults.push(`DRBD ${d.resource} is ${d.role}, not Primary`);
    if (!(d.disk ?? "").split("/").every((s) => s === "UpToDate")) faults.push(`DRBD ${d.resource} disks are ${d.disk ?? "unknown"}, not UpToDate/UpToDate`);
    // A resync ends on its own: saying so (and how far it got) tells people to wait, not repair.
    const resync = /^Sync/.test(d.connection ?? "") || d.syncPercent !== undefined;
    if (resync && faults[0] !== undefined) faults[0] += ` (a resync is running${d.syncPercent === undefined ? "" : `, ${d.syncPercent.toFixed(1)}% done`})`;
    faults.forEach(say);
  }
  for (const fs of expect.filesystems) {
    const mount = r.gfs2Mounts.find((m) => m.mountpoint === fs.mountpoint);
    if (!mount) {
      say(`${fs.mountpoint} is not a mounted GFS2 filesystem`);
      continue;
    }
    const without = fs.options.filter((o) => !mount.options.includes(o));
    if (without.length > 0) say(`${fs.mountpoint} is mounted without ${without.join(", ")}`);
    const members = r.lockspaces.find((l) => l.name === fs.lockspace)?.members;
    if (members === undefined) say(`DLM lockspace ${fs.lockspace} is not joined`);
    else if (members.length !== expect.nodes.length) say(`DLM lockspace ${fs.lockspace} has ${members.length} member(s), not ${expect.nodes.length}`);
    const disk = r.devices.find((d) => d.device === fs.device);
    if (disk?.lockTable !== fs.lockTable) say(`lock table on ${fs.device} is ${disk?.lockTable ?? "unreadable"}, expected ${fs.lockTable}`);
    if (disk?.journals === undefined) say(`the journal index on ${fs.device} is unreadable`);
    else if (disk.journals < expect.nodes.length) say(`${fs.device} has ${disk.journals} journal(s) for ${expect.nodes.length} nodes: each node that mounts it needs its own`);
  }
  if (expect.tools && r.missingTools.length > 0) say(`${r.missingTools.join(", ")} not installed (${expect.tools.install})`);
  return problems;
}
