import type { DrbdRef, ResolvedResource } from "../../spec/refs.js";
import type { NodeSpec } from "../../spec/types.js";
import type { StepId } from "../builder.js";
import { ids } from "../cib.js";
import type { StepParams } from "../types.js";
import type { CibBase } from "./cib.js";
import { type Build, root, STOP_TIMEOUT_SEC, type Teardown } from "./context.js";
import { Handles, perNode } from "./handles.js";
import type { Prepared } from "./prepare.js";

/** A DRBD resource up and connecting on every node. */
export interface ReplicatedResource {
  resource: ResolvedResource;
  /** Its resource file on each node. */
  files: Handles<NodeSpec, StepId>;
  /** Its first sync started (or its bitmap cleared): Pacemaker promotes it only after. */
  initialSync: StepId;
}

export interface Drbd {
  /** Each node's DRBD files, global settings first: what Pacemaker's DRBD agent reads. */
  files: Handles<NodeSpec, StepId[]>;
  resources: ReplicatedResource[];
}

/** DRBD: files, metadata, first sync. Pacemaker promotes later. */
export function drbd(c: Build, prepared: Prepared): Drbd {
  const globals = perNode(c.spec.nodes, (n) =>
    c.steps.add({ id: `${n.name}/drbd/global`, host: n.name, kind: "file", params: { path: "/etc/drbd.d/global_common.conf", content: c.templates.render("drbd/global_common.conf", {}), mode: 0o644, ...root }, dependsOn: [prepared.nodes.of(n).packages], source: "drbd", phase: "drbd", title: "DRBD global settings" }),
  );
  const resources = c.spec.refs.resources.map((r) => replicate(c, prepared, globals, r));
  return { files: perNode(c.spec.nodes, (n) => [globals.of(n), ...resources.map((r) => r.files.of(n))]), resources };
}

function replicate(c: Build, prepared: Prepared, globals: Handles<NodeSpec, StepId>, r: ResolvedResource): ReplicatedResource {
  const { spec, steps, drbd: dialect } = c;
  const { source } = r;
  const content = c.templates.render(`drbd/resource-${dialect}.res`, {
    source,
    name: r.name,
    minor: r.minor,
    port: r.port,
    protocol: spec.drbd.protocol,
    afterSb: spec.drbd.afterSb,
    resyncRate: spec.drbd.resyncRate ?? null,
    hosts: spec.nodes.map((n, nodeId) => ({ name: n.name, nodeId, disk: r.diskOn(n), address: n.ring0 })),
  });
  const device = r.device.path;
  const attached = perNode(spec.nodes, (n) => {
    const disk = r.diskOn(n);
    const { packages, hosts } = prepared.nodes.of(n);
    const file = steps.add({ id: `${n.name}/drbd/${r.name}/res`, host: n.name, kind: "file", params: { path: `/etc/drbd.d/${r.name}.res`, content, mode: 0o644, ...root, onChange: "drbd-adjust", resource: r.name }, dependsOn: [packages, hosts], source, phase: "drbd", title: `DRBD resource ${r.name} file` });
    const md = steps.add({
      id: `${n.name}/drbd/${r.name}/create-md`,
      host: n.name,
      kind: "drbd-create-md",
      // Forced over a filesystem: drbdmeta refuses (exit 40) to put metadata over one it
      // finds, --force or not, so the signatures the user chose to overwrite go first.
      params: { resource: r.name, disk, device, dialect, commands: [...(c.forced.has(disk) ? [["wipefs", "--all", disk]] : []), ["drbdadm", "create-md", "--force", r.name]] },
      dependsOn: [file, globals.of(n)],
      source,
      phase: "drbd",
      title: `DRBD metadata for ${r.name} on ${disk}`,
      destructive: true,
    });
    const up = steps.add({ id: `${n.name}/drbd/${r.name}/up`, host: n.name, kind: "drbd-up", params: { resource: r.name, commands: [["drbdadm", "up", r.name]], reconnect: [["drbdadm", "adjust", r.name]] }, dependsOn: [md], source, phase: "drbd", title: `${r.name} attached and connecting` });
    return { file, up };
  });
  const sync =
    spec.drbd.initialSync === "skip"
      ? [["drbdadm", "new-current-uuid", "--clear-bitmap", r.name]]
      : [["drbdadm", "primary", "--force", r.name], ["drbdadm", "secondary", r.name]];
  const initialSync = steps.add({ id: `cluster/drbd/${r.name}/initial-sync`, host: c.first.name, kind: "drbd-initial-sync", params: { resource: r.name, mode: spec.drbd.initialSync, commands: sync }, dependsOn: attached.all().map((a) => a.up), source: "drbd.initialSync", phase: "drbd", title: `${r.name} ${spec.drbd.initialSync === "skip" ? "bitmap cleared (blank disks)" : "initial full sync started"}` });
  return { resource: r, files: attached.map((a) => a.file), initialSync };
}

