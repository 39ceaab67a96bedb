import type { DrbdRef, LvRef, ResolvedVolumeGroup } from "../../spec/refs.js";
import type { NodeSpec } from "../../spec/types.js";
import type { StepId } from "../builder.js";
import { ids } from "../cib.js";
import type { CibBase } from "./cib.js";
import { type Build, isEl, root, STOP_TIMEOUT_SEC, type Teardown } from "./context.js";
import type { ResizedResource } from "./drbd.js";
import { Handles, perNode } from "./handles.js";
import type { Prepared } from "./prepare.js";

/** LVM reads lvmlocal.conf before lvm.conf; the DRBD backing disks are never scanned for PVs. */
export function lvmConfig(c: Build, prepared: Prepared): Handles<NodeSpec, StepId> {
  return perNode(c.spec.nodes, (n) => {
    const rejects = c.spec.refs.resources.map((r) => regexEscape(r.diskOn(n)));
    const content = c.templates.render("lvm/lvmlocal.conf", { lvmlockd: c.spec.lvm.locking === "lvmlockd", clvmd: c.spec.lvm.locking === "clvmd", rejects });
    return c.steps.add({ id: `${n.name}/lvm/conf`, host: n.name, kind: "file", params: { path: "/etc/lvm/lvmlocal.conf", content, mode: 0o644, ...root }, dependsOn: [prepared.nodes.of(n).packages], source: "lvm", phase: "locking", title: "LVM: lock manager and DRBD-only PV scan" });
  });
}

