import { execRead, fileRead, gather, type Facts, type Read } from "../probes/facts.js";
import { clusterReads, clusterState, drbdReads } from "../probes/node.js";
import type { ClusterState } from "../steps/crm.js";
import type { Transport } from "../transport/types.js";
import { drbdsetupSyncPercent, isDrbd8, procDrbdSyncPercent } from "./sync.js";

/** What one node's own tools say about the stack (C tools only: no pcs, so it stays quick). */
export interface NodeReading {
  node: string;
  /** Pacemaker's view from this node; undefined when crm_mon does not answer. */
  cluster?: ClusterState;
  /**
   * Per DRBD resource; a field is undefined when drbdadm could not say (resource down).
   * `syncPercent` is how far a running resync has got, when one runs and DRBD says.
   */
  drbd: { resource: string; role?: string; disk?: string; connection?: string; syncPercent?: number }[];
  /** DLM lockspace names. */
  lockspaces: string[];
  /** Mount points of mounted GFS2 filesystems. */
  gfs2Mounts: string[];
}

const word = (f: Facts, ...argv: [string, ...string[]]): string | undefined => {
  const r = f.exec(...argv);
  return r.code === 0 ? r.stdout.trim() : undefined;
};

/** Everything a reading needs, for one batch: a resync's progress is read whether one runs or not. */
export function nodeReads(resources: readonly string[]): Read[] {
  return [
    ...clusterReads(),
    ...resources.flatMap((r) => [execRead("drbdadm", "role", r), ...drbdReads(r), execRead("drbdadm", "sh-minor", r), execRead("drbdsetup", "status", r, "--verbose", "--statistics")]),
    fileRead("/proc/drbd"),
    execRead("dlm_tool", "ls"),
    execRead("findmnt", "-n", "-t", "gfs2", "-o", "TARGET"),
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

/** What the facts say of the node's stack. Pure. */
export function nodeReading(f: Facts, resources: readonly string[]): NodeReading {
  const drbd: NodeReading["drbd"] = resources.map((resource) => {
    const state = { resource, role: word(f, "drbdadm", "role", resource), disk: word(f, "drbdadm", "dstate", resource), connection: word(f, "drbdadm", "cstate", resource) };
    // DRBD 8.4 says SyncSource/SyncTarget in cstate; DRBD 9 keeps cstate Connected during a
    // resync, and only the Inconsistent disk gives it away.
    const resyncing = /Sync/.test(state.connection ?? "") || /Inconsistent/.test(state.disk ?? "");
    const percent = resyncing ? syncPercent(f, resource) : undefined;
    return percent === undefined ? state : { ...state, syncPercent: percent };
  });
  const lockspaces = [...(word(f, "dlm_tool", "ls") ?? "").matchAll(/^name\s+(\S+)/gm)].map((m) => m[1] as string);
  const gfs2Mounts = (word(f, "findmnt", "-n", "-t", "gfs2", "-o", "TARGET") ?? "").split("\n").filter(Boolean);
  const cluster = clusterState(f);
  return { node: f.host, ...(cluster === undefined ? {} : { cluster }), drbd, lockspaces, gfs2Mounts };
}

/** Reads the node behind `t`, in one remote execution. Read-only. */
export async function readNode(t: Transport, resources: readonly string[]): Promise<NodeReading> {
  return nodeReading(await gather(t, nodeReads(resources)), resources);
}

/** What a healthy node shows, from the spec. */
export interface HealthyShape {
  /** Nodes this node must see online. */
  nodes: readonly string[];
  mountpoints: readonly string[];
}

/**
 * Every way a reading falls short of a healthy dual-primary node, for people; empty when it
 * does not. Both disks UpToDate and Connected, since a resync or a lost peer is not healthy.
 */
export function readingProblems(r: NodeReading, expect: HealthyShape): string[] {
  const problems: string[] = [];
  const say = (what: string) => problems.push(`${r.node}: ${what}`);
  if (!r.cluster) say("pacemaker is not answering");
  else {
    if (!r.cluster.quorate) say("no quorum");
    for (const n of expect.nodes) if (!r.cluster.online.includes(n)) say(`sees ${n} offline`);
    for (const f of r.cluster.failures) say(`failed action: ${f}`);
  }
  for (const d of r.drbd) {
    if (d.role === undefined) {
      say(`DRBD ${d.resource} is down`);
      continue;
    }
    if (d.role.split("/")[0] !== "Primary") say(`DRBD ${d.resource} is ${d.role}, not Primary`);
    if (!(d.disk ?? "").split("/").every((s) => s === "UpToDate")) say(`DRBD ${d.resource} disks are ${d.disk ?? "unknown"}, not UpToDate/UpToDate`);
    if (d.connection !== "Connected") say(`DRBD ${d.resource} is ${d.connection ?? "unknown"}, not Connected`);
  }
  for (const m of expect.mountpoints) if (!r.gfs2Mounts.includes(m)) say(`${m} is not mounted`);
  return problems;
}
