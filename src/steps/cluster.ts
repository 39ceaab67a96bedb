import { corosyncNeedsRestart } from "./corosync.js";
import { parseCrmMon, isRole, type ClusterState } from "./crm.js";
import { RESTART_MARKER } from "./files.js";
import type { CheckResult, StepContext, StepHandler } from "./types.js";
import { pollUntil, probe, run } from "./util.js";

async function clusterState(ctx: StepContext): Promise<ClusterState | undefined> {
  const r = await probe(ctx, "crm_mon", ["-1", "--output-as=xml"]);
  return r.code === 0 ? parseCrmMon(r.stdout) : undefined;
}

function readiness(state: ClusterState | undefined, nodes: string[]): string | undefined {
  if (!state) return "pacemaker is not answering";
  if (!state.dc) return "no DC elected yet";
  if (!state.quorate) return "cluster has no quorum";
  const missing = nodes.filter((n) => !state.online.includes(n));
  return missing.length ? `${missing.join(", ")} not online` : undefined;
}

/** Why the running corosync must restart to take what is on disk, if it must. */
async function restartReason(ctx: StepContext): Promise<string | undefined> {
  if ((await probe(ctx, "test", ["-e", RESTART_MARKER])).code === 0) return "the authkey was replaced";
  const conf = (await ctx.t.readFile("/etc/corosync/corosync.conf"))?.toString();
  if (conf !== undefined && (await corosyncNeedsRestart(ctx, conf))) return "the running cluster name or node list differs from corosync.conf";
  return undefined;
}

export const clusterStart: StepHandler<"cluster-start"> = {
  async check(step, ctx) {
    const restart = await restartReason(ctx);
    if (restart) return { status: "change", reason: `restart corosync and pacemaker: ${restart}`, restart: "corosync, pacemaker" };
    const wrong: string[] = [];
    for (const unit of step.params.units) {
      const enabled = (await probe(ctx, "systemctl", ["is-enabled", unit])).stdout.trim();
      const active = (await probe(ctx, "systemctl", ["is-active", unit])).stdout.trim();
      if (enabled !== "enabled") wrong.push(`enable ${unit}`);
      if (active !== "active") wrong.push(`start ${unit}`);
    }
    return wrong.length ? { status: "change", reason: wrong.join(", ") } : { status: "ok" };
  },
  async apply(step, ctx) {
    await run(ctx, "systemctl", ["enable", ...step.params.units]);
    if (await restartReason(ctx)) {
      // Stop in order (pacemaker first) so resources stop cleanly before the membership goes.
      await run(ctx, "systemctl", ["stop", ...[...step.params.units].reverse()]);
      await run(ctx, "rm", ["-f", RESTART_MARKER]);
    }
    await run(ctx, "systemctl", ["start", ...step.params.units]);
  },
};

export const clusterReady: StepHandler<"cluster-ready"> = {
  async check(step, ctx) {
    const why = readiness(await clusterState(ctx), step.params.nodes);
    return why ? { status: "change", reason: `wait: ${why}` } : { status: "ok" };
  },
  async apply(step, ctx) {
    await pollUntil(ctx, step.params.timeoutSec, "all nodes online with quorum", async () => {
      const why = readiness(await clusterState(ctx), step.params.nodes);
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
  async check(step, ctx): Promise<CheckResult> {
    const why = resourcesPending(await clusterState(ctx), step.params.resources, step.params.nodes);
    return why ? { status: "change", reason: `wait: ${why}` } : { status: "ok" };
  },
  async apply(step, ctx) {
    await pollUntil(ctx, step.params.timeoutSec, step.title, async () => {
      const why = resourcesPending(await clusterState(ctx), step.params.resources, step.params.nodes);
      return why ? { done: false, reason: why } : { done: true, value: undefined };
    });
  },
};
