import { parseCrmMon } from "../steps/crm.js";
import { loadSpec } from "../spec/load.js";
import type { Transport } from "../transport/types.js";
import { closeAll, connect } from "./live.js";

interface NodeState {
  node: string;
  cluster: string;
  drbd: string;
  dlm: string;
  mounts: string;
}

async function text(t: Transport, command: string, args: string[]): Promise<string | undefined> {
  const r = await t.exec(command, args);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** One node's view, from the node's own tools (C tools only: no pcs, so it stays quick). */
async function nodeState(t: Transport, resources: string[], mountpoints: string[]): Promise<NodeState> {
  const mon = await text(t, "crm_mon", ["-1", "--output-as=xml"]);
  const state = mon === undefined ? undefined : parseCrmMon(mon);
  const cluster = !state ? "pacemaker down" : `${state.online.includes(t.host) ? "online" : "offline"}${state.quorate ? ", quorate" : ", NO QUORUM"}${state.failures.length ? `, ${state.failures.length} failed action(s)` : ""}`;
  const drbd: string[] = [];
  for (const r of resources) {
    const role = (await text(t, "drbdadm", ["role", r])) ?? "down";
    const disk = (await text(t, "drbdadm", ["dstate", r])) ?? "-";
    const conn = (await text(t, "drbdadm", ["cstate", r])) ?? "-";
    drbd.push(`${r} ${role} ${disk} ${conn}`);
  }
  const lockspaces = (await text(t, "dlm_tool", ["ls"])) ?? "";
  const dlm = [...lockspaces.matchAll(/^name\s+(\S+)/gm)].map((m) => m[1]).join(" ") || "no lockspaces";
  const mounted = ((await text(t, "findmnt", ["-n", "-t", "gfs2", "-o", "TARGET"])) ?? "").split("\n").filter(Boolean);
  const mounts = mountpoints.map((m) => `${m} ${mounted.includes(m) ? "mounted" : "NOT MOUNTED"}`).join(", ");
  return { node: t.host, cluster, drbd: drbd.join("; ") || "-", dlm, mounts: mounts || "-" };
}

/** The cluster on one screen: per node, membership, DRBD, DLM lockspaces and GFS2 mounts. */
export async function clusterStatus(file: string, acceptNewHostKeys: boolean): Promise<{ table: string; healthy: boolean }> {
  const loaded = loadSpec(file, { checkSecrets: false, checkSshAccess: true });
  // Status reads the nodes' own tools only, the same on every target: distro auto needs no answer here.
  const transports = await connect(loaded.spec, loaded.baseDir, acceptNewHostKeys);
  try {
    const resources = loaded.spec.drbd.resources.map((r) => r.name);
    const mountpoints = loaded.spec.filesystems.map((f) => f.mountpoint);
    const rows = await Promise.all([...transports.values()].map((t) => nodeState(t, resources, mountpoints)));
    const header: NodeState = { node: "NODE", cluster: "CLUSTER", drbd: "DRBD (role disk connection)", dlm: "DLM LOCKSPACES", mounts: "GFS2" };
    const all = [header, ...rows];
    const keys = ["node", "cluster", "drbd", "dlm", "mounts"] as const;
    const width = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
    const table = all.map((r) => keys.map((k, i) => r[k].padEnd(width[i] ?? 0)).join("  ").trimEnd()).join("\n") + "\n";
    const healthy = rows.every((r) => /^online, quorate$/.test(r.cluster) && !r.mounts.includes("NOT MOUNTED") && !/down|Secondary|Inconsistent|Outdated|Diskless/.test(r.drbd));
    return { table, healthy };
  } finally {
    await closeAll(transports);
  }
}
