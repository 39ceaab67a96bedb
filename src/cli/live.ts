import { ConnectionError, UnhealthyError, UsageError } from "../errors.js";
import { compile } from "../plan/compile.js";
import { compileDestroy, type DestroyOptions } from "../plan/destroy.js";
import { driftMessage, refusalMessage, splitByPlaybook } from "../plan/select.js";
import type { Plan } from "../plan/types.js";
import type { Playbook } from "../playbook/types.js";
import { acquireClusterLock, lockHolderText } from "../run/lock.js";
import { runSteps, type RunResult } from "../run/runner.js";
import type { Subscriber } from "../run/events.js";
import { detectDistro, OS_RELEASE } from "../spec/distro.js";
import { loadSpec, specRelativePath, withDetectedDistro, type LoadedSpec } from "../spec/load.js";
import type { Spec } from "../spec/types.js";
import { handlers } from "../steps/registry.js";
import { CountingTransport } from "../transport/counting.js";
import { SshTransport } from "../transport/ssh.js";
import type { Transport } from "../transport/types.js";
import { loadSecrets } from "./secrets.js";
import { loadScripts, loadTemplates } from "./templates.js";

export interface LiveOptions {
  /** An apply playbook: site for plan and apply, any apply playbook for `run`. */
  playbook: Playbook;
  acceptNewHostKeys: boolean;
  forceDevices: string[];
  /** With a destroy playbook (`destroy`, `plan --destroy`): whether the data goes too. */
  destroy?: DestroyOptions;
  /** The displays for this run; `finished` settles when they have drawn their last frame. */
  display: (plan: Plan) => { subscribers: Subscriber[]; finished?: Promise<void> };
}

/** One SSH connection per node for the whole run, checked up front so failures name the node. */
export async function connect(spec: Spec, baseDir: string, acceptNewHostKeys: boolean): Promise<Map<string, Transport>> {
  const { transports, failures } = await connectEach(spec, baseDir, acceptNewHostKeys);
  if (failures.size > 0) {
    await closeAll(transports);
    const all = [...failures.values()];
    const first = all[0];
    if (first instanceof ConnectionError && all.length === 1) throw first;
    const hints = [...new Set(all.map((f) => (f instanceof ConnectionError ? f.hint : "check that every node is up and reachable over SSH")))];
    throw new ConnectionError(all.map((f) => f.message).join("\n"), hints.join("\n      "));
  }
  return transports;
}

/** What each connection's probe read of /etc/os-release, so resolveDistro need not ask again. */
const osReleaseRead = new WeakMap<Transport, Buffer | undefined>();

/**
 * Connects to every node it can: the reachable ones' transports and, by node, why the others
 * failed. For commands (bench) that still have something true to say with a node down.
 */
export async function connectEach(spec: Spec, baseDir: string, acceptNewHostKeys: boolean): Promise<{ transports: Map<string, Transport>; failures: Map<string, Error> }> {
  // A spec loaded with checkSshAccess (plan, apply, status) was refused earlier, with its location.
  if (!spec.ssh.identityFile) throw new UsageError("ssh.identityFile is not set", "set ssh.identityFile in the spec to the private key gfsdeploy logs in with");
  const identityFile = specRelativePath(spec.ssh.identityFile, baseDir);
  const knownHostsFile = specRelativePath(spec.ssh.knownHosts, baseDir);
  const transports = new Map<string, Transport>();
  // Before any plan exists: with distro auto the nodes are asked what they are first.
  for (const n of spec.nodes) {
    const port = n.ssh?.port ?? spec.ssh.port;
    const user = n.ssh?.user ?? spec.ssh.user;
    // Counted from the first connection on: a run reports what the whole command cost each node.
    transports.set(n.name, new CountingTransport(new SshTransport({ host: n.name, address: n.host, port, user, identityFile, knownHostsFile, acceptNewHostKeys })));
  }
  const entries = [...transports];
  // The probe that proves each connection is the read distro: auto needs anyway.
  const probes = await Promise.allSettled(entries.map(([, t]) => t.readFile(OS_RELEASE)));
  // In the spec's node order, whichever answered first, so messages read the same every time.
  const failures = new Map<string, Error>();
  for (const [i, p] of probes.entries()) {
    const [node, t] = entries[i] as [string, Transport];
    if (p.status === "fulfilled") {
      osReleaseRead.set(t, p.value);
      continue;
    }
    failures.set(node, p.reason instanceof Error ? p.reason : new Error(String(p.reason)));
    transports.delete(node);
    await t.close();
  }
  return { transports, failures };
}

