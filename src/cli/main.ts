import { Command, CommanderError } from "commander";

import { GfsError, InternalError, SpecError } from "../errors.js";
import { offlinePlan, writeArtifacts } from "./offline.js";
import { formatOfflinePlan } from "./ui/plan-text.js";

/** Where the CLI writes; tests pass their own to capture output. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

function program(io: Io): Command {
  const cli = new Command("gfsdeploy")
    .description("Build and keep correct GFS2-over-DRBD Pacemaker clusters from one spec")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();

  cli
    .command("validate")
    .description("check a spec (schema, semantic rules, secrets) without contacting any host")
    .argument("<spec>", "cluster spec (YAML)")
    .option("--no-secrets", "do not require the secret env variables and files to exist")
    .action((spec: string, opts: { secrets: boolean }) => {
      const plan = offlinePlan(spec, opts.secrets);
      io.out(`${spec}: valid (${plan.nodes.length} nodes, ${plan.steps.length} steps)\n`);
    });

  cli
    .command("plan")
    .description("show the steps that build the cluster")
    .argument("<spec>", "cluster spec (YAML)")
    .option("--offline", "compile only: list every step without contacting the nodes")
    .option("--json", "print the plan as JSON")
    .action((spec: string, opts: { offline?: boolean; json?: boolean }) => {
      const plan = offlinePlan(spec, false);
      io.out(opts.json ? JSON.stringify(plan, null, 2) + "\n" : formatOfflinePlan(plan));
    });

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

/** The single error boundary: every failure becomes a message, a hint and an exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    await program(io).parseAsync([...argv]);
    return 0;
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
