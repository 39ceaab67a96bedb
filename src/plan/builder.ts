import { PlanError } from "../errors.js";
import type { AnyStep, Phase, Step, StepKind, StepParams } from "./types.js";

export interface StepInput<K extends StepKind> {
  id: string;
  host: string;
  kind: K;
  params: StepParams[K];
  dependsOn?: (string | undefined)[];
  source: string;
  phase: Phase;
  title: string;
  destructive?: boolean;
}

/** Collects steps while compiling; `finish` checks references and returns them in dependency order. */
export class PlanBuilder {
  private readonly steps = new Map<string, AnyStep>();

  add<K extends StepKind>(input: StepInput<K>): string {
    if (this.steps.has(input.id)) throw new PlanError(`two steps share the id ${input.id}`, "this is a compiler bug: please report it with your spec");
    const step: Step<K> = {
      id: input.id,
      host: input.host,
      kind: input.kind,
      params: input.params,
      dependsOn: [...new Set(input.dependsOn?.filter((d): d is string => d !== undefined))],
      source: input.source,
      phase: input.phase,
      title: input.title,
      destructive: input.destructive ?? false,
    };
    this.steps.set(step.id, step as AnyStep);
    return step.id;
  }

  has(id: string): boolean {
    return this.steps.has(id);
  }

  finish(): AnyStep[] {
    for (const s of this.steps.values()) {
      for (const d of s.dependsOn) {
        if (!this.steps.has(d)) throw new PlanError(`step ${s.id} depends on unknown step ${d}`, "this is a compiler bug: please report it with your spec");
      }
    }
    return topologicalOrder([...this.steps.values()]);
  }
}

/**
 * Kahn's algorithm, taking ready steps in insertion order so the result is stable: the same
 * spec always gives the same plan, which snapshot tests and `plan --json` diffs rely on.
 * A cycle is reported with its whole route.
 */
export function topologicalOrder(steps: AnyStep[]): AnyStep[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const remaining = new Map(steps.map((s) => [s.id, new Set(s.dependsOn)]));
  const ordered: AnyStep[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining.entries()].find(([, deps]) => deps.size === 0);
    if (!ready) throw new PlanError(`dependency cycle: ${cycleRoute(remaining)}`, "this is a compiler bug: please report it with your spec");
    const [id] = ready;
    remaining.delete(id);
    for (const deps of remaining.values()) deps.delete(id);
    const step = byId.get(id);
    if (step) ordered.push(step);
  }
  return ordered;
}

function cycleRoute(remaining: Map<string, Set<string>>): string {
  const start = remaining.keys().next().value as string;
  const route = [start];
  const seen = new Set([start]);
  let cur = start;
  for (;;) {
    const next = [...(remaining.get(cur) ?? [])][0];
    if (next === undefined) break;
    route.push(next);
    if (seen.has(next)) return route.slice(route.indexOf(next)).join(" => ");
    seen.add(next);
    cur = next;
  }
  return route.join(" => ");
}
