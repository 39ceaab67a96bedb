import { readdirSync, readFileSync } from "node:fs";
import { basename, isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { SpecError, UsageError } from "../errors.js";
import { parsePlaybook } from "../playbook/parse.js";
import type { Playbook } from "../playbook/types.js";

/** playbooks/ at the package root, both from src/ (tsx, tests) and from dist/. */
export const playbooksDir = fileURLToPath(new URL("../../playbooks/", import.meta.url));

/** The playbooks gfsdeploy ships, by name (file name without .yaml). */
export function shippedPlaybooks(dir = playbooksDir): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => basename(f, ".yaml"))
    .sort();
}

/**
 * A playbook by path, or by bare name (`grow`, `grow.yaml`) from the shipped playbooks/. A
 * name with a `/` is always a path, so a file in the working directory is `./site.yaml`:
 * which playbook runs never depends on the directory gfsdeploy was started from.
 */
export function loadPlaybook(nameOrPath: string, dir = playbooksDir): Playbook {
  const isPath = nameOrPath.includes("/");
  const file = isPath ? nameOrPath : `${dir}/${nameOrPath.replace(/\.yaml$/, "")}.yaml`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    throw new UsageError(
      isPath ? `cannot read playbook ${nameOrPath}: ${code}` : `no playbook named ${nameOrPath}`,
      `name a shipped playbook (${shippedPlaybooks(dir).join(", ")}) or give a path such as ./my-playbook.yaml`,
    );
  }
  const shown = isPath ? (isAbsolute(file) ? relative(process.cwd(), file) || file : file) : `playbooks/${basename(file)}`;
  const parsed = parsePlaybook(text, shown);
  if (!parsed.ok) throw new SpecError(parsed.diagnostics);
  return parsed.playbook;
}
