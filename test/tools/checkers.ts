/**
 * Real upstream tools judging rendered artifacts, offline: corosync -t, drbdadm -d,
 * pcs -f + crm_simulate (this machine's, or a Debian root's), mkfs.gfs2 + tunegfs2/gfs2_edit. Each checker returns what it saw
 * so tests can assert on it; none of them touches /etc or a real device.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { execa } from "execa";
import { XMLParser } from "fast-xml-parser";

import { templatesDir } from "../../src/cli/templates.js";
import { parseCrmMon } from "../../src/steps/crm.js";
import { scratchDir } from "../support/scratch.js";

export interface ToolRun {
  ok: boolean;
  output: string;
}

/**
 * corosync -t as `node` (it only validates as a node named in the nodelist). With
 * `asCorosync3`, crypto lines on a udpu config (valid for EL7's corosync 2 only) are dropped
 * first, since this machine's corosync 3 refuses them there.
 */
export async function checkCorosync(confPath: string, node: string, asCorosync3 = false): Promise<ToolRun> {
  const dir = scratchDir("corosync");
  await execa("corosync-keygen", ["-k", join(dir, "authkey")], { stdin: "ignore" });
  // The test copy logs and reads its key inside the scratch dir, never under /etc or /var/log.
  const original = readFileSync(confPath, "utf8");
  const conf = (asCorosync3 && /transport: udpu/.test(original) ? original.replace(/^\s*crypto_(cipher|hash):.*\n/gm, "") : original)
    .replace(/^(\s*)logfile:.*$/m, `$1logfile: ${dir}/corosync.log`)
    .replace(/^totem \{$/m, `totem {\n    keyfile: ${dir}/authkey`);
  const file = join(dir, "corosync.conf");
  writeFileSync(file, conf);
  const r = await execa("unshare", ["--uts", "--net", "sh", "-c", 'hostname "$1"; exec corosync -t -c "$2"', "sh", node, file], { reject: false, all: true });
  return { ok: r.exitCode === 0, output: r.all ?? "" };
}

/** `drbdadm -d up all` as `node`, in the given dialect; returns the drbdsetup calls it would make. */
export async function checkDrbd(resPath: string, node: string, dialect: "8.4" | "9"): Promise<ToolRun> {
  const env: Record<string, string> = { __DRBD_NODE__: node };
  if (dialect === "8.4") env.DRBD_DRIVER_VERSION_OVERRIDE = "8.4.11";
  const r = await execa("drbdadm", ["-c", resPath, "-d", "up", "all"], { reject: false, env });
  // drbdadm prints the dry-run calls on stdout and parse errors on stderr; a parse error
  // can still exit 0 through the version-forwarding wrapper, so stderr decides too.
  const parseError = /Parse error|expected|unknown|error/i.test(r.stderr.replace(/modinfo: ERROR: Module drbd not found\.\n?/g, "").replace(/found __DRBD_NODE__[\s\S]*?<<\n?/g, ""));
  return { ok: r.exitCode === 0 && !parseError && r.stdout.includes("attach"), output: `${r.stdout}\n${r.stderr}` };
}

export interface CibResult {
  dir: string;
  /** Transition graph of the first start: what runs before what. */
  graph: Graph;
  /** False when the simulator could not complete the transition (ordering cycle, unrunnable start). */
  transitionOk: boolean;
  /** Per resource id (clone children collapsed): node → role. */
  roles: Map<string, Map<string, string>>;
  /** What the simulation printed. */
  output: string;
  /** What pcs printed while building the CIB: its warnings. */
  pcsOutput: string;
}

export interface GraphAction {
  key: string;
  node: string;
}

export class Graph {
  constructor(
    readonly actions: Map<string, GraphAction>,
    readonly inputs: Map<string, Set<string>>,
  ) {}

  find(keyPattern: RegExp, node?: string): string[] {
    return [...this.actions.entries()].filter(([, a]) => keyPattern.test(a.key) && (node === undefined || a.node === node)).map(([id]) => id);
  }

  /** Is action `a` a transitive input of action `b`? */
  before(a: string, b: string): boolean {
    const seen = new Set<string>();
    const stack = [...(this.inputs.get(b) ?? [])];
    while (stack.length > 0) {
      const cur = stack.pop() as string;
      if (cur === a) return true;
      if (seen.has(cur)) continue;
      seen.add(cur);
      stack.push(...(this.inputs.get(cur) ?? []));
    }
    return false;
  }

  /** Every action matching `first` on `node` happens before every action matching `then` there. */
  ordered(first: RegExp, then: RegExp, node: string): boolean {
    const as = this.find(first, node);
    const bs = this.find(then, node);
    if (as.length === 0 || bs.length === 0) throw new Error(`no graph action for ${String(as.length ? then : first)} on ${node}`);
    return as.every((a) => bs.every((b) => this.before(a, b)));
  }
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (name) => ["synapse", "trigger", "rsc_op", "pseudo_event", "crm_event"].includes(name) });

