import { GfsError, StepNotConvergedError } from "../errors.js";
import type { AnyStep, Plan } from "../plan/types.js";
import { RefusedError } from "../steps/devices.js";
import { handlerFor, type CheckResult, type HandlerRegistry, type StepContext } from "../steps/types.js";
import type { Transport } from "../transport/types.js";
import type { Outcome, RunEvent, StepError, Subscriber } from "./events.js";

export interface RunOptions {
  mode: "plan" | "apply";
  transports: ReadonlyMap<string, Transport>;
  registry: HandlerRegistry;
  context: Omit<StepContext, "t" | "log">;
  subscribers: Subscriber[];
}

export interface StepRecord {
  step: AnyStep;
  outcome: Outcome;
  /** For a skipped step, the failed or refused step that stopped it; otherwise the step itself. */
  root?: StepRecord;
  /**
   * Plan only: the change not made yet that this step comes after, directly or through steps
   * that were already right. What that change will fix (a drifted lvm.conf, say) can still
   * mislead this step's check.
   */
  after?: StepRecord;
  check?: CheckResult;
  error?: StepError;
  reason?: string;
}

export interface RunResult {
  records: Map<string, StepRecord>;
  counts: Record<Outcome, number>;
}

const succeeded = (o: Outcome) => o === "ok" || o === "changed";

function toStepError(e: unknown): StepError {
  if (e instanceof RefusedError) return { message: e.result.reason, hint: e.result.hint };
  if (e instanceof GfsError) return { message: e.message, hint: e.hint };
  return { message: e instanceof Error ? e.message : String(e) };
}

/**
 * Walks the plan's graph: a step starts once its dependencies have finished; steps on
 * different hosts run in parallel, steps on one host one at a time (package managers and
 * cluster tools do not like company). Subscribers see every event; the runner never prints.
 */
export async function runSteps(plan: Plan, options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const emit = (e: RunEvent) => options.subscribers.forEach((s) => s(e));
  const records = new Map<string, StepRecord>();
  // Every step gets its settle-once slot before any runs, so order in the plan cannot matter.
  const done = new Map<string, Promise<StepRecord>>();
  const settle = new Map<string, (r: StepRecord) => void>();
  for (const step of plan.steps) done.set(step.id, new Promise((resolve) => settle.set(step.id, resolve)));
  const hostQueue = new Map<string, Promise<unknown>>();
  emit({ type: "run-start", mode: options.mode, steps: plan.steps.length });

  const onHost = <T>(host: string, work: () => Promise<T>): Promise<T> => {
    const prev = hostQueue.get(host) ?? Promise.resolve();
    const next = prev.then(work, work);
    hostQueue.set(host, next.catch(() => undefined));
    return next;
  };

  const execute = async (step: AnyStep): Promise<StepRecord> => {
    const unknown = step.dependsOn.find((d) => !done.has(d));
    if (unknown !== undefined) {
      const record: StepRecord = { step, outcome: "failed", error: { message: `${step.id} depends on ${unknown}, which is not in the plan`, hint: "this is a gfsdeploy bug: please report it with your spec" } };
      emit({ type: "step-end", id: step.id, outcome: "failed", ms: 0, error: record.error as StepError });
      return record;
    }
    const deps = await Promise.all(step.dependsOn.map((d) => done.get(d) as Promise<StepRecord>));
    const blocked = deps.find((d) => !succeeded(d.outcome) && !(options.mode === "plan" && (d.outcome === "change" || d.outcome === "pending")));
    if (blocked) {
      const root = blocked.root ?? blocked;
      const record: StepRecord = { step, outcome: "skipped", root, reason: `upstream ${root.step.id} ${root.outcome}` };
      emit({ type: "step-end", id: step.id, outcome: "skipped", ms: 0, reason: record.reason });
      return record;
    }
    // A direct dependency names itself; an ok one passes on the change it came after, so a
    // change reaches every step below it, not only its direct dependents.
    const direct = deps.find((d) => d.outcome === "change" || d.outcome === "pending");
    const upstreamChange = options.mode === "plan" ? (direct ?? deps.find((d) => d.after !== undefined)?.after) : undefined;
    const after = upstreamChange ? { after: upstreamChange } : {};
    return onHost(step.host, async () => {
      const t0 = Date.now();
      emit({ type: "step-start", id: step.id, host: step.host, title: step.title, phase: step.phase, destructive: step.destructive });
      const transport = options.transports.get(step.host);
      if (!transport) throw new Error(`no transport for host ${step.host}`);
      const ctx: StepContext = { ...options.context, t: transport, log: (line) => emit({ type: "step-log", id: step.id, line }) };
      const handler = handlerFor(options.registry, step);
      const finish = (record: StepRecord): StepRecord => {
        emit({ type: "step-end", id: step.id, outcome: record.outcome, ms: Date.now() - t0, ...(record.reason ? { reason: record.reason } : {}), ...(record.error ? { error: record.error } : {}) });
        return record;
      };
      let check: CheckResult;
      try {
        check = await handler.check(step, ctx);
      } catch (e) {
        // In a plan, a step after a change not made yet often cannot be inspected yet (no cluster,
        // no device, a node whose drifted config that change puts right): it is pending, not failed.
        if (upstreamChange) return finish({ step, outcome: "pending", ...after, reason: `after ${upstreamChange.step.id} (cannot inspect yet: ${toStepError(e).message.split("\n")[0] ?? ""})` });
        return finish({ step, outcome: "failed", error: toStepError(e) });
      }
      emit({ type: "step-check", id: step.id, result: check });
      // An ok step's note (what it found, or what it deliberately leaves alone) reaches the displays as its reason.
      if (check.status === "ok") return finish({ step, outcome: "ok", check, ...after, ...(check.note ? { reason: check.note } : {}) });
      if (check.status === "refuse") return finish({ step, outcome: "refused", check, error: { message: check.reason, hint: check.hint } });
      if (options.mode === "plan") return finish({ step, outcome: "change", check, reason: check.reason });
      try {
        const applied = await handler.apply(step, ctx);
        const after = await handler.check(step, ctx);
        if (after.status !== "ok") {
          throw new StepNotConvergedError(`${step.id} on ${step.host} still reports '${after.reason}' after apply`, "something on the node changes it back, or this is a gfsdeploy bug: see the step's log");
        }
        if (applied) return finish({ step, outcome: "ok", check: after, reason: applied.kept });
        return finish({ step, outcome: "changed", check, reason: check.reason });
      } catch (e) {
        return finish({ step, outcome: e instanceof RefusedError ? "refused" : "failed", check, error: toStepError(e) });
      }
    });
  };

  for (const step of plan.steps) {
    void execute(step).then(
      (r) => settle.get(step.id)?.(r),
      (e: unknown) => settle.get(step.id)?.({ step, outcome: "failed", error: toStepError(e) }),
    );
  }
  for (const [id, p] of done) records.set(id, await p);
  const counts: Record<Outcome, number> = { ok: 0, changed: 0, change: 0, pending: 0, refused: 0, failed: 0, skipped: 0 };
  for (const r of records.values()) counts[r.outcome]++;
  emit({ type: "run-end", counts, ms: Date.now() - started });
  return { records, counts };
}