/** A DRBD resource resized onto its larger backing disks. */
export interface ResizedResource {
  resize: StepId;
  /** What pvresize measures DRBD's size with. */
  growth: StepParams["pvresize"]["drbd"];
}

/**
 * Larger backing disks: DRBD grows first, from one node, once Pacemaker runs it everywhere
 * (connected, so both nodes agree on the new size), and only after every node's resource file
 * names the disks it is to measure.
 */
export function resizeDrbd(c: Build, replicated: Drbd, base: CibBase): Handles<DrbdRef, ResizedResource> {
  return Handles.from(
    (ref: DrbdRef) => `drbd/${ref.resource}`,
    replicated.resources.map(({ resource: r, files }) => {
      const growth = { resource: r.name, disk: r.diskOn(c.first), dialect: c.drbd, peers: c.spec.nodes.length - 1 };
      const resize = c.steps.add({
        id: `cluster/drbd/${r.name}/resize`,
        host: c.first.name,
        kind: "drbd-resize",
        params: { ...growth, device: r.device.path, commands: [["drbdadm", "resize", r.name]] },
        dependsOn: [base.running, ...files.all()],
        source: r.source,
        phase: "grow",
        title: `DRBD ${r.name} uses all of its backing disks`,
      });
      return [r.device, { resize, growth }] as const;
    }),
  );
}

/** Teardown with --wipe: nothing on the DRBD devices is found again (GFS2 straight on DRBD, leftovers). */
export function wipeDrbdDevices(t: Teardown, after: StepId[]): StepId[] {
  return t.spec.refs.resources.map((r) =>
    t.steps.add({ id: `cluster/destroy/drbd/${r.name}/wipefs`, host: t.first.name, kind: "wipe-device", params: { device: r.device.path, commands: [["wipefs", "--all", r.device.path]] }, dependsOn: after, source: r.source, phase: "teardown-lvm", title: `signatures on ${r.device.path} erased`, destructive: true }),
  );
}

/** Teardown: Pacemaker lets go of DRBD (demote, stop), then each node makes sure it is down. */
export function teardownDrbd(t: Teardown, after: StepId): StepId[] {
  const { spec, steps } = t;
  const cib = steps.add({
    id: "cluster/destroy/cib/drbd",
    host: t.first.name,
    kind: "cib-remove",
    params: { stage: "drbd", resources: spec.refs.resources.map((r) => ({ id: ids.drbdClone(r.name, t.pcs), stonith: false })), timeoutSec: STOP_TIMEOUT_SEC },
    dependsOn: [after],
    source: "drbd",
    phase: "teardown-drbd",
    title: "CIB: DRBD promotable clones stopped and removed",
  });
  return spec.refs.resources.flatMap((r) => {
    const downs = spec.nodes.map((n) => steps.add({ id: `${n.name}/destroy/drbd/${r.name}/down`, host: n.name, kind: "drbd-down", params: { resource: r.name, commands: [["drbdadm", "down", r.name]] }, dependsOn: [cib], source: r.source, phase: "teardown-drbd", title: `${r.name} down${t.wipe ? "" : " (metadata and data kept)"}` }));
    if (!t.wipe) return downs;
    return spec.nodes.map((n) => {
      const disk = r.diskOn(n);
      // drbdadm 8.4 takes --force only before the command (`-- --force wipe-md`); it answers the prompt.
      const commands = [["drbdadm", "--", "--force", "wipe-md", r.name]];
      return steps.add({ id: `${n.name}/destroy/drbd/${r.name}/wipe-md`, host: n.name, kind: "drbd-wipe-md", params: { resource: r.name, disk, resFile: `/etc/drbd.d/${r.name}.res`, commands }, dependsOn: downs, source: r.source, phase: "teardown-drbd", title: `DRBD ${t.drbd} metadata on ${disk} wiped, ${r.name}.res removed`, destructive: true });
    });
  });
}
