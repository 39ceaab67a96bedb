import { GfsError, StepNotConvergedError } from "../errors.js";
import type { AnyStep, Phase, Plan } from "../plan/types.js";
import { Facts, readKey } from "../probes/facts.js";
import { RefusedError } from "../steps/devices.js";
import { handlerFor, type CheckEnv, type CheckResult, type HandlerRegistry, type StepContext } from "../steps/types.js";
import { envOf, reader } from "../steps/util.js";
import { CountingTransport, type ReadTime } from "../transport/counting.js";
import type { Transport } from "../transport/types.js";
import type { Outcome, RunEvent, StepError, Subscriber } from "./events.js";

export interface RunOptions {
  mode: "plan" | "apply";
  transports: ReadonlyMap<string, Transport>;
  registry: HandlerRegistry;
  context: Omit<StepContext, "t" | "log" | "read">;
  subscribers: Subscriber[];
}

/** A host's facts and which of its reads are still current (an apply anywhere makes them all old). */
interface HostFacts {
  facts: Facts;
  current: Set<string>;
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
  /** Remote executions per host: the run's cost on each node. */
  execs: Record<string, number>;
  /** Each host's slowest reads, as its batches timed them on the node. */
  slowest: Record<string, ReadTime[]>;
  /** Wall time per phase, ms: from its first step's start to its last step's end. */
  phases: Partial<Record<Phase, number>>;
  /** What was read of each node, as the run last knew it. */
  facts: ReadonlyMap<string, Facts>;
}

/** A check that threw: checks return their findings, so this is a bug, and says so. */
class BugError extends GfsError {
  readonly exitCode = 70;
  constructor(cause: unknown) {
    super(`a check failed: ${cause instanceof Error ? cause.message : String(cause)}`, "this is a gfsdeploy bug: please report it with the step's log");
  }
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
  // A transport already counting (the CLI's, since it connected) keeps its count: the cost reported is the command's.
  const counted = new Map([...options.transports].map(([host, t]) => [host, t instanceof CountingTransport ? t : new CountingTransport(t)]));
  const hostFacts = new Map<string, HostFacts>();
  const phases = new Map<Phase, { from: number; to: number }>();
  emit({ type: "run-start", mode: options.mode, steps: plan.steps.length });

  const onHost = <T>(host: string, work: () => Promise<T>): Promise<T> => {
    const prev = hostQueue.get(host) ?? Promise.resolve();
    const next = prev.then(work, work);
    hostQueue.set(host, next.catch(() => undefined));
    return next;
  };

