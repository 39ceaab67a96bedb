import type { Facts, Read } from "../probes/facts.js";
import { deviceBytes, deviceBytesReads, filesystemEnd, filesystemEndReads, gfs2Mounted, journalReads, journalSizes, lockTable, lockTableReads, mountReads, signature, signatureReads } from "../probes/node.js";
import { RefusedError } from "./devices.js";
import { formatBytes, sizeBytes } from "./sizes.js";
import type { CheckResult, StepHandler } from "./types.js";
import { envOf, run, runAll } from "./util.js";

const mkfsReads = (device: string): Read[] => [...signatureReads(device), ...lockTableReads(device)];

export const mkfsGfs2: StepHandler<"mkfs-gfs2"> = {
  reads: (step) => mkfsReads(step.params.device),
  check(step, f, env) {
    const p = step.params;
    const found = signature(f, p.device);
    // A shared LV is active only where Pacemaker activated it; apply looks again before mkfs.
    if (found === "missing") return { status: "change", reason: `mkfs.gfs2 ${p.lockTable} (device not active here; its contents are checked right before mkfs)` };
    if (found === undefined) return { status: "change", reason: `mkfs.gfs2 -t ${p.lockTable} -j ${p.journals} on ${p.device}` };
    if (found === "gfs2") {
      const table = lockTable(f, p.device);
      if (table === p.lockTable) return { status: "ok" };
      if (!env.forced.has(p.device)) return { status: "refuse", reason: `${p.device} holds GFS2 with lock table ${table ?? "?"}, the spec says ${p.lockTable}`, hint: `check the cluster and filesystem names, or pass --force-device ${p.device} to re-create it (all data lost)` };
      return { status: "change", reason: `re-create GFS2 on ${p.device} (forced)` };
    }
    if (env.forced.has(p.device)) return { status: "change", reason: `mkfs.gfs2 over ${found} on ${p.device} (forced)` };
    return { status: "refuse", reason: `${p.device} on ${env.host} already holds ${found}; mkfs.gfs2 would destroy it`, hint: `move the data away, or pass --force-device ${p.device} to overwrite it on purpose` };
  },
  async apply(step, ctx) {
    const p = step.params;
    await runAll(ctx, p.activate);
    // The one refusal apply may still make (see RefusedError): an inactive shared LV has no
    // device node, so neither plan nor the runner's last look can read its bytes, and reads
    // may not activate it. Activated now, it is judged again by this same check, and a GFS2
    // made by an earlier run is kept.
    const now = mkfsGfs2.check(step, await ctx.read(mkfsReads(p.device)), envOf(ctx));
    if (now.status === "ok") return { kept: `${p.device} already holds GFS2 ${p.lockTable}, kept (activated here to look)` };
    if (now.status === "refuse") throw new RefusedError(now);
    await runAll(ctx, p.commands);
    return undefined;
  },
};

/**
 * Why this node cannot read GFS2 on `device` yet, if it cannot. These steps come after the
 * filesystem is mounted on every node, so only a plan (where mkfs or the mount is still to
 * come) meets such a device.
 */
function notGfs2Here(f: Facts, env: { host: string }, device: string): Extract<CheckResult, { status: "pending" }> | undefined {
  const found = signature(f, device);
  if (found === "missing") return { status: "pending", why: `${device} is not active on ${env.host}` };
  if (found !== "gfs2") return { status: "pending", why: `no GFS2 on ${device} yet` };
  return undefined;
}

/**
 * Why `tool` cannot run here yet, if the filesystem is not mounted: gfs2_grow and gfs2_jadd
 * work only through a mount, and skip a path that is not one (exit 0). Pending, not refused:
 * these steps come after the wait for the filesystem clone on every node, which in a plan may
 * still be to come; in apply, where that wait is done, the runner fails the step with this why.
 */
function notMountedHere(f: Facts, env: { host: string }, mountpoint: string, tool: string): string | undefined {
  return gfs2Mounted(f, mountpoint) ? undefined : `${tool} waits for ${mountpoint} to be mounted on ${env.host} (it works only through the mount)`;
}

