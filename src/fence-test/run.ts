import { PlanError, tail } from "../errors.js";
import { readingProblems, readNode } from "../health/read.js";
import type { HealthyShape } from "../health/shape.js";
import type { Playbook } from "../playbook/types.js";
import type { Transport } from "../transport/types.js";

/** The phases a fence-test playbook may list, each run by its function below. */
export const fenceTestPhases = ["health", "fence", "recover-survivor", "rejoin", "verify"] as const;
type FenceTestPhase = (typeof fenceTestPhases)[number];

/** refused: the health gate found the cluster unfit, so nothing was fenced. */
export type PhaseOutcome = "ok" | "failed" | "refused" | "skipped";

export interface PhaseResult {
  phase: string;
  outcome: PhaseOutcome;
  seconds: number;
  detail: string;
}

export interface FenceTestOptions {
  playbook: Playbook;
  /** The node to fence. */
  target: string;
  /** The spec's healthy cluster: every node in its order, its DRBD resources, fencing and GFS2 filesystems. */
  healthy: HealthyShape;
  /** One open transport per node. The target's dies with it; `connect` makes a new one. */
  transports: ReadonlyMap<string, Transport>;
  connect: (node: string) => Transport;
  /** Runs every check of the apply plan over these transports; returns the steps not ok, as lines. */
  verify: (transports: ReadonlyMap<string, Transport>) => Promise<string[]>;
  /** Names the file written on the mount, so a run never touches anything it did not make. */
  runId: string;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  pollMs: number;
  /** How long recover-survivor and rejoin may each wait, ms. */
  timeoutMs: number;
}

/**
 * The phases the playbook lists, in its order, checked to be ones this workflow knows. Pure.
 * Fencing without a health check first could take down the last good copy of the data, so
 * a playbook that lists `fence` without `health` before it is refused.
 */
export function fenceTestOrder(playbook: Playbook): FenceTestPhase[] {
  const names = playbook.phases.map((p) => p.name);
  const unknown = names.filter((n) => !(fenceTestPhases as readonly string[]).includes(n));
  if (unknown.length > 0) throw new PlanError(`playbook ${playbook.name} lists phase(s) ${unknown.join(", ")}, which a fence-test does not have`, `a fence-test's phases are ${fenceTestPhases.join(", ")}`);
  const fence = names.indexOf("fence");
  if (fence >= 0 && !names.slice(0, fence).includes("health")) throw new PlanError(`playbook ${playbook.name} fences without a health check before it`, "list the health phase before the fence phase");
  return names as FenceTestPhase[];
}

/**
 * Fences one node of a healthy cluster and times its recovery, phase by phase in the
 * playbook's order. The first phase that does not succeed ends the test: the rest are
 * skipped, so a refused health check means nothing is fenced.
 */
