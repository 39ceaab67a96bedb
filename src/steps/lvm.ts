import type { Facts } from "../probes/facts.js";
import { devicesFileListing, devicesFileReads, isPv, lvSize, lvSizeReads, pvOwner, pvReads, pvSizes, pvSizesReads, vgLockType, vgReads } from "../probes/lvm.js";
import { deviceBytes, deviceBytesReads, signature, signatureReads } from "../probes/node.js";
import { guardDevice } from "./devices.js";
import { drbdUsableBytes, resizeSlack } from "./drbd.js";
import { formatBytes, sizeBytes, specSize } from "./sizes.js";
import type { CheckResult, StepHandler } from "./types.js";
import { runAll } from "./util.js";

export const pvcreate: StepHandler<"pvcreate"> = {
  reads: (step) => [...pvReads(step.params.device), ...signatureReads(step.params.device)],
  check(step, f, env) {
    const device = step.params.device;
    if (isPv(f, device)) return { status: "ok" };
    // The DRBD device appears once DRBD is up and promoted, which earlier steps do.
    const found = signature(f, device);
    if (found === "missing") return { status: "change", reason: `pvcreate ${device} (once DRBD provides it)` };
    return guardDevice(f, env, device, "pvcreate") ?? { status: "change", reason: `pvcreate ${device}${found === undefined ? "" : ` (forced over ${found})`}` };
  },
  // Forced, the compiled command is pvcreate -ff -y: a plain one would stop to ask before
  // wiping the signature the user chose to overwrite.
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};

export const pvresize: StepHandler<"pvresize"> = {
  reads: (step) => [...pvSizesReads(step.params.device), ...deviceBytesReads(step.params.drbd.disk)],
  check(step, f) {
    const p = step.params;
    // Comes after pvcreate: only a plan meets no PV.
    const s = pvSizes(f, p.device);
    if ("why" in s) return { status: "pending", why: s.why };
    // pvresize adds whole extents: less than one more is nothing to take in.
    if (s.dev - s.peStart - s.pv >= s.extent) return { status: "change", reason: `pvresize ${p.device}: the device is ${formatBytes(s.dev)}, the PV ${formatBytes(s.pv)}` };
    // In a plan, drbdadm resize may still be to come: the pvresize it calls for is listed now.
    const backing = deviceBytes(f, p.drbd.disk);
    if (backing === undefined) return { status: "pending", why: `cannot read the size of ${p.drbd.disk}` };
    const planned = drbdUsableBytes(backing, p.drbd.dialect, p.drbd.peers) - resizeSlack(backing);
    if (planned - s.peStart - s.pv >= s.extent) return { status: "change", reason: `pvresize ${p.device} after drbdadm resize ${p.drbd.resource}` };
    return { status: "ok" };
  },
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};

export const vgcreate: StepHandler<"vgcreate"> = {
  reads: (step) => [...vgReads(step.params.vg), ...step.params.pvs.flatMap((pv) => [...pvReads(pv), ...signatureReads(pv)])],
  check(step, f, env) {
    const p = step.params;
    const lockType = vgLockType(f, p.vg);
    if (lockType !== undefined) {
      if (p.locking === "lvmlockd" && lockType !== "dlm") return { status: "refuse", reason: `VG ${p.vg} exists but is not shared (lock type '${lockType || "none"}')`, hint: `convert it with vgchange --lock-type dlm ${p.vg} (cluster running), or rename the VG in the spec` };
      return { status: "ok" };
    }
    for (const pv of p.pvs) {
      const owner = pvOwner(f, pv);
      if (owner && owner !== p.vg) return { status: "refuse", reason: `${pv} already belongs to VG ${owner}`, hint: "a PV belongs to one VG; pick another device or VG name" };
      // Only a PV label (pvcreate's work) may be on the device.
      const refusal = signature(f, pv) === "missing" ? undefined : guardDevice(f, env, pv, "vgcreate", "LVM2_member");
      if (refusal) return refusal;
    }
    return { status: "change", reason: `vgcreate ${p.vg} on ${p.pvs.join(" ")}` };
  },
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};

/** An LV's size as a check can use it: the size, "absent", or pending with the reason LVM gave. */
function lvOrPending(f: Facts, vg: string, lv: string): { bytes: number; extent: number } | "absent" | Extract<CheckResult, { status: "pending" }> {
  const have = lvSize(f, vg, lv);
  return typeof have === "object" && "why" in have ? { status: "pending", why: have.why } : have;
}

export const lvcreate: StepHandler<"lvcreate"> = {
  reads: (step) => lvSizeReads(step.params.vg, step.params.lv),
  check(step, f) {
    const p = step.params;
    const have = lvOrPending(f, p.vg, p.lv);
    if (have === "absent") return { status: "change", reason: `lvcreate ${p.vg}/${p.lv} (${p.size})` };
    if ("status" in have) return have;
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
  reads: (step) => lvSizeReads(step.params.vg, step.params.lv),
  check(step, f) {
    const p = step.params;
    // Comes after lvcreate: only a plan meets no LV.
    const have = lvOrPending(f, p.vg, p.lv);
    if (have === "absent") return { status: "pending", why: `no LV ${p.vg}/${p.lv} yet` };
    if ("status" in have) return have;
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

const lvDevice = (p: { vg: string; lv: string }) => `/dev/${p.vg}/${p.lv}`;

export const lvRefresh: StepHandler<"lv-refresh"> = {
  reads: (step) => [...lvSizeReads(step.params.vg, step.params.lv), ...deviceBytesReads(lvDevice(step.params))],
  check(step, f) {
    const p = step.params;
    // Comes after lvcreate: only a plan meets no LV.
    const lv = lvOrPending(f, p.vg, p.lv);
    if (lv === "absent") return { status: "pending", why: `no LV ${p.vg}/${p.lv} yet` };
    if ("status" in lv) return lv;
    // Only an active LV has a kernel size; activating it later reads the current metadata.
    const kernel = deviceBytes(f, lvDevice(p));
    if (kernel === undefined) return { status: "ok", note: "not active here" };
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

/** `lvmdevices` lists `Device /dev/drbd0 IDTYPE=devname IDNAME=/dev/drbd0 DEVNAME=/dev/drbd0 PVID=…`. */
export function listsDevice(lvmdevices: string, device: string): boolean {
  return lvmdevices.split(/\s+/).some((token) => token === `IDNAME=${device}` || token === `DEVNAME=${device}`);
}

export const lvmDevice: StepHandler<"lvm-device"> = {
  reads: () => devicesFileReads(),
  check(step, f) {
    // Creating a devices file where there is none would hide every other PV on the node.
    const listed = devicesFileListing(f);
    if (listed === undefined) return { status: "ok", note: "no LVM devices file in use: lvmlocal.conf's filter decides" };
    if (listsDevice(listed, step.params.device)) return { status: "ok" };
    return { status: "change", reason: `lvmdevices --adddev ${step.params.device}` };
  },
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};
