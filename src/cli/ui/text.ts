import type { RunEvent, Subscriber } from "../../run/events.js";

const marks: Record<string, string> = { ok: "ok", changed: "changed", change: "change", pending: "pending", refused: "REFUSED", failed: "FAILED", skipped: "skipped" };

function indent(text: string, by = "      "): string {
  return text.split("\n").map((l) => by + l).join("\n");
}

/**
 * Plain lines, one per finished step: for logs, CI and terminals without listr2. A plan
 * prints each change with its diff; an apply prints what changed and every failure with
 * its hint. `verbose` adds the steps' own log lines.
 */
export function textSubscriber(write: (text: string) => void, verbose = false, summaryOnly = false): Subscriber {
  const titles = new Map<string, { title: string; destructive: boolean }>();
  const restarts = new Map<string, string>();
  return (e: RunEvent) => {
    if (summaryOnly && e.type !== "run-end") return;
    switch (e.type) {
      case "run-start":
        write(`${e.mode === "plan" ? "checking" : "applying"} ${e.steps} steps\n`);
        break;
      case "step-start":
        titles.set(e.id, { title: e.title, destructive: e.destructive });
        break;
      case "step-check":
        if (e.result.status === "change" && e.result.restart) restarts.set(e.id, e.result.restart);
        break;
      case "step-log":
        if (verbose) write(`      ${e.id}: ${e.line}\n`);
        break;
      case "step-end": {
        if (e.outcome === "ok" && !verbose) break;
        const t = titles.get(e.id);
        const flag = t?.destructive && (e.outcome === "change" || e.outcome === "changed") ? " [destructive]" : "";
        const restart = restarts.get(e.id);
        write(`${marks[e.outcome]?.padStart(8)}  ${e.id}${flag}${e.reason ? `: ${e.reason}` : ""}${e.ms > 1000 ? ` (${(e.ms / 1000).toFixed(1)}s)` : ""}\n`);
        if (restart) write(`          restarts: ${restart}\n`);
        if (e.error) write(indent(`${e.error.message}${e.error.hint ? `\nhint: ${e.error.hint}` : ""}`) + "\n");
        break;
      }
      case "run-end": {
        const c = e.counts;
        write(`\n${c.changed} changed, ${c.change} to change, ${c.pending} pending, ${c.ok} ok, ${c.refused} refused, ${c.failed} failed, ${c.skipped} skipped in ${(e.ms / 1000).toFixed(1)}s\n`);
        if (verbose) write(costLines(e));
        break;
      }
    }
  };
}

/** With --json: every event as one JSON line (events never carry secret values). */
export function jsonSubscriber(write: (text: string) => void): Subscriber {
  return (e) => write(JSON.stringify({ ...e, at: new Date().toISOString() }) + "\n");
}

/** What the run cost: remote executions per node, wall time per phase and each node's slowest reads (-v). */
export function costLines(e: Extract<RunEvent, { type: "run-end" }>): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const execs = Object.entries(e.execs).map(([host, n]) => `${host} ${n}`).join(", ");
  const phases = Object.entries(e.phases).map(([phase, ms]) => `${phase} ${seconds(ms ?? 0)}`).join(", ");
  const slowest = Object.entries(e.slowest).flatMap(([host, reads]) => (reads.length === 0 ? [] : [`slowest reads on ${host}: ${reads.map((r) => `${r.read} ${seconds(r.ms)}`).join(", ")}\n`]));
  return `remote executions: ${execs || "none"}\nphases: ${phases || "none"}\n${slowest.join("")}`;
}
