import { StepNotConvergedError } from "../errors.js";
import type { Facts, Read } from "../probes/facts.js";
import { deviceBytes, deviceBytesReads, drbdReads, drbdState, isUp, managedByPacemaker, managedReads, signature, signatureReads } from "../probes/node.js";
import type { DrbdDialect } from "../spec/types.js";
import { guardDevice } from "./devices.js";
import { formatBytes } from "./sizes.js";
import type { StepHandler } from "./types.js";
import { pollUntil, runAll } from "./util.js";

export const createMd: StepHandler<"drbd-create-md"> = {
  reads: (step) => [...drbdReads(step.params.resource), ...signatureReads(step.params.disk)],
  check(step, f, env) {
    const p = step.params;
    if (isUp(drbdState(f, p.resource))) return { status: "ok", note: "attached" };
    // The disk's own bytes say whether DRBD metadata (internal, at its end) is there; blkid
    // knows DRBD 8.4's and 9's. Metadata found is never re-created. (Not `drbdadm dump-md`:
    // it fails while Pacemaker brings the resource up, and costs a process start.)
    const found = signature(f, p.disk);
    if (found === "drbd") return { status: "ok", note: "DRBD metadata on the disk" };
    return guardDevice(f, env, p.disk, "drbdadm create-md") ?? { status: "change", reason: `create DRBD metadata on ${p.disk}${found === undefined ? "" : ` (forced over ${found})`}` };
  },
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};

/**
 * Brings the resource up, or reconnects it when it sits StandAlone: after a peer came back
 * with settings it refused, or an admin's disconnect. `drbdadm adjust` connects it again;
 * a real split brain is detected again on that connect and left for a person to resolve.
 */
export const up: StepHandler<"drbd-up"> = {
  reads: (step) => [...drbdReads(step.params.resource), ...managedReads(step.params.resource)],
  check(step, f) {
    const s = drbdState(f, step.params.resource);
    if (isUp(s) && s.cstate === "StandAlone") return { status: "change", reason: `reconnect ${step.params.resource} (StandAlone): drbdadm adjust` };
    if (isUp(s)) return { status: "ok" };
    if (managedByPacemaker(f, step.params.resource)) return { status: "ok", note: "Pacemaker brings it up" };
    return { status: "change", reason: `drbdadm up ${step.params.resource}` };
  },
  async apply(step, ctx, f) {
    const s = drbdState(f, step.params.resource);
    await runAll(ctx, isUp(s) && s.cstate === "StandAlone" ? step.params.reconnect : step.params.commands);
  },
};

export const initialSync: StepHandler<"drbd-initial-sync"> = {
  reads: (step) => [...drbdReads(step.params.resource), ...managedReads(step.params.resource)],
  check(step, f, env) {
    const s = drbdState(f, step.params.resource);
    if (s.dstate.includes("UpToDate")) return { status: "ok", note: s.dstate };
    if (managedByPacemaker(f, step.params.resource)) return { status: "ok", note: "managed by Pacemaker" };
    if (!isUp(s)) return { status: "change", reason: `first sync of ${step.params.resource} once it is up` };
    return { status: "change", reason: step.params.mode === "skip" ? `clear the bitmap of ${step.params.resource} (blank disks, no sync)` : `full initial sync of ${step.params.resource} from ${env.host}` };
  },
  async apply(step, ctx) {
    // Both sides must see each other first, or the peer never learns the new generation.
    await pollUntil(ctx, 300, `${step.params.resource} connected`, async () => {
      const s = drbdState(await ctx.read(drbdReads(step.params.resource)), step.params.resource);
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

type SizeParams = { resource: string; disk: string; device: string; dialect: DrbdDialect; peers: number };

const sizesReads = (p: SizeParams): Read[] => [...signatureReads(p.device), ...deviceBytesReads(p.disk), ...deviceBytesReads(p.device)];

/** The backing disk's room and the device's size here, or why they cannot be known yet. */
function drbdSizes(f: Facts, p: SizeParams): { room: number; used: number; backing: number } | { why: string } {
  // Comes after DRBD is promoted everywhere: only a plan meets it down.
  if (signature(f, p.device) === "missing") return { why: `${p.resource} is not up on ${f.host} (no ${p.device})` };
  const backing = deviceBytes(f, p.disk);
  const used = deviceBytes(f, p.device);
  if (backing === undefined || used === undefined) return { why: `cannot read the sizes of ${p.disk} and ${p.device} (blockdev --getsize64)` };
  return { backing, room: drbdUsableBytes(backing, p.dialect, p.peers), used };
}

export const resize: StepHandler<"drbd-resize"> = {
  reads: (step) => sizesReads(step.params),
  check(step, f, env) {
    const p = step.params;
    const s = drbdSizes(f, p);
    if ("why" in s) return { status: "pending", why: s.why };
    if (s.room - s.used < resizeSlack(s.backing)) return { status: "ok" };
    return { status: "change", reason: `drbdadm resize ${p.resource}: ${p.disk} on ${env.host} is ${formatBytes(s.backing)}, ${p.device} ${formatBytes(s.used)} (the other nodes' disks must have grown too)` };
  },
  async apply(step, ctx) {
    const p = step.params;
    await runAll(ctx, p.commands);
    // DRBD grows to the smallest backing disk of all nodes and says nothing when that is the old
    // size. The check could not have known: a step judges its own node's facts, and the peers'
    // disks are not among them. So this is no refusal but a resize that did not take, told with
    // its cause rather than left for the runner to report as a step that did not converge.
    const s = drbdSizes(await ctx.read(sizesReads(p)), p);
    if (!("why" in s) && s.room - s.used >= resizeSlack(s.backing)) {
      throw new StepNotConvergedError(
        `${p.device} is still ${formatBytes(s.used)} after drbdadm resize ${p.resource}: DRBD grows to the smallest backing disk of all nodes, so another node's has not grown`,
        `grow ${p.resource}'s backing disk on every node (drbd.resources[].disk or disks in the spec), then apply again`,
      );
    }
  },
};
