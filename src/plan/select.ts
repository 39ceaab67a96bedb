import type { Playbook } from "../playbook/types.js";
import type { AnyStep, Plan } from "./types.js";

/** A plan cut in two by its playbook: the steps only checked, and the steps run. */
export interface PlaybookPlans {
  /** Steps of check-only phases: each must already be ok, or nothing runs. */
  check: Plan;
  /** Every other step, without its dependencies on checked steps (they are ok when it runs). */
  run: Plan;
}

/**
 * Splits a compiled plan by the playbook's check-only phases. Pure. The parser puts every
 * check-only phase before every other, and compile refuses dependencies on later phases, so
 * no checked step ever depends on a step that runs.
 */
export function splitByPlaybook(plan: Plan, playbook: Playbook): PlaybookPlans {
  const checkOnly = new Set(playbook.phases.filter((p) => p.checkOnly).map((p) => p.name));
  const checked = plan.steps.filter((s) => checkOnly.has(s.phase));
  const checkedIds = new Set(checked.map((s) => s.id));
  const run = plan.steps.filter((s) => !checkOnly.has(s.phase)).map((s): AnyStep => ({ ...s, dependsOn: s.dependsOn.filter((d) => !checkedIds.has(d)) }));
  return { check: { ...plan, steps: checked }, run: { ...plan, steps: run } };
}

/** A checked step as the check pass left it. */
export interface CheckedStep {
  step: AnyStep;
  outcome: string;
  reason?: string;
  hint?: string;
}

/**
 * Why a playbook must not run: the checked steps that are not ok, by phase, or undefined
 * when all are ok. Running the rest on a drifted cluster would either change the drifted
 * parts silently or build on them, so the operator is sent to `apply`, which shows them.
 */
export function driftMessage(checked: Iterable<CheckedStep>): string | undefined {
  const byPhase = new Map<string, string[]>();
  for (const c of checked) {
    if (c.outcome === "ok") continue;
    const lines = byPhase.get(c.step.phase) ?? [];
    lines.push(`  ${c.step.id} on ${c.step.host}: ${c.outcome}${c.reason ? ` (${c.reason})` : ""}`);
    byPhase.set(c.step.phase, lines);
  }
  if (byPhase.size === 0) return undefined;
  return `the cluster has drifted from the spec in phase ${[...byPhase.keys()].join(", ")}:\n${[...byPhase.values()].flat().join("\n")}`;
}

/**
 * The refused steps of a check pass as one error, or undefined when none refused: each step
 * with its host and reason, then their hints, each once. A run that must not stop halfway
 * (destroy) is checked whole first and not started when this says something.
 */
export function refusalMessage(checked: Iterable<CheckedStep>): { message: string; hint: string } | undefined {
  const refused = [...checked].filter((c) => c.outcome === "refused");
  if (refused.length === 0) return undefined;
  const lines = refused.map((c) => `  ${c.step.id} on ${c.step.host}: ${c.reason ?? "refused"}`);
  const hints = [...new Set(refused.flatMap((c) => (c.hint ? [c.hint] : [])))];
  return { message: `${refused.length === 1 ? "a step refuses" : `${refused.length} steps refuse`}:\n${lines.join("\n")}`, hint: hints.join("\n      ") || "see each step's reason above" };
}
