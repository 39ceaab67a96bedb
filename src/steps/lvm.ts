import { assertSafe, guardDevice, signature } from "./devices.js";
import type { StepHandler } from "./types.js";
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

export const lvcreate: StepHandler<"lvcreate"> = {
  async check(step, ctx) {
    const r = await probe(ctx, "lvs", ["--noheadings", "-o", "lv_name", `${step.params.vg}/${step.params.lv}`]);
    return r.code === 0 ? { status: "ok" } : { status: "change", reason: `lvcreate ${step.params.vg}/${step.params.lv} (${step.params.size})` };
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
