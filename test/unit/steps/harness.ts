/**
 * Shared pieces of the step tests: the compiled plans whose real steps the tests run, the
 * secrets they use, a StepContext over a NodeSim, and the nodes most steps start from.
 */

import { expect } from "vitest";

import { loadPlaybook } from "../../../src/cli/playbooks.js";
import { loadScripts, loadTemplates } from "../../../src/cli/templates.js";
import { compile } from "../../../src/plan/compile.js";
import { compileDestroy } from "../../../src/plan/destroy.js";
import type { AnyStep, Plan, Step, StepKind } from "../../../src/plan/types.js";
import { loadSpec } from "../../../src/spec/load.js";
import { handlers } from "../../../src/steps/registry.js";
import { handlerFor, type CheckResult, type SecretStore, type StepContext } from "../../../src/steps/types.js";
import { checkStep, envOf, reader } from "../../../src/steps/util.js";
import { quoteCommand } from "../../../src/transport/quote.js";
import { NodeSim } from "./node-sim.js";
import { testbedSpec } from "../../support/testbed-spec.js";

const templates = loadTemplates();
const scripts = loadScripts();
const site = loadPlaybook("site");

function planOf(file: string): Plan {
  return compile(loadSpec(file, { checkSecrets: false }).spec, templates, site);
}

/** debian12-lvmlockd: two nodes, IPMI fencing, DRBD 8.4 with a full initial sync, lvmlockd. */
export const lvmlockdPlan = planOf("test/fixtures/specs/debian12-lvmlockd/cluster.yaml");
/** debian12-lvmlockd compiled as `--force-device` for `devices` makes it: their overwriting commands in place. */
export function lvmlockdPlanForcing(devices: string[]): Plan {
  return compile(loadSpec("test/fixtures/specs/debian12-lvmlockd/cluster.yaml", { checkSecrets: false }).spec, templates, site, { forced: devices });
}
/** The teardown of debian12-lvmlockd that keeps the data, and the one that wipes it. */
export const lvmlockdDestroyPlan = compileDestroy(loadSpec("test/fixtures/specs/debian12-lvmlockd/cluster.yaml", { checkSecrets: false }).spec, { wipe: false }, loadPlaybook("destroy"));
export const lvmlockdWipePlan = compileDestroy(loadSpec("test/fixtures/specs/debian12-lvmlockd/cluster.yaml", { checkSecrets: false }).spec, { wipe: true }, loadPlaybook("destroy"));
/** The test bed inventory: SBD fencing and a skipped initial sync. */
export const testbedPlan = compile(testbedSpec(), templates, site);
/** el7-clvmd: pcs 0.9. */
export const el7Plan = planOf("test/fixtures/specs/el7-clvmd/cluster.yaml");
/** el9: dnf repositories, ELRepo, lvmlockd with the LVM devices file. */
export const el9Plan = planOf("test/fixtures/specs/el9/cluster.yaml");

/** A real step of a compiled plan, checked to be of the kind the test expects. */
export function stepOf<K extends StepKind>(plan: Plan, id: string, kind: K): Step<K> {
  const step = plan.steps.find((s) => s.id === id);
  if (!step) throw new Error(`no step ${id} in the plan of ${plan.cluster}`);
  if (step.kind !== kind) throw new Error(`step ${id} is a ${step.kind}, not a ${kind}`);
  return step as Step<K>;
}

export const HACLUSTER_PASSWORD = "hacluster-Pw-7f3k9q";
export const IPMI_PASSWORDS = ["ipmi-node1-Zr8w2x", "ipmi-node2-Qm4t6v"] as const;
/** 256 bytes like corosync-keygen's, all byte values so any encoding of it is recognisable. */
export const AUTHKEY = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 157 + 11) & 0xff));

export function secretStore(options: { pendingAuthkey?: boolean; haclusterPassword?: string } = {}): SecretStore {
  const values = new Map<string, Buffer>([
    ["secrets.haclusterPassword", Buffer.from(options.haclusterPassword ?? HACLUSTER_PASSWORD)],
    ["stonith.devices[0].options.password", Buffer.from(IPMI_PASSWORDS[0])],
    ["stonith.devices[1].options.password", Buffer.from(IPMI_PASSWORDS[1])],
  ]);
  if (!options.pendingAuthkey) values.set("secrets.authkey", AUTHKEY);
  return {
    get(path) {
      const v = values.get(path);
      if (!v) throw new Error(`test secret ${path} is not set`);
      return Buffer.from(v);
    },
    pending: (path) => path === "secrets.authkey" && options.pendingAuthkey === true,
  };
}

export interface TestContext extends StepContext {
  logs: string[];
}

/**
 * A context over `sim`. `whileWaiting` runs on every log line: handlers log exactly when a
 * readiness loop goes round without success, so it is where the rest of the world moves on.
 */
export function contextFor(sim: NodeSim, options: { forced?: string[]; secrets?: SecretStore; whileWaiting?: (sim: NodeSim) => void } = {}): TestContext {
  const logs: string[] = [];
  const secrets = options.secrets ?? secretStore();
  return {
    t: sim.t,
    read: reader(sim.t, secrets),
    secrets,
    forced: new Set(options.forced ?? []),
    scripts,
    pollMs: 0,
    logs,
    log: (line) => {
      logs.push(line);
      options.whileWaiting?.(sim);
    },
  };
}

