import { randomBytes } from "node:crypto";

import { UsageError } from "../errors.js";
import { fenceTest, formatPhaseTable, type PhaseResult } from "../fence-test/run.js";
import { healthyShape } from "../health/shape.js";
import { compile } from "../plan/compile.js";
import type { Plan } from "../plan/types.js";
import type { Playbook } from "../playbook/types.js";
import { acquireClusterLock, lockHolderText } from "../run/lock.js";
import { runSteps } from "../run/runner.js";
import { loadSpec, specRelativePath } from "../spec/load.js";
import { handlers } from "../steps/registry.js";
import { SshTransport } from "../transport/ssh.js";
import { closeAll, connect, resolveDistro } from "./live.js";
import { loadPlaybook } from "./playbooks.js";
import { loadSecrets } from "./secrets.js";
import { loadScripts, loadTemplates } from "./templates.js";

export interface FenceTestFlags {
  target?: string;
  json?: boolean;
  acceptNewHostKeys?: boolean;
  /** Asked before anything is contacted; false stops the run. */
  confirm: (target: string) => Promise<boolean>;
}

/**
 * `gfsdeploy run fence-test SPEC`: the fence-test workflow over SSH. Holds the cluster lock
 * on the nodes that stay up, so no apply changes the cluster while it recovers.
 */
export async function runFenceTest(playbook: Playbook, file: string, flags: FenceTestFlags, out: (text: string) => void): Promise<{ results: PhaseResult[]; passed: boolean }> {
  const loaded = loadSpec(file, { checkSecrets: true, checkSshAccess: true });
  const spec = loaded.spec;
  const nodes = spec.nodes.map((n) => n.name);
  const target = flags.target ?? nodes.at(-1) ?? "";
  if (!nodes.includes(target)) throw new UsageError(`--target ${target} is not a node of ${loaded.file}`, `choose one of: ${nodes.join(", ")}`);
  if (!(await flags.confirm(target))) throw new UsageError(`not confirmed; ${target} was not fenced`, "answer y to fence it, or pass --yes");
  const secrets = loadSecrets(spec, loaded.baseDir, { generateAuthkey: false });
  const transports = await connect(spec, loaded.baseDir, flags.acceptNewHostKeys ?? false);
  // verify is the apply plan's checks, so it compiles with the apply playbook, for the target the nodes say they are.
  let plan: Plan;
  try {
    plan = compile((await resolveDistro(loaded, transports)).spec, loadTemplates(), loadPlaybook("site"));
  } catch (e) {
    await closeAll(transports);
    throw e;
  }
  const survivors = new Map([...transports].filter(([n]) => n !== target));
  const lock = await acquireClusterLock(survivors, lockHolderText()).catch(async (e: unknown) => {
    await closeAll(transports);
    throw e;
  });
  const node = plan.nodes.find((n) => n.name === target);
  const open = new Map(transports);
  try {
    const results = await fenceTest({
      playbook,
      healthy: healthyShape(spec),
      target,
      transports,
      connect: (name) => {
        if (!node || !spec.ssh.identityFile) throw new UsageError(`cannot reconnect to ${name}`, "set ssh.identityFile in the spec");
        const t = new SshTransport({
          host: name,
          address: node.host,
          port: node.port,
          user: node.user,
          identityFile: specRelativePath(spec.ssh.identityFile, loaded.baseDir),
          knownHostsFile: specRelativePath(spec.ssh.knownHosts, loaded.baseDir),
          acceptNewHostKeys: false,
        });
        open.set(name, t);
        return t;
      },
      verify: async (current) => {
        const result = await runSteps(plan, { mode: "plan", transports: current, registry: handlers, context: { secrets, forced: new Set(), scripts: loadScripts(), pollMs: 2000 }, subscribers: [] });
        return [...result.records.values()].filter((r) => r.outcome !== "ok").map((r) => `${r.step.id} ${r.outcome}${r.reason ? ` (${r.reason})` : ""}`);
      },
      runId: randomBytes(6).toString("hex"),
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      pollMs: 5000,
      timeoutMs: 15 * 60_000,
    });
    out(flags.json ? JSON.stringify({ playbook: playbook.name, target, phases: results }) + "\n" : formatPhaseTable(results));
    return { results, passed: results.every((r) => r.outcome === "ok") };
  } finally {
    // A survivor that died meanwhile took its lock with it; failing to release that must not hide the results.
    await lock.release().catch(() => undefined);
    await closeAll(open);
  }
}
