import { TemplateSet, type TemplateSources } from "../render/templates.js";
import { resolveSpec } from "../spec/refs.js";
import type { Spec } from "../spec/types.js";
import type { Playbook } from "../playbook/types.js";
import { cibBase, mountFilesystems } from "./components/cib.js";
import { startCluster } from "./components/cluster.js";
import { type Build, compilation } from "./components/context.js";
import { corosync } from "./components/corosync.js";
import { drbd, resizeDrbd } from "./components/drbd.js";
import { fencing } from "./components/fencing.js";
import { formatFilesystems, growFilesystems } from "./components/gfs2.js";
import { lvm, lvmConfig } from "./components/lvm.js";
import { prepare } from "./components/prepare.js";
import { concreteSpec, planFor } from "./concrete.js";
import type { Plan } from "./types.js";

/**
 * spec → Plan. Pure: no file system, clock, environment or network; the templates come in
 * as text and the playbook (playbooks/site.yaml for apply) as data. Steps are returned in
 * dependency order, phase by phase in the playbook's order; within a phase, in the order the
 * components below add them.
 *
 * `forced`: devices the user allowed destructive steps to overwrite (`--force-device`); their
 * steps get the commands that overwrite (pvcreate -ff -y, wipefs before create-md), so the
 * plan shows exactly what apply runs.
 */
export function compile(input: Spec, templateSources: TemplateSources, playbook: Playbook, options: { forced?: readonly string[] } = {}): Plan {
  const spec = resolveSpec(concreteSpec(input, playbook, "apply", "compile builds the apply plan: use an apply playbook such as site"));
  const c: Build = { ...compilation(spec), templates: new TemplateSet(templateSources), forced: new Set(options.forced) };
  const prepared = prepare(c);
  const corosyncFiles = corosync(c, prepared);
  const fenced = fencing(c, prepared);
  const replicated = drbd(c, prepared);
  const ready = startCluster(c, prepared, corosyncFiles, fenced);
  const lvmConf = lvmConfig(c, prepared);
  const base = cibBase(c, prepared, fenced, replicated, ready, lvmConf);
  const resized = resizeDrbd(c, replicated, base);
  const volumes = lvm(c, base, resized, lvmConf);
  const formatted = formatFilesystems(c, base, volumes);
  // Without filesystems there is no second CIB stage, and nothing to grow.
  if (formatted.length > 0) growFilesystems(c, mountFilesystems(c, base, formatted), volumes, resized, lvmConf);
  return planFor(spec, c.drbd, c.pcs, c.steps.finish(playbook));
}
