import type { Phase } from "../plan/types.js";
import type { CheckResult } from "../steps/types.js";
import type { ReadTime } from "../transport/counting.js";

/**
 * ok: nothing to do. changed: applied and converged. change: (plan) would change.
 * pending: (plan) depends on a change not made yet, so it could not be judged.
 * refused: a safety check stopped it. failed: an error. skipped: an upstream step did not succeed.
 */
export type Outcome = "ok" | "changed" | "change" | "pending" | "refused" | "failed" | "skipped";

export interface StepError {
  message: string;
  hint?: string;
}

export type RunEvent =
  | { type: "run-start"; mode: "plan" | "apply"; steps: number }
  | { type: "step-start"; id: string; host: string; title: string; phase: Phase; destructive: boolean }
  | { type: "step-check"; id: string; result: CheckResult }
  | { type: "step-log"; id: string; line: string }
  | { type: "step-end"; id: string; outcome: Outcome; ms: number; reason?: string; error?: StepError }
  | { type: "run-end"; counts: Record<Outcome, number>; ms: number; execs: Record<string, number>; phases: Partial<Record<Phase, number>>; slowest: Record<string, ReadTime[]> };

export type Subscriber = (event: RunEvent) => void;
