import type { DrbdDialect } from "../spec/types.js";
import { assertSafe, blockDeviceBytes, guardDevice, RefusedError, signature } from "./devices.js";
import { formatBytes } from "./sizes.js";
import type { StepContext, StepHandler } from "./types.js";
import { pollUntil, probe, runAll } from "./util.js";

/** drbdadm's one-word views of a resource; "Unconfigured" when it is not up here. */
export async function drbdState(ctx: StepContext, resource: string): Promise<{ cstate: string; dstate: string }> {
  const c = await probe(ctx, "drbdadm", ["cstate", resource]);
  const d = await probe(ctx, "drbdadm", ["dstate", resource]);
  const word = (r: { code: number; stdout: string }) => (r.code === 0 ? r.stdout.trim().split("\n").pop()?.trim() ?? "" : "Unconfigured");
  return { cstate: word(c), dstate: word(d) };
}

export const isUp = (s: { cstate: string; dstate: string }) => s.cstate !== "Unconfigured" && !/^Unconfigured|^Diskless/.test(s.dstate);

/** Pacemaker owns the resource once the CIB has an ocf:linbit:drbd primitive for it. */
export async function managedByPacemaker(ctx: StepContext, resource: string): Promise<boolean> {
  const r = await probe(ctx, "cibadmin", ["--query", "--scope", "resources", "--xpath", `//primitive[@type='drbd']/instance_attributes/nvpair[@name='drbd_resource'][@value='${resource}']`]);
  return r.code === 0;
}

export const createMd: StepHandler<"drbd-create-md"> = {
  async check(step, ctx) {
    const p = step.params;
    if (isUp(await drbdState(ctx, p.resource))) return { status: "ok", note: "attached" };
    const dump = await probe(ctx, "drbdadm", ["dump-md", p.resource]);
    if (dump.code === 0) return { status: "ok", note: "metadata present" };
    // dump-md also fails while Pacemaker is bringing the resource up; the disk's own
    // signature still says DRBD metadata is there, and that is never re-created.
    const found = await signature(ctx, p.disk);
    if (found === "drbd") return { status: "ok", note: "DRBD metadata on the disk" };
    return (await guardDevice(ctx, p.disk, "drbdadm create-md", undefined, { signature: found })) ?? { status: "change", reason: `create DRBD metadata on ${p.disk}` };
  },
  async apply(step, ctx) {
    const found = await signature(ctx, step.params.disk);
    if (found === "drbd") return;
    await assertSafe(ctx, step.params.disk, "drbdadm create-md");
    // Forced over a filesystem: drbdmeta refuses (exit 40) to put metadata over one it finds,
    // --force or not, so the signatures the user chose to overwrite are wiped first.
    if (found !== undefined && ctx.forced.has(step.params.disk)) await runAll(ctx, [["wipefs", "--all", step.params.disk]]);
    await runAll(ctx, step.params.commands);
  },
};

/**
 * Brings the resource up, or reconnects it when it sits StandAlone: after a peer came back
 * with settings it refused, or an admin's disconnect. `drbdadm adjust` connects it again;
 * a real split brain is detected again on that connect and left for a person to resolve.
 */
export const up: StepHandler<"drbd-up"> = {
  async check(step, ctx) {
    const s = await drbdState(ctx, step.params.resource);
    if (isUp(s) && s.cstate === "StandAlone") return { status: "change", reason: `reconnect ${step.params.resource} (StandAlone): drbdadm adjust` };
    if (isUp(s)) return { status: "ok" };
    if (await managedByPacemaker(ctx, step.params.resource)) return { status: "ok", note: "Pacemaker brings it up" };
    return { status: "change", reason: `drbdadm up ${step.params.resource}` };
  },
  async apply(step, ctx) {
    const s = await drbdState(ctx, step.params.resource);
    if (isUp(s) && s.cstate === "StandAlone") await runAll(ctx, [["drbdadm", "adjust", step.params.resource]]);
    else await runAll(ctx, step.params.commands);
  },
};

