/**
 * The runner on hand-built plans with scripted handlers: ordering, per-host exclusion and
 * cross-host parallelism, failure propagation, plan vs apply, and the event stream.
 * Concurrency is controlled with gates the tests open by hand; time is a logical clock.
 */

import { describe, expect, it } from "vitest";

import { RemoteCommandError } from "../../../src/errors.js";
import type { AnyStep, Plan } from "../../../src/plan/types.js";
import type { Outcome, RunEvent } from "../../../src/run/events.js";
import { runSteps, type RunResult } from "../../../src/run/runner.js";
import { RefusedError } from "../../../src/steps/devices.js";
import type { CheckResult, HandlerRegistry, StepContext, StepHandler } from "../../../src/steps/types.js";
import { FakeTransport } from "../../../src/transport/fake.js";
import { execRead } from "../../../src/probes/facts.js";

interface Gate {
  promise: Promise<void>;
  open: () => void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets every runnable promise continuation and I/O callback run; no wall-clock waiting. */
async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** What one test step's handler does. Defaults: a step that needs a change and converges. */
interface Behaviour {
  check?: (ctx: StepContext, n: number) => CheckResult | Promise<CheckResult>;
  apply?: (ctx: StepContext) => void | Promise<void>;
}

function step(id: string, host: string, dependsOn: string[] = []): AnyStep {
  return { id, host, kind: "hostname", params: { name: id }, dependsOn, source: "test", phase: "prepare", title: `title of ${id}`, destructive: false };
}

function planOf(...steps: AnyStep[]): Plan {
  return { apiVersion: "gfsdeploy/v1", cluster: "test", distro: "debian12", drbd: "8.4", pcs: "0.11", nodes: [], steps };
}

/**
 * Scripted handlers behind a registry that answers every kind with one dispatcher, plus a
 * record of what ran: handler calls in order, with logical start/end times.
 */
class Scripted {
  readonly behaviours = new Map<string, Behaviour>();
  readonly applied = new Set<string>();
  readonly calls: { id: string; what: "check" | "apply"; start: number; end: number }[] = [];
  readonly events: RunEvent[] = [];
  private clock = 0;
  private readonly checks = new Map<string, number>();

  readonly registry: HandlerRegistry;

  constructor() {
    // The scripted judgement runs in prepare, the one hook that may wait: what these tests
    // hold at a gate is the step's turn at its host, which the pure check cannot show.
    const judged = new Map<string, CheckResult>();
    const handler: StepHandler<"hostname"> = {
      reads: () => [],
      prepare: async (s, _facts, ctx) => {
        judged.set(s.id, await this.timed(s.id, "check", () => this.check(s.id, ctx)));
        return false;
      },
      check: (s) => judged.get(s.id) ?? { status: "pending", why: "not judged" },
      apply: (s, ctx) => this.timed(s.id, "apply", () => this.apply(s.id, ctx)),
    };
    // Every kind gets the same dispatcher: these tests are about the walk, not the kinds.
    this.registry = new Proxy({}, { get: () => handler }) as HandlerRegistry;
  }

  on(id: string, b: Behaviour): this {
    this.behaviours.set(id, b);
    return this;
  }

  run(plan: Plan, mode: "plan" | "apply"): Promise<RunResult> {
    const transports = new Map([...new Set(plan.steps.map((s) => s.host))].map((h) => [h, new FakeTransport(h)]));
    return runSteps(plan, {
      mode,
      transports,
      registry: this.registry,
      context: { secrets: { get: () => Buffer.alloc(0), pending: () => false }, forced: new Set(), scripts: {}, pollMs: 0 },
      subscribers: [(e) => this.events.push(e)],
    });
  }

  ids(what: "check" | "apply"): string[] {
    return this.calls.filter((c) => c.what === what).map((c) => c.id);
  }

  /** [first start, last end] of the handler calls of step `id`. */
  span(id: string): [number, number] {
    const mine = this.calls.filter((c) => c.id === id);
    return [Math.min(...mine.map((c) => c.start)), Math.max(...mine.map((c) => c.end))];
  }

  eventTypes(id: string): string[] {
    return this.events.filter((e) => "id" in e && e.id === id && e.type !== "step-log").map((e) => e.type);
  }

