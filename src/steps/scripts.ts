import { createHash } from "node:crypto";

import type { StepContext } from "./types.js";
import { mustExec } from "../transport/errors.js";

const SCRIPT_DIR = "/var/lib/gfsdeploy/scripts";

/**
 * Puts one of gfsdeploy's helper scripts (templates/scripts) on the node and returns its
 * path. The file name carries the content hash, so a node never runs a stale copy and an
 * unchanged script is not sent again.
 */
export async function shipScript(ctx: Pick<StepContext, "t" | "scripts">, name: string): Promise<string> {
  const body = ctx.scripts[name];
  if (body === undefined) throw new Error(`helper script ${name} is missing from templates/scripts`);
  const digest = createHash("sha256").update(body).digest("hex").slice(0, 12);
  const path = `${SCRIPT_DIR}/${digest}-${name}`;
  const present = await ctx.t.exec("test", ["-s", path]);
  if (present.code !== 0) {
    await mustExec(ctx.t, "mkdir", ["-p", SCRIPT_DIR]);
    await ctx.t.writeFile(path, body, { mode: 0o755 });
  }
  return path;
}
