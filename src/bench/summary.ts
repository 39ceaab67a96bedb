/**
 * The last bench run in a few figures, kept on node A so `gfsdeploy status` can show it
 * without the full report (which stays wherever `--json` put it, if anywhere).
 */

import { mustExec } from "../transport/errors.js";
import type { Transport } from "../transport/types.js";
import { formatValue } from "./report.js";
import type { BenchReport, Figure } from "./types.js";

export const SUMMARY_DIR = "/var/lib/gfsdeploy/bench";
export const SUMMARY_PATH = `${SUMMARY_DIR}/last.json`;

/** The figures status shows, in its order, with the words it shows them with. */
const HEADLINES: { key: string; label: string }[] = [
  { key: "gfs2.a.seq_write", label: "seq write" },
  { key: "coherence.p50", label: "coherence p50" },
  { key: "pingpong.two", label: "ping_pong" },
  { key: "link.tcp", label: "link" },
];

/** What last.json holds (schema `gfsdeploy-bench-summary/1`). Figures only: no spec, no secrets. */
export interface BenchSummary {
  schema: "gfsdeploy-bench-summary/1";
  startedAt: string;
  filesystem: string;
  passed: boolean;
  /** Names of the correctness checks that failed. */
  failedChecks: string[];
  /** The headline figures the run measured, by report key. */
  figures: Record<string, { value: number; unit: Figure["unit"] }>;
}

export function summarize(report: BenchReport): BenchSummary {
  const figures: BenchSummary["figures"] = {};
  for (const { key } of HEADLINES) {
    const f = report.figures.find((x) => x.key === key);
    if (f) figures[key] = { value: f.value, unit: f.unit };
  }
  const failedChecks = report.checks.filter((c) => !c.passed).map((c) => c.name);
  return { schema: "gfsdeploy-bench-summary/1", startedAt: report.startedAt, filesystem: report.filesystem, passed: failedChecks.length === 0, failedChecks, figures };
}

/** Writes the summary of `report` to node A, replacing the previous run's. */
export async function storeSummary(t: Transport, report: BenchReport): Promise<void> {
  await mustExec(t, "mkdir", ["-p", SUMMARY_DIR]);
  await t.writeFile(SUMMARY_PATH, JSON.stringify(summarize(report), null, 2) + "\n", { mode: 0o644 });
}

/** The summary in last.json, or undefined when the file is not one this version wrote. */
export function parseSummary(text: string): BenchSummary | undefined {
  try {
    const s = JSON.parse(text) as Partial<BenchSummary>;
    return s.schema === "gfsdeploy-bench-summary/1" && typeof s.startedAt === "string" && s.figures ? (s as BenchSummary) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Latencies are microseconds in the report; coherence is typically hundreds of milliseconds,
 * which read better as ms (whole, or to a tenth below 10 ms).
 */
function headline(value: number, unit: Figure["unit"]): string {
  if (unit !== "us" || value < 1000) return `${formatValue(value, unit)} ${unit}`;
  const ms = value / 1000;
  return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

/** One line, e.g. `2026-11-22 14:03 UTC data passed; seq write 25.0 MiB/s, coherence p50 245 ms, …`. */
export function formatSummary(s: BenchSummary): string {
  const when = `${s.startedAt.slice(0, 16).replace("T", " ")} UTC`;
  const verdict = s.passed ? "passed" : `FAILED (${s.failedChecks.join(", ")})`;
  const figures = HEADLINES.flatMap(({ key, label }) => {
    const f = s.figures[key];
    return f ? [`${label} ${headline(f.value, f.unit)}`] : [];
  });
  return `${when} ${s.filesystem} ${verdict}${figures.length ? `; ${figures.join(", ")}` : ""}`;
}
