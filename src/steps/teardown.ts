/**
 * The handlers of `gfsdeploy destroy`. Each check is read-only and says ok once its part is
 * gone, so a second destroy, or `plan --destroy` on a torn-down cluster, has nothing to do.
 */
import { execRead, type Facts, type Read } from "../probes/facts.js";
import { activeLvs, activeLvsReads, isPv, lockspaceReads, lockspaceStarted, pvReads, vgExists, vgReads } from "../probes/lvm.js";
import { clusterReads, clusterState, drbdReads, drbdState, fileExists, fileExistsReads, gfs2Mounted, isUp, managedByPacemaker, managedElsewhere, managedElsewhereReads, managedReads, mountReads, signature, signatureReads, unitReads, unitState } from "../probes/node.js";
import { ids } from "../plan/cib.js";
import type { Step } from "../plan/types.js";
import type { StepHandler } from "./types.js";
import { pollUntil, run, runAll } from "./util.js";

/** cibadmin's exit code when an XPath query matches nothing (ENXIO). */
const NO_MATCH = 105;

/**
 * Which of `ids` the live CIB holds, or undefined when Pacemaker does not answer here: then no
 * resource runs under it on this node, and the CIB goes with the cluster in the last step.
 */
const idRead = (id: string): Read => execRead("cibadmin", "--query", "--scope", "resources", "--xpath", `//*[@id='${id}']`);
const inCibReads = (ids: string[]): Read[] => ids.map(idRead);

function inCib(f: Facts, ids: string[]): string[] | undefined {
  const present: string[] = [];
  for (const id of ids) {
    const r = f.get(idRead(id));
    if (r.code === 0) present.push(id);
    else if (r.code !== NO_MATCH) return undefined;
  }
  return present;
}

/** Resources of `ids` that crm_mon shows running (in any role) on some node; all of them when Pacemaker does not answer. */
function running(f: Facts, ids: string[]): string[] {
  const state = clusterState(f);
  if (!state) return ids;
  return ids.filter((id) => [...(state.roles.get(id)?.values() ?? [])].some((role) => role !== "Stopped"));
}

const resourceIds = (step: Step<"cib-remove">) => step.params.resources.map((r) => r.id);

export const cibRemove: StepHandler<"cib-remove"> = {
  reads: (step) => inCibReads(resourceIds(step)),
  check(step, f) {
    const present = inCib(f, resourceIds(step));
    if (present === undefined) return { status: "ok", note: "Pacemaker is not running here" };
    if (present.length === 0) return { status: "ok" };
    return { status: "change", reason: `stop ${present.join(", ")} on every node and remove from the CIB`, diff: present.map((id) => `- ${id}`).join("\n") };
  },
  async apply(step, ctx, f) {
    const present = new Set(inCib(f, resourceIds(step)) ?? []);
    const resources = step.params.resources.filter((r) => present.has(r.id));
    const pcs = (r: { stonith: boolean }) => (r.stonith ? "stonith" : "resource");
    // Stopped first and seen stopped everywhere, so the delete never races a running stop.
    for (const r of resources) await run(ctx, "pcs", [pcs(r), "disable", r.id]);
    const ids = resources.map((r) => r.id);
    await pollUntil(ctx, step.params.timeoutSec, `${ids.join(", ")} stopped on every node`, async () => {
      const still = running(await ctx.read(clusterReads()), ids);
      return still.length ? { done: false, reason: `${still.join(", ")} still running` } : { done: true, value: undefined };
    });
    for (const r of resources) await run(ctx, "pcs", [pcs(r), "delete", r.id]);
  },
};

export const gfs2Unmounted: StepHandler<"gfs2-unmounted"> = {
  reads: (step) => mountReads(step.params.mountpoint),
  check(step, f) {
    return gfs2Mounted(f, step.params.mountpoint) ? { status: "change", reason: `wait: GFS2 still mounted on ${step.params.mountpoint}` } : { status: "ok" };
  },
  async apply(step, ctx) {
    await pollUntil(ctx, step.params.timeoutSec, `${step.params.mountpoint} unmounted`, async () =>
      gfs2Mounted(await ctx.read(mountReads(step.params.mountpoint)), step.params.mountpoint) ? { done: false, reason: "GFS2 still mounted" } : { done: true, value: undefined },
    );
  },
};

