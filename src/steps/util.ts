import type { AnyStep } from "../plan/types.js";
import { gather, type Facts, type Read } from "../probes/facts.js";
import { mustExec } from "../transport/errors.js";
import type { ExecOptions, ExecResult, Transport } from "../transport/types.js";
import { handlerFor, type CheckEnv, type CheckResult, type HandlerRegistry, type SecretStore, type StepContext } from "./types.js";

/** Run a command that must succeed; failures become RemoteCommandError with host and stderr. */
export function run(ctx: StepContext, command: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
  return mustExec(ctx.t, command, args, options);
}

/** What a check may know of its context. */
export function envOf(ctx: Omit<StepContext, "log" | "pollMs" | "read">): CheckEnv {
  return { host: ctx.t.host, secrets: ctx.secrets, forced: ctx.forced, scripts: ctx.scripts };
}

/** A StepContext's `read`: one batch over the host's transport. */
export function reader(t: Transport, secrets: SecretStore): (reads: readonly Read[]) => Promise<Facts> {
  return (reads) => gather(t, reads, secrets);
}

/**
 * One step's check on its own: its reads in one batch, its cache prepared if it has one, then
 * the pure judgement. The runner shares one gathering among all of a host's steps instead.
 */
export async function checkStep(registry: HandlerRegistry, step: AnyStep, ctx: StepContext): Promise<{ result: CheckResult; facts: Facts }> {
  const handler = handlerFor(registry, step);
  const env = envOf(ctx);
  let facts = await ctx.read(handler.reads(step, env));
  if (handler.prepare && (await handler.prepare(step, facts, ctx))) facts = await ctx.read(handler.reads(step, env));
  return { result: handler.check(step, facts, env), facts };
}

/** Run every argv of a compiled command list in order. */
export async function runAll(ctx: StepContext, commands: readonly (readonly string[])[]): Promise<void> {
  for (const [command, ...args] of commands) if (command !== undefined) await run(ctx, command, args);
}

/**
 * Poll `test` until it returns a value, or give up after `timeoutSec` with the last reason.
 * Readiness is always observed from real state, never assumed after a sleep.
 */
export async function pollUntil<T>(ctx: StepContext, timeoutSec: number, what: string, test: () => Promise<{ done: true; value: T } | { done: false; reason: string }>): Promise<T> {
  const deadline = Date.now() + timeoutSec * 1000;
  let last = "not checked yet";
  for (;;) {
    const r = await test();
    if (r.done) return r.value;
    last = r.reason;
    if (Date.now() >= deadline) throw new Error(`${ctx.t.host}: timed out after ${timeoutSec}s waiting for ${what}: ${last}`);
    ctx.log(`waiting for ${what}: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, ctx.pollMs));
  }
}

/** A small unified-style diff of two texts, enough to show drift in `plan`. */
export function lineDiff(before: string, after: string, context = 2): string {
  const a = before.split("\n");
  const b = after.split("\n");
  const width = b.length + 1;
  // Longest-common-subsequence lengths of the suffixes; config files are small.
  const lcs = new Array<number>((a.length + 1) * width).fill(0);
  const at = (i: number, j: number) => lcs[i * width + j] ?? 0;
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i * width + j] = a[i] === b[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
  }
  const ops: { tag: " " | "-" | "+"; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ tag: " ", line: a[i] ?? "" });
      i++;
      j++;
    } else if (i < a.length && (j >= b.length || at(i + 1, j) >= at(i, j + 1))) {
      ops.push({ tag: "-", line: a[i++] ?? "" });
    } else {
      ops.push({ tag: "+", line: b[j++] ?? "" });
    }
  }
  const near = (k: number) => ops.slice(Math.max(0, k - context), k + context + 1).some((o) => o.tag !== " ");
  const out: string[] = [];
  ops.forEach((op, k) => {
    if (near(k)) out.push(`${op.tag} ${op.line}`);
    else if (k > 0 && near(k - 1)) out.push("  …");
  });
  return out.join("\n");
}
