import { parseCrmMon, type ClusterState } from "../steps/crm.js";
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

async function text(t: Transport, command: string, args: string[]): Promise<string | undefined> {
  const r = await t.exec(command, args);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** How far the resync of `resource` has got, or undefined when DRBD does not say. */
async function readSyncPercent(t: Transport, resource: string): Promise<number | undefined> {
  const proc = (await t.readFile("/proc/drbd"))?.toString() ?? "";
  if (isDrbd8(proc)) {
    // /proc/drbd names devices by minor only; a resource's first volume is the one shown.
    const minor = /^\d+/.exec((await text(t, "drbdadm", ["sh-minor", resource])) ?? "")?.[0];
    return minor === undefined ? undefined : procDrbdSyncPercent(proc, Number(minor));
  }
  const status = await text(t, "drbdsetup", ["status", resource, "--verbose", "--statistics"]);
  return status === undefined ? undefined : drbdsetupSyncPercent(status);
}

/** Reads the node behind `t`. Read-only. */
export async function readNode(t: Transport, resources: readonly string[]): Promise<NodeReading> {
  const mon = await text(t, "crm_mon", ["-1", "--output-as=xml"]);
  const drbd: NodeReading["drbd"] = [];
  for (const resource of resources) {
    const state = { resource, role: await text(t, "drbdadm", ["role", resource]), disk: await text(t, "drbdadm", ["dstate", resource]), connection: await text(t, "drbdadm", ["cstate", resource]) };
    // DRBD 8.4 says SyncSource/SyncTarget in cstate; DRBD 9 keeps cstate Connected during a
    // resync, and only the Inconsistent disk gives it away.
    const resyncing = /Sync/.test(state.connection ?? "") || /Inconsistent/.test(state.disk ?? "");
    const syncPercent = resyncing ? await readSyncPercent(t, resource) : undefined;
    drbd.push(syncPercent === undefined ? state : { ...state, syncPercent });
  }
  const lockspaces = [...((await text(t, "dlm_tool", ["ls"])) ?? "").matchAll(/^name\s+(\S+)/gm)].map((m) => m[1] as string);
  const gfs2Mounts = ((await text(t, "findmnt", ["-n", "-t", "gfs2", "-o", "TARGET"])) ?? "").split("\n").filter(Boolean);
  return { node: t.host, ...(mon === undefined ? {} : { cluster: parseCrmMon(mon) }), drbd, lockspaces, gfs2Mounts };
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