export const lvDeactivate: StepHandler<"lv-deactivate"> = {
  reads: (step) => [...vgReads(step.params.vg), ...activeLvsReads(step.params.vg), ...lockspaceReads()],
  check(step, f, env) {
    const p = step.params;
    if (!vgExists(f, p.vg)) return { status: "ok", note: `no VG ${p.vg}` };
    const active = activeLvs(f, p.vg);
    // An LV the spec does not know stays active under whatever uses it, and the lock manager
    // cannot stop under it: refused here, which destroy's check pass sees before changing anything.
    const others = active.filter((lv) => !p.lvs.includes(lv)).map((lv) => `${p.vg}/${lv}`);
    if (others.length > 0) {
      const them = others.length === 1 ? "it" : "them";
      return {
        status: "refuse",
        reason: `${others.join(", ")} ${others.length === 1 ? "is" : "are"} active on ${env.host} and not in the spec: destroy would stop ${p.vg}'s lock manager under ${them}`,
        hint: `stop what uses ${them} (a Filesystem resource in the CIB, a mount) and run lvchange --activate n ${others.join(" ")} on every node, or add ${them} to the spec so destroy takes ${them} down too; then run destroy again`,
      };
    }
    const todo = active.map((lv) => `deactivate ${p.vg}/${lv}`);
    if (p.lockstop && lockspaceStarted(f, p.vg)) todo.push(`stop the lockspace of ${p.vg}`);
    return todo.length ? { status: "change", reason: todo.join(", ") } : { status: "ok" };
  },
  async apply(step, ctx, f) {
    const p = step.params;
    for (const lv of activeLvs(f, p.vg)) if (p.lvs.includes(lv)) await run(ctx, "lvchange", ["--activate", "n", `${p.vg}/${lv}`]);
    if (p.lockstop && lockspaceStarted(f, p.vg)) await run(ctx, "vgchange", ["--lockstop", p.vg]);
  },
};

export const lvmRemove: StepHandler<"lvm-remove"> = {
  reads: (step) => [...vgReads(step.params.vg), ...step.params.pvs.flatMap(pvReads)],
  check(step, f) {
    const p = step.params;
    if (vgExists(f, p.vg)) return { status: "change", reason: `remove VG ${p.vg} with LVs ${p.lvs.join(", ")} and the PV labels on ${p.pvs.join(", ")}: their data is lost` };
    const labelled = p.pvs.filter((pv) => isPv(f, pv));
    return labelled.length ? { status: "change", reason: `pvremove ${labelled.join(" ")}` } : { status: "ok" };
  },
  async apply(step, ctx, f) {
    const p = step.params;
    // Resumable: a run that stopped after vgremove goes on with the PV labels.
    if (vgExists(f, p.vg)) await runAll(ctx, p.commands);
    const labelled = vgExists(f, p.vg) ? p.pvs : p.pvs.filter((pv) => isPv(f, pv));
    for (const [i, pv] of p.pvs.entries()) if (labelled.includes(pv)) await runAll(ctx, [p.pvremove[i] ?? ["pvremove", "-y", pv]]);
  },
};

export const wipeDevice: StepHandler<"wipe-device"> = {
  reads: (step) => signatureReads(step.params.device),
  check(step, f) {
    const found = signature(f, step.params.device);
    if (found === "missing") return { status: "ok", note: `${step.params.device} is not there (resource down)` };
    return found === undefined ? { status: "ok" } : { status: "change", reason: `erase ${found} on ${step.params.device}: its data is lost` };
  },
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};

export const drbdDown: StepHandler<"drbd-down"> = {
  reads: (step) => [...drbdReads(step.params.resource), ...managedReads(step.params.resource), ...managedElsewhereReads(step.params.resource, ids.drbd(step.params.resource))],
  // Taking it down under Pacemaker would only make Pacemaker bring it back (or fence). The
  // runner reads again after every apply, so in apply this sees the CIB as cib-remove left it.
  check(step, f, env) {
    const r = step.params.resource;
    if (!isUp(drbdState(f, r))) return { status: "ok" };
    // Nothing in the teardown removes a primitive it did not make: only a person can.
    if (managedElsewhere(f, r, ids.drbd(r))) {
      return {
        status: "refuse",
        reason: `Pacemaker on ${env.host} manages ${r} through a resource other than ${ids.drbd(r)}, which destroy does not remove`,
        hint: `take ${r} out of Pacemaker's hands first (pcs status lists the ocf:linbit:drbd resource that runs it), then run destroy again`,
      };
    }
    // gfsdeploy's own clone leaves the CIB in an earlier step, and Pacemaker's stop takes the resource down.
    if (managedByPacemaker(f, r)) return { status: "pending", why: `Pacemaker on ${env.host} still manages ${r}: it is stopped once its clone leaves the CIB` };
    return { status: "change", reason: `drbdadm down ${r}` };
  },
  async apply(step, ctx) {
    await runAll(ctx, step.params.commands);
  },
};

