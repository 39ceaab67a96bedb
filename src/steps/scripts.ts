import { createHash } from "node:crypto";

import { execRead, gather } from "../probes/facts.js";
import type { StepContext } from "./types.js";
import { mustExec } from "../transport/errors.js";

const SCRIPT_DIR = "/var/lib/gfsdeploy/scripts";

/**
 * Puts one of gfsdeploy's helper scripts (templates/scripts) on the node and returns its
 * path. The file name carries the content hash, so a node never runs a stale copy and an
 * unchanged script is not sent again.
 */
export async function shipScript(ctx: Pick<StepContext, "t" | "scripts">, name: string): Promise<string> {
  const path = scriptPath(ctx.scripts, name);
  const present = execRead("test", "-s", path);
  if ((await gather(ctx.t, [present])).get(present).code !== 0) await writeScript(ctx, name);
  return path;
}

/** Where the script `name` lives on a node: the path carries its content's hash. */
export function scriptPath(scripts: Readonly<Record<string, string>>, name: string): string {
  const body = scripts[name];
  if (body === undefined) throw new Error(`helper script ${name} is missing from templates/scripts`);
  return `${SCRIPT_DIR}/${createHash("sha256").update(body).digest("hex").slice(0, 12)}-${name}`;
}

/** Puts the script on the node, where facts showed it missing. */
export async function writeScript(ctx: Pick<StepContext, "t" | "scripts">, name: string): Promise<void> {
  await mustExec(ctx.t, "mkdir", ["-p", SCRIPT_DIR]);
  await ctx.t.writeFile(scriptPath(ctx.scripts, name), ctx.scripts[name] as string, { mode: 0o755 });
}