function parseGraph(text: string): Graph {
  const doc = xml.parse(text) as { transition_graph?: { synapse?: Synapse[] } };
  const actions = new Map<string, GraphAction>();
  const inputs = new Map<string, Set<string>>();
  for (const syn of doc.transition_graph?.synapse ?? []) {
    const set = syn.action_set ?? {};
    const action = [...(set.rsc_op ?? []), ...(set.pseudo_event ?? []), ...(set.crm_event ?? [])][0];
    if (!action) continue;
    actions.set(action.id, { key: action.operation_key ?? action.operation ?? "", node: action.on_node ?? "" });
    const deps = new Set<string>();
    for (const trig of syn.inputs?.trigger ?? []) for (const ev of [...(trig.rsc_op ?? []), ...(trig.pseudo_event ?? []), ...(trig.crm_event ?? [])]) deps.add(ev.id);
    inputs.set(action.id, deps);
  }
  return new Graph(actions, inputs);
}

interface GraphEvent {
  id: string;
  operation_key?: string;
  operation?: string;
  on_node?: string;
}
interface EventSet {
  rsc_op?: GraphEvent[];
  pseudo_event?: GraphEvent[];
  crm_event?: GraphEvent[];
}
interface Synapse {
  action_set?: EventSet;
  inputs?: { trigger?: EventSet[] };
}

/** The pcs commands of pcs.txt as argv lists (pcs.txt is shell-quoted; sh splits it for us). */
export async function pcsArgvs(pcsTxt: string): Promise<string[][]> {
  const lines = readFileSync(pcsTxt, "utf8").split("\n").filter((l) => l.trim());
  const argvs: string[][] = [];
  for (const line of lines) {
    // The shell that will run these lines is the judge of how they split.
    const r = await execa("sh", ["-c", 'set -f; eval "set -- $1"; printf "%s\\0" "$@"', "sh", line]);
    const argv = r.stdout.split("\0").slice(0, -1);
    if (argv[0] !== "pcs") throw new Error(`pcs.txt line does not start with pcs: ${line}`);
    argvs.push(argv.slice(1));
  }
  return argvs;
}

/** A tool's run with its stdout alone, for the tools whose output is the result (cibadmin, crm_mon). */
export type ToolOutput = ToolRun & { stdout: string };

/** Where the Pacemaker tools of a CIB check run: this machine's, or a Debian root's through chroot. */
export interface PacemakerTools {
  /** Whose tools, for messages. */
  name: string;
  /** A fresh directory the tools can read and write, as this process names it (`here`) and as they do (`there`). */
  workDir(): { here: string; there: string };
  run(cmd: string, args: string[], options?: { input?: string; env?: Record<string, string> }): Promise<ToolOutput>;
}

async function runTool(file: string, args: string[], options: { input?: string; env?: Record<string, string>; extendEnv?: boolean }): Promise<ToolOutput> {
  const r = await execa(file, args, { ...options, reject: false, all: true });
  return { ok: r.exitCode === 0, output: r.all ?? "", stdout: r.stdout };
}

export const hostTools: PacemakerTools = {
  name: "this machine's",
  workDir: () => {
    const dir = scratchDir("cib");
    return { here: dir, there: dir };
  },
  run: (cmd, args, options = {}) => runTool(cmd, args, options),
};

/**
 * The tools of the Debian tree at `root`, run in it by chroot. The work directory is made
 * inside the tree's /tmp (and goes with the test file), so nothing is bind-mounted. Only PATH
 * and the caller's variables go in: this machine's Python or locale settings are not the root's.
 */
