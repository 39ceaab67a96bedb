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
