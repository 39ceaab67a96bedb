import { assertSafe, blockDeviceBytes, guardDevice, signature } from "./devices.js";
import { drbdUsableBytes, resizeSlack } from "./drbd.js";
import { formatBytes, sizeBytes, specSize } from "./sizes.js";
import type { StepContext, StepHandler } from "./types.js";
import { probe, runAll } from "./util.js";

export const pvcreate: StepHandler<"pvcreate"> = {
  async check(step, ctx) {
    const r = await probe(ctx, "pvs", ["--noheadings", "-o", "pv_name", step.params.device]);
    if (r.code === 0) return { status: "ok" };
    // The DRBD device appears once DRBD is up and promoted, which earlier steps do.
    const found = await signature(ctx, step.params.device);
    if (found === "missing") return { status: "change", reason: `pvcreate ${step.params.device} (once DRBD provides it)` };
    return (await guardDevice(ctx, step.params.device, "pvcreate", undefined, { signature: found })) ?? { status: "change", reason: `pvcreate ${step.params.device}` };
  },
  async apply(step, ctx) {
    const device = step.params.device;
    await assertSafe(ctx, device, "pvcreate");
    // Forced: pvcreate would stop to ask before wiping the signature we were told to overwrite.
    const commands = step.params.commands.map((argv) => (ctx.forced.has(device) && argv[0] === "pvcreate" ? ["pvcreate", "-ff", "-y", ...argv.slice(1)] : argv));
    await runAll(ctx, commands);
  },
};

/** A PV's size, its device's and where its data starts, with its VG's extent size, in bytes. */
async function pvSizes(ctx: StepContext, device: string): Promise<{ pv: number; dev: number; peStart: number; extent: number }> {
  const r = await probe(ctx, "pvs", ["--noheadings", "--units", "b", "--nosuffix", "-o", "pv_size,dev_size,pe_start,vg_extent_size", device]);
  // Comes after pvcreate: only a plan meets no PV, and the runner reports the step pending there.
  if (r.code !== 0) throw new Error(`${ctx.t.host}: pvs ${device} exited ${r.code}: ${r.stderr.trim().split("\n")[0] ?? ""}`);
  const [pv, dev, peStart, extent] = r.stdout.trim().split(/\s+/).map(Number);
  if (![pv, dev, peStart, extent].every((n) => Number.isSafeInteger(n) && (n as number) > 0)) throw new Error(`${ctx.t.host}: cannot read the sizes of PV ${device} from pvs: '${r.stdout.trim()}'`);
  return { pv: pv as number, dev: dev as number, peStart: peStart as number, extent: extent as number };
}

export const pvresize: StepHandler<"pvresize"> = {
  async check(step, ctx) {
    const p = step.params;
    const s = await pvSizes(ctx, p.device);
    // pvresize adds whole extents: less than one more is nothing to take in.
    if (s.dev - s.peStart - s.pv >= s.extent) return { status: "change", reason: `pvresize ${p.device}: the device is ${formatBytes(s.dev)}, the PV ${formatBytes(s.pv)}` };
    // In a plan, drbdadm resize may still be to come: the pvresize it calls for is listed now.
    const backing = await blockDeviceBytes(ctx, p.drbd.disk);
    const planned = drbdUsableBytes(backing, p.drbd.dialect, p.drbd.peers) - resizeSlack(backing);
    if (planned - s.peStart - s.pv >= s.extent) return { status: "change", reason: `pvresize ${p.device} after drbdadm resize ${p.drbd.resource}` };
    return { status: "ok" };
  },
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};

export const vgcreate: StepHandler<"vgcreate"> = {
  async check(step, ctx) {
    const p = step.params;
    const r = await probe(ctx, "vgs", ["--noheadings", "-o", "vg_lock_type", p.vg]);
    if (r.code === 0) {
      const lockType = r.stdout.trim();
      if (p.locking === "lvmlockd" && lockType !== "dlm") return { status: "refuse", reason: `VG ${p.vg} exists but is not shared (lock type '${lockType || "none"}')`, hint: `convert it with vgchange --lock-type dlm ${p.vg} (cluster running), or rename the VG in the spec` };
      return { status: "ok" };
    }
    for (const pv of p.pvs) {
      const owner = (await probe(ctx, "pvs", ["--noheadings", "-o", "vg_name", pv])).stdout.trim();
      if (owner && owner !== p.vg) return { status: "refuse", reason: `${pv} already belongs to VG ${owner}`, hint: "a PV belongs to one VG; pick another device or VG name" };
    }
    return { status: "change", reason: `vgcreate ${p.vg} on ${p.pvs.join(" ")}` };
  },
  async apply(step, ctx) {
    for (const pv of step.params.pvs) await assertSafe(ctx, pv, "vgcreate", "LVM2_member");
    await runAll(ctx, step.params.commands);
  },
};

/** An LV's size in LVM's metadata and its VG's extent size, in bytes; undefined when there is no such LV. */
async function lvSize(ctx: StepContext, vg: string, lv: string): Promise<{ bytes: number; extent: number } | undefined> {
  const r = await probe(ctx, "lvs", ["--noheadings", "--units", "b", "--nosuffix", "-o", "lv_size,vg_extent_size", `${vg}/${lv}`]);
  // Only a missing VG or LV means "no such LV". LVM that cannot reach a shared VG (no
  // use_lvmlockd here, lockspace not started) knows nothing about it, and must not be taken at its word.
  if (r.code !== 0 && /not found|Failed to find/.test(r.stderr)) return undefined;
  if (r.code !== 0) throw new Error(`${ctx.t.host}: lvs ${vg}/${lv} exited ${r.code}: ${r.stderr.trim().split("\n")[0] ?? ""}`);
  const [bytes, extent] = r.stdout.trim().split(/\s+/).map(Number);
  if (!Number.isSafeInteger(bytes) || !Number.isSafeInteger(extent)) throw new Error(`${ctx.t.host}: cannot read the size of ${vg}/${lv} from lvs: '${r.stdout.trim()}'`);
  return { bytes: bytes as number, extent: extent as number };
}

