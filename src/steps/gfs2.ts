import { assertSafe, signature } from "./devices.js";
import type { StepHandler } from "./types.js";
import { probe, run } from "./util.js";

async function lockTable(ctx: Parameters<StepHandler<"mkfs-gfs2">["check"]>[1], device: string): Promise<string | undefined> {
  const r = await probe(ctx, "tunegfs2", ["-l", device]);
  return /^Lock table:\s*(\S+)/m.exec(r.stdout)?.[1];
}

export const mkfsGfs2: StepHandler<"mkfs-gfs2"> = {
  async check(step, ctx) {
    const p = step.params;
    const found = await signature(ctx, p.device);
    // A shared LV is active only where Pacemaker activated it; apply looks again before mkfs.
    if (found === "missing") return { status: "change", reason: `mkfs.gfs2 ${p.lockTable} (device not active here; its contents are checked right before mkfs)` };
    if (found === undefined) return { status: "change", reason: `mkfs.gfs2 -t ${p.lockTable} -j ${p.journals} on ${p.device}` };
    if (found === "gfs2") {
      const table = await lockTable(ctx, p.device);
      if (table === p.lockTable) return { status: "ok" };
      if (!ctx.forced.has(p.device)) return { status: "refuse", reason: `${p.device} holds GFS2 with lock table ${table ?? "?"}, the spec says ${p.lockTable}`, hint: `check the cluster and filesystem names, or pass --force-device ${p.device} to re-create it (all data lost)` };
      return { status: "change", reason: `re-create GFS2 on ${p.device} (forced)` };
    }
    if (ctx.forced.has(p.device)) return { status: "change", reason: `mkfs.gfs2 over ${found} on ${p.device} (forced)` };
    return { status: "refuse", reason: `${p.device} on ${ctx.t.host} already holds ${found}; mkfs.gfs2 would destroy it`, hint: `move the data away, or pass --force-device ${p.device} to overwrite it on purpose` };
  },
  async apply(step, ctx) {
    const p = step.params;
    for (const [command, ...args] of p.commands) {
      if (command === undefined) continue;
      if (command === "mkfs.gfs2") {
        // The device may only now be active here: a GFS2 made by an earlier run is kept.
        if ((await signature(ctx, p.device)) === "gfs2" && (await lockTable(ctx, p.device)) === p.lockTable) return;
        await assertSafe(ctx, p.device, "mkfs.gfs2");
      }
      await run(ctx, command, args);
    }
  },
};