  /** Steps whose check has not run yet: what a read ahead is for. */
  const unjudged = new Set(plan.steps.map((s) => s.id));
  /**
   * The facts a step's check needs. A host's first check reads what all of its steps need in
   * one batch. After an apply (anywhere: the cluster is shared) the next check on a host reads
   * again, in one batch, what it and every step on that host still to be checked need.
   */
  const factsFor = async (step: AnyStep, ctx: StepContext, env: CheckEnv): Promise<Facts> => {
    const reads = handlerFor(options.registry, step).reads(step, env);
    const known = hostFacts.get(step.host) ?? { facts: new Facts(step.host, new Map()), current: new Set<string>() };
    hostFacts.set(step.host, known);
    if (reads.every((r) => known.current.has(readKey(r)))) return known.facts;
    const ahead = plan.steps.filter((s) => s.host === step.host && s.id !== step.id && unjudged.has(s.id)).flatMap((s) => handlerFor(options.registry, s).reads(s, env));
    const old = [...reads, ...ahead].filter((r) => !known.current.has(readKey(r)));
    known.facts = known.facts.merged(await ctx.read(old));
    for (const r of old) known.current.add(readKey(r));
    return known.facts;
  };
  /** Marks the step's reads old (after its prepare wrote), or every host's (after an apply). */
  const forget = (only?: { step: AnyStep; env: CheckEnv }) => {
    if (!only) for (const known of hostFacts.values()) known.current.clear();
    else for (const r of handlerFor(options.registry, only.step).reads(only.step, only.env)) hostFacts.get(only.step.host)?.current.delete(readKey(r));
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
      const span = phases.get(step.phase);
      phases.set(step.phase, { from: span?.from ?? t0, to: span?.to ?? t0 });
      emit({ type: "step-start", id: step.id, host: step.host, title: step.title, phase: step.phase, destructive: step.destructive });
      const transport = counted.get(step.host);
      if (!transport) throw new Error(`no transport for host ${step.host}`);
      const ctx: StepContext = { ...options.context, t: transport, read: reader(transport, options.context.secrets), log: (line) => emit({ type: "step-log", id: step.id, line }) };
      const env = envOf(ctx);
      const handler = handlerFor(options.registry, step);
      const finish = (record: StepRecord): StepRecord => {
        const end = Date.now();
        const phase = phases.get(step.phase);
        if (phase) phase.to = Math.max(phase.to, end);
        emit({ type: "step-end", id: step.id, outcome: record.outcome, ms: end - t0, ...(record.reason ? { reason: record.reason } : {}), ...(record.error ? { error: record.error } : {}) });
        return record;
      };
      const judge = async (): Promise<{ check: CheckResult; facts: Facts }> => {
        let facts = await factsFor(step, ctx, env);
        if (handler.prepare && (await handler.prepare(step, facts, ctx))) {
          forget({ step, env });
          facts = await factsFor(step, ctx, env);
        }
        unjudged.delete(step.id);
        try {
          return { check: handler.check(step, facts, env), facts };
        } catch (e) {
          throw new BugError(e);
        }
      };
      let judged: { check: CheckResult; facts: Facts };
      try {
        judged = await judge();
      } catch (e) {
        return finish({ step, outcome: "failed", error: toStepError(e) });
      }
      let { check } = judged;
      emit({ type: "step-check", id: step.id, result: check });
      // An ok step's note (what it found, or what it deliberately leaves alone) reaches the displays as its reason.
      if (check.status === "ok") return finish({ step, outcome: "ok", check, ...after, ...(check.note ? { reason: check.note } : {}) });
      if (check.status === "refuse") return finish({ step, outcome: "refused", check, error: { message: check.reason, hint: check.hint } });
      if (check.status === "pending") {
        if (options.mode === "plan") return finish({ step, outcome: "pending", check, ...after, reason: upstreamChange ? `after ${upstreamChange.step.id} (cannot inspect yet: ${check.why})` : check.why });
        return finish({ step, outcome: "failed", check, error: { message: `${step.id} on ${step.host} cannot be judged: ${check.why}`, hint: "everything it comes after was done: see the steps before it, and the node" } });
      }
      if (options.mode === "plan") return finish({ step, outcome: "change", check, reason: check.reason });
      try {
        let facts = judged.facts;
        // A last look right before a destructive write, at the device as it is now.
        if (step.destructive) {
          forget({ step, env });
          ({ check, facts } = await judge());
          if (check.status === "ok") return finish({ step, outcome: "ok", check, ...(check.note ? { reason: check.note } : {}) });
          if (check.status === "refuse") return finish({ step, outcome: "refused", check, error: { message: check.reason, hint: check.hint } });
          if (check.status === "pending") return finish({ step, outcome: "failed", check, error: { message: `${step.id} on ${step.host} cannot be judged: ${check.why}` } });
        }
        const reason = check.reason;
        let applied: void | { kept: string };
        try {
          applied = await handler.apply(step, ctx, facts);
        } finally {
          forget();
        }
        const verified = (await judge()).check;
        if (verified.status !== "ok") {
          const still = verified.status === "pending" ? verified.why : verified.reason;
          throw new StepNotConvergedError(`${step.id} on ${step.host} still reports '${still}' after apply`, "something on the node changes it back, or this is a gfsdeploy bug: see the step's log");
        }
        if (applied) return finish({ step, outcome: "ok", check: verified, reason: applied.kept });
        return finish({ step, outcome: "changed", check, reason });
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
  const cost = {
    execs: Object.fromEntries([...counted].map(([host, t]) => [host, t.execs])),
    slowest: Object.fromEntries([...counted].map(([host, t]) => [host, t.slowest])),
    phases: Object.fromEntries([...phases].map(([phase, span]) => [phase, span.to - span.from])),
  };
  emit({ type: "run-end", counts, ms: Date.now() - started, ...cost });
  return { records, counts, ...cost, facts: new Map([...hostFacts].map(([host, known]) => [host, known.facts])) };
}
