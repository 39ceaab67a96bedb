import { readNode, type NodeReading } from "../health/read.js";
import { loadSpec } from "../spec/load.js";
import { closeAll, connect } from "./live.js";

interface NodeState {
  node: string;
  cluster: string;
  drbd: string;
  dlm: string;
  mounts: string;
}

/** One row of the table, in words. */
function row(r: NodeReading, mountpoints: string[]): NodeState {
  const state = r.cluster;
  const cluster = !state ? "pacemaker down" : `${state.online.includes(r.node) ? "online" : "offline"}${state.quorate ? ", quorate" : ", NO QUORUM"}${state.failures.length ? `, ${state.failures.length} failed action(s)` : ""}`;
  const drbd = r.drbd.map((d) => `${d.resource} ${d.role ?? "down"} ${d.disk ?? "-"} ${d.connection ?? "-"}`);
  const mounts = mountpoints.map((m) => `${m} ${r.gfs2Mounts.includes(m) ? "mounted" : "NOT MOUNTED"}`).join(", ");
  return { node: r.node, cluster, drbd: drbd.join("; ") || "-", dlm: r.lockspaces.join(" ") || "no lockspaces", mounts: mounts || "-" };
}

/** The cluster on one screen: per node, membership, DRBD, DLM lockspaces and GFS2 mounts. */
export async function clusterStatus(file: string, acceptNewHostKeys: boolean): Promise<{ table: string; healthy: boolean }> {
  const loaded = loadSpec(file, { checkSecrets: false, checkSshAccess: true });
  // Status reads the nodes' own tools only, the same on every target: distro auto needs no answer here.
  const transports = await connect(loaded.spec, loaded.baseDir, acceptNewHostKeys);
  try {
    const resources = loaded.spec.drbd.resources.map((r) => r.name);
    const mountpoints = loaded.spec.filesystems.map((f) => f.mountpoint);
    const rows = (await Promise.all([...transports.values()].map((t) => readNode(t, resources)))).map((r) => row(r, mountpoints));
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
