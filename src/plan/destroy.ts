import { resolveDevice } from "../spec/refs.js";
import { backingDisk, drbdDialect } from "../spec/defaults.js";
import type { DrbdDialect, NodeSpec, Spec } from "../spec/types.js";
import { PlanBuilder, type StepId } from "./builder.js";
import { concreteSpec, planFor } from "./concrete.js";
import { fenceSecretPath, ids, pcsDialect } from "./cib.js";
import type { Playbook } from "../playbook/types.js";
import type { Plan } from "./types.js";

export interface DestroyOptions {
  /** Also destroy the data: LVs, VGs, PV labels, filesystem signatures and DRBD metadata. */
  wipe: boolean;
}

/** Long enough for Pacemaker to stop a GFS2 mount under load, or DRBD to demote. */
const STOP_TIMEOUT_SEC = 600;

/**
 * spec → the teardown Plan, the build in reverse: filesystem clones, LVM, locking, DRBD, then
 * fencing and the cluster itself. Pure, like `compile`. Without `wipe` every byte of data stays
 * on disk (LVs, VG, PVs, DRBD metadata and resource files), so applying the spec again attaches
 * the same data; with `wipe` the destructive steps remove it, each marked destructive.
 */
export function compileDestroy(input: Spec, options: DestroyOptions, playbook: Playbook): Plan {
  const spec = concreteSpec(input, playbook, "destroy", "the teardown plan follows a destroy playbook such as destroy");
  const pcs = pcsDialect(spec);
  const b = new PlanBuilder();
  const first = spec.nodes[0] as NodeSpec;
  const per = (n: NodeSpec, suffix: string) => `${n.name}/destroy/${suffix}`;
  const lvmlockd = spec.lvm.locking === "lvmlockd";

  // 1. Filesystem clones (with their LV activation) leave the CIB; every node confirms the unmount.
  let done: StepId[] = [];
  if (spec.filesystems.length > 0) {
    const cibFs = b.add({
      id: "cluster/destroy/cib/filesystems",
      host: first.name,
      kind: "cib-remove",
      params: { stage: "filesystems", resources: spec.filesystems.map((fs) => ({ id: ids.fsClone(fs.name), stonith: false })), timeoutSec: STOP_TIMEOUT_SEC },
      source: "filesystems",
      phase: "teardown-filesystems",
      title: "CIB: Filesystem and LV activation clones stopped and removed",
    });
    done = spec.filesystems.flatMap((fs, i) =>
      spec.nodes.map((n) =>
        b.add({ id: per(n, `gfs2/${fs.name}/unmounted`), host: n.name, kind: "gfs2-unmounted", params: { mountpoint: fs.mountpoint, timeoutSec: STOP_TIMEOUT_SEC }, dependsOn: [cibFs], source: `filesystems[${i}]`, phase: "teardown-filesystems", title: `GFS2 unmounted from ${fs.mountpoint}` }),
      ),
    );
  }

  // 2. LVM: inactive everywhere; removed only when wiping.
  spec.lvm.volumeGroups.forEach((vg, i) => {
    const source = `lvm.volumeGroups[${i}]`;
    const lvs = vg.logicalVolumes.map((lv) => lv.name);
    const deactivated = spec.nodes.map((n) =>
      b.add({ id: per(n, `lvm/${vg.name}/deactivate`), host: n.name, kind: "lv-deactivate", params: { vg: vg.name, lvs, lockstop: lvmlockd }, dependsOn: done, source, phase: "teardown-lvm", title: `LVs of ${vg.name} inactive${lvmlockd ? ", lockspace stopped" : ""}${options.wipe ? "" : " (data kept)"}` }),
    );
    if (!options.wipe) {
      done = [...done, ...deactivated];
      return;
    }
    const pvs = vg.pvs.map((pv) => resolveDevice(spec, pv).path);
    const lvCommands = lvs.flatMap((lv) => [["lvchange", "--activate", "ey", `${vg.name}/${lv}`], ["wipefs", "--all", `/dev/${vg.name}/${lv}`], ["lvchange", "--activate", "n", `${vg.name}/${lv}`], ["lvremove", "-y", `${vg.name}/${lv}`]]);
    // lvmlockd removes a shared VG only from a node holding its lockspace, once every other node left it.
    const commands = [...(lvmlockd ? [["vgchange", "--lockstart", vg.name]] : []), ...lvCommands, ["vgremove", "-y", vg.name]];
    done = [
      b.add({
        id: `cluster/destroy/lvm/${vg.name}/remove`,
        host: first.name,
        kind: "lvm-remove",
        params: { vg: vg.name, lvs, pvs, commands, pvremove: pvs.map((pv) => ["pvremove", "-y", pv]) },
        dependsOn: [...done, ...deactivated],
        source,
        phase: "teardown-lvm",
        title: `VG ${vg.name}, its LVs and PV labels on ${pvs.join(", ")} removed`,
        destructive: true,
      }),
    ];
  });

  // With --wipe, nothing on the DRBD devices is found again (GFS2 straight on DRBD, leftovers).
  if (options.wipe) {
    done = spec.drbd.resources.map((r, i) => {
      const device = `/dev/drbd${r.minor}`;
      return b.add({ id: `cluster/destroy/drbd/${r.name}/wipefs`, host: first.name, kind: "wipe-device", params: { device, commands: [["wipefs", "--all", device]] }, dependsOn: done, source: `drbd.resources[${i}]`, phase: "teardown-lvm", title: `signatures on ${device} erased`, destructive: true });
    });
  }

  // 3. dlm and the lock manager.
  const locking = b.add({
    id: "cluster/destroy/cib/locking",
    host: first.name,
    kind: "cib-remove",
    params: { stage: "locking", resources: [{ id: ids.lockingClone, stonith: false }], timeoutSec: STOP_TIMEOUT_SEC },
    dependsOn: done,
    source: "lvm.locking",
    phase: "teardown-locking",
    title: `CIB: dlm/${spec.lvm.locking} clone stopped and removed`,
  });

  // 4. DRBD: Pacemaker lets go of it (demote, stop), then each node makes sure it is down.
  const cibDrbd = b.add({
    id: "cluster/destroy/cib/drbd",
    host: first.name,
    kind: "cib-remove",
    params: { stage: "drbd", resources: spec.drbd.resources.map((r) => ({ id: ids.drbdClone(r.name, pcs), stonith: false })), timeoutSec: STOP_TIMEOUT_SEC },
    dependsOn: [locking],
    source: "drbd",
    phase: "teardown-drbd",
    title: "CIB: DRBD promotable clones stopped and removed",
  });
  const dialect = drbdDialect(spec) as DrbdDialect;
  const drbdDone = spec.drbd.resources.flatMap((r, i) => {
    const source = `drbd.resources[${i}]`;
    const downs = spec.nodes.map((n) => b.add({ id: per(n, `drbd/${r.name}/down`), host: n.name, kind: "drbd-down", params: { resource: r.name, commands: [["drbdadm", "down", r.name]] }, dependsOn: [cibDrbd], source, phase: "teardown-drbd", title: `${r.name} down${options.wipe ? "" : " (metadata and data kept)"}` }));
    if (!options.wipe) return downs;
    return spec.nodes.map((n) => {
      const disk = backingDisk(spec, r.name, n.name) as string;
      // drbdadm 8.4 takes --force only before the command (`-- --force wipe-md`); it answers the prompt.
      const commands = [["drbdadm", "--", "--force", "wipe-md", r.name]];
      return b.add({ id: per(n, `drbd/${r.name}/wipe-md`), host: n.name, kind: "drbd-wipe-md", params: { resource: r.name, disk, resFile: `/etc/drbd.d/${r.name}.res`, commands }, dependsOn: downs, source, phase: "teardown-drbd", title: `DRBD ${dialect} metadata on ${disk} wiped, ${r.name}.res removed`, destructive: true });
    });
  });

  // 5. Fencing, then the cluster on every node. The packages stay installed.
  const fencing = b.add({
    id: "cluster/destroy/cib/fencing",
    host: first.name,
    kind: "cib-remove",
    params: { stage: "fencing", resources: spec.stonith.devices.map((d) => ({ id: d.name, stonith: true })), timeoutSec: STOP_TIMEOUT_SEC },
    dependsOn: drbdDone,
    source: "stonith",
    phase: "teardown-fencing",
    title: "CIB: fence devices removed",
  });
  const fenceSecrets = spec.stonith.devices.flatMap((d) => Object.entries(d.options).filter(([, value]) => typeof value === "object").map(([key]) => fenceSecretPath(d.name, key)));
  for (const n of spec.nodes) {
    b.add({
      id: per(n, "cluster"),
      host: n.name,
      kind: "cluster-destroy",
      params: {
        units: ["pacemaker.service", "corosync.service"],
        partOf: spec.stonith.sbd ? ["sbd.service"] : [],
        files: ["/etc/corosync/corosync.conf", "/etc/corosync/authkey", ...fenceSecrets],
        dirs: ["/var/lib/pacemaker/cib", "/var/lib/pacemaker/pengine"],
      },
      dependsOn: [fencing],
      source: "cluster",
      phase: "teardown-cluster",
      title: "pacemaker and corosync stopped and disabled; corosync.conf, authkey and CIB removed",
    });
  }

  return planFor(spec, dialect, pcs, b.finish(playbook));
}
