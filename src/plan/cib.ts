import { resolveDevice } from "../spec/refs.js";
import { secretCapableFenceOptions } from "../spec/fence-agents.js";
import type { ConcreteSpec, FenceDeviceSpec, FilesystemSpec, Spec, VolumeGroupSpec } from "../spec/types.js";
import type { PcsDialect } from "./types.js";

/**
 * The pcs commands that configure the CIB, per pcs dialect. Resource ids come from spec
 * names so an admin finds `fence-node1` under that name in `pcs status`.
 */

export function pcsDialect(spec: ConcreteSpec): PcsDialect {
  switch (spec.cluster.distro) {
    case "el7":
      return "0.9";
    case "el8":
      return "0.10";
    case "debian13":
      return "0.12";
    default:
      return "0.11";
  }
}

/** Where a fence password lives on every node; the CIB holds only `cat PATH`. */
export function fenceSecretPath(device: string, option: string): string {
  return `/etc/gfsdeploy/secrets/${device}.${option}`;
}

export const ids = {
  drbd: (resource: string) => `drbd_${resource}`,
  /** pcs names a promotable clone `X-clone`, an EL7 master/slave set `X-master`. */
  drbdClone: (resource: string, d: PcsDialect) => `drbd_${resource}-${d === "0.9" ? "master" : "clone"}`,
  locking: "locking",
  lockingClone: "locking-clone",
  fsGroup: (fs: string) => `${fs}-group`,
  fsClone: (fs: string) => `${fs}-group-clone`,
  fsLv: (fs: string) => `${fs}-lv`,
  fsMount: (fs: string) => `${fs}-fs`,
};

/**
 * Role names: pcs 0.11 says Promoted and 0.12 accepts nothing else; older pcs says Master,
 * and 0.9 constraints say `master`.
 */
const legacyRoles = (d: PcsDialect) => d === "0.9" || d === "0.10";
const role = {
  promoted: (d: PcsDialect) => (legacyRoles(d) ? "Master" : "Promoted"),
  unpromoted: (d: PcsDialect) => (legacyRoles(d) ? "Slave" : "Unpromoted"),
  constraint: (d: PcsDialect) => (d === "0.9" ? "master" : role.promoted(d)),
};

/** Properties GFS2 needs: fencing on, and freeze (not stop) when quorum is lost. */
function properties(spec: ConcreteSpec): string[][] {
  const props = [`stonith-enabled=${spec.stonith.enabled}`, "no-quorum-policy=freeze"];
  if (spec.stonith.timeout) props.push(`stonith-timeout=${spec.stonith.timeout}`);
  return [["property", "set", ...props]];
}

function fenceTargets(spec: ConcreteSpec, d: FenceDeviceSpec): string[] {
  return d.targets ?? (d.target !== undefined ? [d.target] : spec.nodes.map((n) => n.name));
}

/**
 * pcmk_delay_base that settles a two-node fence race: fencing the survivor waits, so its peer
 * is fenced first. A device fencing both nodes gets a per-node map (Pacemaker 2.1+); EL7's
 * Pacemaker 1.1 has no map, so there only a device fencing the survivor alone is delayed.
 * The user's own delay options win.
 */
function raceDelay(spec: ConcreteSpec, d: FenceDeviceSpec): string | undefined {
  const survivor = spec.stonith.survivor;
  if (spec.nodes.length !== 2 || survivor === undefined) return undefined;
  if (d.options.pcmk_delay_base !== undefined || d.options.pcmk_delay_max !== undefined) return undefined;
  const targets = fenceTargets(spec, d);
  if (!targets.includes(survivor)) return undefined;
  if (targets.length === 1) return spec.stonith.raceDelay;
  if (pcsDialect(spec) === "0.9") return undefined;
  return targets.map((t) => `${t}:${t === survivor ? spec.stonith.raceDelay : "0s"}`).join(";");
}