/**
 * gfs2_grow adds whole resource groups of at least 32 MiB (libgfs2's LGFS2_MIN_RGSIZE) and
 * fails on less; after a grow, less than that is left at the device's end.
 */
const MIN_GROWTH = 32 * 1024 ** 2;

export const gfs2Grow: StepHandler<"gfs2-grow"> = {
  reads: (step) => [...signatureReads(step.params.device), ...deviceBytesReads(step.params.device), ...filesystemEndReads(step.params.device), ...mountReads(step.params.mountpoint)],
  // Judged from the device, which is readable wherever the LV is active: a filesystem that
  // needs growing shows in the plan even while it is not mounted here.
  check(step, f, env) {
    const p = step.params;
    const notYet = notGfs2Here(f, env, p.device);
    if (notYet) return notYet;
    const device = deviceBytes(f, p.device);
    const end = filesystemEnd(f, p.device);
    if (device === undefined || end === undefined) return { status: "pending", why: `cannot read the size and resource groups of ${p.device} (blockdev, tunegfs2 -l, gfs2_edit -p rindex)` };
    // In a plan, the LV's lvextend may still be to come: the grow it calls for is listed now.
    const planned = p.lvSize === undefined ? 0 : (sizeBytes(p.lvSize) ?? 0);
    if (Math.max(device, planned) - end < MIN_GROWTH) return { status: "ok" };
    const size = device - end >= MIN_GROWTH ? `is ${formatBytes(device)}` : `will be ${p.lvSize ?? ""} after lvextend`;
    const growth = `${p.device} ${size}, the filesystem ${formatBytes(end)}`;
    const unmounted = notMountedHere(f, env, p.mountpoint, "gfs2_grow");
    if (unmounted) return { status: "pending", why: `${unmounted}: ${growth}` };
    return { status: "change", reason: `gfs2_grow ${p.mountpoint}: ${growth}` };
  },
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};

export const gfs2Journals: StepHandler<"gfs2-journals"> = {
  reads: (step) => [...signatureReads(step.params.device), ...journalReads(step.params.device), ...mountReads(step.params.mountpoint)],
  check(step, f, env) {
    const p = step.params;
    const notYet = notGfs2Here(f, env, p.device);
    if (notYet) return notYet;
    const sizes = journalSizes(f, p.device);
    if (sizes === undefined) return { status: "pending", why: `gfs2_edit -p journals ${p.device} lists no journal` };
    if (sizes.length > p.journals) {
      return {
        status: "refuse",
        reason: `${p.device} has ${sizes.length} journals, the spec says ${p.journals}: GFS2 cannot remove a journal`,
        hint: `set journals: ${sizes.length} in the spec; a spare journal costs only its space`,
      };
    }
    const existing = [...new Set(sizes)].sort((a, b) => a - b);
    // A journal keeps the size it was made with: a new journalSize reaches added journals only.
    const kept = existing.some((mb) => mb !== p.journalSizeMb) ? `existing journals keep ${existing.join(", ")} MB` : undefined;
    if (sizes.length < p.journals) {
      const added = `${sizes.length} → ${p.journals} journals${kept ? `; ${kept}` : ""}`;
      const unmounted = notMountedHere(f, env, p.mountpoint, "gfs2_jadd");
      if (unmounted) return { status: "pending", why: `${unmounted}: ${added}` };
      return { status: "change", reason: `gfs2_jadd -j ${p.journals - sizes.length} -J ${p.journalSizeMb} ${p.mountpoint}: ${added}` };
    }
    if (kept) return { status: "ok", note: `journalSize ${p.journalSizeMb}M is not applied: ${kept} (GFS2 cannot resize a journal); only journals added later get ${p.journalSizeMb} MB` };
    return { status: "ok" };
  },
  async apply(step, ctx, f) {
    const p = step.params;
    const have = journalSizes(f, p.device)?.length ?? p.journals;
    if (have < p.journals) await run(ctx, "gfs2_jadd", ["-j", String(p.journals - have), "-J", String(p.journalSizeMb), p.mountpoint]);
  },
};
