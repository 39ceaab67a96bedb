import { formatSummary, parseSummary, SUMMARY_PATH } from "../bench/summary.js";
import { readingProblems, readNode, type NodeReading } from "../health/read.js";
import { healthyShape, type HealthyShape } from "../health/shape.js";
import { loadSpec } from "../spec/load.js";
import { isRole } from "../steps/crm.js";
import { closeAll, connect } from "./live.js";

interface NodeState {
  node: string;
  cluster: string;
  drbd: string;
  dlm: string;
  mounts: string;
}

/** One row of the table, in words. The mounts stay last: scripts match the row up to its end. */
function row(r: NodeReading, mountpoints: readonly string[]): NodeState {
  const state = r.cluster;
  const cluster = !state ? "pacemaker down" : `${state.online.includes(r.node) ? "online" : "offline"}${state.quorate ? ", quorate" : ", NO QUORUM"}${state.failures.length ? `, ${state.failures.length} failed action(s)` : ""}`;
  const drbd = r.drbd.map((d) => `${d.resource} ${d.role ?? "down"} ${d.disk ?? "-"} ${d.connection ?? "-"}${d.syncPercent === undefined ? "" : ` (sync ${d.syncPercent.toFixed(1)}%)`}`);
  const mounts = mountpoints.map((m) => `${m} ${r.gfs2Mounts.some((g) => g.mountpoint === m) ? "mounted" : "NOT MOUNTED"}`).join(", ");
  return { node: r.node, cluster, drbd: drbd.join("; ") || "-", dlm: r.lockspaces.map((l) => l.name).join(" ") || "no lockspaces", mounts: mounts || "-" };
}

/**
 * Where each fence device runs, as the first node that answers sees it (every member of a
 * quorate partition shares one CIB). Devices the spec names count even when Pacemaker lists
 * none, so a device missing from the CIB shows as not started rather than not at all.
 */
function stonithLine(readings: readonly NodeReading[], expected: readonly string[]): { text: string; ok: boolean } {
  const state = readings.find((r) => r.cluster)?.cluster;
  if (!state) return { text: "stonith: unknown (pacemaker is not answering)", ok: false };
  const devices = [...new Set([...expected, ...state.fenceDevices])];
  if (devices.length === 0) return { text: "stonith: no fence device", ok: true };
  let ok = true;
  const parts = devices.map((id) => {
    const on = [...(state.roles.get(id) ?? [])].filter(([, role]) => isRole(role, "Started")).map(([node]) => node);
    if (on.length === 0) ok = false;
    return on.length ? `${id} started on ${on.join(", ")}` : `${id} NOT STARTED`;
  });
  return { text: `stonith: ${parts.join("; ")}`, ok };
}

/** `last.json` as one line; undefined text means the file does not exist. */
function benchLine(lastBench: string | undefined): string {
  if (lastBench === undefined) return "last bench: no bench run yet";
  const summary = parseSummary(lastBench);
  return summary ? `last bench: ${formatSummary(summary)}` : `last bench: unreadable summary in ${SUMMARY_PATH}`;
}

/**
 * The screen `status` prints, and whether the cluster is healthy: the health rule finds
 * nothing on any node (the rule fence-test and bench refuse by), and every fence device
 * Pacemaker lists is started, the spec's or not. The last bench is shown, not judged: it says
 * how the cluster performed then, not how it is now.
 */
export function renderStatus(readings: readonly NodeReading[], expect: HealthyShape, lastBench: string | undefined): { table: string; healthy: boolean } {
  const rows = readings.map((r) => row(r, expect.filesystems.map((f) => f.mountpoint)));
  const header: NodeState = { node: "NODE", cluster: "CLUSTER", drbd: "DRBD (role disk connection)", dlm: "DLM LOCKSPACES", mounts: "GFS2" };
  const all = [header, ...rows];
  const keys = ["node", "cluster", "drbd", "dlm", "mounts"] as const;
  const width = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  const stonith = stonithLine(readings, expect.fenceDevices);
  const lines = [...all.map((r) => keys.map((k, i) => r[k].padEnd(width[i] ?? 0)).join("  ").trimEnd()), "", stonith.text, benchLine(lastBench)];
  const healthy = stonith.ok && readings.every((r) => readingProblems(r, expect).length === 0);
  return { table: lines.join("\n") + "\n", healthy };
}

/** The cluster on one screen: per node, membership, DRBD, DLM lockspaces and GFS2 mounts; then fencing and the last bench. */
export async function clusterStatus(file: string, acceptNewHostKeys: boolean): Promise<{ table: string; healthy: boolean }> {
  const loaded = loadSpec(file, { checkSecrets: false, checkSshAccess: true });
  // Status reads the nodes' own tools only, the same on every target: distro auto needs no answer here.
  const transports = await connect(loaded.spec, loaded.baseDir, acceptNewHostKeys);
  try {
    const shape = healthyShape(loaded.spec);
    const readings = await Promise.all([...transports.values()].map((t) => readNode(t, shape)));
    // connect() refuses unless every node answered, so the first transport is the first reachable node.
    const first = [...transports.values()][0];
    const lastBench = first ? (await first.readFile(SUMMARY_PATH))?.toString() : undefined;
    return renderStatus(readings, shape, lastBench);
  } finally {
    await closeAll(transports);
  }
}
