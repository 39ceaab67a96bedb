/**
 * The handlers of `gfsdeploy destroy`. Each check is read-only and says ok once its part is
 * gone, so a second destroy, or `plan --destroy` on a torn-down cluster, has nothing to do.
 */
import { parseCrmMon } from "./crm.js";
import { RefusedError, signature } from "./devices.js";
import { drbdState, isUp, managedByPacemaker } from "./drbd.js";
import { unitState } from "./system.js";
import type { StepContext, StepHandler } from "./types.js";
import { pollUntil, probe, run, runAll } from "./util.js";

/** cibadmin's exit code when an XPath query matches nothing (ENXIO). */
const NO_MATCH = 105;

/**
 * Which of `ids` the live CIB holds, or undefined when Pacemaker does not answer here: then no
 * resource runs under it on this node, and the CIB goes with the cluster in the last step.
 */
async function inCib(ctx: StepContext, ids: string[]): Promise<string[] | undefined> {
  const present: string[] = [];
  for (const id of ids) {
    const r = await probe(ctx, "cibadmin", ["--query", "--scope", "resources", "--xpath", `//*[@id='${id}']`]);
    if (r.code === 0) present.push(id);
    else if (r.code !== NO_MATCH) return undefined;
  }
  return present;
}

/** Resources of `ids` that crm_mon shows running (in any role) on some node. */
async function running(ctx: StepContext, ids: string[]): Promise<string[]> {
  const r = await run(ctx, "crm_mon", ["-1", "--output-as=xml"]);
  const state = parseCrmMon(r.stdout);
  return ids.filter((id) => [...(state.roles.get(id)?.values() ?? [])].some((role) => role !== "Stopped"));
}

export const cibRemove: StepHandler<"cib-remove"> = {
  async check(step, ctx) {
    const present = await inCib(ctx, step.params.resources.map((r) => r.id));
    if (present === undefined) return { status: "ok", note: "Pacemaker is not running here" };
    if (present.length === 0) return { status: "ok" };
    return { status: "change", reason: `stop ${present.join(", ")} on every node and remove from the CIB`, diff: present.map((id) => `- ${id}`).join("\n") };
  },
  async apply(step, ctx) {
    const present = new Set((await inCib(ctx, step.params.resources.map((r) => r.id))) ?? []);
    const resources = step.params.resources.filter((r) => present.has(r.id));
    const pcs = (r: { stonith: boolean }) => (r.stonith ? "stonith" : "resource");
    // Stopped first and seen stopped everywhere, so the delete never races a running stop.
    for (const r of resources) await run(ctx, "pcs", [pcs(r), "disable", r.id]);
    const ids = resources.map((r) => r.id);
    await pollUntil(ctx, step.params.timeoutSec, `${ids.join(", ")} stopped on every node`, async () => {
      const still = await running(ctx, ids);
      return still.length ? { done: false, reason: `${still.join(", ")} still running` } : { done: true, value: undefined };
    });
    for (const r of resources) await run(ctx, "pcs", [pcs(r), "delete", r.id]);
  },
};

/** The GFS2 mounted at `mountpoint` on this node, as the kernel sees it. */
async function mounted(ctx: StepContext, mountpoint: string): Promise<boolean> {
  return (await probe(ctx, "findmnt", ["-n", "-t", "gfs2", "-o", "TARGET", "--mountpoint", mountpoint])).code === 0;
}

export const gfs2Unmounted: StepHandler<"gfs2-unmounted"> = {
  async check(step, ctx) {
    return (await mounted(ctx, step.params.mountpoint)) ? { status: "change", reason: `wait: GFS2 still mounted on ${step.params.mountpoint}` } : { status: "ok" };
  },
  async apply(step, ctx) {
    await pollUntil(ctx, step.params.timeoutSec, `${step.params.mountpoint} unmounted`, async () =>
      (await mounted(ctx, step.params.mountpoint)) ? { done: false, reason: "GFS2 still mounted" } : { done: true, value: undefined },
    );
  },
};

/** The LVs of `vg` active on this node, by name. */
async function activeLvs(ctx: StepContext, vg: string): Promise<string[]> {
  const r = await probe(ctx, "lvs", ["--noheadings", "--binary", "-o", "lv_name,lv_active_locally", vg]);
  if (r.code !== 0) return [];
  return r.stdout.split("\n").flatMap((line) => {
    const [name, active] = line.trim().split(/\s+/);
    return name && active === "1" ? [name] : [];
  });
}

