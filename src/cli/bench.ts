import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";

import { Listr } from "listr2";

import { UnhealthyError, UsageError } from "../errors.js";
import { benchRun, healthGate, type BenchOptions, type BenchPhase } from "../bench/run.js";
import { renderChart } from "../bench/chart.js";
import { formatTable, reportJson } from "../bench/report.js";
import { storeSummary } from "../bench/summary.js";
import type { BenchReport } from "../bench/types.js";
import { acquireClusterLock, lockHolderText } from "../run/lock.js";
import { loadSpec } from "../spec/load.js";
import type { ConcreteSpec, FilesystemSpec, NodeSpec } from "../spec/types.js";
import { closeAll, connectEach, resolveDistro } from "./live.js";
import { loadScripts } from "./templates.js";

export interface BenchFlags {
  filesystem?: string;
  duration: string;
  json?: string;
  chart?: string;
  acceptNewHostKeys?: boolean;
}

/** `30s`, `2m` or a bare number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(s|m)?$/.exec(text.trim());
  const n = m ? Number(m[1]) * (m[2] === "m" ? 60 : 1) : NaN;
  if (!(n >= 3 && n <= 600)) throw new UsageError(`--duration ${text} is not a duration between 3s and 10m`, "write it like 10s or 1m");
  return n;
}

/**
 * Health gate, baselines and the GFS2 data path on the spec's first two nodes, holding the
 * cluster lock so no apply changes the cluster under the measurement. Ctrl-C stops the run
 * and removes everything the bench made before exiting.
 */
export async function bench(file: string, flags: BenchFlags, out: (text: string) => void, progress: "listr" | "lines"): Promise<{ report: BenchReport; passed: boolean }> {
  const seconds = parseDuration(flags.duration);
  const given = loadSpec(file, { checkSecrets: false, checkSshAccess: true });
  const chosen = flags.filesystem === undefined ? given.spec.filesystems[0] : given.spec.filesystems.find((f) => f.name === flags.filesystem);
  if (!chosen) throw new UsageError(`no filesystem ${flags.filesystem ?? ""} in ${given.file}`, `choose one of: ${given.spec.filesystems.map((f) => f.name).join(", ") || "(the spec has none)"}`);
  if (given.spec.nodes.length < 2) throw new UsageError("bench needs at least two nodes", "it measures the data path between two nodes");
  const { transports, failures } = await connectEach(given.spec, given.baseDir, flags.acceptNewHostKeys ?? false);
  // The helper's interpreter depends on the target: the reachable nodes say which (with none
  // reachable the health gate below refuses before anything runs).
  const resolved = transports.size === 0 ? given : await resolveDistro(given, transports).catch(async (e: unknown) => {
    await closeAll(transports);
    throw e;
  });
  const spec = resolved.spec as ConcreteSpec;
  const fs = spec.filesystems.find((f) => f.name === chosen.name) as FilesystemSpec;
  const [nodeA, nodeB] = spec.nodes as [NodeSpec, NodeSpec];
  const unreachable = new Map([...failures].map(([node, e]) => [node, e.message]));
  let lock: Awaited<ReturnType<typeof acquireClusterLock>> | undefined;
  const options: BenchOptions = { spec, fs, nodes: [nodeA, nodeB], transports, unreachable, scripts: loadScripts(), seconds, runId: randomBytes(6).toString("hex"), now: () => new Date() };
  if (unreachable.size > 0) {
    // With a node down the gate refuses, naming it and what the other nodes see.
    try {
      await healthGate(options);
    } finally {
      await closeAll(transports);
    }
  }
  const run = benchRun(options);
  const interrupted = new Promise<never>((_, reject) => {
    onInterrupt = () => reject(new UsageError("interrupted; the bench's files were removed", "run it again when the cluster is free"));
  });
  interrupted.catch(() => undefined);
  const sigint = () => onInterrupt?.();
  process.once("SIGINT", sigint);
  try {
    lock = await acquireClusterLock(transports, lockHolderText());
    await Promise.race([runPhases(run.phases, out, progress), interrupted]);
    const report = run.report();
    // For `status`; a node that cannot keep it costs only that line, never the run's result.
    const a = transports.get(nodeA.name);
    if (a) await storeSummary(a, report).catch((e: unknown) => out(`bench: could not keep the summary for status on ${a.host}: ${e instanceof Error ? e.message : String(e)}\n`));
    out(formatTable(report));
    if (flags.json) writeFileSync(flags.json, reportJson(report));
    if (flags.chart) writeFileSync(flags.chart, await renderChart(report));
    const failed = report.checks.filter((c) => !c.passed);
    if (failed.length > 0) throw new UnhealthyError(`correctness check failed: ${failed.map((c) => `${c.name}: ${c.detail}`).join("; ")}`, "the cluster gave wrong results under the benchmark; check DLM/plock settings and `dlm_tool dump` on both nodes");
    return { report, passed: true };
  } finally {
    process.removeListener("SIGINT", sigint);
    onInterrupt = undefined;
    await run.cleanup();
    await lock?.release();
    await closeAll(transports);
  }
}

let onInterrupt: (() => void) | undefined;

async function runPhases(phases: BenchPhase[], out: (text: string) => void, progress: "listr" | "lines"): Promise<void> {
  if (progress === "listr") {
    const list = new Listr(
      phases.map((p) => ({ title: p.title, task: async (_ctx: unknown, task: { title: string }) => timed(p, (s) => (task.title = `${p.title} (${s})`)) })),
      { concurrent: false, exitOnError: true, rendererOptions: { collapseErrors: false } },
    );
    await list.run();
    return;
  }
  for (const p of phases) {
    out(`bench: ${p.title} …\n`);
    await timed(p, (s) => out(`bench: done in ${s}\n`));
  }
}

async function timed(p: BenchPhase, done: (seconds: string) => void): Promise<void> {
  const t0 = Date.now();
  await p.run();
  done(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
