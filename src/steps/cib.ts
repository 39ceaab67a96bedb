import { createHash } from "node:crypto";

import { execRead, fileRead, type Facts, type Read } from "../probes/facts.js";
import { scriptPath, writeScript } from "./scripts.js";
import type { CheckEnv, StepHandler } from "./types.js";
import type { Step } from "../plan/types.js";
import { run } from "./util.js";

const CACHE = "/var/lib/gfsdeploy/cib";

interface CibChange {
  kind: "property" | "add" | "change";
  id: string;
  tag?: string;
  before?: string | null;
  after?: string;
}

/** pcs's version on any target: dpkg-query where dpkg is, else rpm. */
export const pcsVersion = execRead("sh", "-c", "dpkg-query -W -f='${Version}' pcs 2>/dev/null || rpm -q pcs");

/**
 * The CIB this stage wants, built on the node from an empty CIB with one pcs process, is
 * cached under the hash of its commands; the `.pcs` file beside it names the pcs version
 * that built it. A re-run that changes nothing never starts pcs (20+ s a time in a slow VM):
 * the comparison itself uses C tools only.
 */
function desiredPath(step: Step<"cib">): string {
  const key = createHash("sha256").update(JSON.stringify([...step.params.prior, ...step.params.commands])).digest("hex").slice(0, 16);
  return `${CACHE}/desired-${step.params.stage}-${key}.xml`;
}

const syncRead = (step: Step<"cib">, env: Pick<CheckEnv, "scripts">): Read => execRead(step.params.python, scriptPath(env.scripts, "cib_sync.py"), "check", desiredPath(step));
const present = (path: string): Read => execRead("test", "-s", path);

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

function parseChanges(stdout: string): CibChange[] | undefined {
  try {
    const parsed = JSON.parse(stdout) as { changes?: unknown };
    return Array.isArray(parsed.changes) ? (parsed.changes as CibChange[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The installed pcs version, "" while pcs is not installed. */
const versionOf = (f: Facts): string => (f.get(pcsVersion).code === 0 ? f.get(pcsVersion).stdout.trim() : "");

export const cib: StepHandler<"cib"> = {
  reads: (step, env) => [pcsVersion, present(scriptPath(env.scripts, "pcs_batch.py")), present(scriptPath(env.scripts, "cib_sync.py")), fileRead(`${desiredPath(step)}.pcs`), syncRead(step, env)],
  async prepare(step, f, ctx) {
    const version = versionOf(f);
    if (version === "") return false;
    let wrote = false;
    for (const name of ["pcs_batch.py", "cib_sync.py"]) {
      if (f.get(present(scriptPath(ctx.scripts, name))).code !== 0) {
        await writeScript(ctx, name);
        wrote = true;
      }
    }
    const desired = desiredPath(step);
    if (f.file(`${desired}.pcs`) === version) return wrote;
    const commands = [...step.params.prior, ...step.params.commands];
    const tmp = `${desired}.tmp`;
    await run(ctx, "mkdir", ["-p", CACHE]);
    await run(ctx, "sh", ["-c", 'cibadmin --empty > "$1"', "sh", tmp]);
    ctx.log(`building the desired CIB (${commands.length} pcs commands in one process)`);
    await run(ctx, step.params.python, [scriptPath(ctx.scripts, "pcs_batch.py"), "-f", tmp], { stdin: JSON.stringify(commands) });
    await run(ctx, "mv", ["-f", tmp, desired]);
    await ctx.t.writeFile(`${desired}.pcs`, version);
    return true;
  },
  check(step, f, env) {
    if (versionOf(f) === "") return { status: "pending", why: "pcs is not installed yet" };
    const r = f.get(syncRead(step, env));
    if (r.code !== 0) return { status: "pending", why: `cannot compare with the live CIB: ${r.stderr.trim().split("\n").pop() ?? `exit ${r.code}`}` };
    const changes = parseChanges(r.stdout);
    if (changes === undefined) return { status: "pending", why: `cib_sync.py printed no comparison: '${r.stdout.trim().slice(0, 80)}'` };
    if (changes.length === 0) return { status: "ok" };
    return { status: "change", reason: `${changes.length} CIB change(s) in stage ${step.params.stage}`, diff: changes.map(describe).join("\n") };
  },
  async apply(step, ctx) {
    await run(ctx, step.params.python, [scriptPath(ctx.scripts, "cib_sync.py"), "apply", desiredPath(step)]);
  },
};