function regexEscape(path: string): string {
  return path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A logical volume of the shared storage. */
export interface Volume {
  created: StepId;
  /** At its spec size: its lvextend, or its lvcreate where the size is relative. */
  grown: StepId;
  /** Its size where absolute: only that is kept after creation (100%FREE meant what there was then). */
  size: string | undefined;
  /** Every other node's kernel has LVM's size of it (lvmlockd only). */
  refreshed: StepId[];
}

/** Shared storage, created once from the first node. */
export function lvm(c: Build, base: CibBase, resized: Handles<DrbdRef, ResizedResource>, lvmConf: Handles<NodeSpec, StepId>): Handles<LvRef, Volume> {
  return Handles.from(
    (lv: LvRef) => `${lv.vg}/${lv.lv}`,
    c.spec.refs.volumeGroups.flatMap((vg) => volumeGroup(c, vg, base, resized, lvmConf)),
  );
}

function volumeGroup(c: Build, vg: ResolvedVolumeGroup, base: CibBase, resized: Handles<DrbdRef, ResizedResource>, lvmConf: Handles<NodeSpec, StepId>): (readonly [LvRef, Volume])[] {
  const { spec, steps, first } = c;
  const lvmlockd = spec.lvm.locking === "lvmlockd";
  const devices = vg.pvs.map((pv) => pv.path);
  const pvs = vg.pvs.map((pv, j) => {
    const { path: device } = pv;
    const source = `${vg.source}.pvs[${j}]`;
    // EL8/EL9 LVM may read a devices file: every node must list the DRBD device in it or
    // ignore the PV the first node makes there.
    const listed = isEl(spec) && lvmlockd
      ? spec.nodes.map((n) => steps.add({ id: `${n.name}/lvm/devices/drbd${pv.minor}`, host: n.name, kind: "lvm-device", params: { device, commands: [["lvmdevices", "--adddev", device]] }, dependsOn: [base.running], source, phase: "storage", title: `${device} in the LVM devices file (where one is used)` }))
      : [];
    const created = steps.add({ id: `cluster/lvm/pv/drbd${pv.minor}`, host: first.name, kind: "pvcreate", params: { device, commands: [c.forced.has(device) ? ["pvcreate", "-ff", "-y", device] : ["pvcreate", device]] }, dependsOn: [base.running, ...listed], source, phase: "storage", title: `PV on ${device}`, destructive: true });
    const drbd = resized.of(pv);
    const grown = steps.add({ id: `${created}/resize`, host: first.name, kind: "pvresize", params: { device, drbd: drbd.growth, commands: [["pvresize", device]] }, dependsOn: [created, drbd.resize, lvmConf.of(first)], source, phase: "grow", title: `PV on ${device} fills it` });
    return { created, grown };
  });
  const shared = lvmlockd ? ["--shared"] : ["--clustered", "y"];
  const vgcreate = steps.add({
    id: `cluster/lvm/vg/${vg.name}`,
    host: first.name,
    kind: "vgcreate",
    params: { vg: vg.name, pvs: devices, locking: spec.lvm.locking, commands: [["vgcreate", ...shared, vg.name, ...devices]] },
    dependsOn: pvs.map((pv) => pv.created),
    source: vg.source,
    phase: "storage",
    title: `${lvmlockd ? "shared" : "clustered"} VG ${vg.name}`,
    destructive: true,
  });
  return vg.logicalVolumes.map((lv) => {
    const relative = lv.size.includes("%");
    const sizeArgs = relative ? ["-l", lv.size] : ["-L", lv.size];
    const activation = lvmlockd ? ["--activate", "n"] : [];
    // A shared VG's lockspace must be started on this node before it can take LV locks.
    const lockstart = lvmlockd ? [["vgchange", "--lockstart", vg.name]] : [];
    const key = `${vg.name}/${lv.name}`;
    const created = steps.add({ id: `cluster/lvm/lv/${key}`, host: first.name, kind: "lvcreate", params: { vg: vg.name, lv: lv.name, size: lv.size, commands: [...lockstart, ["lvcreate", ...activation, ...sizeArgs, "-n", lv.name, vg.name]] }, dependsOn: [vgcreate], source: lv.source, phase: "storage", title: `LV ${key} (${lv.size})` });
    const grown = relative
      ? created
      : steps.add({ id: `cluster/lvm/lv/${key}/extend`, host: first.name, kind: "lvextend", params: { vg: vg.name, lv: lv.name, size: lv.size, commands: [...lockstart, ["lvextend", "-L", lv.size, key]] }, dependsOn: [created, ...pvs.map((pv) => pv.grown)], source: `${lv.source}.size`, phase: "grow", title: `LV ${key} is ${lv.size}` });
    // The first node's own kernel takes the new size with its lvextend. A refresh asks this
    // node's LVM, so it comes after this node's lvmlocal.conf: a plan then reports it pending
    // behind a drifted one instead of failing on what LVM without lvmlockd cannot see.
    const refreshed = lvmlockd
      ? spec.nodes.slice(1).map((n) =>
          steps.add({ id: `${n.name}/lvm/lv/${key}/refresh`, host: n.name, kind: "lv-refresh", params: { vg: vg.name, lv: lv.name, ...(relative ? {} : { size: lv.size }), commands: [["lvchange", "--refresh", key]] }, dependsOn: [grown, lvmConf.of(n)], source: lv.source, phase: "grow", title: `LV ${key}: the kernel has LVM's size` }),
        )
      : [];
    return [lv.device, { created, grown, size: relative ? undefined : lv.size, refreshed }] as const;
  });
}

/** Teardown: LVs inactive everywhere, VG by VG; removed (with their VG and PV labels) only when wiping. */
export function teardownLvm(t: Teardown, after: StepId[]): StepId[] {
  return t.spec.refs.volumeGroups.reduce((done, vg) => teardownVolumeGroup(t, vg, done), after);
}

function teardownVolumeGroup(t: Teardown, vg: ResolvedVolumeGroup, after: StepId[]): StepId[] {
  const lvmlockd = t.spec.lvm.locking === "lvmlockd";
  const lvs = vg.logicalVolumes.map((lv) => lv.name);
  const deactivated = t.spec.nodes.map((n) =>
    t.steps.add({ id: `${n.name}/destroy/lvm/${vg.name}/deactivate`, host: n.name, kind: "lv-deactivate", params: { vg: vg.name, lvs, lockstop: lvmlockd }, dependsOn: after, source: vg.source, phase: "teardown-lvm", title: `LVs of ${vg.name} inactive${lvmlockd ? ", lockspace stopped" : ""}${t.wipe ? "" : " (data kept)"}` }),
  );
  if (!t.wipe) return [...after, ...deactivated];
  const pvs = vg.pvs.map((pv) => pv.path);
  const lvCommands = vg.logicalVolumes.flatMap(({ device: lv }) => {
    const name = `${lv.vg}/${lv.lv}`;
    return [["lvchange", "--activate", "ey", name], ["wipefs", "--all", lv.path], ["lvchange", "--activate", "n", name], ["lvremove", "-y", name]];
  });
  // lvmlockd removes a shared VG only from a node holding its lockspace, once every other node left it.
  const commands = [...(lvmlockd ? [["vgchange", "--lockstart", vg.name]] : []), ...lvCommands, ["vgremove", "-y", vg.name]];
  return [
    t.steps.add({
      id: `cluster/destroy/lvm/${vg.name}/remove`,
      host: t.first.name,
      kind: "lvm-remove",
      params: { vg: vg.name, lvs, pvs, commands, pvremove: pvs.map((pv) => ["pvremove", "-y", pv]) },
      dependsOn: [...after, ...deactivated],
      source: vg.source,
      phase: "teardown-lvm",
      title: `VG ${vg.name}, its LVs and PV labels on ${pvs.join(", ")} removed`,
      destructive: true,
    }),
  ];
}

/** Teardown: dlm and the lock manager leave the CIB once no LV is active. */
export function removeLocking(t: Teardown, after: StepId[]): StepId {
  return t.steps.add({
    id: "cluster/destroy/cib/locking",
    host: t.first.name,
    kind: "cib-remove",
    params: { stage: "locking", resources: [{ id: ids.lockingClone, stonith: false }], timeoutSec: STOP_TIMEOUT_SEC },
    dependsOn: after,
    source: "lvm.locking",
    phase: "teardown-locking",
    title: `CIB: dlm/${t.spec.lvm.locking} clone stopped and removed`,
  });
}
