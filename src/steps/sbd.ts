import { sbdHeader as header, sbdHeaderReads, signatureReads } from "../probes/node.js";
import { guardDevice } from "./devices.js";
import type { StepHandler } from "./types.js";
import { runAll } from "./util.js";

export const sbdDevice: StepHandler<"sbd-device"> = {
  reads: (step) => step.params.devices.flatMap((d) => [...sbdHeaderReads(d), ...signatureReads(d)]),
  check(step, f, env) {
    const p = step.params;
    const todo: string[] = [];
    for (const d of p.devices) {
      const h = header(f, d);
      if (h && h.watchdog === p.watchdogTimeout && h.msgwait === p.msgwaitTimeout) continue;
      if (h && !env.forced.has(d)) {
        return { status: "refuse", reason: `SBD header on ${d} has watchdog ${h.watchdog}s / msgwait ${h.msgwait}s, the spec wants ${p.watchdogTimeout}s / ${p.msgwaitTimeout}s`, hint: `rewriting it needs the cluster stopped: stop it, then pass --force-device ${d}` };
      }
      if (!h) {
        const refusal = guardDevice(f, env, d, "sbd create");
        if (refusal) return refusal;
      }
      todo.push(d);
    }
    return todo.length === 0 ? { status: "ok" } : { status: "change", reason: `write the SBD header on ${todo.join(", ")}` };
  },
  // The check that cleared this ran on facts read just now: `sbd create` rewrites every device it is given.
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};
