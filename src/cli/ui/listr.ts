import { Listr, type ListrTask } from "listr2";

import type { Plan } from "../../plan/types.js";
import type { RunEvent, Subscriber } from "../../run/events.js";

interface Pending {
  resolve: (event: Extract<RunEvent, { type: "step-end" }>) => void;
  output?: (line: string) => void;
}

/**
 * Live progress on a terminal: one line per step, grouped by phase, updated as the runner
 * reports. The runner does not know listr2 exists; this subscriber turns its events into
 * the settling of listr2 tasks. `finished` resolves when the display has drawn its last frame.
 */
export function listrSubscriber(plan: Plan): { subscriber: Subscriber; finished: Promise<void> } {
  const pending = new Map<string, Pending>();
  const ends = new Map<string, Promise<Extract<RunEvent, { type: "step-end" }>>>();
  for (const s of plan.steps) ends.set(s.id, new Promise((resolve) => pending.set(s.id, { resolve })));

  const phases = [...new Set(plan.steps.map((s) => s.phase))];
  const tasks: ListrTask[] = phases.map((phase) => ({
    title: phase,
    task: (_ctx, phaseTask) =>
      phaseTask.newListr(
        plan.steps
          .filter((s) => s.phase === phase)
          .map((s) => ({
            title: `${s.id}  ${s.title}`,
            task: async (_c, task) => {
              const p = pending.get(s.id);
              if (p) p.output = (line) => (task.output = line);
              const end = await (ends.get(s.id) as Promise<Extract<RunEvent, { type: "step-end" }>>);
              const seconds = end.ms > 1000 ? ` (${(end.ms / 1000).toFixed(1)}s)` : "";
              if (end.outcome === "skipped") task.skip(`${s.id}: skipped, ${end.reason ?? ""}`);
              else if (end.outcome === "failed" || end.outcome === "refused") throw new Error(`${s.id}: ${end.error?.message ?? end.outcome}${end.error?.hint ? `\nhint: ${end.error.hint}` : ""}`);
              else task.title = `${s.id}  ${end.outcome}${end.reason ? `: ${end.reason}` : ""}${seconds}`;
            },
          })),
        { concurrent: true, exitOnError: false },
      ),
  }));
  const list = new Listr(tasks, { concurrent: true, exitOnError: false, rendererOptions: { collapseSubtasks: false, collapseErrors: false } });
  const finished = list.run().then(
    () => undefined,
    () => undefined,
  );
  const subscriber: Subscriber = (e) => {
    if (e.type === "step-end") pending.get(e.id)?.resolve(e);
    if (e.type === "step-log") pending.get(e.id)?.output?.(e.line);
  };
  return { subscriber, finished };
}