/** Whether lvmlockd holds the VG's lockspace here; false when lvmlockd is not running. */
async function lockspaceStarted(ctx: StepContext, vg: string): Promise<boolean> {
  const r = await probe(ctx, "lvmlockctl", ["--info"]);
  return r.code === 0 && new RegExp(`^VG ${vg} |\\bvg_name=${vg}\\b`, "m").test(r.stdout);
}

async function vgExists(ctx: StepContext, vg: string): Promise<boolean> {
  return (await probe(ctx, "vgs", ["--noheadings", "-o", "vg_name", vg])).code === 0;
}

export const lvDeactivate: StepHandler<"lv-deactivate"> = {
  async check(step, ctx) {
    const p = step.params;
    if (!(await vgExists(ctx, p.vg))) return { status: "ok", note: `no VG ${p.vg}` };
    const active = await activeLvs(ctx, p.vg);
    // An LV the spec does not know stays active under whatever uses it, and the lock manager
    // cannot stop under it: refused here, which destroy's check pass sees before changing anything.
    const others = active.filter((lv) => !p.lvs.includes(lv)).map((lv) => `${p.vg}/${lv}`);
    if (others.length > 0) {
      const them = others.length === 1 ? "it" : "them";
      return {
        status: "refuse",
        reason: `${others.join(", ")} ${others.length === 1 ? "is" : "are"} active on ${ctx.t.host} and not in the spec: destroy would stop ${p.vg}'s lock manager under ${them}`,
        hint: `stop what uses ${them} (a Filesystem resource in the CIB, a mount) and run lvchange --activate n ${others.join(" ")} on every node, or add ${them} to the spec so destroy takes ${them} down too; then run destroy again`,
      };
    }
    const todo = active.map((lv) => `deactivate ${p.vg}/${lv}`);
    if (p.lockstop && (await lockspaceStarted(ctx, p.vg))) todo.push(`stop the lockspace of ${p.vg}`);
    return todo.length ? { status: "change", reason: todo.join(", ") } : { status: "ok" };
  },
  async apply(step, ctx) {
    const p = step.params;
    for (const lv of await activeLvs(ctx, p.vg)) if (p.lvs.includes(lv)) await run(ctx, "lvchange", ["--activate", "n", `${p.vg}/${lv}`]);
    if (p.lockstop && (await lockspaceStarted(ctx, p.vg))) await run(ctx, "vgchange", ["--lockstop", p.vg]);
  },
};

async function isPv(ctx: StepContext, device: string): Promise<boolean> {
  return (await probe(ctx, "pvs", ["--noheadings", "-o", "pv_name", device])).code === 0;
}

export const lvmRemove: StepHandler<"lvm-remove"> = {
  async check(step, ctx) {
    const p = step.params;
    if (await vgExists(ctx, p.vg)) return { status: "change", reason: `remove VG ${p.vg} with LVs ${p.lvs.join(", ")} and the PV labels on ${p.pvs.join(", ")}: their data is lost` };
    const labelled = [];
    for (const pv of p.pvs) if (await isPv(ctx, pv)) labelled.push(pv);
    return labelled.length ? { status: "change", reason: `pvremove ${labelled.join(" ")}` } : { status: "ok" };
  },
  async apply(step, ctx) {
    const p = step.params;
    // Resumable: a run that stopped after vgremove goes on with the PV labels.
    if (await vgExists(ctx, p.vg)) await runAll(ctx, p.commands);
    for (const [i, pv] of p.pvs.entries()) if (await isPv(ctx, pv)) await runAll(ctx, [p.pvremove[i] ?? ["pvremove", "-y", pv]]);
  },
};

export const wipeDevice: StepHandler<"wipe-device"> = {
  async check(step, ctx) {
    const found = await signature(ctx, step.params.device);
    if (found === "missing") return { status: "ok", note: `${step.params.device} is not there (resource down)` };
    return found === undefined ? { status: "ok" } : { status: "change", reason: `erase ${found} on ${step.params.device}: its data is lost` };
  },
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};

