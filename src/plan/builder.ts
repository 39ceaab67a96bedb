import { PlanError } from "../errors.js";
import type { Playbook } from "../playbook/types.js";
import type { AnyStep, Phase, Step, StepKind, StepParams } from "./types.js";

/**
 * The id of a step the builder holds. Only `add` makes one, so a dependency is always a step
 * some component added, never an id rebuilt from names.
 */
export type StepId = string & { readonly __brand: "StepId" };

export interface StepInput<K extends StepKind> {
  id: string;
  host: string;
  kind: K;
  params: StepParams[K];
  /** `undefined` for a step the spec does not call for (no repos step off EL, no SBD). */
  dependsOn?: (StepId | undefined)[];
  source: string;
  phase: Phase;
  title: string;
  destructive?: boolean;
}

/** Collects steps while compiling; `finish` checks references and returns them in dependency order. */
export class PlanBuilder {
  private readonly steps = new Map<string, AnyStep>();

  add<K extends StepKind>(input: StepInput<K>): StepId {
    if (this.steps.has(input.id)) throw new PlanError(`two steps share the id ${input.id}`, "this is a compiler bug: please report it with your spec");
    const step: Step<K> = {
      id: input.id,
      host: input.host,
      kind: input.kind,
      params: input.params,
      dependsOn: [...new Set(input.dependsOn?.filter((d): d is StepId => d !== undefined))],
      source: input.source,
      phase: input.phase,
      title: input.title,
      destructive: input.destructive ?? false,
    };
    this.steps.set(step.id, step as AnyStep);
    return step.id as StepId;
  }

  /**
   * Checks references and returns the steps in dependency order, phase by phase in the
   * playbook's order. The playbook is the one list of phases: a step of a phase it does not
   * list, or a dependency on a phase it lists later, is a PlanError, so the order an
   * operator reads in the playbook is the order the plan has.
   */
  finish(playbook: Playbook): AnyStep[] {
    for (const s of this.steps.values()) {
      for (const d of s.dependsOn) {
        if (!this.steps.has(d)) throw new PlanError(`step ${s.id} depends on unknown step ${d}`, "this is a compiler bug: please report it with your spec");
      }
    }
    const rank = new Map(playbook.phases.map((p, i) => [p.name, i]));
    const unlisted = [...new Set([...this.steps.values()].filter((s) => !rank.has(s.phase)).map((s) => s.phase))];
    if (unlisted.length > 0) {
      const example = [...this.steps.values()].find((s) => s.phase === unlisted[0]);
      throw new PlanError(
        `playbook ${playbook.name} does not list phase(s) ${unlisted.join(", ")} (e.g. step ${example?.id ?? ""})`,
        `add ${unlisted.map((p) => `'${p}'`).join(", ")} to the phases of playbook ${playbook.name}, where its steps should run`,
      );
    }
    const rankOf = (s: AnyStep) => rank.get(s.phase) ?? 0;
    for (const s of this.steps.values()) {
      for (const d of s.dependsOn) {
        const dep = this.steps.get(d) as AnyStep;
        if (rankOf(dep) > rankOf(s)) {
          throw new PlanError(
            `playbook ${playbook.name} lists phase ${s.phase} before ${dep.phase}, but step ${s.id} (${s.phase}) depends on ${dep.id} (${dep.phase})`,
            `list ${dep.phase} before ${s.phase} in playbook ${playbook.name}`,
          );
        }
      }
    }
    return topologicalOrder([...this.steps.values()], rankOf);
  }
}

/**
 * Kahn's algorithm. Of the ready steps it takes the lowest `rank` (the playbook's phase
 * order), then the earliest added, so the result is stable: the same spec always gives the
 * same plan, which snapshot tests and `plan --json` diffs rely on. A cycle is reported with
 * its whole route.
 */
export function topologicalOrder(steps: AnyStep[], rank: (step: AnyStep) => number): AnyStep[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const remaining = new Map(steps.map((s) => [s.id, new Set(s.dependsOn)]));
  const ordered: AnyStep[] = [];
  while (remaining.size > 0) {
    let next: AnyStep | undefined;
    for (const [id, deps] of remaining) {
      const step = byId.get(id) as AnyStep;
      if (deps.size === 0 && (next === undefined || rank(step) < rank(next))) next = step;
    }
    if (!next) throw new PlanError(`dependency cycle: ${cycleRoute(remaining)}`, "this is a compiler bug: please report it with your spec");
    remaining.delete(next.id);
    for (const deps of remaining.values()) deps.delete(next.id);
    ordered.push(next);
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