export function chrootTools(root: string, name: string): PacemakerTools {
  return {
    name,
    workDir: () => {
      const here = scratchDir("cib", join(root, "tmp"));
      return { here, there: here.slice(root.length) };
    },
    run: (cmd, args, options = {}) =>
      runTool("chroot", [root, cmd, ...args], { input: options.input, env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...options.env }, extendEnv: false }),
  };
}

async function must(run: Promise<ToolOutput>, what: string): Promise<string> {
  const r = await run;
  if (!r.ok) throw new Error(`${what} failed:\n${r.output}`);
  return r.stdout;
}

/**
 * Builds a CIB from nothing with the given pcs commands (one Python process), brings the
 * nodes online in the simulator, injects DRBD promotion scores where `promoteOn` says
 * (the agent sets them at run time), then simulates the first start, all with `tools`.
 */
export async function checkCib(commands: string[][], nodes: string[], drbdResources: string[], promoteOn: string[] = nodes, tools: PacemakerTools = hostTools): Promise<CibResult> {
  const { here, there } = tools.workDir();
  const run = (cmd: string, args: string[], env?: Record<string, string>) => must(tools.run(cmd, args, { env }), `${tools.name} ${cmd}`);
  // Copied in, so a chroot sees it too.
  copyFileSync(join(templatesDir, "scripts/pcs_batch.py"), join(here, "pcs_batch.py"));
  writeFileSync(join(here, "cib.xml"), await run("cibadmin", ["--empty"]));
  // The root's own interpreter, never a pyenv shim that PATH may find first.
  const batch = await tools.run("/usr/bin/python3", [`${there}/pcs_batch.py`, "-f", `${there}/cib.xml`], { input: JSON.stringify(commands) });
  if (!batch.ok) throw new Error(`${tools.name} pcs rejected a command:\n${batch.output}`);
  await run("crm_simulate", ["-x", `${there}/cib.xml`, "-q", "1", ...nodes.flatMap((n) => ["-u", n]), "-O", `${there}/online.xml`]);
  await run("crm_verify", ["-x", `${there}/online.xml`]);
  for (const n of promoteOn) {
    for (const r of drbdResources) await run("crm_attribute", ["-N", n, "-l", "reboot", "-n", `master-drbd_${r}`, "-v", "10000"], { CIB_file: `${there}/online.xml` });
  }
  const sim = await tools.run("crm_simulate", ["-x", `${there}/online.xml`, "-S", "-G", `${there}/graph.xml`, "-O", `${there}/final.xml`]);
  const mon = await run("crm_mon", ["-1", "--output-as=xml"], { CIB_file: `${there}/final.xml` });
  return { dir: here, transitionOk: sim.ok, graph: parseGraph(readFileSync(join(here, "graph.xml"), "utf8")), roles: parseCrmMon(mon).roles, output: sim.output, pcsOutput: batch.output };
}

export interface Gfs2Readback {
  lockTable: string;
  journals: number;
  type: string;
}

/** Runs the compiled mkfs.gfs2 argv with the device swapped for a sparse file, then reads it back. */
export async function checkMkfs(argv: string[]): Promise<Gfs2Readback> {
  const dir = scratchDir("gfs2");
  const image = join(dir, "fs.img");
  const [cmd, ...args] = argv;
  // Sparse, so generous: mkfs.gfs2 wants the journals to be a small share of the device.
  const journals = Number(args[args.indexOf("-j") + 1] ?? 1);
  const journalMiB = Number(args[args.indexOf("-J") + 1] ?? 128);
  await execa("truncate", ["-s", `${Math.max(1024, journals * journalMiB * 4)}M`, image]);
  if (cmd !== "mkfs.gfs2") throw new Error(`not a mkfs.gfs2 command: ${argv.join(" ")}`);
  await execa(cmd, [...args.slice(0, -1), image]);
  const tune = (await execa("tunegfs2", ["-l", image])).stdout;
  const made = (await execa("gfs2_edit", ["-p", "journals", image])).stdout.split("\n").filter((l) => /^journal[0-9]/.test(l)).length;
  const type = (await execa("blkid", ["-p", "-o", "value", "-s", "TYPE", image], { reject: false })).stdout.trim();
  const lockTable = /^Lock table:\s*(\S+)/m.exec(tune)?.[1] ?? "";
  return { lockTable, journals: made, type };
}