export const drbdWipeMd: StepHandler<"drbd-wipe-md"> = {
  reads: (step) => [...signatureReads(step.params.disk), ...fileExistsReads(step.params.resFile)],
  check(step, f) {
    const p = step.params;
    const metadata = signature(f, p.disk) === "drbd";
    const resFile = fileExists(f, p.resFile);
    // drbdadm finds the disk through the resource file: without it, nothing says which metadata is whose.
    if (metadata && !resFile) return { status: "refuse", reason: `${p.disk} holds DRBD metadata but ${p.resFile} is gone`, hint: `wipe it by hand if it is ${p.resource}'s: wipefs --all ${p.disk}` };
    const todo: string[] = [];
    if (metadata) todo.push(`wipe the DRBD metadata on ${p.disk}`);
    if (resFile) todo.push(`remove ${p.resFile}`);
    return todo.length ? { status: "change", reason: todo.join(", ") } : { status: "ok" };
  },
  async apply(step, ctx, f) {
    const p = step.params;
    if (signature(f, p.disk) === "drbd") await runAll(ctx, p.commands);
    await run(ctx, "rm", ["-f", p.resFile]);
  },
};

type Leftovers = { units: string[]; partOf: string[]; files: string[]; dirs: string[] };

const dirRead = (d: string): Read => execRead("find", d, "-mindepth", "1", "-print", "-quit");
const leftoverReads = (p: Leftovers): Read[] => [...[...p.units, ...p.partOf].flatMap(unitReads), ...p.files.flatMap(fileExistsReads), ...p.dirs.map(dirRead)];

function clusterLeftovers(f: Facts, p: Leftovers): { stop: string[]; disable: string[]; files: string[]; dirs: string[] } {
  const units = [...p.units, ...p.partOf].map((unit) => ({ unit, ...unitState(f, unit) }));
  return {
    stop: units.filter((u) => u.active).map((u) => u.unit),
    disable: units.filter((u) => u.enabled).map((u) => u.unit),
    files: p.files.filter((path) => fileExists(f, path)),
    dirs: p.dirs.filter((d) => f.get(dirRead(d)).stdout.trim() !== ""),
  };
}

/** How long a unit bound to corosync may take to follow it down. */
const PART_OF_STOP_SEC = 120;

export const clusterDestroy: StepHandler<"cluster-destroy"> = {
  reads: (step) => leftoverReads(step.params),
  check(step, f) {
    const l = clusterLeftovers(f, step.params);
    const todo = [...l.stop.map((u) => `stop ${u}`), ...l.disable.map((u) => `disable ${u}`), ...l.files.map((f) => `remove ${f}`), ...l.dirs.map((d) => `empty ${d}`)];
    return todo.length ? { status: "change", reason: todo.join(", ") } : { status: "ok" };
  },
  async apply(step, ctx, f) {
    const p = step.params;
    const l = clusterLeftovers(f, p);
    // units lists pacemaker before corosync: it stops first, so nothing it runs loses its membership.
    const stop = l.stop.filter((u) => p.units.includes(u));
    if (stop.length) await run(ctx, "systemctl", ["stop", ...stop]);
    // systemd refuses `systemctl stop sbd`; it follows corosync down on its own.
    const bound = l.stop.filter((u) => p.partOf.includes(u));
    if (bound.length) {
      await pollUntil(ctx, PART_OF_STOP_SEC, `${bound.join(", ")} stopped with corosync`, async () => {
        const now = await ctx.read(bound.flatMap(unitReads));
        const still = bound.filter((u) => unitState(now, u).active);
        return still.length ? { done: false, reason: `${still.join(", ")} still active` } : { done: true, value: undefined };
      });
    }
    if (l.disable.length) await run(ctx, "systemctl", ["disable", ...l.disable]);
    for (const f of l.files) await run(ctx, "rm", ["-f", f]);
    for (const d of l.dirs) await run(ctx, "find", [d, "-mindepth", "1", "-delete"]);
  },
};