export const drbdDown: StepHandler<"drbd-down"> = {
  async check(step, ctx) {
    const r = step.params.resource;
    if (!isUp(await drbdState(ctx, r))) return { status: "ok" };
    if (await managedByPacemaker(ctx, r)) return { status: "change", reason: `drbdadm down ${r} (once Pacemaker no longer manages it)` };
    return { status: "change", reason: `drbdadm down ${r}` };
  },
  async apply(step, ctx) {
    const r = step.params.resource;
    // Taking it down under Pacemaker would only make Pacemaker bring it back (or fence).
    if (await managedByPacemaker(ctx, r)) {
      throw new RefusedError({ status: "refuse", reason: `Pacemaker on ${ctx.t.host} still manages ${r}`, hint: `its clone is still in the CIB: check the cluster with pcs status, then run destroy again` });
    }
    await runAll(ctx, step.params.commands);
  },
};

async function fileExists(ctx: StepContext, path: string): Promise<boolean> {
  return (await probe(ctx, "test", ["-e", path])).code === 0;
}

export const drbdWipeMd: StepHandler<"drbd-wipe-md"> = {
  async check(step, ctx) {
    const p = step.params;
    const todo: string[] = [];
    if ((await signature(ctx, p.disk)) === "drbd") todo.push(`wipe the DRBD metadata on ${p.disk}`);
    if (await fileExists(ctx, p.resFile)) todo.push(`remove ${p.resFile}`);
    return todo.length ? { status: "change", reason: todo.join(", ") } : { status: "ok" };
  },
  async apply(step, ctx) {
    const p = step.params;
    if ((await signature(ctx, p.disk)) === "drbd") {
      // drbdadm finds the disk through the resource file: without it, nothing says which metadata is whose.
      if (!(await fileExists(ctx, p.resFile))) {
        throw new RefusedError({ status: "refuse", reason: `${p.disk} holds DRBD metadata but ${p.resFile} is gone`, hint: `wipe it by hand if it is ${p.resource}'s: wipefs --all ${p.disk}` });
      }
      await runAll(ctx, p.commands);
    }
    await run(ctx, "rm", ["-f", p.resFile]);
  },
};

async function clusterLeftovers(ctx: StepContext, p: { units: string[]; partOf: string[]; files: string[]; dirs: string[] }): Promise<{ stop: string[]; disable: string[]; files: string[]; dirs: string[] }> {
  const stop: string[] = [];
  const disable: string[] = [];
  for (const unit of [...p.units, ...p.partOf]) {
    const state = await unitState(ctx, unit);
    if (state.active) stop.push(unit);
    if (state.enabled) disable.push(unit);
  }
  const files: string[] = [];
  for (const f of p.files) if (await fileExists(ctx, f)) files.push(f);
  const dirs: string[] = [];
  for (const d of p.dirs) if ((await probe(ctx, "find", [d, "-mindepth", "1", "-print", "-quit"])).stdout.trim() !== "") dirs.push(d);
  return { stop, disable, files, dirs };
}

/** How long a unit bound to corosync may take to follow it down. */
const PART_OF_STOP_SEC = 120;

export const clusterDestroy: StepHandler<"cluster-destroy"> = {
  async check(step, ctx) {
    const l = await clusterLeftovers(ctx, step.params);
    const todo = [...l.stop.map((u) => `stop ${u}`), ...l.disable.map((u) => `disable ${u}`), ...l.files.map((f) => `remove ${f}`), ...l.dirs.map((d) => `empty ${d}`)];
    return todo.length ? { status: "change", reason: todo.join(", ") } : { status: "ok" };
  },
  async apply(step, ctx) {
    const p = step.params;
    const l = await clusterLeftovers(ctx, p);
    // units lists pacemaker before corosync: it stops first, so nothing it runs loses its membership.
    const stop = l.stop.filter((u) => p.units.includes(u));
    if (stop.length) await run(ctx, "systemctl", ["stop", ...stop]);
    // systemd refuses `systemctl stop sbd`; it follows corosync down on its own.
    const bound = l.stop.filter((u) => p.partOf.includes(u));
    if (bound.length) {
      await pollUntil(ctx, PART_OF_STOP_SEC, `${bound.join(", ")} stopped with corosync`, async () => {
        const still: string[] = [];
        for (const u of bound) if ((await unitState(ctx, u)).active) still.push(u);
        return still.length ? { done: false, reason: `${still.join(", ")} still active` } : { done: true, value: undefined };
      });
    }
    if (l.disable.length) await run(ctx, "systemctl", ["disable", ...l.disable]);
    for (const f of l.files) await run(ctx, "rm", ["-f", f]);
    for (const d of l.dirs) await run(ctx, "find", [d, "-mindepth", "1", "-delete"]);
  },
};