export const lvcreate: StepHandler<"lvcreate"> = {
  async check(step, ctx) {
    const p = step.params;
    const have = await lvSize(ctx, p.vg, p.lv);
    if (!have) return { status: "change", reason: `lvcreate ${p.vg}/${p.lv} (${p.size})` };
    // 100%FREE or 50%VG meant "what there was when it was made": an existing LV is kept as it is.
    const want = sizeBytes(p.size);
    if (want === undefined) return { status: "ok" };
    // LVM rounds a size up to whole extents: anything from the asked size to one extent more is it.
    if (have.bytes < want) return { status: "ok", note: `${formatBytes(have.bytes)}, smaller than the spec's ${p.size}: the grow phase extends it` };
    if (have.bytes >= want + have.extent) {
      return {
        status: "refuse",
        reason: `LV ${p.vg}/${p.lv} is ${formatBytes(have.bytes)}, the spec says ${p.size}: GFS2 cannot shrink, so gfsdeploy never reduces an LV`,
        hint: `set its size to ${specSize(have.bytes)} (or more) in the spec; for a smaller filesystem, make a new LV and filesystem and copy the data over`,
      };
    }
    return { status: "ok" };
  },
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};

export const lvextend: StepHandler<"lvextend"> = {
  async check(step, ctx) {
    const p = step.params;
    // Comes after lvcreate: only a plan meets no LV, and the runner reports the step pending there.
    const have = await lvSize(ctx, p.vg, p.lv);
    if (!have) throw new Error(`no LV ${p.vg}/${p.lv} yet`);
    const want = sizeBytes(p.size) ?? 0;
    return have.bytes < want ? { status: "change", reason: `lvextend ${p.vg}/${p.lv} from ${formatBytes(have.bytes)} to ${p.size}` } : { status: "ok" };
  },
  // With lvmlockd the LV is active shared on every node. lvextend normally wants the LV's
  // exclusive lock; with GFS2 mounted on this node, LVM (2.03.03 and later) extends under the
  // shared lock instead: no deactivation, no --lockopt. The other nodes' kernels keep the old
  // size unless lvmlockd has dlm control: the lv-refresh steps see to them.
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};

export const lvRefresh: StepHandler<"lv-refresh"> = {
  async check(step, ctx) {
    const p = step.params;
    const device = `/dev/${p.vg}/${p.lv}`;
    // Comes after lvcreate: only a plan meets no LV, and the runner reports the step pending there.
    const lv = await lvSize(ctx, p.vg, p.lv);
    if (!lv) throw new Error(`no LV ${p.vg}/${p.lv} yet`);
    // Only an active LV has a kernel size; activating it later reads the current metadata.
    if ((await probe(ctx, "test", ["-b", device])).code !== 0) return { status: "ok", note: "not active here" };
    const kernel = await blockDeviceBytes(ctx, device);
    if (kernel < lv.bytes) return { status: "change", reason: `lvchange --refresh ${p.vg}/${p.lv}: the kernel has ${formatBytes(kernel)}, LVM ${formatBytes(lv.bytes)}` };
    // In a plan, the first node's lvextend is still to come: this node will need the refresh after it.
    const want = p.size === undefined ? undefined : sizeBytes(p.size);
    if (want !== undefined && kernel < want) return { status: "change", reason: `lvchange --refresh ${p.vg}/${p.lv} after the lvextend to ${p.size}` };
    return { status: "ok" };
  },
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};

const DEVICES_FILE = "/etc/lvm/devices/system.devices";

/**
 * Whether LVM on this node reads a devices file: use_devicesfile on (EL9's default) and the
 * file present. Without the file LVM falls back to the lvm.conf filter even when it is on.
 */
async function devicesFileInUse(ctx: Parameters<StepHandler<"lvm-device">["check"]>[1]): Promise<boolean> {
  const setting = await probe(ctx, "lvmconfig", ["--typeconfig", "full", "devices/use_devicesfile"]);
  if (!/use_devicesfile\s*=\s*1/.test(setting.stdout)) return false;
  return (await probe(ctx, "test", ["-e", DEVICES_FILE])).code === 0;
}

/** `lvmdevices` lists `Device /dev/drbd0 IDTYPE=devname IDNAME=/dev/drbd0 DEVNAME=/dev/drbd0 PVID=…`. */
export function listsDevice(lvmdevices: string, device: string): boolean {
  return lvmdevices.split(/\s+/).some((token) => token === `IDNAME=${device}` || token === `DEVNAME=${device}`);
}

export const lvmDevice: StepHandler<"lvm-device"> = {
  async check(step, ctx) {
    // Creating a devices file where there is none would hide every other PV on the node.
    if (!(await devicesFileInUse(ctx))) return { status: "ok", note: "no LVM devices file in use: lvmlocal.conf's filter decides" };
    const listed = await probe(ctx, "lvmdevices", []);
    if (listsDevice(listed.stdout, step.params.device)) return { status: "ok" };
    return { status: "change", reason: `lvmdevices --adddev ${step.params.device}` };
  },
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};
