import { createHash } from "node:crypto";

import type { StepHandler, StepContext } from "./types.js";
import { lineDiff, probe, run } from "./util.js";

async function ownership(ctx: StepContext, path: string): Promise<string | undefined> {
  const r = await probe(ctx, "stat", ["-c", "%a %U %G", path]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

const wantOwnership = (p: { mode: number; owner: string; group: string }) => `${p.mode.toString(8)} ${p.owner} ${p.group}`;

/** Running corosync's cluster name and ring0 addresses, or undefined when corosync is down. */
async function runningCorosync(ctx: StepContext): Promise<{ name: string; addresses: string[] } | undefined> {
  const active = await probe(ctx, "systemctl", ["is-active", "corosync"]);
  if (active.stdout.trim() !== "active") return undefined;
  const name = (await probe(ctx, "corosync-cmapctl", ["-g", "totem.cluster_name"])).stdout.split("=").pop()?.trim() ?? "";
  const nodes = (await probe(ctx, "corosync-cmapctl", ["-b", "nodelist.node"])).stdout;
  const addresses = [...nodes.matchAll(/ring0_addr \(str\) = (\S+)/g)].map((m) => m[1] as string).sort();
  return { name, addresses };
}

function desiredCorosync(content: string): { name: string; addresses: string[] } {
  return {
    name: /cluster_name:\s*(\S+)/.exec(content)?.[1] ?? "",
    addresses: [...content.matchAll(/ring0_addr:\s*(\S+)/g)].map((m) => m[1] as string).sort(),
  };
}

/** A reload covers most corosync.conf changes; a new cluster name or node list needs a restart. */
async function corosyncNeedsRestart(ctx: StepContext, content: string): Promise<boolean | undefined> {
  const running = await runningCorosync(ctx);
  if (!running) return undefined;
  const want = desiredCorosync(content);
  return running.name !== want.name || running.addresses.join(",") !== want.addresses.join(",");
}

async function restartCluster(ctx: StepContext): Promise<void> {
  const pacemaker = (await probe(ctx, "systemctl", ["is-active", "pacemaker"])).stdout.trim() === "active";
  await run(ctx, "systemctl", ["restart", "corosync"]);
  if (pacemaker) await run(ctx, "systemctl", ["restart", "pacemaker"]);
}

export const file: StepHandler<"file"> = {
  async check(step, ctx) {
    const p = step.params;
    const current = (await ctx.t.readFile(p.path))?.toString();
    if (current === undefined) return { status: "change", reason: `create ${p.path}` };
    if (current !== p.content) {
      const restart = p.onChange === "corosync-reload" && (await corosyncNeedsRestart(ctx, p.content)) ? "corosync and pacemaker on this node (cluster name or node list changed)" : undefined;
      return { status: "change", reason: `${p.path} differs`, diff: lineDiff(current, p.content), ...(restart ? { restart } : {}) };
    }
    const own = await ownership(ctx, p.path);
    return own === wantOwnership(p) ? { status: "ok" } : { status: "change", reason: `${p.path} mode/owner ${own ?? "?"} → ${wantOwnership(p)}` };
  },
  async apply(step, ctx) {
    const p = step.params;
    const restart = p.onChange === "corosync-reload" ? await corosyncNeedsRestart(ctx, p.content) : undefined;
    await ctx.t.writeFile(p.path, p.content, { mode: p.mode, owner: p.owner, group: p.group });
    if (restart === true) await restartCluster(ctx);
    else if (restart === false) await run(ctx, "corosync-cfgtool", ["-R"]);
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
    if (r.stdout.split(/\s/)[0] !== sha256(ctx.secrets.get(p.secret))) return { status: "change", reason: `${p.path} content differs (not shown: secret)`, ...(p.restarts?.length ? { restart: p.restarts.join(", ") } : {}) };
    const own = await ownership(ctx, p.path);
    return own === wantOwnership(p) ? { status: "ok" } : { status: "change", reason: `${p.path} mode/owner ${own ?? "?"} → ${wantOwnership(p)}` };
  },
  async apply(step, ctx) {
    const p = step.params;
    const before = await probe(ctx, "sha256sum", [p.path]);
    await ctx.t.writeFile(p.path, ctx.secrets.get(p.secret), { mode: p.mode, owner: p.owner, group: p.group });
    const replaced = before.code === 0 && before.stdout.split(/\s/)[0] !== sha256(ctx.secrets.get(p.secret));
    if (replaced && p.restarts?.includes("corosync") && (await runningCorosync(ctx))) await restartCluster(ctx);
  },
};
