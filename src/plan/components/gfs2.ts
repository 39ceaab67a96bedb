import { gfs2LockTable } from "../../spec/defaults.js";
import type { DeviceRef, DrbdRef, LvRef } from "../../spec/refs.js";
import type { NodeSpec } from "../../spec/types.js";
import type { StepId } from "../builder.js";
import { ids } from "../cib.js";
import type { CibBase } from "./cib.js";
import { type Build, STOP_TIMEOUT_SEC, type Teardown } from "./context.js";
import type { ResizedResource } from "./drbd.js";
import type { Handles } from "./handles.js";
import type { Volume } from "./lvm.js";

/** mkfs.gfs2 of every filesystem, from the first node, on its LV or straight on DRBD. */
export function formatFilesystems(c: Build, base: CibBase, volumes: Handles<LvRef, Volume>): StepId[] {
  const { spec } = c;
  return spec.refs.filesystems.map((fs) => {
    const device = fs.device.path;
    const lockTable = gfs2LockTable(spec, fs);
    const journalSizeMb = Number.parseInt(fs.journalSize, 10);
    const mkfs = ["mkfs.gfs2", "-O", "-p", "lock_dlm", "-t", lockTable, "-j", String(fs.journals), "-J", String(journalSizeMb), device];
    // A shared LV is active nowhere until Pacemaker activates it; mkfs needs it active here.
    // It stays active (shared) afterwards: LVM-activate adopts it, and check can read it back.
    const activate = fs.device.kind === "lv" && spec.lvm.locking === "lvmlockd" ? [["vgchange", "--lockstart", fs.device.vg], ["lvchange", "--activate", "sy", `${fs.device.vg}/${fs.device.lv}`]] : [];
    return c.steps.add({
      id: `cluster/gfs2/${fs.name}/mkfs`,
      host: c.first.name,
      kind: "mkfs-gfs2",
      params: { device, lockTable, journals: fs.journals, journalSizeMb, activate, commands: [mkfs] },
      dependsOn: [fs.device.kind === "lv" ? volumes.of(fs.device).created : base.running],
      source: fs.source,
      phase: "filesystems",
      title: `GFS2 ${lockTable} on ${device} (${fs.journals} journals of ${journalSizeMb} MiB)`,
      destructive: true,
    });
  });
}

/** Day-2 changes of a mounted filesystem, each made online from one node. */
export function growFilesystems(c: Build, mounted: StepId, volumes: Handles<LvRef, Volume>, resized: Handles<DrbdRef, ResizedResource>, lvmConf: Handles<NodeSpec, StepId>): void {
  const { spec, steps, first } = c;
  for (const fs of spec.refs.filesystems) {
    const device = fs.device.path;
    const lockTable = gfs2LockTable(spec, fs);
    const lvSize = fs.device.kind === "lv" ? volumes.of(fs.device).size : undefined;
    const grow = steps.add({
      id: `cluster/gfs2/${fs.name}/grow`,
      host: first.name,
      kind: "gfs2-grow",
      params: { device, mountpoint: fs.mountpoint, ...(lvSize !== undefined ? { lvSize } : {}), commands: [["gfs2_grow", fs.mountpoint]] },
      dependsOn: [mounted, ...grownDevice(fs.device, volumes, resized, lvmConf.of(first))],
      source: fs.source,
      phase: "grow",
      title: `GFS2 ${lockTable} fills ${device}`,
    });
    steps.add({
      id: `cluster/gfs2/${fs.name}/journals`,
      host: first.name,
      kind: "gfs2-journals",
      params: { device, mountpoint: fs.mountpoint, journals: fs.journals, journalSizeMb: Number.parseInt(fs.journalSize, 10) },
      // New journals take space from the filesystem: grown first when both change.
      dependsOn: [grow],
      source: `${fs.source}.journals`,
      phase: "grow",
      title: `GFS2 ${lockTable} has ${fs.journals} journals`,
    });
  }
}

/**
 * What GFS2 on `device` grows after: every node must see the grown device before GFS2 puts
 * resource groups there. An LV is read through this node's LVM setup: after its lvmlocal.conf
 * (`firstLvmConf`), like the refreshes.
 */
function grownDevice(device: DeviceRef, volumes: Handles<LvRef, Volume>, resized: Handles<DrbdRef, ResizedResource>, firstLvmConf: StepId): StepId[] {
  if (device.kind === "drbd") return [resized.of(device).resize];
  const { refreshed, grown } = volumes.of(device);
  return [...refreshed, grown, firstLvmConf];
}

/** Teardown, first: the filesystem clones (with their LV activation) leave the CIB; every node confirms the unmount. */
export function unmountFilesystems(t: Teardown): StepId[] {
  const { spec, steps } = t;
  if (spec.refs.filesystems.length === 0) return [];
  const removed = steps.add({
    id: "cluster/destroy/cib/filesystems",
    host: t.first.name,
    kind: "cib-remove",
    params: { stage: "filesystems", resources: spec.refs.filesystems.map((fs) => ({ id: ids.fsClone(fs.name), stonith: false })), timeoutSec: STOP_TIMEOUT_SEC },
    source: "filesystems",
    phase: "teardown-filesystems",
    title: "CIB: Filesystem and LV activation clones stopped and removed",
  });
  return spec.refs.filesystems.flatMap((fs) =>
    spec.nodes.map((n) =>
      steps.add({ id: `${n.name}/destroy/gfs2/${fs.name}/unmounted`, host: n.name, kind: "gfs2-unmounted", params: { mountpoint: fs.mountpoint, timeoutSec: STOP_TIMEOUT_SEC }, dependsOn: [removed], source: fs.source, phase: "teardown-filesystems", title: `GFS2 unmounted from ${fs.mountpoint}` }),
    ),
  );
}
