import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { Command, CommanderError } from "commander";

import { GfsError, InternalError, SpecError, UsageError } from "../errors.js";
import type { Playbook } from "../playbook/types.js";
import type { Subscriber } from "../run/events.js";
import { bench, type BenchFlags } from "./bench.js";
import { runFenceTest } from "./fence-test.js";
import { runLive } from "./live.js";
import { loadPlaybook } from "./playbooks.js";
import { clusterStatus } from "./status.js";
import { offlineDestroyPlan, offlinePlan, specClusterName, writeArtifacts } from "./offline.js";
import { testbedCommand } from "./testbed.js";
import { formatOfflinePlan } from "./ui/plan-text.js";
import { listrSubscriber } from "./ui/listr.js";
import { jsonSubscriber, textSubscriber } from "./ui/text.js";
import type { Plan } from "../plan/types.js";
import type { Facts } from "../probes/facts.js";

/** Where the CLI writes; tests pass their own to capture output. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

interface LiveFlags {
  json?: boolean;
  wipe?: boolean;
  verbose?: boolean;
  acceptNewHostKeys?: boolean;
  forceDevice: string[];
}

/** One JSON file per node: the facts its checks were judged on. */
function recordFacts(dir: string, facts: ReadonlyMap<string, Facts>): void {
  mkdirSync(dir, { recursive: true });
  for (const [host, f] of facts) writeFileSync(join(dir, `${host}.facts.json`), `${JSON.stringify(f.toJson(), null, 1)}\n`);
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * --json: ndjson events; apply on a terminal: listr2 progress and a summary; otherwise
 * plain lines, which for a plan carry every change's diff.
 */
function display(io: Io, flags: LiveFlags, mode: "plan" | "apply"): (plan: Plan) => { subscribers: Subscriber[]; finished?: Promise<void> } {
  return (plan) => {
    if (flags.json) return { subscribers: [jsonSubscriber(io.out)] };
    if (mode === "apply" && io === processIo && process.stdout.isTTY && !flags.verbose) {
      const live = listrSubscriber(plan);
      return { subscribers: [live.subscriber, textSubscriber(io.out, false, true)], finished: live.finished };
    }
    return { subscribers: [textSubscriber(io.out, flags.verbose)] };
  };
}

/** plan or apply of a playbook over SSH with the command's flags; destroy playbooks take --wipe. */
function runWithFlags(io: Io, spec: string, playbook: Playbook, mode: "plan" | "apply", flags: LiveFlags): ReturnType<typeof runLive> {
  return runLive(spec, mode, {
    playbook,
    acceptNewHostKeys: flags.acceptNewHostKeys ?? false,
    forceDevices: flags.forceDevice,
    ...(playbook.workflow === "destroy" ? { destroy: { wipe: flags.wipe ?? false } } : {}),
    display: display(io, flags, mode),
  });
}

/**
 * apply, or `run` of an apply playbook (`command` says which, as typed): without --yes,
 * show the plan and ask first. Returns the exit code.
 */
async function converge(io: Io, command: string, spec: string, playbook: Playbook, opts: LiveFlags & { yes?: boolean }): Promise<number> {
  if (!opts.yes) {
    const review = command === "apply" ? "run `gfsdeploy plan` to review, then `gfsdeploy apply --yes`" : `run \`gfsdeploy ${command}\` on a terminal to review, or pass --yes`;
    if (!process.stdin.isTTY) throw new UsageError(`${command} needs confirmation and there is no terminal to ask`, review);
    const check = await runWithFlags(io, spec, playbook, "plan", opts);
    if (check.result.counts.change + check.result.counts.pending === 0) return 0;
    if (!(await confirm(io, "apply these changes? [y/N] "))) throw new UsageError("not confirmed; nothing was changed", "answer y to apply, or pass --yes");
  }
  const { result } = await runWithFlags(io, spec, playbook, "apply", opts);
  return result.counts.failed + result.counts.refused > 0 ? 1 : 0;
}

/**
 * destroy, or `run` of a destroy playbook: the data stays unless --wipe, and --wipe needs the
 * cluster name typed back (or --confirm NAME), compared before any node is contacted so a
 * mismatch touches nothing. Returns the exit code.
 */
async function teardown(io: Io, spec: string, playbook: Playbook, opts: LiveFlags & { yes?: boolean; confirm?: string }): Promise<number> {
  const name = specClusterName(spec);
  if (opts.confirm !== undefined && !opts.wipe) throw new UsageError("--confirm goes with --wipe; nothing was contacted or changed", "destroy without --wipe keeps the data and takes --yes; add --wipe only to destroy the data too");
  if (opts.wipe && opts.confirm !== undefined && opts.confirm !== name) {
    throw new UsageError(`--confirm '${opts.confirm}' is not this spec's cluster name; nothing was contacted or changed`, "pass --confirm with the spec's cluster.name, exactly, to destroy that cluster's data");
  }
  const askName = opts.wipe === true && opts.confirm === undefined;
  if (!opts.yes || askName) {
    if (!process.stdin.isTTY) {
      throw askName
        ? new UsageError("--wipe destroys the data and needs the cluster name typed back; there is no terminal to ask", "pass --confirm CLUSTERNAME (the spec's cluster.name) with --wipe to confirm from a script; nothing was contacted or changed")
        : new UsageError("destroy needs confirmation and there is no terminal to ask", "run `gfsdeploy plan --destroy` to review, then `gfsdeploy destroy --yes`");
    }
    const check = await runWithFlags(io, spec, playbook, "plan", opts);
    if (check.result.counts.change + check.result.counts.pending === 0) return 0;
    if (askName) {
      const typed = await ask(io, `this destroys the data of cluster ${name} for good; type its name to go on: `);
      if (typed.trim() !== name) throw new UsageError("the name typed does not match the cluster name; nothing was changed", "type the cluster name exactly to wipe its data, or run destroy without --wipe to keep the data");
    } else if (!(await confirm(io, "tear the cluster down? (the data stays on disk) [y/N] "))) {
      throw new UsageError("not confirmed; nothing was changed", "answer y to tear the cluster down, or pass --yes");
    }
  }
  const { result } = await runWithFlags(io, spec, playbook, "apply", opts);
  return result.counts.failed + result.counts.refused > 0 ? 1 : 0;
}

/** The package's version: src/cli and dist/cli both sit two levels below package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** Exit code of a run, set by the action and returned by main. */
let runExitCode = 0;

function program(io: Io): Command {
  const cli = new Command("gfsdeploy")
    .description("Build and keep correct GFS2-over-DRBD Pacemaker clusters from one spec")
    .version(packageVersion(), "-V, --version", "print gfsdeploy's version")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();

  cli
    .command("validate")
    .description("check a spec (schema, semantic rules, secrets, SSH key) without contacting any host")
    .argument("<spec>", "cluster spec (YAML)")
    .option("--no-secrets", "do not require the secret env variables and files, or the SSH key, to exist")
    .action((spec: string, opts: { secrets: boolean }) => {
      const plan = offlinePlan(spec, opts.secrets);
      io.out(`${spec}: valid (${plan.nodes.length} nodes, ${plan.steps.length} steps)\n`);
    });

  cli
    .command("plan")
    .description("check every step on the nodes and show what apply would change; changes nothing (exit 0 none, 3 pending, 1 error)")
    .argument("<spec>", "cluster spec (YAML)")
    .option("--offline", "compile only: list every step without contacting the nodes")
    .option("--json", "with --offline the plan as JSON; otherwise one JSON event per line")
    .option("-v, --verbose", "also show steps that are ok and the steps' own log lines")
    .option("--accept-new-host-keys", "record host keys seen for the first time (never changed ones)")
    .option("--force-device <device>", "plan as apply with this flag would run: the overwriting commands for this device (repeatable; plan never writes)", collect, [])
    .option("--destroy", "show what `gfsdeploy destroy` would tear down instead")
    .option("--wipe", "with --destroy: include the steps that destroy the data")
    .option("--record-facts <dir>", "write what was read of each node to DIR/NODE.facts.json (for tests of the checks; holds no secret)")
    .action(async (spec: string, opts: LiveFlags & { offline?: boolean; destroy?: boolean; recordFacts?: string }) => {
      if (opts.wipe && !opts.destroy) throw new UsageError("--wipe goes with --destroy", "run `gfsdeploy plan --destroy --wipe SPEC` to see the teardown that also destroys the data");
      if (opts.offline) {
        const plan = opts.destroy ? offlineDestroyPlan(spec, { wipe: opts.wipe ?? false }) : offlinePlan(spec, false, opts.forceDevice);
        io.out(opts.json ? JSON.stringify(plan, null, 2) + "\n" : formatOfflinePlan(plan));
        return;
      }
      const { result } = await runWithFlags(io, spec, loadPlaybook(opts.destroy ? "destroy" : "site"), "plan", opts);
      if (opts.recordFacts !== undefined) recordFacts(opts.recordFacts, result.facts);
      const c = result.counts;
      runExitCode = c.failed + c.refused > 0 ? 1 : c.change + c.pending > 0 ? 3 : 0;
    });

  cli
    .command("apply")
    .description("converge the cluster to the spec: check each step, change only what differs")
    .argument("<spec>", "cluster spec (YAML)")
    .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)")
    .option("--json", "one JSON event per line")
    .option("-v, --verbose", "also show steps that are ok and the steps' own log lines")
    .option("--accept-new-host-keys", "record host keys seen for the first time (never changed ones)")
    .option("--force-device <device>", "allow destructive steps to overwrite existing data on this device (repeatable)", collect, [])
    .action(async (spec: string, opts: LiveFlags & { yes?: boolean }) => {
      runExitCode = await converge(io, "apply", spec, loadPlaybook("site"), opts);
    });

  cli
    .command("run")
    .description("run a playbook: site (= apply), grow, fence-test, or a path to your own (exit 0 done, 1 refused or failed)")
    .argument("<playbook>", "a shipped playbook's name (site, grow, destroy, fence-test) or a path containing a /")
    .argument("<spec>", "cluster spec (YAML)")
    .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)")
    .option("--json", "apply playbooks: one JSON event per line; fence-test: the phase table as JSON")
    .option("-v, --verbose", "also show steps that are ok and the steps' own log lines")
    .option("--accept-new-host-keys", "record host keys seen for the first time (never changed ones)")
    .option("--force-device <device>", "allow destructive steps to overwrite existing data on this device (repeatable)", collect, [])
    .option("--target <node>", "fence-test: the node to fence (default: the spec's last node)")
    .option("--wipe", "destroy playbooks: also destroy the data (needs the cluster name typed back, or --confirm)")
    .option("--confirm <cluster>", "destroy playbooks with --wipe, for scripts: the cluster name")
    .action(async (name: string, spec: string, opts: LiveFlags & { yes?: boolean; target?: string; confirm?: string }) => {
      const playbook = loadPlaybook(name);
      if (opts.target !== undefined && playbook.workflow !== "fence-test") throw new UsageError(`--target is for fence-test playbooks, not for ${playbook.name} (workflow: ${playbook.workflow})`, "leave --target out");
      if ((opts.wipe || opts.confirm !== undefined) && playbook.workflow !== "destroy") throw new UsageError(`--wipe and --confirm are for destroy playbooks, not for ${playbook.name} (workflow: ${playbook.workflow})`, "leave them out");
      switch (playbook.workflow) {
        case "apply":
          runExitCode = await converge(io, `run ${name}`, spec, playbook, opts);
          return;
        case "destroy":
          runExitCode = await teardown(io, spec, playbook, opts);
          return;
        case "fence-test": {
          const ask = async (target: string) => {
            if (opts.yes) return true;
            if (!process.stdin.isTTY) throw new UsageError(`fence-test fences ${target} for real and there is no terminal to ask`, "run it in a maintenance window with --yes");
            return confirm(io, `fence ${target} (it will be power-cycled)? [y/N] `);
          };
          const { passed } = await runFenceTest(playbook, spec, { target: opts.target, json: opts.json, acceptNewHostKeys: opts.acceptNewHostKeys, confirm: ask }, io.out);
          runExitCode = passed ? 0 : 1;
        }
      }
    });

  cli
    .command("destroy")
    .description("tear the cluster down in order: filesystems, LVM, locking, DRBD, fencing, the cluster itself; the data stays on disk unless --wipe")
    .argument("<spec>", "cluster spec (YAML)")
    .option("--wipe", "also destroy the data: LVs, VGs, PV labels, signatures, DRBD metadata and resource files")
    .option("--confirm <cluster>", "with --wipe, for scripts: the cluster name, as it would be typed back on a terminal")
    .option("-y, --yes", "do not ask for confirmation (required when not on a terminal); --wipe still needs the cluster name")
    .option("--json", "one JSON event per line")
    .option("-v, --verbose", "also show steps that are ok and the steps' own log lines")
    .option("--accept-new-host-keys", "record host keys seen for the first time (never changed ones)")
    .action(async (spec: string, opts: Omit<LiveFlags, "forceDevice"> & { yes?: boolean; confirm?: string }) => {
      runExitCode = await teardown(io, spec, loadPlaybook("destroy"), { ...opts, forceDevice: [] });
    });

  cli
    .command("status")
    .description("cluster, DRBD, DLM and mount state per node in one table (exit 0 healthy, 1 not)")
    .argument("<spec>", "cluster spec (YAML)")
    .option("--accept-new-host-keys", "record host keys seen for the first time (never changed ones)")
    .action(async (spec: string, opts: { acceptNewHostKeys?: boolean }) => {
      const { table, healthy } = await clusterStatus(spec, opts.acceptNewHostKeys ?? false);
      io.out(table);
      runExitCode = healthy ? 0 : 1;
    });

  cli
    .command("bench")
    .description("check the cluster's health, then measure its data path against its own baselines (exit 0 passed, 1 refused or a check failed)")
    .argument("<spec>", "cluster spec (YAML)")
    .option("--filesystem <name>", "the filesystem to measure (default: the spec's first)")
    .option("--duration <time>", "how long each measurement runs, e.g. 10s or 1m", "10s")
    .option("--json <file>", "write every figure, ratio and check with the spec and versions as JSON")
    .option("--chart <file>", "write an SVG chart of the ratios and latencies")
    .option("--accept-new-host-keys", "record host keys seen for the first time (never changed ones)")
    .action(async (spec: string, opts: BenchFlags) => {
      const listr = io === processIo && process.stdout.isTTY;
      await bench(spec, opts, io.out, listr ? "listr" : "lines");
    });

  cli.addCommand(testbedCommand());

  cli
    .command("render")
    .description("write every file and command list the cluster gets, for review or checking")
    .argument("<spec>", "cluster spec (YAML)")
    .requiredOption("--out <dir>", "output directory")
    .action((spec: string, opts: { out: string }) => {
      const written = writeArtifacts(offlinePlan(spec, false), opts.out);
      io.out(`wrote ${written.length} files under ${opts.out} (secrets are placeholders: *.placeholder)\n`);
    });

  return cli;
}

async function ask(io: Io, question: string): Promise<string> {
  io.out(question);
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin });
  const answer = await rl.question("");
  rl.close();
  return answer;
}

async function confirm(io: Io, question: string): Promise<boolean> {
  return /^y(es)?$/i.test((await ask(io, question)).trim());
}

/** The single error boundary: every failure becomes a message, a hint and an exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    runExitCode = 0;
    await program(io).parseAsync([...argv]);
    return runExitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof SpecError) {
      io.err(`${e.message}\n${e.diagnostics.length} problem(s); nothing was contacted or changed.\n`);
      return e.exitCode;
    }
    if (e instanceof InternalError) {
      io.err(`internal error: ${e.message}\n${e.stack ?? ""}\nhint: ${e.hint}\n`);
      return e.exitCode;
    }
    if (e instanceof GfsError) {
      io.err(`error: ${e.message}\nhint: ${e.hint}\n`);
      return e.exitCode;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.err(`internal error: ${err.message}\n${err.stack ?? ""}\nhint: this is a bug in gfsdeploy; please report it with the command you ran\n`);
    return 70;
  }
}