  endOf(id: string): Extract<RunEvent, { type: "step-end" }> | undefined {
    return this.events.find((e): e is Extract<RunEvent, { type: "step-end" }> => e.type === "step-end" && e.id === id);
  }

  private async timed<T>(id: string, what: "check" | "apply", work: () => Promise<T>): Promise<T> {
    const call = { id, what, start: ++this.clock, end: Number.POSITIVE_INFINITY };
    this.calls.push(call);
    try {
      return await work();
    } finally {
      call.end = ++this.clock;
    }
  }

  private async check(id: string, ctx: StepContext): Promise<CheckResult> {
    const n = (this.checks.get(id) ?? 0) + 1;
    this.checks.set(id, n);
    const b = this.behaviours.get(id);
    if (b?.check) return b.check(ctx, n);
    return this.applied.has(id) ? { status: "ok" } : { status: "change", reason: `${id} needs work` };
  }

  private async apply(id: string, ctx: StepContext): Promise<void> {
    const b = this.behaviours.get(id);
    if (b?.apply) await b.apply(ctx);
    this.applied.add(id);
  }
}

const outcomes = (r: RunResult) => Object.fromEntries([...r.records].map(([id, rec]) => [id, rec.outcome]));

describe("runner: order and concurrency", () => {
  it("starts a step only after every step it depends on has ended, across hosts", async () => {
    // GIVEN a diamond over two hosts plus a chain
    const s = new Scripted();
    const plan = planOf(step("a", "h1"), step("b", "h1", ["a"]), step("c", "h2", ["a"]), step("d", "h2", ["b", "c"]), step("e", "h1", ["d"]));
    // WHEN it is applied
    const result = await s.run(plan, "apply");
    // THEN each step's first handler call comes after the last call of each dependency
    expect(Object.values(outcomes(result))).toEqual(["changed", "changed", "changed", "changed", "changed"]);
    for (const st of plan.steps) for (const dep of st.dependsOn) expect(s.span(st.id)[0], `${st.id} after ${dep}`).toBeGreaterThan(s.span(dep)[1]);
  });

  it("runs steps of two hosts at the same time", async () => {
    // GIVEN one step per host, each held inside its check until the test opens its gate
    const s = new Scripted();
    const gates = { a: gate(), b: gate() };
    const inside = new Set<string>();
    for (const id of ["a", "b"] as const) {
      s.on(id, {
        check: async () => {
          inside.add(id);
          await gates[id].promise;
          return { status: "ok" };
        },
      });
    }
    const run = s.run(planOf(step("a", "h1"), step("b", "h2")), "plan");
    // WHEN neither gate is open yet
    await settle();
    // THEN both are inside their checks at once
    expect([...inside].sort()).toEqual(["a", "b"]);
    gates.a.open();
    gates.b.open();
    expect(outcomes(await run)).toEqual({ a: "ok", b: "ok" });
    const [a0, a1] = s.span("a");
    const [b0, b1] = s.span("b");
    expect(a0 < b1 && b0 < a1, "the two steps' spans overlap").toBe(true);
  });

  it("never runs two steps of one host at the same time, even when all are ready", async () => {
    // GIVEN three independent steps on one host, each held until its gate opens
    const s = new Scripted();
    const gates = new Map(["a", "b", "c"].map((id) => [id, gate()]));
    const inside: string[] = [];
    let active = 0;
    let maxActive = 0;
    for (const id of gates.keys()) {
      s.on(id, {
        check: async () => {
          inside.push(id);
          maxActive = Math.max(maxActive, ++active);
          await gates.get(id)?.promise;
          active--;
          return { status: "ok" };
        },
      });
    }
    const run = s.run(planOf(step("a", "h1"), step("b", "h1"), step("c", "h1")), "plan");
    // WHEN the gates open one at a time
    for (let n = 1; n <= 3; n++) {
      await settle();
      // THEN exactly one more step has started each time
      expect(inside).toHaveLength(n);
      gates.get(inside[n - 1] as string)?.open();
    }
    await run;
    expect(maxActive).toBe(1);
  });

  it("keeps hosts exclusive and still overlaps hosts in a larger graph", async () => {
    // GIVEN three hosts with chains and cross-host edges, every handler call taking a few turns
    const s = new Scripted();
    const hosts = ["h1", "h2", "h3"];
    const steps: AnyStep[] = [];
    for (let i = 0; i < 5; i++) {
      for (const [k, h] of hosts.entries()) {
        const deps = i === 0 ? [] : [`${h}-${i - 1}`, ...(i % 2 === 0 ? [`${hosts[(k + 1) % 3] as string}-${i - 1}`] : [])];
        steps.push(step(`${h}-${i}`, h, deps));
        s.on(`${h}-${i}`, {
          check: async (_ctx, n) => {
            await settle(1 + ((i + k) % 3));
            return n === 1 ? { status: "change", reason: "x" } : { status: "ok" };
          },
          apply: () => settle(1 + (k % 2)),
        });
      }
    }
    // WHEN applied
    const result = await s.run(planOf(...steps), "apply");
    expect(Object.values(outcomes(result)).every((o) => o === "changed")).toBe(true);
    // THEN on each host, no two steps' spans intersect...
    for (const h of hosts) {
      const spans = steps.filter((st) => st.host === h).map((st) => s.span(st.id));
      for (const [x0, x1] of spans) for (const [y0, y1] of spans) if (x0 !== y0) expect(x1 < y0 || y1 < x0).toBe(true);
    }
    // ...while steps of different hosts did overlap
    const overlaps = steps.some((x) => steps.some((y) => x.host !== y.host && s.span(x.id)[0] < s.span(y.id)[1] && s.span(y.id)[0] < s.span(x.id)[1]));
    expect(overlaps).toBe(true);
  });

  it("runs a plan that lists a step before its dependency, in dependency order", async () => {
    const s = new Scripted();
    const result = await s.run(planOf(step("b", "h1", ["a"]), step("a", "h1")), "apply");
    expect(outcomes(result)).toEqual({ b: "changed", a: "changed" });
    expect(s.span("b")[0]).toBeGreaterThan(s.span("a")[1]);
  });

  it("runs a plan listed in reverse dependency order across hosts", async () => {
    const s = new Scripted();
    const plan = planOf(step("d", "h1", ["c"]), step("c", "h2", ["b"]), step("b", "h1", ["a"]), step("a", "h2"));
    const result = await s.run(plan, "apply");
    expect(outcomes(result)).toEqual({ d: "changed", c: "changed", b: "changed", a: "changed" });
    for (const st of plan.steps) for (const dep of st.dependsOn) expect(s.span(st.id)[0], `${st.id} after ${dep}`).toBeGreaterThan(s.span(dep)[1]);
  });

  it("fails a step that depends on a step the plan does not contain, naming both, and skips what depends on it", async () => {
    // GIVEN b depends on ghost, which the plan lacks; c depends on b; d is unrelated
    const s = new Scripted();
    const result = await s.run(planOf(step("b", "h1", ["ghost"]), step("c", "h2", ["b"]), step("d", "h1")), "apply");
    // THEN b fails without running, c is skipped because of it, and d still runs
    expect(outcomes(result)).toEqual({ b: "failed", c: "skipped", d: "changed" });
    expect(result.records.get("b")?.error?.message).toBe("b depends on ghost, which is not in the plan");
    expect(result.records.get("c")?.reason).toBe("upstream b failed");
    expect(s.calls.filter((c) => c.id === "b" || c.id === "c")).toEqual([]);
    expect(s.eventTypes("b")).toEqual(["step-end"]);
    expect(s.endOf("b")).toMatchObject({ outcome: "failed", error: { message: "b depends on ghost, which is not in the plan" } });
  });
});

describe("runner: failures", () => {
  it("skips every step downstream of a failed one, naming the upstream step, and runs unrelated branches", async () => {
    // GIVEN a fails in check; b and c depend on it (c through b, on another host); d and e are unrelated
    const s = new Scripted().on("a", {
      check: () => {
        throw new Error("boom: lvm is broken");
      },
    });
    const plan = planOf(step("a", "h1"), step("b", "h1", ["a"]), step("c", "h2", ["b"]), step("d", "h1"), step("e", "h2", ["d"]));
    // WHEN applied
    const result = await s.run(plan, "apply");
    // THEN
    expect(outcomes(result)).toEqual({ a: "failed", b: "skipped", c: "skipped", d: "changed", e: "changed" });
    expect(result.records.get("a")?.error).toEqual({ message: "boom: lvm is broken" });
    expect(result.records.get("b")?.reason).toBe("upstream a failed");
    // c is skipped because of b, which was skipped because of a: the reason names the root cause
    expect(result.records.get("c")?.reason).toBe("upstream a failed");
    expect(result.records.get("c")?.root?.step.id).toBe("a");
    expect(s.endOf("b")).toMatchObject({ outcome: "skipped", reason: "upstream a failed" });
    expect(s.endOf("c")).toMatchObject({ outcome: "skipped", reason: "upstream a failed" });
    expect(s.calls.filter((c) => c.id === "b" || c.id === "c")).toEqual([]);
  });

  it("treats a failed apply like a failed check for dependents, keeping the error's hint", async () => {
    const s = new Scripted().on("a", {
      apply: () => {
        throw new RemoteCommandError("h1", "pvcreate /dev/drbd0", 5, "  Cannot use /dev/drbd0: device is partitioned");
      },
    });
    const result = await s.run(planOf(step("a", "h1"), step("b", "h2", ["a"])), "apply");
    expect(outcomes(result)).toEqual({ a: "failed", b: "skipped" });
    expect(result.records.get("a")?.error).toEqual({ message: "h1: `pvcreate /dev/drbd0` exited 5\n  Cannot use /dev/drbd0: device is partitioned", hint: "run the command by hand on that host to see the whole output" });
  });

  it("treats a refusal from check like a failure: nothing applied, dependents skipped", async () => {
    const s = new Scripted().on("a", { check: () => ({ status: "refuse", reason: "/dev/vdb holds ext4", hint: "pass --force-device /dev/vdb" }) });
    const result = await s.run(planOf(step("a", "h1"), step("b", "h1", ["a"]), step("c", "h2"), step("e", "h2", ["c", "b"])), "apply");
    expect(outcomes(result)).toEqual({ a: "refused", b: "skipped", c: "changed", e: "skipped" });
    expect(result.records.get("a")?.error).toEqual({ message: "/dev/vdb holds ext4", hint: "pass --force-device /dev/vdb" });
    expect(result.records.get("b")?.reason).toBe("upstream a refused");
    expect(result.records.get("e")?.reason).toBe("upstream a refused");
    expect(s.ids("apply")).toEqual(["c"]);
  });

  it("treats a RefusedError thrown by apply (data found right before the destructive command) as a refusal", async () => {
    const s = new Scripted().on("a", {
      apply: () => {
        throw new RefusedError({ status: "refuse", reason: "/dev/vdb appeared with xfs", hint: "look at it first" });
      },
    });
    const result = await s.run(planOf(step("a", "h1"), step("b", "h1", ["a"])), "apply");
    expect(outcomes(result)).toEqual({ a: "refused", b: "skipped" });
    expect(result.records.get("a")?.error).toEqual({ message: "/dev/vdb appeared with xfs", hint: "look at it first" });
    expect(result.records.get("b")?.reason).toBe("upstream a refused");
  });
});

describe("runner: a step that throws outside its handler", () => {
  it("fails a step whose host has no transport, skips its dependents, and still ends the run", async () => {
    // GIVEN b runs on h2, which has no transport; c depends on b; a and d are on h1
    const s = new Scripted();
    const plan = planOf(step("a", "h1"), step("b", "h2", ["a"]), step("c", "h1", ["b"]), step("d", "h1"));
    // WHEN applied with a transport for h1 only
    const result = await runSteps(plan, {
      mode: "apply",
      transports: new Map([["h1", new FakeTransport("h1")]]),
      registry: s.registry,
      context: { secrets: { get: () => Buffer.alloc(0), pending: () => false }, forced: new Set(), scripts: {}, pollMs: 0 },
      subscribers: [(e) => s.events.push(e)],
    });
    // THEN the run ends: b failed naming its host, c is skipped because of it, a and d ran
    expect(outcomes(result)).toEqual({ a: "changed", b: "failed", c: "skipped", d: "changed" });
    expect(result.records.get("b")?.error).toEqual({ message: "no transport for host h2" });
    expect(result.records.get("c")?.reason).toBe("upstream b failed");
    expect(s.calls.filter((c) => c.id === "b" || c.id === "c")).toEqual([]);
    expect(result.counts).toMatchObject({ changed: 2, failed: 1, skipped: 1 });
    expect(s.events.at(-1)).toMatchObject({ type: "run-end", counts: result.counts });
  });
});

describe("runner: plan mode", () => {
  it("applies nothing, reports changes, and reports pending the checks that cannot judge yet, naming the change they wait for", async () => {
    // GIVEN a needs a change; b (after a) and c (after b) cannot judge before it; d cannot judge and waits for nothing; e (after a) can be checked; f is after d
    const cannotJudge = (): CheckResult => ({ status: "pending", why: "no such device /dev/drbd0" });
    const s = new Scripted().on("b", { check: cannotJudge }).on("c", { check: cannotJudge }).on("d", { check: cannotJudge });
    const plan = planOf(step("a", "h1"), step("b", "h1", ["a"]), step("c", "h2", ["b"]), step("d", "h2"), step("e", "h2", ["a"]), step("f", "h1", ["d"]));
    // WHEN planned
    const result = await s.run(plan, "plan");
    // THEN
    expect(s.ids("apply")).toEqual([]);
    expect(outcomes(result)).toEqual({ a: "change", b: "pending", c: "pending", d: "pending", e: "change", f: "change" });
    expect(result.records.get("a")).toMatchObject({ reason: "a needs work", check: { status: "change", reason: "a needs work" } });
    expect(result.records.get("b")?.reason).toBe("after a (cannot inspect yet: no such device /dev/drbd0)");
    expect(result.records.get("c")?.reason).toBe("after b (cannot inspect yet: no such device /dev/drbd0)");
    expect(result.records.get("d")?.reason).toBe("no such device /dev/drbd0");
  });

  it("fails a check that throws, as the bug it is, even after a change", async () => {
    // GIVEN b, after a change, throws instead of returning what it found
    const s = new Scripted().on("b", {
      check: () => {
        throw new Error("cannot read property 'size' of undefined");
      },
    });
    // WHEN planned
    const result = await s.run(planOf(step("a", "h1"), step("b", "h1", ["a"])), "plan");
    // THEN it is not passed off as pending
    expect(outcomes(result)).toEqual({ a: "change", b: "failed" });
    expect(result.records.get("b")?.error?.message).toContain("cannot read property 'size' of undefined");
  });

  it("reports pending also below a step that was already right, naming the change it waits for", async () => {
    // GIVEN a needs a change (a drifted config, say); b after it is right anyway; c after b cannot judge until a is made
    const s = new Scripted()
      .on("b", { check: () => ({ status: "ok" }) })
      .on("c", { check: () => ({ status: "pending", why: "Cannot access VG vg_gfs with lock type dlm that requires lvmlockd." }) });
    // WHEN planned
    const result = await s.run(planOf(step("a", "h1"), step("b", "h1", ["a"]), step("c", "h2", ["b"])), "plan");
    // THEN c is pending after a, and the plan ends with changes to make, not an error
    expect(outcomes(result)).toEqual({ a: "change", b: "ok", c: "pending" });
    expect(result.records.get("c")?.reason).toBe("after a (cannot inspect yet: Cannot access VG vg_gfs with lock type dlm that requires lvmlockd.)");
    expect(result.counts).toMatchObject({ failed: 0, refused: 0 });
  });

  it("fails, in apply, a check that still cannot judge once everything before it is done", async () => {
    const s = new Scripted().on("b", { check: () => ({ status: "ok" }) }).on("c", { check: () => ({ status: "pending", why: "no LV vg/lv yet" }) });
    const result = await s.run(planOf(step("a", "h1"), step("b", "h1", ["a"]), step("c", "h2", ["b"])), "apply");
    expect(outcomes(result)).toEqual({ a: "changed", b: "ok", c: "failed" });
    expect(result.records.get("c")?.error?.message).toBe("c on h2 cannot be judged: no LV vg/lv yet");
  });

  it("reports a step that is already right as ok, its note as the reason the displays show", async () => {
    const s = new Scripted().on("a", { check: () => ({ status: "ok", note: "already there" }) });
    const result = await s.run(planOf(step("a", "h1")), "plan");
    expect(result.records.get("a")).toMatchObject({ outcome: "ok", reason: "already there", check: { status: "ok", note: "already there" } });
    expect(s.events.find((e) => e.type === "step-end")).toMatchObject({ id: "a", outcome: "ok", reason: "already there" });
  });
});

describe("runner: apply mode", () => {
  it("applies a needed change, then checks again", async () => {
    const s = new Scripted();
    const result = await s.run(planOf(step("a", "h1")), "apply");
    expect(s.calls.map((c) => c.what)).toEqual(["check", "apply", "check"]);
    expect(result.records.get("a")).toMatchObject({ outcome: "changed", reason: "a needs work" });
    expect(s.events.find((e) => e.type === "step-check")).toEqual({ type: "step-check", id: "a", result: { status: "change", reason: "a needs work" } });
  });

  it("leaves a step that is already right alone", async () => {
    const s = new Scripted().on("a", { check: () => ({ status: "ok" }) });
    expect(outcomes(await s.run(planOf(step("a", "h1")), "apply"))).toEqual({ a: "ok" });
    expect(s.ids("apply")).toEqual([]);
  });

  it("fails a step whose check still wants a change after apply, with StepNotConverged's message and hint", async () => {
    const s = new Scripted().on("a", { check: () => ({ status: "change", reason: "pcsd.service disabled" }) });
    const result = await s.run(planOf(step("a", "h1"), step("b", "h1", ["a"])), "apply");
    expect(outcomes(result)).toEqual({ a: "failed", b: "skipped" });
    expect(result.records.get("a")?.error).toEqual({
      message: "a on h1 still reports 'pcsd.service disabled' after apply",
      hint: "something on the node changes it back, or this is a gfsdeploy bug: see the step's log",
    });
    expect(s.calls.map((c) => c.what)).toEqual(["check", "apply", "check"]);
  });

  it("fails a step whose check throws after apply", async () => {
    const s = new Scripted().on("a", {
      check: (_ctx, n) => {
        if (n === 1) return { status: "change", reason: "x" };
        throw new Error("crm_mon: connection refused");
      },
    });
    const result = await s.run(planOf(step("a", "h1")), "apply");
    expect(result.records.get("a")).toMatchObject({ outcome: "failed", error: { message: "crm_mon: connection refused" } });
  });

  it("passes a step's log lines on as step-log events", async () => {
    const s = new Scripted().on("a", {
      check: (ctx) => {
        ctx.log("looking at /dev/vdb");
        return { status: "ok" };
      },
    });
    await s.run(planOf(step("a", "h1")), "apply");
    expect(s.events.filter((e) => e.type === "step-log")).toEqual([{ type: "step-log", id: "a", line: "looking at /dev/vdb" }]);
  });
});

describe("runner: events", () => {
  it("emits run-start first and run-end last, with counts that match the records", async () => {
    const s = new Scripted()
      .on("ok", { check: () => ({ status: "ok" }) })
      .on("bad", {
        check: () => {
          throw new Error("x");
        },
      })
      .on("no", { check: () => ({ status: "refuse", reason: "r", hint: "h" }) });
    const plan = planOf(step("ok", "h1"), step("new", "h2"), step("bad", "h1"), step("after-bad", "h2", ["bad"]), step("no", "h3"));
    const result = await s.run(plan, "apply");

    expect(s.events[0]).toEqual({ type: "run-start", mode: "apply", steps: 5 });
    const last = s.events.at(-1);
    expect(last?.type).toBe("run-end");
    const tally: Record<Outcome, number> = { ok: 0, changed: 0, change: 0, pending: 0, refused: 0, failed: 0, skipped: 0 };
    for (const r of result.records.values()) tally[r.outcome]++;
    expect(tally).toEqual({ ok: 1, changed: 1, change: 0, pending: 0, refused: 1, failed: 1, skipped: 1 });
    expect(result.counts).toEqual(tally);
    expect(last).toMatchObject({ type: "run-end", counts: tally });
  });

  it("gives each step start → check → end, or start → end when check failed, or only end when skipped", async () => {
    const s = new Scripted().on("bad", {
      check: () => {
        throw new Error("x");
      },
    });
    const plan = planOf(step("a", "h1"), step("b", "h2", ["a"]), step("bad", "h1"), step("skipped", "h2", ["bad"]));
    await s.run(plan, "apply");
    expect(s.eventTypes("a")).toEqual(["step-start", "step-check", "step-end"]);
    expect(s.eventTypes("b")).toEqual(["step-start", "step-check", "step-end"]);
    expect(s.eventTypes("bad")).toEqual(["step-start", "step-end"]);
    expect(s.eventTypes("skipped")).toEqual(["step-end"]);
    expect(s.events.find((e) => e.type === "step-start" && e.id === "a")).toEqual({ type: "step-start", id: "a", host: "h1", title: "title of a", phase: "prepare", destructive: false });
    // Every step ends exactly once.
    expect(s.events.filter((e) => e.type === "step-end").map((e) => (e.type === "step-end" ? e.id : "")).sort()).toEqual(["a", "b", "bad", "skipped"]);
  });
});

describe("runner: reading the nodes", () => {
  /** Steps that read `state <id>` and are ok once it prints "done"; apply makes it so. */
  function reading(): { registry: HandlerRegistry; transports: Map<string, FakeTransport>; done: Set<string> } {
    const done = new Set<string>();
    const transports = new Map(["h1", "h2"].map((h) => [h, new FakeTransport(h).on((c) => c === "state", (call) => ({ code: 0, stdout: done.has(call.args[0] ?? "") ? "done" : "todo", stderr: "" }))]));
    const handler: StepHandler<"hostname"> = {
      reads: (s) => [execRead("state", s.id)],
      check: (s, facts) => (facts.exec("state", s.id).stdout === "done" ? { status: "ok" } : { status: "change", reason: `${s.id} todo` }),
      apply: (s) => {
        done.add(s.id);
        return Promise.resolve();
      },
    };
    return { registry: new Proxy({}, { get: () => handler }) as HandlerRegistry, transports, done };
  }
  const batches = (t: FakeTransport) => t.calls.filter((c) => c.kind === "batch").length;
  const run = (r: ReturnType<typeof reading>, plan: Plan, mode: "plan" | "apply") =>
    runSteps(plan, { mode, transports: r.transports, registry: r.registry, context: { secrets: { get: () => Buffer.alloc(0), pending: () => false }, forced: new Set(), scripts: {}, pollMs: 0 }, subscribers: [] });

  it("reads each node once in a plan, whatever the number of its steps", async () => {
    const r = reading();
    const result = await run(r, planOf(step("a", "h1"), step("b", "h1", ["a"]), step("c", "h1", ["b"]), step("d", "h2")), "plan");
    expect(outcomes(result)).toEqual({ a: "change", b: "change", c: "change", d: "change" });
    expect([batches(r.transports.get("h1") as FakeTransport), batches(r.transports.get("h2") as FakeTransport)]).toEqual([1, 1]);
    expect(result.execs).toEqual({ h1: 1, h2: 1 });
  });

  it("after an apply reads again once, for the step's verification and every step still to be checked", async () => {
    // GIVEN a drift on a only: b and c are right
    const r = reading();
    r.done.add("b").add("c");
    // WHEN applied
    const result = await run(r, planOf(step("a", "h1"), step("b", "h1", ["a"]), step("c", "h1", ["b"])), "apply");
    // THEN a changed and verified, b and c judged on what was read after a's apply
    expect(outcomes(result)).toEqual({ a: "changed", b: "ok", c: "ok" });
    expect(batches(r.transports.get("h1") as FakeTransport)).toBe(2);
  });

  it("does not judge a step on what was read before another step's apply", async () => {
    // GIVEN b becomes right only through a's apply (they share the node's state)
    const r = reading();
    const plan = planOf(step("a", "h1"), step("b", "h1", ["a"]));
    const handler = r.registry.hostname;
    const registry = new Proxy({}, { get: () => ({ ...handler, apply: (s: AnyStep) => Promise.resolve(void r.done.add(s.id).add("b")) }) }) as HandlerRegistry;
    // WHEN applied
    const result = await runSteps(plan, { mode: "apply", transports: r.transports, registry, context: { secrets: { get: () => Buffer.alloc(0), pending: () => false }, forced: new Set(), scripts: {}, pollMs: 0 }, subscribers: [] });
    // THEN b is ok, not changed: its check read the node after a's apply
    expect(outcomes(result)).toEqual({ a: "changed", b: "ok" });
  });
});