function stonithDevice(spec: ConcreteSpec, d: FenceDeviceSpec): string[][] {
  const options: string[] = [];
  for (const [key, value] of Object.entries(d.options)) {
    if (typeof value === "object") {
      if (secretCapableFenceOptions.includes(key)) options.push(`${key}_script=cat ${fenceSecretPath(d.name, key)}`);
    } else options.push(`${key}=${String(value)}`);
  }
  if (d.agent === "fence_sbd" && d.options.devices === undefined && spec.stonith.sbd) {
    options.push(`devices=${spec.stonith.sbd.devices.join(",")}`);
  }
  if (d.options.pcmk_host_list === undefined) options.push(`pcmk_host_list=${fenceTargets(spec, d).join(",")}`);
  const delay = raceDelay(spec, d);
  if (delay) options.push(`pcmk_delay_base=${delay}`);
  const ops: string[] = [];
  if (d.timeouts?.monitor) ops.push("op", "monitor", "interval=60s", `timeout=${d.timeouts.monitor}`);
  if (d.timeouts?.start) ops.push("op", "start", "interval=0s", `timeout=${d.timeouts.start}`);
  const cmds = [["stonith", "create", d.name, d.agent, ...options, ...ops]];
  const targets = fenceTargets(spec, d);
  if (d.avoidTarget) for (const t of targets) cmds.push(["constraint", "location", d.name, "avoids", t]);
  if (d.allowedNodes) {
    for (const n of spec.nodes) if (!d.allowedNodes.includes(n.name) && !(d.avoidTarget && targets.includes(n.name))) cmds.push(["constraint", "location", d.name, "avoids", n.name]);
  }
  return cmds;
}

function drbdResource(name: string, d: PcsDialect): string[][] {
  const base = ["resource", "create", ids.drbd(name), "ocf:linbit:drbd", `drbd_resource=${name}`];
  const ops = ["op", "monitor", "interval=29s", `role=${role.promoted(d)}`, "op", "monitor", "interval=31s", `role=${role.unpromoted(d)}`];
  if (d === "0.9") {
    return [[...base, ...ops, "master", "master-max=2", "master-node-max=1", "clone-max=2", "clone-node-max=1", "notify=true", "interleave=true"]];
  }
  return [[...base, ...ops, "promotable", "promoted-max=2", "promoted-node-max=1", "clone-max=2", "clone-node-max=1", "notify=true", "interleave=true"]];
}

/** A Pacemaker duration (`15s`, `2min`, `500ms`, bare seconds) in whole seconds, rounded up. */
function durationSeconds(text: string): number {
  const m = /^([0-9]+)(ms|s|min|m|h)?$/.exec(text);
  const n = Number(m?.[1] ?? 0);
  const unit = m?.[2] ?? "s";
  return Math.ceil(unit === "ms" ? n / 1000 : unit === "h" ? n * 3600 : unit === "min" || unit === "m" ? n * 60 : n);
}

/**
 * How long a monitor of the shared stack may take before it counts as failed. GFS2, the DLM
 * and lvmlockd block while a lost node is fenced (SBD: msgwait; otherwise up to a minute),
 * after the race delay, and then while its journal is replayed. A monitor that gives up
 * sooner fails on the survivor, and with on-fail=fence the survivor is fenced too: seen on
 * the test bed, where a 20 s default took both nodes down for one node's failure.
 */
export function recoveryMonitorTimeout(spec: ConcreteSpec): string {
  const fencing = spec.stonith.sbd ? (spec.stonith.sbd.msgwaitTimeout ?? 2 * spec.stonith.sbd.watchdogTimeout) : 60;
  return `${fencing + durationSeconds(spec.stonith.raceDelay) + 60}s`;
}