/**
 * Connects, then checks (plan) or converges (apply) the playbook's steps. The steps of its
 * check-only phases are checked first, and any that is not ok stops the run before anything
 * changes. Always closes the connections.
 */
export async function runLive(file: string, mode: "plan" | "apply", options: LiveOptions): Promise<{ plan: Plan; result: RunResult }> {
  const given = loadSpec(file, { checkSecrets: true, checkSshAccess: true });
  const destroy = options.playbook.workflow === "destroy";
  const compileFor = (spec: Spec) => (destroy ? compileDestroy(spec, options.destroy ?? { wipe: false }, options.playbook) : compile(spec, loadTemplates(), options.playbook, { forced: options.forceDevices }));
  // Everything that can fail without the nodes fails before they are dialled: secrets do not
  // depend on the distro, and a named distro compiles now.
  const early = given.spec.cluster.distro === "auto" ? undefined : compileFor(given.spec);
  const secrets = loadSecrets(given.spec, given.baseDir, { generateAuthkey: mode === "apply" && !destroy });
  const transports = await connect(given.spec, given.baseDir, options.acceptNewHostKeys).catch((e: unknown) => {
    // Half a teardown is worse than none: a node left out keeps its mounts, DRBD and membership.
    if (destroy && e instanceof ConnectionError) throw new ConnectionError(`destroy needs every node, and not all are reachable:\n${e.message}`, `${e.hint}\n      nothing was changed; bring every node back, then run destroy again`);
    throw e;
  });
  let full: Plan;
  try {
    full = early ?? compileFor((await resolveDistro(given, transports)).spec);
  } catch (e) {
    await closeAll(transports);
    throw e;
  }
  const { check, run: plan } = splitByPlaybook(full, options.playbook);
  // Only apply changes things; a plan may run beside an apply and read what it sees.
  const lock = mode === "apply" ? await acquireClusterLock(transports, lockHolderText()).catch(async (e: unknown) => {
    await closeAll(transports);
    throw e;
  }) : undefined;
  try {
    const context = { secrets, forced: new Set(options.forceDevices), scripts: loadScripts(), pollMs: 2000 };
    if (check.steps.length > 0) {
      const checked = await runSteps(check, { mode: "plan", transports, registry: handlers, context, subscribers: [] });
      const drift = driftMessage([...checked.records.values()].map((r) => ({ step: r.step, outcome: r.outcome, reason: r.reason ?? r.error?.message })));
      if (drift !== undefined) throw new UnhealthyError(`${drift}\nplaybook ${options.playbook.name} changed nothing`, `run \`gfsdeploy plan ${file}\` to see the drift and \`gfsdeploy apply ${file}\` to correct it, then run the playbook again`);
    }
    if (destroy && mode === "apply") {
      // Half a teardown is worse than none: a refusal anywhere in it stops it before the first change.
      const looked = await runSteps(plan, { mode: "plan", transports, registry: handlers, context, subscribers: [] });
      const refused = refusalMessage([...looked.records.values()].map((r) => ({ step: r.step, outcome: r.outcome, reason: r.error?.message ?? r.reason, hint: r.error?.hint })));
      if (refused !== undefined) throw new UnhealthyError(`destroy cannot finish: ${refused.message}\nnothing was changed`, refused.hint);
    }
    const display = options.display(plan);
    const result = await runSteps(plan, {
      mode,
      transports,
      registry: handlers,
      context,
      subscribers: display.subscribers,
    });
    await display.finished;
    return { plan, result };
  } finally {
    await lock?.release();
    await closeAll(transports);
  }
}

/**
 * The spec for the target the nodes really are: unchanged for a named distro; for `auto`,
 * every node's /etc/os-release is read (nothing else) and the spec's distro-dependent defaults
 * and rules are applied for the one target they agree on.
 */
export async function resolveDistro(loaded: LoadedSpec, transports: ReadonlyMap<string, Transport>): Promise<LoadedSpec> {
  if (loaded.spec.cluster.distro !== "auto") return loaded;
  return withDetectedDistro(loaded, await detectDistro(transports, osReleaseRead));
}

export async function closeAll(transports: ReadonlyMap<string, Transport>): Promise<void> {
  await Promise.all([...transports.values()].map((t) => t.close()));
}
