import { InternalError } from "../errors.js";
import type { Spec } from "./types.js";

/**
 * What a spec's device reference (`drbd/r0`, `vg_gfs/lv_data`) stands for, resolved once.
 * The semantic rules have already refused a reference to nothing, so meeting one here is a
 * bug: it is never guessed (a wrong device under mkfs or pvcreate destroys data).
 */
export type DeviceRef = { kind: "drbd"; resource: string; minor: number; path: string } | { kind: "lv"; vg: string; lv: string; path: string };

export function resolveDevice(spec: Spec, ref: string): DeviceRef {
  const [head, name] = ref.split("/");
  if (head === undefined || name === undefined || head === "" || name === "") throw unknown(ref);
  if (head !== "drbd") return { kind: "lv", vg: head, lv: name, path: `/dev/${head}/${name}` };
  const resource = spec.drbd.resources.find((r) => r.name === name);
  if (!resource) throw unknown(ref);
  return { kind: "drbd", resource: name, minor: resource.minor, path: `/dev/drbd${resource.minor}` };
}

function unknown(ref: string): InternalError {
  return new InternalError(`device reference '${ref}' names nothing in the spec, past the rules that should have refused it`, "this is a gfsdeploy bug: please report it with your spec");
}