/** The step's check as the runner makes it: its reads in one batch, its cache prepared, then the pure judgement. */
export async function check(step: AnyStep, ctx: StepContext): Promise<CheckResult> {
  return (await checkStep(handlers, step, ctx)).result;
}

/** The step's apply, on facts read just before, as the runner hands them over after its check. */
export async function apply(step: AnyStep, ctx: StepContext): Promise<void | { kept: string }> {
  const handler = handlerFor(handlers, step);
  return handler.apply(step, ctx, await ctx.read(handler.reads(step, envOf(ctx))));
}

/** Where a replaced authkey leaves word for cluster-start that corosync must restart. */
export const RESTART_MARKER = "/run/gfsdeploy/corosync-restart-needed";

/** gfsdeploy's own cache on a node: the helper scripts it ships, and the desired CIBs built with them. */
export const CACHE_DIRS = { scripts: "/var/lib/gfsdeploy/scripts", cib: "/var/lib/gfsdeploy/cib" } as const;

const inDir = (dir: string, path: string) => path.startsWith(`${dir}/`) && /^[A-Za-z0-9][\w.-]*$/.test(path.slice(dir.length + 1));

/** A file directly in one of gfsdeploy's cache directories (no subdirectory, no `..`). */
export function inGfsdeployCache(path: string): boolean {
  return inDir(CACHE_DIRS.scripts, path) || inDir(CACHE_DIRS.cib, path);
}

/** One of gfsdeploy's cache directories itself. */
export function isGfsdeployCacheDir(path: string): boolean {
  return path === CACHE_DIRS.scripts || path === CACHE_DIRS.cib;
}

const EMPTY_CIB = `${quoteCommand(["sh", "-c", 'cibadmin --empty > "$1"', "sh"])} `;

/**
 * A change (a line of NodeSim.changesSince) that only fills gfsdeploy's cache: making its two
 * directories (`mkdir -p`, those exact paths), shipping a helper script, or building the
 * desired CIB in a cache file with `cibadmin --empty`, pcs_batch.py `-f` and `mv`. Whatever
 * reaches the cluster's configuration (cib_sync.py apply, cibadmin --replace or --patch, pcs
 * without -f) or any path outside the cache is not.
 */
export function isCibCacheChange(change: string): boolean {
  const cibFile = (p: string | undefined) => p !== undefined && inDir(CACHE_DIRS.cib, p);
  const write = /^writeFile (\S+)$/.exec(change);
  if (write) return inGfsdeployCache(write[1] as string);
  if (change === `mkdir -p ${CACHE_DIRS.cib}` || change === `mkdir -p ${CACHE_DIRS.scripts}`) return true;
  if (change.startsWith(EMPTY_CIB)) return cibFile(change.slice(EMPTY_CIB.length));
  const [command, a, b, c, ...rest] = change.split(" ");
  if (rest.length > 0) return false;
  if (command === "/usr/bin/python3") return a !== undefined && inDir(CACHE_DIRS.scripts, a) && a.endsWith("-pcs_batch.py") && b === "-f" && cibFile(c);
  if (command === "mv") return a === "-f" && cibFile(b) && cibFile(c);
  return false;
}

/**
 * What a check of `kind` may change on a node. Checks are read-only, with one exception
 * decided on purpose: the cib check may fill gfsdeploy's own cache (it ships its scripts and
 * builds the desired CIB there), and nothing else.
 */
export function checkMayChange(kind: StepKind): { change: (line: string) => boolean; file: (path: string) => boolean; dir: (path: string) => boolean } {
  return kind === "cib" ? { change: isCibCacheChange, file: inGfsdeployCache, dir: isGfsdeployCacheDir } : { change: () => false, file: () => false, dir: () => false };
}

/**
 * Runs a check and asserts it left the node exactly as it was: no write, no changing command,
 * same model (gfsdeploy's cache aside, for the cib kind: see checkMayChange). Soft assertions,
 * so a test goes on to show whether the rest of the contract holds.
 */
export async function readOnlyCheck(sim: NodeSim, step: AnyStep, ctx: StepContext): Promise<CheckResult> {
  const may = checkMayChange(step.kind);
  const before = sim.snapshot({ ignoreFile: may.file, ignoreDir: may.dir });
  const calls = sim.t.calls.length;
  const mutations = sim.mutations.length;
  const result = await check(step, ctx);
  expect.soft(sim.changesSince(calls, mutations).filter((c) => !may.change(c)), `${step.kind} check must not change the node`).toEqual([]);
  expect.soft(sim.snapshot({ ignoreFile: may.file, ignoreDir: may.dir }), `${step.kind} check must leave the node model as it was`).toBe(before);
  return result;
}

/** The Debian packages of the compiled plans, installed. */
export const CLUSTER_PACKAGES = stepOf(lvmlockdPlan, "node1/packages", "packages").params.names;

/**
 * A node prepared up to the cluster: packages installed, its name set, the hacluster
 * password set and pcsd running.
 */
export function preparedNode(name: string): NodeSim {
  const sim = new NodeSim(name).install(...CLUSTER_PACKAGES, "sbd");
  sim.state.hostname = name;
  sim.state.shadow.set("hacluster", HACLUSTER_PASSWORD);
  sim.unit("pcsd.service", { enabled: true, active: true });
  return sim;
}

/** Every command line and argument the node saw, for secret scans. */
export function allArguments(sim: NodeSim): string[] {
  return sim.t.calls.flatMap((c) => ("args" in c ? [c.command, ...c.args] : "path" in c ? [c.path] : []));
}
