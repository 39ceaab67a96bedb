import type { TemplateSet } from "../../render/templates.js";
import { drbdDialect } from "../../spec/defaults.js";
import type { ResolvedSpec } from "../../spec/refs.js";
import type { DrbdDialect, NodeSpec } from "../../spec/types.js";
import { PlanBuilder } from "../builder.js";
import { pcsDialect } from "../cib.js";
import type { PcsDialect } from "../types.js";

/** What every component reads, and the builder it adds its steps to. */
export interface Compilation {
  spec: ResolvedSpec;
  steps: PlanBuilder;
  /** The node cluster-wide steps run on. */
  first: NodeSpec;
  drbd: DrbdDialect;
  pcs: PcsDialect;
}

export function compilation(spec: ResolvedSpec): Compilation {
  return { spec, steps: new PlanBuilder(), first: spec.nodes[0] as NodeSpec, drbd: drbdDialect(spec) as DrbdDialect, pcs: pcsDialect(spec) };
}

/** Building the cluster: `compile`. */
export interface Build extends Compilation {
  templates: TemplateSet;
  /** Devices the user allowed destructive steps to overwrite (`--force-device`). */
  forced: ReadonlySet<string>;
}

/** Taking it down: `compileDestroy`. */
export interface Teardown extends Compilation {
  /** `--wipe`: the data goes too. */
  wipe: boolean;
}

/** Long enough for Pacemaker to stop a GFS2 mount under load, or DRBD to demote. */
export const STOP_TIMEOUT_SEC = 600;

export const root = { owner: "root", group: "root" } as const;

export function isEl(spec: ResolvedSpec): boolean {
  return spec.cluster.distro.startsWith("el");
}
