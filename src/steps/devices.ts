import type { CheckResult, StepContext } from "./types.js";
import { probe, run } from "./util.js";

/**
 * What lives on a block device, from its own bytes (blkid -p reads the device, not a cache).
 * undefined = no signature; "missing" = no such block device.
 */
export async function signature(ctx: StepContext, device: string): Promise<string | undefined> {
  const exists = await probe(ctx, "test", ["-b", device]);
  if (exists.code !== 0) return "missing";
  const r = await probe(ctx, "blkid", ["-p", "-o", "export", device]);
  if (r.code === 2) return undefined;
  const fields = Object.fromEntries(r.stdout.split("\n").filter((l) => l.includes("=")).map((l) => l.split("=", 2) as [string, string]));
  return fields.TYPE ?? (fields.PTTYPE ? `partition table ${fields.PTTYPE}` : r.code === 0 ? "an unknown signature" : `unreadable (blkid exit ${r.code})`);
}

/** The size of a block device as this node's kernel sees it, in bytes. */
export async function blockDeviceBytes(ctx: StepContext, device: string): Promise<number> {
  const out = (await run(ctx, "blockdev", ["--getsize64", device])).stdout.trim();
  if (!/^[0-9]+$/.test(out)) throw new Error(`${ctx.t.host}: blockdev --getsize64 ${device} printed '${out}', not a size`);
  return Number(out);
}

/**
 * The data-safety line: refuse to write over a signature unless this device is forced.
 * `seen` is the device's signature when the caller has just read it (saves a second blkid).
 */
export async function guardDevice(ctx: StepContext, device: string, action: string, expected?: string, seen?: { signature: string | undefined }): Promise<CheckResult | undefined> {
  const found = seen ? seen.signature : await signature(ctx, device);
  if (found === "missing") return { status: "refuse", reason: `${device} does not exist on ${ctx.t.host}`, hint: "check the device path in the spec (ls -l /dev/disk/by-id/ on the node)" };
  if (found === undefined || found === expected) return undefined;
  if (ctx.forced.has(device)) {
    ctx.log(`${device} holds ${found}; overwriting because --force-device ${device} was given`);
    return undefined;
  }
  return { status: "refuse", reason: `${device} on ${ctx.t.host} already holds ${found}; ${action} would destroy it`, hint: `move the data away, or pass --force-device ${device} to overwrite it on purpose` };
}

export class RefusedError extends Error {
  constructor(readonly result: Extract<CheckResult, { status: "refuse" }>) {
    super(result.reason);
  }
}

/** Re-checks right before a destructive command: the state may have changed since `check`. */
export async function assertSafe(ctx: StepContext, device: string, action: string, expected?: string): Promise<void> {
  const refusal = await guardDevice(ctx, device, action, expected);
  if (refusal?.status === "refuse") throw new RefusedError(refusal);
}