function locking(spec: ConcreteSpec, d: PcsDialect): string[][] {
  const fence = ["op", "monitor", "interval=30s", `timeout=${recoveryMonitorTimeout(spec)}`, "on-fail=fence"];
  const cmds = [["resource", "create", "dlm", "ocf:pacemaker:controld", ...fence, "--group", ids.locking]];
  if (spec.lvm.locking === "lvmlockd") cmds.push(["resource", "create", "lvmlockd", "ocf:heartbeat:lvmlockd", ...fence, "--group", ids.locking]);
  if (spec.lvm.locking === "clvmd") cmds.push(["resource", "create", "clvmd", "ocf:heartbeat:clvm", ...fence, "--group", ids.locking]);
  cmds.push(["resource", "clone", ids.locking, "interleave=true"]);
  for (const r of spec.drbd.resources) {
    cmds.push(["constraint", "order", "promote", ids.drbdClone(r.name, d), "then", "start", ids.lockingClone]);
  }
  return cmds;
}

/** The DRBD resources a filesystem sits on (through its VG's PVs, or directly). */
export function drbdUnder(spec: Spec, fs: FilesystemSpec): string[] {
  const device = resolveDevice(spec, fs.device);
  if (device.kind === "drbd") return [device.resource];
  // resolveDevice found the LV in this VG; the rules allow only `drbd/NAME` as its PVs.
  const vg = spec.lvm.volumeGroups.find((v) => v.name === device.vg) as VolumeGroupSpec;
  return vg.pvs.map((pv) => pv.slice("drbd/".length));
}

function filesystem(spec: ConcreteSpec, fs: FilesystemSpec, d: PcsDialect): string[][] {
  const cmds: string[][] = [];
  const device = resolveDevice(spec, fs.device);
  if (device.kind === "lv" && spec.lvm.locking === "lvmlockd") {
    cmds.push(["resource", "create", ids.fsLv(fs.name), "ocf:heartbeat:LVM-activate", `vgname=${device.vg}`, `lvname=${device.lv}`, "activation_mode=shared", "vg_access_mode=lvmlockd", "--group", ids.fsGroup(fs.name)]);
  }
  cmds.push([
    "resource", "create", ids.fsMount(fs.name), "ocf:heartbeat:Filesystem",
    `device=${device.path}`, `directory=${fs.mountpoint}`, "fstype=gfs2", `options=${fs.options.join(",")}`,
    "op", "monitor", "interval=10s", `timeout=${recoveryMonitorTimeout(spec)}`, "on-fail=fence",
    "--group", ids.fsGroup(fs.name),
  ]);
  cmds.push(["resource", "clone", ids.fsGroup(fs.name), "interleave=true"]);
  cmds.push(["constraint", "order", "start", ids.lockingClone, "then", "start", ids.fsClone(fs.name)]);
  cmds.push(["constraint", "colocation", "add", ids.fsClone(fs.name), "with", ids.lockingClone]);
  for (const r of drbdUnder(spec, fs)) {
    cmds.push(["constraint", "colocation", "add", ids.fsClone(fs.name), "with", role.constraint(d), ids.drbdClone(r, d)]);
  }
  return cmds;
}

/** Stage `base`: everything the storage steps need running (fencing, DRBD promoted, locking). */
export function baseCommands(spec: ConcreteSpec): string[][] {
  const d = pcsDialect(spec);
  return [
    ...properties(spec),
    ...spec.stonith.devices.flatMap((dev) => stonithDevice(spec, dev)),
    ...spec.drbd.resources.flatMap((r) => drbdResource(r.name, d)),
    ...locking(spec, d),
  ];
}

/** Stage `filesystems`: the mounts, created only after mkfs so they never start on an empty device. */
export function filesystemCommands(spec: ConcreteSpec): string[][] {
  const d = pcsDialect(spec);
  return spec.filesystems.flatMap((fs) => filesystem(spec, fs, d));
}

/** CIB ids of the top-level resources a stage creates (what `wait-resources` and status watch). */
export function baseResources(spec: ConcreteSpec): string[] {
  const d = pcsDialect(spec);
  return [...spec.stonith.devices.map((x) => x.name), ...spec.drbd.resources.map((r) => ids.drbdClone(r.name, d)), ids.lockingClone];
}
