import { assertSafe, blockDeviceBytes, RefusedError, signature } from "./devices.js";
import { formatBytes, sizeBytes } from "./sizes.js";
import type { StepContext, StepHandler } from "./types.js";
import { probe, run, runAll } from "./util.js";

async function lockTable(ctx: StepContext, device: string): Promise<string | undefined> {
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
        if ((await signature(ctx, p.device)) === "gfs2" && (await lockTable(ctx, p.device)) === p.lockTable) return { kept: `${p.device} already holds GFS2 ${p.lockTable}, kept (activated here to look)` };
        await assertSafe(ctx, p.device, "mkfs.gfs2");
      }
      await run(ctx, command, args);
    }
    return undefined;
  },
};

/**
 * Throws unless this node can read GFS2 on `device`. These steps come after the filesystem
 * is mounted on every node, so only a plan (where mkfs or the mount is still to come) meets
 * such a device, and the runner reports the step pending there.
 */
async function assertGfs2Here(ctx: StepContext, device: string): Promise<void> {
  const found = await signature(ctx, device);
  if (found === "missing") throw new Error(`${device} is not active on ${ctx.t.host}`);
  if (found !== "gfs2") throw new Error(`no GFS2 on ${device} yet`);
}

/** GFS2 mounted at `mountpoint` here: gfs2_grow and gfs2_jadd work only through a mount. */
async function mounted(ctx: StepContext, mountpoint: string): Promise<boolean> {
  const r = await probe(ctx, "findmnt", ["-n", "-o", "FSTYPE", "--mountpoint", mountpoint]);
  return r.code === 0 && r.stdout.trim() === "gfs2";
}

async function assertMounted(ctx: StepContext, mountpoint: string, tool: string): Promise<void> {
  if (await mounted(ctx, mountpoint)) return;
  throw new RefusedError({
    status: "refuse",
    reason: `${mountpoint} is not mounted on ${ctx.t.host}: ${tool} works only on a mounted GFS2`,
    hint: "start the filesystem clone on that node (pcs status says why it stopped), then apply again",
  });
}

/**
 * Where the filesystem ends, in bytes: the end of its last resource group in the resource
 * group index. gfs2_edit reads the index from the device after flushing the device's buffer
 * cache, so it sees what gfs2_grow wrote through the mount. Not `gfs2_grow -T`: it mounts the
 * gfs2meta filesystem to read the index, so it is no read-only probe. Not df: its size leaves
 * out resource group headers and bitmaps (about 1/16384 of the filesystem), so on a large
 * filesystem it stays short of the device by more than gfs2_grow could ever add.
 */
async function filesystemEnd(ctx: StepContext, device: string): Promise<number> {
  const block = Number(/^Block size:\s*([0-9]+)/m.exec((await run(ctx, "tunegfs2", ["-l", device])).stdout)?.[1]);
  const index = (await run(ctx, "gfs2_edit", ["-p", "rindex", device])).stdout;
  let data0 = 0;
  let end = 0;
  for (const line of index.split("\n")) {
    const field = /^\s*(ri_data0|ri_data)\s+([0-9]+)/.exec(line);
    if (field?.[1] === "ri_data0") data0 = Number(field[2]);
    else if (field) end = Math.max(end, data0 + Number(field[2]));
  }
  if (!(block > 0) || end === 0) throw new Error(`${ctx.t.host}: cannot read the resource groups of ${device} (tunegfs2 -l, gfs2_edit -p rindex)`);
  return end * block;
}

/**
 * gfs2_grow adds whole resource groups of at least 32 MiB (libgfs2's LGFS2_MIN_RGSIZE) and
 * fails on less; after a grow, less than that is left at the device's end.
 */
const MIN_GROWTH = 32 * 1024 ** 2;

export const gfs2Grow: StepHandler<"gfs2-grow"> = {
  // Judged from the device, which is readable wherever the LV is active: a filesystem that
  // needs growing shows in the plan even while it is not mounted here.
  async check(step, ctx) {
    const p = step.params;
    await assertGfs2Here(ctx, p.device);
    const device = await blockDeviceBytes(ctx, p.device);
    const end = await filesystemEnd(ctx, p.device);
    // In a plan, the LV's lvextend may still be to come: the grow it calls for is listed now.
    const planned = p.lvSize === undefined ? 0 : (sizeBytes(p.lvSize) ?? 0);
    if (Math.max(device, planned) - end < MIN_GROWTH) return { status: "ok" };
    const size = device - end >= MIN_GROWTH ? `is ${formatBytes(device)}` : `will be ${p.lvSize ?? ""} after lvextend`;
    const later = (await mounted(ctx, p.mountpoint)) ? "" : ` (once mounted on ${ctx.t.host})`;
    return { status: "change", reason: `gfs2_grow ${p.mountpoint}${later}: ${p.device} ${size}, the filesystem ${formatBytes(end)}` };
  },
  async apply(step, ctx) {
    // gfs2_grow skips a path that is not a mounted GFS2 and still exits 0.
    await assertMounted(ctx, step.params.mountpoint, "gfs2_grow");
    await runAll(ctx, step.params.commands);
  },
};

/** The size in MB of each journal, from the journal index on the device. */
async function journalSizes(ctx: StepContext, device: string): Promise<number[]> {
  const out = (await run(ctx, "gfs2_edit", ["-p", "journals", device])).stdout;
  const sizes = [...out.matchAll(/^journal[0-9]+:\s+0x[0-9a-f]+\s+([0-9]+)MB/gm)].map((m) => Number(m[1]));
  if (sizes.length === 0) throw new Error(`${ctx.t.host}: gfs2_edit -p journals ${device} lists no journal`);
  return sizes;
}

export const gfs2Journals: StepHandler<"gfs2-journals"> = {
  async check(step, ctx) {
    const p = step.params;
    await assertGfs2Here(ctx, p.device);
    const sizes = await journalSizes(ctx, p.device);
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
      const later = (await mounted(ctx, p.mountpoint)) ? "" : `, once mounted on ${ctx.t.host}`;
      return { status: "change", reason: `gfs2_jadd -j ${p.journals - sizes.length} -J ${p.journalSizeMb} ${p.mountpoint}: ${sizes.length} → ${p.journals} journals${kept ? `; ${kept}` : ""}${later}` };
    }
    if (kept) return { status: "ok", note: `journalSize ${p.journalSizeMb}M is not applied: ${kept} (GFS2 cannot resize a journal); only journals added later get ${p.journalSizeMb} MB` };
    return { status: "ok" };
  },
  async apply(step, ctx) {
    const p = step.params;
    await assertMounted(ctx, p.mountpoint, "gfs2_jadd");
    const have = (await journalSizes(ctx, p.device)).length;
    if (have < p.journals) await run(ctx, "gfs2_jadd", ["-j", String(p.journals - have), "-J", String(p.journalSizeMb), p.mountpoint]);
  },
};
