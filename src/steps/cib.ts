import { createHash } from "node:crypto";

import { shipScript } from "./scripts.js";
import type { StepContext, StepHandler } from "./types.js";
import type { Step } from "../plan/types.js";
import { probe, run } from "./util.js";

const CACHE = "/var/lib/gfsdeploy/cib";

interface CibChange {
  kind: "property" | "add" | "change";
  id: string;
  tag?: string;
  before?: string | null;
  after?: string;
}

/**
 * The CIB this stage wants, built on the node from an empty CIB with one pcs process.
 * It is cached by the commands and the pcs version, so a re-run that changes nothing never
 * starts pcs (20+ s a time in a slow VM): the comparison itself uses C tools only.
 */
async function desiredCib(step: Step<"cib">, ctx: StepContext): Promise<string> {
  const commands = [...step.params.prior, ...step.params.commands];
  const version = (await probe(ctx, "sh", ["-c", "dpkg-query -W -f='${Version}' pcs 2>/dev/null || rpm -q pcs"])).stdout.trim();
  const key = createHash("sha256").update(JSON.stringify({ version, commands })).digest("hex").slice(0, 16);
  const path = `${CACHE}/desired-${step.params.stage}-${key}.xml`;
  if ((await probe(ctx, "test", ["-s", path])).code === 0) return path;
  const batch = await shipScript(ctx, "pcs_batch.py");
  const tmp = `${path}.tmp`;
  await run(ctx, "mkdir", ["-p", CACHE]);
  await run(ctx, "sh", ["-c", 'cibadmin --empty > "$1"', "sh", tmp]);
  ctx.log(`building the desired CIB (${commands.length} pcs commands in one process)`);
  await run(ctx, step.params.python, [batch, "-f", tmp], { stdin: JSON.stringify(commands) });
  await run(ctx, "mv", ["-f", tmp, path]);
  return path;
}

async function sync(step: Step<"cib">, ctx: StepContext, mode: "check" | "apply"): Promise<CibChange[]> {
  const desired = await desiredCib(step, ctx);
  const script = await shipScript(ctx, "cib_sync.py");
  const out = await run(ctx, step.params.python, [script, mode, desired]);
  return (JSON.parse(out.stdout) as { changes: CibChange[] }).changes;
}

function describe(c: CibChange): string {
  switch (c.kind) {
    case "property":
      return `~ property ${c.id}: ${c.before ?? "(unset)"} → ${c.after ?? ""}`;
    case "add":
      return `+ ${c.tag ?? "element"} ${c.id}`;
    case "change":
      return `~ ${c.tag ?? "element"} ${c.id} differs from the spec`;
  }
}

export const cib: StepHandler<"cib"> = {
  async check(step, ctx) {
    const changes = await sync(step, ctx, "check");
    if (changes.length === 0) return { status: "ok" };
    return { status: "change", reason: `${changes.length} CIB change(s) in stage ${step.params.stage}`, diff: changes.map(describe).join("\n") };
  },
  async apply(step, ctx) {
    await sync(step, ctx, "apply");
  },
};
