import type { Facts, Read } from "../probes/facts.js";
import { clusterReads, clusterState, corosyncReads, fileExists, fileExistsReads, fileReads, unitReads, unitState } from "../probes/node.js";
import { corosyncNeedsRestart } from "./corosync.js";
import { isRole, type ClusterState } from "./crm.js";
import { RESTART_MARKER } from "./files.js";
import type { StepHandler } from "./types.js";
import { pollUntil, run } from "./util.js";

function readiness(state: ClusterState | undefined, nodes: string[]): string | undefined {
  if (!state) return "pacemaker is not answering";
  if (!state.dc) return "no DC elected yet";
  if (!state.quorate) return "cluster has no quorum";
  const missing = nodes.filter((n) => !state.online.includes(n));
  return missing.length ? `${missing.join(", ")} not online` : undefined;
}

const COROSYNC_CONF = "/etc/corosync/corosync.conf";
const restartReasonReads = (): Read[] => [...fileExistsReads(RESTART_MARKER), ...fileReads(COROSYNC_CONF), ...corosyncReads()];

/** Why the running corosync must restart to take what is on disk, if it must. */
function restartReason(f: Facts): string | undefined {
  if (fileExists(f, RESTART_MARKER)) return "the authkey was replaced";
  const conf = f.file(COROSYNC_CONF);
  if (conf !== undefined && corosyncNeedsRestart(f, conf)) return "the running cluster name or node list differs from corosync.conf";
  return undefined;
}

export const clusterStart: StepHandler<"cluster-start"> = {
  reads: (step) => [...restartReasonReads(), ...step.params.units.flatMap(unitReads)],
  check(step, f) {
    const restart = restartReason(f);
    if (restart) return { status: "change", reason: `restart corosync and pacemaker: ${restart}`, restart: "corosync, pacemaker" };
    const wrong: string[] = [];
    for (const unit of step.params.units) {
      const s = unitState(f, unit);
      // enabled-runtime is not enabled at boot: a cluster node must come back by itself.
      if (f.exec("systemctl", "is-enabled", unit).stdout.trim() !== "enabled") wrong.push(`enable ${unit}`);
      if (!s.active) wrong.push(`start ${unit}`);
    }
    return wrong.length ? { status: "change", reason: wrong.join(", ") } : { status: "ok" };
  },
  async apply(step, ctx, f) {
    await run(ctx, "systemctl", ["enable", ...step.params.units]);
    if (restartReason(f)) {
      // Stop in order (pacemaker first) so resources stop cleanly before the membership goes.
      await run(ctx, "systemctl", ["stop", ...[...step.params.units].reverse()]);
      await run(ctx, "rm", ["-f", RESTART_MARKER]);
    }
    await run(ctx, "systemctl", ["start", ...step.params.units]);
  },
};

export const clusterReady: StepHandler<"cluster-ready"> = {
  reads: () => clusterReads(),
  check(step, f) {
    const why = readiness(clusterState(f), step.params.nodes);
    return why ? { status: "change", reason: `wait: ${why}` } : { status: "ok" };
  },
  async apply(step, ctx) {
    await pollUntil(ctx, step.params.timeoutSec, "all nodes online with quorum", async () => {
      const why = readiness(clusterState(await ctx.read(clusterReads())), step.params.nodes);
      return why ? { done: false, reason: why } : { done: true, value: undefined };
    });
  },
};

function resourcesPending(state: ClusterState | undefined, resources: { id: string; role: "Started" | "Promoted" }[], nodes: string[]): string | undefined {
  if (!state) return "pacemaker is not answering";
  const pending: string[] = [];
  for (const r of resources) {
    const roles = state.roles.get(r.id);
    const short = nodes.filter((n) => !isRole(roles?.get(n), r.role));
    if (short.length) pending.push(`${r.id} not ${r.role} on ${short.join(", ")}`);
  }
  if (pending.length && state.failures.length) pending.push(`failed actions: ${state.failures.join("; ")}`);
  return pending.length ? pending.join("; ") : undefined;
}

export const waitResources: StepHandler<"wait-resources"> = {
  reads: () => clusterReads(),
  check(step, f) {
    const why = resourcesPending(clusterState(f), step.params.resources, step.params.nodes);
    return why ? { status: "change", reason: `wait: ${why}` } : { status: "ok" };
  },
  async apply(step, ctx) {
    await pollUntil(ctx, step.params.timeoutSec, step.title, async () => {
      const why = resourcesPending(clusterState(await ctx.read(clusterReads())), step.params.resources, step.params.nodes);
      return why ? { done: false, reason: why } : { done: true, value: undefined };
    });
  },
};
