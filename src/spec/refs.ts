import { InternalError } from "../errors.js";
import type { ConcreteSpec, DrbdResourceSpec, FilesystemSpec, LogicalVolumeSpec, NodeSpec, Spec, VolumeGroupSpec } from "./types.js";

/**
 * What a spec's device reference (`drbd/r0`, `vg_gfs/lv_data`) stands for, resolved once.
 * The semantic rules have already refused a reference to nothing, so meeting one here is a
 * bug: it is never guessed (a wrong device under mkfs or pvcreate destroys data).
 */
export type DeviceRef = { kind: "drbd"; resource: string; minor: number; path: string } | { kind: "lv"; vg: string; lv: string; path: string };
export type DrbdRef = Extract<DeviceRef, { kind: "drbd" }>;
export type LvRef = Extract<DeviceRef, { kind: "lv" }>;

export function resolveDevice(spec: Spec, ref: string): DeviceRef {
  const [head, name] = ref.split("/");
  if (head === undefined || name === undefined || head === "" || name === "") throw unknown(ref);
  if (head !== "drbd") {
    const vg = spec.lvm.volumeGroups.find((v) => v.name === head);
    if (!vg?.logicalVolumes.some((lv) => lv.name === name)) throw unknown(ref);
    return lvRef(head, name);
  }
  const resource = spec.drbd.resources.find((r) => r.name === name);
  if (!resource) throw unknown(ref);
  return drbdRef(resource);
}

/**
 * A spec with every reference in it resolved, once, for the compilers: each DRBD resource, VG,
 * LV and filesystem beside what it names, and `source`, where it sits in the spec
 * (`drbd.resources[0]`), which the steps made from it give as theirs.
 */
export interface ResolvedSpec extends ConcreteSpec {
  refs: {
    resources: ResolvedResource[];
    volumeGroups: ResolvedVolumeGroup[];
    filesystems: ResolvedFilesystem[];
  };
}

export interface ResolvedResource extends DrbdResourceSpec {
  source: string;
  device: DrbdRef;
  /** Its backing disk on `node`: every node has one, or the rules refused the spec. */
  diskOn(node: NodeSpec): string;
}

export interface ResolvedVolumeGroup extends Omit<VolumeGroupSpec, "pvs" | "logicalVolumes"> {
  source: string;
  /** The rules allow only DRBD devices as PVs. */
  pvs: DrbdRef[];
  logicalVolumes: ResolvedVolume[];
}

export interface ResolvedVolume extends LogicalVolumeSpec {
  source: string;
  device: LvRef;
}

export interface ResolvedFilesystem extends Omit<FilesystemSpec, "device"> {
  source: string;
  device: DeviceRef;
}

export function resolveSpec(spec: ConcreteSpec): ResolvedSpec {
  return {
    ...spec,
    refs: {
      resources: spec.drbd.resources.map((r, i) => resolveResource(spec, r, `drbd.resources[${i}]`)),
      volumeGroups: spec.lvm.volumeGroups.map((vg, i) => {
        const source = `lvm.volumeGroups[${i}]`;
        return {
          name: vg.name,
          source,
          pvs: vg.pvs.map((pv) => {
            const device = resolveDevice(spec, pv);
            if (device.kind !== "drbd") throw notDrbd(pv);
            return device;
          }),
          logicalVolumes: vg.logicalVolumes.map((lv, j) => ({ ...lv, source: `${source}.logicalVolumes[${j}]`, device: lvRef(vg.name, lv.name) })),
        };
      }),
      filesystems: spec.filesystems.map((fs, i) => ({ ...fs, source: `filesystems[${i}]`, device: resolveDevice(spec, fs.device) })),
    },
  };
}

function resolveResource(spec: ConcreteSpec, resource: DrbdResourceSpec, source: string): ResolvedResource {
  const disks = new Map(spec.nodes.map((n) => [n.name, resource.disks?.[n.name] ?? resource.disk ?? noDisk(resource, n)]));
  return { ...resource, source, device: drbdRef(resource), diskOn: (node) => disks.get(node.name) ?? noDisk(resource, node) };
}

function drbdRef(resource: DrbdResourceSpec): DrbdRef {
  return { kind: "drbd", resource: resource.name, minor: resource.minor, path: `/dev/drbd${resource.minor}` };
}

function lvRef(vg: string, lv: string): LvRef {
  return { kind: "lv", vg, lv, path: `/dev/${vg}/${lv}` };
}

function unknown(ref: string): InternalError {
  return new InternalError(`device reference '${ref}' names nothing in the spec, past the rules that should have refused it`, "this is a gfsdeploy bug: please report it with your spec");
}

function notDrbd(ref: string): InternalError {
  return new InternalError(`physical volume '${ref}' is not a DRBD device, past the rules that should have refused it`, "this is a gfsdeploy bug: please report it with your spec");
}

function noDisk(resource: DrbdResourceSpec, node: NodeSpec): never {
  throw new InternalError(`DRBD resource '${resource.name}' has no backing disk on ${node.name}, past the rules that should have refused it`, "this is a gfsdeploy bug: please report it with your spec");
}
