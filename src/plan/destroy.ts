import { resolveSpec } from "../spec/refs.js";
import type { Spec } from "../spec/types.js";
import type { Playbook } from "../playbook/types.js";
import { teardownCluster } from "./components/cluster.js";
import { compilation, type Teardown } from "./components/context.js";
import { teardownDrbd, wipeDrbdDevices } from "./components/drbd.js";
import { removeFencing } from "./components/fencing.js";
import { unmountFilesystems } from "./components/gfs2.js";
import { removeLocking, teardownLvm } from "./components/lvm.js";
import { concreteSpec, planFor } from "./concrete.js";
import type { Plan } from "./types.js";

export interface DestroyOptions {
  /** Also destroy the data: LVs, VGs, PV labels, filesystem signatures and DRBD metadata. */
  wipe: boolean;
}

/**
 * spec → the teardown Plan, the build in reverse: filesystem clones, LVM, locking, DRBD, then
 * fencing and the cluster itself. Pure, like `compile`. Without `wipe` every byte of data stays
 * on disk (LVs, VG, PVs, DRBD metadata and resource files), so applying the spec again attaches
 * the same data; with `wipe` the destructive steps remove it, each marked destructive.
 */
export function compileDestroy(input: Spec, options: DestroyOptions, playbook: Playbook): Plan {
  const spec = resolveSpec(concreteSpec(input, playbook, "destroy", "the teardown plan follows a destroy playbook such as destroy"));
  const t: Teardown = { ...compilation(spec), wipe: options.wipe };
  const unmounted = unmountFilesystems(t);
  const released = teardownLvm(t, unmounted);
  const cleared = t.wipe ? wipeDrbdDevices(t, released) : released;
  const unlocked = removeLocking(t, cleared);
  const stopped = teardownDrbd(t, unlocked);
  teardownCluster(t, removeFencing(t, stopped));
  return planFor(spec, t.drbd, t.pcs, t.steps.finish(playbook));
}