export const initialSync: StepHandler<"drbd-initial-sync"> = {
  async check(step, ctx) {
    const s = await drbdState(ctx, step.params.resource);
    if (s.dstate.includes("UpToDate")) return { status: "ok", note: s.dstate };
    if (await managedByPacemaker(ctx, step.params.resource)) return { status: "ok", note: "managed by Pacemaker" };
    if (!isUp(s)) return { status: "change", reason: `first sync of ${step.params.resource} once it is up` };
    return { status: "change", reason: step.params.mode === "skip" ? `clear the bitmap of ${step.params.resource} (blank disks, no sync)` : `full initial sync of ${step.params.resource} from ${ctx.t.host}` };
  },
  async apply(step, ctx) {
    // Both sides must see each other first, or the peer never learns the new generation.
    await pollUntil(ctx, 300, `${step.params.resource} connected`, async () => {
      const s = await drbdState(ctx, step.params.resource);
      return s.cstate === "Connected" ? { done: true, value: undefined } : { done: false, reason: `connection state ${s.cstate}` };
    });
    await runAll(ctx, step.params.commands);
  },
};

const SECTOR = 512;

/**
 * What DRBD offers on top of a backing disk of `backing` bytes with internal metadata, from
 * the LINBIT user guides' metadata size: ceil(sectors / 2^18) * 8 + 72 sectors for 8.4 (a
 * 4 GiB disk gives 8388280 sectors, as drbdadm dump-md's la-size-sect shows), and the bitmap
 * once per peer for DRBD 9.
 */
export function drbdUsableBytes(backing: number, dialect: DrbdDialect, peers: number): number {
  const sectors = Math.floor(backing / SECTOR);
  const bitmaps = dialect === "9" ? Math.max(peers, 1) : 1;
  return (sectors - (Math.ceil(sectors / 2 ** 18) * 8 * bitmaps + 72)) * SECTOR;
}

/**
 * Room a resize must find before it is called for: 1 MiB and 1/1024 of the disk. The guides'
 * formula is exact for 8.4; the allowance covers a DRBD 9 made with spare peer bitmaps
 * (32 KiB per GiB each), so a resource just created never shows a resize to make.
 */
export function resizeSlack(backing: number): number {
  return 1024 ** 2 + Math.floor(backing / 1024);
}

/** The backing disk's room and the device's size here; throws when the resource is not up here. */
async function drbdSizes(ctx: StepContext, p: { resource: string; disk: string; device: string; dialect: DrbdDialect; peers: number }): Promise<{ room: number; used: number; backing: number }> {
  // Comes after DRBD is promoted everywhere: only a plan meets it down, and the runner reports it pending there.
  if ((await probe(ctx, "test", ["-b", p.device])).code !== 0) throw new Error(`${p.resource} is not up on ${ctx.t.host} (no ${p.device})`);
  const backing = await blockDeviceBytes(ctx, p.disk);
  return { backing, room: drbdUsableBytes(backing, p.dialect, p.peers), used: await blockDeviceBytes(ctx, p.device) };
}

export const resize: StepHandler<"drbd-resize"> = {
  async check(step, ctx) {
    const p = step.params;
    const s = await drbdSizes(ctx, p);
    if (s.room - s.used < resizeSlack(s.backing)) return { status: "ok" };
    return { status: "change", reason: `drbdadm resize ${p.resource}: ${p.disk} on ${ctx.t.host} is ${formatBytes(s.backing)}, ${p.device} ${formatBytes(s.used)} (the other nodes' disks must have grown too)` };
  },
  async apply(step, ctx) {
    const p = step.params;
    await runAll(ctx, p.commands);
    // DRBD grows to the smallest backing disk of all nodes and says nothing when that is the old size.
    const s = await drbdSizes(ctx, p);
    if (s.room - s.used >= resizeSlack(s.backing)) {
      throw new RefusedError({
        status: "refuse",
        reason: `${p.device} is still ${formatBytes(s.used)} after drbdadm resize ${p.resource}: DRBD grows to the smallest backing disk of all nodes, so another node's has not grown`,
        hint: `grow ${p.resource}'s backing disk on every node (drbd.resources[].disk or disks in the spec), then apply again`,
      });
    }
  },
};