export async function fenceTest(o: FenceTestOptions): Promise<PhaseResult[]> {
  const order = fenceTestOrder(o.playbook);
  const { healthy } = o;
  const survivor = healthy.nodes.find((n) => n !== o.target);
  if (survivor === undefined) throw new PlanError("a fence-test needs a node that survives", "run it on a cluster of two or more nodes");
  const transports = new Map(o.transports);
  const on = (node: string): Transport => {
    const t = transports.get(node);
    if (!t) throw new Error(`no connection to ${node}`);
    return t;
  };
  const mountpoints = healthy.filesystems.map((f) => f.mountpoint);

  /** Polls `attempt` until it returns a detail line, or says what it last saw when time runs out. */
  const waitFor = async (what: string, attempt: () => Promise<{ done: true; detail: string } | { done: false; seen: string }>): Promise<[PhaseOutcome, string]> => {
    const deadline = o.now() + o.timeoutMs;
    for (;;) {
      const r = await attempt();
      if (r.done) return ["ok", r.detail];
      if (o.now() >= deadline) return ["failed", `${what} not reached within ${Math.round(o.timeoutMs / 1000)}s; last seen: ${r.seen}`];
      await o.sleep(o.pollMs);
    }
  };

  const phases: Record<FenceTestPhase, () => Promise<[PhaseOutcome, string]>> = {
    health: async () => {
      const problems = (
        await Promise.all(
          healthy.nodes.map(async (n) => {
            const t = transports.get(n);
            return t ? readingProblems(await readNode(t, healthy), healthy) : [`${n}: not connected`];
          }),
        )
      ).flat();
      return problems.length > 0 ? ["refused", `not fencing an unhealthy cluster: ${problems.join("; ")}`] : ["ok", `${healthy.nodes.length} nodes online, DRBD UpToDate and Connected, GFS2 mounted`];
    },
    fence: async () => {
      const r = await on(survivor).exec("pcs", ["stonith", "fence", o.target]);
      return r.code === 0 ? ["ok", `${o.target} fenced by ${survivor}`] : ["failed", `pcs stonith fence ${o.target} exited ${r.code}: ${tail(r.stderr || r.stdout, 3)}`];
    },
    "recover-survivor": () =>
      waitFor(`${survivor} writing to GFS2`, async () => {
        for (const m of mountpoints) {
          const file = `${m}/.gfsdeploy-fence-test-${o.runId}`;
          // conv=fsync: the write reaches the disk, which needs the DLM recovered and the target's journal replayed.
          const write = await on(survivor).exec("dd", ["if=/dev/zero", `of=${file}`, "bs=4096", "count=1", "conv=fsync"], { timeoutMs: 30_000 });
          await on(survivor).exec("rm", ["-f", file]);
          if (write.code !== 0) return { done: false, seen: `${m}: ${tail(write.stderr, 1) || `dd exited ${write.code}`}` };
        }
        return { done: true, detail: `${survivor} wrote and fsynced on ${mountpoints.join(", ") || "(no filesystems)"}` };
      }),
    rejoin: () =>
      waitFor(`${o.target} back in the cluster`, async () => {
        try {
          // The old connection died with the node; each attempt dials it afresh.
          const t = o.connect(o.target);
          await transports.get(o.target)?.close();
          transports.set(o.target, t);
          const problems = readingProblems(await readNode(t, healthy), healthy);
          return problems.length === 0 ? { done: true, detail: `${o.target} online, DRBD UpToDate/UpToDate Connected, GFS2 mounted` } : { done: false, seen: problems.join("; ") };
        } catch (e) {
          return { done: false, seen: `${o.target} unreachable (${e instanceof Error ? e.message.split("\n")[0] : String(e)})` };
        }
      }),
    verify: async () => {
      const notOk = await o.verify(transports);
      return notOk.length === 0 ? ["ok", "every check of the apply plan is ok: nothing to change"] : ["failed", `${notOk.length} step(s) differ from the spec: ${notOk.join("; ")}`];
    },
  };

  const results: PhaseResult[] = [];
  let stopped = false;
  for (const phase of order) {
    if (stopped) {
      results.push({ phase, outcome: "skipped", seconds: 0, detail: "an earlier phase did not succeed" });
      continue;
    }
    const t0 = o.now();
    const [outcome, detail] = await phases[phase]();
    results.push({ phase, outcome, seconds: (o.now() - t0) / 1000, detail });
    stopped = outcome !== "ok";
  }
  return results;
}

/** The result as people read it: phase → outcome → seconds, then what each phase saw. */
export function formatPhaseTable(results: readonly PhaseResult[]): string {
  const rows = [["PHASE", "OUTCOME", "SECONDS", "DETAIL"], ...results.map((r) => [r.phase, r.outcome, r.seconds.toFixed(1), r.detail])];
  const width = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((cell, i) => (i < 3 ? cell.padEnd(width[i] ?? 0) : cell)).join("  ").trimEnd()).join("\n") + "\n";
}
