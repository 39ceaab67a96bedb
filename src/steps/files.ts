import { createHash } from "node:crypto";
import { dirname } from "node:path";

import { execRead, type Facts, type Read } from "../probes/facts.js";
import { corosyncReads, digest, digestReads, fileReads, ownership, ownershipReads } from "../probes/node.js";
import { corosyncNeedsRestart } from "./corosync.js";
import type { CheckResult, StepHandler } from "./types.js";
import { lineDiff, run } from "./util.js";

const wantOwnership = (p: { mode: number; owner: string; group: string }) => `${p.mode.toString(8)} ${p.owner} ${p.group}`;

function ownershipResult(f: Facts, p: { path: string; mode: number; owner: string; group: string }): CheckResult {
  const own = ownership(f, p.path);
  return own === wantOwnership(p) ? { status: "ok" } : { status: "change", reason: `${p.path} mode/owner ${own ?? "?"} → ${wantOwnership(p)}` };
}

/** Where a replaced authkey leaves word for cluster-start that corosync must restart. */
export const RESTART_MARKER = "/run/gfsdeploy/corosync-restart-needed";

export const file: StepHandler<"file"> = {
  reads(step) {
    const p = step.params;
    return [...fileReads(p.path), ...ownershipReads(p.path), ...(p.onChange === "corosync-reload" ? corosyncReads() : []), ...(p.onChange === "drbd-adjust" && p.resource ? [drbdCstate(p.resource)] : [])];
  },
  check(step, f) {
    const p = step.params;
    const current = f.file(p.path);
    if (current === undefined) return { status: "change", reason: `create ${p.path}` };
    if (current !== p.content) {
      const restart = p.onChange === "corosync-reload" && corosyncNeedsRestart(f, p.content) ? "corosync and pacemaker on this node, by cluster-start (cluster name or node list changed)" : undefined;
      return { status: "change", reason: `${p.path} differs`, diff: lineDiff(current, p.content), ...(restart ? { restart } : {}) };
    }
    return ownershipResult(f, p);
  },
  async apply(step, ctx, before) {
    const p = step.params;
    const restart = p.onChange === "corosync-reload" ? corosyncNeedsRestart(before, p.content) : undefined;
    await run(ctx, "mkdir", ["-p", dirname(p.path)]);
    await ctx.t.writeFile(p.path, p.content, { mode: p.mode, owner: p.owner, group: p.group });
    // Same cluster, same nodes: every corosync in the cluster re-reads the file in place.
    // Anything bigger waits for cluster-start, which runs once the authkey is in place too.
    if (restart === false) await run(ctx, "corosync-cfgtool", ["-R"]);
    // A unit drop-in counts from the next start only after systemd has read it again.
    if (p.onChange === "systemd-reload") await run(ctx, "systemctl", ["daemon-reload"]);
    if (p.onChange === "drbd-adjust" && p.resource) {
      const up = before.get(drbdCstate(p.resource));
      if (up.code === 0 && !/Unconfigured/.test(up.stdout)) await run(ctx, "drbdadm", ["adjust", p.resource]);
    }
  },
};

const drbdCstate = (resource: string): Read => execRead("drbdadm", "cstate", resource);

function sha256(body: Buffer): string {
  return createHash("sha256").update(body).digest("hex");
}

export const secretFile: StepHandler<"secret-file"> = {
  reads: (step) => [...digestReads(step.params.path), ...ownershipReads(step.params.path)],
  check(step, f, env) {
    const p = step.params;
    if (env.secrets.pending(p.secret)) return { status: "change", reason: `${p.path} (key generated locally first)` };
    const have = digest(f, p.path);
    if (have === undefined) return { status: "change", reason: `create ${p.path}` };
    // Only digests cross the wire for comparison; the secret itself only when written.
    if (have !== sha256(env.secrets.get(p.secret))) return { status: "change", reason: `${p.path} content differs (not shown: secret)`, ...(p.restarts?.includes("corosync") ? { restart: "corosync and pacemaker on this node, by cluster-start" } : {}) };
    return ownershipResult(f, p);
  },
  async apply(step, ctx, facts) {
    const p = step.params;
    const before = digest(facts, p.path);
    const replaced = before !== undefined && before !== sha256(ctx.secrets.get(p.secret));
    // The word for cluster-start goes first: if the write then fails, a re-run still restarts.
    if (replaced && p.restarts?.includes("corosync")) {
      await run(ctx, "mkdir", ["-p", "/run/gfsdeploy"]);
      await run(ctx, "touch", [RESTART_MARKER]);
    }
    await run(ctx, "mkdir", ["-p", dirname(p.path)]);
    await ctx.t.writeFile(p.path, ctx.secrets.get(p.secret), { mode: p.mode, owner: p.owner, group: p.group });
  },
};
