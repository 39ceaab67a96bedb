import { pythonFor } from "../../spec/defaults.js";
import type { NodeSpec } from "../../spec/types.js";
import type { StepId } from "../builder.js";
import { baseCommands, baseResources, filesystemCommands, ids } from "../cib.js";
import type { Build } from "./context.js";
import type { Drbd } from "./drbd.js";
import type { Fencing } from "./fencing.js";
import type { Handles } from "./handles.js";
import type { Prepared } from "./prepare.js";

/** CIB stage 1, and what it runs. */
export interface CibBase {
  configured: StepId;
  /** DRBD promoted and the lock managers running on every node: the shared storage can be made. */
  running: StepId;
}

/** CIB stage 1: fencing, DRBD promotion, locking. Stage 2 (mounts) waits for mkfs. */
export function cibBase(c: Build, prepared: Prepared, fencing: Fencing, drbd: Drbd, ready: StepId, lvmConf: Handles<NodeSpec, StepId>): CibBase {
  const { spec, steps, first } = c;
  const configured = steps.add({
    id: "cluster/cib/base",
    host: first.name,
    kind: "cib",
    params: { stage: "base", dialect: c.pcs, python: pythonFor(spec.cluster.distro), prior: [], commands: baseCommands(spec), resources: baseResources(spec), secrets: fencing.secrets.map(({ path, file }) => ({ path, file })) },
    dependsOn: [ready, prepared.pcsAuth, ...drbd.resources.map((r) => r.initialSync), ...spec.nodes.flatMap((n) => [...drbd.files.of(n), lvmConf.of(n)]), ...fencing.secretFiles],
    source: "stonith",
    phase: "locking",
    title: "CIB: properties, fencing, DRBD promotable clones, dlm/lock-manager clone",
  });
  const running = steps.add({
    id: "cluster/wait/base",
    host: first.name,
    kind: "wait-resources",
    params: {
      resources: [...spec.refs.resources.map((r) => ({ id: ids.drbdClone(r.name, c.pcs), role: "Promoted" as const })), { id: ids.lockingClone, role: "Started" as const }],
      nodes: spec.nodes.map((n) => n.name),
      timeoutSec: 900,
    },
    dependsOn: [configured],
    source: "drbd",
    phase: "locking",
    title: "DRBD promoted and lock managers running on every node",
  });
  return { configured, running };
}

/** CIB stage 2: the filesystems, once made. Returns the step that has GFS2 mounted on every node. */
export function mountFilesystems(c: Build, base: CibBase, formatted: StepId[]): StepId {
  const { spec, steps, first } = c;
  const configured = steps.add({
    id: "cluster/cib/filesystems",
    host: first.name,
    kind: "cib",
    params: { stage: "filesystems", dialect: c.pcs, python: pythonFor(spec.cluster.distro), prior: baseCommands(spec), commands: filesystemCommands(spec), resources: spec.filesystems.map((fs) => ids.fsClone(fs.name)), secrets: [] },
    dependsOn: [base.configured, ...formatted],
    source: "filesystems",
    phase: "filesystems",
    title: "CIB: LV activation + Filesystem clones with order and colocation",
  });
  return steps.add({
    id: "cluster/wait/filesystems",
    host: first.name,
    kind: "wait-resources",
    params: { resources: spec.filesystems.map((fs) => ({ id: ids.fsClone(fs.name), role: "Started" as const })), nodes: spec.nodes.map((n) => n.name), timeoutSec: 900 },
    dependsOn: [configured],
    source: "filesystems",
    phase: "filesystems",
    title: "GFS2 mounted on every node",
  });
}
