import { assertSafe, guardDevice, RefusedError } from "./devices.js";
import type { StepContext, StepHandler } from "./types.js";
import { probe, runAll } from "./util.js";

/** Timeouts in an existing SBD header, or undefined when the device has none. */
async function header(ctx: StepContext, device: string): Promise<{ watchdog: number; msgwait: number } | undefined> {
  const r = await probe(ctx, "sbd", ["-d", device, "dump"]);
  if (r.code !== 0) return undefined;
  const num = (label: string) => Number(new RegExp(`Timeout \\(${label}\\)\\s*:\\s*(\\d+)`).exec(r.stdout)?.[1]);
  return { watchdog: num("watchdog"), msgwait: num("msgwait") };
}

export const sbdDevice: StepHandler<"sbd-device"> = {
  async check(step, ctx) {
    const p = step.params;
    const todo: string[] = [];
    for (const d of p.devices) {
      const h = await header(ctx, d);
      if (h && h.watchdog === p.watchdogTimeout && h.msgwait === p.msgwaitTimeout) continue;
      if (h && !ctx.forced.has(d)) {
        return { status: "refuse", reason: `SBD header on ${d} has watchdog ${h.watchdog}s / msgwait ${h.msgwait}s, the spec wants ${p.watchdogTimeout}s / ${p.msgwaitTimeout}s`, hint: `rewriting it needs the cluster stopped: stop it, then pass --force-device ${d}` };
      }
      if (!h) {
        const refusal = await guardDevice(ctx, d, "sbd create");
        if (refusal) return refusal;
      }
      todo.push(d);
    }
    return todo.length === 0 ? { status: "ok" } : { status: "change", reason: `write the SBD header on ${todo.join(", ")}` };
  },
  async apply(step, ctx) {
    const p = step.params;
    // `sbd create` rewrites every device it is given: each one is judged again first.
    for (const d of p.devices) {
      const h = await header(ctx, d);
      if (h && !ctx.forced.has(d) && (h.watchdog !== p.watchdogTimeout || h.msgwait !== p.msgwaitTimeout)) {
        throw new RefusedError({ status: "refuse", reason: `SBD header on ${d} changed to other timeouts since the check`, hint: `pass --force-device ${d} to rewrite it` });
      }
      if (!h) await assertSafe(ctx, d, "sbd create");
    }
    await runAll(ctx, p.commands);
  },
};
