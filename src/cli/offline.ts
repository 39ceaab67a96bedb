import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

import { compile } from "../plan/compile.js";
import { compileDestroy, type DestroyOptions } from "../plan/destroy.js";
import type { Plan } from "../plan/types.js";
import { renderArtifacts } from "../render/artifacts.js";
import { loadSpec } from "../spec/load.js";
import { loadPlaybook } from "./playbooks.js";
import { loadTemplates } from "./templates.js";

/**
 * Spec file → plan, touching nothing but the spec and the templates. `checkLocalFiles`
 * (validate) also requires what a live run reads here: the secrets and the SSH key.
 */
export function offlinePlan(file: string, checkLocalFiles: boolean, forced: readonly string[] = []): Plan {
  const loaded = loadSpec(file, { checkSecrets: checkLocalFiles, checkSshAccess: checkLocalFiles });
  return compile(loaded.spec, loadTemplates(), loadPlaybook("site"), { forced });
}

/** The teardown plan, compiled from the spec alone (`plan --destroy --offline`). */
export function offlineDestroyPlan(file: string, options: DestroyOptions): Plan {
  return compileDestroy(loadSpec(file, { checkSecrets: false, checkSshAccess: false }).spec, options, loadPlaybook("destroy"));
}

/** The spec's cluster name, read without secrets or keys: what `destroy --wipe` is confirmed with. */
export function specClusterName(file: string): string {
  return loadSpec(file, { checkSecrets: false, checkSshAccess: false }).spec.cluster.name;
}

/** The one function that writes rendered artifacts. Returns the paths written. */
export function writeArtifacts(plan: Plan, outDir: string): string[] {
  const written: string[] = [];
  for (const a of renderArtifacts(plan)) {
    const target = join(outDir, a.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, a.content, { mode: a.mode });
    chmodSync(target, a.mode);
    written.push(target);
  }
  return written;
}
