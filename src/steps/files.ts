import { createHash } from "node:crypto";
import { dirname } from "node:path";

import { corosyncNeedsRestart } from "./corosync.js";
import type { StepHandler, StepContext } from "./types.js";
import { lineDiff, probe, run } from "./util.js";

async function ownership(ctx: StepContext, path: string): Promise<string | undefined> {
  const r = await probe(ctx, "stat", ["-c", "%a %U %G", path]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

const wantOwnership = (p: { mode: number; owner: string; group: string }) => `${p.mode.toString(8)} ${p.owner} ${p.group}`;

/** Where a replaced authkey leaves word for cluster-start that corosync must restart. */
export const RESTART_MARKER = "/run/gfsdeploy/corosync-restart-needed";

export const file: StepHandler<"file"> = {
  async check(step, ctx) {
    const p = step.params;
    const current = (await ctx.t.readFile(p.path))?.toString();
    if (current === undefined) return { status: "change", reason: `create ${p.path}` };
    if (current !== p.content) {
      const restart = p.onChange === "corosync-reload" && (await corosyncNeedsRestart(ctx, p.content)) ? "corosync and pacemaker on this node, by cluster-start (cluster name or node list changed)" : undefined;
      return { status: "change", reason: `${p.path} differs`, diff: lineDiff(current, p.content), ...(restart ? { restart } : {}) };
    }
    const own = await ownership(ctx, p.path);
    return own === wantOwnership(p) ? { status: "ok" } : { status: "change", reason: `${p.path} mode/owner ${own ?? "?"} → ${wantOwnership(p)}` };
  },
  async apply(step, ctx) {
    const p = step.params;
    const restart = p.onChange === "corosync-reload" ? await corosyncNeedsRestart(ctx, p.content) : undefined;
    await run(ctx, "mkdir", ["-p", dirname(p.path)]);
    await ctx.t.writeFile(p.path, p.content, { mode: p.mode, owner: p.owner, group: p.group });
    // Same cluster, same nodes: every corosync in the cluster re-reads the file in place.
    // Anything bigger waits for cluster-start, which runs once the authkey is in place too.
    if (restart === false) await run(ctx, "corosync-cfgtool", ["-R"]);
    // A unit drop-in counts from the next start only after systemd has read it again.
    if (p.onChange === "systemd-reload") await run(ctx, "systemctl", ["daemon-reload"]);
    if (p.onChange === "drbd-adjust" && p.resource) {
      const up = await probe(ctx, "drbdadm", ["cstate", p.resource]);
      if (up.code === 0 && !/Unconfigured/.test(up.stdout)) await run(ctx, "drbdadm", ["adjust", p.resource]);
    }
  },
};

function sha256(body: Buffer): string {
  return createHash("sha256").update(body).digest("hex");
}

export const secretFile: StepHandler<"secret-file"> = {
  async check(step, ctx) {
    const p = step.params;
    if (ctx.secrets.pending(p.secret)) return { status: "change", reason: `${p.path} (key generated locally first)` };
    const r = await probe(ctx, "sha256sum", [p.path]);
    if (r.code !== 0) return { status: "change", reason: `create ${p.path}` };
    // Only digests cross the wire for comparison; the secret itself only when written.
    if (r.stdout.split(/\s/)[0] !== sha256(ctx.secrets.get(p.secret))) return { status: "change", reason: `${p.path} content differs (not shown: secret)`, ...(p.restarts?.includes("corosync") ? { restart: "corosync and pacemaker on this node, by cluster-start" } : {}) };
    const own = await ownership(ctx, p.path);
    return own === wantOwnership(p) ? { status: "ok" } : { status: "change", reason: `${p.path} mode/owner ${own ?? "?"} → ${wantOwnership(p)}` };
  },
  async apply(step, ctx) {
    const p = step.params;
    const before = await probe(ctx, "sha256sum", [p.path]);
    const replaced = before.code === 0 && before.stdout.split(/\s/)[0] !== sha256(ctx.secrets.get(p.secret));
    // The word for cluster-start goes first: if the write then fails, a re-run still restarts.
    if (replaced && p.restarts?.includes("corosync")) {
      await run(ctx, "mkdir", ["-p", "/run/gfsdeploy"]);
      await run(ctx, "touch", [RESTART_MARKER]);
    }
    await run(ctx, "mkdir", ["-p", dirname(p.path)]);
    await ctx.t.writeFile(p.path, ctx.secrets.get(p.secret), { mode: p.mode, owner: p.owner, group: p.group });
  },
};
